/* The FF layer pipeline (include/ffcnn_pipeline.h, docs/distributed.md): one stage of layers
 * per process, batches flowing from stage to stage, the caller's transport carrying them.
 *
 * Tick t: stage s computes batch t - s (stage 0 builds it as src/train.c does), then every stage
 * exchanges messages: its output of that batch to stage s + 1, the head's features to the last
 * stage, and the next batch's input from stage s - 1. A batch is taken in chunks exactly as
 * ff_train_step takes it, and each stage's update is ff_net_update restricted to its layers, so
 * every layer computes what it computes in one process. */
#include "ffcnn_pipeline.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"
#include "network.h"
#include "optim_adam.h"
#include "train.h"
#include "util.h"

enum { TAG_ACTIVATIONS = 1, TAG_FEATURES = 2 }; /* features: TAG_FEATURES + the sending stage */

/* The start of every message: which batch it carries, checked by the receiver. */
typedef struct pipe_header {
    int64_t magic, epoch, batch, images;
} pipe_header;
#define PIPE_MAGIC 0x6570697070636666LL /* "ffcppipe" */
#define HEADER ((size_t)sizeof(pipe_header))

struct ffcnn_pipe {
    ffcnn_net *net;
    int stage, stages;
    int first[FFCNN_MAX_LAYERS + 1]; /* stage s runs list layers first[s] .. first[s + 1] - 1 */
    ffcnn_pipe_transport t;
    int sends[FFCNN_MAX_LAYERS];       /* list layers whose head features go to the last stage */
    size_t feat_len[FFCNN_MAX_LAYERS]; /* by stage: floats per image of those features */
    unsigned char *in, *out, *feat;    /* activations in and out, features out (one batch) */
    unsigned char *slots[FFCNN_MAX_LAYERS]; /* last stage: by stage, `stages` batches of features */
    int32_t *order;                         /* stage 0: the epoch's image order */
    uint8_t *neg;                           /* stage 0: a step's negative labels */
    ff_augment *aug;                        /* stage 0: a step's augmentation */
    ffcnn_pipe_stage_stats st[FFCNN_MAX_LAYERS];
};

/* ---- the plan ---- */

int ffcnn_pipe_plan(const ffcnn_config *cfg, int stages, int first[FFCNN_MAX_LAYERS + 1],
                    char *err) {
    int rc = ffcnn_config_validate(cfg, err);
    if (rc) return rc;
    if (cfg->algo == FFCNN_ALGO_BP)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer pipeline: backprop (--algo bp) trains the whole network in every "
                       "step; only FF layers can be trained stage by stage");
    if (cfg->negatives == FFCNN_NEGATIVES_HARD)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer pipeline: --negatives hard needs the whole network and its head "
                       "before a batch's first layer runs; use --dist data");
    if (cfg->ff_loss == FFCNN_FF_LOSS_CE)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer pipeline: --ff-loss ce is not pipelined yet (its batches hold every "
                       "label's copy); use --dist data");
    if (cfg->ff_loss == FFCNN_FF_LOSS_CWC)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer pipeline: --ff-loss cwc is not pipelined (its batches hold plain "
                       "images, its coefficients one per channel); use --dist data");
    int trained[FFCNN_MAX_LAYERS], T = 0;
    for (int i = 0, j = 0; i < cfg->n_layers; i++)
        if (cfg->layer[i].kind == FFCNN_LAYER_CONV && j++ >= cfg->train_from - 1) trained[T++] = i;
    if (stages < 2)
        return ff_fail(err, FFCNN_EINVAL, "layer pipeline: %d stage: a pipeline has 2 or more",
                       stages);
    if (stages > T && T < 2)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer pipeline: this network trains %d conv layer%s, and each stage trains "
                       "at least one: nothing to pipeline",
                       T, T == 1 ? "" : "s");
    if (stages > T)
        return ff_fail(err, FFCNN_EINVAL,
                       "layer pipeline: %d stages for %d trained conv layers: each stage trains at "
                       "least one, so %d stages at most",
                       stages, T, T);
    first[0] = 0;
    for (int s = 1; s < stages; s++) {
        const int k = (T * s + stages - 1) / stages; /* its first trained layer (earlier: more) */
        first[s] = trained[k - 1] + 1;
    }
    first[stages] = cfg->n_layers;
    return FFCNN_OK;
}

