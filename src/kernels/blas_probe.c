/* Measures this machine's sgemm throughput, the yardstick `ffcnn bench` reports against. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ffcnn.h"

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

/* OpenBLAS picks its kernels by CPU model when it loads, and falls back to its SSE3 kernels
 * ("Prescott") on models it does not know: OpenBLAS 0.3.21 (Debian 12) does not know Intel's
 * Sapphire and Emerald Rapids, and there sgemm runs 5x slower (measured: 60 against 300
 * GFLOP/s, docs/performance.md). The environment variable OPENBLAS_CORETYPE, read when the
 * library loads, overrides the choice; this names the kernels the CPU can run. */
static int blas_core_is_vector(const char *core) {
    static const char *const known[] = {"haswell",        "zen",      "skylakex", "cooperlake",
                                        "sapphirerapids", "excavator"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcasecmp(core, known[i])) return 1;
    return 0;
}

const char *ffcnn_blas_core(void) {
    return openblas_get_corename();
}

const char *ffcnn_blas_better_core(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (blas_core_is_vector(openblas_get_corename()) || !__builtin_cpu_supports("avx2") ||
        !__builtin_cpu_supports("fma"))
        return NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
    return "Haswell";
#else
    return NULL;
#endif
}
