/* The CLI's figure module (cli/figure.c) on synthetic data: class activation maps, label
 * patterns and a confusion matrix drawn into PNGs, read back with libpng: the size the layout
 * reports, not blank, reds and blues where the maps are positive and negative, grey where a map
 * is not finite, the largest count in the darkest cell; errors for bad input and unwritable
 * paths. With an argument DIR the PNGs are written there and kept (to look at them). */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "figure.h"
#include "test_util.h"

typedef struct image {
    int w, h;
    unsigned char *rgb; /* w * h * 3 */
} image;

/* Reads a PNG as 8-bit RGB with libpng; 0 on success. */
static int read_png(const char *path, image *im) {
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&p, path)) return -1;
    p.format = PNG_FORMAT_RGB;
    im->w = (int)p.width, im->h = (int)p.height;
    im->rgb = malloc(PNG_IMAGE_SIZE(p));
    if (!im->rgb || !png_image_finish_read(&p, NULL, im->rgb, 0, NULL)) {
        png_image_free(&p);
        free(im->rgb);
        return -1;
    }
    return 0;
}

static const unsigned char *px(const image *im, int x, int y) {
    return im->rgb + ((size_t)y * im->w + x) * 3;
}

/* Distinct colours, counting up to 1000. */
static int n_colours(const image *im) {
    static unsigned seen[1000];
    int n = 0;
    for (int i = 0; i < im->w * im->h && n < 1000; i++) {
        const unsigned char *p = im->rgb + (size_t)i * 3;
        const unsigned v = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        int k = 0;
        while (k < n && seen[k] != v) k++;
        if (k == n) seen[n++] = v;
    }
    return n;
}

/* Reads path, checks it decodes, has size w x h and is not blank. */
static int check_png(const char *path, int w, int h, image *im) {
    const int ok = read_png(path, im) == 0;
    CHECK(ok, "%s decodes with libpng", path);
    if (!ok) return -1;
    CHECK(im->w == w && im->h == h, "%s is %dx%d, the layout says %dx%d", path, im->w, im->h, w, h);
    const int colours = n_colours(im);
    CHECK(colours >= 20, "%s is not blank (%d colours)", path, colours);
    return 0;
}

typedef enum figure_kind { CAM, LABELS, CONFUSION } figure_kind;

/* One figure's API behind one call: with a path, draws spec there; without, its size in w, h. */
static const char *call_figure(figure_kind kind, const void *spec, const char *path, int *w, int *h,
                               char *err) {
    switch (kind) {
    case CAM:
        return path ? figure_cam_png(path, spec, err) : figure_cam_size(spec, w, h, err);
    case LABELS:
        return path ? figure_labels_png(path, spec, err) : figure_labels_size(spec, w, h, err);
    case CONFUSION:
        return path ? figure_confusion_png(path, spec, err)
                    : figure_confusion_size(spec, w, h, err);
    }
    return "no such figure";
}

/* Draws spec into path = dir/file and reads it back into im (the caller frees im->rgb): 0 when
 * it is drawn at the size the layout reports and is not blank. */
static int draw_and_read(figure_kind kind, const void *spec, const char *dir, const char *file,
                         char path[512], image *im) {
    char err[FIGURE_ERR_LEN];
    int w = 0, h = 0;
    const char *e = call_figure(kind, spec, NULL, &w, &h, err);
    CHECK(!e, "%s: size: %s", file, e ? e : "");
    snprintf(path, 512, "%s/%s", dir, file);
    if (!e) e = call_figure(kind, spec, path, NULL, NULL, err);
    CHECK(!e, "%s: png: %s", file, e ? e : "");
    return e ? -1 : check_png(path, w, h, im);
}

/* Frees a figure read back and removes its file, unless kept. */
static void done_with(image *im, const char *path, int keep) {
    free(im->rgb);
    if (!keep) unlink(path);
}

/* Draws spec into path = dir/file and checks it like draw_and_read, then lets it go. */
static void check_drawn(figure_kind kind, const void *spec, const char *dir, const char *file,
                        char path[512], int keep) {
    image im;
    if (!draw_and_read(kind, spec, dir, file, path, &im)) done_with(&im, path, keep);
}

