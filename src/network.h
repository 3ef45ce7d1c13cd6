/* The network: a stack of FF conv layers, the linear head, their parameters in one block, the
 * optimiser state and a workspace. Internal; the public face is ffcnn_net in ffcnn.h. */
#ifndef FFCNN_NETWORK_H
#define FFCNN_NETWORK_H

#include "ffcnn.h"
#include "labels.h"
#include "conv_autotune.h"
#include "layer_conv.h"
#include "rng.h"

/* Buffers for one pass over `capacity` samples (the FF batch or an evaluation chunk). */
typedef struct ff_workspace {
    int capacity, threads;
    float *image;                       /* capacity x image len: pixels as floats */
    float *input;                       /* capacity x image len: images with labels */
    float *z[FFCNN_MAX_LAYERS];         /* normalised input of each layer */
    float *y[FFCNN_MAX_LAYERS];         /* ReLU output of each layer */
    double *goodness[FFCNN_MAX_LAYERS]; /* per sample */
    float *last_norm;                   /* normalised output of the last layer */
    float *coef;                        /* per-sample dL/dG * 2 */
    uint8_t *labels;                    /* true label of each sample */
    float *logits, *dlogits;            /* capacity x 10 */
    float *scratch, *partial;           /* per-thread im2col and gradient partials */
    float *xspec[2];             /* FFT-path input spectra by layer parity: a layer's survive the
                                    next layer's forward, whose spectra give its gradient */
    float *yspec, *gspec, *dout; /* FFT-path scratch spectra, pre-activation gradient */
    double *sumsq;               /* capacity x filters: per-channel sums of squares */
} ff_workspace;

struct ffcnn_net {
    ffcnn_config cfg;
    int threads;
    int32_t epochs_done;
    int32_t step_in_epoch;  /* optimiser steps done in the unfinished epoch (resume point) */
    int64_t adam_t;         /* optimiser steps taken */
    double last_val_linear; /* validation accuracy after the last epoch, -1 if none */
    ff_labels labels;
    ff_conv_layer layer[FFCNN_MAX_LAYERS];
    /* Whether each layer's path is settled (forced, measured, or read from a model file);
     * until then layers take the cost model's guess, and training measures first. */
    int paths_settled;
    ff_conv_timing timing[FFCNN_MAX_LAYERS]; /* the measurement, when auto measured (path 0:
                                                not measured) */
    size_t n_params;                         /* all conv layers, then the classifier */
    float *params, *grads, *adam_m, *adam_v;
    float *cls_w, *cls_dw; /* classifier [10][cls_in], bias-free */
    size_t cls_in;
    ff_workspace ws;
};

/* Index of the first trained layer (0-based) and whether layer l learns. */
static inline int ff_first_trained(const ffcnn_net *net) {
    return net->cfg.train_from - 1;
}
static inline int ff_layer_trained(const ffcnn_net *net, int l) {
    return l >= ff_first_trained(net);
}
/* threshold theta = N = C*H*W of the layer's output (docs/method.md §4). */
static inline double ff_threshold(const ff_conv_layer *l) {
    return (double)l->out_len;
}

/* Parameters of a validated config: conv weights and biases, then the classifier. */
size_t ff_param_count(const ffcnn_config *cfg);
/* (Re)makes every layer's convolution, layer l on paths[l] (enum ff_conv_path; AUTO = the
 * cost model's guess). */
int ff_net_make_layers(ffcnn_net *net, const int *paths, char *err);
/* Settles the paths still unsettled by timing both on each layer (conv_autotune.c). */
int ff_net_settle_paths(ffcnn_net *net, char *err);
/* Allocates the network with uninitialised-to-zero parameters (no random init). */
int ff_net_alloc(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err);
/* Random init of every conv layer from cfg.seed; classifier zero. */
void ff_net_init_weights(ffcnn_net *net);
/* Makes the workspace hold at least n samples. */
int ff_net_reserve(ffcnn_net *net, int n, char *err);
/* Image of dataset row `row` as floats in [0,1] into ws.image slot `slot`. */
void ff_net_load_image(ffcnn_net *net, const ffcnn_dataset *ds, int32_t row, int slot);
/* The scratch view of the workspace that layer functions take (for layer 0, or layer l). */
ff_conv_scratch ff_net_scratch(ffcnn_net *net);
ff_conv_scratch ff_net_layer_scratch(ffcnn_net *net, int l);
/* Runs layer l on n samples of the workspace (input or the previous layer's output). */
void ff_net_forward_layer(ffcnn_net *net, int l, int n);
/* Runs layer l on samples [first, first + n) of the workspace. */
void ff_net_forward_layer_range(ffcnn_net *net, int l, int first, int n);
/* Layer 1 applied (without bias) to the ten label patterns, into ws.dout rows 0..9; valid
 * until layer 1's weights change. */
void ff_net_label_convolutions(ffcnn_net *net);
/* Layer 1 for the ten labelled copies of m images (slots 10 i + c, images in ws.image, the
 * labelled inputs in ws.input): two convolutions per image instead of ten, exact up to
 * rounding (docs/method.md §11: only what depends on the label is recomputed). Needs
 * ff_net_label_convolutions first. */
void ff_net_first_layer_all_labels(ffcnn_net *net, int m);
/* Classifier logits of samples [first, first+n) into ws.logits rows [0, n); computes the last
 * layer's normalised output for them first. */
void ff_net_classifier_logits(ffcnn_net *net, int first, int n);

#endif
