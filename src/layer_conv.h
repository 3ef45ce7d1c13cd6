/* One FF conv layer: RMS-normalise its input, convolve, ReLU, goodness (METHOD.md §3). Its
 * weights live in the network's single parameter block; the layer only points into it. */
#ifndef FFCNN_LAYER_CONV_H
#define FFCNN_LAYER_CONV_H

#include <stddef.h>

#include "kernels/kernels.h"
#include "rng.h"

typedef struct ff_conv_layer {
    ff_conv_shape shape;
    size_t in_len, out_len; /* floats per sample in and out */
    float *w, *b;           /* [out][in][k][k], [out] */
    float *dw, *db;         /* gradients, same shapes */
    size_t n_params;        /* w and b together (b follows w) */
} ff_conv_layer;

/* Points the layer at params (w then b) and grads laid out the same way. */
void make_conv_layer(ff_conv_layer *l, ff_conv_shape shape, float *params, float *grads);
size_t conv_layer_param_count(ff_conv_shape shape);

/* The framework default: weights and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), METHOD.md §3. */
void init_conv_layer(ff_conv_layer *l, ff_rng *rng);

/* Per-thread scratch one worker needs, in floats. */
size_t conv_layer_scratch_len(const ff_conv_layer *l);

/* For each of n samples: z = rmsnorm(a), y = relu(conv(z)), goodness = sum y^2.
 * z is kept because the weight gradient needs it. scratch: threads x scratch_len floats. */
void forward_conv_layer(const ff_conv_layer *l, float *y, float *z, double *goodness,
                        const float *a, int n, float *scratch, int threads);

/* dw, db = sum over n samples of (coef_s * y_s) (x) z_s: the local FF gradient, with the ReLU
 * derivative folded in because y is zero wherever the ReLU is off. partial: threads x n_params
 * floats of scratch, summed in thread order so a fixed thread count gives fixed results. */
void backward_conv_layer(ff_conv_layer *l, const float *y, const float *z, const float *coef,
                         int n, float *scratch, float *partial, int threads);

#endif
