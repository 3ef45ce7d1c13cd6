/* Morphological labels (--label-set morph, docs/method.md §2): the line dilation and erosion
 * kernels against hand-checked cases and a naive reference, every class a different
 * transformation, and a small network trained and evaluated with them (the evaluation's layer 1
 * on each labelled copy against a direct forward pass), saved and loaded as label kind 5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "labels.h"
#include "network.h"
#include "test_util.h"

#define PI 3.141592653589793

/* ---- kernels ---- */

static int count_nonzero(const float *x, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) k += x[i] != 0.0f;
    return k;
}

static void test_hand_cases(void) {
    enum { H = 7, W = 7 };
    float src[H * W] = {0}, dst[H * W];
    src[3 * W + 3] = 1.0f; /* one bright pixel in the middle */

    ff_line_dilate(dst, src, H, W, 3, 0.0);
    CHECK(dst[3 * W + 2] == 1.0f && dst[3 * W + 3] == 1.0f && dst[3 * W + 4] == 1.0f &&
              count_nonzero(dst, H * W) == 3,
          "a bright pixel dilated by a horizontal line of 3 is a 1x3 segment");
    ff_line_erode(dst, src, H, W, 3, 0.0);
    CHECK(count_nonzero(dst, H * W) == 0, "eroded by the same line it vanishes");

    ff_line_dilate(dst, src, H, W, 3, PI / 4);
    CHECK(dst[3 * W + 3] == 1.0f && dst[2 * W + 4] == 1.0f && dst[4 * W + 2] == 1.0f &&
              count_nonzero(dst, H * W) == 3,
          "45 degrees, length 3: the rising diagonal (up-right as displayed)");
    ff_line_dilate(dst, src, H, W, 5, PI / 2);
    int column = count_nonzero(dst, H * W) == 5;
    for (int i = 1; i <= 5; i++) column &= dst[i * W + 3] == 1.0f;
    CHECK(column, "90 degrees, length 5: a vertical 5x1 segment");

    /* 36 degrees, length 5 (class 2 of the morph set): t = 1 -> (row, col) = (-round(0.727), 1),
     * t = 2 -> (-round(1.453), 2) = (-1, 2). */
    int off[5][2];
    CHECK(ff_line_offsets(off, 5, PI / 5) == 5, "a line of 5 has 5 offsets");
    const int want[5][2] = {{1, -2}, {1, -1}, {0, 0}, {-1, 1}, {-1, 2}};
    CHECK(!memcmp(off, want, sizeof want),
          "36 degrees, length 5: (1,-2) (1,-1) (0,0) (-1,1) (-1,2)");
    ff_line_dilate(dst, src, H, W, 5, PI / 5);
    int diag = count_nonzero(dst, H * W) == 5;
    for (int k = 0; k < 5; k++) diag &= dst[(3 - want[k][0]) * W + 3 - want[k][1]] == 1.0f;
    CHECK(diag, "36 degrees, length 5: the bright pixel spreads over the line's 5 pixels");

    /* borders replicated: a ramp 1..W along the rows; zero padding would give 0 at the left */
    float ramp[H * W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) ramp[i * W + j] = (float)(j + 1);
    ff_line_erode(dst, ramp, H, W, 5, 0.0);
    CHECK(dst[2 * W + 0] == 1.0f && dst[2 * W + 1] == 1.0f && dst[2 * W + 2] == 1.0f &&
              dst[2 * W + 3] == 2.0f && dst[2 * W + 6] == 5.0f,
          "erosion at the left border takes the replicated border value");
    ff_line_dilate(dst, ramp, H, W, 5, 0.0);
    CHECK(dst[4 * W + 6] == 7.0f && dst[4 * W + 4] == 7.0f && dst[4 * W + 3] == 6.0f &&
              dst[4 * W + 0] == 3.0f,
          "dilation at the right border takes the replicated border value");
    ff_line_erode(dst, ramp, H, W, 7, PI / 2);
    int same = 1;
    for (int i = 0; i < H * W; i++) same &= dst[i] == ramp[i];
    CHECK(same, "a vertical line on a horizontal ramp: constant along it (replicated rows)");
}

/* From the definition: max / min of src[clamp(i - round(t s / m))][clamp(j + round(t c / m))]. */
static void naive(float *dst, const float *src, int h, int w, int length, double theta, int dil) {
    const double c = cos(theta), s = sin(theta), m = fmax(fabs(c), fabs(s));
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            float v = dil ? -INFINITY : INFINITY;
            for (int t = -(length - 1) / 2; t <= (length - 1) / 2; t++) {
                int y = i - (int)lround(t * s / m), x = j + (int)lround(t * c / m);
                y = y < 0 ? 0 : y >= h ? h - 1 : y;
                x = x < 0 ? 0 : x >= w ? w - 1 : x;
                const float u = src[y * w + x];
                v = dil ? fmaxf(v, u) : fminf(v, u);
            }
            dst[i * w + j] = v;
        }
}

