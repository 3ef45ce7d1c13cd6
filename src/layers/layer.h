/* The layer boundary: every layer kind is one file (conv.c, maxpool.c) behind the table of
 * operations below, in the darknet spirit (make_, forward_, backward_, update_, free_). The
 * network holds a list of layers and calls only these; it knows no kind's insides. Parameters
 * live in the network's single block; a layer points into it. */
#ifndef FFCNN_LAYER_H
#define FFCNN_LAYER_H

#include <stddef.h>

#include "ffcnn.h"
#include "layers/conv.h"
#include "rng.h"

/* channels x height x width of one sample. */
typedef struct ff_dims {
    int c, h, w;
} ff_dims;

static inline size_t ff_dims_len(ff_dims d) {
    return (size_t)d.c * d.h * d.w;
}

/* One layer's slice of the workspace for a pass over n samples. */
typedef struct ff_layer_io {
    const float *in;        /* n x in_len: the previous layer's output, or the labelled images */
    const double *in_sumsq; /* per sample: sum of squares of in (saves a pass), or NULL */
    float *out;             /* n x out_len */
    double *out_sumsq;      /* per sample: sum of squares of out (a conv layer's goodness) */
    float *saved;           /* n x saved_len: what the weight gradient needs (conv: the
                               normalised input); NULL when saved_len is 0 */
} ff_layer_io;

/* What a layer needs of the network's shared scratch for passes over n samples, in floats. */
typedef struct ff_scratch_need {
    size_t per_thread, partial, xspec, yspec, gspec, grad_out;
    size_t channel_sums; /* doubles, per sample */
} ff_scratch_need;

typedef struct ff_layer ff_layer;

typedef struct ff_layer_ops {
    const char *name;
    /* The output shape for this input, or FFCNN_EINVAL naming the layer (1-based `index`). */
    int (*out_dims)(const ffcnn_layer_spec *spec, ff_dims in, int index, ff_dims *out, char *err);
    size_t (*param_count)(const ffcnn_layer_spec *spec, ff_dims in);
    /* Readies a layer whose generic fields are set: `path` is its convolution path (AUTO: the
     * kind's guess). FFCNN_ENOMEM when its plans cannot be made. */
    int (*make)(ff_layer *l, enum ffcnn_conv_path path, char *err);
    void (*init)(ff_layer *l, ff_rng *rng);
    size_t (*saved_len)(const ff_layer *l);
    /* Raises need's fields to what passes over n samples need; `backprop`: and backprop too. */
    void (*scratch)(const ff_layer *l, int n, int backprop, ff_scratch_need *need);
    int (*forward)(ff_layer *l, const ff_layer_io *io, int n, ff_scratch *sc, char *err);
    /* The FF weight gradient of m samples: dL/d(goodness) is coef[s], so dL/dout = 2 coef_s
     * out_s folded into coef by the caller (docs/method.md §4). NULL for kinds without
     * parameters. Must follow a forward over at least m samples. */
    int (*backward)(ff_layer *l, const ff_layer_io *io, const float *coef, int m, ff_scratch *sc,
                    char *err);
    /* Backpropagation, for the BP baseline (docs/method.md §12): dout is the loss gradient at
     * the output of the first m samples of the last forward (n x out_len; used as scratch).
     * Sets the parameter gradients (overwritten) and, unless din is NULL, din = the gradient
     * at the input (m x in_len). */
    int (*backprop)(ff_layer *l, const ff_layer_io *io, float *dout, float *din, int m,
                    ff_scratch *sc, char *err);
    /* After the optimiser changed the parameters (the FFT path re-transforms its weights). */
    void (*update)(ff_layer *l);
    void (*free)(ff_layer *l);
} ff_layer_ops;

struct ff_layer {
    const ff_layer_ops *ops;
    ffcnn_layer_spec spec;
    int index;      /* 0-based position in the network's list */
    int conv_index; /* 0-based among the FF (conv) layers; -1 for other kinds */
    ff_dims in, out;
    size_t in_len, out_len, n_params;
    float *params, *grads; /* into the network's block (n_params floats each) */
    ff_conv_layer conv;    /* the conv kind's state */
};

/* Makes layer `index` (0-based) of the given spec on input dims `in`, its parameters and
 * gradients at params and grads (ops->param_count floats each), convolving on `path`.
 * conv_index is left -1 for the caller (the network) to number. */
int ff_layer_make(ff_layer *l, const ffcnn_layer_spec *spec, int index, ff_dims in, float *params,
                  float *grads, enum ffcnn_conv_path path, char *err);
void ff_layer_free(ff_layer *l);

/* The operations of a layer kind (enum ffcnn_layer_kind), NULL if unknown. */
const ff_layer_ops *ff_layer_kind(int kind);
/* Whether the kind learns by FF: it has a goodness that the objective and the head read. */
static inline int ff_layer_is_ff(const ff_layer *l) {
    return l->spec.kind == FFCNN_LAYER_CONV;
}

extern const ff_layer_ops ff_conv_layer_ops;
extern const ff_layer_ops ff_maxpool_layer_ops;

#endif
