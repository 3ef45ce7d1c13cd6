/* Networks of 2..FFCNN_MAX_CLASSES classes, trained on synthetic images: scores with K columns
 * that pick what ffcnn_evaluate picks, the CAM identity for every class, confusion matrices that
 * add up to the images evaluated (zero past K), and class names saved in model files (format
 * version 5) and refused when malformed, while a model without names is still version 4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "ffcnn.h"
#include "test_util.h"

/* Per-process names: ctest may run tests at the same time. */
static char MODEL[64], BAD[64];

/* n images side x side, image i of class i % K: a grey level of its class plus noise. */
static ffcnn_dataset make_data(int n, int side, int K) {
    const size_t len = (size_t)side * side;
    ffcnn_dataset ds = {n, 1, side, side, malloc(n * len), malloc((size_t)n)};
    float *noise = malloc(sizeof(float) * n * len);
    test_fill_uniform(noise, n * len, 0, 40.0f, 9);
    for (int i = 0; i < n; i++) {
        ds.labels[i] = (uint8_t)(i % K);
        for (size_t p = 0; p < len; p++)
            ds.pixels[i * len + p] = (uint8_t)(200.0f * ds.labels[i] / K + noise[i * len + p]);
    }
    free(noise);
    return ds;
}

static ffcnn_net *trained(int K, int algo, const ffcnn_dataset *ds) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_preset(&c, "tiny", NULL);
    c.classes = K, c.label_kind = FFCNN_LABEL_FOURIER_AUTO, c.algo = algo;
    c.height = ds->height, c.width = ds->width;
    c.batch = 8, c.seed = 3, c.lr = 0.01f, c.classifier_lr = 0.01f;
    ffcnn_net *net = NULL;
    if (ffcnn_config_parse_net(&c, "c3k3 c3k3", err) || ffcnn_net_create(&net, &c, 2, err) ||
        ffcnn_train_epoch(net, ds, NULL, NULL, NULL, err)) {
        CHECK(0, "%d classes: %s", K, err);
        ffcnn_net_free(net);
        return NULL;
    }
    return net;
}

/* The class ffcnn_evaluate predicts for image i, from its one-image confusion matrix. */
static int evaluated_class(ffcnn_net *net, const ffcnn_dataset *ds, int i, int goodness) {
    static ffcnn_eval_result r;
    ffcnn_dataset one = *ds;
    one.n = 1, one.pixels += (size_t)i * ds->height * ds->width, one.labels += i;
    char err[FFCNN_ERR_LEN];
    if (ffcnn_evaluate(net, &one, goodness ? FFCNN_EVAL_GOODNESS : FFCNN_EVAL_LINEAR, &r, err))
        return -1;
    for (int p = 0; p < r.classes; p++)
        if ((goodness ? r.confusion_goodness : r.confusion_linear)[ds->labels[i]][p]) return p;
    return -1;
}

static int argmax(const double *s, int K) {
    int a = 0;
    for (int c = 1; c < K; c++)
        if (s[c] > s[a]) a = c;
    return a;
}

/* ffcnn_scores fills n x K values and no more; each row's largest is the evaluated class. */
static void check_scores(ffcnn_net *net, const ffcnn_dataset *ds, int K, int ff) {
    char err[FFCNN_ERR_LEN];
    const size_t n = (size_t)ds->n * K;
    double *s = malloc(sizeof(double) * (n + 8));
    for (int goodness = ff; goodness >= 0; goodness--) {
        for (size_t i = 0; i < n + 8; i++) s[i] = -12345.0;
        const int rc =
            ffcnn_scores(net, ds, goodness ? FFCNN_EVAL_GOODNESS : FFCNN_EVAL_LINEAR, s, err);
        CHECK(rc == 0, "%d classes: scores: %s", K, err);
        int filled = 1, guard = 1, same = 1, unit = 1;
        for (size_t i = 0; i < n; i++) filled &= s[i] != -12345.0;
        for (size_t i = n; i < n + 8; i++) guard &= s[i] == -12345.0;
        for (int i = 0; i < ds->n && i < 12; i++) {
            const double *row = s + (size_t)i * K;
            same &= argmax(row, K) == evaluated_class(net, ds, i, goodness);
            double sum = 0;
            for (int c = 0; c < K; c++) sum += row[c];
            unit &= goodness || fabs(sum - 1.0) < 1e-9;
        }
        CHECK(filled && guard, "%d classes (%s): scores have K columns, nothing past n x K", K,
              goodness ? "goodness" : "linear");
        CHECK(same && unit, "%d classes (%s): the largest score is the evaluated class%s", K,
              goodness ? "goodness" : "linear", goodness ? "" : ", probabilities sum to 1");
    }
    free(s);
}