static void test_against_naive(void) {
    const int shapes[][2] = {{1, 1}, {5, 9}, {9, 5}, {16, 16}, {13, 3}};
    const double angles[] = {0.0, PI / 5, 2 * PI / 5, 3 * PI / 5, 4 * PI / 5, PI / 4, 1.0, -0.3};
    int bad = 0, cases = 0;
    for (size_t a = 0; a < sizeof shapes / sizeof *shapes; a++) {
        const int h = shapes[a][0], w = shapes[a][1];
        float *src = malloc(sizeof(float) * h * w), *got = malloc(sizeof(float) * h * w);
        float *ref = malloc(sizeof(float) * h * w);
        test_fill_uniform(src, (size_t)h * w, 0, 1, 11 + a);
        for (int length = 1; length <= 23; length += 2)
            for (size_t k = 0; k < sizeof angles / sizeof *angles; k++)
                for (int dil = 0; dil <= 1; dil++) {
                    (dil ? ff_line_dilate : ff_line_erode)(got, src, h, w, length, angles[k]);
                    naive(ref, src, h, w, length, angles[k], dil);
                    bad += memcmp(got, ref, sizeof(float) * h * w) != 0, cases++;
                }
        free(src), free(got), free(ref);
    }
    CHECK(bad == 0, "kernels equal the naive reference (%d of %d cases differ)", bad, cases);
}

/* ---- labels ---- */

static void test_classes(void) {
    int dilate, length;
    double theta;
    ff_label_morph_class(0, &dilate, &length, &theta);
    CHECK(dilate && length == 5 && theta == 0.0, "class 0: dilation, length 5, 0 degrees");
    ff_label_morph_class(7, &dilate, &length, &theta);
    CHECK(!dilate && length == 5 && fabs(theta - 3 * PI / 5) < 1e-12,
          "class 7: erosion, length 5, 108 degrees");
    ff_label_morph_class(12, &dilate, &length, &theta);
    CHECK(dilate && length == 7 && fabs(theta - PI / 5) < 1e-12,
          "class 12: dilation, length 7, 36 degrees");
    ff_label_morph_class(99, &dilate, &length, &theta);
    CHECK(!dilate && length == 23 && fabs(theta - 4 * PI / 5) < 1e-12,
          "class 99: erosion, length 23, 144 degrees");
}

/* t + (mean(x) - mean(t)): the labels' brightness matched to the image's (docs/method.md §2). */
static void shift_to_mean(float *t, const float *x, size_t n) {
    double d = 0;
    for (size_t i = 0; i < n; i++) d += (double)x[i] - t[i];
    for (size_t i = 0; i < n; i++) t[i] += (float)(d / (double)n);
}

