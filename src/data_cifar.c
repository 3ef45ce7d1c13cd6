/* CIFAR-10 and CIFAR-100 readers (the official binary versions, plain or gzip'd through zlib),
 * and the stratified validation split every data set can use.
 *
 * A CIFAR record is its label byte(s) then 3072 pixel bytes: 1024 red, 1024 green, 1024 blue,
 * each plane 32 x 32 row-major, which is ffcnn's planar layout already. Files are read record by
 * record into buffers that grow with what is really there (a gzip'd file's length is only known
 * once it is read), so nothing is allocated for bytes a file does not hold. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ffcnn.h"
#include "rng.h"
#include "util.h"

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE) /* 3072 */
#define CIFAR_MAX_RECORDS 1000000 /* 3 GiB of pixels: far above CIFAR's 60,000 images */
#define CHUNK_RECORDS 256         /* records per gzread */

/* The seed stream of the validation split: independent of training's streams (rng.h). */
#define SPLIT_STREAM 0x56414c53504c4954ull /* "VALSPLIT" */

/* One CIFAR flavour: the label bytes before the pixels, and which of them is the label. */
typedef struct cifar_format {
    const char *name; /* "CIFAR-10", "CIFAR-100" */
    int label_bytes;  /* 1 or 2 */
    int use;          /* index of the label byte kept */
    int classes[2];   /* range of each label byte */
} cifar_format;

/* The dataset being filled: capacity in records. */
typedef struct grow {
    ffcnn_dataset *ds;
    size_t cap;
} grow;

static int reserve(grow *g, size_t want, const char *path, char *err) {
    if (want <= g->cap) return FFCNN_OK;
    size_t cap = g->cap ? g->cap : 1024;
    while (cap < want) cap *= 2;
    if (cap > CIFAR_MAX_RECORDS) cap = CIFAR_MAX_RECORDS;
    size_t bytes;
    uint8_t *px = ff_mul_ok(cap, CIFAR_PIXELS, &bytes) ? realloc(g->ds->pixels, bytes) : NULL;
    if (px) g->ds->pixels = px;
    uint8_t *lab = px ? realloc(g->ds->labels, cap) : NULL;
    if (lab) g->ds->labels = lab;
    if (!px || !lab) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory", path);
    g->cap = cap;
    return FFCNN_OK;
}

/* Appends the records of one file to g->ds. Reads the whole file before judging it, so that a
 * gzip stream cut short (which zlib reports only at close) is named as such rather than as a
 * record-length or label problem it causes. */
static int read_cifar_file(grow *g, const char *path, const cifar_format *fmt, char *err) {
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return ff_fail(err, FFCNN_EIO, "%s: cannot open (%s)", path,
                       errno ? strerror(errno) : "not readable");
    const size_t rec = (size_t)fmt->label_bytes + CIFAR_PIXELS;
    uint8_t *chunk = malloc(rec * CHUNK_RECORDS);
    size_t records = 0, tail = 0; /* whole records read, bytes of a last partial one */
    long bad_record = -1;         /* first record with a label out of range */
    int bad_label = 0, bad_byte = 0;
    int rc = chunk ? FFCNN_OK : ff_fail(err, FFCNN_ENOMEM, "%s: out of memory", path);
    char read_error[256] = ""; /* copied: zlib's message dies with the stream */
    while (!rc) {
        int got = gzread(f, chunk, (unsigned)(rec * CHUNK_RECORDS));
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            const size_t plen = strlen(path); /* zlib says "PATH: what"; we name path once */
            if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0) msg += plen + 2;
            snprintf(read_error, sizeof read_error, "%s", *msg ? msg : "zlib error");
            break;
        }
        const size_t whole = (size_t)got / rec;
        tail = (size_t)got % rec;
        if (whole == 0) break;
        if (g->ds->n + records + whole > CIFAR_MAX_RECORDS) {
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: more than %d CIFAR records in all", path,
                         CIFAR_MAX_RECORDS);
            break;
        }
        rc = reserve(g, g->ds->n + records + whole, path, err);
        for (size_t r = 0; !rc && r < whole; r++) {
            const uint8_t *p = chunk + r * rec;
            const size_t at = g->ds->n + records + r;
            for (int b = 0; b < fmt->label_bytes && bad_record < 0; b++)
                if (p[b] >= fmt->classes[b]) {
                    bad_record = (long)(records + r);
                    bad_label = p[b];
                    bad_byte = b;
                }
            g->ds->labels[at] = p[fmt->use];
            memcpy(g->ds->pixels + at * CIFAR_PIXELS, p + fmt->label_bytes, CIFAR_PIXELS);
        }
        records += whole;
        if (tail) break; /* gzread fills the buffer unless the file ended */
    }
    /* zlib reports a stream cut short (a missing trailer: no CRC check) only at close */
    const int closed = gzclose(f);
    free(chunk);
    if (rc) return rc;
    if (read_error[0]) return ff_fail(err, FFCNN_EFORMAT, "%s: read error (%s)", path, read_error);
    if (closed != Z_OK)
        return ff_fail(err, FFCNN_EFORMAT, "%s: truncated or corrupt gzip stream", path);
    const size_t bytes = records * rec + tail;
    if (bytes == 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: empty (no %s records)", path, fmt->name);
    if (tail)
        return ff_fail(err, FFCNN_EFORMAT,
                       "%s: %zu bytes is not a whole number of %zu-byte %s records", path, bytes,
                       rec, fmt->name);
    if (bad_record >= 0) {
        const char *which = fmt->label_bytes == 1 ? "label"
                            : bad_byte == 0       ? "coarse label"
                                                  : "fine label";
        return ff_fail(err, FFCNN_EFORMAT, "%s: %s %d of record %ld is not in 0..%d", path, which,
                       bad_label, bad_record, fmt->classes[bad_byte] - 1);
    }
    g->ds->n += (int32_t)records;
    return FFCNN_OK;
}

