#include "labels.h"

#include <math.h>
#include <string.h>

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

/* L_c[i][j] = 0.5 (1 + cos(2 pi (ky i / H + kx j / W))), the same in every colour channel. */
static void fourier_pattern(float *out, int set, int c, int channels, int height, int width) {
    int ky, kx;
    ff_label_mode(set, c, &ky, &kx);
    const double two_pi = 6.283185307179586;
    for (int i = 0; i < height; i++)
        for (int j = 0; j < width; j++) {
            double phase = two_pi * ((double)ky * i / height + (double)kx * j / width);
            out[(size_t)i * width + j] = (float)(0.5 * (1.0 + cos(phase)));
        }
    const size_t plane = (size_t)height * width;
    for (int ch = 1; ch < channels; ch++) memcpy(out + ch * plane, out, plane * sizeof(float));
}

/* Hinton's label: pixel c of the first ten (channel 0) is 1, the other nine 0. */
static void onehot_pattern(float *out, int c) {
    for (int i = 0; i < FFCNN_CLASSES; i++) out[i] = i == c ? 1.0f : 0.0f;
}

int ff_labels_make(ff_labels *lb, int kind, float k, int channels, int height, int width) {
    memset(lb, 0, sizeof *lb);
    lb->kind = kind;
    lb->k = k;
    lb->channels = channels;
    lb->height = height;
    lb->width = width;
    lb->len = (size_t)channels * height * width;
    lb->patterns = ff_calloc((FFCNN_CLASSES + 1) * lb->len, sizeof(float));
    if (!lb->patterns) return FFCNN_ENOMEM;
    float *neutral = lb->patterns + FFCNN_CLASSES * lb->len;
    for (int c = 0; c < FFCNN_CLASSES; c++) {
        float *p = lb->patterns + c * lb->len;
        if (kind == FFCNN_LABEL_ONEHOT)
            onehot_pattern(p, c);
        else
            fourier_pattern(p, kind, c, channels, height, width);
        for (size_t i = 0; i < lb->len; i++) neutral[i] += p[i] / FFCNN_CLASSES;
    }
    return FFCNN_OK;
}

void ff_labels_free(ff_labels *lb) {
    ff_free(lb->patterns);
    lb->patterns = NULL;
}

void ff_label_overlay(float *out, const float *image, const ff_labels *lb, int label) {
    const float *p = lb->patterns + (size_t)label * lb->len;
    if (lb->kind == FFCNN_LABEL_ONEHOT) {
        memcpy(out, image, lb->len * sizeof(float));
        memcpy(out, p, FFCNN_CLASSES * sizeof(float));
        return;
    }
    const float keep = 1.0f - lb->k, k = lb->k;
    for (size_t i = 0; i < lb->len; i++) out[i] = keep * image[i] + k * p[i];
}

void ff_label_decompose(float *base, float *alpha, float *beta, const float *image,
                        const ff_labels *lb) {
    memcpy(base, image, lb->len * sizeof(float));
    if (lb->kind == FFCNN_LABEL_ONEHOT) {
        memset(base, 0, FFCNN_CLASSES * sizeof(float));
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
    if (ff_labels_make(&lb, cfg->label_kind, cfg->label_k, cfg->channels, cfg->height, cfg->width))
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for the label patterns");
    const float *pattern = lb.patterns + (size_t)label * lb.len;
    if (!image) {
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
