/* Fuzzes the model-file reader, ffcnn_load() (docs/checkpoint-format.md):
 *
 *   byte 0   flags: bit 0 recompute the trailing CRC-32 (zlib, bytes 8 .. len-4) so that
 *            mutations get past the checksum to the checks behind it; clear: the file as is.
 *            bit 1 evaluate the loaded network on two images (small networks only);
 *            bits 2-3 conv path for that (0/3 auto, 1 im2col, 2 fft)
 *   rest     the model file
 *
 * Checks the contract: on failure a message and no network; on success a valid configuration
 * (algorithm ff or bp; ff for every file older than version 4), the augmentation as the file
 * holds it (version 5: augment_pad | augment_flip << 8 at offset 412; none before version 5)
 * and class names as the file holds them (version 5 with a count of K: K names of 1..63 bytes
 * of UTF-8 without control characters, no two equal, zero-padded in the file; none otherwise).
 * ffcnn_save() writes a version-5 file for a model with names or augmentation, else a version-4
 * one, that loads back to the same network (configuration, algorithm and augmentation, layer
 * list, weights, training position, conv paths, data identity, class names). A version-4 file,
 * and a version-5 file with names or augmentation, comes back byte for byte (the reader refuses
 * non-zero entries past the list's length, a non-zero reserved field, a data set name without
 * its NUL and a class name not zero-padded, so every file it accepts is canonical); a version-5
 * file with a count of 0 and no augmentation comes back as version 4 without the count. A
 * version-3 file comes back as version 4 with the same header fields, algorithm ff, and the
 * same parameter count and payload; a version-1 or version-2 file as version 4 with the same
 * parameters and Adam moments and no data identity. The names a file held are accepted again
 * by ffcnn_net_set_class_names() (the same bytes saved), and removing them gives the file
 * without its names: version 4, or, with augmentation, version 5 with a count of 0. The
 * augmentation's text (ffcnn_augment_format) parses back to the same fields. Evaluating a bp
 * network reports no goodness accuracy, and goodness inference of one is refused; a label past
 * the class count is refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ffcnn.h"
#include "ffcnn_bench.h"
#include "fuzz_util.h"

/* Bounds on what one evaluation may cost (per sample: direct conv multiply-adds, floats). */
#define EVAL_MAX_MACS 200000.0
#define EVAL_MAX_ACTS 8192.0

/* Header lengths of versions 1 to 4, and where version 4 differs from version 3
 * (docs/checkpoint-format.md): the algorithm and a reserved field (0) at 408, P at 416. Version
 * 5 has version 4's header, the augmentation in the reserved field (augment_pad in bits 0-7,
 * augment_flip in bits 8-15, the rest 0) and, after the payload (at 424 + 12 P), a count N (0
 * or the class count) and N names of 64 bytes each. */
#define V1_HEADER 104u
#define V2_HEADER 120u
#define V3_HEADER 416u
#define V3_P 408u
#define V4_HEADER 424u
#define V4_ALGO 408u
#define V4_RESERVED 412u
#define V4_P 416u
#define NAME_BYTES 64u

/* A confusion matrix of n images ([true][predicted], FFCNN_MAX_CLASSES square): n counts in
 * the classes x classes corner, in the rows of the images' labels; 0 elsewhere. */
static void check_confusion(const int32_t m[FFCNN_MAX_CLASSES][FFCNN_MAX_CLASSES], int classes,
                            int n, const uint8_t *labels) {
    int64_t total = 0, in_rows = 0;
    for (int y = 0; y < FFCNN_MAX_CLASSES; y++)
        for (int p = 0; p < FFCNN_MAX_CLASSES; p++) {
            FZ_CHECK(m[y][p] >= 0);
            if (y >= classes || p >= classes) FZ_CHECK(m[y][p] == 0);
            total += m[y][p];
        }
    FZ_CHECK(total == n);
    for (int p = 0; n && p < classes; p++) {
        in_rows += m[labels[0]][p];
        if (labels[1] != labels[0]) in_rows += m[labels[1]][p];
    }
    FZ_CHECK(in_rows == n);
}

