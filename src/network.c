#include "network.h"

#include <string.h>

#include "classifier.h"
#include "kernels/kernels.h"
#include "util.h"

static ff_conv_shape layer_shape(const ffcnn_config *c, int l) {
    ff_conv_shape s = {l == 0 ? c->channels : c->filters, c->filters, c->height, c->width,
                       c->kernel};
    return s;
}

static size_t classifier_inputs(const ffcnn_config *c) {
    return (size_t)(c->layers - c->train_from + 1) * c->filters * c->height * c->width;
}

size_t ff_param_count(const ffcnn_config *cfg) {
    size_t n = FFCNN_CLASSES * classifier_inputs(cfg);
    for (int l = 0; l < cfg->layers; l++) n += conv_layer_param_count(layer_shape(cfg, l));
    return n;
}

static void workspace_free(ff_workspace *ws);

int ff_net_make_layers(ffcnn_net *net, const int *paths, char *err) {
    size_t off = 0;
    workspace_free(&net->ws); /* its sizes depend on the paths */
    for (int l = 0; l < net->cfg.layers; l++) {
        free_conv_layer(&net->layer[l]);
        if (make_conv_layer(&net->layer[l], layer_shape(&net->cfg, l), net->params + off,
                            net->grads + off, paths[l]) != 0)
            return ff_fail(err, FFCNN_ENOMEM, "layer %d: cannot plan the FFT convolution", l + 1);
        off += net->layer[l].n_params;
    }
    net->cls_w = net->params + off;
    net->cls_dw = net->grads + off;
    return FFCNN_OK;
}

int ff_net_alloc(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err) {
    int rc = ffcnn_config_validate(cfg, err);
    if (rc) return rc;
    ffcnn_net *net = ff_calloc(1, sizeof *net);
    if (!net) return ff_fail(err, FFCNN_ENOMEM, "out of memory allocating the network");
    net->cfg = *cfg;
    net->threads = threads < 1 ? 1 : threads;
    net->cls_in = classifier_inputs(cfg);
    const size_t n = ff_param_count(cfg);
    net->n_params = n;
    net->params = ff_calloc(n, sizeof(float));
    net->grads = ff_calloc(n, sizeof(float));
    net->adam_m = ff_calloc(n, sizeof(float));
    net->adam_v = ff_calloc(n, sizeof(float));
    if (!net->params || !net->grads || !net->adam_m || !net->adam_v ||
        ff_labels_make(&net->labels, cfg->label_kind, cfg->label_k, cfg->channels, cfg->height,
                       cfg->width) != FFCNN_OK) {
        ffcnn_net_free(net);
        return ff_fail(err, FFCNN_ENOMEM, "out of memory allocating %zu parameters", n);
    }
    const int guess[FFCNN_MAX_LAYERS] = {FF_CONV_AUTO};
    rc = ff_net_make_layers(net, guess, err);
    if (rc) {
        ffcnn_net_free(net);
        return rc;
    }
    net->last_val_linear = -1.0;
    ff_blas_single_thread();
    *out = net;
    return FFCNN_OK;
}

void ff_net_init_weights(ffcnn_net *net) {
    ff_rng init_rng;
    ff_rng_stream(&init_rng, net->cfg.seed, FF_STREAM_INIT, 0, 0);
    for (int l = 0; l < net->cfg.layers; l++) init_conv_layer(&net->layer[l], &init_rng);
    memset(net->cls_w, 0, sizeof(float) * FFCNN_CLASSES * net->cls_in);
}

int ffcnn_net_create(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err) {
    int rc = ff_net_alloc(out, cfg, threads, err);
    if (rc == FFCNN_OK) ff_net_init_weights(*out);
    return rc;
}

