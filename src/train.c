#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"
#include "optim_adam.h"
#include "util.h"

uint8_t ff_draw_negative_label(ff_rng *rng, int y, int classes) {
    return (uint8_t)((y + 1 + (int)ff_rng_below(rng, (uint32_t)(classes - 1))) % classes);
}

/* Slots [0,B) positives, [B,2B) negatives, [2B,3B) neutral, all from the same B images (each
 * augmented once, as aug says, when aug is non-NULL). */
static void build_ff_batch(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                           const uint8_t *neg, const ff_augment *aug, int B) {
    ff_workspace *ws = &net->ws;
    const size_t len = net->labels.len;
    for (int s = 0; s < B; s++) {
        ff_net_load_image(net, ds, rows[s], s, aug ? &aug[s] : NULL);
        const float *img = ws->image + (size_t)s * len;
        const int y = ds->labels[rows[s]];
        ws->labels[s] = (uint8_t)y;
        ff_label_overlay(ws->input + (size_t)s * len, img, &net->labels, y);
        ff_label_overlay(ws->input + (size_t)(B + s) * len, img, &net->labels, neg[s]);
        ff_label_overlay(ws->input + (size_t)(2 * B + s) * len, img, &net->labels,
                         FF_NEUTRAL_LABEL);
    }
}

/* The head's gradient on the neutral copies [n0, n0 + B) of a chunk of B images from a batch
 * of batch_B (docs/method.md §6). */
static int classifier_grad(ffcnn_net *net, int n0, int B, int batch_B, ff_step_metrics *m,
                           char *err) {
    ff_workspace *ws = &net->ws;
    ff_net_classifier_logits(net, n0, B);
    const int K = net->cfg.classes;
    double loss = ff_classifier_cross_entropy_part(ws->dlogits, ws->logits, ws->labels, B, batch_B,
                                                   K, &m->classifier_correct);
    if (!isfinite(loss))
        return ff_fail(err, FFCNN_ENUMERIC, "classifier loss is %g at step %lld", loss,
                       (long long)net->adam_t + 1);
    m->classifier_loss_sum += loss;
    m->classifier_samples += B;
    size_t col = 0;
    for (int i = 0; i < net->n_layers; i++) {
        if (!ff_layer_trained(net, i)) continue;
        const size_t len = net->layer[i].out_len;
        ff_classifier_weight_grad(net->cls_dw + col, ws->dlogits,
                                  ff_net_head_features(net, i) + (size_t)n0 * len, B, K, len,
                                  net->cls_in, net->threads);
        col += len;
    }
    return FFCNN_OK;
}

/* Layer i's weight gradient over its first m samples, from the coefficients its objective has
 * just written (loss: that objective's value, checked first). */
static int layer_grad_from_coef(ffcnn_net *net, int i, double loss, int m, char *err) {
    if (!isfinite(loss))
        return ff_fail(err, FFCNN_ENUMERIC, "layer %d: loss is %g at step %lld", i + 1, loss,
                       (long long)net->adam_t + 1);
    return ff_net_weight_grad(net, i, m, err);
}

/* FF layer i's objective on the positives [0, B) and negatives [B, 2B) of a chunk of B images
 * from a batch of batch_B, then its gradient. */
static int ff_layer_grad(ffcnn_net *net, int i, int B, int batch_B, int first_chunk,
                         ff_step_metrics *m, char *err) {
    ff_workspace *ws = &net->ws;
    const ff_layer *l = &net->layer[i];
    const ff_objective_spec spec = ff_layer_objective(net, l);
    double loss = ff_objective_spec_part(ws->coef[i], &m->layer[l->conv_index], ws->sumsq[i], B, B,
                                         &spec, 2 * batch_B, first_chunk);
    return layer_grad_from_coef(net, i, loss, 2 * B, err);
}

/* The wrong label whose softmax mass over the wrong labels of logits z (K of them, true label
 * y) first reaches u in [0, 1). */
static uint8_t draw_from_softmax(const float *z, int K, int y, float u) {
    float zmax = -INFINITY;
    for (int k = 0; k < K; k++)
        if (k != y && z[k] > zmax) zmax = z[k];
    double p[FFCNN_MAX_CLASSES], total = 0.0;
    for (int k = 0; k < K; k++) total += p[k] = k == y ? 0.0 : exp((double)(z[k] - zmax));
    double acc = 0.0;
    int last = y == K - 1 ? K - 2 : K - 1; /* rounding never leaves u unclaimed */
    for (int k = 0; k < K; k++) {
        if (k == y) continue;
        acc += p[k] / total;
        if (u < acc) return (uint8_t)k;
    }
    return (uint8_t)last;
}