static int last_stage(const ffcnn_pipe *p) {
    return p->stage == p->stages - 1;
}

/* Floats of one sample at the boundary after stage s (its last layer's output). */
static size_t boundary_len(const ffcnn_pipe *p, int s) {
    return p->net->layer[p->first[s + 1] - 1].out_len;
}

static size_t pad8(size_t n) {
    return (n + 7) / 8 * 8;
}

/* The activations stage s sends on for a batch of B images: header, labels, each sample's sum of
 * squares and its output, samples in the order of the batch's chunks (3c per chunk). */
static size_t act_bytes(const ffcnn_pipe *p, int s, int B) {
    return HEADER + pad8((size_t)B) + 3 * (size_t)B * (sizeof(double) + boundary_len(p, s) * 4);
}

static size_t feat_bytes(const ffcnn_pipe *p, int s, int B) {
    return HEADER + (size_t)B * p->feat_len[s] * sizeof(float);
}

/* Which trained layers' head features a stage before the last sends to the last stage: all of
 * its trained layers but the one whose whole output goes to the last stage anyway. */
static void plan_features(ffcnn_pipe *p) {
    const ffcnn_net *net = p->net;
    for (int s = 0; s + 1 < p->stages; s++)
        for (int i = p->first[s]; i < p->first[s + 1]; i++) {
            const int boundary = s + 2 == p->stages && i == p->first[s + 1] - 1;
            p->sends[i] = ff_layer_trained(net, i) && !boundary;
            if (p->sends[i]) p->feat_len[s] += net->layer[i].out_len;
        }
}

static int alloc_buffers(ffcnn_pipe *p) {
    const int s = p->stage, B0 = p->net->cfg.batch, P = p->stages;
    if (s > 0 && !(p->in = ff_calloc(act_bytes(p, s - 1, B0), 1))) return 0;
    if (!last_stage(p) && !(p->out = ff_calloc(act_bytes(p, s, B0), 1))) return 0;
    if (!last_stage(p) && p->feat_len[s] && !(p->feat = ff_calloc(feat_bytes(p, s, B0), 1)))
        return 0;
    for (int k = 0; last_stage(p) && k + 1 < P; k++)
        if (p->feat_len[k] && !(p->slots[k] = ff_calloc((size_t)P, feat_bytes(p, k, B0)))) return 0;
    return s > 0 || ((p->neg = ff_calloc((size_t)B0, 1)) &&
                     (p->aug = ff_calloc((size_t)B0, sizeof *p->aug)));
}

int ffcnn_pipe_create(ffcnn_pipe **out, ffcnn_net *net, int stage, int stages,
                      const ffcnn_pipe_transport *t, char *err) {
    *out = NULL;
    if (!t || !t->exchange || !t->agree || !t->bcast || !t->sum)
        return ff_fail(err, FFCNN_EINVAL, "layer pipeline: the transport lacks a function");
    int first[FFCNN_MAX_LAYERS + 1];
    int rc = ffcnn_pipe_plan(&net->cfg, stages, first, err);
    if (rc) return rc;
    if (stage < 0 || stage >= stages)
        return ff_fail(err, FFCNN_EINVAL, "layer pipeline: stage %d of %d is out of range", stage,
                       stages);
    ffcnn_pipe *p = ff_calloc(1, sizeof *p);
    if (!p) return ff_fail(err, FFCNN_ENOMEM, "layer pipeline: out of memory");
    p->net = net, p->stage = stage, p->stages = stages, p->t = *t;
    memcpy(p->first, first, sizeof first);
    plan_features(p);
    if (!alloc_buffers(p)) {
        ffcnn_pipe_free(p);
        return ff_fail(err, FFCNN_ENOMEM, "layer pipeline: out of memory for the messages");
    }
    *out = p;
    return FFCNN_OK;
}

