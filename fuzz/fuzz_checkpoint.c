/* Fuzzes the model-file reader, ffcnn_load() (docs/checkpoint-format.md):
 *
 *   byte 0   flags: bit 0 recompute the trailing CRC-32 (zlib, bytes 8 .. len-4) so that
 *            mutations get past the checksum to the checks behind it; clear: the file as is.
 *            bit 1 evaluate the loaded network on two images (small networks only);
 *            bits 2-3 conv path for that (0/3 auto, 1 im2col, 2 fft)
 *   rest     the model file
 *
 * Checks the contract: on failure a message and no network; on success a valid configuration
 * and a file that ffcnn_save() writes back byte for byte (version 2; a version-1 file comes
 * back as version 2 with the same fields). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ffcnn.h"
#include "fuzz_util.h"

/* Bounds on what one evaluation may cost (per sample: direct conv multiply-adds, floats). */
#define EVAL_MAX_MACS 200000.0
#define EVAL_MAX_ACTS 8192.0

static void evaluate(ffcnn_net *net, const uint8_t *data, size_t size, int path) {
    const ffcnn_config *c = ffcnn_net_config(net);
    const double acts = (double)c->layers * c->filters * c->height * c->width;
    const double macs =
        acts * c->filters * c->kernel * c->kernel +
        (double)c->channels * c->filters * c->kernel * c->kernel * c->height * c->width;
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
    err[0] = '\0';
    const int rc = ffcnn_evaluate(net, &ds, FFCNN_EVAL_BOTH, &res, err);
    fz_report("ffcnn_evaluate", rc, err);
    if (rc == FFCNN_OK) {
        FZ_CHECK(res.n == 2);
        FZ_CHECK(res.accuracy_goodness >= 0.0 && res.accuracy_goodness <= 1.0);
        FZ_CHECK(res.accuracy_linear >= 0.0 && res.accuracy_linear <= 1.0);
    } else {
        FZ_CHECK(err[0] != '\0');
    }
    ffcnn_dataset_free(&ds);
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
        FZ_CHECK(ffcnn_net_epochs_done(net) >= 0);
        for (int l = 0; l < c->layers; l++) FZ_CHECK(ffcnn_net_layer_conv_path(net, l) != NULL);
        ffcnn_cost cost;
        ffcnn_net_cost(net, &cost);
        FZ_CHECK(cost.train_direct_flops > 0 && cost.infer_direct_flops > 0);
        /* Round trip: what was loaded is saved back unchanged. A version-1 file comes back as
         * version 2: the same fields, and 16 path bytes (all 0: never settled) before the
         * parameter count (docs/checkpoint-format.md). */
        rc = ffcnn_save(net, copy, err);
        FZ_CHECK(rc == FFCNN_OK);
        size_t back_len = 0;
        uint8_t *back = fz_read_file(copy, &back_len);
        FZ_CHECK(back != NULL);
        uint32_t version;
        memcpy(&version, file + 8, 4);
        if (version == 1) {
            static const uint8_t unsettled[16] = {0};
            FZ_CHECK(back_len == size + 16 && memcmp(back, file, 8) == 0);
            FZ_CHECK(memcmp(back + 12, file + 12, 84) == 0 &&
                     memcmp(back + 96, unsettled, 16) == 0);
            FZ_CHECK(memcmp(back + 112, file + 96, size - 100) == 0);
        } else {
            FZ_CHECK(back_len == size && memcmp(back, file, size) == 0);
        }
        free(back);
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
