/* Training and model files: same seed -> same bits, a save/load in the middle changes nothing,
 * and every kind of damaged model file is refused with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "ffcnn.h"
#include "kernels/kernels.h"
#include "network.h"
#include "train.h"
#include "test_util.h"

/* Per-process names: ctest runs this test once per instruction set, possibly at the same time. */
static char MODEL[64], BAD[64], OLD[64];

static ffcnn_dataset make_data(int n) {
    ffcnn_dataset ds = {n, 1, 28, 28, malloc((size_t)n * 784), malloc((size_t)n)};
    float *tmp = malloc(sizeof(float) * (size_t)n * 784);
    test_fill_uniform(tmp, (size_t)n * 784, 0, 255.99f, 3);
    for (int i = 0; i < n * 784; i++) ds.pixels[i] = (uint8_t)tmp[i];
    for (int i = 0; i < n; i++) ds.labels[i] = (uint8_t)(i % 10);
    free(tmp);
    return ds;
}

static ffcnn_config tiny_config(void) {
    ffcnn_config c;
    ffcnn_config_preset(&c, "tiny", NULL);
    ffcnn_config_set_uniform(&c, 2, 4, 3, NULL);
    c.batch = 8;
    c.epochs = 4;
    c.seed = 42;
    return c;
}

static ffcnn_net *train(const ffcnn_config *c, const ffcnn_dataset *ds, int epochs, int threads) {
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    if (ffcnn_net_create(&net, c, threads, err)) return NULL;
    for (int e = 0; e < epochs; e++)
        if (ffcnn_train_epoch(net, ds, NULL, NULL, NULL, err)) {
            fprintf(stderr, "train: %s\n", err);
            ffcnn_net_free(net);
            return NULL;
        }
    return net;
}

static int same_state(const ffcnn_net *a, const ffcnn_net *b) {
    const size_t bytes = a->n_params * sizeof(float);
    return a->n_params == b->n_params && !memcmp(a->params, b->params, bytes) &&
           !memcmp(a->adam_m, b->adam_m, bytes) && !memcmp(a->adam_v, b->adam_v, bytes) &&
           a->adam_t == b->adam_t && a->epochs_done == b->epochs_done &&
           a->step_in_epoch == b->step_in_epoch;
}

static void test_determinism_and_resume(void) {
    ffcnn_dataset ds = make_data(44); /* 44 = 5 full batches + a partial one */
    ffcnn_config c = tiny_config();
    ffcnn_net *a = train(&c, &ds, 4, 2), *b = train(&c, &ds, 4, 2);
    CHECK(a && b && same_state(a, b), "same seed and threads -> bit-identical model");
    CHECK(a && a->epochs_done == 4 && a->adam_t == 4 * 6, "4 epochs of 6 steps");
    ffcnn_config c2 = c;
    c2.seed = 43;
    ffcnn_net *d = train(&c2, &ds, 4, 2);
    CHECK(a && d && memcmp(a->params, d->params, a->n_params * 4) != 0, "another seed differs");
    /* 2 epochs, save, load, 2 more == 4 epochs straight */
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_net *half = train(&c, &ds, 2, 2), *resumed = NULL;
    CHECK(half && ffcnn_save(half, MODEL, err) == 0, "save: %s", err);
    CHECK(ffcnn_load(&resumed, MODEL, 2, err) == 0, "load: %s", err);
    if (resumed) {
        CHECK(ffcnn_net_epochs_done(resumed) == 2, "loaded model knows its epoch");
        for (int e = 0; e < 2; e++) ffcnn_train_epoch(resumed, &ds, NULL, NULL, NULL, err);
        CHECK(a && same_state(a, resumed), "save + load mid-run gives the same final model");
        ffcnn_eval_result ra, rb;
        ffcnn_evaluate(a, &ds, FFCNN_EVAL_BOTH, &ra, err);
        ffcnn_evaluate(resumed, &ds, FFCNN_EVAL_BOTH, &rb, err);
        CHECK(ra.accuracy_goodness == rb.accuracy_goodness &&
                  ra.accuracy_linear == rb.accuracy_linear,
              "same predictions");
    }
    ffcnn_net_free(a), ffcnn_net_free(b), ffcnn_net_free(d), ffcnn_net_free(half);
    ffcnn_net_free(resumed);
    ffcnn_dataset_free(&ds);
}

static long file_size(const char *p) {
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void damage_and_expect(const char *what, long offset, int truncate_to, const char *needle) {
    long n = file_size(MODEL);
    uint8_t *buf = malloc((size_t)n);
    FILE *f = fopen(MODEL, "rb");
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    if (offset >= 0) buf[offset] ^= 0x5a;
    test_write_file(BAD, buf, truncate_to >= 0 ? (size_t)truncate_to : got);
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_load(&net, BAD, 1, err);
    CHECK(rc == FFCNN_EFORMAT && net == NULL && strstr(err, needle),
          "%s: expected a format error with '%s', got %d '%s'", what, needle, rc, err);
    free(buf);
}

static void test_damaged_models(void) {
    ffcnn_config c = tiny_config();
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    ffcnn_net_create(&net, &c, 1, err);
    CHECK(ffcnn_save(net, MODEL, err) == 0, "save");
    const long n = file_size(MODEL);
    damage_and_expect("magic", 0, -1, "bad magic");
    damage_and_expect("version", 8, -1, "version");
    damage_and_expect("layer count", 16, -1, "");
    damage_and_expect("filters field", 24, -1, "");
    damage_and_expect("a weight byte", 500, -1, "checksum");
    damage_and_expect("the checksum", n - 1, -1, "checksum");
    damage_and_expect("truncated", -1, (int)(n - 10), "bytes");
    damage_and_expect("header only", -1, 60, "too short");
    /* a model of another shape with this one's payload: sizes disagree */
    uint8_t *buf = malloc((size_t)n);
    FILE *f = fopen(MODEL, "rb");
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n, "read back");
    fclose(f);
    int32_t filters = 5;
    memcpy(buf + 24, &filters, 4); /* layer 1's filters (docs/checkpoint-format.md) */
    test_write_file(BAD, buf, (size_t)n);
    ffcnn_net *other = NULL;
    int rc = ffcnn_load(&other, BAD, 1, err);
    CHECK(rc == FFCNN_EFORMAT && strstr(err, "parameters"), "other network shape: %s", err);
    free(buf);
    rc = ffcnn_load(&other, "/nonexistent/model.ffm", 1, err);
    CHECK(rc == FFCNN_EIO && strstr(err, "/nonexistent/model.ffm"), "missing file named: %s", err);
    rc = ffcnn_save(net, "/nonexistent/dir/model.ffm", err);
    CHECK(rc == FFCNN_EIO && strstr(err, "/nonexistent/dir/model.ffm"), "unwritable path: %s", err);
    ffcnn_net_free(net);
}

static uint8_t *read_model(long *n) {
    *n = file_size(MODEL);
    uint8_t *buf = malloc((size_t)*n);
    FILE *f = fopen(MODEL, "rb");
    CHECK(buf && f && fread(buf, 1, (size_t)*n, f) == (size_t)*n, "read back %s", MODEL);
    if (f) fclose(f);
    return buf;
}

/* Model files record each conv layer's path; version-1 files (no paths) still load, with the
 * paths unsettled, and version-2 files with them; a path byte out of range is a format error. */