/* --negatives hard (docs/method.md §13): runs the chunk's neutral copies [2c, 3c) through the
 * network and the head, then overlays on each negative slot c + s a wrong label drawn from the
 * head's softmax over the wrong labels. The draws come from (seed, epoch, step, position in the
 * batch) alone, so chunking and threads do not change them; the uniform negatives are unused. */
static int hard_negatives(ffcnn_net *net, int c0, int c, char *err) {
    ff_workspace *ws = &net->ws;
    for (int i = 0; i < net->n_layers; i++) {
        const int rc = ff_net_forward_range(net, i, 2 * c, c, err);
        if (rc) return rc;
    }
    ff_net_classifier_logits(net, 2 * c, c);
    ff_rng rng;
    ff_rng_stream(&rng, net->cfg.seed, FF_STREAM_HARD_NEGATIVES, (uint64_t)net->epochs_done,
                  (uint64_t)net->step_in_epoch);
    for (int s = 0; s < c0; s++) ff_rng_uniform(&rng);
    const int K = net->cfg.classes;
    const size_t len = net->labels.len;
    for (int s = 0; s < c; s++) {
        const uint8_t neg =
            draw_from_softmax(ws->logits + (size_t)s * K, K, ws->labels[s], ff_rng_uniform(&rng));
        ff_label_overlay(ws->input + (size_t)(c + s) * len, ws->image + (size_t)s * len,
                         &net->labels, neg);
    }
    return FFCNN_OK;
}

/* The gradients of images [c0, c0 + c) of a batch of B: every trained layer's and the head's. */
static int chunk_gradients(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                           const uint8_t *neg_labels, const ff_augment *aug, int c0, int c, int B,
                           int first, ff_step_metrics *m, char *err) {
    int rc = ff_net_reserve(net, 3 * c, err);
    if (rc) return rc;
    build_ff_batch(net, ds, rows + c0, neg_labels + c0, aug ? aug + c0 : NULL, c);
    if (net->cfg.negatives == FFCNN_NEGATIVES_HARD) rc = hard_negatives(net, c0, c, err);
    for (int i = 0; i < net->n_layers && !rc; i++) {
        rc = ff_net_forward(net, i, 3 * c, err);
        /* layers before train_from keep their init: docs/method.md §4 */
        if (!rc && ff_layer_trained(net, i)) rc = ff_layer_grad(net, i, c, B, first, m, err);
    }
    return rc ? rc : classifier_grad(net, 2 * c, c, B, m, err);
}

/* --ff-loss ce (docs/method.md §13): image s of the chunk in slots [s K, s K + K) with each of
 * the K labels, its neutral copy at K c + s. */
static void build_ce_batch(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                           const ff_augment *aug, int c) {
    ff_workspace *ws = &net->ws;
    const size_t len = net->labels.len;
    const int K = net->cfg.classes;
    for (int s = 0; s < c; s++) {
        ff_net_load_image(net, ds, rows[s], s, aug ? &aug[s] : NULL);
        const float *img = ws->image + (size_t)s * len;
        ws->labels[s] = ds->labels[rows[s]];
        for (int k = 0; k < K; k++)
            ff_label_overlay(ws->input + (size_t)(s * K + k) * len, img, &net->labels, k);
        ff_label_overlay(ws->input + (size_t)(K * c + s) * len, img, &net->labels,
                         FF_NEUTRAL_LABEL);
    }
}

/* The same as chunk_gradients for the label-contrastive loss: every label's copy is scored,
 * and each layer's softmax over its K goodness logits is trained towards the true label. */