/* Drawing spec into path fails, with a message that names must_name (NULL: anything). */
static void check_refused(figure_kind kind, const void *spec, const char *path, const char *what,
                          const char *must_name) {
    char err[FIGURE_ERR_LEN];
    const char *e = call_figure(kind, spec, path, NULL, NULL, err);
    CHECK(e && (!must_name || strstr(e, must_name)), "%s refused: %s", what, e ? e : "(none)");
}

/* A path in a directory that does not exist is refused and named. */
static void check_unwritable(figure_kind kind, const void *spec, const char *file) {
    char path[512];
    snprintf(path, sizeof path, "/nonexistent-dir-for-test-figure/%s", file);
    check_refused(kind, spec, path, "an unwritable path", path);
}

/* The pixel at the centre of map value (i, j) of an h x w map drawn in rect r. */
static const unsigned char *map_px(const image *im, figure_rect r, int h, int w, int i, int j) {
    return px(im, r.x + (int)((j + 0.5) * r.w / w), r.y + (int)((i + 0.5) * r.h / h));
}

enum { BLUE = -1, RED = 1 };

/* Map value (i, j) of an h x w map drawn in r is clearly red or clearly blue (hue). */
static void check_hue(const image *im, figure_rect r, int h, int w, int i, int j, int hue,
                      const char *what) {
    const unsigned char *p = map_px(im, r, h, w, i, j);
    const int ok = hue == RED ? p[0] > p[2] + 50 : p[2] > p[0] + 50;
    CHECK(ok, "%s is %s (%d,%d,%d)", what, hue == RED ? "red" : "blue", p[0], p[1], p[2]);
}

