#include "network.h"

#include <string.h>

#include "classifier.h"
#include "kernels/kernels.h"
#include "optim_adam.h"
#include "util.h"

int ff_net_dims(const ffcnn_config *cfg, ff_dims *out, char *err) {
    ff_dims d = {cfg->channels, cfg->height, cfg->width};
    for (int i = 0; i < cfg->n_layers; i++) {
        const ff_layer_ops *ops = ff_layer_kind(cfg->layer[i].kind);
        if (!ops)
            return ff_fail(err, FFCNN_EINVAL, "layer %d: unknown kind %d", i + 1,
                           cfg->layer[i].kind);
        const int rc = ops->out_dims(&cfg->layer[i], d, i + 1, &out[i], err);
        if (rc) return rc;
        d = out[i];
    }
    return FFCNN_OK;
}

/* The head reads the normalised output of every trained FF layer (docs/method.md §6); under
 * backprop, of the last layer (docs/method.md §12). */
static size_t head_inputs(const ffcnn_config *cfg, const ff_dims *dims) {
    if (cfg->algo == FFCNN_ALGO_BP) return ff_dims_len(dims[cfg->n_layers - 1]);
    size_t n = 0;
    for (int i = 0, j = 0; i < cfg->n_layers; i++)
        if (cfg->layer[i].kind == FFCNN_LAYER_CONV && j++ >= cfg->train_from - 1)
            n += ff_dims_len(dims[i]);
    return n;
}

size_t ff_param_count(const ffcnn_config *cfg) {
    ff_dims dims[FFCNN_MAX_LAYERS];
    char err[FFCNN_ERR_LEN];
    if (ff_net_dims(cfg, dims, err)) return 0;
    size_t n = (size_t)cfg->classes * head_inputs(cfg, dims);
    ff_dims in = {cfg->channels, cfg->height, cfg->width};
    for (int i = 0; i < cfg->n_layers; i++) {
        n += ff_layer_kind(cfg->layer[i].kind)->param_count(&cfg->layer[i], in);
        in = dims[i];
    }
    return n;
}

static void workspace_free(ff_workspace *ws);

/* (Re)makes every layer from the config, conv layer j (FF index) on paths[j], with its slice
 * of the parameter block; the head's slice follows. */
int ff_net_make_layers(ffcnn_net *net, const enum ffcnn_conv_path *paths, char *err) {
    workspace_free(&net->ws); /* its sizes depend on the paths */
    const ffcnn_config *cfg = &net->cfg;
    ff_dims in = {cfg->channels, cfg->height, cfg->width};
    size_t off = 0;
    net->n_layers = cfg->n_layers;
    net->n_ff = 0;
    for (int i = 0; i < cfg->n_layers; i++) {
        ff_layer *l = &net->layer[i];
        ff_layer_free(l);
        const int is_ff = cfg->layer[i].kind == FFCNN_LAYER_CONV;
        const enum ffcnn_conv_path p = is_ff ? paths[net->n_ff] : FFCNN_CONV_AUTO;
        const int rc =
            ff_layer_make(l, &cfg->layer[i], i, in, net->params + off, net->grads + off, p, err);
        if (is_ff) net->ff_index[l->conv_index = net->n_ff++] = i;
        if (rc) return rc;
        /* cwc's loss gradient differs by channel group (docs/method.md §13) */
        if (is_ff) l->conv.coef_per_channel = ff_net_is_cwc(net) && ff_layer_trained(net, i);
        off += l->n_params;
        in = l->out;
    }
    net->cls_w = net->params + off;
    net->cls_dw = net->grads + off;
    return FFCNN_OK;
}

