#include "layer_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ffcnn.h"

#include "util.h"

size_t conv_layer_param_count(ff_conv_shape s) {
    return (size_t)s.out_ch * ff_conv_patch_len(&s) + (size_t)s.out_ch;
}

int make_conv_layer(ff_conv_layer *l, ff_conv_shape shape, float *params, float *grads, int path) {
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
    if (path == FF_CONV_AUTO)
        path = conv_cost_fft(&shape) < conv_cost_im2col(&shape) ? FF_CONV_FFT : FF_CONV_IM2COL;
    l->path = path;
    l->weights_changed = 1;
    if (path == FF_CONV_FFT && !(l->fft = fft_conv_create(&shape))) return -1;
    return 0;
}

void free_conv_layer(ff_conv_layer *l) {
    fft_conv_free(l->fft);
    l->fft = NULL;
}

void init_conv_layer(ff_conv_layer *l, ff_rng *rng) {
    const float bound = 1.0f / sqrtf((float)ff_conv_patch_len(&l->shape));
    for (size_t i = 0; i < l->n_params; i++) l->w[i] = (2.0f * ff_rng_uniform(rng) - 1.0f) * bound;
    l->weights_changed = 1;
}

size_t conv_layer_scratch_len(const ff_conv_layer *l) {
    return l->path == FF_CONV_IM2COL ? ff_conv_scratch_len(&l->shape) + l->out_len : 0;
}

size_t conv_layer_spectrum_len(const ff_conv_layer *l, int n, int which) {
    if (l->path != FF_CONV_FFT) return 0;
    const ff_conv_shape *s = &l->shape;
    if (which == 0) return fft_conv_spectra_len(l->fft, n, s->in_ch);
    if (which == 1) return fft_conv_spectra_len(l->fft, n, s->out_ch);
    return 2 * fft_conv_freqs(l->fft) * s->out_ch * s->in_ch; /* complex = 2 floats */
}

static void forward_im2col(const ff_conv_layer *l, float *y, const float *z, const float *b, int n,
                           ff_conv_scratch *sc) {
    const size_t scratch_len = conv_layer_scratch_len(l);
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++)
        conv2d_forward(y + (size_t)s * l->out_len,
                       sc->per_thread + (size_t)omp_thread() * scratch_len,
                       z + (size_t)s * l->in_len, l->w, b, &l->shape);
}

static void convolve(ff_conv_layer *l, float *y, const float *z, const float *b, int n,
                     ff_conv_scratch *sc) {
    if (l->path == FF_CONV_FFT) {
        if (l->weights_changed) fft_conv_set_weights(l->fft, l->w, sc->threads);
        l->weights_changed = 0;
        fft_conv_forward(l->fft, y, sc->xspec, sc->yspec, z, b, n, sc->threads);
    } else {
        forward_im2col(l, y, z, b, n, sc);
    }
}

void conv_layer_linear(ff_conv_layer *l, float *out, const float *in, int n, ff_conv_scratch *sc) {
    float *zero = calloc((size_t)l->shape.out_ch, sizeof(float));
    if (!zero) return;
    convolve(l, out, in, zero, n, sc);
    free(zero);
}

void forward_conv_layer_labelled(const ff_conv_layer *l, float *y, double *goodness,
                                 const float *base_conv, const float *label_conv,
                                 const float *scale, float alpha, float beta, int m,
                                 ff_conv_scratch *sc) {
    const size_t pixels = ff_conv_pixels(&l->shape);
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m * FFCNN_CLASSES; s++) {
        const float *a = base_conv + (size_t)(s / FFCNN_CLASSES) * l->out_len;
        const float *p = label_conv + (size_t)(s % FFCNN_CLASSES) * l->out_len;
        const float ka = scale[s] * alpha, kb = scale[s] * beta;
        float *ys = y + (size_t)s * l->out_len;
        for (int o = 0; o < l->shape.out_ch; o++)
            for (size_t i = o * pixels; i < (o + 1) * pixels; i++)
                ys[i] = ka * a[i] + kb * p[i] + l->b[o];
        goodness[s] = relu_goodness_forward(ys, l->out_len);
    }
}

