/* Per-sample element-wise kernels: RMS normalisation and ReLU with the goodness fused in.
 * Sums run in float over blocks of 16 lanes (so the compiler vectorises them) and are carried
 * in double across blocks: fixed order, so results are the same on every run. */
#include <math.h>

#include "kernels.h"

#define LANES 16
#define BLOCK 512

static double sum_squares(const float *x, size_t n) {
    double total = 0.0;
    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        float acc[LANES] = {0};
        for (size_t j = 0; j < BLOCK; j += LANES)
            for (int l = 0; l < LANES; l++) acc[l] += x[i + j + l] * x[i + j + l];
        for (int l = 0; l < LANES; l++) total += acc[l];
    }
    for (; i < n; i++) total += (double)x[i] * x[i];
    return total;
}

float ff_rms_factor_of_sum(double sum_sq, size_t n) {
    return (float)(1.0 / (sqrt(sum_sq / (double)n) + 1e-8));
}

float ff_rms_factor(const float *in, size_t n) {
    return ff_rms_factor_of_sum(sum_squares(in, n), n);
}

float ff_rmsnorm_forward(float *out, const float *in, size_t n) {
    const float factor = ff_rms_factor(in, n);
    for (size_t i = 0; i < n; i++) out[i] = in[i] * factor;
    return factor;
}

void ff_rmsnorm_backward(float *din, const float *dout, const float *in, size_t n) {
    const double sum_sq = sum_squares(in, n), rms = sqrt(sum_sq / (double)n);
    const double r = 1.0 / (rms + 1e-8);
    double dot = 0.0;
    for (size_t i = 0; i < n; i++) dot += (double)in[i] * dout[i];
    /* d rms / d in_i = in_i / (n rms); rms = 0 means in = 0, where that term vanishes */
    const float fr = (float)r, fc = rms > 0 ? (float)(r * r * dot / ((double)n * rms)) : 0.0f;
    for (size_t i = 0; i < n; i++) din[i] = fr * dout[i] - fc * in[i];
}

void ff_relu_backward(float *dpre, const float *dout, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dpre[i] = y[i] > 0.0f ? dout[i] : 0.0f;
}

double ff_relu_goodness_forward(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
    return sum_squares(y, n);
}