void ffcnn_pipe_free(ffcnn_pipe *p) {
    if (!p) return;
    ff_free(p->in), ff_free(p->out), ff_free(p->feat);
    for (int k = 0; k < FFCNN_MAX_LAYERS; k++) ff_free(p->slots[k]);
    ff_free(p->order), ff_free(p->neg), ff_free(p->aug);
    ff_free(p);
}

/* ---- one batch on this stage ---- */

/* What a step is: its batch number and size, the epoch and the rate. */
typedef struct pipe_step {
    int epoch, B;
    int64_t b;
    float lr;
} pipe_step;

static int batch_size(const ffcnn_net *net, int32_t n, int64_t b) {
    const int B0 = net->cfg.batch;
    return (int)((b + 1) * B0 <= n ? B0 : n - b * B0);
}

static void put_header(void *msg, const pipe_step *st) {
    const pipe_header h = {PIPE_MAGIC, st->epoch, st->b, st->B};
    memcpy(msg, &h, HEADER);
}

static int check_header(const void *msg, const pipe_step *st, int from, const char *what,
                        char *err) {
    pipe_header h;
    memcpy(&h, msg, HEADER);
    if (h.magic == PIPE_MAGIC && h.epoch == st->epoch && h.batch == st->b && h.images == st->B)
        return FFCNN_OK;
    return ff_fail(err, FFCNN_EIO,
                   "layer pipeline: %s from stage %d is not batch %lld (%d images) of epoch %d: "
                   "the stages are out of step",
                   what, from, (long long)st->b, st->B, st->epoch + 1);
}

/* The message's parts for a batch of B images at boundary s. */
static uint8_t *msg_labels(unsigned char *msg) {
    return msg + HEADER;
}
static double *msg_sumsq(unsigned char *msg, int B) {
    return (double *)(msg + HEADER + pad8((size_t)B));
}
static float *msg_acts(unsigned char *msg, int B) {
    return (float *)(msg_sumsq(msg, B) + 3 * (size_t)B);
}

/* Chunk [c0, c0 + c) of the input from the previous stage into the workspace, where the previous
 * layer would have left it. */
static void unpack_input(ffcnn_pipe *p, int c0, int c, int B) {
    ff_workspace *ws = &p->net->ws;
    const int prev = p->first[p->stage] - 1;
    const size_t len = boundary_len(p, p->stage - 1), n = 3 * (size_t)c;
    memcpy(ws->out[prev], msg_acts(p->in, B) + 3 * (size_t)c0 * len, n * len * sizeof(float));
    memcpy(ws->sumsq[prev], msg_sumsq(p->in, B) + 3 * (size_t)c0, n * sizeof(double));
    memcpy(ws->labels, msg_labels(p->in) + c0, (size_t)c);
}

static void pack_output(ffcnn_pipe *p, int c0, int c, int B) {
    const ff_workspace *ws = &p->net->ws;
    const int last = p->first[p->stage + 1] - 1;
    const size_t len = boundary_len(p, p->stage), n = 3 * (size_t)c;
    memcpy(msg_acts(p->out, B) + 3 * (size_t)c0 * len, ws->out[last], n * len * sizeof(float));
    memcpy(msg_sumsq(p->out, B) + 3 * (size_t)c0, ws->sumsq[last], n * sizeof(double));
    memcpy(msg_labels(p->out) + c0, ws->labels, (size_t)c);
}

/* Layer i's neutral rows [2c, 3c) as the last stage's workspace must hold them for the head:
 * normalised, as the next conv layer's forward leaves them (in place), or raw when the head
 * normalises them itself (no conv layer follows). The next conv layer may not have run here. */