void forward_conv_layer(ff_conv_layer *l, float *y, float *z, double *goodness, const float *a,
                        const double *a_sumsq, int n, ff_conv_scratch *sc) {
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++) {
        const float *as = a + (size_t)s * l->in_len;
        const float r =
            a_sumsq ? rms_factor_of_sum(a_sumsq[s], l->in_len) : rms_factor(as, l->in_len);
        float *zs = z + (size_t)s * l->in_len;
        for (size_t i = 0; i < l->in_len; i++) zs[i] = as[i] * r;
    }
    if (l->path == FF_CONV_FFT) { /* the ReLU and the goodness come with the inverse FFTs */
        if (l->weights_changed) fft_conv_set_weights(l->fft, l->w, sc->threads);
        l->weights_changed = 0;
        fft_conv_forward_relu(l->fft, y, sc->sumsq, sc->xspec, sc->yspec, z, l->b, n, sc->threads);
        const int C = l->shape.out_ch;
        for (int s = 0; s < n; s++) {
            double g = 0.0;
            for (int c = 0; c < C; c++) g += sc->sumsq[(size_t)s * C + c];
            goodness[s] = g;
        }
        return;
    }
    forward_im2col(l, y, z, l->b, n, sc);
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++)
        goodness[s] = relu_goodness_forward(y + (size_t)s * l->out_len, l->out_len);
}

static void backward_im2col(ff_conv_layer *l, const float *z, int m, ff_conv_scratch *sc) {
    const size_t scratch_len = conv_layer_scratch_len(l);
    const size_t nw = l->n_params - (size_t)l->shape.out_ch;
    const int threads = sc->threads;
    memset(sc->partial, 0, sizeof(float) * l->n_params * (size_t)threads);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_thread();
        float *col = sc->per_thread + (size_t)t * scratch_len;
        float *pw = sc->partial + (size_t)t * l->n_params;
#pragma omp for schedule(static)
        for (int s = 0; s < m; s++)
            conv2d_weight_grad(pw, pw + nw, col, sc->dout + (size_t)s * l->out_len,
                               z + (size_t)s * l->in_len, &l->shape);
    }
    memcpy(l->dw, sc->partial, sizeof(float) * l->n_params);
    for (int t = 1; t < threads; t++) {
        const float *pw = sc->partial + (size_t)t * l->n_params;
        for (size_t i = 0; i < l->n_params; i++) l->dw[i] += pw[i];
    }
}

void backward_conv_layer(ff_conv_layer *l, const float *y, const float *z, const float *coef, int m,
                         ff_conv_scratch *sc) {
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m; s++) {
        const float *ys = y + (size_t)s * l->out_len;
        float *d = sc->dout + (size_t)s * l->out_len;
        for (size_t i = 0; i < l->out_len; i++) d[i] = coef[s] * ys[i];
    }
    if (l->path == FF_CONV_FFT)
        fft_conv_weight_grad(l->fft, l->dw, l->db, sc->yspec, sc->gspec, sc->dout, sc->xspec, m,
                             sc->threads);
    else
        backward_im2col(l, z, m, sc);
}

int conv_layers_share_spectra(const ff_conv_layer *l, const ff_conv_layer *next) {
    return l->path == FF_CONV_FFT && next->path == FF_CONV_FFT &&
           fft_conv_freqs(l->fft) == fft_conv_freqs(next->fft) &&
           l->shape.out_ch == next->shape.in_ch;
}

int backward_conv_layer_from_next(ff_conv_layer *l, const double *y_sumsq, const float *coef,
                                  const float *next_xspec, int m, ff_conv_scratch *sc) {
    float *scale = sc->dout; /* m floats of the gradient scratch, unused otherwise here */
    for (int s = 0; s < m; s++) scale[s] = coef[s] / rms_factor_of_sum(y_sumsq[s], l->out_len);
    return fft_conv_weight_grad_spectra(l->fft, l->dw, l->db, sc->gspec, next_xspec, scale,
                                        sc->xspec, m, sc->threads);
}
