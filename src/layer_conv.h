/* One FF conv layer: RMS-normalise its input, convolve, ReLU, goodness (docs/method.md §3). Its
 * weights live in the network's single parameter block; the layer only points into it. */
#ifndef FFCNN_LAYER_CONV_H
#define FFCNN_LAYER_CONV_H

#include <stddef.h>

#include "kernels/conv_fft.h"
#include "kernels/kernels.h"
#include "rng.h"

/* How a layer convolves; both give the same results to float rounding. */
enum ff_conv_path { FF_CONV_AUTO = 0, FF_CONV_IM2COL = 1, FF_CONV_FFT = 2 };

typedef struct ff_conv_layer {
    ff_conv_shape shape;
    size_t in_len, out_len; /* floats per sample in and out */
    float *w, *b;           /* [out][in][k][k], [out] */
    float *dw, *db;         /* gradients, same shapes */
    size_t n_params;        /* w and b together (b follows w) */
    int path;               /* FF_CONV_IM2COL or FF_CONV_FFT (never AUTO once made) */
    ff_fft_conv *fft;       /* transforms, for the FFT path */
    int weights_changed;    /* the FFT path re-transforms w before its next use */
} ff_conv_layer;

/* Scratch shared by all layers of a network, sized by the network's workspace. */
typedef struct ff_conv_scratch {
    float *per_thread; /* threads x conv_layer_scratch_len */
    float *partial;    /* threads x n_params: per-thread weight-gradient sums (im2col) */
    float *xspec;      /* input spectra of the last forward (FFT) */
    float *yspec;      /* output or gradient spectra (FFT) */
    float *gspec;      /* weight-gradient spectra (FFT) */
    float *dout;       /* n x out_len: the gradient at the pre-activation */
    double *sumsq;     /* n x out channels: per-channel sums of squares (FFT path) */
    int threads;
} ff_conv_scratch;

/* Points the layer at params (w then b) and grads laid out the same way; path AUTO picks the
 * cheaper by a cost model. Returns 0, or -1 when the FFT plans cannot be made. */
int make_conv_layer(ff_conv_layer *l, ff_conv_shape shape, float *params, float *grads, int path);
void free_conv_layer(ff_conv_layer *l);
size_t conv_layer_param_count(ff_conv_shape shape);

/* The framework default: weights and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), docs/method.md §3. */
void init_conv_layer(ff_conv_layer *l, ff_rng *rng);

/* Scratch sizes in floats: per thread, and for n samples (spectra) of this layer. */
size_t conv_layer_scratch_len(const ff_conv_layer *l);
size_t conv_layer_spectrum_len(const ff_conv_layer *l, int n, int which); /* 0 x, 1 y, 2 g */

/* For each of n samples: z = rmsnorm(a), y = relu(conv(z)), goodness = sum y^2.
 * z is kept because the weight gradient needs it. a_sumsq, when not NULL, holds each input's
 * sum of squares (the previous layer's goodness), which saves a pass over a. */
void forward_conv_layer(ff_conv_layer *l, float *y, float *z, double *goodness, const float *a,
                        const double *a_sumsq, int n, ff_conv_scratch *sc);

/* out = conv(in) without bias, normalisation or ReLU, for n samples: the linear part. */
void conv_layer_linear(ff_conv_layer *l, float *out, const float *in, int n, ff_conv_scratch *sc);

/* The forward pass of m images under each of the ten labels, from the linear parts: sample
 * 10 i + c gets y = relu(scale * (alpha * base_conv[i] + beta * label_conv[c]) + b), where
 * scale[10 i + c] is the RMS factor of that labelled input. Equal to forward_conv_layer on the
 * labelled inputs because normalisation is a scalar and convolution is linear. */
void forward_conv_layer_labelled(const ff_conv_layer *l, float *y, double *goodness,
                                 const float *base_conv, const float *label_conv,
                                 const float *scale, float alpha, float beta, int m,
                                 ff_conv_scratch *sc);

/* dw, db = sum over the first m samples of (coef_s * y_s) (x) z_s: the local FF gradient, with
 * the ReLU derivative folded in because y is zero wherever the ReLU is off. Must follow the
 * forward_conv_layer of this layer over at least m samples. With a fixed thread count the result
 * is fixed. */
void backward_conv_layer(ff_conv_layer *l, const float *y, const float *z, const float *coef, int m,
                         ff_conv_scratch *sc);

/* Whether the next layer's input spectra can stand in for this layer's gradient spectra: both
 * on the FFT path with the same transforms. */
int conv_layers_share_spectra(const ff_conv_layer *l, const ff_conv_layer *next);

/* backward_conv_layer without transforming dout (docs/method.md §11): dout_s = coef_s y_s, and the
 * next layer's forward has transformed its input rmsnorm(y_s) = r_s y_s into next_xspec, so
 * dout's spectra are coef_s / r_s times those; r_s comes from y_sumsq (this layer's goodness),
 * as it did for the next layer. sc->xspec must still hold this layer's input spectra (the
 * workspace alternates them by layer parity). Returns 0, or -1 when out of memory. */
int backward_conv_layer_from_next(ff_conv_layer *l, const double *y_sumsq, const float *coef,
                                  const float *next_xspec, int m, ff_conv_scratch *sc);

#endif