static int chunk_gradients_ce(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                              const ff_augment *aug, int c0, int c, int B, int first,
                              ff_step_metrics *m, char *err) {
    const int K = net->cfg.classes;
    int rc = ff_net_reserve(net, (K + 1) * c, err);
    if (rc) return rc;
    build_ce_batch(net, ds, rows + c0, aug ? aug + c0 : NULL, c);
    ff_workspace *ws = &net->ws;
    for (int i = 0; i < net->n_layers && !rc; i++) {
        rc = ff_net_forward(net, i, (K + 1) * c, err);
        if (rc || !ff_layer_trained(net, i)) continue;
        const ff_layer *l = &net->layer[i];
        const ff_objective_spec spec = ff_layer_objective(net, l);
        const double loss = ff_objective_ce_part(ws->coef[i], &m->layer[l->conv_index],
                                                 ws->sumsq[i], ws->labels, c, K, &spec, B, first);
        rc = layer_grad_from_coef(net, i, loss, K * c, err);
    }
    return rc ? rc : classifier_grad(net, K * c, c, B, m, err);
}

/* coef[s C + ch] = the coefficient of channel ch's group, gcoef[s K + ch / (C / K)], for n
 * samples: every output of group k has the gradient gcoef_k y (docs/method.md §13). */
static void expand_group_coef(float *coef, const float *gcoef, int n, int K, int C) {
    const int per_group = C / K;
    for (int s = 0; s < n; s++)
        for (int ch = 0; ch < C; ch++)
            coef[(size_t)s * C + ch] = gcoef[(size_t)s * K + ch / per_group];
}

/* --ff-loss cwc: layer i's softmax over its K channel groups' goodness on the chunk's c plain
 * images, trained towards the true class, then its gradient (per sample and channel). */
static int cwc_layer_grad(ffcnn_net *net, int i, int c, int B, int first, ff_step_metrics *m,
                          char *err) {
    ff_workspace *ws = &net->ws;
    const ff_layer *l = &net->layer[i];
    const int K = net->cfg.classes;
    ff_net_group_goodness(net, i, 0, c, ws->group_sumsq);
    const ff_objective_spec spec = ff_layer_objective(net, l);
    const double loss = ff_objective_cwc_part(ws->group_coef, &m->layer[l->conv_index],
                                              ws->group_sumsq, ws->labels, c, K, &spec, B, first);
    expand_group_coef(ws->coef[i], ws->group_coef, c, K, l->out.c);
    return layer_grad_from_coef(net, i, loss, c, err);
}

/* The same as chunk_gradients for the channel-wise competitive loss (docs/method.md §13): one
 * plain copy of each image, no label in it, in slots [0, c); each layer learns from its own
 * channel groups, and the head reads the same copies. */
static int chunk_gradients_cwc(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                               const ff_augment *aug, int c0, int c, int B, int first,
                               ff_step_metrics *m, char *err) {
    int rc = ff_net_reserve(net, c, err);
    if (rc) return rc;
    ff_workspace *ws = &net->ws;
    for (int s = 0; s < c; s++) {
        ff_net_load_plain_input(net, ds, rows[c0 + s], s, aug ? &aug[c0 + s] : NULL);
        ws->labels[s] = ds->labels[rows[c0 + s]];
    }
    for (int i = 0; i < net->n_layers && !rc; i++) {
        rc = ff_net_forward(net, i, c, err);
        if (!rc && ff_layer_trained(net, i)) rc = cwc_layer_grad(net, i, c, B, first, m, err);
    }
    return rc ? rc : classifier_grad(net, 0, c, B, m, err);
}

/* One chunk's gradients under the configured loss. */
static int chunk_gradients_of_loss(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                                   const uint8_t *neg_labels, const ff_augment *aug, int c0, int c,
                                   int B, int first, ff_step_metrics *m, char *err) {
    switch (net->cfg.ff_loss) {
    case FFCNN_FF_LOSS_CE:
        return chunk_gradients_ce(net, ds, rows, aug, c0, c, B, first, m, err);
    case FFCNN_FF_LOSS_CWC:
        return chunk_gradients_cwc(net, ds, rows, aug, c0, c, B, first, m, err);
    default:
        return chunk_gradients(net, ds, rows, neg_labels, aug, c0, c, B, first, m, err);
    }
}

/* The statistics of one step that data-parallel replicas sum (ffcnn_net_set_shard's reduce): per
 * FF layer its loss, correct and samples; the head's; the BP loss. */
#define STEP_STATS(net) ((size_t)3 * (size_t)(net)->n_ff + 4)

/* Data-parallel: sums this replica's gradient and step statistics (m less `before`) with the
 * other replicas' through net->reduce; m then holds the whole batch's. No reduce: nothing. */