static void test_cam(const char *dir, int keep) {
    enum { N = 28, M = 14 };
    static uint8_t input[N * N];
    static float a[N * N], b[M * M], sum[N * N], a2[N * N], b2[M * M], sum2[N * N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) { /* a ring, like a zero */
            const double r = hypot(i - 13.5, (j - 13.5) * 1.4);
            input[i * N + j] = (uint8_t)(r > 6 && r < 10 ? 255 : 0);
        }
    /* a (28x28): +1 top-left block, -0.5 bottom-right block, a faint ramp elsewhere */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            float v = 0.05f * (float)(j - 14) / 14;
            if (i >= 4 && i < 12 && j >= 4 && j < 12) v = 1.0f;
            if (i >= 16 && i < 24 && j >= 16 && j < 24) v = -0.5f;
            a[i * N + j] = v;
        }
    /* b (14x14): +2 top right, -3 bottom left */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            float v = 0;
            if (i < 5 && j >= 9) v = 2.0f;
            if (i >= 9 && j < 5) v = -3.0f;
            b[i * M + j] = v;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) sum[i * N + j] = a[i * N + j] + b[(i / 2) * M + j / 2];
    for (int k = 0; k < N * N; k++) a2[k] = -0.3f * a[k], sum2[k] = -sum[k];
    for (int k = 0; k < M * M; k++) b2[k] = -b[k] * 1e-4f;
    a2[0] = NAN; /* drawn grey */
    const figure_map maps0[2] = {{"layer 2", a, N, N}, {"layer 3", b, M, M}};
    const figure_map maps1[2] = {{"layer 2", a2, N, N}, {"layer 3", b2, M, M}};
    const figure_cam_row rows[2] = {
        {"class 0 (predicted), logit 5.32", maps0, 2, {"sum (layers 2-3)", sum, N, N}},
        {"class 6, logit -1.07", maps1, 2, {"sum (layers 2-3)", sum2, N, N}}};
    figure_cam_spec spec = {.title = "Class activation maps, test image 42 (true class 0)",
                            .image = input,
                            .channels = 1,
                            .height = N,
                            .width = N,
                            .rows = rows,
                            .n_rows = 2};
    char err[FIGURE_ERR_LEN], path[512];
    image im;
    if (draw_and_read(CAM, &spec, dir, "cam.png", path, &im)) return;
    CHECK(im.w >= 4 * 168 && im.w < 4 * 168 + 400 && im.h >= 2 * 168 && im.h < 2 * 168 + 500,
          "cam size %dx%d within bounds for 4 panels of 168 by 2 rows", im.w, im.h);
    figure_rect r;
    /* row 0: layer 2 (28x28), layer 3 (14x14), sum */
    CHECK(!figure_cam_panel(&spec, 0, 1, &r, err), "panel (0,1)");
    CHECK(r.w == 168 && r.h == 168, "a 28x28 map fills a 168 px panel (%dx%d)", r.w, r.h);
    check_hue(&im, r, N, N, 7, 7, RED, "layer 2 positive block");
    check_hue(&im, r, N, N, 20, 20, BLUE, "layer 2 negative block");
    CHECK(!figure_cam_panel(&spec, 0, 2, &r, err), "panel (0,2)");
    check_hue(&im, r, M, M, 2, 11, RED, "layer 3 positive block");
    check_hue(&im, r, M, M, 11, 2, BLUE, "layer 3 negative block");
    const unsigned char *p = map_px(&im, r, M, M, 7, 7);
    CHECK(p[0] > 240 && p[1] > 240 && p[2] > 240, "a zero is white (%d,%d,%d)", p[0], p[1], p[2]);
    /* a 14x14 map shows 12 px blocks: the two pixels of one block agree */
    const unsigned char *q = px(&im, r.x + 9 * 12 + 1, r.y + 1),
                        *q2 = px(&im, r.x + 9 * 12 + 10, r.y + 10);
    CHECK(!memcmp(q, q2, 3), "one block, one colour");
    CHECK(!figure_cam_panel(&spec, 0, 3, &r, err), "panel (0,3): the sum");
    check_hue(&im, r, N, N, 22, 4, BLUE, "sum negative block");
    /* row 1: the maps negated; a NaN drawn grey */
    CHECK(!figure_cam_panel(&spec, 1, 1, &r, err), "panel (1,1)");
    check_hue(&im, r, N, N, 7, 7, BLUE, "row 1 layer 2 (negated) there");
    p = map_px(&im, r, N, N, 0, 0);
    CHECK(p[0] == p[1] && p[1] == p[2] && p[0] > 120 && p[0] < 190, "NaN is grey (%d,%d,%d)", p[0],
          p[1], p[2]);
    /* the input: white ring pixel, black centre */
    CHECK(!figure_cam_panel(&spec, 0, 0, &r, err), "panel (0,0): the input");
    p = map_px(&im, r, N, N, 14, 14);
    CHECK(p[0] == 0 && p[1] == 0 && p[2] == 0, "input centre black");
    CHECK(figure_cam_panel(&spec, 0, 4, &r, err) != NULL, "no column 4");
    done_with(&im, path, keep);

    /* errors */
    snprintf(path, sizeof path, "%s/refused.png", dir);
    check_unwritable(CAM, &spec, "cam.png");
    figure_cam_spec bad = spec;
    bad.channels = 2;
    check_refused(CAM, &bad, path, "2 channels", NULL);
    bad = spec;
    bad.n_rows = 0;
    check_refused(CAM, &bad, path, "no rows", NULL);
    check_refused(CAM, NULL, path, "NULL spec", NULL);
    figure_map bad_map = {"x", NULL, 3, 3};
    figure_cam_row bad_row = {"r", &bad_map, 1, {0}};
    bad = spec;
    bad.rows = &bad_row, bad.n_rows = 1;
    check_refused(CAM, &bad, path, "a map without values", NULL);
    CHECK(access(path, F_OK) != 0, "nothing written on refusal");
}

