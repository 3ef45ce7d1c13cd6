/* Shared helpers of the fuzz targets: per-process temporary files (the readers take paths),
 * gzip in memory, and a check that fails loudly. */
#ifndef FFCNN_FUZZ_UTIL_H
#define FFCNN_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ffcnn.h"

/* A broken contract: report it and abort, so libFuzzer saves the input as a crash. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* With FFCNN_FUZZ_VERBOSE=1 in the environment, each call's outcome goes to stderr (for
 * checking what a seed or a regression input reaches; leave it unset while fuzzing). */
static inline void fz_report(const char *what, int rc, const char *err) {
    static int verbose = -1;
    if (verbose < 0) {
        const char *v = getenv("FFCNN_FUZZ_VERBOSE");
        verbose = v && *v && strcmp(v, "0") != 0;
    }
    if (verbose) fprintf(stderr, "%s: rc %d%s%s\n", what, rc, rc ? ": " : "", rc ? err : "");
}

/* The config's augmentation formats to a text that parses back to the same fields. */
static inline void fz_check_augment_round_trip(const ffcnn_config *c, const char *what) {
    char text[64], err[FFCNN_ERR_LEN] = "";
    ffcnn_augment_format(c, text, sizeof text);
    ffcnn_config back = *c;
    back.augment_pad = back.augment_flip = -1;
    const int rc = ffcnn_augment_parse(&back, text, err);
    fz_report(what, rc, err);
    FZ_CHECK(rc == FFCNN_OK && back.augment_pad == c->augment_pad &&
             back.augment_flip == c->augment_flip);
}

/* $TMPDIR (or /tmp) / ffcnn_fuzz_<pid>_<tag>: one name per process, so parallel fuzzers and
 * -fork/-jobs workers never share a file. */
static inline void fz_temp_path(char *out, size_t cap, const char *tag) {
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(out, cap, "%s/ffcnn_fuzz_%ld_%s", dir, (long)getpid(), tag);
}

static inline void fz_write_file(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        abort();
    }
    if (n && fwrite(p, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
}

/* Reads a whole file into a malloc'd buffer; NULL if it cannot. */
static inline uint8_t *fz_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown, cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* gzip (RFC 1952) of p[0..n) into a malloc'd buffer; aborts on failure. */
static inline uint8_t *fz_gzip(const uint8_t *p, size_t n, int level, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    const size_t cap = deflateBound(&zs, (uLong)n) + 32;
    uint8_t *out = malloc(cap);
    if (!out) abort();
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

#endif
