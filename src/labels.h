/* Label patterns and their overlay on images (docs/method.md §2). Knows nothing of networks. */
#ifndef FFCNN_LABELS_H
#define FFCNN_LABELS_H

#include <stddef.h>

#include "ffcnn.h"

/* The "neutral" label (the mean of the class patterns) wherever a label is taken: its pattern
 * is the one after the classes' (index classes, which is accepted too). */
#define FF_NEUTRAL_LABEL (-1)

typedef struct ff_labels {
    int kind;    /* enum ffcnn_label_kind */
    float k;     /* intensity K */
    int classes; /* K classes */
    int channels, height, width;
    size_t len;                      /* channels * height * width */
    int modes[FFCNN_MAX_CLASSES][2]; /* Fourier kinds: (ky, kx) of each class */
    float *patterns; /* (classes + 1) x len: classes 0..classes-1, then neutral; NULL for
                        FFCNN_LABEL_MORPH, whose label is a transformation of the image */
} ff_labels;

/* FFCNN_LABEL_MORPH's orientations M (src/labels.c). */
#define FF_MORPH_ORIENTATIONS 5
/* FFCNN_LABEL_MORPH's class c (0..FFCNN_MAX_CLASSES-1): dilation (1) or erosion (0) over a line
 * of `length` pixels at angle theta (radians; src/labels.c gives the definition). */
void ff_label_morph_class(int c, int *dilate, int *length, double *theta);

/* The Fourier mode (ky, kx) of class c (0..9) in the paper's set 1 or 2. */
void ff_label_mode(int set, int c, int *ky, int *kx);
/* How many distinct Fourier modes an H x W image has for FFCNN_LABEL_FOURIER_AUTO: neither DC
 * nor at or past the Nyquist limit, one of each conjugate pair. */
long ff_label_auto_mode_count(int height, int width);
/* The first `classes` of those modes in the set's order (src/labels.c) into modes; FFCNN_EINVAL
 * when there are fewer. */
int ff_label_auto_modes(int classes, int height, int width, int (*modes)[2]);
/* FFCNN_EINVAL when kind cannot label `classes` classes on that image (err may be NULL). */
int ff_labels_check(int kind, int classes, int channels, int height, int width, char *err);
/* The patterns of a configuration ff_labels_check accepts; FFCNN_ENOMEM, or FFCNN_EINVAL for
 * one it refuses. */
int ff_labels_make(ff_labels *lb, int kind, float k, int classes, int channels, int height,
                   int width);
void ff_labels_free(ff_labels *lb);
/* The pattern of label `label` (0..classes-1, classes or FF_NEUTRAL_LABEL for neutral); NULL
 * for FFCNN_LABEL_MORPH (no fixed pattern). */
const float *ff_label_pattern(const ff_labels *lb, int label);

/* out = image with label `label` (a class, or neutral as in ff_label_pattern) applied:
 * (1-K) x + K L for the Fourier sets; the one-hot baseline overwrites the first `classes`
 * values (channel 0's first pixels); morph: (1-K) x + K T_c(x), the neutral label
 * (1-K) x + K mean_c T_c(x). out must not overlap image. */
void ff_label_overlay(float *out, const float *image, const ff_labels *lb, int label);

/* Whether ff_label_decompose applies (a fixed pattern per label): every kind but morph, whose
 * label depends on the image; inference then runs layer 1 on each labelled copy. */
int ff_label_affine(const ff_labels *lb);

/* The overlay is affine in the label: overlay(image, c) = alpha * base + beta * L_c, with base
 * the image (Fourier sets) or the image with its first `classes` values cleared (one-hot).
 * Inference uses it to convolve the image once for all labels (the convolution is linear). */
void ff_label_decompose(float *base, float *alpha, float *beta, const float *image,
                        const ff_labels *lb);

#endif
