/* The images predict and cam classify: the user's files brought to the model's input
 * (ffcnn_image_prepare), or image --index of a data set split. */
#ifndef FFCNN_CLI_IMAGES_H
#define FFCNN_CLI_IMAGES_H

#include "ffcnn.h"
#include "options.h"

/* The chosen images as a data set of the model's input shape (labels: the data set's, or 0 for
 * files), and per image its name (the file, or "SET SPLIT #I") and whether it was inverted. */
typedef struct cli_images {
    ffcnn_dataset ds;
    const char **names;
    int *inverted;
    int labelled; /* from a data set: ds.labels are true labels */
    char index_name[96];
} cli_images;

/* --fit auto: digit for a model trained on MNIST (or, when its file does not say, on 1x28x28
 * images), else stretch. */
enum ffcnn_fit cli_fit_for(const cli_opts *o, const ffcnn_net *net);
/* Loads o->inputs (or --index of --data --split) for net; FFCNN_EFORMAT etc. with the one-line
 * message naming the file or flag. */
int cli_images_load(cli_images *im, const cli_opts *o, const ffcnn_net *net, char *err);
void cli_images_free(cli_images *im);

#endif
