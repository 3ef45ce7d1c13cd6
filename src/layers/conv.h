/* The FF conv layer kind: RMS-normalise the input, convolve, ReLU, goodness
 * (docs/method.md §3-§4). Its operations table is ff_conv_layer_ops (layer.h); what follows is
 * the state it keeps and the two tricks the network plays with it (docs/method.md §11). */
#ifndef FFCNN_LAYER_CONV_H
#define FFCNN_LAYER_CONV_H

#include <stddef.h>

#include "ffcnn.h"
#include "kernels/conv_fft.h"
#include "kernels/kernels.h"
#include "layers/scratch.h"

typedef struct ff_conv_path_ops ff_conv_path_ops;

typedef struct ff_conv_layer {
    ff_conv_shape shape;
    float *w, *b;                 /* [out][in][k][k], [out]: the layer's params */
    float *dw, *db;               /* gradients, same shapes */
    float *zero_bias;             /* max(in, out) zeros: bias-free linear parts */
    enum ffcnn_conv_path path;    /* IM2COL or FFT (never AUTO once made) */
    const ff_conv_path_ops *impl; /* the path's operations: the one dispatch point */
    ff_fft_conv *fft;             /* transforms, for the FFT path */
    ff_fft_conv *adjoint;         /* the FFT path's input gradient (backprop only; made lazily) */
    int weights_changed;          /* the FFT path re-transforms w before its next use */
    int adjoint_stale;            /* adjoint's spectra lag the weight spectra */
    /* The FF weight gradient's coef holds one factor per (sample, output channel), [m][out],
     * instead of one per sample: --ff-loss cwc, whose loss gradient differs by channel group
     * (docs/method.md §13). Set by the network after make. */
    int coef_per_channel;
} ff_conv_layer;

typedef struct ff_layer ff_layer;

/* out = conv(in) without bias, normalisation or ReLU, for n samples: the linear part. */
int ff_conv_layer_linear(ff_layer *l, float *out, const float *in, int n, ff_scratch *sc);

/* The forward pass of m images under each of the `classes` labels, from the linear parts:
 * sample classes * i + c gets y = relu(scale * (alpha * base_conv[i] + beta * label_conv[c]) +
 * b), where scale[classes * i + c] is the RMS factor of that labelled input. Equal to the
 * forward pass on the labelled inputs because normalisation is a scalar and convolution is
 * linear (docs/method.md §11). */
void ff_forward_conv_layer_labelled(const ff_layer *l, float *y, double *goodness,
                                    const float *base_conv, const float *label_conv,
                                    const float *scale, float alpha, float beta, int m, int classes,
                                    ff_scratch *sc);

/* Whether next's input spectra can stand in for l's gradient spectra: next reads l's output
 * directly, both on the FFT path with the same transforms. */
int ff_conv_layers_share_spectra(const ff_layer *l, const ff_layer *next);

/* The first half of the FFT path's forward pass of n samples: in = rmsnorm(in) in place (from
 * each sample's sum of squares in_sumsq, as the forward does) and in's spectra into sc->xspec,
 * bit for bit as the forward makes them. For the layer pipeline, whose stage ends before this
 * layer: the previous layer's gradient then needs nothing from the next stage. */
int ff_conv_layer_input_spectra(ff_layer *l, float *in, const double *in_sumsq, int n,
                                ff_scratch *sc);

/* The weight gradient without transforming dout (docs/method.md §11): dout_s = coef_s y_s, and
 * the next layer's forward has transformed its input rmsnorm(y_s) = r_s y_s into next_xspec,
 * so dout's spectra are coef_s / r_s times those; r_s comes from y_sumsq (this layer's
 * goodness), as it did for the next layer. With coef_per_channel, channel co's factor is
 * coef[s out + co] / r_s. sc->xspec must still hold this layer's input spectra (the workspace
 * alternates them by layer parity). */
int ff_backward_conv_layer_from_next(ff_layer *l, const double *y_sumsq, const float *coef,
                                     const float *next_xspec, int m, ff_scratch *sc, char *err);

/* "im2col" or "fft". */
const char *ff_conv_path_name(enum ffcnn_conv_path path);

#endif
