/* Convolution in the frequency domain (FFTW + complex GEMM): for wide layers with large
 * kernels it does far less arithmetic than im2col (docs/method.md §11). Same maths as
 * ff_conv2d_forward / ff_conv2d_weight_grad, batched over n samples. */
#ifndef FFCNN_CONV_FFT_H
#define FFCNN_CONV_FFT_H

#include <complex.h>
#include <stddef.h>

#include "kernels.h"

typedef struct ff_fft_conv ff_fft_conv;

/* Spectra of n samples x c channels are kept in the tile layout [tile][channel][freq][lane]:
 * tile t holds samples t*SPEC_LANES.. in its lanes, each frequency SPEC_LANES interleaved
 * complex numbers (SPEC_FLOATS floats). A channel of a tile spans cstride floats, one frequency
 * more than needed so that channels do not alias in the cache. */
#define SPEC_LANES 16
#define SPEC_FLOATS (2 * SPEC_LANES)

/* Floats of the spectra of n samples x c channels in the tile layout. */
size_t ff_fft_conv_spectra_len(const ff_fft_conv *fc, int n, int c);

/* Plans the transforms for one layer shape (not thread-safe: call from one thread). */
ff_fft_conv *ff_fft_conv_create(const ff_conv_shape *s);
void ff_fft_conv_free(ff_fft_conv *fc);

/* Bytes the transforms hold (weight spectra and per-thread buffers). */
size_t ff_fft_conv_bytes(const ff_fft_conv *fc);

/* Complex values (pairs of floats) in one spectrum: transform height x (width / 2 + 1). */
size_t ff_fft_conv_freqs(const ff_fft_conv *fc);

/* Transforms the weights [out][in][k][k]; call after every change of w. Returns 0, or -1 when
 * out of memory. */
int ff_fft_conv_set_weights(ff_fft_conv *fc, const float *w, int threads);

/* The input spectra of n samples into xspec, as ff_fft_conv_forward leaves them. Returns 0, or
 * -1 when out of memory. */
int ff_fft_conv_input_spectra(ff_fft_conv *fc, float *xspec, const float *in, int n, int threads);
/* Makes `adjoint` (planned for the shape with in and out channels swapped) compute fc's input
 * gradient: its weight spectra become the conjugate transpose of fc's current ones, so its
 * forward pass (zero bias) maps dout to din. Returns -1 if the shapes do not match. */
int ff_fft_conv_set_adjoint(ff_fft_conv *adjoint, const ff_fft_conv *fc);

/* out[n][out][H][W] = conv(in) + b for n samples. xspec (ff_fft_conv_spectra_len(n, in)) receives
 * the input spectra, which ff_fft_conv_weight_grad reuses; yspec (n x out) is scratch. Returns 0,
 * or -1 when the per-thread transform buffers cannot be allocated (first use only). */
int ff_fft_conv_forward(ff_fft_conv *fc, float *out, float *xspec, float *yspec, const float *in,
                        const float *b, int n, int threads);

/* ff_fft_conv_forward followed by the ReLU, in the same pass: out = relu(conv(in) + b), and
 * sumsq[s * out + co] = the sum of squares of output channel co of sample s. */
int ff_fft_conv_forward_relu(ff_fft_conv *fc, float *out, double *sumsq, float *xspec, float *yspec,
                             const float *in, const float *b, int n, int threads);

/* dw = sum over the first m samples of dout (x) in, db = sum of dout (overwritten, not
 * accumulated), with the input spectra from the last ff_fft_conv_forward over at least m samples;
 * sample s of dout is taken times dout_scale[s] unless that is NULL (so that dout can be an
 * activation and the factor a per-sample loss gradient, with no buffer for their product); with
 * scale_per_channel, output channel co of sample s is taken times dout_scale[s out + co].
 * dspec (ff_fft_conv_spectra_len(m, out)) and gspec (freqs x out x in complex) are scratch.
 * Returns 0, or -1 when out of memory. */
int ff_fft_conv_weight_grad(ff_fft_conv *fc, float *dw, float *db, float *dspec, float *gspec,
                            const float *dout, const float *dout_scale, int scale_per_channel,
                            const float *xspec, int m, int threads);

/* The channel sums, tile layout (spectral_products.c, one copy per instruction set behind
 * these dispatching names: isa.h), frequencies [f0, f1): y[t][co][f] = sum_ci w[f][co][ci]
 * x[t][ci][f] lane by lane (w: [freq][out][in]); and g[f][co][ci] = sum over tiles and lanes
 * of d[t][co][f] conj(x[t][ci][f]), d scaled lane by lane by dscale[t] (SPEC_FLOATS factors
 * per tile, matching the interleaved floats) unless it is NULL; with dscale_per_channel, by
 * dscale[t][co] (SPEC_FLOATS factors per tile and output channel). */
void ff_spectral_forward(float *y, const float complex *w, const float *x, int tiles, int cin,
                         int cout, size_t cstride, size_t f0, size_t f1);
void ff_spectral_weight_grad(float complex *g, const float *d, const float *x, const float *dscale,
                             int dscale_per_channel, int tiles, int cin, int cout, size_t cstride,
                             size_t f0, size_t f1);

/* As ff_fft_conv_weight_grad with dout's spectra already at hand: dout_s's spectra are
 * scale[s] times yspec_s (tile layout, out channels, at least m samples), e.g. the next layer's
 * input spectra when dout is a multiple of this layer's output (docs/method.md §11); with
 * scale_per_channel, channel co's are scale[s out + co] times yspec_s's (a spectrum belongs to
 * one sample and one channel, so the factor stays linear). dscale is scratch of
 * ff_fft_conv_dscale_len(m) floats, times out with scale_per_channel. Returns 0, or -1 when out
 * of memory. */
int ff_fft_conv_weight_grad_spectra(ff_fft_conv *fc, float *dw, float *db, float *gspec,
                                    float *dscale, const float *yspec, const float *scale,
                                    int scale_per_channel, const float *xspec, int m, int threads);
static inline size_t ff_fft_conv_dscale_len(int m) {
    return (size_t)SPEC_FLOATS * (size_t)((m + SPEC_LANES - 1) / SPEC_LANES);
}

/* Transform size for a shape (the same as ff_fft_conv_create picks). */
void ff_conv_fft_dims(const ff_conv_shape *s, int *py, int *px);
/* Cumulative seconds and flops spent in the channel sums (ff_spectral_forward and
 * ff_spectral_weight_grad); reset clears them. */
void ff_fft_conv_stats(double *seconds, double *flops, int reset);
/* Flops of one transform, and of the per-frequency products of one sample. */
double ff_conv_fft_transform_flops(const ff_conv_shape *s);
double ff_conv_fft_product_flops(const ff_conv_shape *s);

/* Spectra of n k x k kernels centred at 0 in a py x px transform (the conjugate DFT, as a
 * correlation needs), into spec[freq][n]; and back: w = scale * inverse of conj(spec) at the
 * k x k taps. Separable DFTs, cheaper than FFTs of the mostly-zero padded kernels. Both
 * return 0, or -1 when out of memory. */
int ff_kernel_spectra_forward(float complex *spec, const float *w, int n, int k, int py, int px,
                              int threads);
int ff_kernel_spectra_inverse(float *w, const float complex *spec, int n, int k, int py, int px,
                              float scale, int threads);

/* Estimated cost of each path for one sample (arbitrary units, comparable). */
double ff_conv_cost_im2col(const ff_conv_shape *s);
double ff_conv_cost_fft(const ff_conv_shape *s);

#endif