static void head_rows(const ffcnn_pipe *p, int i, int c, float *dst) {
    const ffcnn_net *net = p->net;
    const ff_workspace *ws = &net->ws;
    const size_t len = net->layer[i].out_len;
    const float *src = ws->out[i] + 2 * (size_t)c * len;
    const int next_here = i + 1 < p->first[p->stage + 1];
    if (ws->norm_out[i] || next_here) {
        memcpy(dst, src, (size_t)c * len * sizeof(float));
        return;
    }
    for (int s = 0; s < c; s++) { /* as conv_forward (src/layers/conv.c) normalises its input */
        const float r = ff_rms_factor_of_sum(ws->sumsq[i][2 * c + s], len);
        for (size_t k = 0; k < len; k++) dst[s * len + k] = src[s * len + k] * r;
    }
}

/* Stage s's features of a batch of B in msg: for each layer it sends, B rows in batch order;
 * layer i's rows from image c0. */
static float *feature_rows(const ffcnn_pipe *p, unsigned char *msg, int s, int i, int c0, int B) {
    size_t off = 0;
    for (int k = p->first[s]; k < i; k++)
        if (p->sends[k]) off += p->net->layer[k].out_len;
    return (float *)(msg + HEADER) + off * (size_t)B + (size_t)c0 * p->net->layer[i].out_len;
}

static void pack_features(ffcnn_pipe *p, int c0, int c, int B) {
    for (int i = p->first[p->stage]; i < p->first[p->stage + 1]; i++)
        if (p->sends[i]) head_rows(p, i, c, feature_rows(p, p->feat, p->stage, i, c0, B));
}

/* Last stage: where stage s's features of batch b wait for their turn (one slot per batch in
 * flight). */
static unsigned char *feature_slot(const ffcnn_pipe *p, int s, int64_t b) {
    return p->slots[s] + (size_t)(b % p->stages) * feat_bytes(p, s, p->net->cfg.batch);
}

/* Last stage: the earlier stages' features of chunk [c0, c0 + c) into the neutral rows. */
static void unpack_features(ffcnn_pipe *p, const pipe_step *st, int c0, int c) {
    const ffcnn_net *net = p->net;
    for (int s = 0; s + 1 < p->stages; s++) {
        if (!p->feat_len[s]) continue;
        unsigned char *msg = feature_slot(p, s, st->b);
        for (int i = p->first[s]; i < p->first[s + 1]; i++) {
            if (!p->sends[i]) continue;
            const size_t len = net->layer[i].out_len;
            memcpy(net->ws.out[i] + 2 * (size_t)c * len, feature_rows(p, msg, s, i, c0, st->B),
                   (size_t)c * len * sizeof(float));
        }
    }
}

static int check_features(const ffcnn_pipe *p, const pipe_step *st, char *err) {
    for (int s = 0; s + 1 < p->stages; s++)
        if (p->feat_len[s]) {
            const int rc =
                check_header(feature_slot(p, s, st->b), st, s, "the head's features", err);
            if (rc) return rc;
        }
    return FFCNN_OK;
}

/* Chunk [c0, c0 + c) of a batch of B through this stage's layers (chunk_gradients in train.c). */
static int run_chunk(ffcnn_pipe *p, const ffcnn_dataset *train, const pipe_step *st, int c0, int c,
                     ff_step_metrics *m, char *err) {
    ffcnn_net *net = p->net;
    int rc = ff_net_reserve(net, 3 * c, err);
    if (rc) return rc;
    if (p->stage == 0) {
        const ff_augment *aug =
            ff_step_augment(&net->cfg, st->epoch, st->b, st->B, p->aug) ? p->aug + c0 : NULL;
        ff_train_build_batch(net, train, p->order + st->b * net->cfg.batch + c0, p->neg + c0, aug,
                             c);
    } else {
        unpack_input(p, c0, c, st->B);
    }
    if (last_stage(p)) unpack_features(p, st, c0, c);
    for (int i = p->first[p->stage]; i < p->first[p->stage + 1] && !rc; i++) {
        rc = ff_net_forward(net, i, 3 * c, err);
        if (!rc && ff_layer_trained(net, i))
            rc = ff_train_layer_grad(net, i, c, st->B, c0 == 0, m, err);
    }
    if (rc) return rc;
    if (last_stage(p)) return ff_train_classifier_grad(net, c, st->B, m, err);
    pack_output(p, c0, c, st->B);
    if (p->feat) pack_features(p, c0, c, st->B);
    /* The last layer's gradient may wait for the next layer's input spectra (docs/method.md
     * §11), whose forward runs on the next stage: made here instead, from the raw output just
     * packed (they normalise it in place). */
    return ff_net_finish_pending(net, err);
}

