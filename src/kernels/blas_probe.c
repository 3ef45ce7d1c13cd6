/* Measures this machine's sgemm throughput, the yardstick `ffcnn bench` reports against. */
#include <cblas.h>
#include <stdlib.h>

#include "../util.h"
#include "kernels.h"

double ff_sgemm_gflops(int threads, int n) {
    float *a = ff_calloc((size_t)n * n, sizeof(float)),
          *b = ff_calloc((size_t)n * n, sizeof(float));
    float *c = ff_calloc((size_t)n * n, sizeof(float));
    double best = 0.0;
    if (a && b && c) {
        for (size_t i = 0; i < (size_t)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
        openblas_set_num_threads(threads);
        for (int rep = 0; rep < 3; rep++) {
            const double t0 = ff_now_seconds();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                        c, n);
            const double g = 2.0 * n * n * (double)n / (ff_now_seconds() - t0) * 1e-9;
            if (g > best) best = g;
        }
        ff_blas_single_thread();
    }
    ff_free(a), ff_free(b), ff_free(c);
    return best;
}