/* An RGB 32x32 input with 16x16 and 8x8 maps and no sum; no titles. */
static void test_cam_rgb(const char *dir, int keep) {
    static uint8_t input[3 * 32 * 32];
    static float m16[16 * 16], m8[8 * 8];
    for (int i = 0; i < 32 * 32; i++)
        input[i] = (uint8_t)(i % 32 * 8), input[1024 + i] = (uint8_t)(i / 32 * 8),
        input[2048 + i] = 40;
    for (int i = 0; i < 16 * 16; i++) m16[i] = (float)(i % 16 - 8) * 0.01f;
    for (int i = 0; i < 8 * 8; i++) m8[i] = (float)(i / 8 - 4) * 3e3f;
    const figure_map maps[2] = {{"conv 1", m16, 16, 16}, {"conv 2", m8, 8, 8}};
    const figure_cam_row row = {NULL, maps, 2, {0}};
    const figure_cam_spec spec = {
        .image = input, .channels = 3, .height = 32, .width = 32, .rows = &row, .n_rows = 1};
    char err[FIGURE_ERR_LEN], path[512];
    image im;
    if (draw_and_read(CAM, &spec, dir, "cam_rgb.png", path, &im)) return;
    figure_rect r;
    CHECK(!figure_cam_panel(&spec, 0, 0, &r, err) && r.w == 160, "the input fills 160 px");
    const unsigned char *p = map_px(&im, r, 32, 32, 0, 31);
    CHECK(p[0] == 248 && p[1] == 0 && p[2] == 40, "input top right (%d,%d,%d)", p[0], p[1], p[2]);
    CHECK(figure_cam_panel(&spec, 0, 3, &r, err) != NULL, "no sum column");
    done_with(&im, path, keep);
}

static void test_labels(const char *dir, int keep) {
    enum { N = 28, K = 10 };
    static float pat[K][N * N], neutral[N * N], img[N * N], pos[N * N], neg[N * N];
    figure_picture patterns[K];
    for (int k = 0; k < K; k++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) /* stripes: vertical for even k, horizontal for odd */
                pat[k][i * N + j] =
                    (float)(((k % 2 ? i : j) / (k / 2 + 1)) % 2); /* period 2 (k/2 + 1) */
        patterns[k] = (figure_picture){NULL, pat[k], 1, N, N};
    }
    for (int i = 0; i < N * N; i++) {
        float s = 0;
        for (int k = 0; k < K; k++) s += pat[k][i] / K;
        neutral[i] = s;
        const double r = hypot(i / N - 13.5, i % N - 13.5);
        img[i] = r > 5 && r < 9 ? 1.0f : 0.0f;
        pos[i] = 0.65f * img[i] + 0.35f * pat[7][i];
        neg[i] = 0.65f * img[i] + 0.35f * pat[3][i];
    }
    figure_labels_spec spec = {.title = "Label patterns (set 1, K = 35 %)",
                               .patterns = patterns,
                               .n_patterns = K,
                               .neutral = {NULL, neutral, 1, N, N},
                               .lo = 0,
                               .hi = 1,
                               .image = {NULL, img, 1, N, N},
                               .positive = {"positive (label 7)", pos, 1, N, N},
                               .negative = {"negative (label 3)", neg, 1, N, N}};
    char path[512];
    image im;
    if (!draw_and_read(LABELS, &spec, dir, "labels.png", path, &im)) {
        CHECK(im.w >= 10 * 112 && im.w < 10 * 112 + 400 && im.h >= 3 * 112 && im.h < 3 * 112 + 400,
              "labels size %dx%d within bounds", im.w, im.h);
        done_with(&im, path, keep);
    }

    /* 100 classes wrap at 10 a row; RGB samples of another size */
    static float many[100][N * N], rgb[3 * 32 * 32];
    static figure_picture mp[100];
    for (int k = 0; k < 100; k++) {
        for (int i = 0; i < N * N; i++)
            many[k][i] = 0.5f + 0.5f * (float)cos(2 * 3.14159265 *
                                                  ((k % 10) * (i / N) + (k / 10) * (i % N)) / N);
        mp[k] = (figure_picture){NULL, many[k], 1, N, N};
    }
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 32 * 32; i++)
            rgb[c * 1024 + i] = (float)(c == 0 ? (i % 32) / 31.0 : c == 1 ? (i / 32) / 31.0 : 0.5);
    figure_labels_spec big = {.title = "100 classes",
                              .patterns = mp,
                              .n_patterns = 100,
                              .image = {NULL, rgb, 3, 32, 32},
                              .scale = 2};
    check_drawn(LABELS, &big, dir, "labels100.png", path, keep);

    check_unwritable(LABELS, &spec, "labels.png");
    figure_labels_spec bad = spec;
    bad.n_patterns = 1;
    check_refused(LABELS, &bad, path, "one pattern", NULL);
    pat[2][5] = INFINITY;
    check_refused(LABELS, &spec, path, "a non-finite pattern", "class 2");
    pat[2][5] = 0;
}