/* The parameters stage s trains: from its first trained layer to the next stage's first layer
 * (the last stage: to the end, the head included). */
static void trained_range(const ffcnn_pipe *p, int s, size_t *lo, size_t *hi) {
    const ffcnn_net *net = p->net;
    const float *end =
        s + 1 < p->stages ? net->layer[p->first[s + 1]].params : net->params + net->n_params;
    const float *start = end;
    for (int i = p->first[s + 1] - 1; i >= p->first[s]; i--)
        if (ff_layer_trained(net, i)) start = net->layer[i].params;
    *lo = (size_t)(start - net->params);
    *hi = (size_t)(end - net->params);
}

static int all_finite(const float *x, size_t n) {
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0f; /* NaN or Inf poisons the sum */
    return acc == 0.0f;
}

/* ff_net_update for this stage's layers (and the head on the last stage): Adam works element by
 * element, so the same step over a part of the block gives the same bits. */
static int stage_update(ffcnn_pipe *p, float lr, char *err) {
    ffcnn_net *net = p->net;
    const float head_lr =
        net->cfg.classifier_lr > 0 ? lr * (net->cfg.classifier_lr / net->cfg.lr) : lr;
    net->adam_t++;
    size_t lo, hi;
    trained_range(p, p->stage, &lo, &hi);
    const size_t head = (size_t)(net->cls_w - net->params), end = last_stage(p) ? head : hi;
    if (end > lo)
        ff_adam_step(net->params + lo, net->grads + lo, net->adam_m + lo, net->adam_v + lo,
                     end - lo, lr, net->adam_t, net->threads);
    if (last_stage(p))
        ff_adam_step(net->cls_w, net->grads + head, net->adam_m + head, net->adam_v + head,
                     (size_t)net->cfg.classes * net->cls_in, head_lr, net->adam_t, net->threads);
    for (int i = p->first[p->stage]; i < p->first[p->stage + 1]; i++) {
        ff_layer *l = &net->layer[i];
        if (ff_layer_is_ff(l) && !ff_layer_trained(net, i)) continue; /* docs/method.md §4 */
        l->ops->update(l);
        if (!all_finite(l->params, l->n_params))
            return ff_fail(err, FFCNN_ENUMERIC, "layer %d: a weight became NaN or Inf at step %lld",
                           i + 1, (long long)net->adam_t);
    }
    return FFCNN_OK;
}

/* One optimiser step of this stage's layers on batch st->b (ff_train_step's chunks). */
static int run_batch(ffcnn_pipe *p, const ffcnn_dataset *train, const pipe_step *st,
                     ff_step_metrics *m, char *err) {
    ffcnn_net *net = p->net;
    int rc = FFCNN_OK;
    if (p->stage == 0)
        ff_train_step_negatives(net, p->neg, train, p->order + st->b * net->cfg.batch, st->B,
                                st->epoch, st->b);
    else
        rc = check_header(p->in, st, p->stage - 1, "the activations", err);
    if (!rc && last_stage(p)) rc = check_features(p, st, err);
    const int C = st->B <= net->chunk ? st->B : net->chunk;
    for (int c0 = 0; c0 < st->B && !rc; c0 += C) {
        const int c = st->B - c0 < C ? st->B - c0 : C;
        rc = run_chunk(p, train, st, c0, c, m, err);
        if (!rc && C < st->B) rc = ff_net_accumulate_grads(net, c0 == 0, err);
    }
    if (!rc && C < st->B) ff_net_take_accumulated(net);
    if (!rc) rc = stage_update(p, st->lr, err);
    if (rc) return rc;
    m->steps++;
    net->step_in_epoch = (int32_t)(st->b + 1);
    if (p->out) put_header(p->out, st);
    if (p->feat) put_header(p->feat, st);
    return FFCNN_OK;
}