static void evaluate(ffcnn_net *net, const uint8_t *data, size_t size, int path) {
    const ffcnn_config *c = ffcnn_net_config(net);
    /* Walk the layer list as the network does: conv keeps the size ("same" padding) and sets
     * the channels, pooling divides height and width (floor). */
    double acts = 0.0, macs = 0.0;
    int64_t ch = c->channels, h = c->height, w = c->width;
    for (int i = 0; i < c->n_layers; i++) {
        const ffcnn_layer_spec *s = &c->layer[i];
        if (s->kind == FFCNN_LAYER_CONV) {
            macs += (double)ch * s->filters * s->size * s->size * (double)(h * w);
            ch = s->filters;
        } else {
            h /= s->size, w /= s->size;
        }
        acts += (double)(ch * h * w);
    }
    if (acts > EVAL_MAX_ACTS || macs > EVAL_MAX_MACS) return;
    char err[FFCNN_ERR_LEN];
    if (path != FFCNN_CONV_AUTO) {
        err[0] = '\0';
        const int rc = ffcnn_net_set_conv_path(net, (enum ffcnn_conv_path)path, err);
        if (rc) {
            FZ_CHECK(err[0] != '\0');
            return;
        }
    }
    ffcnn_dataset ds = {.n = 2, .channels = c->channels, .height = c->height, .width = c->width};
    const size_t len = (size_t)c->channels * c->height * c->width;
    ds.pixels = malloc(2 * len);
    ds.labels = malloc(2);
    FZ_CHECK(ds.pixels && ds.labels);
    for (size_t i = 0; i < 2 * len; i++) ds.pixels[i] = data[i % size];
    ds.labels[0] = (uint8_t)(data[0] % c->classes);
    ds.labels[1] = (uint8_t)(data[size - 1] % c->classes);
    ffcnn_eval_result res;
    const int bp = c->algo == FFCNN_ALGO_BP;
    err[0] = '\0';
    int rc = ffcnn_evaluate(net, &ds, FFCNN_EVAL_BOTH, &res, err);
    fz_report("ffcnn_evaluate", rc, err);
    if (rc == FFCNN_OK) {
        FZ_CHECK(res.n == 2 && res.classes == c->classes);
        if (bp) /* no goodness: "both" is the linear head alone */
            FZ_CHECK(res.accuracy_goodness == -1.0);
        else
            FZ_CHECK(res.accuracy_goodness >= 0.0 && res.accuracy_goodness <= 1.0);
        FZ_CHECK(res.accuracy_linear >= 0.0 && res.accuracy_linear <= 1.0);
        check_confusion(res.confusion_linear, c->classes, 2, ds.labels);
        check_confusion(res.confusion_goodness, c->classes, bp ? 0 : 2, ds.labels);
    } else {
        FZ_CHECK(err[0] != '\0');
    }
    if (bp) { /* goodness inference of a bp network: refused, with a message */
        err[0] = '\0';
        rc = ffcnn_evaluate(net, &ds, FFCNN_EVAL_GOODNESS, &res, err);
        fz_report("ffcnn_evaluate (goodness, bp)", rc, err);
        FZ_CHECK(rc == FFCNN_EINVAL && strstr(err, "no goodness") != NULL);
    }
    if (c->classes < 256) { /* a label past the class count: refused, with a message */
        ds.labels[1] = (uint8_t)c->classes;
        err[0] = '\0';
        rc = ffcnn_evaluate(net, &ds, FFCNN_EVAL_LINEAR, &res, err);
        fz_report("ffcnn_evaluate (label out of range)", rc, err);
        FZ_CHECK(rc == FFCNN_EFORMAT && strstr(err, "label") != NULL);
    }
    ffcnn_dataset_free(&ds);
}

#define SAME(field) (memcmp(&a->field, &b->field, sizeof a->field) == 0)

/* Field by field (bitwise for the floats), so that struct padding never counts. */
static void check_same_config(const ffcnn_config *a, const ffcnn_config *b) {
    FZ_CHECK(a->n_layers == b->n_layers);
    for (int i = 0; i < a->n_layers; i++) {
        FZ_CHECK(a->layer[i].kind == b->layer[i].kind);
        FZ_CHECK(a->layer[i].filters == b->layer[i].filters);
        FZ_CHECK(a->layer[i].size == b->layer[i].size);
    }
    FZ_CHECK(SAME(channels) && SAME(height) && SAME(width) && SAME(classes));
    FZ_CHECK(SAME(label_kind) && SAME(label_k) && SAME(train_from) && SAME(batch));
    FZ_CHECK(SAME(epochs) && SAME(lr) && SAME(seed) && SAME(classifier_lr) && SAME(algo));
    FZ_CHECK(SAME(augment_pad) && SAME(augment_flip));
    char na[512], nb[512];
    ffcnn_config_format_net(a, na, sizeof na);
    ffcnn_config_format_net(b, nb, sizeof nb);
    FZ_CHECK(na[0] != '\0' && strcmp(na, nb) == 0);
    FZ_CHECK(ffcnn_config_conv_layers(a) == ffcnn_config_conv_layers(b));
}