/* Both matrices add up to n, nothing past K, accuracy = their trace / n. */
static void check_confusion(ffcnn_net *net, const ffcnn_dataset *ds, int K, int ff) {
    static ffcnn_eval_result r;
    char err[FFCNN_ERR_LEN];
    CHECK(ffcnn_evaluate(net, ds, FFCNN_EVAL_BOTH, &r, err) == 0, "%d classes: evaluate: %s", K,
          err);
    CHECK(r.classes == K && r.n == ds->n, "%d classes: result of %d classes, %d images", K,
          r.classes, r.n);
    for (int m = ff ? 0 : 1; m < 2; m++) {
        int32_t(*c)[FFCNN_MAX_CLASSES] = m ? r.confusion_linear : r.confusion_goodness;
        long sum = 0, trace = 0, outside = 0;
        for (int t = 0; t < FFCNN_MAX_CLASSES; t++)
            for (int p = 0; p < FFCNN_MAX_CLASSES; p++) {
                if (t < K && p < K)
                    sum += c[t][p], trace += t == p ? c[t][p] : 0;
                else
                    outside += c[t][p] != 0;
            }
        const double acc = m ? r.accuracy_linear : r.accuracy_goodness;
        CHECK(sum == ds->n && outside == 0 && fabs(acc - (double)trace / ds->n) < 1e-12,
              "%d classes (%s): confusion sums to %ld of %d, %ld non-zero past K, accuracy %g", K,
              m ? "linear" : "goodness", sum, ds->n, outside, acc);
    }
}

/* The maps of every class sum to its logit; logits fill K values. */
static void check_cam(ffcnn_net *net, const ffcnn_dataset *ds, int K) {
    ffcnn_cam_layer layers[FFCNN_MAX_LAYERS];
    size_t total = 0;
    ffcnn_cam_layers(net, layers, &total);
    float *maps = malloc(sizeof(float) * total), logits[FFCNN_MAX_CLASSES + 1];
    char err[FFCNN_ERR_LEN];
    double worst = 0, largest = 0;
    int ok = 1;
    logits[K] = -7.0f;
    for (int c = 0; ok && c < K; c++) {
        ok = ffcnn_cam(net, ds, c % ds->n, c, maps, logits, err) == 0;
        double sum = 0;
        for (size_t p = 0; ok && p < total; p++) sum += maps[p];
        worst = fmax(worst, fabs(sum - logits[c]));
        largest = fmax(largest, fabs(logits[c]));
    }
    CHECK(ok && logits[K] == -7.0f, "%d classes: cam of every class (%s)", K, ok ? "" : err);
    CHECK(largest > 1e-4 && worst <= 1e-5 * fmax(1.0, largest),
          "%d classes: every class's maps sum to its logit (worst %g, largest logit %g)", K, worst,
          largest);
    CHECK(ffcnn_cam(net, ds, 0, K, maps, NULL, err) == FFCNN_EINVAL && strstr(err, "class"),
          "%d classes: class %d refused: %s", K, K, err);
    free(maps);
}

static void test_class_counts(void) {
    const int counts[] = {2, 3, 37, 100};
    for (size_t t = 0; t < sizeof counts / sizeof *counts; t++) {
        const int K = counts[t], side = K > 60 ? 24 : 12; /* 12 x 12 has 60 modes */
        ffcnn_dataset ds = make_data(2 * K + 6, side, K);
        ffcnn_net *net = trained(K, FFCNN_ALGO_FF, &ds);
        if (net) {
            check_scores(net, &ds, K, 1);
            check_confusion(net, &ds, K, 1);
            check_cam(net, &ds, K);
        }
        ffcnn_net_free(net);
        if (K == 3 && (net = trained(K, FFCNN_ALGO_BP, &ds))) {
            check_scores(net, &ds, K, 0);
            check_confusion(net, &ds, K, 0);
            check_cam(net, &ds, K);
            ffcnn_net_free(net);
        }
        ffcnn_dataset_free(&ds);
    }
}

static uint8_t *read_all(const char *path, long *n) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    *n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)*n)) && fread(buf, 1, (size_t)*n, f) != (size_t)*n)
        free(buf), buf = NULL;
    if (f) fclose(f);
    return buf;
}

static uint32_t version_of(const char *path) {
    long n;
    uint8_t *buf = read_all(path, &n);
    uint32_t v = 0;
    if (buf && n >= 12) memcpy(&v, buf + 8, 4);
    free(buf);
    return v;
}

