/* Label patterns against values computed by hand from docs/method.md §2, and negative labels. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "labels.h"
#include "rng.h"
#include "test_util.h"
#include "train.h"

/* docs/method.md §2, copied from the document (not from src/labels.c). */
static const int SET1[10][2] = {{0, 6}, {2, 0},  {0, 4},  {0, 2}, {6, 0},
                                {4, 0}, {1, -1}, {2, -2}, {2, 2}, {1, 1}};
static const int SET2[10][2] = {{0, 6}, {6, 0},  {3, -3}, {3, 3},  {4, -2},
                                {4, 2}, {2, -4}, {2, 4},  {5, -1}, {5, 1}};

static float at(const ff_labels *lb, int c, int i, int j) {
    return ff_label_pattern(lb, c)[(size_t)i * lb->width + j];
}

static void test_modes(void) {
    for (int c = 0; c < 10; c++) {
        int ky, kx;
        ff_label_mode(FFCNN_LABEL_FOURIER1, c, &ky, &kx);
        CHECK(ky == SET1[c][0] && kx == SET1[c][1], "set 1 class %d mode (%d,%d)", c, ky, kx);
        ff_label_mode(FFCNN_LABEL_FOURIER2, c, &ky, &kx);
        CHECK(ky == SET2[c][0] && kx == SET2[c][1], "set 2 class %d mode (%d,%d)", c, ky, kx);
    }
}

static void test_fourier_values(void) {
    ff_labels lb;
    CHECK(ff_labels_make(&lb, FFCNN_LABEL_FOURIER1, 0.35f, 10, 1, 28, 28) == 0, "make set 1");
    /* class 0 = (0,6): 1 at j=0; cos(2 pi 42/28) = cos(3 pi) = -1 at j=7 -> 0 */
    CHECK_CLOSE(at(&lb, 0, 5, 0), 1.0, 1e-6, "L0[5][0]");
    CHECK_CLOSE(at(&lb, 0, 5, 7), 0.0, 1e-6, "L0[5][7]");
    CHECK_CLOSE(at(&lb, 0, 9, 14), 1.0, 1e-6, "L0[9][14]: 6*14/28 = 3 periods");
    /* class 1 = (2,0): rows vary, i=7 -> cos(pi) -> 0 */
    CHECK_CLOSE(at(&lb, 1, 7, 3), 0.0, 1e-6, "L1[7][3]");
    /* class 6 = (1,-1): i=7,j=0 -> cos(pi/2) = 0 -> 0.5; i=j -> 1 */
    CHECK_CLOSE(at(&lb, 6, 7, 0), 0.5, 1e-6, "L6[7][0]");
    CHECK_CLOSE(at(&lb, 6, 11, 11), 1.0, 1e-6, "L6[11][11]");
    /* class 9 = (1,1): i=7,j=7 -> cos(pi) -> 0 */
    CHECK_CLOSE(at(&lb, 9, 7, 7), 0.0, 1e-6, "L9[7][7]");
    /* neutral = mean of the ten patterns */
    double mean = 0;
    for (int c = 0; c < 10; c++) mean += at(&lb, c, 3, 17) / 10.0;
    CHECK_CLOSE(at(&lb, FF_NEUTRAL_LABEL, 3, 17), mean, 1e-6, "neutral is the mean");
    /* overlay: (1 - K) x + K L, stays in [0,1] */
    float img[784], out[784];
    for (int i = 0; i < 784; i++) img[i] = (float)(i % 256) / 255.0f;
    ff_label_overlay(out, img, &lb, 0);
    CHECK_CLOSE(out[0], 0.65 * img[0] + 0.35 * 1.0, 1e-6, "overlay at a peak");
    CHECK_CLOSE(out[7], 0.65 * img[7] + 0.0, 1e-6, "overlay at a trough");
    int inside = 1;
    for (int i = 0; i < 784; i++) inside &= out[i] >= 0.0f && out[i] <= 1.0f;
    CHECK(inside, "overlay stays in [0,1]");
    ff_labels_free(&lb);
}