/* dir/name, or dir/name.gz when only that exists; FFCNN_EIO naming both when neither does. */
static int find_cifar_file(char *out, size_t cap, const char *dir, const char *name,
                           const char *what, char *err) {
    struct stat st;
    int len = snprintf(out, cap, "%s/%s", dir, name);
    if (len < 0 || (size_t)len + 3 >= cap)
        return ff_fail(err, FFCNN_EINVAL, "%s: directory name too long", dir);
    if (stat(out, &st) == 0) return FFCNN_OK;
    const int plain_errno = errno;
    snprintf(out, cap, "%s/%s.gz", dir, name);
    if (stat(out, &st) == 0) return FFCNN_OK;
    if (plain_errno != ENOENT) { /* there but unreachable: say why */
        snprintf(out, cap, "%s/%s", dir, name);
        return ff_fail(err, FFCNN_EIO, "%s: cannot open (%s)", out, strerror(plain_errno));
    }
    return ff_fail(err, FFCNN_EIO, "%s: no %s or %s.gz (the %s)", dir, name, name, what);
}

static int load_cifar(ffcnn_dataset *ds, const char *dir, const char *const *names, int n_names,
                      const char *what, const cifar_format *fmt, char *err) {
    if (!ds || !dir)
        return ff_fail(err, FFCNN_EINVAL, "%s reader: no dataset or directory", fmt->name);
    memset(ds, 0, sizeof *ds);
    grow g = {ds, 0};
    int rc = FFCNN_OK;
    for (int i = 0; !rc && i < n_names; i++) {
        char path[4096];
        rc = find_cifar_file(path, sizeof path, dir, names[i], what, err);
        if (!rc) rc = read_cifar_file(&g, path, fmt, err);
    }
    if (rc) {
        ffcnn_dataset_free(ds);
        return rc;
    }
    ds->channels = 3;
    ds->height = ds->width = CIFAR_SIDE;
    return FFCNN_OK;
}

int ffcnn_dataset_load_cifar10(ffcnn_dataset *ds, const char *dir, int test, char *err) {
    static const char *const train[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                        "data_batch_4.bin", "data_batch_5.bin"};
    static const char *const tests[] = {"test_batch.bin"};
    const cifar_format fmt = {"CIFAR-10", 1, 0, {10, 0}};
    return test ? load_cifar(ds, dir, tests, 1, "CIFAR-10 test batch", &fmt, err)
                : load_cifar(ds, dir, train, 5, "CIFAR-10 training batch", &fmt, err);
}