int ff_net_alloc(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err) {
    int rc = ffcnn_config_validate(cfg, err);
    if (rc) return rc;
    ff_dims dims[FFCNN_MAX_LAYERS];
    if ((rc = ff_net_dims(cfg, dims, err))) return rc;
    ffcnn_net *net = ff_calloc(1, sizeof *net);
    if (!net) return ff_fail(err, FFCNN_ENOMEM, "out of memory allocating the network");
    net->cfg = *cfg;
    net->threads = threads < 1 ? 1 : threads;
    net->cls_in = head_inputs(cfg, dims);
    net->pending_grad = -1;
    net->data.train_limit = net->data.val_limit = -1;
    const size_t n = ff_param_count(cfg);
    net->n_params = n;
    net->params = ff_calloc(n, sizeof(float));
    net->grads = ff_calloc(n, sizeof(float));
    net->adam_m = ff_calloc(n, sizeof(float));
    net->adam_v = ff_calloc(n, sizeof(float));
    if (!net->params || !net->grads || !net->adam_m || !net->adam_v ||
        ff_labels_make(&net->labels, cfg->label_kind, cfg->label_k, cfg->classes, cfg->channels,
                       cfg->height, cfg->width) != FFCNN_OK) {
        ffcnn_net_free(net);
        return ff_fail(err, FFCNN_ENOMEM, "out of memory allocating %zu parameters", n);
    }
    const enum ffcnn_conv_path guess[FFCNN_MAX_LAYERS] = {FFCNN_CONV_AUTO};
    if ((rc = ff_net_make_layers(net, guess, err))) {
        ffcnn_net_free(net);
        return rc;
    }
    net->last_val_linear = -1.0;
    net->chunk = FFCNN_DEFAULT_CHUNK;
    ff_blas_single_thread();
    *out = net;
    return FFCNN_OK;
}

void ff_net_init_weights(ffcnn_net *net) {
    ff_rng init_rng;
    ff_rng_stream(&init_rng, net->cfg.seed, FF_STREAM_INIT, 0, 0);
    for (int i = 0; i < net->n_layers; i++) net->layer[i].ops->init(&net->layer[i], &init_rng);
    memset(net->cls_w, 0, sizeof(float) * (size_t)net->cfg.classes * net->cls_in);
}

int ffcnn_net_create(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err) {
    int rc = ff_net_alloc(out, cfg, threads, err);
    if (rc == FFCNN_OK) ff_net_init_weights(*out);
    return rc;
}

static void workspace_free(ff_workspace *ws) {
    ff_free(ws->image);
    ff_free(ws->input);
    ff_free(ws->aug_src);
    for (int l = 0; l < FFCNN_MAX_LAYERS; l++) {
        const int saved_own = !ws->in_place || l == 0, norm_own = !ws->in_place;
        ff_free(ws->out[l]);
        ff_free(ws->sumsq[l]);
        if (saved_own) ff_free(ws->saved[l]);
        if (norm_own) ff_free(ws->norm_out[l]);
        ff_free(ws->coef[l]);
    }
    ff_free(ws->label_conv);
    ff_free(ws->group_sumsq);
    ff_free(ws->group_coef);
    ff_free(ws->group_score);
    ff_free(ws->grad[0]);
    ff_free(ws->grad[1]);
    ff_free(ws->labels);
    ff_free(ws->logits);
    ff_free(ws->dlogits);
    ff_free(ws->head_partial);
    ff_free(ws->xspec[0]);
    ff_free(ws->xspec[1]);
    ff_free(ws->scratch.per_thread);
    ff_free(ws->scratch.partial);
    ff_free(ws->scratch.yspec);
    if (!ws->gspec_shared) ff_free(ws->scratch.gspec);
    ff_free(ws->scratch.grad_out);
    ff_free(ws->scratch.channel_sums);
    memset(ws, 0, sizeof *ws);
}

void ffcnn_net_free(ffcnn_net *net) {
    if (!net) return;
    workspace_free(&net->ws);
    for (int i = 0; i < net->n_layers; i++) ff_layer_free(&net->layer[i]);
    ff_labels_free(&net->labels);
    ff_free(net->params);
    ff_free(net->grads);
    ff_free(net->adam_m);
    ff_free(net->adam_v);
    ff_free(net->grad_acc);
    ff_free(net);
}

/* Whether layer i's normalised output needs a buffer of its own: the head reads it and no
 * conv layer's saved input already holds it. */