/* ---- the ticks of an epoch ---- */

/* The batches this call runs: b0 + [0, fed) of nb, fed cut short by a stop; and this stage's
 * counts. */
typedef struct pipe_run {
    const ffcnn_dataset *train;
    int epoch;
    float lr;
    int64_t b0, nb, fed, batches;
    ff_step_metrics *m;
    double busy, busy_cpu, wait, sent;
} pipe_run;

static pipe_step step_of(const ffcnn_pipe *p, const pipe_run *r, int64_t j) {
    const pipe_step st = {r->epoch, batch_size(p->net, r->train->n, r->b0 + j), r->b0 + j, r->lr};
    return st;
}

static int fed(const pipe_run *r, int64_t j) {
    return j >= 0 && j < r->fed;
}

/* The messages after tick tau: this stage's output of batch tau - s on, its features to the last
 * stage; the input of batch tau - s + 1 from the stage before; on the last stage, the features
 * each earlier stage k computed at this tick (batch tau - k), into their slots. */
static int exchange(ffcnn_pipe *p, pipe_run *r, int64_t tau, char *err) {
    ffcnn_pipe_msg sends[2], recvs[FFCNN_MAX_LAYERS + 1];
    int ns = 0, nr = 0;
    const int s = p->stage, P = p->stages;
    const int64_t j = tau - s;
    if (s + 1 < P && fed(r, j)) {
        const int B = step_of(p, r, j).B;
        sends[ns++] = (ffcnn_pipe_msg){s + 1, TAG_ACTIVATIONS, p->out, act_bytes(p, s, B)};
        if (p->feat)
            sends[ns++] = (ffcnn_pipe_msg){P - 1, TAG_FEATURES + s, p->feat, feat_bytes(p, s, B)};
    }
    if (s > 0 && fed(r, j + 1))
        recvs[nr++] = (ffcnn_pipe_msg){s - 1, TAG_ACTIVATIONS, p->in,
                                       act_bytes(p, s - 1, step_of(p, r, j + 1).B)};
    for (int k = 0; s + 1 == P && k + 1 < P; k++)
        if (p->feat_len[k] && fed(r, tau - k))
            recvs[nr++] = (ffcnn_pipe_msg){k, TAG_FEATURES + k, feature_slot(p, k, r->b0 + tau - k),
                                           feat_bytes(p, k, step_of(p, r, tau - k).B)};
    if (!ns && !nr) return FFCNN_OK;
    for (int k = 0; k < ns; k++) r->sent += (double)sends[k].bytes;
    return p->t.exchange(p->t.user, sends, ns, recvs, nr, err);
}

/* Before tick tau, while batches are fed: the stages agree whether to stop; if so stage 0 feeds
 * none from this tick on, and the others finish those fed. */
static int agree_stop(ffcnn_pipe *p, pipe_run *r, const ffcnn_train_hooks *hooks, int64_t tau,
                      char *err) {
    const int local = hooks && hooks->should_stop ? hooks->should_stop(hooks->user) : 0;
    int stop = 0;
    const int rc = p->t.agree(p->t.user, local, &stop, err);
    if (!rc && stop) r->fed = tau;
    return rc;
}

/* on_batch with the running loss of this stage's last trained layer. */
static void report_batch(const ffcnn_pipe *p, const pipe_run *r, const ffcnn_train_hooks *hooks,
                         const pipe_step *st) {
    if (!hooks || !hooks->on_batch) return;
    double loss = -1.0;
    for (int i = p->first[p->stage]; i < p->first[p->stage + 1]; i++) {
        if (!ff_layer_trained(p->net, i)) continue;
        const ff_layer_metrics *lm = &r->m->layer[p->net->layer[i].conv_index];
        if (lm->batches) loss = lm->loss_sum / lm->batches;
    }
    hooks->on_batch(hooks->user, st->epoch, st->b + 1, r->nb, loss);
}