static void test_onehot_and_rgb(void) {
    ff_labels lb;
    CHECK(ff_labels_make(&lb, FFCNN_LABEL_ONEHOT, 0.35f, 10, 1, 28, 28) == 0, "make one-hot");
    float img[784], out[784];
    for (int i = 0; i < 784; i++) img[i] = 0.5f;
    ff_label_overlay(out, img, &lb, 3);
    int ok = 1;
    for (int i = 0; i < 10; i++) ok &= out[i] == (i == 3 ? 1.0f : 0.0f);
    CHECK(ok && out[10] == 0.5f && out[783] == 0.5f, "one-hot overwrites the first 10 pixels only");
    ff_label_overlay(out, img, &lb, FF_NEUTRAL_LABEL);
    CHECK_CLOSE(out[4], 0.1, 1e-6, "one-hot neutral is 0.1 everywhere in the first 10");
    ff_labels_free(&lb);
    CHECK(ff_labels_make(&lb, FFCNN_LABEL_FOURIER2, 0.5f, 10, 3, 32, 32) == 0, "make RGB set 2");
    CHECK(lb.len == 3 * 32 * 32, "RGB length");
    CHECK(lb.patterns[5 * lb.len + 100] == lb.patterns[5 * lb.len + 1024 + 100],
          "same pattern in every colour channel");
    ff_labels_free(&lb);
}

static void test_negative_labels(void) {
    ff_rng rng;
    ff_rng_seed(&rng, 7);
    int count[10][10] = {{0}};
    int never_true = 1;
    for (int t = 0; t < 9000; t++) {
        int y = t % 10;
        int neg = ff_draw_negative_label(&rng, y, 10);
        never_true &= neg != y && neg >= 0 && neg < 10;
        count[y][neg]++;
    }
    CHECK(never_true, "a negative never carries the true label");
    /* 900 draws per true label over 9 wrong ones: 100 expected, sd ~9.4 */
    int lo = 1 << 30, hi = 0;
    for (int y = 0; y < 10; y++)
        for (int c = 0; c < 10; c++)
            if (c != y)
                lo = count[y][c] < lo ? count[y][c] : lo, hi = count[y][c] > hi ? count[y][c] : hi;
    CHECK(lo > 60 && hi < 140, "negatives uniform over the 9 wrong labels (min %d max %d)", lo, hi);
}

/* On any H x W the modes are cycles per image side (docs/method.md §2): class 0 of set 1,
 * mode (0, 6), has six maxima along a row of any width, and class 4, mode (6, 0), six down a
 * column of any height; a non-square image keeps both. */
static int count_maxima(const float *v, int n, int stride) {
    int peaks = 0;
    for (int j = 0; j < n; j++) {
        const float here = v[j * stride], left = v[((j + n - 1) % n) * stride],
                    right = v[((j + 1) % n) * stride];
        peaks += here > left && here >= right; /* periodic: cos is periodic over the side */
    }
    return peaks;
}

static void test_any_size(void) {
    const int sizes[][2] = {{28, 28}, {32, 32}, {24, 60}, {96, 40}};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        const int H = sizes[t][0], W = sizes[t][1];
        ff_labels lb;
        CHECK(ff_labels_make(&lb, FFCNN_LABEL_FOURIER1, 0.35f, 10, 1, H, W) == 0, "make %dx%d", H,
              W);
        const float *c0 = lb.patterns, *c4 = lb.patterns + 4 * lb.len;
        CHECK(count_maxima(c0 + 3 * W, W, 1) == 6 && count_maxima(c4 + 5, H, W) == 6,
              "%dx%d: six cycles per side (row %d, column %d maxima)", H, W,
              count_maxima(c0 + 3 * W, W, 1), count_maxima(c4 + 5, H, W));
        CHECK_CLOSE(at(&lb, 0, H - 1, 0), at(&lb, 0, 0, 0), 1e-6, "class 0 constant down a column");
        ff_labels_free(&lb);
    }
}

/* The auto Fourier set (src/labels.c): distinct non-conjugate modes below Nyquist, in order of
 * |k|^2, then ky, then kx; K is bounded by the modes an image has. */