/* The reloaded copy is the same network. */
static void check_same_net(const ffcnn_net *x, const ffcnn_net *y) {
    check_same_config(ffcnn_net_config(x), ffcnn_net_config(y));
    char hx[65], hy[65];
    ffcnn_net_weights_sha256(x, hx);
    ffcnn_net_weights_sha256(y, hy);
    FZ_CHECK(strlen(hx) == 64 && strcmp(hx, hy) == 0);
    FZ_CHECK(ffcnn_net_epochs_done(x) == ffcnn_net_epochs_done(y));
    FZ_CHECK(ffcnn_net_step_in_epoch(x) == ffcnn_net_step_in_epoch(y));
    const double vx = ffcnn_net_last_val_accuracy(x), vy = ffcnn_net_last_val_accuracy(y);
    FZ_CHECK(memcmp(&vx, &vy, sizeof vx) == 0);
    FZ_CHECK(ffcnn_net_conv_paths_settled(x) == ffcnn_net_conv_paths_settled(y));
    if (ffcnn_net_conv_paths_settled(x)) {
        const int L = ffcnn_config_conv_layers(ffcnn_net_config(x));
        for (int j = 0; j < L; j++)
            FZ_CHECK(strcmp(ffcnn_net_layer_conv_path(x, j), ffcnn_net_layer_conv_path(y, j)) == 0);
    }
    const ffcnn_data_identity *a = ffcnn_net_data_identity(x), *b = ffcnn_net_data_identity(y);
    FZ_CHECK(memchr(a->name, '\0', sizeof a->name) != NULL && strcmp(a->name, b->name) == 0);
    FZ_CHECK(SAME(train_limit) && SAME(val_limit) && SAME(fingerprint));
    const int K = ffcnn_net_config(x)->classes;
    for (int k = -1; k <= K; k++) {
        const char *nx = ffcnn_net_class_name(x, k), *ny = ffcnn_net_class_name(y, k);
        FZ_CHECK((nx == NULL) == (ny == NULL));
        FZ_CHECK(!nx || strcmp(nx, ny) == 0);
    }
}

#undef SAME

/* Version 5's field at offset 412 for c: augment_pad | augment_flip << 8 (0: none). */
static uint32_t augment_field(const ffcnn_config *c) {
    return (uint32_t)c->augment_pad | (uint32_t)c->augment_flip << 8;
}

/* The augmentation of a loaded network: a pad of 0..8 and a flip of 0 or 1, the file's field at
 * 412 in version 5; none in the earlier versions (version 4's field there is 0). Its text, from
 * ffcnn_augment_format(), parses back to the same fields. */
static void check_loaded_augment(const ffcnn_net *net, const uint8_t *file, uint32_t version) {
    const ffcnn_config *c = ffcnn_net_config(net);
    FZ_CHECK(c->augment_pad >= 0 && c->augment_pad <= FFCNN_MAX_AUGMENT_PAD);
    FZ_CHECK(c->augment_flip == 0 || c->augment_flip == 1);
    if (version >= 4) {
        uint32_t raw;
        memcpy(&raw, file + V4_RESERVED, 4);
        FZ_CHECK(raw == augment_field(c));
    }
    if (version < 5) FZ_CHECK(augment_field(c) == 0);
    fz_check_augment_round_trip(c, "ffcnn_augment_parse (the model's augmentation)");
}

/* The code point at s (UTF-8, RFC 3629), its length in *n; -1 when not well-formed. Decodes
 * rather than matching byte ranges (the library's way), so that the two can disagree. */
