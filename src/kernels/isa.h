/* Which instruction set the hot kernels run on, chosen once at run time.
 *
 * spectral_products.c and kernel_spectra.c are compiled once per instruction set this build
 * targets (CMakeLists.txt: avx512 and avx2 on x86-64 with GCC or Clang, generic everywhere),
 * each copy under its own suffix; the plain names in conv_fft.h dispatch to the best copy the
 * CPU runs, so one binary (built without -march=native, as a package would ship) runs AVX-512
 * code on AVX-512 machines and AVX2 + FMA code on the rest. The environment variable
 * FFCNN_KERNELS (or ffcnn_use_kernels) can force a lower level, for tests and comparisons.
 * Different kernels round differently, so same-seed runs give the same bits only on the same
 * kernels. */
#ifndef FFCNN_ISA_H
#define FFCNN_ISA_H

#include <complex.h>
#include <stddef.h>

/* The name a kernel gets in the copy being compiled (CMake defines FF_BUILD_AVX512 or
 * FF_BUILD_AVX2 for the vector copies). */
#if defined(FF_BUILD_AVX512)
#define FF_KERNEL(name) name##_avx512
#elif defined(FF_BUILD_AVX2)
#define FF_KERNEL(name) name##_avx2
#else
#define FF_KERNEL(name) name##_generic
#endif

typedef enum ff_isa { FF_ISA_GENERIC = 0, FF_ISA_AVX2 = 1, FF_ISA_AVX512 = 2 } ff_isa;

/* The kernels in use (the best available unless forced), and their name. */
ff_isa ff_isa_active(void);
const char *ff_isa_name(ff_isa isa);
/* Whether this build has kernels for isa and this CPU can run them. */
int ff_isa_available(ff_isa isa);

/* One copy's channel sums (the signatures of ff_spectral_forward and ff_spectral_weight_grad). */
typedef void (*ff_spectral_forward_fn)(float *y, const float complex *w, const float *x, int tiles,
                                       int cin, int cout, size_t cstride, size_t f0, size_t f1);
typedef void (*ff_spectral_grad_fn)(float complex *g, const float *d, const float *x,
                                    const float *dscale, int dscale_per_channel, int tiles, int cin,
                                    int cout, size_t cstride, size_t f0, size_t f1);
/* The channel-sum kernels of isa's copy, for tests and benchmarks that call each copy
 * directly; 0, or -1 when isa is not available (ff_isa_available). */
int ff_isa_spectral_kernels(ff_isa isa, ff_spectral_forward_fn *fwd, ff_spectral_grad_fn *grad);

/* The per-instruction-set copies behind ff_spectral_forward / ff_spectral_weight_grad /
 * ff_kernel_spectra_forward / ff_kernel_spectra_inverse (conv_fft.h), same arguments. */
#define FF_DECLARE_KERNELS(sfx)                                                                    \
    void ff_spectral_forward_##sfx(float *y, const float complex *w, const float *x, int tiles,    \
                                   int cin, int cout, size_t cstride, size_t f0, size_t f1);       \
    void ff_spectral_weight_grad_##sfx(float complex *g, const float *d, const float *x,           \
                                       const float *dscale, int dscale_per_channel, int tiles,     \
                                       int cin, int cout, size_t cstride, size_t f0, size_t f1);   \
    int ff_kernel_spectra_forward_##sfx(float complex *spec, const float *w, int n, int k, int py, \
                                        int px, int threads);                                      \
    int ff_kernel_spectra_inverse_##sfx(float *w, const float complex *spec, int n, int k, int py, \
                                        int px, float scale, int threads);
FF_DECLARE_KERNELS(generic)
FF_DECLARE_KERNELS(avx2)
FF_DECLARE_KERNELS(avx512)
#undef FF_DECLARE_KERNELS

#endif
