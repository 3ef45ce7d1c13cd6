/* The network: a list of layers (layers/layer.h), the linear head, their parameters in one
 * block, the optimiser state and a workspace. Internal; the public face is ffcnn_net in ffcnn.h.
 *
 * A training step runs, for each layer in order, ff_net_forward then (FF layers that learn)
 * ff_net_weight_grad; then the head's gradient; then ff_net_update, the one optimiser step over
 * the parameter block. Between the gradients and ff_net_update is where an all-reduce across
 * processes, or a copy to a device, goes. */
#ifndef FFCNN_NETWORK_H
#define FFCNN_NETWORK_H

#include "ffcnn.h"
#include "conv_autotune.h"
#include "ff_objective.h"
#include "labels.h"
#include "layers/layer.h"
#include "rng.h"

/* One training image's augmentation (ffcnn_config's augment_pad and augment_flip): the window's
 * offset in rows and columns, each in -pad..pad, and whether it is mirrored left-right. */
typedef struct ff_augment {
    int8_t dy, dx, flip;
} ff_augment;

/* Buffers for one pass over `capacity` samples (the FF batch or an evaluation chunk). */
typedef struct ff_workspace {
    int capacity, threads;
    float *image;                      /* capacity x image len: pixels as floats */
    float *input;                      /* capacity x image len: images with labels */
    float *aug_src;                    /* one image to augment from (NULL: no augmentation) */
    float *out[FFCNN_MAX_LAYERS];      /* each layer's output (a conv layer's ReLU output) */
    double *sumsq[FFCNN_MAX_LAYERS];   /* per sample, sum of squares of out (conv: goodness) */
    float *saved[FFCNN_MAX_LAYERS];    /* what each layer's gradient needs (conv: normalised
                                          input); under FF the previous layer's out, normalised
                                          in place (see in_place) */
    float *norm_out[FFCNN_MAX_LAYERS]; /* a conv layer's normalised output for the head, when no
                                          conv layer reads its output directly (else that
                                          layer's saved input is the same thing); under FF its
                                          out, normalised in place */
    /* FF holds one copy of each layer's output: once the next layer has read it (and the
     * layer's own gradient has), only its normalised form is needed, so saved[i + 1] and
     * norm_out[i] are out[i] itself. Backprop needs the raw outputs too (docs/method.md §12). */
    int in_place;
    float *label_conv; /* evaluation only: layer 1 on the label patterns and the images */
    /* The weight-gradient spectra need no buffer of their own when they fit in the spectra
     * that are idle while a gradient is formed: the other parity's input spectra (a layer's
     * own gradient), or the output spectra (a gradient from the next layer's spectra). */
    int gspec_shared;
    float *coef[FFCNN_MAX_LAYERS]; /* per sample dL/dG * 2 of each FF layer (--ff-loss cwc: per
                                      sample and output channel, [n][C]) */
    /* --ff-loss cwc only (docs/method.md §13), [n][classes]: one layer's channel groups'
     * goodness and their 2 dL/dG; the groups' scaled goodness summed over the scored layers
     * (goodness inference). NULL otherwise. */
    double *group_sumsq;
    float *group_coef;
    double *group_score;
    float *grad[2];  /* backprop only: the loss gradient at a layer's output (grad[i & 1] for
                        layer i) and at its input (the other one) */
    uint8_t *labels; /* true label of each sample */
    float *logits, *dlogits; /* capacity x classes */
    float *head_partial;     /* the head's column-chunk partial logits */
    float *xspec[2];         /* FFT-path input spectra by layer parity: a layer's survive the next
                                layer's forward, whose spectra give its gradient */
    ff_scratch scratch;      /* the rest of the shared scratch (xspec set per layer) */
    ff_scratch_need need;    /* what the scratch was sized for (ff_net_workspace_bytes) */
    size_t head_chunks;
} ff_workspace;