static int reduce_step(ffcnn_net *net, ff_step_metrics *m, const ff_step_metrics *before,
                       char *err) {
    if (!net->reduce) return FFCNN_OK;
    double st[3 * FFCNN_MAX_LAYERS + 4];
    const size_t ns = STEP_STATS(net);
    for (int l = 0; l < net->n_ff; l++) {
        st[3 * l] = m->layer[l].loss_sum - before->layer[l].loss_sum;
        st[3 * l + 1] = (double)(m->layer[l].correct - before->layer[l].correct);
        st[3 * l + 2] = (double)(m->layer[l].samples - before->layer[l].samples);
    }
    double *hs = st + 3 * net->n_ff;
    hs[0] = m->classifier_loss_sum - before->classifier_loss_sum;
    hs[1] = (double)(m->classifier_correct - before->classifier_correct);
    hs[2] = (double)(m->classifier_samples - before->classifier_samples);
    hs[3] = m->last_loss; /* BP: this step's part of the loss (0 for an empty part); FF: 0 */
    size_t n;
    float *g = ff_net_trained_grads(net, &n);
    err[0] = '\0';
    int rc = net->reduce(net->reduce_user, g, n, st, ns, err);
    if (rc) {
        if (!err[0])
            ff_fail(err, rc, "data-parallel reduce failed at step %lld",
                    (long long)net->adam_t + 1);
        return rc;
    }
    const int64_t steps = m->steps;
    *m = *before;
    m->steps = steps;
    for (int l = 0; l < net->n_ff; l++) {
        m->layer[l].loss_sum += st[3 * l];
        m->layer[l].correct += (int64_t)st[3 * l + 1];
        m->layer[l].samples += (int64_t)st[3 * l + 2];
        /* every replica took part in this batch: it counts once */
        if (net->cfg.algo == FFCNN_ALGO_FF && ff_layer_trained(net, net->ff_index[l]))
            m->layer[l].batches++;
    }
    m->classifier_loss_sum += hs[0];
    m->classifier_correct += (int64_t)hs[1];
    m->classifier_samples += (int64_t)hs[2];
    m->last_loss = hs[3];
    return FFCNN_OK;
}

/* An empty part of a batch (more replicas than images): zero gradients. */
static void zero_trained_grads(ffcnn_net *net) {
    size_t n;
    float *g = ff_net_trained_grads(net, &n);
    memset(g, 0, n * sizeof *g);
}

int ff_train_step(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                  const uint8_t *neg_labels, const ff_augment *aug, int B, float lr,
                  ff_step_metrics *m, char *err) {
    /* Chunks of at most net->chunk images of this replica's part [lo, hi) of the batch (all of
     * it in one process); their gradients add up (ffcnn_net_set_chunk, ffcnn_net_set_shard). */
    int lo, hi;
    ff_net_shard(net, B, &lo, &hi);
    const int n = hi - lo, C = n <= net->chunk ? n : net->chunk;
    const int reduce = net->reduce != NULL;
    const ff_step_metrics before = *m;
    int rc = FFCNN_OK;
    for (int c0 = lo; c0 < hi && !rc; c0 += C) {
        const int c = hi - c0 < C ? hi - c0 : C;
        rc = chunk_gradients_of_loss(net, ds, rows, neg_labels, aug, c0, c, B, c0 == lo, m, err);
        if (!rc && C < n) rc = ff_net_accumulate_grads(net, c0 == lo, err);
    }
    if (!rc && C < n) ff_net_take_accumulated(net);
    if (!rc && n == 0) zero_trained_grads(net);
    if (!rc && reduce) rc = reduce_step(net, m, &before, err);
    /* The head reads detached features, so its rate changes no FF layer (docs/method.md §6). */
    const float head_lr =
        net->cfg.classifier_lr > 0 ? lr * (net->cfg.classifier_lr / net->cfg.lr) : lr;
    if (!rc) rc = ff_net_update(net, lr, head_lr, err);
    if (!rc) m->steps++;
    net->pending_grad = -1;
    return rc;
}

/* ff_bp_gradients for a part of B images of a batch of batch_B (data-parallel): the loss and
 * its gradient are those of the whole batch's mean, restricted to this part. */
static int bp_gradients_part(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                             const ff_augment *aug, int B, int batch_B, ff_step_metrics *m,
                             char *err);

/* The BP baseline's forward pass and gradients on the B plain images ds rows[0..B) (docs/method.md
 * §12): every layer's activations are kept for the backward pass. */

