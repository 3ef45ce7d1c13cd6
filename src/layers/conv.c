/* The FF conv layer kind (docs/method.md §3-§4). Two convolution paths give the same results to
 * float rounding: im2col + sgemm, and FFT + per-frequency channel sums (docs/method.md §11).
 * Everything that differs between them sits behind one table, PATHS, chosen once in make. */
#include <math.h>
#include <string.h>

#include "layers/layer.h"
#include "util.h"

/* A path's operations. forward_relu: y = relu(conv(z) + b) and each sample's goodness;
 * linear: out = conv(in) + b; weight_grad: dw, db from d and z right after the forward pass,
 * sample s of d taken times coef[s] (c->coef_per_channel: channel co of it times
 * coef[s out + co]) unless coef is NULL; backprop: dw, db from sc->grad_out and
 * z at any later time, and dz = conv^T(sc->grad_out) unless dz is NULL. */
struct ff_conv_path_ops {
    const char *name;
    int (*forward_relu)(ff_conv_layer *c, float *y, double *goodness, const float *z, int n,
                        ff_scratch *sc);
    int (*linear)(ff_conv_layer *c, float *out, const float *in, const float *b, int n,
                  ff_scratch *sc);
    int (*weight_grad)(ff_conv_layer *c, const float *d, const float *coef, const float *z, int m,
                       ff_scratch *sc);
    int (*backprop)(ff_conv_layer *c, float *dz, const float *z, int m, ff_scratch *sc);
    void (*scratch)(const ff_conv_layer *c, int n, int backprop, ff_scratch_need *need);
};

static size_t out_len_of(const ff_conv_layer *c) {
    return (size_t)c->shape.out_ch * ff_conv_pixels(&c->shape);
}
static size_t in_len_of(const ff_conv_layer *c) {
    return (size_t)c->shape.in_ch * ff_conv_pixels(&c->shape);
}
static size_t n_params_of(const ff_conv_layer *c) {
    return (size_t)c->shape.out_ch * ff_conv_patch_len(&c->shape) + (size_t)c->shape.out_ch;
}
static void raise_to(size_t *field, size_t v) {
    if (v > *field) *field = v;
}

/* ---- im2col path ---- */

static size_t im2col_scratch_len(const ff_conv_layer *c) {
    return ff_conv_scratch_len(&c->shape) + out_len_of(c);
}

static int im2col_linear(ff_conv_layer *c, float *y, const float *z, const float *b, int n,
                         ff_scratch *sc) {
    const size_t scratch_len = im2col_scratch_len(c), in_len = in_len_of(c),
                 out_len = out_len_of(c);
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++)
        ff_conv2d_forward(y + (size_t)s * out_len,
                          sc->per_thread + (size_t)omp_thread() * scratch_len,
                          z + (size_t)s * in_len, c->w, b, &c->shape);
    return FFCNN_OK;
}

static int im2col_forward_relu(ff_conv_layer *c, float *y, double *goodness, const float *z, int n,
                               ff_scratch *sc) {
    im2col_linear(c, y, z, c->b, n, sc);
    const size_t out_len = out_len_of(c);
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++)
        goodness[s] = ff_relu_goodness_forward(y + (size_t)s * out_len, out_len);
    return FFCNN_OK;
}

/* scaled = sample s of d times its coefficients: coef[s], or channel by channel. */
static const float *scale_sample(float *scaled, const ff_conv_layer *c, const float *ds,
                                 const float *coef, int s) {
    const size_t out_len = out_len_of(c), pixels = ff_conv_pixels(&c->shape);
    if (!c->coef_per_channel) {
        for (size_t i = 0; i < out_len; i++) scaled[i] = coef[s] * ds[i];
        return scaled;
    }
    const int C = c->shape.out_ch;
    for (int ch = 0; ch < C; ch++) {
        const float k = coef[(size_t)s * C + ch];
        for (size_t i = ch * pixels; i < (ch + 1) * pixels; i++) scaled[i] = k * ds[i];
    }
    return scaled;
}

/* Per-thread partial sums in fixed thread order: a fixed thread count gives fixed bits. With
 * coef, each sample's coef * d goes through a per-thread row after the im2col matrix. */