struct ffcnn_net {
    ffcnn_config cfg;
    int threads;
    int32_t epochs_done;
    int32_t step_in_epoch;  /* optimiser steps done in the unfinished epoch (resume point) */
    int64_t adam_t;         /* optimiser steps taken */
    double last_val_linear; /* validation accuracy after the last epoch, -1 if none */
    ffcnn_data_identity data;
    int check_data_on_resume; /* loaded from a file: the next epoch must see the same images */
    int32_t n_class_names;    /* 0 (none) or cfg.classes */
    char class_names[FFCNN_MAX_CLASSES][64]; /* zero-padded (model files store them so) */
    ff_labels labels;
    int n_layers; /* entries of layer[] (cfg.n_layers) */
    ff_layer layer[FFCNN_MAX_LAYERS];
    int n_ff;                       /* FF (conv) layers */
    int ff_index[FFCNN_MAX_LAYERS]; /* list index of each FF layer */
    /* Whether each conv layer's path is settled (forced, measured, or read from a model file);
     * until then layers take the cost model's guess, and training measures first. */
    int paths_settled;
    ff_conv_timing timing[FFCNN_MAX_LAYERS]; /* by FF index: the measurement (path 0: none) */
    size_t n_params;                         /* all layers, then the head */
    float *params, *grads, *adam_m, *adam_v;
    int chunk;       /* FF: images per chunk of a batch (ffcnn_net_set_chunk) */
    int score_from;  /* goodness inference: first scored conv layer, 1-based; 0: the first
                        trained (ffcnn_net_set_score_from) */
    float *grad_acc; /* FF: the gradient summed over a batch's chunks (made when first needed) */
    float *cls_w, *cls_dw; /* head [classes][cls_in], bias-free */
    size_t cls_in;
    int pending_grad;            /* list index of a layer whose gradient waits for the next layer's
                                    input spectra, or -1 (docs/method.md §11) */
    int pending_m;               /* its sample count */
    int shard_rank, shard_count; /* data-parallel replica (ffcnn_net_set_shard); count 0 or 1:
                                    whole batches */
    ffcnn_reduce_fn reduce;      /* its gradient sum over the replicas, or NULL */
    void *reduce_user;
    ff_workspace ws;
};

/* Whether list layer i learns: an FF layer at or after train_from (docs/method.md §4); under
 * backprop every conv layer (docs/method.md §12). */
static inline int ff_layer_trained(const ffcnn_net *net, int i) {
    const ff_layer *l = &net->layer[i];
    return ff_layer_is_ff(l) &&
           (net->cfg.algo == FFCNN_ALGO_BP || l->conv_index >= net->cfg.train_from - 1);
}
/* Whether goodness inference adds layer i's goodness: a trained layer at or after score_from. */
static inline int ff_layer_scored(const ffcnn_net *net, int i) {
    return ff_layer_trained(net, i) && net->layer[i].conv_index >= net->score_from - 1;
}
/* Whether the linear head reads layer i's normalised output: FF, every trained layer's
 * (docs/method.md §6); BP, the last layer's (docs/method.md §12). */
static inline int ff_layer_feeds_head(const ffcnn_net *net, int i) {
    return net->cfg.algo == FFCNN_ALGO_BP ? i == net->n_layers - 1 : ff_layer_trained(net, i);
}
/* threshold theta = N = C*H*W of the layer's output (docs/method.md §4). */
static inline double ff_threshold(const ff_layer *l) {
    return (double)l->out_len;
}
/* Whether the network learns by --ff-loss cwc: plain images, one channel group per class
 * (docs/method.md §13). */
static inline int ff_net_is_cwc(const ffcnn_net *net) {
    return net->cfg.algo == FFCNN_ALGO_FF && net->cfg.ff_loss == FFCNN_FF_LOSS_CWC;
}
/* The factor goodness inference gives layer l's sum of squares: 1 for the paper's summed
 * goodness, 1/N for the mean (docs/method.md §13), N the outputs one goodness sums: the
 * layer's, or under --ff-loss cwc one channel group's (N = out_len / classes). */
static inline double ff_goodness_scale(const ffcnn_net *net, const ff_layer *l) {
    const double groups = ff_net_is_cwc(net) ? (double)net->cfg.classes : 1.0;
    return net->cfg.goodness == FFCNN_GOODNESS_MEAN ? groups / (double)l->out_len : 1.0;
}
/* Layer l's objective: the configured loss on (G - theta) / T, G summed or mean. */
static inline ff_objective_spec ff_layer_objective(const ffcnn_net *net, const ff_layer *l) {
    const double T = net->cfg.ff_temperature > 0 ? net->cfg.ff_temperature : 1.0;
    ff_objective_spec spec = {net->cfg.ff_loss, ff_threshold(l), ff_goodness_scale(net, l) / T};
    return spec;
}

/* Parameters of a validated config: every layer's, then the head's. */
size_t ff_param_count(const ffcnn_config *cfg);
/* The dims of every layer's output for a validated config (out[i] for layer i). */
int ff_net_dims(const ffcnn_config *cfg, ff_dims *out, char *err);
/* (Re)makes every layer; conv layer j (FF index) on paths[j] (AUTO = the cost model's guess). */
int ff_net_make_layers(ffcnn_net *net, const enum ffcnn_conv_path *paths, char *err);
/* Settles the paths still unsettled by timing both on each conv layer (conv_autotune.c). */
int ff_net_settle_paths(ffcnn_net *net, char *err);
/* Allocates the network with zero parameters (no random init). */
int ff_net_alloc(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err);
/* Random init of every layer from cfg.seed; head zero. */
void ff_net_init_weights(ffcnn_net *net);
/* Makes the workspace hold at least n samples: every buffer a pass needs, reserved at once. */
int ff_net_reserve(ffcnn_net *net, int n, char *err);
/* Image of dataset row `row` as floats in [0,1] into ws.image slot `slot`, shifted and mirrored
 * as aug says when it is non-NULL (training with augmentation: the network must have been
 * made with it, for ws.aug_src); NULL, as it is (evaluation). */
