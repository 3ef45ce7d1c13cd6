#include "layer_conv.h"

#include <math.h>
#include <string.h>

#include "util.h"

size_t conv_layer_param_count(ff_conv_shape s) {
    return (size_t)s.out_ch * ff_conv_patch_len(&s) + (size_t)s.out_ch;
}

void make_conv_layer(ff_conv_layer *l, ff_conv_shape shape, float *params, float *grads) {
    memset(l, 0, sizeof *l);
    l->shape = shape;
    l->in_len = (size_t)shape.in_ch * ff_conv_pixels(&shape);
    l->out_len = (size_t)shape.out_ch * ff_conv_pixels(&shape);
    const size_t nw = (size_t)shape.out_ch * ff_conv_patch_len(&shape);
    l->w = params;
    l->b = params + nw;
    l->dw = grads;
    l->db = grads + nw;
    l->n_params = nw + (size_t)shape.out_ch;
}

void init_conv_layer(ff_conv_layer *l, ff_rng *rng) {
    const float bound = 1.0f / sqrtf((float)ff_conv_patch_len(&l->shape));
    for (size_t i = 0; i < l->n_params; i++) l->w[i] = (2.0f * ff_rng_uniform(rng) - 1.0f) * bound;
}

size_t conv_layer_scratch_len(const ff_conv_layer *l) {
    return ff_conv_scratch_len(&l->shape) + l->out_len;
}

void forward_conv_layer(const ff_conv_layer *l, float *y, float *z, double *goodness,
                        const float *a, int n, float *scratch, int threads) {
    const size_t scratch_len = conv_layer_scratch_len(l);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int s = 0; s < n; s++) {
        float *col = scratch + (size_t)omp_thread() * scratch_len;
        float *zs = z + (size_t)s * l->in_len, *ys = y + (size_t)s * l->out_len;
        rmsnorm_forward(zs, a + (size_t)s * l->in_len, l->in_len);
        conv2d_forward(ys, col, zs, l->w, l->b, &l->shape);
        goodness[s] = relu_goodness_forward(ys, l->out_len);
    }
}

void backward_conv_layer(ff_conv_layer *l, const float *y, const float *z, const float *coef,
                         int n, float *scratch, float *partial, int threads) {
    const size_t scratch_len = conv_layer_scratch_len(l);
    const size_t nw = l->n_params - (size_t)l->shape.out_ch;
    memset(partial, 0, sizeof(float) * l->n_params * (size_t)threads);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_thread();
        float *col = scratch + (size_t)t * scratch_len;
        float *dout = col + ff_conv_scratch_len(&l->shape);
        float *pw = partial + (size_t)t * l->n_params;
#pragma omp for schedule(static)
        for (int s = 0; s < n; s++) {
            const float *ys = y + (size_t)s * l->out_len;
            for (size_t i = 0; i < l->out_len; i++) dout[i] = coef[s] * ys[i];
            conv2d_weight_grad(pw, pw + nw, col, dout, z + (size_t)s * l->in_len, &l->shape);
        }
    }
    memcpy(l->dw, partial, sizeof(float) * l->n_params);
    for (int t = 1; t < threads; t++) {
        const float *pw = partial + (size_t)t * l->n_params;
        for (size_t i = 0; i < l->n_params; i++) l->dw[i] += pw[i];
    }
}