static int im2col_weight_grad(ff_conv_layer *c, const float *d, const float *coef, const float *z,
                              int m, ff_scratch *sc) {
    const size_t scratch_len = im2col_scratch_len(c), np = n_params_of(c);
    const size_t nw = np - (size_t)c->shape.out_ch, in_len = in_len_of(c), out_len = out_len_of(c);
    const int threads = sc->threads;
    memset(sc->partial, 0, sizeof(float) * np * (size_t)threads);
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_thread();
        float *col = sc->per_thread + (size_t)t * scratch_len;
        float *scaled = col + ff_conv_scratch_len(&c->shape); /* out_len floats */
        float *pw = sc->partial + (size_t)t * np;
#pragma omp for schedule(static)
        for (int s = 0; s < m; s++) {
            const float *ds = d + (size_t)s * out_len;
            if (coef) ds = scale_sample(scaled, c, ds, coef, s);
            ff_conv2d_weight_grad(pw, pw + nw, col, ds, z + (size_t)s * in_len, &c->shape);
        }
    }
    memcpy(c->dw, sc->partial, sizeof(float) * np);
    for (int t = 1; t < threads; t++) {
        const float *pw = sc->partial + (size_t)t * np;
        for (size_t i = 0; i < np; i++) c->dw[i] += pw[i];
    }
    return FFCNN_OK;
}

/* col2im: the patches of dout, folded back onto the input (kernels/conv_im2col.c). */
static int im2col_backprop(ff_conv_layer *c, float *dz, const float *z, int m, ff_scratch *sc) {
    im2col_weight_grad(c, sc->grad_out, NULL, z, m, sc);
    if (!dz) return FFCNN_OK;
    const size_t scratch_len = im2col_scratch_len(c), in_len = in_len_of(c),
                 out_len = out_len_of(c);
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m; s++)
        ff_conv2d_input_grad(dz + (size_t)s * in_len,
                             sc->per_thread + (size_t)omp_thread() * scratch_len,
                             sc->grad_out + (size_t)s * out_len, c->w, &c->shape);
    return FFCNN_OK;
}

static void im2col_scratch(const ff_conv_layer *c, int n, int backprop, ff_scratch_need *need) {
    (void)n, (void)backprop;
    raise_to(&need->per_thread, im2col_scratch_len(c));
    raise_to(&need->partial, n_params_of(c));
}

/* ---- FFT path ---- */

/* The weight spectra follow the weights lazily: transformed at the first use after a change. */
static int fft_weights(ff_conv_layer *c, int threads) {
    if (!c->weights_changed) return FFCNN_OK;
    if (ff_fft_conv_set_weights(c->fft, c->w, threads) != 0) return FFCNN_ENOMEM;
    c->weights_changed = 0;
    c->adjoint_stale = 1;
    return FFCNN_OK;
}

/* The input gradient's transforms: the conjugate transpose of the weight spectra. */
static int fft_adjoint(ff_conv_layer *c, int threads) {
    if (fft_weights(c, threads)) return FFCNN_ENOMEM;
    if (!c->adjoint) {
        const ff_conv_shape *s = &c->shape;
        const ff_conv_shape t = {s->out_ch, s->in_ch, s->height, s->width, s->kernel};
        if (!(c->adjoint = ff_fft_conv_create(&t))) return FFCNN_ENOMEM;
        c->adjoint_stale = 1;
    }
    if (c->adjoint_stale && ff_fft_conv_set_adjoint(c->adjoint, c->fft) != 0) return FFCNN_ENOMEM;
    c->adjoint_stale = 0;
    return FFCNN_OK;
}

static int fft_linear(ff_conv_layer *c, float *out, const float *in, const float *b, int n,
                      ff_scratch *sc) {
    if (fft_weights(c, sc->threads)) return FFCNN_ENOMEM;
    return ff_fft_conv_forward(c->fft, out, sc->xspec, sc->yspec, in, b, n, sc->threads) == 0
               ? FFCNN_OK
               : FFCNN_ENOMEM;
}

/* The ReLU and the per-channel sums of squares come with the inverse transforms. */
static int fft_forward_relu(ff_conv_layer *c, float *y, double *goodness, const float *z, int n,
                            ff_scratch *sc) {
    if (fft_weights(c, sc->threads)) return FFCNN_ENOMEM;
    if (ff_fft_conv_forward_relu(c->fft, y, sc->channel_sums, sc->xspec, sc->yspec, z, c->b, n,
                                 sc->threads) != 0)
        return FFCNN_ENOMEM;
    const int C = c->shape.out_ch;
    for (int s = 0; s < n; s++) {
        double g = 0.0;
        for (int ch = 0; ch < C; ch++) g += sc->channel_sums[(size_t)s * C + ch];
        goodness[s] = g;
    }
    return FFCNN_OK;
}

