/* Run-time choice of the kernels' instruction set (isa.h), and the dispatching entry points. */
#include "isa.h"

#include <stdlib.h>
#include <string.h>

#include "ffcnn.h"

#include "../util.h"
#include "conv_fft.h"

static const char *const names[] = {"generic", "avx2", "avx512"};

const char *ff_isa_name(ff_isa isa) {
    return names[isa];
}

int ff_isa_available(ff_isa isa) {
    if (isa == FF_ISA_GENERIC) return 1;
#if defined(FFCNN_X86_KERNELS)
    __builtin_cpu_init();
    /* Exactly the extensions each copy is compiled with (CMakeLists.txt); GCC's and Clang's
     * checks include the operating system's support for the wider registers. */
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == FF_ISA_AVX2) return avx2;
    return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}

static ff_isa best_available(void) {
    for (int i = FF_ISA_AVX512; i > FF_ISA_GENERIC; i--)
        if (ff_isa_available((ff_isa)i)) return (ff_isa)i;
    return FF_ISA_GENERIC;
}

/* -1 until first use; then the kernels in use. Set before training starts (one thread). */
static int active = -1;

int ffcnn_use_kernels(const char *name, char *err) {
    if (!name || !strcmp(name, "auto")) {
        active = best_available();
        return FFCNN_OK;
    }
    for (int i = 0; i <= FF_ISA_AVX512; i++)
        if (!strcmp(name, names[i])) {
            if (!ff_isa_available((ff_isa)i))
                return ff_fail(err, FFCNN_EINVAL,
                               "kernels '%s': not built into this binary or not supported by this "
                               "CPU (best here: %s)",
                               name, names[best_available()]);
            active = i;
            return FFCNN_OK;
        }
    return ff_fail(err, FFCNN_EINVAL, "kernels '%s': not auto, generic, avx2 or avx512", name);
}

ff_isa ff_isa_active(void) {
    if (active < 0) {
        /* FFCNN_KERNELS is checked by the CLI, which reports a bad value; a library user who
         * sets it wrongly gets the best kernels. */
        char err[FFCNN_ERR_LEN];
        if (ffcnn_use_kernels(getenv("FFCNN_KERNELS"), err) != FFCNN_OK) active = best_available();
    }
    return (ff_isa)active;
}

const char *ffcnn_kernels(void) {
    return ff_isa_name(ff_isa_active());
}

/* The dispatching entry points. A switch per call costs nothing next to a call's work (a chunk
 * of frequencies, or a layer's kernel spectra). Without x86 copies the avx names are absent,
 * and ff_isa_active never returns them. */
#if defined(FFCNN_X86_KERNELS)
#define DISPATCH(call_generic, call_avx2, call_avx512)                                             \
    switch (ff_isa_active()) {                                                                     \
    case FF_ISA_AVX512:                                                                            \
        return call_avx512;                                                                        \
    case FF_ISA_AVX2:                                                                              \
        return call_avx2;                                                                          \
    default:                                                                                       \
        return call_generic;                                                                       \
    }
#else
#define DISPATCH(call_generic, call_avx2, call_avx512) return call_generic;
#endif

void spectral_forward(float *y, const float complex *w, const float *x, int tiles, int cin,
                      int cout, size_t cstride, size_t f0, size_t f1) {
#define ARGS y, w, x, tiles, cin, cout, cstride, f0, f1
    DISPATCH(spectral_forward_generic(ARGS), spectral_forward_avx2(ARGS),
             spectral_forward_avx512(ARGS))
#undef ARGS
}

void spectral_weight_grad(float complex *g, const float *d, const float *x, const float *dscale,
                          int tiles, int cin, int cout, size_t cstride, size_t f0, size_t f1) {
#define ARGS g, d, x, dscale, tiles, cin, cout, cstride, f0, f1
    DISPATCH(spectral_weight_grad_generic(ARGS), spectral_weight_grad_avx2(ARGS),
             spectral_weight_grad_avx512(ARGS))
#undef ARGS
}

int kernel_spectra_forward(float complex *spec, const float *w, int n, int k, int py, int px,
                           int threads) {
#define ARGS spec, w, n, k, py, px, threads
    DISPATCH(kernel_spectra_forward_generic(ARGS), kernel_spectra_forward_avx2(ARGS),
             kernel_spectra_forward_avx512(ARGS))
#undef ARGS
}

int kernel_spectra_inverse(float *w, const float complex *spec, int n, int k, int py, int px,
                           float scale, int threads) {
#define ARGS w, spec, n, k, py, px, scale, threads
    DISPATCH(kernel_spectra_inverse_generic(ARGS), kernel_spectra_inverse_avx2(ARGS),
             kernel_spectra_inverse_avx512(ARGS))
#undef ARGS
}
