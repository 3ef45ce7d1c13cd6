/* Fuzzes the model-file reader, ffcnn_load() (docs/checkpoint-format.md):
 *
 *   byte 0   flags: bit 0 recompute the trailing CRC-32 (zlib, bytes 8 .. len-4) so that
 *            mutations get past the checksum to the checks behind it; clear: the file as is.
 *            bit 1 evaluate the loaded network on two images (small networks only);
 *            bits 2-3 conv path for that (0/3 auto, 1 im2col, 2 fft)
 *   rest     the model file
 *
 * Checks the contract: on failure a message and no network; on success a valid configuration
 * (algorithm ff or bp; ff for every file older than version 4), and ffcnn_save() writes a
 * version-4 file that loads back to the same network (configuration and algorithm, layer list,
 * weights, training position, conv paths, data identity). A version-4 file comes back byte for
 * byte (the reader refuses non-zero entries past the list's length, a non-zero reserved field
 * and a data set name without its NUL, so every file it accepts is canonical). A version-3 file
 * comes back as version 4 with the same header fields, algorithm ff, and the same parameter
 * count and payload; a version-1 or version-2 file as version 4 with the same parameters and
 * Adam moments and no data identity. Evaluating a bp network reports no goodness accuracy, and
 * goodness inference of one is refused. */
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
 * (docs/checkpoint-format.md): the algorithm and a reserved field at 408, P at 416. */
#define V1_HEADER 104u
#define V2_HEADER 120u
#define V3_HEADER 416u
#define V3_P 408u
#define V4_HEADER 424u
#define V4_ALGO 408u
#define V4_RESERVED 412u
#define V4_P 416u

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
    ds.labels[0] = data[0] % FFCNN_CLASSES;
    ds.labels[1] = data[size - 1] % FFCNN_CLASSES;
    ffcnn_eval_result res;
    const int bp = c->algo == FFCNN_ALGO_BP;
    err[0] = '\0';
    int rc = ffcnn_evaluate(net, &ds, FFCNN_EVAL_BOTH, &res, err);
    fz_report("ffcnn_evaluate", rc, err);
    if (rc == FFCNN_OK) {
        FZ_CHECK(res.n == 2);
        if (bp) /* no goodness: "both" is the linear head alone */
            FZ_CHECK(res.accuracy_goodness == -1.0);
        else
            FZ_CHECK(res.accuracy_goodness >= 0.0 && res.accuracy_goodness <= 1.0);
        FZ_CHECK(res.accuracy_linear >= 0.0 && res.accuracy_linear <= 1.0);
    } else {
        FZ_CHECK(err[0] != '\0');
    }
    if (bp) { /* goodness inference of a bp network: refused, with a message */
        err[0] = '\0';
        rc = ffcnn_evaluate(net, &ds, FFCNN_EVAL_GOODNESS, &res, err);
        fz_report("ffcnn_evaluate (goodness, bp)", rc, err);
        FZ_CHECK(rc == FFCNN_EINVAL && strstr(err, "no goodness") != NULL);
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
}

#undef SAME

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
    FZ_CHECK(back_len >= V4_HEADER + 4 && (back_len - V4_HEADER - 4) % 12 == 0);
    uint32_t back_version, back_header, version;
    int32_t back_algo, back_reserved;
    memcpy(&back_version, back + 8, 4);
    memcpy(&back_header, back + 12, 4);
    memcpy(&back_algo, back + V4_ALGO, 4);
    memcpy(&back_reserved, back + V4_RESERVED, 4);
    FZ_CHECK(memcmp(back, "FFCNNCKP", 8) == 0 && back_version == 4 && back_header == V4_HEADER);
    FZ_CHECK(back_algo == ffcnn_net_config(net)->algo && back_reserved == 0);
    const size_t payload = back_len - V4_HEADER - 4;
    memcpy(&version, file + 8, 4);
    if (version == 4) {
        FZ_CHECK(back_len == size && memcmp(back, file, size) == 0); /* byte for byte */
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
        FZ_CHECK(version >= 1 && version <= 4);
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
        check_round_trip(net, file, size, copy);
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