static void workspace_free(ff_workspace *ws) {
    ff_free(ws->image);
    ff_free(ws->input);
    for (int l = 0; l < FFCNN_MAX_LAYERS; l++) {
        ff_free(ws->z[l]);
        ff_free(ws->y[l]);
        ff_free(ws->goodness[l]);
    }
    ff_free(ws->last_norm);
    ff_free(ws->coef);
    ff_free(ws->labels);
    ff_free(ws->logits);
    ff_free(ws->dlogits);
    ff_free(ws->scratch);
    ff_free(ws->partial);
    ff_free(ws->xspec[0]);
    ff_free(ws->xspec[1]);
    ff_free(ws->yspec);
    ff_free(ws->gspec);
    ff_free(ws->dout);
    ff_free(ws->sumsq);
    memset(ws, 0, sizeof *ws);
}

void ffcnn_net_free(ffcnn_net *net) {
    if (!net) return;
    workspace_free(&net->ws);
    for (int l = 0; l < net->cfg.layers; l++) free_conv_layer(&net->layer[l]);
    ff_labels_free(&net->labels);
    ff_free(net->params);
    ff_free(net->grads);
    ff_free(net->adam_m);
    ff_free(net->adam_v);
    ff_free(net);
}

int ff_net_reserve(ffcnn_net *net, int n, char *err) {
    ff_workspace *ws = &net->ws;
    if (n <= ws->capacity && net->threads == ws->threads) return FFCNN_OK;
    if (n < ws->capacity) n = ws->capacity;
    workspace_free(ws);
    const int L = net->cfg.layers, T = net->threads;
    const size_t img = net->labels.len;
    size_t scratch = 0, partial = 0, xs = 0, ys = 0, gs = 0, out = 0;
    int ok = (ws->image = ff_calloc((size_t)n, img * sizeof(float))) &&
             (ws->input = ff_calloc((size_t)n, img * sizeof(float)));
    for (int l = 0; ok && l < L; l++) {
        const ff_conv_layer *ly = &net->layer[l];
        ok = (ws->z[l] = ff_calloc((size_t)n, ly->in_len * sizeof(float))) &&
             (ws->y[l] = ff_calloc((size_t)n, ly->out_len * sizeof(float))) &&
             (ws->goodness[l] = ff_calloc((size_t)n, sizeof(double)));
        if (conv_layer_scratch_len(ly) > scratch) scratch = conv_layer_scratch_len(ly);
        if (ly->n_params > partial) partial = ly->n_params;
        if (ly->out_len > out) out = ly->out_len;
        if (conv_layer_spectrum_len(ly, n, 0) > xs) xs = conv_layer_spectrum_len(ly, n, 0);
        if (conv_layer_spectrum_len(ly, n, 1) > ys) ys = conv_layer_spectrum_len(ly, n, 1);
        if (conv_layer_spectrum_len(ly, n, 2) > gs) gs = conv_layer_spectrum_len(ly, n, 2);
    }
    ok = ok && (ws->last_norm = ff_calloc((size_t)n, net->layer[L - 1].out_len * sizeof(float))) &&
         (ws->coef = ff_calloc((size_t)n, sizeof(float))) &&
         (ws->labels = ff_calloc((size_t)n, 1)) &&
         (ws->logits = ff_calloc((size_t)n * FFCNN_CLASSES, sizeof(float))) &&
         (ws->dlogits = ff_calloc((size_t)n * FFCNN_CLASSES, sizeof(float))) &&
         (ws->scratch = ff_calloc((size_t)T, scratch * sizeof(float))) &&
         (ws->partial = ff_calloc((size_t)T, partial * sizeof(float))) &&
         (ws->xspec[0] = ff_calloc(xs, sizeof(float))) &&
         (ws->xspec[1] = ff_calloc(xs, sizeof(float))) &&
         (ws->yspec = ff_calloc(ys, sizeof(float))) && (ws->gspec = ff_calloc(gs, sizeof(float))) &&
         (ws->dout = ff_calloc((size_t)n, out * sizeof(float))) &&
         (ws->sumsq = ff_calloc((size_t)n, (size_t)net->cfg.filters * sizeof(double)));
    if (!ok) {
        workspace_free(ws);
        return ff_fail(err, FFCNN_ENOMEM, "out of memory for a workspace of %d samples", n);
    }
    ws->capacity = n;
    ws->threads = T;
    return FFCNN_OK;
}