static void test_auto_modes(void) {
    int m[FFCNN_MAX_CLASSES][2];
    CHECK(ff_label_auto_modes(6, 28, 28, m) == 0, "six modes on 28x28");
    const int want[6][2] = {{0, 1}, {1, 0}, {1, -1}, {1, 1}, {0, 2}, {2, 0}};
    int same = 1;
    for (int c = 0; c < 6; c++) same &= m[c][0] == want[c][0] && m[c][1] == want[c][1];
    CHECK(same, "the lowest modes first: (0,1) (1,0) (1,-1) (1,1) (0,2) (2,0)");
    CHECK(
        ff_label_auto_mode_count(28, 28) == 364 && ff_label_auto_mode_count(32, 32) == 480 &&
            ff_label_auto_mode_count(1, 9) == 4 && ff_label_auto_mode_count(2, 2) == 0,
        "mode counts: (27 * 27 - 1) / 2 on 28x28, (31 * 31 - 1) / 2 on 32x32, 4 on 1x9, 0 on 2x2");
    CHECK(ff_label_auto_modes(100, 32, 32, m) == 0, "100 modes on 32x32");
    int ok = 1;
    for (int c = 0; c < 100; c++) {
        const int ky = m[c][0], kx = m[c][1];
        ok &= (ky > 0 || (ky == 0 && kx > 0)) && ky < 16 && kx > -16 && kx < 16;
        for (int d = 0; d < c; d++) ok &= m[d][0] != ky || m[d][1] != kx;
        if (c) ok &= m[c - 1][0] * m[c - 1][0] + m[c - 1][1] * m[c - 1][1] <= ky * ky + kx * kx;
    }
    CHECK(ok, "100 distinct canonical modes below Nyquist, by increasing |k|^2");
    CHECK(ff_label_auto_modes(5, 1, 9, m) == FFCNN_EINVAL, "a 1x9 image has 4 modes, not 5");
    CHECK(ff_label_auto_modes(4, 1, 9, m) == 0 && m[3][0] == 0 && m[3][1] == 4, "1x9: kx 1..4");
}

static ffcnn_config label_config(int kind, int classes, int c, int h, int w) {
    ffcnn_config cfg;
    ffcnn_config_preset(&cfg, "tiny", NULL);
    cfg.label_kind = kind, cfg.classes = classes;
    cfg.channels = c, cfg.height = h, cfg.width = w;
    return cfg;
}

/* Every pair of auto patterns is sqrt(C H W / 4) apart (orthogonal cosines); the paper's sets
 * on 28x28 and one-hot are measured. */
static void test_label_distances(void) {
    int a = -1, b = -1;
    ffcnn_config cfg = label_config(FFCNN_LABEL_FOURIER_AUTO, 100, 3, 32, 32);
    double d = ffcnn_label_min_distance(&cfg, &a, &b);
    const double want = sqrt(3.0 * 32 * 32 / 4);
    CHECK(fabs(d - want) <= 1e-6 * want && a >= 0 && a < b && b < 100,
          "auto set, 100 classes on 3x32x32: min distance %.9g = sqrt(3*32*32/4) = %.9g "
          "(classes %d, %d)",
          d, want, a, b);
    cfg = label_config(FFCNN_LABEL_FOURIER_AUTO, 37, 1, 12, 12);
    d = ffcnn_label_min_distance(&cfg, NULL, NULL);
    CHECK(fabs(d - 6.0) <= 1e-6 * 6.0, "auto set, 37 classes on 12x12: %.9g = sqrt(144/4)", d);
    for (int set = FFCNN_LABEL_FOURIER1; set <= FFCNN_LABEL_FOURIER2; set++) {
        cfg = label_config(set, 10, 1, 28, 28);
        d = ffcnn_label_min_distance(&cfg, &a, &b);
        printf("paper's set %d on 1x28x28: min distance %.9g between classes %d and %d\n", set, d,
               a, b);
        CHECK(d > 0 && fabs(d - 14.0) < 1e-4,
              "set %d on 28x28: distinct, %.9g (its modes are "
              "distinct cosines too: sqrt(784/4) = 14)",
              set, d);
    }
    cfg = label_config(FFCNN_LABEL_ONEHOT, 37, 1, 12, 12);
    d = ffcnn_label_min_distance(&cfg, NULL, NULL);
    CHECK(fabs(d - sqrt(2.0)) < 1e-9, "one-hot: sqrt(2) apart (%.9g)", d);
    cfg = label_config(FFCNN_LABEL_FOURIER1, 37, 1, 12, 12);
    CHECK(ffcnn_label_min_distance(&cfg, NULL, NULL) == -1.0, "a refused configuration: -1");
}

