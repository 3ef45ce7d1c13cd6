#include "labels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "util.h"

/* Modes measured from the paper's figures (docs/method.md §2), (ky, kx) per class. */
static const int SET1[FFCNN_CLASSES][2] = {{0, 6}, {2, 0},  {0, 4},  {0, 2}, {6, 0},
                                           {4, 0}, {1, -1}, {2, -2}, {2, 2}, {1, 1}};
static const int SET2[FFCNN_CLASSES][2] = {{0, 6}, {6, 0},  {3, -3}, {3, 3},  {4, -2},
                                           {4, 2}, {2, -4}, {2, 4},  {5, -1}, {5, 1}};

void ff_label_mode(int set, int c, int *ky, int *kx) {
    const int(*t)[2] = set == FFCNN_LABEL_FOURIER2 ? SET2 : SET1;
    *ky = t[c][0];
    *kx = t[c][1];
}

/* FFCNN_LABEL_FOURIER_AUTO, for any class count K. The candidates are the modes (ky, kx) with
 * |ky| < H/2 and |kx| < W/2 (strictly below the Nyquist limit, so that no two alias), except
 * the constant (0, 0), and one of each conjugate pair (ky, kx) ~ (-ky, -kx), which give the
 * same cosine: the one with ky > 0, or ky = 0 and kx > 0. Class c takes the c-th in the order
 * of |k|^2 = ky^2 + kx^2 (cycles per image side, as the paper counts its modes), then ky, then
 * kx: the lowest frequencies, coarse patterns that every filter sees. Such cosines are
 * orthogonal over the pixel grid, so every two patterns are equally far apart,
 * sqrt(C H W / 4). */
static int half_span(int side) {
    return (side - 1) / 2; /* the largest |k| with 2 |k| < side */
}

long ff_label_auto_mode_count(int height, int width) {
    const long ny = 2L * half_span(height) + 1, nx = 2L * half_span(width) + 1;
    return (ny * nx - 1) / 2;
}

