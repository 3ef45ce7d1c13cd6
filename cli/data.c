#include "data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int cli_data_is_folder(const char *name) {
    return !strcmp(name, "folder") || !strcmp(name, "cifar10-jpeg");
}

static int is_cifar(const char *name) {
    return !strncmp(name, "cifar10", 7) && !cli_data_is_folder(name);
}

const char *cli_split_name(int split) {
    return split == FFCNN_SPLIT_TEST ? "test" : split == CLI_SPLIT_ALL ? "all" : "val";
}

/* A folder's images come class by class; interleaved (the first image of every class, then
 * the second of each, ...) so that the first N, which --train-limit and --val-limit keep, hold
 * every class alike. */
static int interleave_classes(ffcnn_dataset *ds, char *err) {
    const size_t len = (size_t)ds->channels * ds->height * ds->width;
    int32_t first[257] = {0}, taken[256] = {0};
    for (int32_t i = 0; i < ds->n; i++) first[ds->labels[i] + 1]++;
    for (int k = 0; k < 256; k++) first[k + 1] += first[k];
    uint8_t *pixels = malloc(len * ds->n), *labels = malloc(ds->n);
    if (!pixels || !labels) {
        free(pixels), free(labels);
        return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    }
    for (int32_t out = 0, round = 0; out < ds->n; round++)
        for (int k = 0; k < 256; k++)
            if (first[k] + taken[k] < first[k + 1] && taken[k] == round) {
                const int32_t from = first[k] + taken[k]++;
                memcpy(pixels + len * out, ds->pixels + len * from, len);
                labels[out++] = (uint8_t)k;
            }
    free(ds->pixels), free(ds->labels);
    ds->pixels = pixels, ds->labels = labels;
    return FFCNN_OK;
}

/* The classes of a set that is not a folder, known from its name. */
static void named_set_classes(const cli_opts *o, cli_classes *cl) {
    if (!cl) return;
    cl->named = 0;
    cl->n = !strcmp(o->data_name, "cifar100")          ? 100
            : !strcmp(o->data_name, "cifar100-coarse") ? 20
                                                       : FFCNN_CLASSES;
}

/* The whole training part of a held-out set (CIFAR's training batches, or a folder). */
static int load_training_images(const cli_opts *o, int channels, int height, int width,
                                ffcnn_dataset *all, cli_classes *cl, char *err) {
    named_set_classes(o, cl);
    if (!strcmp(o->data_name, "cifar10"))
        return ffcnn_dataset_load_cifar10(all, o->data_dir, 0, err);
    if (!strncmp(o->data_name, "cifar100", 8))
        return ffcnn_dataset_load_cifar100(all, o->data_dir, 0,
                                           !strcmp(o->data_name, "cifar100-coarse"), err);
    cli_classes none;
    if (!cl) cl = &none;
    int rc = ffcnn_dataset_load_folder(all, o->data_dir, channels, height, width, cl->names,
                                       FFCNN_MAX_CLASSES, &cl->n, err);
    cl->named = rc == FFCNN_OK;
    if (!rc && (rc = interleave_classes(all, err))) ffcnn_dataset_free(all);
    return rc;
}

/* The held-out split's size: --val-split, or 5000 for CIFAR and a tenth of a folder's images. */
static int32_t val_split_size(const cli_opts *o, const ffcnn_dataset *all) {
    if (o->val_split > 0) return o->val_split;
    return is_cifar(o->data_name) ? 5000 : (all->n + 5) / 10;
}

/* all into train and val; all is freed. */
static int hold_out(const cli_opts *o, ffcnn_dataset *all, ffcnn_dataset *train, ffcnn_dataset *val,
                    char *err) {
    char why[FFCNN_ERR_LEN];
    const int32_t n_val = val_split_size(o, all);
    int rc = ffcnn_dataset_split_stratified(all, n_val, CLI_SPLIT_SEED, train, val, why);
    if (rc)
        snprintf(err, FFCNN_ERR_LEN, "--val-split %d: %.400s (%s, %d images)", n_val, why,
                 o->data_name, all->n);
    ffcnn_dataset_free(all);
    return rc;
}

/* The held-out sets' splits: train, val, test (CIFAR's test batch) or all. */
static int load_held_out(const cli_opts *o, int split, int channels, int height, int width,
                         ffcnn_dataset *train, ffcnn_dataset *val, cli_classes *cl, char *err) {
    if (split == FFCNN_SPLIT_TEST && is_cifar(o->data_name)) {
        const int coarse = !strcmp(o->data_name, "cifar100-coarse");
        named_set_classes(o, cl);
        return !strcmp(o->data_name, "cifar10")
                   ? ffcnn_dataset_load_cifar10(train, o->data_dir, 1, err)
                   : ffcnn_dataset_load_cifar100(train, o->data_dir, 1, coarse, err);
    }
    if (split == FFCNN_SPLIT_TEST) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--split test: --data %s has no test split (val holds out part of its images; "
                 "all is every image)",
                 o->data_name);
        return FFCNN_EINVAL;
    }
    ffcnn_dataset all = {0};
    int rc = load_training_images(o, channels, height, width, &all, cl, err);
    if (rc || split == CLI_SPLIT_ALL) return rc ? rc : (*train = all, FFCNN_OK);
    return hold_out(o, &all, train, val, err);
}

