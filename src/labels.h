/* Label patterns and their overlay on images (docs/method.md §2). Knows nothing of networks. */
#ifndef FFCNN_LABELS_H
#define FFCNN_LABELS_H

#include <stddef.h>

#include "ffcnn.h"

#define FF_NEUTRAL_LABEL FFCNN_CLASSES /* index of the "neutral" pattern: mean of the ten */

typedef struct ff_labels {
    int kind; /* enum ffcnn_label_kind */
    float k;  /* intensity K */
    int channels, height, width;
    size_t len;      /* channels * height * width */
    float *patterns; /* (FFCNN_CLASSES + 1) x len: classes 0..9, then neutral */
} ff_labels;

/* The Fourier mode (ky, kx) of class c in set 1 or 2. */
void ff_label_mode(int set, int c, int *ky, int *kx);
int ff_labels_make(ff_labels *lb, int kind, float k, int channels, int height, int width);
void ff_labels_free(ff_labels *lb);

/* out = image with label `label` (0..9 or FF_NEUTRAL_LABEL) applied: (1-K) x + K L for the
 * Fourier sets; the one-hot baseline overwrites the first ten pixels of channel 0. */
void ff_label_overlay(float *out, const float *image, const ff_labels *lb, int label);

/* The overlay is affine in the label: overlay(image, c) = alpha * base + beta * L_c, with base
 * the image (Fourier sets) or the image with its first ten pixels cleared (one-hot). Inference
 * uses it to convolve the image once for all ten labels (the convolution is linear). */
void ff_label_decompose(float *base, float *alpha, float *beta, const float *image,
                        const ff_labels *lb);

#endif
