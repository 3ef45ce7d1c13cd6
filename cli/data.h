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

/* A data set's classes: their count (MNIST-like sets and CIFAR-10 10, CIFAR-100 100 fine or 20
 * coarse, a folder its sub-folders) and, for a folder, their names (its sub-folders' names). */
typedef struct cli_classes {
    int n;
    int named;
    char names[FFCNN_MAX_CLASSES][64];
} cli_classes;

/* Whether the set is read by the image-folder reader (its images brought to a chosen size). */
int cli_data_is_folder(const char *data_name);
/* Loads train and val (val_limit 0: none) as train uses them, with --train-limit and
 * --val-limit applied. A folder's images are brought to channels x height x width. classes
 * (may be NULL) receives the set's classes. */
int cli_load_train_val(const cli_opts *o, int channels, int height, int width, ffcnn_dataset *train,
                       ffcnn_dataset *val, cli_classes *classes, char *err);
/* Loads one split (val, test or CLI_SPLIT_ALL) for eval, predict, cam and labels; a folder's
 * images at channels x height x width; classes as above. */
int cli_load_split(const cli_opts *o, int split, int channels, int height, int width,
                   ffcnn_dataset *ds, cli_classes *classes, char *err);
/* cli_load_split for a model: its input shape, and when both the model and the data (a folder)
 * name their classes, each image labelled with the model's class of its folder's name (a
 * folder name the model lacks is an error naming it; a model class with no folder is fine). */
int cli_load_split_for(const cli_opts *o, int split, const ffcnn_net *net, ffcnn_dataset *ds,
                       char *err);
/* "val", "test", "all". */
const char *cli_split_name(int split);

#endif