/* This process's CPU seconds (all its threads): unlike wall time, not stretched when other
 * processes share the cores. */
static double cpu_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)) return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_ticks(ffcnn_pipe *p, pipe_run *r, const ffcnn_train_hooks *hooks, char *err) {
    int rc = FFCNN_OK;
    for (int64_t tau = 0; !rc && tau < r->fed + p->stages - 1; tau++) {
        const double t0 = ff_now_seconds();
        if (tau < r->fed) rc = agree_stop(p, r, hooks, tau, err);
        const double t1 = ff_now_seconds(), c1 = cpu_seconds();
        const int64_t j = tau - p->stage;
        if (!rc && fed(r, j)) {
            const pipe_step st = step_of(p, r, j);
            rc = run_batch(p, r->train, &st, r->m, err);
            r->batches++;
            if (!rc) report_batch(p, r, hooks, &st);
        }
        const double t2 = ff_now_seconds();
        r->busy_cpu += cpu_seconds() - c1;
        if (!rc) rc = exchange(p, r, tau, err);
        r->busy += t2 - t1;
        r->wait += (t1 - t0) + (ff_now_seconds() - t2);
    }
    return rc;
}

/* ---- the end of an epoch ---- */

/* Every stage's weights and Adam state from that stage: then every stage holds the model. */
static int gather_model(ffcnn_pipe *p, char *err) {
    ffcnn_net *net = p->net;
    float *blocks[3] = {net->params, net->adam_m, net->adam_v};
    for (int s = 0; s < p->stages; s++) {
        size_t lo, hi;
        trained_range(p, s, &lo, &hi);
        for (int k = 0; k < 3; k++) {
            const int rc = p->t.bcast(p->t.user, s, blocks[k] + lo, (hi - lo) * sizeof(float), err);
            if (rc) return rc;
        }
    }
    for (int i = 0; i < net->n_layers; i++) net->layer[i].ops->update(&net->layer[i]);
    return FFCNN_OK;
}

#define STAGE_FIGURES 6 /* batches, busy, wait, bytes sent, batches fed (a check), busy CPU */

/* The epoch's statistics summed over the stages (each holds its own layers' and figures). */
static int gather_stats(ffcnn_pipe *p, pipe_run *r, char *err) {
    ffcnn_net *net = p->net;
    ff_step_metrics *m = r->m;
    const size_t nl = 4 * (size_t)net->n_ff, n = nl + 3 + STAGE_FIGURES * (size_t)p->stages;
    double x[4 * FFCNN_MAX_LAYERS + 3 + STAGE_FIGURES * FFCNN_MAX_LAYERS] = {0};
    for (int l = 0; l < net->n_ff; l++) {
        const ff_layer_metrics *lm = &m->layer[l];
        x[4 * l] = lm->loss_sum, x[4 * l + 1] = (double)lm->correct;
        x[4 * l + 2] = (double)lm->samples, x[4 * l + 3] = (double)lm->batches;
    }
    x[nl] = m->classifier_loss_sum, x[nl + 1] = (double)m->classifier_correct;
    x[nl + 2] = (double)m->classifier_samples;
    double *mine = x + nl + 3 + STAGE_FIGURES * (size_t)p->stage;
    mine[0] = (double)r->batches, mine[1] = r->busy, mine[2] = r->wait, mine[3] = r->sent;
    mine[4] = (double)r->fed, mine[5] = r->busy_cpu;
    int rc = p->t.sum(p->t.user, x, n, err);
    if (rc) return rc;
    for (int l = 0; l < net->n_ff; l++) {
        ff_layer_metrics *lm = &m->layer[l];
        lm->loss_sum = x[4 * l], lm->correct = (int64_t)x[4 * l + 1];
        lm->samples = (int64_t)x[4 * l + 2], lm->batches = (int64_t)x[4 * l + 3];
    }
    m->classifier_loss_sum = x[nl], m->classifier_correct = (int64_t)x[nl + 1];
    m->classifier_samples = (int64_t)x[nl + 2];
    for (int s = 0; s < p->stages; s++) {
        const double *f = x + nl + 3 + STAGE_FIGURES * (size_t)s;
        ffcnn_pipe_stage_stats *st = &p->st[s];
        st->first_layer = p->first[s] + 1, st->last_layer = p->first[s + 1];
        st->batches = (int64_t)f[0], st->busy_seconds = f[1], st->wait_seconds = f[2];
        st->bytes_sent = f[3], st->busy_cpu_seconds = f[5];
        if (f[4] != (double)r->fed)
            return ff_fail(err, FFCNN_EIO,
                           "layer pipeline: stage %d ran %lld batches, this one %lld: the stages "
                           "are out of step",
                           s, (long long)f[4], (long long)r->fed);
    }
    return FFCNN_OK;
}