static int needs_norm_out(const ffcnn_net *net, int i) {
    return ff_layer_feeds_head(net, i) &&
           (i + 1 == net->n_layers || !ff_layer_is_ff(&net->layer[i + 1]));
}

/* Floats of one sample's gradient at any layer's input or output (backprop). */
static size_t widest_layer(const ffcnn_net *net) {
    size_t w = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const ff_layer *l = &net->layer[i];
        if (l->in_len > w) w = l->in_len;
        if (l->out_len > w) w = l->out_len;
    }
    return w;
}

/* Floats of one sample's FF coefficients of layer l: one, or one per output channel. */
static size_t coef_len(const ff_layer *l) {
    return l->conv.coef_per_channel ? (size_t)l->out.c : 1;
}

static int alloc_layer_buffers(ffcnn_net *net, int i, size_t n) {
    ff_workspace *ws = &net->ws;
    const ff_layer *l = &net->layer[i];
    const size_t saved = l->ops->saved_len(l);
    if (!(ws->out[i] = ff_calloc(n, l->out_len * sizeof(float))) ||
        !(ws->sumsq[i] = ff_calloc(n, sizeof(double))))
        return 0;
    if (saved && ws->in_place && i > 0) /* conv: saved_len is in_len, the previous out_len */
        ws->saved[i] = ws->out[i - 1];
    else if (saved && !(ws->saved[i] = ff_calloc(n, saved * sizeof(float))))
        return 0;
    if (needs_norm_out(net, i))
        ws->norm_out[i] = ws->in_place ? ws->out[i] : ff_calloc(n, l->out_len * sizeof(float));
    return (!needs_norm_out(net, i) || ws->norm_out[i]) &&
           (!ff_layer_is_ff(l) || (ws->coef[i] = ff_calloc(n, coef_len(l) * sizeof(float))));
}

int ff_net_reserve(ffcnn_net *net, int n, char *err) {
    ff_workspace *ws = &net->ws;
    if (n <= ws->capacity && net->threads == ws->threads) return FFCNN_OK;
    if (n < ws->capacity) n = ws->capacity;
    workspace_free(ws);
    const int T = net->threads, K = net->cfg.classes, bp = net->cfg.algo == FFCNN_ALGO_BP;
    const size_t img = net->labels.len, N = (size_t)n;
    ff_scratch_need need;
    memset(&need, 0, sizeof need);
    size_t head_chunks = 0;
    ws->in_place = !bp;
    const int augment = net->cfg.augment_pad > 0 || net->cfg.augment_flip;
    int ok = (ws->image = ff_calloc(N, img * sizeof(float))) &&
             (ws->input = ff_calloc(N, img * sizeof(float))) &&
             (!augment || (ws->aug_src = ff_calloc(img, sizeof(float))));
    for (int i = 0; ok && i < net->n_layers; i++) {
        const ff_layer *l = &net->layer[i];
        ok = alloc_layer_buffers(net, i, N);
        l->ops->scratch(l, n, bp, &need);
        const size_t chunks = ff_classifier_chunks(l->out_len);
        if (chunks > head_chunks) head_chunks = chunks;
    }
    ok = ok &&
         (!bp || ((ws->grad[0] = ff_calloc(N, widest_layer(net) * sizeof(float))) &&
                  (ws->grad[1] = ff_calloc(N, widest_layer(net) * sizeof(float))))) &&
         (ws->labels = ff_calloc(N, 1)) && (ws->logits = ff_calloc(N * K, sizeof(float))) &&
         (ws->dlogits = ff_calloc(N * K, sizeof(float))) &&
         (ws->head_partial = ff_calloc(head_chunks * N * K, sizeof(float))) &&
         (ws->xspec[0] = ff_calloc(need.xspec, sizeof(float))) &&
         (ws->xspec[1] = ff_calloc(need.xspec, sizeof(float))) &&
         (ws->scratch.per_thread = ff_calloc((size_t)T, need.per_thread * sizeof(float))) &&
         (ws->scratch.partial = ff_calloc((size_t)T, need.partial * sizeof(float))) &&
         (ws->scratch.yspec = ff_calloc(need.yspec, sizeof(float))) &&
         ((ws->gspec_shared = need.gspec <= need.xspec && need.gspec <= need.yspec) ||
          (ws->scratch.gspec = ff_calloc(need.gspec, sizeof(float)))) &&
         (ws->scratch.grad_out = ff_calloc(need.grad_out, sizeof(float))) &&
         (ws->scratch.channel_sums = ff_calloc(N, need.channel_sums * sizeof(double))) &&
         (!ff_net_is_cwc(net) || ((ws->group_sumsq = ff_calloc(N * K, sizeof(double))) &&
                                  (ws->group_coef = ff_calloc(N * K, sizeof(float))) &&
                                  (ws->group_score = ff_calloc(N * K, sizeof(double)))));
    if (!ok) {
        workspace_free(ws);
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for a workspace of %d samples", n);
    }
    ws->capacity = n;
    ws->threads = ws->scratch.threads = T;
    ws->need = need;
    ws->head_chunks = head_chunks;
    return FFCNN_OK;
}