static int mode_order(const void *pa, const void *pb) {
    const int *a = pa, *b = pb;
    const int ra = a[0] * a[0] + a[1] * a[1], rb = b[0] * b[0] + b[1] * b[1];
    if (ra != rb) return ra < rb ? -1 : 1;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

int ff_label_auto_modes(int classes, int height, int width, int (*modes)[2]) {
    if (classes < 1 || classes > ff_label_auto_mode_count(height, width)) return FFCNN_EINVAL;
    /* The K-th mode has |ky|, |kx| <= K: K lower ones lie on either axis otherwise. */
    const int my = half_span(height) < classes ? half_span(height) : classes;
    const int mx = half_span(width) < classes ? half_span(width) : classes;
    int(*cand)[2] = ff_calloc((size_t)(my + 1) * (2 * mx + 1), sizeof *cand);
    if (!cand) return FFCNN_ENOMEM;
    size_t n = 0;
    for (int ky = 0; ky <= my; ky++)
        for (int kx = -mx; kx <= mx; kx++)
            if (ky > 0 || kx > 0) cand[n][0] = ky, cand[n++][1] = kx;
    qsort(cand, n, sizeof *cand, mode_order);
    memcpy(modes, cand, (size_t)classes * sizeof *cand);
    ff_free(cand);
    return FFCNN_OK;
}

/* FFCNN_LABEL_MORPH (docs/method.md §2): class c is the grey-level morphological operation
 * T_c = dilation (c even) or erosion (c odd) of each channel over a line structuring element at
 * angle theta_j = j 180 / M degrees, j = (c / 2) mod M, of length L = 5 + 2 (c / (2 M)) pixels,
 * M = FF_MORPH_ORIENTATIONS = 5 (integer divisions): classes 0..9 are {dilate, erode} x 5
 * orientations at length 5, classes 10..19 at length 7, ..., classes 90..99 at length 23. The
 * line's pixels are ff_line_offsets' (src/kernels/morphology.c): one per step along its major
 * axis. Each T_c(x) is then shifted, channel by channel, to the mean of x (see
 * match_channel_means). (Length 3 is not used: a 3 x 3 neighbourhood holds only four lines through
 * its centre, so two of the five orientations would coincide.) */
void ff_label_morph_class(int c, int *dilate, int *length, double *theta) {
    const int m = FF_MORPH_ORIENTATIONS;
    *dilate = c % 2 == 0;
    *length = 5 + 2 * (c / (2 * m));
    *theta = 3.141592653589793 * ((c / 2) % m) / m;
}

int ff_labels_check(int kind, int classes, int channels, int height, int width, char *err) {
    const long pixels = (long)channels * height * width;
    const long modes = ff_label_auto_mode_count(height, width);
    switch (kind) {
    case FFCNN_LABEL_FOURIER1:
    case FFCNN_LABEL_FOURIER2:
        if (classes == FFCNN_CLASSES) return FFCNN_OK;
        return ff_fail(err, FFCNN_EINVAL,
                       "--label-set %d: the paper's set is defined for %d classes, not %d (use "
                       "--label-set fourier)",
                       kind, FFCNN_CLASSES, classes);
    case FFCNN_LABEL_ONEHOT:
        if (classes <= pixels) return FFCNN_OK;
        return ff_fail(err, FFCNN_EINVAL,
                       "--label-set onehot: %d classes need %d values, a %dx%dx%d image has %ld",
                       classes, classes, channels, height, width, pixels);
    case FFCNN_LABEL_FOURIER_AUTO:
        if (classes <= modes) return FFCNN_OK;
        return ff_fail(err, FFCNN_EINVAL,
                       "--label-set fourier: a %dx%d image has %ld Fourier modes below the "
                       "Nyquist limit, fewer than the %d classes",
                       height, width, modes, classes);
    case FFCNN_LABEL_MORPH:
        if (classes >= 1 && classes <= FFCNN_MAX_CLASSES) return FFCNN_OK;
        return ff_fail(err, FFCNN_EINVAL, "--label-set morph: %d classes, not 1 to %d", classes,
                       FFCNN_MAX_CLASSES);
    default:
        return ff_fail(err, FFCNN_EINVAL, "--label-set: %d is not 1, 2, onehot, fourier or morph",
                       kind);
    }
}

/* L[i][j] = 0.5 (1 + cos(2 pi (ky i / H + kx j / W))), the same in every colour channel. */
static void fourier_pattern(float *out, const int mode[2], int channels, int height, int width) {
    const int ky = mode[0], kx = mode[1];
    const double two_pi = 6.283185307179586;
    for (int i = 0; i < height; i++)
        for (int j = 0; j < width; j++) {
            double phase = two_pi * ((double)ky * i / height + (double)kx * j / width);
            out[(size_t)i * width + j] = (float)(0.5 * (1.0 + cos(phase)));
        }
    const size_t plane = (size_t)height * width;
    for (int ch = 1; ch < channels; ch++) memcpy(out + ch * plane, out, plane * sizeof(float));
}

/* Hinton's label: value c of the first K (channel 0's first pixels) is 1, the others 0. */
static void onehot_pattern(float *out, int c, int classes) {
    for (int i = 0; i < classes; i++) out[i] = i == c ? 1.0f : 0.0f;
}

static int set_modes(ff_labels *lb) {
    if (lb->kind == FFCNN_LABEL_FOURIER_AUTO)
        return ff_label_auto_modes(lb->classes, lb->height, lb->width, lb->modes);
    for (int c = 0; lb->kind != FFCNN_LABEL_ONEHOT && c < lb->classes; c++)
        ff_label_mode(lb->kind, c, &lb->modes[c][0], &lb->modes[c][1]);
    return FFCNN_OK;
}

int ff_labels_make(ff_labels *lb, int kind, float k, int classes, int channels, int height,
                   int width) {
    memset(lb, 0, sizeof *lb);
    int rc = ff_labels_check(kind, classes, channels, height, width, NULL);
    if (rc) return rc;
    *lb = (ff_labels){.kind = kind,
                      .k = k,
                      .classes = classes,
                      .channels = channels,
                      .height = height,
                      .width = width};
    lb->len = (size_t)channels * height * width;
    if (kind == FFCNN_LABEL_MORPH) return FFCNN_OK; /* no fixed pattern */
    if ((rc = set_modes(lb))) return rc;
    lb->patterns = ff_calloc((size_t)(classes + 1) * lb->len, sizeof(float));
    if (!lb->patterns) return FFCNN_ENOMEM;
    float *neutral = lb->patterns + (size_t)classes * lb->len;
    for (int c = 0; c < classes; c++) {
        float *p = lb->patterns + (size_t)c * lb->len;
        if (kind == FFCNN_LABEL_ONEHOT)
            onehot_pattern(p, c, classes);
        else
            fourier_pattern(p, lb->modes[c], channels, height, width);
        for (size_t i = 0; i < lb->len; i++) neutral[i] += p[i] / classes;
    }
    return FFCNN_OK;
}

void ff_labels_free(ff_labels *lb) {
    ff_free(lb->patterns);
    lb->patterns = NULL;
}

const float *ff_label_pattern(const ff_labels *lb, int label) {
    if (!lb->patterns) return NULL;
    const int at = label == FF_NEUTRAL_LABEL ? lb->classes : label;
    return lb->patterns + (size_t)at * lb->len;
}

int ff_label_affine(const ff_labels *lb) {
    return lb->kind != FFCNN_LABEL_MORPH;
}

/* Shifts each channel of t so that its mean is the image's. A dilation brightens every pixel and
 * an erosion darkens it, so without this a network could tell the two halves of the classes
 * apart from the image's mean brightness alone: a shortcut that ignores the structure. */
static void match_channel_means(float *t, const float *image, const ff_labels *lb) {
    const size_t plane = (size_t)lb->height * lb->width;
    for (int ch = 0; ch < lb->channels; ch++) {
        double diff = 0.0;
        for (size_t i = 0; i < plane; i++)
            diff += (double)image[ch * plane + i] - t[ch * plane + i];
        const float shift = (float)(diff / (double)plane);
        for (size_t i = 0; i < plane; i++) t[ch * plane + i] += shift;
    }
}

/* out = T(image) for label `label`: T_c, or the mean of the classes' T_c (neutral), each
 * channel shifted to the image's mean. */
static void morph_transform(float *out, const float *image, const ff_labels *lb, int label) {
    const int h = lb->height, w = lb->width;
    const size_t plane = (size_t)h * w;
    int dilate, length;
    double theta;
    if (label != FF_NEUTRAL_LABEL && label != lb->classes) {
        ff_label_morph_class(label, &dilate, &length, &theta);
        for (int ch = 0; ch < lb->channels; ch++)
            (dilate ? ff_line_dilate : ff_line_erode)(out + ch * plane, image + ch * plane, h, w,
                                                      length, theta);
        match_channel_means(out, image, lb);
        return;
    }
    memset(out, 0, lb->len * sizeof(float));
    const float weight = 1.0f / (float)lb->classes;
    for (int c = 0; c < lb->classes; c++) {
        ff_label_morph_class(c, &dilate, &length, &theta);
        for (int ch = 0; ch < lb->channels; ch++)
            ff_line_morph_accumulate(out + ch * plane, image + ch * plane, h, w, length, theta,
                                     dilate, weight);
    }
    match_channel_means(out, image, lb); /* the mean of the matched T_c, as matching is linear */
}

void ff_label_overlay(float *out, const float *image, const ff_labels *lb, int label) {
    if (lb->kind == FFCNN_LABEL_MORPH) {
        morph_transform(out, image, lb, label);
        const float keep = 1.0f - lb->k, k = lb->k;
        for (size_t i = 0; i < lb->len; i++) out[i] = keep * image[i] + k * out[i];
        return;
    }
    const float *p = ff_label_pattern(lb, label);
    if (lb->kind == FFCNN_LABEL_ONEHOT) {
        memcpy(out, image, lb->len * sizeof(float));
        memcpy(out, p, (size_t)lb->classes * sizeof(float));
        return;
    }
    const float keep = 1.0f - lb->k, k = lb->k;
    for (size_t i = 0; i < lb->len; i++) out[i] = keep * image[i] + k * p[i];
}

void ff_label_decompose(float *base, float *alpha, float *beta, const float *image,
                        const ff_labels *lb) {
    memcpy(base, image, lb->len * sizeof(float));
    if (lb->kind == FFCNN_LABEL_ONEHOT) {
        memset(base, 0, (size_t)lb->classes * sizeof(float));
        *alpha = 1.0f, *beta = 1.0f;
    } else {
        *alpha = 1.0f - lb->k, *beta = lb->k;
    }
}

int ffcnn_label_image(const ffcnn_config *cfg, int label, const uint8_t *image, float *out,
                      char *err) {
    int rc = ffcnn_config_validate(cfg, err);
    if (rc) return rc;
    if (label < 0 || label > cfg->classes)
        return ff_fail(err, FFCNN_EINVAL, "label %d is not a class (0..%d) or neutral (%d)", label,
                       cfg->classes - 1, cfg->classes);
    ff_labels lb;
    if (ff_labels_make(&lb, cfg->label_kind, cfg->label_k, cfg->classes, cfg->channels, cfg->height,
                       cfg->width))
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for the label patterns");
    const float *pattern = ff_label_pattern(&lb, label);
    if (!image && !pattern) {
        rc = ff_fail(err, FFCNN_EINVAL,
                     "--label-set morph: a label is a transformation of the image, with no "
                     "pattern of its own (give an image)");
    } else if (!image) {
        memcpy(out, pattern, lb.len * sizeof(float));
    } else {
        float *pixels = ff_calloc(lb.len, sizeof(float));
        if (!pixels) rc = ff_fail(err, FFCNN_ENOMEM, "out of memory for the labelled image");
        for (size_t i = 0; pixels && i < lb.len; i++) pixels[i] = (float)image[i] / 255.0f;
        if (pixels) ff_label_overlay(out, pixels, &lb, label);
        ff_free(pixels);
    }
    ff_labels_free(&lb);
    return rc;
}

static double distance(const float *p, const float *q, size_t len) {
    double d = 0.0;
    for (size_t i = 0; i < len; i++) d += ((double)p[i] - q[i]) * ((double)p[i] - q[i]);
    return sqrt(d);
}

double ffcnn_label_min_distance(const ffcnn_config *cfg, int *a, int *b) {
    ff_labels lb;
    if (ffcnn_config_validate(cfg, NULL) ||
        ff_labels_make(&lb, cfg->label_kind, cfg->label_k, cfg->classes, cfg->channels, cfg->height,
                       cfg->width))
        return -1.0;
    if (!lb.patterns) return ff_labels_free(&lb), -1.0; /* morph: no fixed patterns */
    double best = INFINITY;
    for (int i = 0; i < lb.classes; i++)
        for (int j = i + 1; j < lb.classes; j++) {
            const double d = distance(ff_label_pattern(&lb, i), ff_label_pattern(&lb, j), lb.len);
            if (d < best) {
                best = d;
                if (a) *a = i;
                if (b) *b = j;
            }
        }
    ff_labels_free(&lb);
    return best;
}