static void test_confusion(const char *dir, int keep) {
    enum { N = 10 };
    static const int32_t diag[N] = {975, 1135, 1020, 1001, 968, 880, 945, 1015, 960, 990};
    int32_t counts[N * N];
    for (int t = 0; t < N; t++)
        for (int p = 0; p < N; p++)
            counts[t * N + p] = t == p ? diag[t] : (t * 7 + p * 3) % 11 == 0 ? (t + p) % 9 : 0;
    counts[4 * N + 9] = 14, counts[7 * N + 2] = 9;
    figure_confusion_spec spec = {.title = "Confusion matrix, MNIST test set",
                                  .subtitle = "accuracy 97.32 % on 10000 test images",
                                  .n = N,
                                  .counts = counts};
    char err[FIGURE_ERR_LEN], path[512];
    image im;
    if (draw_and_read(CONFUSION, &spec, dir, "confusion.png", path, &im)) return;
    CHECK(im.w >= 10 * 40 && im.w < 10 * 60 + 300 && im.h >= 10 * 40 && im.h < 10 * 60 + 300,
          "confusion size %dx%d within bounds", im.w, im.h);
    /* the darkest cell (luminance near a corner, clear of the count) holds the largest count */
    int best_t = -1, best_p = -1;
    double best = 1e9;
    for (int t = 0; t < N; t++)
        for (int p = 0; p < N; p++) {
            figure_rect r;
            CHECK(!figure_confusion_cell(&spec, t, p, &r, err), "cell rect");
            const unsigned char *c = px(&im, r.x + 3, r.y + 3);
            const double lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            if (lum < best) best = lum, best_t = t, best_p = p;
        }
    CHECK(best_t == 1 && best_p == 1, "darkest cell [%d][%d], the largest count is in [1][1]",
          best_t, best_p);
    figure_rect r;
    figure_confusion_cell(&spec, 0, 1, &r, err);
    const unsigned char *c = px(&im, r.x + 3, r.y + 3);
    CHECK(c[0] == 255 && c[1] == 255 && c[2] == 255, "a zero cell is white");
    done_with(&im, path, keep);

    /* 100 classes with names: counts left out, tick labels upright */
    static int32_t big[100 * 100];
    static char names_buf[100][16];
    const char *names[100];
    for (int t = 0; t < 100; t++) {
        snprintf(names_buf[t], sizeof names_buf[t], "c%02d", t);
        names[t] = names_buf[t];
        for (int p = 0; p < 100; p++) big[t * 100 + p] = t == p ? 90 + t % 10 : (t * p) % 37 == 1;
    }
    figure_confusion_spec spec100 = {
        .title = "100 classes", .n = 100, .counts = big, .names = names};
    check_drawn(CONFUSION, &spec100, dir, "confusion100.png", path, keep);

    check_unwritable(CONFUSION, &spec, "confusion.png");
    figure_confusion_spec bad = spec;
    bad.n = 1;
    check_refused(CONFUSION, &bad, path, "one class", NULL);
    counts[3] = -1;
    check_refused(CONFUSION, &spec, path, "a negative count", NULL);
    counts[3] = 0;
}

int main(int argc, char **argv) {
    char tmp[] = "/tmp/test_figure_XXXXXX";
    const int keep = argc > 1;
    const char *dir = keep ? argv[1] : mkdtemp(tmp);
    if (!dir) return fprintf(stderr, "test_figure: cannot make a temporary directory\n"), 1;
    test_cam(dir, keep);
    test_cam_rgb(dir, keep);
    test_labels(dir, keep);
    test_confusion(dir, keep);
    if (!keep) rmdir(dir);
    return test_summary();
}