void ff_net_workspace_bytes(const ffcnn_net *net, size_t *activations, size_t *scratch) {
    const ff_workspace *ws = &net->ws;
    const size_t N = (size_t)ws->capacity, f = sizeof(float), d = sizeof(double);
    const int K = net->cfg.classes, T = ws->threads;
    size_t act = 2 * N * net->labels.len * f + N; /* image, input, labels */
    for (int i = 0; i < net->n_layers; i++) {
        const ff_layer *l = &net->layer[i];
        const int saved_own = ws->saved[i] && (!ws->in_place || i == 0);
        const int norm_own = ws->norm_out[i] && !ws->in_place;
        act += N * (l->out_len * f + d + (saved_own ? l->ops->saved_len(l) * f : 0) +
                    (norm_own ? l->out_len * f : 0) + (ws->coef[i] ? coef_len(l) * f : 0));
    }
    act += 2 * N * K * f;                            /* logits and their gradient */
    if (ws->group_sumsq) act += N * K * (2 * d + f); /* cwc's group goodness, scores, coefs */
    const ff_scratch_need *nd = &ws->need;
    size_t other = (ws->grad[0] ? 2 * N * widest_layer(net) * f : 0) + ws->head_chunks * N * K * f +
                   2 * nd->xspec * f + nd->yspec * f + (ws->gspec_shared ? 0 : nd->gspec * f) +
                   nd->grad_out * f + N * nd->channel_sums * d +
                   (size_t)T * (nd->per_thread + nd->partial) * f;
    if (ws->label_conv) other += ((size_t)K + N / (size_t)K) * net->layer[0].out_len * f;
    if (ws->aug_src) other += net->labels.len * f;
    *activations = ws->capacity ? act : 0;
    *scratch = ws->capacity ? other : 0;
}

static void load_pixels(float *dst, const ffcnn_dataset *ds, int32_t row, size_t len) {
    const uint8_t *px = ds->pixels + (size_t)row * len;
    for (size_t i = 0; i < len; i++) dst[i] = (float)px[i] / 255.0f;
}

/* The image is augmented before any label is written over it, so that its positive, negative
 * and neutral copies all show the same augmented image. */
static void load_augmented(ffcnn_net *net, float *dst, const ffcnn_dataset *ds, int32_t row,
                           const ff_augment *aug) {
    const ffcnn_config *c = &net->cfg;
    if (!aug) {
        load_pixels(dst, ds, row, net->labels.len);
        return;
    }
    load_pixels(net->ws.aug_src, ds, row, net->labels.len);
    ff_augment_shift_flip(dst, net->ws.aug_src, c->channels, c->height, c->width, aug->dy, aug->dx,
                          aug->flip);
}

void ff_net_load_image(ffcnn_net *net, const ffcnn_dataset *ds, int32_t row, int slot,
                       const ff_augment *aug) {
    load_augmented(net, net->ws.image + (size_t)slot * net->labels.len, ds, row, aug);
}

void ff_net_load_plain_input(ffcnn_net *net, const ffcnn_dataset *ds, int32_t row, int slot,
                             const ff_augment *aug) {
    load_augmented(net, net->ws.input + (size_t)slot * net->labels.len, ds, row, aug);
}