void ff_net_load_image(ffcnn_net *net, const ffcnn_dataset *ds, int32_t row, int slot,
                       const ff_augment *aug);
/* The same into ws.input slot `slot`, with no label: a BP network's input. */
void ff_net_load_plain_input(ffcnn_net *net, const ffcnn_dataset *ds, int32_t row, int slot,
                             const ff_augment *aug);

/* Runs layer i on samples [first, first + n) of the workspace (the labelled inputs, or the
 * previous layer's output). */
int ff_net_forward_range(ffcnn_net *net, int i, int first, int n, char *err);
/* ff_net_forward_range from sample 0, and then the gradient that waited for this layer's input
 * spectra, if any. */
int ff_net_forward(ffcnn_net *net, int i, int n, char *err);
/* FF layer i's weight gradient over samples [0, m) from ws.coef[i]; on the FFT path it may wait
 * for the next layer's forward (docs/method.md §11). */
int ff_net_weight_grad(ffcnn_net *net, int i, int m, char *err);
/* The gradient waiting for the next layer's input spectra, if any, when that layer's forward
 * runs elsewhere (the layer pipeline, src/pipeline.c): those spectra made here, exactly as that
 * forward makes them, so the gradient has the same bits. Normalises the waiting samples of the
 * layer's output in place, as that forward does. */
int ff_net_finish_pending(ffcnn_net *net, char *err);
/* grad_acc = grads (first chunk of a batch) or grad_acc += grads, over the trained layers and
 * the head; ff_net_take_accumulated puts the sum into grads. FFCNN_ENOMEM if the accumulator
 * cannot be made. */
int ff_net_accumulate_grads(ffcnn_net *net, int first_chunk, char *err);
void ff_net_take_accumulated(ffcnn_net *net);
/* The gradient of the trained parameters (every trained layer's, then the head's: one block);
 * *n = its length. */
float *ff_net_trained_grads(ffcnn_net *net, size_t *n);
/* This replica's part [*lo, *hi) of a batch of B images (ffcnn_net_set_shard). */
void ff_net_shard(const ffcnn_net *net, int B, int *lo, int *hi);
/* The optimiser step (Adam) over the parameter block: the trained layers at lr, the head at
 * head_lr; then each layer's update. FFCNN_ENUMERIC if a weight became NaN or Inf. */
int ff_net_update(ffcnn_net *net, float lr, float head_lr, char *err);

/* Backprop (docs/method.md §12) of the head's loss gradient ws.dlogits of samples [0, m), after
 * a forward pass of every layer and ff_net_classifier_logits: the gradients of every layer and
 * of the head. */
int ff_net_backprop(ffcnn_net *net, int m, char *err);
/* Bytes the workspace holds now: activations (every layer's buffers and the head's inputs) and
 * the rest (transform spectra, gradient and per-thread scratch). */
void ff_net_workspace_bytes(const ffcnn_net *net, size_t *activations, size_t *scratch);

/* Layer 1 applied (without bias) to the class label patterns, into the gradient scratch rows
 * 0..classes-1; valid until layer 1's weights change. */
int ff_net_label_convolutions(ffcnn_net *net, char *err);
/* Layer 1 for the labelled copies of m images under every class (slots classes * i + c; images
 * in ws.image, the labelled inputs in ws.input): two convolutions per image instead of one per
 * class, exact up to rounding (docs/method.md §11). Needs ff_net_label_convolutions first. */
int ff_net_first_layer_all_labels(ffcnn_net *net, int m, char *err);
/* --ff-loss cwc (docs/method.md §13): the goodness (sum of squares) of each of the classes
 * channel groups of FF layer i's output for samples [first, first + n), into g[s classes + k]
 * for s from 0; group k is channels [k C / classes, (k + 1) C / classes). Reads the raw ReLU
 * output, so it must run before the next layer's forward normalises it in place. */
void ff_net_group_goodness(const ffcnn_net *net, int i, int first, int n, double *g);
/* Head logits of samples [first, first+n) into ws.logits rows [0, n). */
void ff_net_classifier_logits(ffcnn_net *net, int first, int n);
/* The head's input features of FF layer i (normalised output), for samples from 0. */
const float *ff_net_head_features(const ffcnn_net *net, int i);

/* FFCNN_EINVAL unless names[0..n) are class names as ffcnn_net_set_class_names takes them, the
 * class and the problem in err (e.g. "class name 3 is empty"). */
int ff_class_names_check(const char (*names)[64], int n, char *err);

/* Fails unless ds holds images of the network's input shape with labels below the class count. */
int ff_check_dataset(const ffcnn_net *net, const ffcnn_dataset *ds, const char *what, char *err);

#endif
