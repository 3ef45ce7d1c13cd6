/* Per-sample element-wise kernels: RMS normalisation and ReLU with the goodness fused in. */
#include <math.h>

#include "kernels.h"

float rmsnorm_forward(float *out, const float *in, size_t n) {
    double sq = 0.0;
    for (size_t i = 0; i < n; i++) sq += (double)in[i] * in[i];
    const float factor = (float)(1.0 / (sqrt(sq / (double)n) + 1e-8));
    for (size_t i = 0; i < n; i++) out[i] = in[i] * factor;
    return factor;
}

double relu_goodness_forward(float *y, size_t n) {
    double g = 0.0;
    for (size_t i = 0; i < n; i++) {
        float v = y[i] > 0.0f ? y[i] : 0.0f;
        y[i] = v;
        g += (double)v * v;
    }
    return g;
}
