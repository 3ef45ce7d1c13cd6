#include <string.h>

#include "kernels/kernels.h"

void ff_maxpool2d_forward(float *out, const float *in, int channels, int height, int width,
                          int size) {
    const int oh = height / size, ow = width / size;
    for (int c = 0; c < channels; c++) {
        const float *plane = in + (size_t)c * height * width;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                const float *win = plane + (size_t)y * size * width + (size_t)x * size;
                float best = win[0];
                for (int dy = 0; dy < size; dy++)
                    for (int dx = 0; dx < size; dx++) {
                        const float v = win[(size_t)dy * width + dx];
                        best = v > best ? v : best;
                    }
                *out++ = best;
            }
    }
}

void ff_maxpool2d_backward(float *din, const float *dout, const float *in, int channels, int height,
                           int width, int size) {
    const int oh = height / size, ow = width / size;
    memset(din, 0, sizeof(float) * (size_t)channels * height * width);
    for (int c = 0; c < channels; c++) {
        const float *plane = in + (size_t)c * height * width;
        float *dplane = din + (size_t)c * height * width;
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                const size_t base = (size_t)y * size * width + (size_t)x * size;
                size_t arg = base;
                for (int dy = 0; dy < size; dy++)
                    for (int dx = 0; dx < size; dx++) {
                        const size_t at = base + (size_t)dy * width + dx;
                        if (plane[at] > plane[arg]) arg = at;
                    }
                dplane[arg] += *dout++;
            }
    }
}
