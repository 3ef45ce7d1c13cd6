/* The data sets --data names (mnist, fashion, cifar10, cifar100, cifar100-coarse, cifar10-jpeg,
 * folder:DIR), read into the splits the commands use. MNIST-like sets come with their split
 * (docs/method.md §5); the others hold out a validation split of the training images,
 * stratified by class and drawn with a fixed seed, so that every command sees the same one. */
#ifndef FFCNN_CLI_DATA_H
#define FFCNN_CLI_DATA_H

#include "ffcnn.h"
#include "options.h"

/* FFCNN_SPLIT_* and every image of the set (a folder's, or a set's training images). */
#define CLI_SPLIT_ALL 3
/* The seed of the held-out validation split (not --seed: models trained with different seeds
 * are validated on the same images). */
#define CLI_SPLIT_SEED 20231222u

/* Whether the set is read by the image-folder reader (its images brought to a chosen size). */
int cli_data_is_folder(const char *data_name);
/* Loads train and val (val_limit 0: none) as train uses them, with --train-limit and
 * --val-limit applied. A folder's images are brought to channels x height x width. */
int cli_load_train_val(const cli_opts *o, int channels, int height, int width, ffcnn_dataset *train,
                       ffcnn_dataset *val, char *err);
/* Loads one split (val, test or CLI_SPLIT_ALL) for eval, predict, cam and labels; a folder's
 * images at channels x height x width. */
int cli_load_split(const cli_opts *o, int split, int channels, int height, int width,
                   ffcnn_dataset *ds, char *err);
/* "val", "test", "all". */
const char *cli_split_name(int split);

#endif