/* Which label sets take which class counts, and the messages. */
static void test_label_limits(void) {
    char err[FFCNN_ERR_LEN];
    ffcnn_config cfg = label_config(FFCNN_LABEL_FOURIER1, 37, 1, 12, 12);
    CHECK(ffcnn_config_validate(&cfg, err) == FFCNN_EINVAL && strstr(err, "--label-set 1") &&
              strstr(err, "10 classes, not 37"),
          "set 1 refused for 37 classes: %s", err);
    cfg.label_kind = FFCNN_LABEL_FOURIER2;
    CHECK(ffcnn_config_validate(&cfg, err) == FFCNN_EINVAL && strstr(err, "--label-set 2"),
          "set 2 refused for 37 classes: %s", err);
    cfg = label_config(FFCNN_LABEL_FOURIER_AUTO, 61, 1, 12, 12);
    CHECK(ffcnn_config_validate(&cfg, err) == FFCNN_EINVAL && strstr(err, "60 Fourier modes") &&
              strstr(err, "61 classes"),
          "fourier: more classes than the 60 modes of 12x12 refused: %s", err);
    cfg.classes = 60;
    CHECK(ffcnn_config_validate(&cfg, err) == 0, "fourier: 60 classes on 12x12: %s", err);
    cfg = label_config(FFCNN_LABEL_ONEHOT, 10, 1, 3, 3);
    CHECK(ffcnn_config_validate(&cfg, err) == FFCNN_EINVAL && strstr(err, "onehot"),
          "one-hot: 10 classes on 9 pixels refused: %s", err);
    CHECK(ff_labels_check(FFCNN_LABEL_ONEHOT, 18, 2, 3, 3, err) == 0 &&
              ff_labels_check(FFCNN_LABEL_ONEHOT, 19, 2, 3, 3, err) == FFCNN_EINVAL,
          "one-hot: up to 2x3x3 = 18 classes on a 2x3x3 image: %s", err);
    for (int k = 0; k < 4; k++) {
        const int classes[4] = {1, 101, 2, 100};
        cfg = label_config(FFCNN_LABEL_FOURIER_AUTO, classes[k], 1, 28, 28);
        const int rc = ffcnn_config_validate(&cfg, err);
        CHECK(k < 2 ? rc == FFCNN_EINVAL && strstr(err, "out of range 2..100") : rc == 0,
              "%d classes %s: %s", classes[k], k < 2 ? "refused" : "accepted", rc ? err : "");
    }
}

/* A negative label is uniform over the K - 1 wrong ones for any K. */
static void test_negative_labels_k(int K) {
    ff_rng rng;
    ff_rng_seed(&rng, 11);
    int count[FFCNN_MAX_CLASSES] = {0}, ok = 1;
    const int y = K / 2, draws = 200 * (K - 1);
    for (int t = 0; t < draws; t++) {
        const int neg = ff_draw_negative_label(&rng, y, K);
        ok &= neg != y && neg >= 0 && neg < K;
        if (ok) count[neg]++;
    }
    int lo = draws, hi = 0;
    for (int c = 0; c < K; c++)
        if (c != y) lo = count[c] < lo ? count[c] : lo, hi = count[c] > hi ? count[c] : hi;
    CHECK(ok && lo > 140 && hi < 260,
          "%d classes: negatives uniform over the %d wrong ones "
          "(min %d max %d of 200 expected)",
          K, K - 1, lo, hi);
}

int main(void) {
    test_auto_modes();
    test_label_distances();
    test_label_limits();
    test_negative_labels_k(3);
    test_negative_labels_k(100);
    test_any_size();
    test_modes();
    test_fourier_values();
    test_onehot_and_rgb();
    test_negative_labels();
    return test_summary();
}
