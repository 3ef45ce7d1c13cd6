#include "images.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "data.h"

enum ffcnn_fit cli_fit_for(const cli_opts *o, const ffcnn_net *net) {
    if (o->fit) return (enum ffcnn_fit)o->fit;
    const ffcnn_data_identity *id = ffcnn_net_data_identity(net);
    const ffcnn_config *c = ffcnn_net_config(net);
    if (id && id->name[0]) return strcmp(id->name, "mnist") ? FFCNN_FIT_STRETCH : FFCNN_FIT_DIGIT;
    return c->channels == 1 && c->height == 28 && c->width == 28 ? FFCNN_FIT_DIGIT
                                                                 : FFCNN_FIT_STRETCH;
}

/* Image --index of the data set split: a copy of that one image and its label (the model's
 * class of its folder, for a model that names its classes). */
static int load_index(cli_images *im, const cli_opts *o, const ffcnn_net *net, char *err) {
    ffcnn_dataset all = {0};
    int rc = cli_load_split_for(o, o->split, net, &all, err);
    if (rc) return rc;
    const char *split = cli_split_name(o->split);
    if (o->index >= all.n) {
        snprintf(err, FFCNN_ERR_LEN, "--index: %d is past the %s %s split's last image (%d)",
                 o->index, o->data_name, split, all.n - 1);
        ffcnn_dataset_free(&all);
        return FFCNN_EINVAL;
    }
    const size_t len = (size_t)all.channels * all.height * all.width;
    im->ds = (ffcnn_dataset){1, all.channels, all.height, all.width, malloc(len), malloc(1)};
    if (im->ds.pixels && im->ds.labels) {
        memcpy(im->ds.pixels, all.pixels + (size_t)o->index * len, len);
        im->ds.labels[0] = all.labels[o->index];
    }
    ffcnn_dataset_free(&all);
    if (!im->ds.pixels || !im->ds.labels)
        return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    snprintf(im->index_name, sizeof im->index_name, "%s %s #%d", o->data_name, split, o->index);
    im->names[0] = im->index_name;
    im->labelled = 1;
    return FFCNN_OK;
}

/* The files, each decoded and brought to the model's input. */
static int load_files(cli_images *im, const cli_opts *o, const ffcnn_net *net, char *err) {
    const ffcnn_config *c = ffcnn_net_config(net);
    const size_t len = (size_t)c->channels * c->height * c->width;
    const int n = o->n_inputs;
    im->ds = (ffcnn_dataset){n, c->channels, c->height, c->width, malloc(len * n), calloc(n, 1)};
    if (!im->ds.pixels || !im->ds.labels)
        return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    const enum ffcnn_fit fit = cli_fit_for(o, net);
    /* Photos of other data sets are not ink on paper: only digit models invert by default. */
    const enum ffcnn_invert invert = o->invert == FFCNN_INVERT_AUTO && fit != FFCNN_FIT_DIGIT
                                         ? FFCNN_INVERT_NO
                                         : (enum ffcnn_invert)o->invert;
    for (int i = 0; i < n; i++) {
        ffcnn_image img = {0};
        int rc = ffcnn_image_load(&img, o->inputs[i], err);
        if (!rc)
            rc = ffcnn_image_prepare(&img, c->channels, c->height, c->width, invert, fit,
                                     im->ds.pixels + len * i, &im->inverted[i], err);
        ffcnn_image_free(&img);
        if (rc) return rc;
        im->names[i] = o->inputs[i];
    }
    return FFCNN_OK;
}

int cli_images_load(cli_images *im, const cli_opts *o, const ffcnn_net *net, char *err) {
    memset(im, 0, sizeof *im);
    const int n = o->n_inputs ? o->n_inputs : 1;
    im->names = calloc(n, sizeof *im->names);
    im->inverted = calloc(n, sizeof *im->inverted);
    if (!im->names || !im->inverted)
        return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    if (o->n_inputs) return load_files(im, o, net, err);
    const ffcnn_config *c = ffcnn_net_config(net);
    const int rc = load_index(im, o, net, err);
    if (rc) return rc;
    if (im->ds.channels != c->channels || im->ds.height != c->height || im->ds.width != c->width) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--data %s: images are %dx%dx%d but the model expects %dx%dx%d", o->data_name,
                 im->ds.channels, im->ds.height, im->ds.width, c->channels, c->height, c->width);
        return FFCNN_EINVAL;
    }
    return FFCNN_OK;
}

void cli_images_free(cli_images *im) {
    ffcnn_dataset_free(&im->ds);
    free(im->names);
    free(im->inverted);
    memset(im, 0, sizeof *im);
}