/* The scratch as layer i sees it: input spectra alternate by parity, so that a layer's survive
 * the next layer's forward (docs/method.md §11). */
static ff_scratch layer_scratch(ffcnn_net *net, int i) {
    ff_scratch sc = net->ws.scratch;
    sc.xspec = net->ws.xspec[i & 1];
    if (net->ws.gspec_shared) sc.gspec = net->ws.xspec[(i + 1) & 1];
    sc.threads = net->threads;
    return sc;
}

/* Layer i's buffers from sample `first`. */
static ff_layer_io layer_io(ffcnn_net *net, int i, int first) {
    ff_workspace *ws = &net->ws;
    const ff_layer *l = &net->layer[i];
    const size_t f = (size_t)first;
    ff_layer_io io = {
        i == 0 ? ws->input + f * net->labels.len : ws->out[i - 1] + f * l->in_len,
        i == 0 ? NULL : ws->sumsq[i - 1] + f, /* sum of squares of the input */
        ws->out[i] + f * l->out_len,
        ws->sumsq[i] + f,
        ws->saved[i] ? ws->saved[i] + f * l->ops->saved_len(l) : NULL,
    };
    return io;
}

int ff_net_forward_range(ffcnn_net *net, int i, int first, int n, char *err) {
    ff_layer *l = &net->layer[i];
    const ff_layer_io io = layer_io(net, i, first);
    ff_scratch sc = layer_scratch(net, i);
    return l->ops->forward(l, &io, n, &sc, err);
}

/* The pending gradient of layer p from layer p + 1's input spectra, in xspec[(p + 1) & 1]. */
static int pending_from_next(ffcnn_net *net, char *err) {
    const int p = net->pending_grad;
    net->pending_grad = -1;
    ff_scratch sc = layer_scratch(net, p);
    if (net->ws.gspec_shared) sc.gspec = net->ws.scratch.yspec; /* xspec[(p + 1) & 1] is in use */
    return ff_backward_conv_layer_from_next(&net->layer[p], net->ws.sumsq[p], net->ws.coef[p],
                                            net->ws.xspec[(p + 1) & 1], net->pending_m, &sc, err);
}

int ff_net_forward(ffcnn_net *net, int i, int n, char *err) {
    int rc = ff_net_forward_range(net, i, 0, n, err);
    const int p = net->pending_grad;
    if (rc || p < 0 || p != i - 1) return rc;
    /* The layers are detached, so p's gradient is the same after this forward as before. */
    return pending_from_next(net, err);
}

int ff_net_finish_pending(ffcnn_net *net, char *err) {
    const int p = net->pending_grad;
    if (p < 0) return FFCNN_OK;
    ff_scratch sc = layer_scratch(net, p + 1);
    if (ff_conv_layer_input_spectra(&net->layer[p + 1], net->ws.out[p], net->ws.sumsq[p],
                                    net->pending_m, &sc))
        return ff_fail(err, FFCNN_ENOMEM, "layer %d: out of memory in the forward pass", p + 2);
    return pending_from_next(net, err);
}

int ff_net_weight_grad(ffcnn_net *net, int i, int m, char *err) {
    ff_layer *l = &net->layer[i];
    if (i + 1 < net->n_layers && ff_conv_layers_share_spectra(l, &net->layer[i + 1])) {
        net->pending_grad = i; /* the next forward transforms what this gradient needs */
        net->pending_m = m;
        return FFCNN_OK;
    }
    const ff_layer_io io = layer_io(net, i, 0);
    ff_scratch sc = layer_scratch(net, i);
    return l->ops->backward(l, &io, net->ws.coef[i], m, &sc, err);
}

