/* Micro-benchmark of the frequency-domain channel sums (src/kernels/spectral_products.c): each
 * instruction set's copy this CPU runs, forward and weight gradient apart, on the shapes of the
 * paper's networks (32 x 17 frequencies, 100 samples = 7 tiles), one thread, against one
 * thread's sgemm. For A/B runs of kernel changes, where whole training steps are too noisy.
 *
 *   build/bench_products [reps]      (OPENBLAS_CORETYPE as for ffcnn, see docs/performance.md) */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv_fft.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"
#include "util.h"

typedef void (*forward_fn)(float *, const float complex *, const float *, int, int, int, size_t,
                           size_t, size_t);
typedef void (*grad_fn)(float complex *, const float *, const float *, const float *, int, int, int,
                        int, size_t, size_t, size_t);

static float *filled(size_t n) {
    float *p = ff_calloc(n, sizeof(float));
    for (size_t i = 0; p && i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

/* Best of reps timings of fn over all frequencies, in GFLOP/s (8 flops per complex MAC). */
static void run(const char *isa, ff_spectral_forward_fn fwd, ff_spectral_grad_fn grad, int c,
                int reps, double peak) {
    const int tiles = 7;
    const size_t nf = 32 * 17, cstride = (nf + 1) * SPEC_FLOATS;
    float *x = filled((size_t)tiles * c * cstride), *d = filled((size_t)tiles * c * cstride);
    float *y = filled((size_t)tiles * c * cstride), *scale = filled((size_t)tiles * SPEC_FLOATS);
    float complex *w = (float complex *)filled(2 * nf * c * c);
    float complex *g = (float complex *)filled(2 * nf * c * c);
    if (!x || !d || !y || !scale || !w || !g) {
        fprintf(stderr, "bench_products: out of memory\n");
        exit(1);
    }
    const double flops = 8.0 * nf * c * c * tiles * SPEC_LANES;
    double best_f = 1e9, best_g = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = ff_now_seconds();
        fwd(y, w, x, tiles, c, c, cstride, 0, nf);
        double t1 = ff_now_seconds();
        grad(g, d, x, scale, 0, tiles, c, c, cstride, 0, nf);
        double t2 = ff_now_seconds();
        if (t1 - t0 < best_f) best_f = t1 - t0;
        if (t2 - t1 < best_g) best_g = t2 - t1;
    }
    printf("%-8s C=%-4d forward %6.1f GFLOP/s (%3.0f%%)   gradient %6.1f GFLOP/s (%3.0f%%)\n", isa,
           c, flops / best_f * 1e-9, 100 * flops / best_f * 1e-9 / peak, flops / best_g * 1e-9,
           100 * flops / best_g * 1e-9 / peak);
    ff_free(x), ff_free(d), ff_free(y), ff_free(scale), ff_free(w), ff_free(g);
}

int main(int argc, char **argv) {
    const int reps = argc > 1 ? atoi(argv[1]) : 5;
    const double peak = ff_sgemm_gflops(1, 1024);
    printf("one thread; sgemm peak %.1f GFLOP/s; %% = share of it\n", peak);
    static const int widths[] = {16, 32, 64, 128};
    for (int isa = FF_ISA_GENERIC; isa <= FF_ISA_AVX512; isa++) {
        ff_spectral_forward_fn fwd;
        ff_spectral_grad_fn grad;
        if (ff_isa_spectral_kernels((ff_isa)isa, &fwd, &grad) != 0) continue;
        for (size_t c = 0; c < sizeof widths / sizeof *widths; c++)
            run(ff_isa_name(isa), fwd, grad, widths[c], reps, peak);
    }
    return 0;
}