/* No two of the 100 classes give the same labelled image of a textured image. */
static void test_distinct(void) {
    ff_labels lb;
    const int K = FFCNN_MAX_CLASSES, side = 32;
    CHECK(ff_labels_make(&lb, FFCNN_LABEL_MORPH, 0.35f, K, 1, side, side) == 0, "make morph K=100");
    CHECK(lb.patterns == NULL && ff_label_pattern(&lb, 0) == NULL && !ff_label_affine(&lb),
          "morph has no fixed pattern and is not affine");
    const size_t len = lb.len;
    float *img = malloc(sizeof(float) * len), *out = malloc(sizeof(float) * len * (K + 1));
    test_fill_uniform(img, len, 0, 1, 5);
    for (int c = 0; c <= K; c++)
        ff_label_overlay(out + c * len, img, &lb, c == K ? FF_NEUTRAL_LABEL : c);
    int equal = 0, a = -1, b = -1;
    for (int i = 0; i < K; i++)
        for (int j = i + 1; j < K; j++)
            if (!memcmp(out + i * len, out + j * len, sizeof(float) * len)) equal++, a = i, b = j;
    CHECK(equal == 0,
          "K = 100: every two classes differ on a textured image (%d equal, e.g. %d %d)", equal, a,
          b);
    /* x_c = (1 - K) x + K T_c(x); neutral = (1 - K) x + K mean_c T_c(x); T_c shifted to the
     * image's mean */
    float *t = malloc(sizeof(float) * len);
    double worst = 0, worst_n = 0;
    int dilate, length;
    double theta;
    float *mean = calloc(len, sizeof(float));
    for (int c = 0; c < K; c++) {
        ff_label_morph_class(c, &dilate, &length, &theta);
        naive(t, img, side, side, length, theta, dilate);
        shift_to_mean(t, img, len);
        for (size_t i = 0; i < len; i++) {
            worst = fmax(worst, fabs(out[c * len + i] - (0.65f * img[i] + 0.35f * t[i])));
            mean[i] += t[i] / K;
        }
    }
    for (size_t i = 0; i < len; i++)
        worst_n = fmax(worst_n, fabs(out[K * len + i] - (0.65f * img[i] + 0.35f * mean[i])));
    CHECK(worst < 1e-6, "x_c = (1-K) x + K T_c(x) (worst %g)", worst);
    double mean_x = 0, worst_mean = 0;
    for (size_t i = 0; i < len; i++) mean_x += img[i] / (double)len;
    for (int c = 0; c <= K; c++) {
        double m = 0;
        for (size_t i = 0; i < len; i++) m += out[c * len + i] / (double)len;
        worst_mean = fmax(worst_mean, fabs(m - mean_x));
    }
    CHECK(worst_mean < 1e-6,
          "every labelled image keeps the image's mean brightness: no dilation/erosion shortcut "
          "(worst %g)",
          worst_mean);
    CHECK(worst_n < 1e-5, "neutral = (1-K) x + K mean_c T_c(x) (worst %g)", worst_n);
    free(img), free(out), free(t), free(mean);
    ff_labels_free(&lb);

    /* any channel count: each channel transformed on its own */
    CHECK(ff_labels_make(&lb, FFCNN_LABEL_MORPH, 0.5f, 3, 3, 9, 11) == 0, "make morph 3 channels");
    float x[3 * 99], y[3 * 99], r[99];
    test_fill_uniform(x, 3 * 99, 0, 1, 9);
    ff_label_overlay(y, x, &lb, 1); /* class 1: erosion, 0 degrees, length 5 */
    worst = 0;
    for (int ch = 0; ch < 3; ch++) {
        naive(r, x + ch * 99, 9, 11, 5, 0.0, 0);
        shift_to_mean(r, x + ch * 99, 99);
        for (int i = 0; i < 99; i++)
            worst = fmax(worst, fabs(y[ch * 99 + i] - (0.5f * x[ch * 99 + i] + 0.5f * r[i])));
    }
    CHECK(worst < 1e-6, "3 channels: each channel eroded on its own (worst %g)", worst);
    ff_labels_free(&lb);
}

static void test_validation(void) {
    char err[FFCNN_ERR_LEN];
    for (int k = 2; k <= FFCNN_MAX_CLASSES; k++)
        if (ff_labels_check(FFCNN_LABEL_MORPH, k, k % 4 + 1, 5, 7, err)) {
            CHECK(0, "morph K=%d refused: %s", k, err);
            break;
        }
    ffcnn_config c;
    ffcnn_config_default(&c);
    c.label_kind = FFCNN_LABEL_MORPH;
    CHECK(ffcnn_config_validate(&c, err) == 0, "a config with label kind 5 is valid: %s", err);
    c.label_kind = 6;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "morph"),
          "label kind 6 is refused: %s", err);
    c.label_kind = FFCNN_LABEL_MORPH;
    float out[784];
    uint8_t img[784];
    for (int i = 0; i < 784; i++) img[i] = (uint8_t)(i * 13);
    CHECK(ffcnn_label_image(&c, 3, NULL, out, err) == FFCNN_EINVAL && strstr(err, "morph"),
          "morph: no pattern without an image: %s", err);
    CHECK(ffcnn_label_image(&c, 3, img, out, err) == 0, "morph: the labelled image: %s", err);
    CHECK(ffcnn_label_min_distance(&c, NULL, NULL) == -1.0, "morph: no pattern distance (-1)");
}

/* ---- a network ---- */

static ffcnn_dataset make_data(int n, int channels, int side, int classes) {
    const size_t len = (size_t)channels * side * side;
    ffcnn_dataset ds = {n, channels, side, side, malloc(n * len), malloc((size_t)n)};
    float *tmp = malloc(sizeof(float) * n * len);
    test_fill_uniform(tmp, n * len, 0, 255.99f, 7);
    for (size_t i = 0; i < n * len; i++) ds.pixels[i] = (uint8_t)tmp[i];
    for (int i = 0; i < n; i++) ds.labels[i] = (uint8_t)(i % classes);
    free(tmp);
    return ds;
}

/* Goodness of image `row` under every label, by a direct forward pass of its K labelled copies
 * (ffcnn_label_image, then every layer on all K): what the evaluation must compute. */