int ff_net_backprop(ffcnn_net *net, int m, char *err) {
    ff_workspace *ws = &net->ws;
    const int last = net->n_layers - 1;
    const size_t len = net->layer[last].out_len;
    const float *feat = ff_net_head_features(net, last);
    const int K = net->cfg.classes;
    ff_classifier_weight_grad(net->cls_dw, ws->dlogits, feat, m, K, len, net->cls_in, net->threads);
    float *g = ws->grad[last & 1];
    ff_classifier_input_grad(g, ws->dlogits, net->cls_w, m, K, len, net->cls_in, net->threads);
#pragma omp parallel for schedule(static) num_threads(net->threads)
    for (int s = 0; s < m; s++) /* the head reads rmsnorm(out): docs/method.md §12 */
        ff_rmsnorm_backward(g + (size_t)s * len, g + (size_t)s * len,
                            ws->out[last] + (size_t)s * len, len);
    for (int i = last; i >= 0; i--) {
        ff_layer *l = &net->layer[i];
        const ff_layer_io io = layer_io(net, i, 0);
        ff_scratch sc = layer_scratch(net, i);
        float *din = i > 0 ? ws->grad[(i - 1) & 1] : NULL; /* the image needs no gradient */
        const int rc = l->ops->backprop(l, &io, ws->grad[i & 1], din, m, &sc, err);
        if (rc) return rc;
    }
    return FFCNN_OK;
}

/* The trained part of the parameter block: from the first trained layer to the end (the head). */
static size_t first_trained_param(const ffcnn_net *net) {
    for (int i = 0; i < net->n_layers; i++)
        if (ff_layer_trained(net, i)) return (size_t)(net->layer[i].params - net->params);
    return (size_t)(net->cls_w - net->params);
}

int ff_net_accumulate_grads(ffcnn_net *net, int first_chunk, char *err) {
    if (!net->grad_acc && !(net->grad_acc = ff_calloc(net->n_params, sizeof(float))))
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for the gradient of a batch's chunks");
    const size_t off = first_trained_param(net), n = net->n_params - off;
    float *acc = net->grad_acc + off;
    const float *g = net->grads + off;
    if (first_chunk)
        memcpy(acc, g, n * sizeof(float));
    else
        for (size_t k = 0; k < n; k++) acc[k] += g[k];
    return FFCNN_OK;
}

float *ff_net_trained_grads(ffcnn_net *net, size_t *n) {
    const size_t off = first_trained_param(net);
    *n = net->n_params - off;
    return net->grads + off;
}

void ff_net_shard(const ffcnn_net *net, int B, int *lo, int *hi) {
    const int64_t P = net->shard_count > 1 ? net->shard_count : 1, r = P > 1 ? net->shard_rank : 0;
    *lo = (int)((int64_t)B * r / P);
    *hi = (int)((int64_t)B * (r + 1) / P);
}

void ff_net_take_accumulated(ffcnn_net *net) {
    const size_t off = first_trained_param(net);
    memcpy(net->grads + off, net->grad_acc + off, (net->n_params - off) * sizeof(float));
}

static int all_finite(const float *x, size_t n) {
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0f; /* NaN or Inf poisons the sum */
    return acc == 0.0f;
}

int ff_net_update(ffcnn_net *net, float lr, float head_lr, char *err) {
    if (net->pending_grad >= 0)
        return ff_fail(err, FFCNN_EINVAL, "layer %d: its gradient was never completed",
                       net->pending_grad + 1);
    net->adam_t++;
    /* The trained layers' parameters are contiguous: every layer before them is frozen
     * (docs/method.md §4) or has none. */
    int first = net->n_layers;
    for (int i = net->n_layers - 1; i >= 0; i--)
        if (ff_layer_trained(net, i)) first = i;
    if (first < net->n_layers) {
        const size_t off = (size_t)(net->layer[first].params - net->params);
        const size_t len = (size_t)(net->cls_w - net->layer[first].params);
        ff_adam_step(net->params + off, net->grads + off, net->adam_m + off, net->adam_v + off, len,
                     lr, net->adam_t, net->threads);
    }
    const size_t off = (size_t)(net->cls_w - net->params);
    ff_adam_step(net->cls_w, net->grads + off, net->adam_m + off, net->adam_v + off,
                 (size_t)net->cfg.classes * net->cls_in, head_lr, net->adam_t, net->threads);
    for (int i = first; i < net->n_layers; i++) {
        ff_layer *l = &net->layer[i];
        l->ops->update(l);
        if (!all_finite(l->params, l->n_params))
            return ff_fail(err, FFCNN_ENUMERIC, "layer %d: a weight became NaN or Inf at step %lld",
                           i + 1, (long long)net->adam_t);
    }
    return FFCNN_OK;
}