/* Writes buf (n bytes) to BAD with its CRC fixed and expects ffcnn_load to refuse it naming
 * `needle`. */
static void expect_refused(uint8_t *buf, long n, const char *needle, const char *what) {
    const uint32_t crc = (uint32_t)crc32_z(0L, buf + 8, (size_t)n - 12);
    memcpy(buf + n - 4, &crc, 4);
    test_write_file(BAD, buf, (size_t)n);
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN] = "";
    const int rc = ffcnn_load(&net, BAD, 1, err);
    CHECK(rc == FFCNN_EFORMAT && !net && strstr(err, needle), "%s: refused naming '%s': %s", what,
          needle, err);
    ffcnn_net_free(net);
}

static ffcnn_net *named_net(int K, char (*names)[64]) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_preset(&c, "tiny", NULL);
    c.classes = K, c.label_kind = FFCNN_LABEL_FOURIER_AUTO, c.height = c.width = 12;
    ffcnn_net *net = NULL;
    CHECK(ffcnn_config_parse_net(&c, "c2k3 c2k3", err) == 0 &&
              ffcnn_net_create(&net, &c, 1, err) == 0,
          "create: %s", err);
    for (int k = 0; k < K; k++) snprintf(names[k], 64, "class-%02d", k);
    snprintf(names[1], 64, "caf\xc3\xa9 \xe2\x82\xac"); /* UTF-8 is fine */
    CHECK(net && ffcnn_net_set_class_names(net, (const char(*)[64])names, K, err) == 0,
          "set %d names: %s", K, err);
    return net;
}

/* Names saved and loaded, byte for byte; no names: version 4 as before. */
static void test_names_round_trip(void) {
    enum { K = 37 };
    char names[K][64], err[FFCNN_ERR_LEN];
    memset(names, 0, sizeof names);
    ffcnn_net *net = named_net(K, names), *back = NULL;
    if (!net) return;
    CHECK(ffcnn_save(net, MODEL, err) == 0 && version_of(MODEL) == 5, "names: version 5");
    CHECK(ffcnn_load(&back, MODEL, 1, err) == 0, "load names: %s", err);
    int same = back != NULL;
    for (int k = 0; same && k < K; k++)
        same = ffcnn_net_class_name(back, k) && !strcmp(ffcnn_net_class_name(back, k), names[k]);
    CHECK(same && back && !ffcnn_net_class_name(back, K) && !ffcnn_net_class_name(back, -1),
          "37 names come back; none past them");
    long n1, n2;
    uint8_t *a = read_all(MODEL, &n1);
    CHECK(back && ffcnn_save(back, BAD, err) == 0, "save again: %s", err);
    uint8_t *b = read_all(BAD, &n2);
    CHECK(a && b && n1 == n2 && !memcmp(a, b, (size_t)n1), "a loaded file saves back the same");
    free(b);
    CHECK(ffcnn_net_set_class_names(net, NULL, 0, err) == 0 && !ffcnn_net_class_name(net, 0) &&
              ffcnn_save(net, BAD, err) == 0 && version_of(BAD) == 4,
          "names removed: version 4 (%s)", err);
    ffcnn_net_free(back);
    back = NULL;
    CHECK(ffcnn_load(&back, BAD, 1, err) == 0 && !ffcnn_net_class_name(back, 0),
          "version 4 loads, with no names: %s", err);
    ffcnn_net_free(back);
    back = NULL;
    /* version 5 with a count of 0: the version-4 file, its version 5 and a 0 before the CRC */
    b = read_all(BAD, &n2);
    uint8_t *v = malloc((size_t)n2 + 4);
    const uint32_t five = 5, zero = 0;
    memcpy(v, b, (size_t)n2 - 4), memcpy(v + 8, &five, 4), memcpy(v + n2 - 4, &zero, 4);
    const uint32_t crc = (uint32_t)crc32_z(0L, v + 8, (size_t)n2 - 8);
    memcpy(v + n2, &crc, 4);
    test_write_file(BAD, v, (size_t)n2 + 4);
    CHECK(ffcnn_load(&back, BAD, 1, err) == 0 && !ffcnn_net_class_name(back, 0),
          "version 5 with no names loads: %s", err);
    ffcnn_net_free(back);
    free(v), free(a), free(b);
    ffcnn_net_free(net);
}

