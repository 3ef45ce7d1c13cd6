/* Training-image augmentation: a shifted window of the zero-padded image, optionally mirrored
 * (docs/method.md §5). Plain copies, no arithmetic, so an unshifted, unflipped image comes out
 * bit for bit as it went in. */
#include <string.h>

#include "kernels/kernels.h"

/* One row of the window: dst[j] = src[j + dx] (or src[w - 1 - j + dx] mirrored), 0 where that
 * column lies outside the image. */
static void shift_row(float *dst, const float *src, int w, int dx, int flip) {
    for (int j = 0; j < w; j++) {
        const int x = (flip ? w - 1 - j : j) + dx;
        dst[j] = x >= 0 && x < w ? src[x] : 0.0f;
    }
}

void ff_augment_shift_flip(float *dst, const float *src, int channels, int h, int w, int dy, int dx,
                           int flip) {
    for (int c = 0; c < channels; c++)
        for (int i = 0; i < h; i++) {
            float *row = dst + ((size_t)c * h + i) * w;
            const int y = i + dy;
            if (y < 0 || y >= h)
                memset(row, 0, sizeof(float) * (size_t)w);
            else
                shift_row(row, src + ((size_t)c * h + y) * w, w, dx, flip);
        }
}
