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
#define PICK(fn)                                                                                   \
    (ff_isa_active() == FF_ISA_AVX512 ? fn##_avx512                                                \
     : ff_isa_active() == FF_ISA_AVX2 ? fn##_avx2                                                  \
                                      : fn##_generic)
#else
#define PICK(fn) fn##_generic
#endif

/* The copies of the channel sums, by ff_isa. */
static const struct {
    ff_spectral_forward_fn forward;
    ff_spectral_grad_fn grad;
} spectral_copies[] = {
    {ff_spectral_forward_generic, ff_spectral_weight_grad_generic},
#if defined(FFCNN_X86_KERNELS)
    {ff_spectral_forward_avx2, ff_spectral_weight_grad_avx2},
    {ff_spectral_forward_avx512, ff_spectral_weight_grad_avx512},
#endif
};

int ff_isa_spectral_kernels(ff_isa isa, ff_spectral_forward_fn *fwd, ff_spectral_grad_fn *grad) {
    if (!ff_isa_available(isa)) return -1;
    *fwd = spectral_copies[isa].forward;
    *grad = spectral_copies[isa].grad;
    return 0;
}

void ff_spectral_forward(float *y, const float complex *w, const float *x, int tiles, int cin,
                         int cout, size_t cstride, size_t f0, size_t f1) {
    spectral_copies[ff_isa_active()].forward(y, w, x, tiles, cin, cout, cstride, f0, f1);
}

void ff_spectral_weight_grad(float complex *g, const float *d, const float *x, const float *dscale,
                             int dscale_per_channel, int tiles, int cin, int cout, size_t cstride,
                             size_t f0, size_t f1) {
    spectral_copies[ff_isa_active()].grad(g, d, x, dscale, dscale_per_channel, tiles, cin, cout,
                                          cstride, f0, f1);
}

int ff_kernel_spectra_forward(float complex *spec, const float *w, int n, int k, int py, int px,
                              int threads) {
    return PICK(ff_kernel_spectra_forward)(spec, w, n, k, py, px, threads);
}

int ff_kernel_spectra_inverse(float *w, const float complex *spec, int n, int k, int py, int px,
                              float scale, int threads) {
    return PICK(ff_kernel_spectra_inverse)(w, spec, n, k, py, px, scale, threads);
}