int ff_net_label_convolutions(ffcnn_net *net, char *err) {
    ff_scratch sc = layer_scratch(net, 0);
    ff_workspace *ws = &net->ws;
    /* the K patterns, then the m images of a chunk of m * K labelled samples */
    const size_t rows = (size_t)net->cfg.classes + (size_t)ws->capacity / net->cfg.classes;
    if (!ws->label_conv &&
        !(ws->label_conv = ff_calloc(rows, net->layer[0].out_len * sizeof(float))))
        return ff_fail(err, FFCNN_ENOMEM, "layer 1: out of memory convolving the labels");
    if (ff_conv_layer_linear(&net->layer[0], ws->label_conv, net->labels.patterns, net->cfg.classes,
                             &sc))
        return ff_fail(err, FFCNN_ENOMEM, "layer 1: out of memory convolving the labels");
    return FFCNN_OK;
}

int ff_net_first_layer_all_labels(ffcnn_net *net, int m, char *err) {
    ff_workspace *ws = &net->ws;
    ff_layer *l0 = &net->layer[0];
    const int K = net->cfg.classes;
    const size_t len = net->labels.len;
    ff_scratch sc = layer_scratch(net, 0);
    float *base = ws->saved[0], *base_conv = ws->label_conv + (size_t)K * l0->out_len;
    float *scale = ws->coef[0];
    float alpha = 0.0f, beta = 0.0f;
    for (int i = 0; i < m; i++)
        ff_label_decompose(base + i * len, &alpha, &beta, ws->image + i * len, &net->labels);
    if (ff_conv_layer_linear(l0, base_conv, base, m, &sc))
        return ff_fail(err, FFCNN_ENOMEM, "layer 1: out of memory in the forward pass");
    for (int s = 0; s < K * m; s++) scale[s] = ff_rms_factor(ws->input + s * len, len);
    ff_forward_conv_layer_labelled(l0, ws->out[0], ws->sumsq[0], base_conv, ws->label_conv, scale,
                                   alpha, beta, m, K, &sc);
    return FFCNN_OK;
}

void ff_net_group_goodness(const ffcnn_net *net, int i, int first, int n, double *g) {
    const ff_layer *l = &net->layer[i];
    const int K = net->cfg.classes;
    const size_t group_len = l->out_len / (size_t)K;
#pragma omp parallel for schedule(static) num_threads(net->threads)
    for (int s = 0; s < n; s++) {
        const float *y = net->ws.out[i] + (size_t)(first + s) * l->out_len;
        for (int k = 0; k < K; k++) {
            double sum = 0.0;
            for (size_t j = (size_t)k * group_len; j < (size_t)(k + 1) * group_len; j++)
                sum += (double)y[j] * y[j];
            g[(size_t)s * K + k] = sum;
        }
    }
}

const float *ff_net_head_features(const ffcnn_net *net, int i) {
    /* A layer's normalised output is the next conv layer's normalised input. */
    return net->ws.norm_out[i] ? net->ws.norm_out[i] : net->ws.saved[i + 1];
}

void ff_net_classifier_logits(ffcnn_net *net, int first, int n) {
    ff_workspace *ws = &net->ws;
    const int K = net->cfg.classes;
    for (int i = 0; i < net->n_layers; i++) {
        if (!ws->norm_out[i]) continue;
        const size_t len = net->layer[i].out_len;
#pragma omp parallel for schedule(static) num_threads(net->threads)
        for (int s = first; s < first + n; s++)
            ff_rmsnorm_forward(ws->norm_out[i] + (size_t)s * len, ws->out[i] + (size_t)s * len,
                               len);
    }
    memset(ws->logits, 0, sizeof(float) * (size_t)n * K);
    size_t col = 0;
    for (int i = 0; i < net->n_layers; i++) {
        if (!ff_layer_feeds_head(net, i)) continue;
        const size_t len = net->layer[i].out_len;
        ff_classifier_logits_accumulate(ws->logits, ws->head_partial,
                                        ff_net_head_features(net, i) + (size_t)first * len,
                                        net->cls_w + col, n, K, len, net->cls_in, net->threads);
        col += len;
    }
}