static int direct_goodness(ffcnn_net *net, const ffcnn_dataset *ds, int row, double *g) {
    char err[FFCNN_ERR_LEN];
    const int K = net->cfg.classes;
    const size_t len = net->labels.len;
    if (ff_net_reserve(net, K, err)) return -1;
    for (int c = 0; c < K; c++)
        if (ffcnn_label_image(&net->cfg, c, ds->pixels + (size_t)row * len,
                              net->ws.input + (size_t)c * len, err))
            return -1;
    for (int i = 0; i < net->n_layers; i++)
        if (ff_net_forward_range(net, i, 0, K, err)) return -1;
    for (int c = 0; c < K; c++) {
        g[c] = 0.0;
        for (int i = 0; i < net->n_layers; i++)
            if (ff_layer_trained(net, i)) g[c] += net->ws.sumsq[i][c];
    }
    return 0;
}

static void check_network(const char *layers, int channels, int classes) {
    ffcnn_dataset ds = make_data(20, channels, 12, classes);
    ffcnn_config c;
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_config_preset(&c, "tiny", NULL);
    c.channels = channels, c.height = c.width = 12, c.classes = classes;
    c.label_kind = FFCNN_LABEL_MORPH;
    c.batch = 8, c.seed = 5, c.lr = 0.01f;
    ffcnn_net *net = NULL;
    int rc = ffcnn_config_parse_net(&c, layers, err);
    if (!rc) rc = ffcnn_net_create(&net, &c, 2, err);
    if (!rc) rc = ffcnn_train_epoch(net, &ds, NULL, NULL, NULL, err);
    CHECK(rc == 0, "%s, %d channels, K=%d: trains with morph labels: %s", layers, channels, classes,
          err);
    if (rc) {
        ffcnn_net_free(net), ffcnn_dataset_free(&ds);
        return;
    }
    ffcnn_eval_result r;
    CHECK(ffcnn_evaluate(net, &ds, FFCNN_EVAL_BOTH, &r, err) == 0 && r.n == ds.n,
          "%s: evaluates (goodness and linear): %s", layers, err);
    double *s = calloc((size_t)ds.n * classes, sizeof(double));
    double *s2 = calloc((size_t)ds.n * classes, sizeof(double));
    CHECK(ffcnn_scores(net, &ds, FFCNN_EVAL_GOODNESS, s, err) == 0 &&
              ffcnn_scores(net, &ds, FFCNN_EVAL_GOODNESS, s2, err) == 0,
          "%s: goodness scores: %s", layers, err);
    CHECK(!memcmp(s, s2, sizeof(double) * ds.n * classes), "%s: goodness is deterministic", layers);
    /* the evaluation's predictions: its confusion matrix against the direct computation's */
    int32_t confusion[FFCNN_MAX_CLASSES][FFCNN_MAX_CLASSES] = {{0}};
    double g[FFCNN_MAX_CLASSES], worst = 0;
    int ok = 1;
    for (int i = 0; ok && i < ds.n; i++) {
        ok = direct_goodness(net, &ds, i, g) == 0;
        int arg = 0;
        for (int k = 0; ok && k < classes; k++) {
            worst = fmax(worst, fabs(g[k] - s[(size_t)i * classes + k]) / fmax(g[k], 1e-30));
            if (g[k] > g[arg]) arg = k;
        }
        confusion[ds.labels[i]][arg]++;
    }
    CHECK(ok, "%s: direct forward pass", layers);
    CHECK(worst < 1e-5, "%s: goodness = a direct pass on each labelled copy (worst %g)", layers,
          worst);
    CHECK(!memcmp(confusion, r.confusion_goodness, sizeof confusion),
          "%s: ffcnn_evaluate predicts what the direct computation predicts", layers);

    /* saved and loaded as label kind 5: the same scores */
    char path[64];
    snprintf(path, sizeof path, "/tmp/ffcnn_test_morph_%d.ffm", (int)getpid());
    ffcnn_net *back = NULL;
    rc = ffcnn_save(net, path, err);
    if (!rc) rc = ffcnn_load(&back, path, 2, err);
    CHECK(rc == 0 && ffcnn_net_config(back)->label_kind == FFCNN_LABEL_MORPH,
          "%s: saved and loaded with label kind 5: %s", layers, err);
    if (!rc) {
        CHECK(ffcnn_scores(back, &ds, FFCNN_EVAL_GOODNESS, s2, err) == 0 &&
                  !memcmp(s, s2, sizeof(double) * ds.n * classes),
              "%s: the loaded model scores the same", layers);
    }
    remove(path);
    ffcnn_net_free(back);
    free(s), free(s2);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

int main(void) {
    test_hand_cases();
    test_against_naive();
    test_classes();
    test_distinct();
    test_validation();
    check_network("c4k3 c4k3", 1, 10);
    check_network("c4k3 p2 c5k3", 3, 4);
    return test_summary();
}
