/* Grey-level morphology over a line structuring element (the morphological labels,
 * docs/method.md §2). One plane [height][width]; "same" size, the border replicated. */
#include <math.h>

#include "kernels.h"

/* Round half away from zero (symmetric: round(-v) = -round(v), so every line is symmetric about
 * its centre pixel). */
static int round_away(double v) {
    return v < 0.0 ? -(int)floor(-v + 0.5) : (int)floor(v + 0.5);
}

int ff_line_offsets(int (*off)[2], int length, double theta) {
    const double c = cos(theta), s = sin(theta);
    const double m = fabs(c) > fabs(s) ? fabs(c) : fabs(s);
    const int half = (length - 1) / 2;
    for (int t = -half; t <= half; t++) {
        off[t + half][0] = -round_away(t * s / m); /* rows grow downwards */
        off[t + half][1] = round_away(t * c / m);
    }
    return 2 * half + 1;
}

static int clampi(int v, int hi) {
    return v < 0 ? 0 : v > hi ? hi : v;
}

/* dst = (accumulate ? dst : 0) + weight * (max or min of src over the line at each pixel). */
static void line_morph(float *dst, const float *src, int h, int w, int length, double theta,
                       int dilate, int accumulate, float weight) {
    int off[FF_LINE_MAX_LENGTH][2];
    if (length < 1) length = 1;
    if (length > FF_LINE_MAX_LENGTH) length = FF_LINE_MAX_LENGTH;
    const int n = ff_line_offsets(off, length, theta);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            float v = src[(size_t)i * w + j];
            for (int k = 0; k < n; k++) {
                const float u =
                    src[(size_t)clampi(i + off[k][0], h - 1) * w + clampi(j + off[k][1], w - 1)];
                v = dilate ? (u > v ? u : v) : (u < v ? u : v);
            }
            float *d = dst + (size_t)i * w + j;
            *d = accumulate ? *d + weight * v : v;
        }
}

void ff_line_dilate(float *dst, const float *src, int h, int w, int length, double theta) {
    line_morph(dst, src, h, w, length, theta, 1, 0, 1.0f);
}

void ff_line_erode(float *dst, const float *src, int h, int w, int length, double theta) {
    line_morph(dst, src, h, w, length, theta, 0, 0, 1.0f);
}

void ff_line_morph_accumulate(float *acc, const float *src, int h, int w, int length, double theta,
                              int dilate, float weight) {
    line_morph(acc, src, h, w, length, theta, dilate, 1, weight);
}