static int fft_weight_grad(ff_conv_layer *c, const float *d, const float *coef, const float *z,
                           int m, ff_scratch *sc) {
    (void)z; /* its spectra, from the forward pass, are in sc->xspec */
    return ff_fft_conv_weight_grad(c->fft, c->dw, c->db, sc->yspec, sc->gspec, d, coef,
                                   coef && c->coef_per_channel, sc->xspec, m, sc->threads) == 0
               ? FFCNN_OK
               : FFCNN_ENOMEM;
}

/* Without dz: re-transform z (the forward's spectra are gone) and dout. With dz: the adjoint's
 * forward pass transforms dout into sc->xspec on its way to dz, and those spectra give the
 * weight gradient with z's (in sc->yspec). */
static int fft_backprop(ff_conv_layer *c, float *dz, const float *z, int m, ff_scratch *sc) {
    const int T = sc->threads;
    if (!dz)
        return fft_weights(c, T) || ff_fft_conv_input_spectra(c->fft, sc->xspec, z, m, T)
                   ? FFCNN_ENOMEM
                   : fft_weight_grad(c, sc->grad_out, NULL, z, m, sc);
    if (fft_adjoint(c, T) ||
        ff_fft_conv_forward(c->adjoint, dz, sc->xspec, sc->yspec, sc->grad_out, c->zero_bias, m,
                            T) ||
        ff_fft_conv_input_spectra(c->fft, sc->yspec, z, m, T))
        return FFCNN_ENOMEM;
    float *ones = sc->grad_out, *dscale = sc->grad_out + m; /* dout is transformed: free */
    for (int s = 0; s < m; s++) ones[s] = 1.0f;
    return ff_fft_conv_weight_grad_spectra(c->fft, c->dw, c->db, sc->gspec, dscale, sc->xspec, ones,
                                           0, sc->yspec, m, T)
               ? FFCNN_ENOMEM
               : FFCNN_OK;
}

static void fft_scratch(const ff_conv_layer *c, int n, int backprop, ff_scratch_need *need) {
    const ff_conv_shape *s = &c->shape;
    const int wide = s->in_ch > s->out_ch ? s->in_ch : s->out_ch;
    /* backprop holds dout's spectra in xspec and z's in yspec */
    raise_to(&need->xspec, ff_fft_conv_spectra_len(c->fft, n, backprop ? wide : s->in_ch));
    raise_to(&need->yspec, ff_fft_conv_spectra_len(c->fft, n, backprop ? wide : s->out_ch));
    raise_to(&need->gspec, 2 * ff_fft_conv_freqs(c->fft) * s->out_ch * s->in_ch); /* complex */
    /* scales for _from_next: one per sample, or per (sample, channel) */
    const size_t rows = c->coef_per_channel ? (size_t)s->out_ch : 1;
    raise_to(&need->grad_out, rows * ((size_t)n + ff_fft_conv_dscale_len(n)));
    raise_to(&need->channel_sums, (size_t)s->out_ch);
}

static const ff_conv_path_ops PATHS[] = {
    [FFCNN_CONV_IM2COL] = {"im2col", im2col_forward_relu, im2col_linear, im2col_weight_grad,
                           im2col_backprop, im2col_scratch},
    [FFCNN_CONV_FFT] = {"fft", fft_forward_relu, fft_linear, fft_weight_grad, fft_backprop,
                        fft_scratch},
};

const char *ff_conv_path_name(enum ffcnn_conv_path path) {
    return path == FFCNN_CONV_FFT ? "fft" : path == FFCNN_CONV_IM2COL ? "im2col" : "auto";
}

/* ---- the layer kind's operations ---- */

static int conv_out_dims(const ffcnn_layer_spec *spec, ff_dims in, int index, ff_dims *out,
                         char *err) {
    if (spec->filters < 1 || spec->filters > 4096)
        return ff_fail(err, FFCNN_EINVAL, "layer %d: %d filters is out of range 1..4096", index,
                       spec->filters);
    if (spec->size < 1 || spec->size > 31 || spec->size % 2 == 0)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer %d: kernel %d must be odd and in 1..31 ('same' padding is symmetric)",
                       index, spec->size);
    *out = (ff_dims){spec->filters, in.h, in.w};
    return FFCNN_OK;
}

static ff_conv_shape shape_of(const ffcnn_layer_spec *spec, ff_dims in) {
    return (ff_conv_shape){in.c, spec->filters, in.h, in.w, spec->size};
}

