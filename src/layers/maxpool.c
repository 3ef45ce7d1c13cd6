/* The max-pooling kind: size x size windows, stride size (docs/method.md §3, "Pooling"). Not an
 * FF layer: no parameters, no goodness; it carries the previous conv layer's ReLU output to the
 * next layer's input at a smaller size. */
#include "layers/layer.h"
#include "util.h"

static int maxpool_out_dims(const ffcnn_layer_spec *spec, ff_dims in, int index, ff_dims *out,
                            char *err) {
    if (spec->filters != 0)
        return ff_fail(err, FFCNN_EINVAL, "layer %d: pooling has no filters (%d given)", index,
                       spec->filters);
    if (spec->size < 2 || spec->size > 16)
        return ff_fail(err, FFCNN_EINVAL, "layer %d: pooling size %d is out of range 2..16", index,
                       spec->size);
    if (in.h < spec->size || in.w < spec->size)
        return ff_fail(err, FFCNN_EINVAL, "layer %d: %dx%d pooling of a %dx%d map leaves nothing",
                       index, spec->size, spec->size, in.h, in.w);
    *out = (ff_dims){in.c, in.h / spec->size, in.w / spec->size};
    return FFCNN_OK;
}

static size_t maxpool_param_count(const ffcnn_layer_spec *spec, ff_dims in) {
    (void)spec, (void)in;
    return 0;
}

static int maxpool_make(ff_layer *l, enum ffcnn_conv_path path, char *err) {
    (void)l, (void)path, (void)err;
    return FFCNN_OK;
}

static void maxpool_init(ff_layer *l, ff_rng *rng) {
    (void)l, (void)rng;
}

static size_t maxpool_saved_len(const ff_layer *l) {
    (void)l;
    return 0;
}

static void maxpool_scratch(const ff_layer *l, int n, int backprop, ff_scratch_need *need) {
    (void)l, (void)n, (void)backprop, (void)need;
}

/* out = maxpool(in), and each output's sum of squares for the next layer's normalisation. */
static int maxpool_forward(ff_layer *l, const ff_layer_io *io, int n, ff_scratch *sc, char *err) {
    (void)err;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < n; s++) {
        float *o = io->out + (size_t)s * l->out_len;
        ff_maxpool2d_forward(o, io->in + (size_t)s * l->in_len, l->in.c, l->in.h, l->in.w,
                             l->spec.size);
        double sq = 0.0;
        for (size_t i = 0; i < l->out_len; i++) sq += (double)o[i] * o[i];
        io->out_sumsq[s] = sq;
    }
    return FFCNN_OK;
}

/* Each window's gradient to its maximum; nothing to learn. */
static int maxpool_backprop(ff_layer *l, const ff_layer_io *io, float *dout, float *din, int m,
                            ff_scratch *sc, char *err) {
    (void)err;
    if (!din) return FFCNN_OK;
#pragma omp parallel for schedule(static) num_threads(sc->threads)
    for (int s = 0; s < m; s++)
        ff_maxpool2d_backward(din + (size_t)s * l->in_len, dout + (size_t)s * l->out_len,
                              io->in + (size_t)s * l->in_len, l->in.c, l->in.h, l->in.w,
                              l->spec.size);
    return FFCNN_OK;
}

static void maxpool_update(ff_layer *l) {
    (void)l;
}

static void maxpool_free(ff_layer *l) {
    (void)l;
}

const ff_layer_ops ff_maxpool_layer_ops = {
    "maxpool",         maxpool_out_dims, maxpool_param_count, maxpool_make, maxpool_init,
    maxpool_saved_len, maxpool_scratch,  maxpool_forward,     NULL, /* no parameters, so no FF
                                                                       weight gradient */
    maxpool_backprop,  maxpool_update,   maxpool_free,
};