static long utf8_decode(const unsigned char *s, int *n) {
    static const long min[5] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned c = s[0];
    *n = c < 0x80             ? 1
         : (c & 0xe0) == 0xc0 ? 2
         : (c & 0xf0) == 0xe0 ? 3
         : (c & 0xf8) == 0xf0 ? 4
                              : 0;
    if (!*n) return -1;
    long cp = *n == 1 ? (long)c : (long)(c & (0x7fu >> *n));
    for (int i = 1; i < *n; i++) {
        if ((s[i] & 0xc0) != 0x80) return -1;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min[*n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    return cp;
}

/* The class names of a loaded network: all K or none; as the file holds them (version 5 with a
 * count of K), each 1..63 bytes of UTF-8 without C0 or C1 controls or DEL, zero-padded in the file,
 * no two equal; none for a file older than version 5 or with a count of 0. */
static void check_loaded_names(const ffcnn_net *net, const uint8_t *file, size_t size,
                               uint32_t version) {
    const int K = ffcnn_net_config(net)->classes;
    FZ_CHECK(ffcnn_net_class_name(net, -1) == NULL && ffcnn_net_class_name(net, K) == NULL);
    FZ_CHECK(ffcnn_net_class_name(net, INT32_MIN) == NULL);
    FZ_CHECK(ffcnn_net_class_name(net, INT32_MAX) == NULL);
    const int named = ffcnn_net_class_name(net, 0) != NULL;
    for (int k = 0; k < K; k++) FZ_CHECK((ffcnn_net_class_name(net, k) != NULL) == named);
    if (version < 5) {
        FZ_CHECK(!named);
        return;
    }
    uint64_t P;
    memcpy(&P, file + V4_P, 8);
    FZ_CHECK(P <= size / 12);
    const size_t at = V4_HEADER + 12 * (size_t)P; /* the count */
    FZ_CHECK(at + 8 <= size);
    int32_t n;
    memcpy(&n, file + at, 4);
    FZ_CHECK(n == (named ? K : 0));
    FZ_CHECK(size == at + 4 + (size_t)n * NAME_BYTES + 4);
    for (int k = 0; k < n; k++) {
        const char *name = ffcnn_net_class_name(net, k);
        const uint8_t *raw = file + at + 4 + (size_t)k * NAME_BYTES;
        const size_t len = strlen(name);
        FZ_CHECK(len >= 1 && len < NAME_BYTES && memcmp(raw, name, len + 1) == 0);
        for (size_t i = len; i < NAME_BYTES; i++) FZ_CHECK(raw[i] == 0);
        for (const unsigned char *q = (const unsigned char *)name; *q;) {
            int step;
            const long cp = utf8_decode(q, &step);
            FZ_CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f)); /* no C0, C1, DEL */
            q += step;
        }
        for (int j = 0; j < k; j++) FZ_CHECK(strcmp(ffcnn_net_class_name(net, j), name) != 0);
    }
}

/* Saves the loaded network, checks the bytes against the file it came from, and loads them
 * back. */