static void apply_limits(const cli_opts *o, ffcnn_dataset *train, ffcnn_dataset *val) {
    if (o->train_limit > 0 && o->train_limit < train->n)
        ffcnn_dataset_truncate(train, o->train_limit);
    if (val && o->val_limit > 0 && o->val_limit < val->n) ffcnn_dataset_truncate(val, o->val_limit);
}

int cli_load_train_val(const cli_opts *o, int channels, int height, int width, ffcnn_dataset *train,
                       ffcnn_dataset *val, cli_classes *classes, char *err) {
    int rc;
    if (is_cifar(o->data_name) || cli_data_is_folder(o->data_name)) {
        rc = load_held_out(o, FFCNN_SPLIT_TRAIN, channels, height, width, train, val, classes, err);
        if (!rc && o->val_limit == 0) ffcnn_dataset_free(val);
    } else {
        named_set_classes(o, classes);
        rc = ffcnn_dataset_load_split(train, o->data_dir, FFCNN_SPLIT_TRAIN, err);
        if (!rc && o->val_limit != 0)
            rc = ffcnn_dataset_load_split(val, o->data_dir, FFCNN_SPLIT_VAL, err);
    }
    add_data_hint(o->data_name, o->data_dir, rc, err);
    if (!rc) apply_limits(o, train, val);
    return rc;
}

int cli_load_split(const cli_opts *o, int split, int channels, int height, int width,
                   ffcnn_dataset *ds, cli_classes *classes, char *err) {
    int rc;
    named_set_classes(o, classes);
    if (is_cifar(o->data_name) || cli_data_is_folder(o->data_name)) {
        ffcnn_dataset train = {0}, val = {0};
        rc = load_held_out(o, split, channels, height, width, &train, &val, classes, err);
        if (!rc && split == FFCNN_SPLIT_VAL)
            *ds = val, ffcnn_dataset_free(&train);
        else if (!rc)
            *ds = train;
    } else if (split == CLI_SPLIT_ALL) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--split all: only for folder and CIFAR data (%s has val "
                 "and test)",
                 o->data_name);
        rc = FFCNN_EINVAL;
    } else {
        rc = ffcnn_dataset_load_split(ds, o->data_dir, (enum ffcnn_split)split, err);
    }
    add_data_hint(o->data_name, o->data_dir, rc, err);
    return rc;
}

/* The model's class of each folder class (by name) into to[]; an error names the first folder
 * the model has no class for, and the model's classes. */
static int match_names(const cli_opts *o, const cli_classes *cl, const ffcnn_net *net, int *to,
                       char *err) {
    const int K = ffcnn_net_config(net)->classes;
    for (int k = 0; k < cl->n; k++) {
        to[k] = -1;
        for (int j = 0; j < K && to[k] < 0; j++)
            if (!strcmp(cl->names[k], ffcnn_net_class_name(net, j))) to[k] = j;
        if (to[k] >= 0) continue;
        char known[160];
        cli_class_list(net, known, sizeof known);
        snprintf(err, FFCNN_ERR_LEN,
                 "--data %.16s:%.100s: class folder '%.63s' is not a class of %.100s (its %d "
                 "classes: %s)",
                 o->data_name, o->data_dir, cl->names[k], o->model ? o->model : "the model", K,
                 known);
        return FFCNN_EINVAL;
    }
    return FFCNN_OK;
}

int cli_load_split_for(const cli_opts *o, int split, const ffcnn_net *net, ffcnn_dataset *ds,
                       char *err) {
    const ffcnn_config *c = ffcnn_net_config(net);
    cli_classes *cl = malloc(sizeof *cl);
    if (!cl) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    int rc = cli_load_split(o, split, c->channels, c->height, c->width, ds, cl, err);
    int to[FFCNN_MAX_CLASSES];
    if (!rc && cl->named && ffcnn_net_class_name(net, 0)) {
        rc = match_names(o, cl, net, to, err);
        for (int32_t i = 0; !rc && i < ds->n; i++) ds->labels[i] = (uint8_t)to[ds->labels[i]];
        if (rc) ffcnn_dataset_free(ds);
    }
    free(cl);
    return rc;
}
