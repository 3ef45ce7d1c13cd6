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

/* The whole training part of a held-out set (CIFAR's training batches, or a folder). */
static int load_training_images(const cli_opts *o, int channels, int height, int width,
                                ffcnn_dataset *all, char *err) {
    if (!strcmp(o->data_name, "cifar10"))
        return ffcnn_dataset_load_cifar10(all, o->data_dir, 0, err);
    if (!strncmp(o->data_name, "cifar100", 8))
        return ffcnn_dataset_load_cifar100(all, o->data_dir, 0, o->data_name[8] == '-', err);
    int rc =
        ffcnn_dataset_load_folder(all, o->data_dir, channels, height, width, NULL, 256, NULL, err);
    if (!rc && (rc = interleave_classes(all, err))) ffcnn_dataset_free(all);
    return rc;
}

/* Networks have FFCNN_CLASSES outputs: a set with larger labels (CIFAR-100's fine labels) is
 * refused here, before any split, with the reason. */
static int check_classes(const cli_opts *o, ffcnn_dataset *ds, char *err) {
    for (int32_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= FFCNN_CLASSES) {
            snprintf(err, FFCNN_ERR_LEN,
                     "--data %s: image %d has label %d, but ffcnn's networks have %d classes "
                     "(0..%d)%s",
                     o->data_name, i, ds->labels[i], FFCNN_CLASSES, FFCNN_CLASSES - 1,
                     !strcmp(o->data_name, "cifar100") ? "; cifar100-coarse has 20" : "");
            ffcnn_dataset_free(ds);
            return FFCNN_EINVAL;
        }
    return FFCNN_OK;
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
                         ffcnn_dataset *train, ffcnn_dataset *val, char *err) {
    if (split == FFCNN_SPLIT_TEST && is_cifar(o->data_name)) {
        const int coarse = o->data_name[8] == '-';
        const int rc = !strcmp(o->data_name, "cifar10")
                           ? ffcnn_dataset_load_cifar10(train, o->data_dir, 1, err)
                           : ffcnn_dataset_load_cifar100(train, o->data_dir, 1, coarse, err);
        return rc ? rc : check_classes(o, train, err);
    }
    if (split == FFCNN_SPLIT_TEST) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--split test: --data %s has no test split (val holds out part of its images; "
                 "all is every image)",
                 o->data_name);
        return FFCNN_EINVAL;
    }
    ffcnn_dataset all = {0};
    int rc = load_training_images(o, channels, height, width, &all, err);
    if (!rc) rc = check_classes(o, &all, err);
    if (rc || split == CLI_SPLIT_ALL) return rc ? rc : (*train = all, FFCNN_OK);
    return hold_out(o, &all, train, val, err);
}

static void apply_limits(const cli_opts *o, ffcnn_dataset *train, ffcnn_dataset *val) {
    if (o->train_limit > 0 && o->train_limit < train->n)
        ffcnn_dataset_truncate(train, o->train_limit);
    if (val && o->val_limit > 0 && o->val_limit < val->n) ffcnn_dataset_truncate(val, o->val_limit);
}

int cli_load_train_val(const cli_opts *o, int channels, int height, int width, ffcnn_dataset *train,
                       ffcnn_dataset *val, char *err) {
    int rc;
    if (is_cifar(o->data_name) || cli_data_is_folder(o->data_name)) {
        rc = load_held_out(o, FFCNN_SPLIT_TRAIN, channels, height, width, train, val, err);
        if (!rc && o->val_limit == 0) ffcnn_dataset_free(val);
    } else {
        rc = ffcnn_dataset_load_split(train, o->data_dir, FFCNN_SPLIT_TRAIN, err);
        if (!rc && o->val_limit != 0)
            rc = ffcnn_dataset_load_split(val, o->data_dir, FFCNN_SPLIT_VAL, err);
    }
    add_data_hint(o->data_name, o->data_dir, rc, err);
    if (!rc) apply_limits(o, train, val);
    return rc;
}

int cli_load_split(const cli_opts *o, int split, int channels, int height, int width,
                   ffcnn_dataset *ds, char *err) {
    int rc;
    if (is_cifar(o->data_name) || cli_data_is_folder(o->data_name)) {
        ffcnn_dataset train = {0}, val = {0};
        rc = load_held_out(o, split, channels, height, width, &train, &val, err);
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