int ff_bp_gradients(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                    const ff_augment *aug, int B, ff_step_metrics *m, char *err) {
    return bp_gradients_part(net, ds, rows, aug, B, B, m, err);
}

static int bp_gradients_part(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                             const ff_augment *aug, int B, int batch_B, ff_step_metrics *m,
                             char *err) {
    int rc = ff_net_reserve(net, B, err);
    if (rc) return rc;
    ff_workspace *ws = &net->ws;
    for (int s = 0; s < B; s++) {
        ff_net_load_plain_input(net, ds, rows[s], s, aug ? &aug[s] : NULL);
        ws->labels[s] = ds->labels[rows[s]];
    }
    for (int i = 0; i < net->n_layers && !rc; i++) rc = ff_net_forward_range(net, i, 0, B, err);
    if (rc) return rc;
    ff_net_classifier_logits(net, 0, B);
    const double loss = ff_classifier_cross_entropy_part(
        ws->dlogits, ws->logits, ws->labels, B, batch_B, net->cfg.classes, &m->classifier_correct);
    if (!isfinite(loss))
        return ff_fail(err, FFCNN_ENUMERIC, "loss is %g at step %lld", loss,
                       (long long)net->adam_t + 1);
    m->classifier_loss_sum += loss;
    m->classifier_samples += B;
    m->last_loss = loss;
    return ff_net_backprop(net, B, err);
}

/* One backprop step: the whole network, head included, at the one rate lr. */
static int bp_train_step(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                         const ff_augment *aug, int B, float lr, ff_step_metrics *m, char *err) {
    int lo, hi;
    ff_net_shard(net, B, &lo, &hi);
    const int reduce = net->reduce != NULL;
    const ff_step_metrics before = *m;
    int rc = FFCNN_OK;
    if (hi > lo)
        rc = bp_gradients_part(net, ds, rows + lo, aug ? aug + lo : NULL, hi - lo, B, m, err);
    else
        zero_trained_grads(net), m->last_loss = 0.0;
    if (!rc && reduce) rc = reduce_step(net, m, &before, err);
    if (!rc) rc = ff_net_update(net, lr, lr, err);
    if (!rc) m->steps++;
    return rc;
}

static void fill_epoch_stats(const ffcnn_net *net, const ff_step_metrics *m,
                             ffcnn_epoch_stats *st) {
    st->layers = net->cfg.algo == FFCNN_ALGO_BP ? 0 : net->n_ff;
    for (int l = 0; l < net->n_ff; l++) {
        const ff_layer_metrics *lm = &m->layer[l];
        st->loss[l] = lm->batches ? lm->loss_sum / lm->batches : -1.0;
        st->disc_acc[l] = lm->samples ? (double)lm->correct / lm->samples : -1.0;
    }
    st->classifier_loss = m->steps ? m->classifier_loss_sum / m->steps : -1.0;
    st->classifier_acc =
        m->classifier_samples ? (double)m->classifier_correct / m->classifier_samples : -1.0;
}

/* The order of epoch e's images: a shuffle drawn from (seed, epoch) alone. */
static void epoch_order(const ffcnn_net *net, int32_t *order, int32_t n, int epoch) {
    ff_rng rng;
    ff_rng_stream(&rng, net->cfg.seed, FF_STREAM_SHUFFLE, (uint64_t)epoch, 0);
    for (int32_t i = 0; i < n; i++) order[i] = i;
    ff_rng_shuffle(&rng, order, n);
}

/* Negative labels of one step, drawn from (seed, epoch, step) alone. */
static void step_negatives(const ffcnn_net *net, uint8_t *neg, const ffcnn_dataset *ds,
                           const int32_t *rows, int B, int epoch, int64_t step) {
    ff_rng rng;
    ff_rng_stream(&rng, net->cfg.seed, FF_STREAM_NEGATIVES, (uint64_t)epoch, (uint64_t)step);
    for (int s = 0; s < B; s++)
        neg[s] = ff_draw_negative_label(&rng, ds->labels[rows[s]], net->cfg.classes);
}