static void check_round_trip(const ffcnn_net *net, const uint8_t *file, size_t size,
                             const char *copy) {
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    int rc = ffcnn_save(net, copy, err);
    fz_report("ffcnn_save", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    size_t back_len = 0;
    uint8_t *back = fz_read_file(copy, &back_len);
    FZ_CHECK(back != NULL);
    /* Version 5 with the names block (a count of 0 without names) when the network has names
     * or augmentation, else version 4. */
    const int K = ffcnn_net_config(net)->classes, named = ffcnn_net_class_name(net, 0) != NULL;
    const uint32_t augment = augment_field(ffcnn_net_config(net));
    const int v5 = named || augment != 0;
    const size_t names = v5 ? 4 + (named ? (size_t)K * NAME_BYTES : 0) : 0;
    FZ_CHECK(back_len >= V4_HEADER + names + 4 && (back_len - V4_HEADER - names - 4) % 12 == 0);
    uint32_t back_version, back_header, back_crc, version;
    int32_t back_algo, back_reserved;
    uint64_t back_p;
    memcpy(&back_version, back + 8, 4);
    memcpy(&back_header, back + 12, 4);
    memcpy(&back_algo, back + V4_ALGO, 4);
    memcpy(&back_reserved, back + V4_RESERVED, 4);
    memcpy(&back_p, back + V4_P, 8);
    memcpy(&back_crc, back + back_len - 4, 4);
    FZ_CHECK(memcmp(back, "FFCNNCKP", 8) == 0 && back_version == (v5 ? 5u : 4u) &&
             back_header == V4_HEADER);
    /* The augmentation at 412 (version 4: 0 there, as there is none) */
    FZ_CHECK(back_algo == ffcnn_net_config(net)->algo && (uint32_t)back_reserved == augment);
    FZ_CHECK(back_crc == (uint32_t)crc32_z(0L, back + 8, back_len - 12));
    const size_t payload = back_len - V4_HEADER - names - 4;
    FZ_CHECK(back_p == payload / 12);
    if (v5) {
        int32_t n;
        memcpy(&n, back + V4_HEADER + payload, 4);
        FZ_CHECK(n == (named ? K : 0));
    }
    if (named) {
        for (int k = 0; k < K; k++) {
            char want[NAME_BYTES] = {0};
            strncpy(want, ffcnn_net_class_name(net, k), sizeof want - 1);
            FZ_CHECK(memcmp(back + V4_HEADER + payload + 4 + (size_t)k * NAME_BYTES, want,
                            NAME_BYTES) == 0);
        }
    }
    memcpy(&version, file + 8, 4);
    if (version == 4 || (version == 5 && v5)) {
        FZ_CHECK(back_len == size && memcmp(back, file, size) == 0); /* byte for byte */
    } else if (version == 5) {
        /* A count of 0 and no augmentation: version 4, the same bytes without the count (and
         * another CRC). */
        int32_t n;
        FZ_CHECK(size == back_len + 4);
        memcpy(&n, file + back_len - 4, 4);
        FZ_CHECK(n == 0);
        FZ_CHECK(memcmp(back, file, 8) == 0 && memcmp(back + 12, file + 12, back_len - 16) == 0);
    } else if (version == 3) {
        /* Version 3: version 4 without the 8 bytes at 408 (algorithm, reserved): every field
         * before them where it was, P and the payload 8 bytes later. */
        FZ_CHECK(back_algo == FFCNN_ALGO_FF);
        FZ_CHECK(size == V3_HEADER + payload + 4);
        FZ_CHECK(memcmp(back + 16, file + 16, V4_ALGO - 16) == 0);
        FZ_CHECK(memcmp(back + V4_P, file + V3_P, 8) == 0);
        FZ_CHECK(memcmp(back + V4_HEADER, file + V3_HEADER, payload) == 0);
    } else {
        /* Versions 1 and 2: the same payload (parameters and both moments) after a longer
         * header; no data identity, and version 1 never settled its paths. */
        FZ_CHECK(version == 1 || version == 2);
        FZ_CHECK(back_algo == FFCNN_ALGO_FF);
        const size_t old_header = version == 1 ? V1_HEADER : V2_HEADER;
        FZ_CHECK(size == old_header + payload + 4);
        FZ_CHECK(memcmp(back + V4_HEADER, file + old_header, payload) == 0);
        const ffcnn_data_identity *id = ffcnn_net_data_identity(net);
        static const uint8_t unknown[32] = {0};
        FZ_CHECK(id->name[0] == '\0' && id->train_limit == -1 && id->val_limit == -1);
        FZ_CHECK(memcmp(id->fingerprint, unknown, sizeof unknown) == 0);
        if (version == 1) FZ_CHECK(!ffcnn_net_conv_paths_settled(net));
    }
    free(back);

    ffcnn_net *again = NULL;
    err[0] = '\0';
    rc = ffcnn_load(&again, copy, 1, err);
    fz_report("ffcnn_load (saved copy)", rc, err);
    FZ_CHECK(rc == FFCNN_OK && again != NULL);
    check_same_net(net, again);
    ffcnn_net_free(again);
}

/* A network loaded with names: ffcnn_net_set_class_names() takes them back (the file's bytes
 * saved again), refuses a count other than 0 or K and keeps them, and with 0 removes them (a
 * version-4 file: the version-5 one without its names block; with augmentation, version 5 with
 * a count of 0: the file without its names). */
static void check_set_names(ffcnn_net *net, const uint8_t *file, size_t size, const char *copy) {
    const int K = ffcnn_net_config(net)->classes;
    static char names[FFCNN_MAX_CLASSES][NAME_BYTES];
    memset(names, 0, sizeof names);
    for (int k = 0; k < K; k++) strncpy(names[k], ffcnn_net_class_name(net, k), NAME_BYTES - 1);
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    int rc = ffcnn_net_set_class_names(net, (const char(*)[NAME_BYTES])names, K, err);
    fz_report("ffcnn_net_set_class_names (the loaded names)", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    err[0] = '\0';
    rc = ffcnn_net_set_class_names(net, (const char(*)[NAME_BYTES])names, K - 1, err);
    fz_report("ffcnn_net_set_class_names (K - 1)", rc, err);
    FZ_CHECK(rc == FFCNN_EINVAL && err[0] != '\0');
    for (int k = 0; k < K; k++) FZ_CHECK(strcmp(ffcnn_net_class_name(net, k), names[k]) == 0);
    err[0] = '\0';
    rc = ffcnn_save(net, copy, err);
    fz_report("ffcnn_save (names set again)", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    size_t back_len = 0;
    uint8_t *back = fz_read_file(copy, &back_len);
    FZ_CHECK(back != NULL && back_len == size && memcmp(back, file, size) == 0);
    free(back);

    err[0] = '\0';
    rc = ffcnn_net_set_class_names(net, NULL, 0, err);
    fz_report("ffcnn_net_set_class_names (none)", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    for (int k = -1; k <= K; k++) FZ_CHECK(ffcnn_net_class_name(net, k) == NULL);
    err[0] = '\0';
    rc = ffcnn_save(net, copy, err);
    fz_report("ffcnn_save (names removed)", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    back = fz_read_file(copy, &back_len);
    uint32_t back_version;
    if (augment_field(ffcnn_net_config(net)) != 0) { /* version 5, a count of 0 */
        const size_t block = (size_t)K * NAME_BYTES;
        FZ_CHECK(back != NULL && back_len + block == size && back_len >= V4_HEADER + 8);
        memcpy(&back_version, back + 8, 4);
        FZ_CHECK(back_version == 5 && memcmp(back, file, back_len - 8) == 0);
        int32_t n;
        memcpy(&n, back + back_len - 8, 4);
        FZ_CHECK(n == 0);
    } else {
        const size_t block = 4 + (size_t)K * NAME_BYTES;
        FZ_CHECK(back != NULL && back_len + block == size);
        memcpy(&back_version, back + 8, 4);
        FZ_CHECK(back_version == 4 && memcmp(back, file, 8) == 0);
        FZ_CHECK(memcmp(back + 12, file + 12, back_len - 16) == 0);
    }
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t flags = data[0];
    data++, size--;
    uint8_t *file = malloc(size ? size : 1);
    FZ_CHECK(file != NULL);
    if (size) memcpy(file, data, size);
    if ((flags & 1) && size >= 12) {
        const uint32_t crc = (uint32_t)crc32_z(0L, file + 8, size - 12);
        memcpy(file + size - 4, &crc, 4);
    }
    char path[4096], copy[4096];
    fz_temp_path(path, sizeof path, "model.ffm");
    fz_temp_path(copy, sizeof copy, "resaved.ffm");
    fz_write_file(path, file, size);

    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    int rc = ffcnn_load(&net, path, 1, err);
    fz_report("ffcnn_load", rc, err);
    if (rc == FFCNN_OK) {
        FZ_CHECK(net != NULL);
        const ffcnn_config *c = ffcnn_net_config(net);
        char why[FFCNN_ERR_LEN];
        FZ_CHECK(ffcnn_config_validate(c, why) == FFCNN_OK);
        FZ_CHECK(c->algo == FFCNN_ALGO_FF || c->algo == FFCNN_ALGO_BP);
        uint32_t version;
        memcpy(&version, file + 8, 4);
        FZ_CHECK(version >= 1 && version <= 5);
        if (version < 4) FZ_CHECK(c->algo == FFCNN_ALGO_FF); /* older files are ff models */
        FZ_CHECK(ffcnn_net_epochs_done(net) >= 0 && ffcnn_net_step_in_epoch(net) >= 0);
        const int L = ffcnn_config_conv_layers(c);
        FZ_CHECK(L >= 1 && L <= c->n_layers);
        for (int j = 0; j < L; j++) {
            const char *p = ffcnn_net_layer_conv_path(net, j);
            FZ_CHECK(p != NULL && (!strcmp(p, "im2col") || !strcmp(p, "fft")));
        }
        ffcnn_cost cost;
        ffcnn_net_cost(net, &cost);
        FZ_CHECK(cost.train_direct_flops > 0 && cost.infer_direct_flops > 0);
        check_loaded_augment(net, file, version);
        check_loaded_names(net, file, size, version);
        check_round_trip(net, file, size, copy);
        if (ffcnn_net_class_name(net, 0)) check_set_names(net, file, size, copy);
        if (flags & 2) evaluate(net, data, size, (flags >> 2) & 3);
        ffcnn_net_free(net);
    } else {
        FZ_CHECK(rc == FFCNN_EIO || rc == FFCNN_EFORMAT || rc == FFCNN_ENOMEM);
        FZ_CHECK(net == NULL);
        FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
    }
    free(file);
    unlink(path);
    unlink(copy);
    return 0;
}
