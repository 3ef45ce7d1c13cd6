#include "optim_adam.h"

#include <math.h>

void ff_adam_step(float *p, const float *g, float *m, float *v, size_t n, float lr, int64_t t,
                  int threads) {
    const float b1 = (float)FF_ADAM_BETA1, b2 = (float)FF_ADAM_BETA2;
    const double bc1 = 1.0 - pow(FF_ADAM_BETA1, (double)t);
    const double bc2 = 1.0 - pow(FF_ADAM_BETA2, (double)t);
    const float step = (float)(lr / bc1);
    const float bc2_sqrt = (float)sqrt(bc2);
    /* element by element, so any thread count gives the same result */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        const float denom = sqrtf(v[i]) / bc2_sqrt + (float)FF_ADAM_EPS;
        p[i] -= step * m[i] / denom;
    }
}