int ff_step_augment(const ffcnn_config *c, int epoch, int64_t step, int B, ff_augment *aug) {
    const int P = c->augment_pad;
    if (P == 0 && !c->augment_flip) return 0;
    /* One stream per step, drawn in batch order like the negatives: a resumed run redraws
     * exactly these, and chunking and threads never see the generator. */
    ff_rng rng;
    ff_rng_stream(&rng, c->seed, FF_STREAM_AUGMENT, (uint64_t)epoch, (uint64_t)step);
    for (int s = 0; s < B; s++) {
        aug[s].dy = (int8_t)(P ? (int)ff_rng_below(&rng, (uint32_t)(2 * P + 1)) - P : 0);
        aug[s].dx = (int8_t)(P ? (int)ff_rng_below(&rng, (uint32_t)(2 * P + 1)) - P : 0);
        aug[s].flip = (int8_t)(c->augment_flip ? ff_rng_below(&rng, 2) : 0);
    }
    return 1;
}

static int finish_epoch(ffcnn_net *net, const ffcnn_dataset *val, const ffcnn_train_hooks *hooks,
                        const ff_step_metrics *m, double seconds, int64_t images,
                        ffcnn_epoch_stats *stats, char *err) {
    ffcnn_epoch_stats st;
    memset(&st, 0, sizeof st);
    st.epoch = net->epochs_done;
    st.lr = ffcnn_lr_at_epoch(&net->cfg, net->epochs_done);
    fill_epoch_stats(net, m, &st);
    st.seconds = seconds;
    st.images_per_s = images / (seconds > 0 ? seconds : 1e-9);
    st.val_acc_linear = -1.0;
    net->epochs_done++;
    net->step_in_epoch = 0;
    int rc = FFCNN_OK;
    if (val && val->n > 0) {
        ffcnn_eval_result res;
        rc = ffcnn_evaluate(net, val, FFCNN_EVAL_LINEAR, &res, err);
        st.val_acc_linear = res.accuracy_linear;
        net->last_val_linear = res.accuracy_linear;
    }
    if (stats) *stats = st;
    if (rc == FFCNN_OK && hooks && hooks->on_epoch) hooks->on_epoch(hooks->user, &st);
    return rc;
}

static int train_epoch(ffcnn_net *net, const ffcnn_dataset *train, const ffcnn_dataset *val,
                       const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err);

int ffcnn_train_epoch(ffcnn_net *net, const ffcnn_dataset *train, const ffcnn_dataset *val,
                      const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err) {
    const unsigned fp_mode = ff_flush_denormals_begin(net->threads);
    const int rc = train_epoch(net, train, val, hooks, stats, err);
    ff_flush_denormals_end(fp_mode, net->threads);
    return rc;
}

static int is_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* A network loaded from a file continues on the images it was trained on, or its model would
 * silently differ from an uninterrupted run: the first epoch after the load refuses a training
 * set whose fingerprint differs from the recorded one. Every epoch records the set it trains
 * on (in memory a network may move from one set to another, as bench does). */
static int check_same_training_set(ffcnn_net *net, const ffcnn_dataset *train, char *err) {
    uint8_t fp[32];
    ffcnn_dataset_fingerprint(train, fp);
    uint8_t *known = net->data.fingerprint;
    if (net->check_data_on_resume && !is_zero(known, sizeof net->data.fingerprint) &&
        memcmp(known, fp, sizeof fp) != 0)
        return ff_fail(err, FFCNN_EINVAL,
                       "training set: %d images that differ from the ones this model was trained "
                       "on (fingerprint %02x%02x%02x%02x... against %02x%02x%02x%02x...); resume "
                       "with the same data and limits",
                       train->n, fp[0], fp[1], fp[2], fp[3], known[0], known[1], known[2],
                       known[3]);
    net->check_data_on_resume = 0;
    memcpy(known, fp, sizeof fp);
    return FFCNN_OK;
}