/* The names block of MODEL (37 names) damaged in each way the reader refuses. */
static void test_bad_name_blocks(void) {
    long n;
    uint8_t *good = read_all(MODEL, &n), *buf = malloc((size_t)n);
    if (!good || !buf) {
        CHECK(0, "read %s", MODEL);
        free(good), free(buf);
        return;
    }
    const long block = n - 4 - 37 * 64 - 4, name5 = block + 4 + 5 * 64;
    int32_t count = 2;
    memcpy(buf, good, (size_t)n), memcpy(buf + block, &count, 4);
    expect_refused(buf, n, "2 class names for 37 classes", "a count of 2");
    count = 38;
    memcpy(buf, good, (size_t)n), memcpy(buf + block, &count, 4);
    expect_refused(buf, n, "38 class names for 37 classes", "a count of 38");
    memcpy(buf, good, (size_t)n), buf[name5 + 63] = 'x';
    expect_refused(buf, n, "class name 5 is not zero-padded", "junk after the NUL");
    memcpy(buf, good, (size_t)n), memset(buf + name5, 'a', 64);
    expect_refused(buf, n, "class name 5 is not NUL-terminated", "no NUL");
    memcpy(buf, good, (size_t)n), buf[name5 + 2] = '\n';
    expect_refused(buf, n, "class name 5 holds a control character", "a newline");
    memcpy(buf, good, (size_t)n), buf[name5 + 1] = (char)0xc2, buf[name5 + 2] = (char)0x9b;
    expect_refused(buf, n, "class name 5 holds a control character", "U+009B (C1, CSI)");
    memcpy(buf, good, (size_t)n), buf[name5 + 2] = (char)0xc3;
    expect_refused(buf, n, "class name 5 is not valid UTF-8", "a broken UTF-8 sequence");
    memcpy(buf, good, (size_t)n), memset(buf + name5, 0, 64);
    expect_refused(buf, n, "class name 5 is empty", "an empty name");
    memcpy(buf, good, (size_t)n), memcpy(buf + name5, buf + name5 + 64, 64);
    expect_refused(buf, n, "class names 5 and 6 are both 'class-06'", "a duplicate");
    memcpy(buf, good, (size_t)n);
    expect_refused(buf, n - 64, "bytes", "a names block cut short");
    free(good), free(buf);
}

/* ffcnn_net_set_class_names refuses what a file may not hold, naming the class. */
static void test_set_names_errors(void) {
    char names[3][64] = {"ant", "bird", "cat"}, err[FFCNN_ERR_LEN];
    ffcnn_config c;
    ffcnn_config_preset(&c, "tiny", NULL);
    c.classes = 3, c.label_kind = FFCNN_LABEL_FOURIER_AUTO;
    ffcnn_net *net = NULL;
    if (ffcnn_net_create(&net, &c, 1, err)) {
        CHECK(0, "create: %s", err);
        return;
    }
    CHECK(ffcnn_net_set_class_names(net, (const char(*)[64])names, 2, err) == FFCNN_EINVAL &&
              strstr(err, "2 given for a network of 3 classes"),
          "two names for three classes: %s", err);
    strcpy(names[2], "ant");
    CHECK(ffcnn_net_set_class_names(net, (const char(*)[64])names, 3, err) == FFCNN_EINVAL &&
              strstr(err, "class names 0 and 2 are both 'ant'") && !ffcnn_net_class_name(net, 0),
          "duplicates refused, nothing set: %s", err);
    strcpy(names[2], "c\tt");
    CHECK(ffcnn_net_set_class_names(net, (const char(*)[64])names, 3, err) == FFCNN_EINVAL &&
              strstr(err, "class name 2 holds a control character"),
          "a tab refused: %s", err);
    memset(names[2], 'z', 64);
    CHECK(ffcnn_net_set_class_names(net, (const char(*)[64])names, 3, err) == FFCNN_EINVAL &&
              strstr(err, "class name 2 is not NUL-terminated"),
          "64 bytes without a NUL refused: %s", err);
    strcpy(names[2], "cat");
    CHECK(ffcnn_net_set_class_names(net, (const char(*)[64])names, 3, err) == 0 &&
              !strcmp(ffcnn_net_class_name(net, 2), "cat"),
          "three names set: %s", err);
    ffcnn_net_free(net);
}

int main(void) {
    snprintf(MODEL, sizeof MODEL, "/tmp/ffcnn_test_classes.%ld.ffm", (long)getpid());
    snprintf(BAD, sizeof BAD, "/tmp/ffcnn_test_classes_bad.%ld.ffm", (long)getpid());
    test_class_counts();
    test_names_round_trip();
    test_bad_name_blocks();
    test_set_names_errors();
    remove(MODEL), remove(BAD);
    return test_summary();
}