int ff_check_dataset(const ffcnn_net *net, const ffcnn_dataset *ds, const char *what, char *err) {
    const ffcnn_config *c = &net->cfg;
    if (ds->channels != c->channels || ds->height != c->height || ds->width != c->width)
        return ff_fail(err, FFCNN_EINVAL,
                       "%s: images are %dx%dx%d but the network expects %dx%dx%d", what,
                       ds->channels, ds->height, ds->width, c->channels, c->height, c->width);
    for (int32_t i = 0; i < ds->n; i++)
        if (ds->labels[i] >= c->classes)
            return ff_fail(err, FFCNN_EFORMAT, "%s: label %d of image %d is not in 0..%d", what,
                           ds->labels[i], i, c->classes - 1);
    return FFCNN_OK;
}

const ffcnn_config *ffcnn_net_config(const ffcnn_net *net) {
    return &net->cfg;
}

void ffcnn_net_set_threads(ffcnn_net *net, int threads) {
    net->threads = threads < 1 ? 1 : threads;
}

int ffcnn_net_set_shard(ffcnn_net *net, int rank, int count, ffcnn_reduce_fn reduce, void *user,
                        char *err) {
    if (count < 1 || count > 65536 || rank < 0 || rank >= count)
        return ff_fail(err, FFCNN_EINVAL, "shard: rank %d of %d is out of range (0 <= rank < %s)",
                       rank, count, count < 1 || count > 65536 ? "count <= 65536" : "count");
    if (count > 1 && !reduce)
        return ff_fail(err, FFCNN_EINVAL, "shard: %d replicas need a reduce function", count);
    net->shard_rank = rank;
    net->shard_count = count;
    net->reduce = reduce;
    net->reduce_user = user;
    return FFCNN_OK;
}

int ffcnn_net_set_chunk(ffcnn_net *net, int images, char *err) {
    if (images < 1 || images > 65536)
        return ff_fail(err, FFCNN_EINVAL, "--chunk: %d is out of range 1..65536", images);
    net->chunk = images;
    return FFCNN_OK;
}

int ffcnn_net_set_score_from(ffcnn_net *net, int first, char *err) {
    const ffcnn_config *c = &net->cfg;
    if (first == 0) return net->score_from = 0, FFCNN_OK;
    if (c->algo == FFCNN_ALGO_BP)
        return ff_fail(err, FFCNN_EINVAL,
                       "--score-from: a backprop model has no goodness inference");
    if (first < 0 || first > net->n_ff)
        return ff_fail(err, FFCNN_EINVAL, "--score-from: %d is not one of the %d conv layers",
                       first, net->n_ff);
    if (first < c->train_from)
        return ff_fail(err, FFCNN_EINVAL,
                       "--score-from: layer %d is not trained (training starts at layer %d)", first,
                       (int)c->train_from);
    net->score_from = first;
    return FFCNN_OK;
}

int ffcnn_net_chunk(const ffcnn_net *net) {
    return net->chunk;
}

int ffcnn_net_epochs_done(const ffcnn_net *net) {
    return net->epochs_done;
}

int ffcnn_net_step_in_epoch(const ffcnn_net *net) {
    return net->step_in_epoch;
}

double ffcnn_net_last_val_accuracy(const ffcnn_net *net) {
    return net->last_val_linear;
}

void ffcnn_net_set_data_identity(ffcnn_net *net, const ffcnn_data_identity *id) {
    net->data = *id;
    net->data.name[sizeof net->data.name - 1] = '\0';
}

const ffcnn_data_identity *ffcnn_net_data_identity(const ffcnn_net *net) {
    return &net->data;
}