static void test_model_versions_and_paths(void) {
    ffcnn_config c = tiny_config();
    char err[FFCNN_ERR_LEN];
    CHECK(ffcnn_config_set_uniform(&c, 3, c.layer[0].filters, c.layer[0].size, err) == 0, "%s",
          err);
    ffcnn_net *net = NULL, *back = NULL;
    const enum ffcnn_conv_path want[3] = {FFCNN_CONV_IM2COL, FFCNN_CONV_FFT, FFCNN_CONV_IM2COL};
    CHECK(ffcnn_net_create(&net, &c, 1, err) == 0, "create: %s", err);
    CHECK(ffcnn_net_set_conv_paths(net, want, 3, err) == 0, "set paths: %s", err);
    CHECK(ffcnn_net_set_conv_paths(net, want, 2, err) == FFCNN_EINVAL && strstr(err, "--conv"),
          "two paths for three layers refused: %s", err);
    CHECK(ffcnn_save(net, MODEL, err) == 0, "save: %s", err);
    CHECK(ffcnn_load(&back, MODEL, 1, err) == 0, "load: %s", err);
    CHECK(back && ffcnn_net_conv_paths_settled(back) &&
              !strcmp(ffcnn_net_layer_conv_path(back, 0), "im2col") &&
              !strcmp(ffcnn_net_layer_conv_path(back, 1), "fft") &&
              !strcmp(ffcnn_net_layer_conv_path(back, 2), "im2col"),
          "version 2 keeps the paths im2col,fft,im2col");
    ffcnn_net_free(back);
    back = NULL;

    long n;
    uint8_t *buf = read_model(&n);
    uint32_t version;
    memcpy(&version, buf + 8, 4);
    CHECK(version == 4 && buf[288] == 1 && buf[289] == 2 && buf[290] == 1 && buf[291] == 0,
          "version 4 header: path bytes at offset 288 (docs/checkpoint-format.md)");
    int32_t algo_field[2];
    memcpy(algo_field, buf + 408, 8);
    CHECK(algo_field[0] == FFCNN_ALGO_FF && algo_field[1] == 0,
          "version 4 header: algorithm ff (0) and a zero reserved field at offset 408");
    /* The same model as versions 1 to 3 wrote it (docs/checkpoint-format.md, "Earlier
     * versions"): version 3 lacks the algorithm; 1 and 2 hold a uniform stack, their fields in
     * the old places. */
    for (uint32_t old = 1; old <= 3; old++) {
        const size_t header = old == 1 ? 104 : old == 2 ? 120 : 416;
        const size_t len = header + ((size_t)n - 424);
        uint8_t *v = malloc(len), *w = v;
        if (old == 3) {
            memcpy(w, buf, 408), w += 408;
            memcpy(v + 8, &old, 4);
            const uint32_t bytes = 416;
            memcpy(v + 12, &bytes, 4);
        } else {
            memcpy(w, buf, 8), w += 8;
            memcpy(w, &old, 4), w += 4;
            memcpy(w, buf + 16, 4), w += 4;                  /* layers */
            memcpy(w, buf + 24, 8), w += 8;                  /* filters, kernel of layer 1 */
            memcpy(w, buf + 212, 12), w += 12;               /* channels, height, width */
            memcpy(w, buf + 228, 60), w += 60;               /* label kind .. head rate, position */
            if (old == 2) memcpy(w, buf + 288, 16), w += 16; /* paths */
        }
        memcpy(w, buf + 416, (size_t)n - 416), w += (size_t)n - 416; /* P, payload, crc */
        const uint32_t crc = (uint32_t)crc32_z(0L, v + 8, len - 12);
        memcpy(v + len - 4, &crc, 4);
        test_write_file(OLD, v, len);
        CHECK(ffcnn_load(&back, OLD, 1, err) == 0, "version %u loads: %s", old, err);
        CHECK(back && same_state(net, back) && ffcnn_net_conv_paths_settled(back) == (old >= 2) &&
                  (old == 1 || !strcmp(ffcnn_net_layer_conv_path(back, 1), "fft")) &&
                  ffcnn_net_config(back)->algo == FFCNN_ALGO_FF,
              "version %u: same weights and state, paths %s, algorithm ff", old,
              old == 1 ? "unsettled" : "kept");
        ffcnn_net_free(back);
        back = NULL;
        free(v);
    }

    buf[289] = 7;
    const uint32_t crc2 = (uint32_t)crc32_z(0L, buf + 8, (size_t)n - 12);
    memcpy(buf + n - 4, &crc2, 4);
    test_write_file(BAD, buf, (size_t)n);
    CHECK(ffcnn_load(&back, BAD, 1, err) == FFCNN_EFORMAT &&
              strstr(err, "convolution path 7 for conv layer 2"),
          "bad path byte refused: %s", err);
    free(buf);
    ffcnn_net_free(net);
}

/* Layer 1 under ten labels from two convolutions == ten ordinary forward passes. */
static void test_label_reuse(int label_kind, int path) {
    ffcnn_config c = tiny_config();
    c.label_kind = label_kind;
    ffcnn_config_set_uniform(&c, 2, 6, 5, NULL);
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    CHECK(ffcnn_net_create(&net, &c, 2, err) == 0, "create: %s", err);
    CHECK(ffcnn_net_set_conv_path(net, (enum ffcnn_conv_path)path, err) == 0, "path: %s", err);
    ffcnn_dataset ds = make_data(3);
    const int m = 3, n = m * FFCNN_CLASSES;
    ff_net_reserve(net, n, err);
    ff_workspace *ws = &net->ws;
    const size_t len = net->labels.len, out = net->layer[0].out_len;
    for (int i = 0; i < m; i++) {
        ff_net_load_image(net, &ds, i, i, NULL);
        for (int k = 0; k < FFCNN_CLASSES; k++)
            ff_label_overlay(ws->input + (i * FFCNN_CLASSES + k) * len, ws->image + i * len,
                             &net->labels, k);
    }
    CHECK(ff_net_forward(net, 0, n, err) == 0, "forward: %s", err);
    float *y_ref = malloc(sizeof(float) * n * out);
    double g_ref[30];
    memcpy(y_ref, ws->out[0], sizeof(float) * n * out);
    memcpy(g_ref, ws->sumsq[0], sizeof g_ref);
    memset(ws->out[0], 0, sizeof(float) * n * out);
    CHECK(ff_net_label_convolutions(net, err) == 0 &&
              ff_net_first_layer_all_labels(net, m, err) == 0,
          "label reuse: %s", err);
    double worst = 0, gworst = 0;
    for (size_t i = 0; i < n * out; i++) worst = fmax(worst, fabs(ws->out[0][i] - y_ref[i]));
    for (int s = 0; s < n; s++) gworst = fmax(gworst, fabs(ws->sumsq[0][s] - g_ref[s]) / g_ref[s]);
    CHECK(worst < 1e-4 && gworst < 1e-5, "labels %d path %d: reuse differs by %g (goodness %g)",
          label_kind, path, worst, gworst);
    free(y_ref);
    ffcnn_dataset_free(&ds);
    ffcnn_net_free(net);
}

/* One step from the same weights on each path: the gradients agree to float rounding. The FFT
 * path must not take a layer's gradient spectra from the next layer's input across a pooling
 * step (docs/method.md §11), so this catches a wrong gradient there. */