static size_t conv_param_count(const ffcnn_layer_spec *spec, ff_dims in) {
    const ff_conv_shape s = shape_of(spec, in);
    return (size_t)s.out_ch * ff_conv_patch_len(&s) + (size_t)s.out_ch;
}

static int conv_make(ff_layer *l, enum ffcnn_conv_path path, char *err) {
    ff_conv_layer *c = &l->conv;
    memset(c, 0, sizeof *c);
    c->shape = shape_of(&l->spec, l->in);
    const size_t nw = (size_t)c->shape.out_ch * ff_conv_patch_len(&c->shape);
    c->w = l->params, c->b = l->params + nw;
    c->dw = l->grads, c->db = l->grads + nw;
    if (path == FFCNN_CONV_AUTO) /* the cost model's guess, until measured (conv_autotune.c) */
        path = ff_conv_cost_fft(&c->shape) < ff_conv_cost_im2col(&c->shape) ? FFCNN_CONV_FFT
                                                                            : FFCNN_CONV_IM2COL;
    c->path = path;
    c->impl = &PATHS[path];
    c->weights_changed = 1;
    const int wide = c->shape.in_ch > c->shape.out_ch ? c->shape.in_ch : c->shape.out_ch;
    if (!(c->zero_bias = ff_calloc((size_t)wide, sizeof(float))))
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: out of memory", l->index + 1);
    if (path == FFCNN_CONV_FFT && !(c->fft = ff_fft_conv_create(&c->shape)))
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: cannot plan the FFT convolution",
                       l->index + 1);
    return FFCNN_OK;
}

/* The framework default: weights and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), docs/method.md §3. */
static void conv_init(ff_layer *l, ff_rng *rng) {
    ff_conv_layer *c = &l->conv;
    const float bound = 1.0f / sqrtf((float)ff_conv_patch_len(&c->shape));
    for (size_t i = 0; i < l->n_params; i++) c->w[i] = (2.0f * ff_rng_uniform(rng) - 1.0f) * bound;
    c->weights_changed = 1;
}

static size_t conv_saved_len(const ff_layer *l) {
    return l->in_len; /* the normalised input z */
}

static void conv_scratch(const ff_layer *l, int n, int backprop, ff_scratch_need *need) {
    if (backprop) raise_to(&need->grad_out, (size_t)n * l->out_len); /* dL/d(pre-activation) */
    l->conv.impl->scratch(&l->conv, n, backprop, need);
}

/* z = rmsnorm(in), out = relu(conv(z) + b), out_sumsq = goodness. z is kept because the weight
 * gradient needs it; in_sumsq (the previous layer's goodness) saves a pass over in. */
static int conv_forward(ff_layer *l, const ff_layer_io *io, int n, ff_scratch *sc, char *err) {
    const size_t in_len = l->in_len;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++) {
        const float *as = io->in + (size_t)s * in_len;
        const float r = io->in_sumsq ? ff_rms_factor_of_sum(io->in_sumsq[s], in_len)
                                     : ff_rms_factor(as, in_len);
        float *zs = io->saved + (size_t)s * in_len;
        for (size_t i = 0; i < in_len; i++) zs[i] = as[i] * r;
    }
    if (l->conv.impl->forward_relu(&l->conv, io->out, io->out_sumsq, io->saved, n, sc))
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: out of memory in the forward pass",
                       l->index + 1);
    return FFCNN_OK;
}

/* dw, db = sum over the first m samples of (coef_s * y_s) (x) z_s: the local FF gradient, with
 * the ReLU derivative folded in because y is zero wherever the ReLU is off. coef_s * y_s is
 * formed on the fly, never held for the whole batch. */
static int conv_backward(ff_layer *l, const ff_layer_io *io, const float *coef, int m,
                         ff_scratch *sc, char *err) {
    if (l->conv.impl->weight_grad(&l->conv, io->out, coef, io->saved, m, sc))
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: out of memory for its gradient", l->index + 1);
    return FFCNN_OK;
}

/* Backprop through relu(conv(rmsnorm(in)) + b): the ReLU's mask, the path's weight and input
 * gradients, then the normalisation's (kernels/elementwise.c). */