void ff_net_load_image(ffcnn_net *net, const ffcnn_dataset *ds, int32_t row, int slot) {
    const size_t len = net->labels.len;
    const uint8_t *px = ds->pixels + (size_t)row * len;
    float *dst = net->ws.image + (size_t)slot * len;
    for (size_t i = 0; i < len; i++) dst[i] = (float)px[i] / 255.0f;
}

ff_conv_scratch ff_net_layer_scratch(ffcnn_net *net, int l) {
    ff_workspace *ws = &net->ws;
    ff_conv_scratch sc = {ws->scratch, ws->partial, ws->xspec[l & 1], ws->yspec,
                          ws->gspec,   ws->dout,    ws->sumsq,        net->threads};
    return sc;
}

ff_conv_scratch ff_net_scratch(ffcnn_net *net) {
    return ff_net_layer_scratch(net, 0);
}

void ff_net_forward_layer(ffcnn_net *net, int l, int n) {
    ff_net_forward_layer_range(net, l, 0, n);
}

void ff_net_label_convolutions(ffcnn_net *net) {
    ff_conv_scratch sc = ff_net_scratch(net);
    conv_layer_linear(&net->layer[0], net->ws.dout, net->labels.patterns, FFCNN_CLASSES, &sc);
}

void ff_net_first_layer_all_labels(ffcnn_net *net, int m) {
    ff_workspace *ws = &net->ws;
    ff_conv_layer *l0 = &net->layer[0];
    const size_t len = net->labels.len;
    float *base = ws->z[0], *base_conv = ws->dout + FFCNN_CLASSES * l0->out_len;
    float alpha = 0.0f, beta = 0.0f;
    for (int i = 0; i < m; i++)
        ff_label_decompose(base + i * len, &alpha, &beta, ws->image + i * len, &net->labels);
    ff_conv_scratch sc = ff_net_scratch(net);
    conv_layer_linear(l0, base_conv, base, m, &sc);
    for (int s = 0; s < FFCNN_CLASSES * m; s++) ws->coef[s] = rms_factor(ws->input + s * len, len);
    forward_conv_layer_labelled(l0, ws->y[0], ws->goodness[0], base_conv, ws->dout, ws->coef, alpha,
                                beta, m, &sc);
}

void ff_net_forward_layer_range(ffcnn_net *net, int l, int first, int n) {
    ff_workspace *ws = &net->ws;
    const ff_conv_layer *ly = &net->layer[l];
    const float *a = l == 0 ? ws->input + (size_t)first * net->labels.len
                            : ws->y[l - 1] + (size_t)first * net->layer[l - 1].out_len;
    ff_conv_scratch sc = ff_net_layer_scratch(net, l);
    const double *a_sumsq = l == 0 ? NULL : ws->goodness[l - 1] + first; /* sum of a^2 */
    forward_conv_layer(&net->layer[l], ws->y[l] + (size_t)first * ly->out_len,
                       ws->z[l] + (size_t)first * ly->in_len, ws->goodness[l] + first, a, a_sumsq,
                       n, &sc);
}

void ff_net_classifier_logits(ffcnn_net *net, int first, int n) {
    ff_workspace *ws = &net->ws;
    const int L = net->cfg.layers;
    const ff_conv_layer *last = &net->layer[L - 1];
#pragma omp parallel for schedule(static) num_threads(net->threads)
    for (int s = first; s < first + n; s++)
        rmsnorm_forward(ws->last_norm + (size_t)s * last->out_len,
                        ws->y[L - 1] + (size_t)s * last->out_len, last->out_len);
    memset(ws->logits, 0, sizeof(float) * (size_t)n * FFCNN_CLASSES);
    size_t col = 0;
    for (int l = ff_first_trained(net); l < L; l++) {
        /* A layer's normalised output is the next layer's normalised input. */
        const float *feat = l + 1 < L ? ws->z[l + 1] : ws->last_norm;
        const size_t len = net->layer[l].out_len;
        classifier_logits_accumulate(ws->logits, feat + (size_t)first * len, net->cls_w + col, n,
                                     len, net->cls_in, net->threads);
        col += len;
    }
}