static void check_paths_agree(const ffcnn_config *c, const ffcnn_dataset *ds) {
    char err[FFCNN_ERR_LEN];
    ffcnn_net *net[2] = {NULL, NULL};
    const enum ffcnn_conv_path paths[2] = {FFCNN_CONV_IM2COL, FFCNN_CONV_FFT};
    const int32_t rows[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const uint8_t neg[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int p = 0; p < 2; p++) {
        ff_step_metrics m;
        memset(&m, 0, sizeof m);
        CHECK(ffcnn_net_create(&net[p], c, 1, err) == 0 &&
                  ffcnn_net_set_conv_paths(net[p], &paths[p], 1, err) == 0 &&
                  ff_train_step(net[p], ds, rows, neg, NULL, 8, 1e-3f, &m, err) == 0,
              "one step: %s", err);
    }
    if (!net[0] || !net[1]) return;
    for (int i = 0; i < net[0]->n_layers; i++) {
        const ff_layer *l = &net[0]->layer[i];
        const float *g0 = l->grads, *g1 = net[1]->layer[i].grads;
        double worst = 0, scale = 0;
        for (size_t k = 0; k < l->n_params; k++) {
            worst = fmax(worst, fabs(g0[k] - g1[k]));
            scale = fmax(scale, fabs(g0[k]));
        }
        CHECK(l->n_params == 0 || !ff_layer_trained(net[0], i) ||
                  (scale > 0 && worst < 1e-4 * scale),
              "layer %d: gradients of the two paths differ by %g of %g", i + 1, worst, scale);
    }
    ffcnn_net_free(net[0]), ffcnn_net_free(net[1]);
}

/* A network with pooling and growing widths (docs/method.md §3): the head reads each trained
 * conv layer at its own size; same seed, same bits; both conv paths agree (the FFT path must not
 * share spectra across a pooling step); a model file keeps the layer list. */
static void test_pooling_and_widths(void) {
    ffcnn_config c = tiny_config();
    char err[FFCNN_ERR_LEN];
    CHECK(ffcnn_config_parse_net(&c, "c4k3 p2 c8k3 c6k5", err) == 0, "parse: %s", err);
    c.epochs = 3;
    ffcnn_dataset ds = make_data(40);
    ffcnn_net *a = NULL, *b = NULL, *f = NULL, *back = NULL;
    CHECK(ffcnn_net_create(&a, &c, 2, err) == 0, "create: %s", err);
    CHECK(a && a->n_ff == 3 && a->layer[1].out.h == 14 && a->layer[2].in.h == 14 &&
              a->cls_in == (size_t)8 * 14 * 14 + 6 * 14 * 14,
          "shapes: pooled to 14x14; head reads layers 2 and 3 at 14x14");
    const enum ffcnn_conv_path im2col = FFCNN_CONV_IM2COL, fft = FFCNN_CONV_FFT;
    CHECK(ffcnn_net_create(&b, &c, 2, err) == 0 && ffcnn_net_create(&f, &c, 2, err) == 0,
          "create: %s", err);
    ffcnn_net_set_conv_paths(a, &im2col, 1, err);
    ffcnn_net_set_conv_paths(b, &im2col, 1, err);
    ffcnn_net_set_conv_paths(f, &fft, 1, err);
    ffcnn_epoch_stats st[3];
    double first_loss = 0;
    for (int e = 0; e < 3 && a && b && f; e++) {
        CHECK(ffcnn_train_epoch(a, &ds, NULL, NULL, &st[e], err) == 0, "train: %s", err);
        CHECK(ffcnn_train_epoch(b, &ds, NULL, NULL, NULL, err) == 0, "train: %s", err);
        CHECK(ffcnn_train_epoch(f, &ds, NULL, NULL, NULL, err) == 0, "train fft: %s", err);
        if (e == 0) first_loss = st[0].loss[2];
    }
    CHECK(st[0].layers == 3 && isfinite(st[2].loss[1]) && st[2].loss[2] < first_loss,
          "stats per conv layer; layer 3's loss falls (%g -> %g)", first_loss, st[2].loss[2]);
    CHECK(a && b && same_state(a, b), "same seed and threads -> bit-identical model");
    check_paths_agree(&c, &ds);
    CHECK(a && ffcnn_save(a, MODEL, err) == 0 && ffcnn_load(&back, MODEL, 1, err) == 0,
          "save and load: %s", err);
    char net[64] = "";
    if (back) ffcnn_config_format_net(ffcnn_net_config(back), net, sizeof net);
    CHECK(back && !strcmp(net, "c4k3 p2 c8k3 c6k5") && same_state(a, back),
          "the layer list and the state come back: '%s'", net);
    ffcnn_eval_result ra, rb;
    CHECK(a && back && ffcnn_evaluate(a, &ds, FFCNN_EVAL_BOTH, &ra, err) == 0 &&
              ffcnn_evaluate(back, &ds, FFCNN_EVAL_BOTH, &rb, err) == 0 &&
              ra.accuracy_goodness == rb.accuracy_goodness &&
              ra.accuracy_linear == rb.accuracy_linear,
          "evaluation runs and agrees after a reload: %s", err);
    ffcnn_net_free(a), ffcnn_net_free(b), ffcnn_net_free(f), ffcnn_net_free(back);
    ffcnn_dataset_free(&ds);
}

/* The training data's identity: recorded by the first epoch, kept in the model file, and a
 * resumed run on other images refused. */
static void test_data_identity(void) {
    ffcnn_config c = tiny_config();
    char err[FFCNN_ERR_LEN];
    ffcnn_dataset ds = make_data(24), other = make_data(24);
    other.pixels[5] ^= 1;
    ffcnn_net *net = NULL, *back = NULL;
    CHECK(ffcnn_net_create(&net, &c, 1, err) == 0, "create: %s", err);
    ffcnn_data_identity id = {"synthetic", 24, 0, {0}};
    ffcnn_net_set_data_identity(net, &id);
    CHECK(ffcnn_train_epoch(net, &ds, NULL, NULL, NULL, err) == 0, "epoch 1: %s", err);
    uint8_t fp[32];
    ffcnn_dataset_fingerprint(&ds, fp);
    CHECK(!memcmp(ffcnn_net_data_identity(net)->fingerprint, fp, 32),
          "the first epoch records the fingerprint");
    CHECK(ffcnn_save(net, MODEL, err) == 0 && ffcnn_load(&back, MODEL, 1, err) == 0, "reload: %s",
          err);
    const ffcnn_data_identity *got = back ? ffcnn_net_data_identity(back) : NULL;
    CHECK(got && !strcmp(got->name, "synthetic") && got->train_limit == 24 && got->val_limit == 0 &&
              !memcmp(got->fingerprint, fp, 32),
          "name, limits and fingerprint saved");
    CHECK(back && ffcnn_train_epoch(back, &other, NULL, NULL, NULL, err) == FFCNN_EINVAL &&
              strstr(err, "differ"),
          "other images refused on resume: %s", err);
    CHECK(back && ffcnn_net_epochs_done(back) == 1, "and nothing trained");
    CHECK(back && ffcnn_train_epoch(back, &ds, NULL, NULL, NULL, err) == 0,
          "the same images continue: %s", err);
    ffcnn_net_free(net), ffcnn_net_free(back);
    ffcnn_dataset_free(&ds), ffcnn_dataset_free(&other);
}

/* A batch taken in chunks (ffcnn_net_set_chunk) gives the batch's gradient: every layer's and
 * the head's, with uneven chunks (10 images as 4 + 4 + 2), on both conv paths, the per-sample
 * objective and cross-entropy normalised by the whole batch. The losses reported add up too. */
/* docs/method.md §13's variants: 0 the paper's objective, 1 SymBa on the mean goodness at
 * T 0.25 with hard negatives, 2 the label-contrastive CE, 3 the channel-wise competitive loss
 * (every layer trained; the caller gives it widths that are multiples of the 10 classes). */
static void set_variant(ffcnn_config *c, int variant) {
    static const int32_t loss[] = {FFCNN_FF_LOSS_BCE, FFCNN_FF_LOSS_SYMBA, FFCNN_FF_LOSS_CE,
                                   FFCNN_FF_LOSS_CWC};
    c->ff_loss = loss[variant];
    if (variant == 3) c->train_from = 1;
    c->goodness = variant ? FFCNN_GOODNESS_MEAN : FFCNN_GOODNESS_SUM;
    c->ff_temperature = variant ? 0.25f : 0.0f;
    c->negatives = variant == 1 ? FFCNN_NEGATIVES_HARD : FFCNN_NEGATIVES_RANDOM;
}

static void test_chunked_batch(int path, int variant) {
    ffcnn_config c = tiny_config();
    /* cwc: layer 1's gradient from layer 2's spectra on the FFT path, layer 2's from its own */
    ffcnn_config_parse_net(&c, variant == 3 ? "c10k3 c20k3 p2 c10k3" : "c4k3 c5k3 p2 c6k3", NULL);
    c.batch = 10;
    set_variant(&c, variant);
    ffcnn_dataset ds = make_data(10);
    const int32_t rows[10] = {3, 1, 4, 0, 5, 9, 2, 6, 8, 7};
    const uint8_t neg[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
    ffcnn_net *whole = NULL, *parts = NULL;
    char err[FFCNN_ERR_LEN];
    ffcnn_net_create(&whole, &c, 2, err);
    ffcnn_net_create(&parts, &c, 2, err);
    ffcnn_net_set_conv_path(whole, (enum ffcnn_conv_path)path, err);
    ffcnn_net_set_conv_path(parts, (enum ffcnn_conv_path)path, err);
    CHECK(ffcnn_net_set_chunk(parts, 4, err) == FFCNN_OK && ffcnn_net_chunk(parts) == 4,
          "chunk of 4 images set");
    CHECK(ffcnn_net_set_chunk(parts, 0, err) == FFCNN_EINVAL && strstr(err, "--chunk"),
          "chunk 0 refused: %s", err);
    ff_step_metrics mw, mp;
    memset(&mw, 0, sizeof mw);
    memset(&mp, 0, sizeof mp);
    CHECK(ff_train_step(whole, &ds, rows, neg, NULL, 10, 1e-3f, &mw, err) == FFCNN_OK, "whole: %s",
          err);
    CHECK(ff_train_step(parts, &ds, rows, neg, NULL, 10, 1e-3f, &mp, err) == FFCNN_OK, "chunks: %s",
          err);
    double gmax = 0.0, worst = 0.0;
    for (size_t k = 0; k < whole->n_params; k++) {
        gmax = fmax(gmax, fabs(whole->grads[k]));
        worst = fmax(worst, fabs(whole->grads[k] - parts->grads[k]));
    }
    CHECK(gmax > 0 && worst <= 1e-5 * gmax,
          "%s, variant %d: chunked gradient differs by %.3g (largest element %.3g)",
          path == FFCNN_CONV_FFT ? "fft" : "im2col", variant, worst, gmax);
    for (int l = 0; l < whole->n_ff; l++)
        CHECK(fabs(mw.layer[l].loss_sum - mp.layer[l].loss_sum) <=
                      1e-9 * fmax(1.0, fabs(mw.layer[l].loss_sum)) &&
                  mw.layer[l].batches == mp.layer[l].batches &&
                  mw.layer[l].correct == mp.layer[l].correct,
              "conv layer %d: chunk losses add up to the batch's (%.9g vs %.9g)", l + 1,
              mp.layer[l].loss_sum, mw.layer[l].loss_sum);
    CHECK(fabs(mw.classifier_loss_sum - mp.classifier_loss_sum) <= 1e-9 &&
              mw.classifier_correct == mp.classifier_correct,
          "head: chunk losses add up (%.9g vs %.9g)", mp.classifier_loss_sum,
          mw.classifier_loss_sum);
    ffcnn_net_free(whole);
    ffcnn_net_free(parts);
    ffcnn_dataset_free(&ds);
}

/* should_stop that stops before step `at` of the epoch it is given to. */
typedef struct stop_at {
    int calls, at;
} stop_at;

static int stop_now(void *user) {
    stop_at *s = user;
    return s->calls++ >= s->at;
}

/* --negatives hard: with a head whose logit for class 5 dominates, every image not of class 5
 * gets 5 as its negative label; the images of class 5 get some other label. */
static void test_hard_negatives_follow_head(void) {
    ffcnn_config c = tiny_config();
    c.batch = 10;
    set_variant(&c, 1);
    ffcnn_dataset ds = make_data(10); /* labels 0..9 */
    const int32_t rows[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const uint8_t neg[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0}; /* unused by hard negatives */
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    ffcnn_net_create(&net, &c, 1, err);
    for (size_t j = 0; j < net->cls_in; j++) net->cls_w[5 * net->cls_in + j] = 1.0f;
    ff_step_metrics m;
    memset(&m, 0, sizeof m);
    CHECK(ff_train_step(net, &ds, rows, neg, NULL, 10, 1e-3f, &m, err) == FFCNN_OK, "step: %s",
          err);
    const size_t len = net->labels.len;
    float *want = malloc(sizeof(float) * len);
    int ok = 1, other = 1;
    for (int s = 0; s < 10; s++) {
        const float *img = net->ws.image + (size_t)s * len;
        const float *got = net->ws.input + (size_t)(10 + s) * len;
        ff_label_overlay(want, img, &net->labels, 5);
        const int is5 = memcmp(want, got, sizeof(float) * len) == 0;
        if (s != 5) ok &= is5;
        if (s == 5) other = !is5;
    }
    CHECK(ok, "hard negatives: the head's favourite wrong label, 5, for every image not of 5");
    CHECK(other, "hard negatives: the image of class 5 gets another label");
    free(want);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

/* Each variant is deterministic, survives save, load and resume bit for bit (the hard
 * negatives' draws are keyed by epoch and step), and changes what is learnt. */
static void test_variant_resume(int variant) {
    ffcnn_dataset ds = make_data(44);
    ffcnn_config c = tiny_config(), paper = tiny_config();
    if (variant == 3) /* one channel group per class */
        ffcnn_config_set_uniform(&c, 2, 10, 3, NULL),
            ffcnn_config_set_uniform(&paper, 2, 10, 3, NULL);
    set_variant(&c, variant);
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_net *a = train(&c, &ds, 2, 2), *p = train(&paper, &ds, 2, 2), *b = train(&c, &ds, 1, 2);
    ffcnn_net *resumed = NULL;
    stop_at stop = {0, 3};
    const ffcnn_train_hooks hooks = {NULL, NULL, stop_now, &stop};
    CHECK(b && ffcnn_train_epoch(b, &ds, NULL, &hooks, NULL, err) == FFCNN_EINTERRUPTED,
          "variant %d: interrupted: %s", variant, err);
    CHECK(b && ffcnn_save(b, MODEL, err) == 0 && ffcnn_load(&resumed, MODEL, 2, err) == 0,
          "variant %d: save and load: %s", variant, err);
    const ffcnn_config *rc = resumed ? ffcnn_net_config(resumed) : NULL;
    CHECK(rc && rc->ff_loss == c.ff_loss && rc->goodness == c.goodness &&
              rc->ff_temperature == c.ff_temperature && rc->negatives == c.negatives,
          "variant %d: the model file keeps the variant", variant);
    CHECK(resumed && ffcnn_train_epoch(resumed, &ds, NULL, NULL, NULL, err) == 0 && a &&
              same_state(a, resumed),
          "variant %d: interrupted and resumed == uninterrupted: %s", variant, err);
    /* the conv layers' parameters: the head of cwc, which trains layer 1 too, is larger */
    CHECK(a && p &&
              memcmp(a->params, p->params, (size_t)(a->cls_w - a->params) * sizeof(float)) != 0,
          "variant %d: changes the weights", variant);
    ffcnn_net_free(a), ffcnn_net_free(p), ffcnn_net_free(b), ffcnn_net_free(resumed);
    ffcnn_dataset_free(&ds);
}

/* ---- --ff-loss cwc (docs/method.md §13) ---- */

/* Layer i's cwc loss on the workspace's B plain images, computed here from its forward output:
 * the mean over images of -log softmax_k(a G_k)[y], G_k the sum of squares of channel group k,
 * a = K / (N T) for the mean goodness. The weights may have changed since the last pass. */
static double cwc_loss_of_layer(ffcnn_net *net, int layer, int B) {
    char err[FFCNN_ERR_LEN];
    for (int i = 0; i <= layer; i++) net->layer[i].ops->update(&net->layer[i]);
    for (int i = 0; i <= layer; i++)
        if (ff_net_forward_range(net, i, 0, B, err)) return NAN;
    const ff_layer *l = &net->layer[layer];
    const int K = net->cfg.classes;
    const size_t group = l->out_len / (size_t)K;
    const double a = K / ((double)l->out_len * net->cfg.ff_temperature);
    double loss = 0.0;
    for (int s = 0; s < B; s++) {
        const float *y = net->ws.out[layer] + (size_t)s * l->out_len;
        double logit[FFCNN_MAX_CLASSES] = {0}, z = 0.0;
        for (int k = 0; k < K; k++) {
            double g = 0.0;
            for (size_t j = k * group; j < (k + 1) * group; j++) g += (double)y[j] * y[j];
            logit[k] = a * g;
        }
        for (int k = 0; k < K; k++) z += exp(logit[k] - logit[0]);
        loss += log(z) + logit[0] - logit[net->ws.labels[s]];
    }
    return loss / B;
}

/* Each layer's weight gradient from its per-group coefficients equals the central finite
 * differences of that layer's cwc loss (layers are detached: layer 2's loss moves with layer 1's
 * weights too, but only through its input, which FF does not differentiate). On the FFT path
 * layer 1's gradient comes from layer 2's input spectra (docs/method.md §11). Three parameters
 * of every output channel (two weights and the bias), so every channel group is checked. */
static void test_cwc_gradient(int path) {
    ffcnn_config c = tiny_config();
    ffcnn_config_parse_net(&c, "c10k3 c10k3", NULL);
    set_variant(&c, 3);
    c.ff_temperature = 1.0f, c.batch = 4;
    ffcnn_dataset ds = make_data(4);
    const int32_t rows[4] = {2, 0, 3, 1};
    const uint8_t neg[4] = {0};
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    ffcnn_net_create(&net, &c, 2, err);
    ffcnn_net_set_conv_path(net, (enum ffcnn_conv_path)path, err);
    CHECK(path != FFCNN_CONV_FFT || ff_conv_layers_share_spectra(&net->layer[0], &net->layer[1]),
          "fft: layer 1's gradient comes from layer 2's spectra");
    float *before = malloc(net->n_params * sizeof(float));
    memcpy(before, net->params, net->n_params * sizeof(float));
    ff_step_metrics m;
    memset(&m, 0, sizeof m);
    CHECK(ff_train_step(net, &ds, rows, neg, NULL, 4, 1e-3f, &m, err) == FFCNN_OK, "step: %s", err);
    memcpy(net->params, before, net->n_params * sizeof(float)); /* the gradient's point */
    for (int layer = 0; layer < 2; layer++) {
        ff_layer *l = &net->layer[layer];
        const double loss = cwc_loss_of_layer(net, layer, 4);
        CHECK(fabs(loss - m.layer[layer].loss_sum) <= 1e-5 * loss,
              "%s layer %d: the step's loss %.9g is the loss by hand %.9g",
              path == FFCNN_CONV_FFT ? "fft" : "im2col", layer + 1, m.layer[layer].loss_sum, loss);
        double worst = 0.0, gmax = 0.0;
        const int C = l->out.c, patch = (int)(l->n_params / (size_t)C) - 1;
        for (int t = 0; t < 3 * C; t++) {
            const int o = t / 3, pick = t % 3;
            const size_t i = pick == 2 ? (size_t)C * patch + o /* the bias */
                                       : (size_t)o * patch + (size_t)((o * 7 + pick * 5) % patch);
            const float keep = l->params[i], h = 1e-2f;
            l->params[i] = keep + h;
            const double up = cwc_loss_of_layer(net, layer, 4);
            l->params[i] = keep - h;
            const double down = cwc_loss_of_layer(net, layer, 4);
            l->params[i] = keep;
            const double fd = (up - down) / (2.0 * h);
            worst = fmax(worst, fabs(fd - l->grads[i]));
            gmax = fmax(gmax, fabs(fd));
        }
        CHECK(gmax > 1e-3 && worst <= 2e-2 * gmax,
              "%s layer %d: cwc weight gradient vs finite differences: worst %.3g of max %.3g",
              path == FFCNN_CONV_FFT ? "fft" : "im2col", layer + 1, worst, gmax);
    }
    free(before);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

/* cwc's batch is one plain copy of each image, no label written on it. */
static void test_cwc_plain_batch(void) {
    ffcnn_config c = tiny_config();
    ffcnn_config_set_uniform(&c, 2, 10, 3, NULL);
    set_variant(&c, 3);
    c.batch = 5;
    ffcnn_dataset ds = make_data(5);
    const int32_t rows[5] = {4, 2, 0, 1, 3};
    const uint8_t neg[5] = {0};
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN];
    ffcnn_net_create(&net, &c, 1, err);
    ff_step_metrics m;
    memset(&m, 0, sizeof m);
    CHECK(ff_train_step(net, &ds, rows, neg, NULL, 5, 1e-3f, &m, err) == FFCNN_OK, "step: %s", err);
    int plain = net->ws.capacity == 5;
    for (int s = 0; s < 5; s++)
        for (int p = 0; p < 784; p++)
            plain &= net->ws.input[s * 784 + p] == ds.pixels[rows[s] * 784 + p] / 255.0f;
    CHECK(plain, "cwc: a batch of 5 is 5 plain images");
    CHECK(m.layer[0].samples == 5 && m.layer[1].samples == 5 && m.classifier_samples == 5,
          "cwc: each layer and the head count 5 samples");
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

/* ---- augmentation (ffcnn_config's augment_pad and augment_flip) ---- */

static ffcnn_config augment_config(int algo, int pad, int flip) {
    ffcnn_config c = tiny_config();
    c.algo = algo;
    c.augment_pad = pad, c.augment_flip = flip;
    return c;
}

/* With augmentation, a run interrupted mid-epoch, saved, loaded and finished gives the bits of
 * the uninterrupted run; and augmentation changes what is learnt. */
static void test_augment_resume(int algo) {
    const char *name = algo == FFCNN_ALGO_BP ? "bp" : "ff";
    ffcnn_dataset ds = make_data(44); /* 6 steps an epoch, the last of 4 images */
    ffcnn_config c = augment_config(algo, 2, 1), plain = augment_config(algo, 0, 0);
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_net *a = train(&c, &ds, 2, 2), *off = train(&plain, &ds, 2, 2), *b = train(&c, &ds, 1, 2);
    ffcnn_net *resumed = NULL;
    stop_at stop = {0, 3};
    const ffcnn_train_hooks hooks = {NULL, NULL, stop_now, &stop};
    CHECK(b && ffcnn_train_epoch(b, &ds, NULL, &hooks, NULL, err) == FFCNN_EINTERRUPTED &&
              ffcnn_net_step_in_epoch(b) == 3,
          "%s: interrupted at step 3 of epoch 2: %s", name, err);
    CHECK(b && ffcnn_save(b, MODEL, err) == 0 && ffcnn_load(&resumed, MODEL, 2, err) == 0,
          "%s: save and load mid-epoch: %s", name, err);
    CHECK(resumed && ffcnn_net_config(resumed)->augment_pad == 2 &&
              ffcnn_net_config(resumed)->augment_flip == 1 &&
              ffcnn_train_epoch(resumed, &ds, NULL, NULL, NULL, err) == 0,
          "%s: the loaded model resumes with its augmentation: %s", name, err);
    CHECK(a && resumed && same_state(a, resumed),
          "%s: augmented run interrupted at step 3 and resumed == uninterrupted", name);
    CHECK(a && off && memcmp(a->params, off->params, a->n_params * sizeof(float)) != 0,
          "%s: augmentation changes the weights", name);
    for (size_t k = 0; a && k < a->n_params; k++)
        if (!isfinite(a->params[k])) {
            CHECK(0, "%s: weight %zu is %g after augmented training", name, k, a->params[k]);
            break;
        }
    ffcnn_net_free(a), ffcnn_net_free(off), ffcnn_net_free(b), ffcnn_net_free(resumed);
    ffcnn_dataset_free(&ds);
}

/* Image s of the batch as the augmentation should make it: its pixels / 255, shifted and
 * flipped as aug says. */
static void expected_image(float *out, const ffcnn_dataset *ds, int32_t row, const ff_augment *a) {
    const size_t len = (size_t)ds->channels * ds->height * ds->width;
    float *px = malloc(sizeof(float) * len);
    for (size_t i = 0; i < len; i++) px[i] = (float)ds->pixels[(size_t)row * len + i] / 255.0f;
    ff_augment_shift_flip(out, px, ds->channels, ds->height, ds->width, a->dy, a->dx, a->flip);
    free(px);
}

/* An FF step's three copies of each image (positive, negative, neutral) carry the same
 * augmented image, its label written over it; and the batch built is the same bits on 1 and 2
 * threads. */
static void test_augment_batch_ff(void) {
    enum { B = 8 };
    ffcnn_config c = augment_config(FFCNN_ALGO_FF, 3, 1);
    ffcnn_dataset ds = make_data(10);
    const int32_t rows[B] = {9, 2, 7, 0, 5, 3, 8, 1};
    const uint8_t neg[B] = {1, 3, 8, 4, 0, 6, 2, 9};
    ff_augment aug[B];
    CHECK(ff_step_augment(&c, 1, 4, B, aug) == 1, "augmentation drawn");
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_net *net[2] = {NULL, NULL};
    for (int t = 0; t < 2; t++) {
        ff_step_metrics m;
        memset(&m, 0, sizeof m);
        CHECK(ffcnn_net_create(&net[t], &c, t + 1, err) == 0 &&
                  ff_train_step(net[t], &ds, rows, neg, aug, B, 1e-3f, &m, err) == 0,
              "one augmented step on %d thread(s): %s", t + 1, err);
    }
    if (!net[0] || !net[1]) return;
    const size_t len = net[0]->labels.len;
    CHECK(!memcmp(net[0]->ws.image, net[1]->ws.image, sizeof(float) * B * len) &&
              !memcmp(net[0]->ws.input, net[1]->ws.input, sizeof(float) * 3 * B * len),
          "the augmented batch is the same bits on 1 and 2 threads");
    float *want = malloc(sizeof(float) * len), *lab = malloc(sizeof(float) * len);
    int bad_image = 0, bad_copy = 0, shifted = 0;
    const ff_workspace *ws = &net[0]->ws;
    for (int s = 0; s < B; s++) {
        expected_image(want, &ds, rows[s], &aug[s]);
        bad_image += memcmp(ws->image + s * len, want, sizeof(float) * len) != 0;
        const int labels[3] = {ds.labels[rows[s]], neg[s], FF_NEUTRAL_LABEL};
        for (int k = 0; k < 3; k++) {
            ff_label_overlay(lab, want, &net[0]->labels, labels[k]);
            bad_copy += memcmp(ws->input + (k * B + s) * len, lab, sizeof(float) * len) != 0;
        }
        shifted += aug[s].dy != 0 || aug[s].dx != 0 || aug[s].flip;
    }
    CHECK(shifted > 0 && bad_image == 0, "%d of %d images not augmented as drawn", bad_image, B);
    CHECK(bad_copy == 0, "%d positive/negative/neutral copies not of the augmented image",
          bad_copy);
    free(want), free(lab);
    ffcnn_net_free(net[0]), ffcnn_net_free(net[1]);
    ffcnn_dataset_free(&ds);
}

/* A batch in chunks takes each image's own draw: the gradient of 10 augmented images in chunks
 * of 4 + 4 + 2 is the whole batch's (a draw applied to the wrong image would change it). */
static void test_augment_chunks(void) {
    ffcnn_config c = augment_config(FFCNN_ALGO_FF, 4, 1);
    ffcnn_config_parse_net(&c, "c4k3 c5k3", NULL);
    c.batch = 10;
    ffcnn_dataset ds = make_data(10);
    const int32_t rows[10] = {3, 1, 4, 0, 5, 9, 2, 6, 8, 7};
    const uint8_t neg[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
    ff_augment aug[10];
    ff_step_augment(&c, 0, 0, 10, aug);
    ffcnn_net *whole = NULL, *parts = NULL;
    char err[FFCNN_ERR_LEN] = "";
    ff_step_metrics mw, mp;
    memset(&mw, 0, sizeof mw), memset(&mp, 0, sizeof mp);
    CHECK(ffcnn_net_create(&whole, &c, 2, err) == 0 && ffcnn_net_create(&parts, &c, 2, err) == 0 &&
              ffcnn_net_set_chunk(parts, 4, err) == 0 &&
              ff_train_step(whole, &ds, rows, neg, aug, 10, 1e-3f, &mw, err) == 0 &&
              ff_train_step(parts, &ds, rows, neg, aug, 10, 1e-3f, &mp, err) == 0,
          "augmented steps: %s", err);
    double gmax = 0.0, worst = 0.0;
    for (size_t k = 0; whole && parts && k < whole->n_params; k++) {
        gmax = fmax(gmax, fabs(whole->grads[k]));
        worst = fmax(worst, fabs(whole->grads[k] - parts->grads[k]));
    }
    CHECK(gmax > 0 && worst <= 1e-5 * gmax, "augmented, chunked gradient differs by %.3g of %.3g",
          worst, gmax);
    ffcnn_net_free(whole), ffcnn_net_free(parts);
    ffcnn_dataset_free(&ds);
}

/* BP: the plain input is the augmented image, the same bits on 1 and 2 threads. */
static void test_augment_batch_bp(void) {
    enum { B = 6 };
    ffcnn_config c = augment_config(FFCNN_ALGO_BP, 2, 1);
    ffcnn_dataset ds = make_data(8);
    const int32_t rows[B] = {7, 1, 4, 2, 0, 6};
    ff_augment aug[B];
    ff_step_augment(&c, 3, 2, B, aug);
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_net *net[2] = {NULL, NULL};
    for (int t = 0; t < 2; t++) {
        ff_step_metrics m;
        memset(&m, 0, sizeof m);
        CHECK(ffcnn_net_create(&net[t], &c, t + 1, err) == 0 &&
                  ff_bp_gradients(net[t], &ds, rows, aug, B, &m, err) == 0,
              "bp gradients of augmented images on %d thread(s): %s", t + 1, err);
    }
    if (!net[0] || !net[1]) return;
    const size_t len = net[0]->labels.len;
    float *want = malloc(sizeof(float) * len);
    int bad = 0;
    for (int s = 0; s < B; s++) {
        expected_image(want, &ds, rows[s], &aug[s]);
        bad += memcmp(net[0]->ws.input + s * len, want, sizeof(float) * len) != 0;
    }
    CHECK(bad == 0 && !memcmp(net[0]->ws.input, net[1]->ws.input, sizeof(float) * B * len),
          "bp: %d inputs not the augmented image, or 1 and 2 threads differ", bad);
    free(want);
    ffcnn_net_free(net[0]), ffcnn_net_free(net[1]);
    ffcnn_dataset_free(&ds);
}

/* Counts over many draws of ff_step_augment: every shift of -pad..pad, and flips about half;
 * the draws a function of (seed, epoch, step, position) only. */
static void test_augment_draws(void) {
    enum { STEPS = 2000, B = 50, P = 4, N = STEPS * B };
    ffcnn_config c = augment_config(FFCNN_ALGO_FF, P, 1), none = augment_config(0, 0, 0);
    ff_augment aug[B], again[B], small[8];
    CHECK(ff_step_augment(&none, 0, 0, B, aug) == 0, "no augmentation: nothing drawn");
    long dy[2 * P + 1] = {0}, dx[2 * P + 1] = {0}, pair[2 * P + 1][2 * P + 1] = {{0}}, flips = 0;
    int out_of_range = 0;
    for (int step = 0; step < STEPS; step++) {
        ff_step_augment(&c, step % 3, step, B, aug);
        for (int s = 0; s < B; s++) {
            const int y = aug[s].dy + P, x = aug[s].dx + P;
            if (y < 0 || y > 2 * P || x < 0 || x > 2 * P || (aug[s].flip & ~1)) {
                out_of_range++;
                continue;
            }
            dy[y]++, dx[x]++, pair[y][x]++, flips += aug[s].flip;
        }
    }
    CHECK(out_of_range == 0, "%d draws out of range", out_of_range);
    const double each = (double)N / (2 * P + 1); /* 11111; its standard deviation is ~99 */
    int uneven = 0, missing_pair = 0;
    for (int k = 0; k <= 2 * P; k++) {
        uneven += fabs(dy[k] - each) > 0.05 * each || fabs(dx[k] - each) > 0.05 * each;
        for (int j = 0; j <= 2 * P; j++) missing_pair += pair[k][j] == 0;
    }
    CHECK(uneven == 0, "a shift of -%d..%d drawn more than 5%% off uniform", P, P);
    CHECK(missing_pair == 0, "%d (dy, dx) pairs never drawn", missing_pair);
    CHECK(fabs((double)flips / N - 0.5) < 0.01, "flips: %ld of %d", flips, N);
    /* Same (seed, epoch, step): same draws; the first 8 positions do not depend on B. */
    ff_step_augment(&c, 5, 17, B, aug);
    ff_step_augment(&c, 5, 17, B, again);
    ff_step_augment(&c, 5, 17, 8, small);
    CHECK(!memcmp(aug, again, sizeof aug) && !memcmp(aug, small, sizeof small),
          "the draws repeat, whatever the batch size");
    ff_step_augment(&c, 6, 17, B, again);
    CHECK(memcmp(aug, again, sizeof aug) != 0, "another epoch draws otherwise");
    c.seed++;
    ff_step_augment(&c, 5, 17, B, again);
    CHECK(memcmp(aug, again, sizeof aug) != 0, "another seed draws otherwise");
    /* flip alone never shifts; a shift alone never flips */
    ffcnn_config flip_only = augment_config(FFCNN_ALGO_FF, 0, 1), shift_only = c;
    shift_only.augment_flip = 0;
    int shifts = 0, flipped = 0, flip_count = 0;
    for (int step = 0; step < 40; step++) {
        ff_step_augment(&flip_only, 0, step, B, aug);
        ff_step_augment(&shift_only, 0, step, B, again);
        for (int s = 0; s < B; s++) {
            shifts += aug[s].dy != 0 || aug[s].dx != 0;
            flip_count += aug[s].flip;
            flipped += again[s].flip;
        }
    }
    CHECK(shifts == 0 && flipped == 0 && flip_count > 800 && flip_count < 1200,
          "flip only: no shift, %d of 2000 flipped; shift only: %d flipped", flip_count, flipped);
}

/* --augment's text both ways, and ffcnn_config_validate's limits. */
static void test_augment_config(void) {
    static const struct {
        const char *text, *canonical;
        int pad, flip;
    } good[] = {{"none", "none", 0, 0},
                {"flip", "flip", 0, 1},
                {"shift", "shift:4", 4, 0},
                {"shift:1", "shift:1", 1, 0},
                {"shift-flip", "shift-flip:4", 4, 1},
                {"shift-flip:8", "shift-flip:8", 8, 1}};
    static const char *const bad[] = {
        "",       "shift:0",       "shift:9", "shift:",      "shift:4x", "shiftx",
        "flip:2", "shift-flip:-1", "Shift",   "shift-flipx", "shift:+4", "shift: 4"};
    char err[FFCNN_ERR_LEN], text[32];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ffcnn_config c = tiny_config();
        CHECK(ffcnn_augment_parse(&c, good[i].text, err) == 0 && c.augment_pad == good[i].pad &&
                  c.augment_flip == good[i].flip && ffcnn_config_validate(&c, err) == 0,
              "--augment %s: pad %d flip %d: %s", good[i].text, c.augment_pad, c.augment_flip, err);
        ffcnn_augment_format(&c, text, sizeof text);
        CHECK(!strcmp(text, good[i].canonical), "--augment %s written '%s'", good[i].text, text);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ffcnn_config c = augment_config(FFCNN_ALGO_FF, 1, 1);
        err[0] = '\0';
        CHECK(ffcnn_augment_parse(&c, bad[i], err) == FFCNN_EINVAL && c.augment_pad == 1 &&
                  c.augment_flip == 1 && !strncmp(err, "--augment: ", 11) && !strchr(err, '\n'),
              "--augment '%s' refused, config untouched: %s", bad[i], err);
    }
    const int limits[][2] = {{9, 0}, {-1, 0}, {0, 2}, {0, -1}};
    for (int i = 0; i < 4; i++) {
        ffcnn_config c = augment_config(FFCNN_ALGO_FF, limits[i][0], limits[i][1]);
        CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--augment"),
              "pad %d flip %d refused: %s", limits[i][0], limits[i][1], err);
    }
}

static void rewrite_field_412(uint8_t *buf, long n, uint32_t value) {
    memcpy(buf + 412, &value, 4);
    const uint32_t crc = (uint32_t)crc32_z(0L, buf + 8, (size_t)n - 12);
    memcpy(buf + n - 4, &crc, 4);
    test_write_file(BAD, buf, (size_t)n);
}

static void expect_refused(uint8_t *buf, long n, uint32_t field, const char *needle) {
    rewrite_field_412(buf, n, field);
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN] = "";
    CHECK(ffcnn_load(&net, BAD, 1, err) == FFCNN_EFORMAT && !net && strstr(err, needle),
          "field 412 = 0x%x refused with '%s': %s", field, needle, err);
    ffcnn_net_free(net);
}

/* Model files: a model with augmentation is version 5 with (pad | flip << 8) at offset 412 and a
 * name count of 0; it loads back and saves to the same bytes. A version-4 file must hold 0
 * there, and version 5 only valid values. */
static void test_augment_model_file(void) {
    const int cases[][2] = {{3, 0}, {0, 1}, {8, 1}};
    char err[FFCNN_ERR_LEN] = "";
    for (int i = 0; i < 3; i++) {
        ffcnn_config c = augment_config(FFCNN_ALGO_FF, cases[i][0], cases[i][1]);
        ffcnn_net *net = NULL, *back = NULL;
        CHECK(ffcnn_net_create(&net, &c, 1, err) == 0 && ffcnn_save(net, MODEL, err) == 0,
              "save: %s", err);
        long n;
        uint8_t *buf = read_model(&n);
        uint32_t version, field;
        int32_t count;
        memcpy(&version, buf + 8, 4), memcpy(&field, buf + 412, 4);
        memcpy(&count, buf + 424 + 12 * net->n_params, 4);
        CHECK(version == 5 && field == (uint32_t)(cases[i][0] | cases[i][1] << 8) && count == 0 &&
                  n == (long)(424 + 12 * net->n_params + 8),
              "pad %d flip %d: version %u, field 0x%x, %d names, %ld bytes", cases[i][0],
              cases[i][1], version, field, count, n);
        CHECK(ffcnn_load(&back, MODEL, 1, err) == 0 &&
                  ffcnn_net_config(back)->augment_pad == cases[i][0] &&
                  ffcnn_net_config(back)->augment_flip == cases[i][1] && same_state(net, back) &&
                  !ffcnn_net_class_name(back, 0),
              "pad %d flip %d load back: %s", cases[i][0], cases[i][1], err);
        CHECK(back && ffcnn_save(back, BAD, err) == 0, "save again: %s", err);
        long n2 = file_size(BAD);
        uint8_t *buf2 = malloc((size_t)n);
        FILE *f = fopen(BAD, "rb");
        CHECK(f && n2 == n && fread(buf2, 1, (size_t)n, f) == (size_t)n && !memcmp(buf, buf2, n),
              "saved again: the same bytes");
        if (f) fclose(f);
        if (i == 2) {
            expect_refused(buf, n, 9 | 1 << 8, "--augment: shift 9");
            expect_refused(buf, n, 4 | 2 << 8, "--augment: flip 2");
            expect_refused(buf, n, 4 | 1 << 16, "unknown bits");
        }
        free(buf), free(buf2);
        ffcnn_net_free(net), ffcnn_net_free(back);
    }
    /* with class names as well: one version-5 file holds both */
    char names[10][64] = {"zero", "one", "two",   "three", "four",
                          "five", "six", "seven", "eight", "nine"};
    ffcnn_config c = augment_config(FFCNN_ALGO_FF, 2, 1);
    ffcnn_net *net = NULL, *back = NULL;
    CHECK(ffcnn_net_create(&net, &c, 1, err) == 0 &&
              ffcnn_net_set_class_names(net, (const char(*)[64])names, 10, err) == 0 &&
              ffcnn_save(net, MODEL, err) == 0 && ffcnn_load(&back, MODEL, 1, err) == 0,
          "names and augmentation: %s", err);
    CHECK(back && ffcnn_net_config(back)->augment_pad == 2 &&
              ffcnn_net_config(back)->augment_flip == 1 && ffcnn_net_class_name(back, 9) &&
              !strcmp(ffcnn_net_class_name(back, 9), "nine"),
          "names and augmentation come back together");
    ffcnn_net_free(net), ffcnn_net_free(back);
    /* version 4 (no augmentation, no names): offset 412 must be 0 */
    ffcnn_config plain = tiny_config();
    net = NULL;
    CHECK(ffcnn_net_create(&net, &plain, 1, err) == 0 && ffcnn_save(net, MODEL, err) == 0,
          "save: %s", err);
    long n;
    uint8_t *buf = read_model(&n);
    uint32_t version;
    memcpy(&version, buf + 8, 4);
    CHECK(version == 4, "no augmentation, no names: version 4");
    expect_refused(buf, n, 4 | 1 << 8, "reserved header field is not zero");
    expect_refused(buf, n, 1u << 31, "reserved header field is not zero");
    free(buf);
    ffcnn_net_free(net);
}

int main(void) {
    snprintf(MODEL, sizeof MODEL, "/tmp/ffcnn_test_model.%ld.ffm", (long)getpid());
    snprintf(BAD, sizeof BAD, "/tmp/ffcnn_test_bad.%ld.ffm", (long)getpid());
    snprintf(OLD, sizeof OLD, "/tmp/ffcnn_test_old.%ld.ffm", (long)getpid());
    test_label_reuse(FFCNN_LABEL_FOURIER1, FFCNN_CONV_IM2COL);
    test_label_reuse(FFCNN_LABEL_ONEHOT, FFCNN_CONV_IM2COL);
    test_label_reuse(FFCNN_LABEL_FOURIER2, FFCNN_CONV_FFT);
    test_determinism_and_resume();
    test_damaged_models();
    test_model_versions_and_paths();
    test_pooling_and_widths();
    test_data_identity();
    for (int v = 0; v < 4; v++) {
        test_chunked_batch(FFCNN_CONV_IM2COL, v);
        test_chunked_batch(FFCNN_CONV_FFT, v);
    }
    test_hard_negatives_follow_head();
    test_variant_resume(1);
    test_variant_resume(2);
    test_variant_resume(3);
    test_cwc_gradient(FFCNN_CONV_IM2COL);
    test_cwc_gradient(FFCNN_CONV_FFT);
    test_cwc_plain_batch();
    test_augment_config();
    test_augment_draws();
    test_augment_batch_ff();
    test_augment_batch_bp();
    test_augment_chunks();
    test_augment_model_file();
    test_augment_resume(FFCNN_ALGO_FF);
    test_augment_resume(FFCNN_ALGO_BP);
    remove(MODEL), remove(BAD), remove(OLD);
    return test_summary();
}