static int pipe_epoch(ffcnn_pipe *p, const ffcnn_dataset *train, const ffcnn_dataset *val,
                      const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err) {
    ffcnn_net *net = p->net;
    int rc = ff_train_epoch_begin(net, train, err);
    if (rc) return rc;
    const int B0 = net->cfg.batch, epoch = net->epochs_done;
    pipe_run r = {.train = train, .epoch = epoch, .lr = ffcnn_lr_at_epoch(&net->cfg, epoch)};
    r.b0 = net->step_in_epoch, r.nb = (train->n + B0 - 1) / B0;
    if (r.b0 < 0 || r.b0 > r.nb)
        return ff_fail(err, FFCNN_EINVAL,
                       "resume point step %lld is past the %lld steps of an epoch of %d images "
                       "(use the same training set as the interrupted run)",
                       (long long)r.b0, (long long)r.nb, train->n);
    r.fed = r.nb - r.b0;
    r.m = calloc(1, sizeof *r.m);
    if (p->stage == 0) p->order = ff_calloc((size_t)train->n, sizeof *p->order);
    if (!r.m || (p->stage == 0 && !p->order)) {
        free(r.m), ff_free(p->order), p->order = NULL;
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for the epoch's order");
    }
    if (p->order) ff_train_epoch_order(net, p->order, train->n, epoch);
    const double t0 = ff_now_seconds();
    rc = run_ticks(p, &r, hooks, err);
    if (!rc) rc = gather_model(p, err);
    if (!rc) rc = gather_stats(p, &r, err);
    const int64_t end = r.b0 + r.fed, done = end * B0 < train->n ? end * B0 : train->n;
    if (!rc) net->step_in_epoch = (int32_t)end;
    if (!rc && end < r.nb)
        rc = ff_fail(err, FFCNN_EINTERRUPTED, "interrupted at epoch %d, step %lld", epoch + 1,
                     (long long)end);
    else if (!rc)
        rc = ff_train_finish_epoch(net, val, hooks, r.m, ff_now_seconds() - t0, done - r.b0 * B0,
                                   stats, err);
    free(r.m), ff_free(p->order), p->order = NULL;
    return rc;
}

int ffcnn_pipe_train_epoch(ffcnn_pipe *p, const ffcnn_dataset *train, const ffcnn_dataset *val,
                           const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err) {
    const unsigned fp_mode = ff_flush_denormals_begin(p->net->threads);
    const int rc = pipe_epoch(p, train, val, hooks, stats, err);
    ff_flush_denormals_end(fp_mode, p->net->threads);
    return rc;
}

int ffcnn_pipe_stage_stats_get(const ffcnn_pipe *p, int stage, ffcnn_pipe_stage_stats *st,
                               char *err) {
    if (stage < 0 || stage >= p->stages)
        return ff_fail(err, FFCNN_EINVAL, "layer pipeline: stage %d of %d is out of range", stage,
                       p->stages);
    *st = p->st[stage];
    st->first_layer = p->first[stage] + 1, st->last_layer = p->first[stage + 1];
    return FFCNN_OK;
}
