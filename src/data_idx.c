/* IDX reader (MNIST, Fashion-MNIST), plain or gzip'd through zlib, and the train/val/test
 * split of docs/method.md §5. Every size in a header is checked against the bytes really present
 * before the dataset is allocated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ffcnn.h"
#include "util.h"

#define IDX_MAX_BYTES ((size_t)1 << 31) /* 2 GiB: far above any MNIST-like file */
#define IDX_MAX_DIM 100000000u

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses an unsigned-byte IDX header of `want_dims` dims; *payload points at the data. */
static int parse_idx(const char *path, const uint8_t *buf, size_t len, int want_dims,
                     uint32_t *dims, const uint8_t **payload, char *err) {
    if (len < 4) return ff_fail(err, FFCNN_EFORMAT, "%s: too short for an IDX header", path);
    if (buf[0] != 0 || buf[1] != 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: not an IDX file (bad magic)", path);
    if (buf[2] != 0x08)
        return ff_fail(err, FFCNN_EFORMAT, "%s: IDX data type 0x%02x is not unsigned byte", path,
                       buf[2]);
    if (buf[3] != want_dims)
        return ff_fail(err, FFCNN_EFORMAT, "%s: IDX has %d dimensions, expected %d", path, buf[3],
                       want_dims);
    const size_t header = 4 + 4 * (size_t)want_dims;
    if (len < header) return ff_fail(err, FFCNN_EFORMAT, "%s: truncated IDX header", path);
    size_t expect = 1;
    for (int d = 0; d < want_dims; d++) {
        dims[d] = be32(buf + 4 + 4 * d);
        if (dims[d] == 0 || dims[d] > IDX_MAX_DIM || !ff_mul_ok(expect, dims[d], &expect) ||
            expect > IDX_MAX_BYTES)
            return ff_fail(err, FFCNN_EFORMAT, "%s: dimension %d of size %u is out of range", path,
                           d, dims[d]);
    }
    if (len - header != expect)
        return ff_fail(err, FFCNN_EFORMAT,
                       "%s: header promises %zu data bytes but the file holds %zu", path, expect,
                       len - header);
    *payload = buf + header;
    return FFCNN_OK;
}

int ffcnn_dataset_load_idx(ffcnn_dataset *ds, const char *images_path, const char *labels_path,
                           char *err) {
    memset(ds, 0, sizeof *ds);
    uint8_t *img = NULL, *lab = NULL;
    size_t img_len = 0, lab_len = 0;
    uint32_t idims[3], ldims[1];
    const uint8_t *ipay = NULL, *lpay = NULL;
    int rc = ff_read_file(images_path, IDX_MAX_BYTES, &img, &img_len, err);
    if (!rc) rc = parse_idx(images_path, img, img_len, 3, idims, &ipay, err);
    if (!rc && (idims[1] > 4096 || idims[2] > 4096))
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: images of %ux%u are larger than 4096x4096",
                     images_path, idims[1], idims[2]);
    if (!rc) rc = ff_read_file(labels_path, IDX_MAX_BYTES, &lab, &lab_len, err);
    if (!rc) rc = parse_idx(labels_path, lab, lab_len, 1, ldims, &lpay, err);
    if (!rc && ldims[0] != idims[0])
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: %u labels for %u images in %s", labels_path, ldims[0],
                     idims[0], images_path);
    for (uint32_t i = 0; !rc && i < ldims[0]; i++)
        if (lpay[i] >= FFCNN_CLASSES)
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: label %u of item %u is not in 0..9", labels_path,
                         lpay[i], i);
    if (!rc) {
        const size_t npix = img_len - 16;
        ds->pixels = malloc(npix);
        ds->labels = malloc(ldims[0]);
        if (!ds->pixels || !ds->labels) {
            ffcnn_dataset_free(ds);
            rc = ff_fail(err, FFCNN_ENOMEM, "%s: out of memory", images_path);
        } else {
            memcpy(ds->pixels, ipay, npix);
            memcpy(ds->labels, lpay, ldims[0]);
            ds->n = (int32_t)idims[0];
            ds->channels = 1;
            ds->height = (int32_t)idims[1];
            ds->width = (int32_t)idims[2];
        }
    }
    free(img);
    free(lab);
    return rc;
}

/* dir/name, or dir/name.gz when only that exists. */
static void find_file(char *out, size_t cap, const char *dir, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
    FILE *f = fopen(out, "rb");
    if (f) {
        fclose(f);
        return;
    }
    char gz[4096];
    snprintf(gz, sizeof gz, "%s/%s.gz", dir, name);
    f = fopen(gz, "rb");
    if (f) {
        fclose(f);
        snprintf(out, cap, "%s", gz);
    }
}

/* Keeps rows [from, from + n) of ds. */
static void keep_rows(ffcnn_dataset *ds, int32_t from, int32_t n) {
    const size_t len = (size_t)ds->channels * ds->height * ds->width;
    memmove(ds->pixels, ds->pixels + (size_t)from * len, (size_t)n * len);
    memmove(ds->labels, ds->labels + from, (size_t)n);
    ds->n = n;
}

#define VALIDATION_SIZE 10000 /* docs/method.md §5: the last 10k training images */

int ffcnn_dataset_load_split(ffcnn_dataset *ds, const char *dir, enum ffcnn_split split,
                             char *err) {
    char images[4096], labels[4096];
    const char *stem = split == FFCNN_SPLIT_TEST ? "t10k" : "train";
    char name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", stem);
    find_file(images, sizeof images, dir, name);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", stem);
    find_file(labels, sizeof labels, dir, name);
    int rc = ffcnn_dataset_load_idx(ds, images, labels, err);
    if (rc && split == FFCNN_SPLIT_VAL) { /* say why the training files are read */
        char why[FFCNN_ERR_LEN];
        snprintf(why, sizeof why, "%s", err);
        return ff_fail(err, rc, "validation split (the last %d training images): %s",
                       VALIDATION_SIZE, why);
    }
    if (rc || split == FFCNN_SPLIT_TEST) return rc;
    if (ds->n <= VALIDATION_SIZE) {
        ffcnn_dataset_free(ds);
        return ff_fail(err, FFCNN_EFORMAT,
                       "%s: %s holds too few images for a %d-image validation split", images, dir,
                       VALIDATION_SIZE);
    }
    const int32_t n_train = ds->n - VALIDATION_SIZE;
    if (split == FFCNN_SPLIT_TRAIN)
        keep_rows(ds, 0, n_train);
    else
        keep_rows(ds, n_train, VALIDATION_SIZE);
    return FFCNN_OK;
}

void ffcnn_dataset_truncate(ffcnn_dataset *ds, int32_t n) {
    if (n >= 0 && n < ds->n) ds->n = n;
}

void ffcnn_dataset_free(ffcnn_dataset *ds) {
    free(ds->pixels);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}