const ffcnn_config *ffcnn_net_config(const ffcnn_net *net) {
    return &net->cfg;
}

/* Measures each layer's two paths for a training step of this network: the layer forward on
 * 3B samples (positives, negatives, neutral images), its gradient on 2B unless it is frozen. */
int ff_net_settle_paths(ffcnn_net *net, char *err) {
    if (net->paths_settled) return FFCNN_OK;
    int paths[FFCNN_MAX_LAYERS];
    const int B = net->cfg.batch;
    for (int l = 0; l < net->cfg.layers; l++) {
        const ff_conv_shape s = layer_shape(&net->cfg, l);
        const int rc = ff_conv_autotune(&net->timing[l], &s, 3 * B,
                                        ff_layer_trained(net, l) ? 2 * B : 0, net->threads, err);
        if (rc) return rc;
        paths[l] = net->timing[l].path;
    }
    const int rc = ff_net_make_layers(net, paths, err);
    net->paths_settled = rc == FFCNN_OK;
    return rc;
}

int ffcnn_net_set_conv_paths(ffcnn_net *net, const enum ffcnn_conv_path *paths, int n, char *err) {
    const int L = net->cfg.layers;
    if (n != 1 && n != L)
        return ff_fail(err, FFCNN_EINVAL, "--conv: %d paths for a network of %d layers", n, L);
    int chosen[FFCNN_MAX_LAYERS], measure = 0;
    for (int l = 0; l < L; l++) {
        const enum ffcnn_conv_path p = paths[n == 1 ? 0 : l];
        if (p < FFCNN_CONV_AUTO || p > FFCNN_CONV_FFT)
            return ff_fail(err, FFCNN_EINVAL, "--conv: path %d is not auto, im2col or fft", (int)p);
        if (p == FFCNN_CONV_AUTO) measure = 1;
        /* auto keeps a settled path (a loaded model's, or an earlier measurement) */
        chosen[l] = p != FFCNN_CONV_AUTO ? (int)p
                    : net->paths_settled ? net->layer[l].path
                                         : FF_CONV_AUTO;
    }
    if (measure && !net->paths_settled) {
        int rc = ff_net_settle_paths(net, err); /* times every layer, then forced ones win */
        if (rc) return rc;
        for (int l = 0; l < L; l++)
            if (chosen[l] == FF_CONV_AUTO) chosen[l] = net->layer[l].path;
    }
    const int rc = ff_net_make_layers(net, chosen, err);
    net->paths_settled = rc == FFCNN_OK;
    return rc;
}

int ffcnn_net_set_conv_path(ffcnn_net *net, enum ffcnn_conv_path path, char *err) {
    return ffcnn_net_set_conv_paths(net, &path, 1, err);
}

int ffcnn_net_conv_paths_settled(const ffcnn_net *net) {
    return net->paths_settled;
}

int ffcnn_net_layer_conv_timing(const ffcnn_net *net, int layer, double *im2col_seconds,
                                double *fft_seconds) {
    if (layer < 0 || layer >= net->cfg.layers || net->timing[layer].path == 0) return -1;
    *im2col_seconds = net->timing[layer].im2col_seconds;
    *fft_seconds = net->timing[layer].fft_seconds;
    return 0;
}

const char *ffcnn_net_layer_conv_path(const ffcnn_net *net, int layer) {
    if (layer < 0 || layer >= net->cfg.layers) return "none";
    return net->layer[layer].path == FF_CONV_FFT ? "fft" : "im2col";
}

void ffcnn_net_set_threads(ffcnn_net *net, int threads) {
    net->threads = threads < 1 ? 1 : threads;
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