int ffcnn_dataset_load_cifar100(ffcnn_dataset *ds, const char *dir, int test, int coarse,
                                char *err) {
    static const char *const train[] = {"train.bin"};
    static const char *const tests[] = {"test.bin"};
    const cifar_format fmt = {"CIFAR-100", 2, coarse ? 0 : 1, {20, 100}};
    return load_cifar(ds, dir, test ? tests : train, 1,
                      test ? "CIFAR-100 test set" : "CIFAR-100 training set", &fmt, err);
}

/* ---- stratified validation split ---- */

/* Copies the images of all whose flag equals `which` into out, in their order. */
static void gather(const ffcnn_dataset *all, const uint8_t *is_val, uint8_t which,
                   ffcnn_dataset *out) {
    const size_t len = (size_t)all->channels * all->height * all->width;
    int32_t k = 0;
    for (int32_t i = 0; i < all->n; i++) {
        if (is_val[i] != which) continue;
        memcpy(out->pixels + (size_t)k * len, all->pixels + (size_t)i * len, len);
        out->labels[k++] = all->labels[i];
    }
}

int ffcnn_dataset_split_stratified(const ffcnn_dataset *all, int32_t n_val, uint64_t seed,
                                   ffcnn_dataset *train, ffcnn_dataset *val, char *err) {
    if (!all || !train || !val || train == val || train == all || val == all)
        return ff_fail(err, FFCNN_EINVAL, "stratified split: three distinct datasets needed");
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    if (all->n < 2 || !all->pixels || !all->labels)
        return ff_fail(err, FFCNN_EINVAL, "stratified split: a set of %d images cannot be split",
                       all->n);
    if (n_val < 1 || n_val >= all->n)
        return ff_fail(err, FFCNN_EINVAL,
                       "stratified split: %d validation images is not in 1..%d (the set holds %d)",
                       n_val, all->n - 1, all->n);
    int32_t count[256] = {0}, want[256] = {0};
    int classes = 0;
    for (int32_t i = 0; i < all->n; i++) {
        count[all->labels[i]]++;
        if (all->labels[i] + 1 > classes) classes = all->labels[i] + 1;
    }
    for (int c = 0; c < classes; c++) {
        want[c] = n_val / classes + (c < n_val % classes);
        if (count[c] < want[c])
            return ff_fail(err, FFCNN_EINVAL,
                           "stratified split: class %d has %d images, fewer than the %d of %d "
                           "validation images it should give (%d classes)",
                           c, count[c], want[c], n_val, classes);
    }
    const size_t len = (size_t)all->channels * all->height * all->width;
    int32_t *idx = malloc((size_t)all->n * sizeof *idx);
    uint8_t *is_val = calloc((size_t)all->n, 1);
    int rc = idx && is_val ? FFCNN_OK : FFCNN_ENOMEM;
    /* each class's images, in order, shuffled by a stream of their own; the first want[c] go */
    for (int c = 0; !rc && c < classes; c++) {
        int32_t m = 0;
        for (int32_t i = 0; i < all->n; i++)
            if (all->labels[i] == c) idx[m++] = i;
        ff_rng r;
        ff_rng_stream(&r, seed, SPLIT_STREAM, (uint64_t)c, 0);
        ff_rng_shuffle(&r, idx, m);
        for (int32_t k = 0; k < want[c]; k++) is_val[idx[k]] = 1;
    }
    if (!rc) {
        train->pixels = malloc((size_t)(all->n - n_val) * len);
        train->labels = malloc((size_t)(all->n - n_val));
        val->pixels = malloc((size_t)n_val * len);
        val->labels = malloc((size_t)n_val);
        if (!train->pixels || !train->labels || !val->pixels || !val->labels) rc = FFCNN_ENOMEM;
    }
    free(idx);
    if (rc) {
        free(is_val);
        ffcnn_dataset_free(train);
        ffcnn_dataset_free(val);
        return ff_fail(err, FFCNN_ENOMEM, "stratified split: out of memory");
    }
    train->n = all->n - n_val, val->n = n_val;
    train->channels = val->channels = all->channels;
    train->height = val->height = all->height;
    train->width = val->width = all->width;
    gather(all, is_val, 0, train);
    gather(all, is_val, 1, val);
    free(is_val);
    return FFCNN_OK;
}