static int conv_backprop(ff_layer *l, const ff_layer_io *io, float *dout, float *din, int m,
                         ff_scratch *sc, char *err) {
    const size_t out_len = l->out_len, in_len = l->in_len;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m; s++)
        ff_relu_backward(sc->grad_out + (size_t)s * out_len, dout + (size_t)s * out_len,
                         io->out + (size_t)s * out_len, out_len);
    if (l->conv.impl->backprop(&l->conv, din, io->saved, m, sc))
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: out of memory for its gradient", l->index + 1);
    if (!din) return FFCNN_OK;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m; s++)
        ff_rmsnorm_backward(din + (size_t)s * in_len, din + (size_t)s * in_len,
                            io->in + (size_t)s * in_len, in_len);
    return FFCNN_OK;
}

static void conv_update(ff_layer *l) {
    l->conv.weights_changed = 1;
}

static void conv_free(ff_layer *l) {
    ff_fft_conv_free(l->conv.fft);
    ff_fft_conv_free(l->conv.adjoint);
    ff_free(l->conv.zero_bias);
    l->conv.fft = l->conv.adjoint = NULL;
    l->conv.zero_bias = NULL;
}

const ff_layer_ops ff_conv_layer_ops = {
    "conv",       conv_out_dims, conv_param_count, conv_make,     conv_init,   conv_saved_len,
    conv_scratch, conv_forward,  conv_backward,    conv_backprop, conv_update, conv_free,
};

/* ---- the network's tricks ---- */

int ff_conv_layer_linear(ff_layer *l, float *out, const float *in, int n, ff_scratch *sc) {
    return l->conv.impl->linear(&l->conv, out, in, l->conv.zero_bias, n, sc);
}

void ff_forward_conv_layer_labelled(const ff_layer *l, float *y, double *goodness,
                                    const float *base_conv, const float *label_conv,
                                    const float *scale, float alpha, float beta, int m, int classes,
                                    ff_scratch *sc) {
    const size_t pixels = ff_conv_pixels(&l->conv.shape), out_len = l->out_len;
    const float *bias = l->conv.b;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m * classes; s++) {
        const float *a = base_conv + (size_t)(s / classes) * out_len;
        const float *p = label_conv + (size_t)(s % classes) * out_len;
        const float ka = scale[s] * alpha, kb = scale[s] * beta;
        float *ys = y + (size_t)s * out_len;
        for (int o = 0; o < l->conv.shape.out_ch; o++)
            for (size_t i = o * pixels; i < (o + 1) * pixels; i++)
                ys[i] = ka * a[i] + kb * p[i] + bias[o];
        goodness[s] = ff_relu_goodness_forward(ys, out_len);
    }
}

int ff_conv_layers_share_spectra(const ff_layer *l, const ff_layer *next) {
    return ff_layer_is_ff(l) && ff_layer_is_ff(next) && l->conv.path == FFCNN_CONV_FFT &&
           next->conv.path == FFCNN_CONV_FFT &&
           ff_fft_conv_freqs(l->conv.fft) == ff_fft_conv_freqs(next->conv.fft) &&
           l->conv.shape.out_ch == next->conv.shape.in_ch;
}

int ff_conv_layer_input_spectra(ff_layer *l, float *in, const double *in_sumsq, int n,
                                ff_scratch *sc) {
    const size_t in_len = l->in_len;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++) { /* conv_forward's normalisation, in place */
        float *as = in + (size_t)s * in_len;
        const float r = ff_rms_factor_of_sum(in_sumsq[s], in_len);
        for (size_t i = 0; i < in_len; i++) as[i] = as[i] * r;
    }
    return ff_fft_conv_input_spectra(l->conv.fft, sc->xspec, in, n, sc->threads) ? FFCNN_ENOMEM
                                                                                 : FFCNN_OK;
}

int ff_backward_conv_layer_from_next(ff_layer *l, const double *y_sumsq, const float *coef,
                                     const float *next_xspec, int m, ff_scratch *sc, char *err) {
    const int per_channel = l->conv.coef_per_channel;
    const size_t rows = per_channel ? (size_t)l->conv.shape.out_ch : 1;
    float *scale = sc->grad_out, *dscale = sc->grad_out + rows * m; /* unused otherwise here */
    for (int s = 0; s < m; s++) {
        const float r = ff_rms_factor_of_sum(y_sumsq[s], l->out_len);
        for (size_t k = s * rows; k < (s + 1) * rows; k++) scale[k] = coef[k] / r;
    }
    if (ff_fft_conv_weight_grad_spectra(l->conv.fft, l->conv.dw, l->conv.db, sc->gspec, dscale,
                                        next_xspec, scale, per_channel, sc->xspec, m,
                                        sc->threads) != 0)
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: out of memory for its gradient", l->index + 1);
    return FFCNN_OK;
}