static int train_epoch(ffcnn_net *net, const ffcnn_dataset *train, const ffcnn_dataset *val,
                       const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err) {
    int rc = ff_check_dataset(net, train, "training set", err);
    if (rc) return rc;
    if ((rc = check_same_training_set(net, train, err))) return rc;
    if ((rc = ff_net_settle_paths(net, err))) return rc; /* --conv auto: measure first */
    if (train->n < 1) return ff_fail(err, FFCNN_EINVAL, "training set: no images");
    const int epoch = net->epochs_done, B0 = net->cfg.batch;
    const int64_t batches = (train->n + B0 - 1) / B0;
    if (net->step_in_epoch < 0 || net->step_in_epoch > batches)
        return ff_fail(err, FFCNN_EINVAL,
                       "resume point step %d is past the %lld steps of an epoch of %d images "
                       "(use the same training set as the interrupted run)",
                       net->step_in_epoch, (long long)batches, train->n);
    const float lr = ffcnn_lr_at_epoch(&net->cfg, epoch);
    int32_t *order = malloc(sizeof(int32_t) * (size_t)train->n);
    uint8_t *neg = malloc((size_t)B0);
    ff_augment *augs = malloc(sizeof *augs * (size_t)B0);
    ff_step_metrics *m = calloc(1, sizeof *m);
    if (!order || !neg || !augs || !m) {
        free(order), free(neg), free(augs), free(m);
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for the epoch's order");
    }
    epoch_order(net, order, train->n, epoch);
    const double t0 = ff_now_seconds();
    int64_t images = 0;
    for (int64_t b = net->step_in_epoch; b < batches && rc == FFCNN_OK; b++) {
        if (hooks && hooks->should_stop && hooks->should_stop(hooks->user)) {
            rc = ff_fail(err, FFCNN_EINTERRUPTED, "interrupted at epoch %d, step %lld", epoch + 1,
                         (long long)b);
            break;
        }
        const int32_t *rows = order + b * B0;
        const int B = (int)(b + 1 < batches ? B0 : train->n - b * B0);
        const ff_augment *aug = ff_step_augment(&net->cfg, epoch, b, B, augs) ? augs : NULL;
        if (net->cfg.algo == FFCNN_ALGO_BP) {
            rc = bp_train_step(net, train, rows, aug, B, lr, m, err);
        } else {
            step_negatives(net, neg, train, rows, B, epoch, b);
            rc = ff_train_step(net, train, rows, neg, aug, B, lr, m, err);
        }
        if (rc) break;
        net->step_in_epoch = (int32_t)(b + 1);
        images += B;
        if (hooks && hooks->on_batch) {
            const ff_layer_metrics *lm = &m->layer[net->n_ff - 1];
            const double loss =
                net->cfg.algo == FFCNN_ALGO_BP ? m->last_loss : lm->loss_sum / lm->batches;
            hooks->on_batch(hooks->user, epoch, b + 1, batches, loss);
        }
    }
    if (rc == FFCNN_OK)
        rc = finish_epoch(net, val, hooks, m, ff_now_seconds() - t0, images, stats, err);
    free(order), free(neg), free(augs), free(m);
    return rc;
}

/* ---- the steps of a training step, for the layer pipeline (src/pipeline.c) ---- */

void ff_train_epoch_order(const ffcnn_net *net, int32_t *order, int32_t n, int epoch) {
    epoch_order(net, order, n, epoch);
}

void ff_train_step_negatives(const ffcnn_net *net, uint8_t *neg, const ffcnn_dataset *ds,
                             const int32_t *rows, int B, int epoch, int64_t step) {
    step_negatives(net, neg, ds, rows, B, epoch, step);
}

void ff_train_build_batch(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                          const uint8_t *neg, const ff_augment *aug, int B) {
    build_ff_batch(net, ds, rows, neg, aug, B);
}

int ff_train_layer_grad(ffcnn_net *net, int i, int B, int batch_B, int first_chunk,
                        ff_step_metrics *m, char *err) {
    return ff_layer_grad(net, i, B, batch_B, first_chunk, m, err);
}

int ff_train_classifier_grad(ffcnn_net *net, int B, int batch_B, ff_step_metrics *m, char *err) {
    return classifier_grad(net, 2 * B, B, batch_B, m, err);
}

int ff_train_epoch_begin(ffcnn_net *net, const ffcnn_dataset *train, char *err) {
    int rc = ff_check_dataset(net, train, "training set", err);
    if (!rc) rc = check_same_training_set(net, train, err);
    if (!rc) rc = ff_net_settle_paths(net, err);
    if (!rc && train->n < 1) rc = ff_fail(err, FFCNN_EINVAL, "training set: no images");
    return rc;
}

int ff_train_finish_epoch(ffcnn_net *net, const ffcnn_dataset *val, const ffcnn_train_hooks *hooks,
                          const ff_step_metrics *m, double seconds, int64_t images,
                          ffcnn_epoch_stats *stats, char *err) {
    return finish_epoch(net, val, hooks, m, seconds, images, stats, err);
}
