/* The backprop baseline (docs/method.md §12) against two independent truths:
 *
 * 1. Finite differences: every parameter of small networks (conv, max pooling, the RMS
 *    normalisations, the linear head) on both conv paths, central differences of the loss
 *    against the analytic gradient of ff_bp_gradients.
 * 2. PyTorch: tests/golden/make_golden_bp.py (autograd, torch.optim.Adam) wrote two BP steps of
 *    "c4k3 p2 c5k3" on 12x12 images into golden/bp_step.bin: activations, logits, loss, every
 *    gradient, and the parameters after each Adam step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ffcnn.h"
#include "golden_fixture.h"
#include "network.h"
#include "test_util.h"
#include "train.h"

#define GOLDEN_PATH "golden/bp_step.bin"

static ffcnn_dataset make_images(int n, int side, uint64_t seed) {
    const size_t len = (size_t)side * side;
    ffcnn_dataset ds = {n, 1, side, side, malloc(len * n), malloc((size_t)n)};
    float *tmp = malloc(sizeof(float) * len * n);
    test_fill_uniform(tmp, len * n, 0, 255.99f, seed);
    for (size_t i = 0; i < len * n; i++) ds.pixels[i] = (uint8_t)tmp[i];
    for (int i = 0; i < n; i++) ds.labels[i] = (uint8_t)((3 * i + 1) % FFCNN_CLASSES);
    free(tmp);
    return ds;
}

static ffcnn_net *make_bp_net(const char *spec, int side, enum ffcnn_conv_path path, int threads,
                              float lr) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_default(&c);
    c.algo = FFCNN_ALGO_BP;
    c.channels = 1, c.height = c.width = side;
    c.lr = lr;
    c.batch = 3;
    ffcnn_net *net = NULL;
    if (ffcnn_config_parse_net(&c, spec, err) || ffcnn_net_create(&net, &c, threads, err) ||
        ffcnn_net_set_conv_path(net, path, err)) {
        fprintf(stderr, "%s: %s\n", spec, err);
        ffcnn_net_free(net);
        return NULL;
    }
    return net;
}

/* The loss of rows [0, B), and the analytic gradients in net->grads. */
static double loss_and_grads(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows, int B) {
    ff_step_metrics m;
    memset(&m, 0, sizeof m);
    char err[FFCNN_ERR_LEN];
    const int rc = ff_bp_gradients(net, ds, rows, NULL, B, &m, err);
    CHECK(rc == FFCNN_OK, "ff_bp_gradients: %s", err);
    return rc ? NAN : m.last_loss;
}

/* Parameters changed behind the network's back: every layer re-reads its weights. */
static void params_changed(ffcnn_net *net) {
    for (int i = 0; i < net->n_layers; i++) net->layer[i].ops->update(&net->layer[i]);
}

/* The piece of the piecewise-smooth loss that the last forward pass sits on: each ReLU's on/off
 * and each pooling window's argmax (first maximum, as the backward pass takes it). */
static size_t activation_pattern(const ffcnn_net *net, int m, uint8_t *pat) {
    size_t k = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const ff_layer *l = &net->layer[i];
        const float *y = net->ws.out[i];
        if (l->spec.kind == FFCNN_LAYER_CONV) {
            for (size_t j = 0; j < (size_t)m * l->out_len; j++) pat[k++] = y[j] > 0.0f;
            continue;
        }
        const int S = l->spec.size;
        for (int s = 0; s < m; s++)
            for (int c = 0; c < l->out.c; c++)
                for (int oy = 0; oy < l->out.h; oy++)
                    for (int ox = 0; ox < l->out.w; ox++) {
                        const float *plane = net->ws.out[i - 1] + (size_t)s * l->in_len +
                                             (size_t)c * l->in.h * l->in.w;
                        int arg = 0;
                        for (int t = 1; t < S * S; t++)
                            if (plane[(oy * S + t / S) * l->in.w + ox * S + t % S] >
                                plane[(oy * S + arg / S) * l->in.w + ox * S + arg % S])
                                arg = t;
                        pat[k++] = (uint8_t)arg;
                    }
    }
    return k;
}

/* Central differences of every parameter against the analytic gradient. The loss is piecewise
 * smooth (ReLU, max pooling): a difference is compared only when the forward passes at p - h
 * and p + h sit on the same piece as at p (same ReLU pattern, same pooling argmax), where the
 * central difference is exact to O(h^2); the others are counted and must be few. The forward
 * pass is float, so the loss is rounded to ~1e-7: with h = 1e-3 a difference may be off by
 * about 5e-4 (the tolerance's floor; 1 % of the gradient above it). */
static void check_finite_differences(const char *spec, int side, enum ffcnn_conv_path path) {
    ffcnn_net *net = make_bp_net(spec, side, path, 2, 1e-3f);
    CHECK(net != NULL, "%s: network made", spec);
    if (!net) return;
    const int B = 4;
    ffcnn_dataset ds = make_images(B, side, 11);
    const int32_t rows[4] = {0, 1, 2, 3};
    test_fill_uniform(net->cls_w, (size_t)FFCNN_CLASSES * net->cls_in, -0.1f, 0.1f, 5);
    loss_and_grads(net, &ds, rows, B);
    const size_t P = net->n_params, cap = (size_t)B * 4 * (size_t)side * side * 64;
    uint8_t *base = malloc(cap), *pat = malloc(cap);
    const size_t plen = activation_pattern(net, B, base);
    float *analytic = malloc(P * sizeof(float));
    memcpy(analytic, net->grads, P * sizeof(float));
    const float h = 1e-3f;
    double worst = 0.0, gmax = 0.0;
    size_t worst_i = 0, compared = 0;
    for (size_t k = 0; k < P; k++) {
        const float p0 = net->params[k];
        double loss[2];
        int same_piece = 1;
        for (int side_of = 0; side_of < 2; side_of++) {
            net->params[k] = side_of ? p0 - h : p0 + h;
            params_changed(net);
            loss[side_of] = loss_and_grads(net, &ds, rows, B);
            same_piece &= activation_pattern(net, B, pat) == plen && !memcmp(pat, base, plen);
        }
        net->params[k] = p0;
        params_changed(net);
        if (fabs(analytic[k]) > gmax) gmax = fabs(analytic[k]);
        if (!same_piece) continue;
        compared++;
        const double fd = (loss[0] - loss[1]) / (2.0 * h);
        /* rounding: a few ulps of the loss (~2.4e-7 each near 2.3) over 2h, about 5e-4 */
        const double err = fabs(fd - analytic[k]) / (5e-4 + 1e-2 * fabs(analytic[k]));
        if (err > worst) worst = err, worst_i = k;
    }
    const char *pname = path == FFCNN_CONV_FFT ? "fft" : "im2col";
    printf("  %-14s %-6s %5zu parameters, %5zu on one piece: worst |fd - g| / (5e-4 + 0.01 |g|) "
           "= %.2f at [%zu], largest |g| %.3f\n",
           spec, pname, P, compared, worst, worst_i, gmax);
    CHECK(worst <= 1.0, "%s (%s): finite difference of parameter %zu: %.2f of the tolerance", spec,
          pname, worst_i, worst);
    CHECK(compared >= P * 9 / 10, "%s (%s): only %zu of %zu parameters compared", spec, pname,
          compared, P);
    CHECK(gmax > 1e-2, "%s: the gradient is not trivially small (%.3g)", spec, gmax);
    free(analytic);
    free(base);
    free(pat);
    ffcnn_dataset_free(&ds);
    ffcnn_net_free(net);
}

/* ---- the PyTorch fixture ---- */

/* The fixture's parameter tensors: w1, b1 (list layer 0), w2, b2 (list layer 2), wc (the head).
 * Tensor k of the network, or of its gradients, and its length. */
#define GOLDEN_TENSORS 5
static const char *const GOLDEN_NAMES[GOLDEN_TENSORS] = {"w1", "b1", "w2", "b2", "wc"};

static float *golden_tensor(ffcnn_net *net, int k, int grad, size_t *n) {
    if (k == 4) {
        *n = (size_t)FFCNN_CLASSES * net->cls_in;
        return grad ? net->cls_dw : net->cls_w;
    }
    ff_conv_layer *c = &net->layer[k < 2 ? 0 : 2].conv;
    const int bias = k % 2;
    *n = bias ? (size_t)c->shape.out_ch : (size_t)c->shape.out_ch * ff_conv_patch_len(&c->shape);
    return bias ? (grad ? c->db : c->b) : (grad ? c->dw : c->w);
}

/* Loads the fixture's initial parameters into the network. */
static int load_golden_params(ffcnn_net *net) {
    for (int k = 0; k < GOLDEN_TENSORS; k++) {
        size_t n;
        float *dst = golden_tensor(net, k, 0, &n);
        const float *g = gold("", GOLDEN_NAMES[k], n);
        if (!g) return -1;
        memcpy(dst, g, n * sizeof(float));
    }
    params_changed(net);
    return 0;
}

/* The parameters after a step against the fixture's (suffix "_1" or "_2"). */
static void compare_params(const char *tag, ffcnn_net *net, const char *suffix) {
    for (int k = 0; k < GOLDEN_TENSORS; k++) {
        char name[16];
        size_t n;
        const float *got = golden_tensor(net, k, 0, &n);
        snprintf(name, sizeof name, "%s%s", GOLDEN_NAMES[k], suffix);
        compare_f(tag, name, got, gold("", name, n), n, CMP_ABS, 1e-5);
    }
}

/* The gradients ("dw1" ... "dwc") against the fixture's. */
static void compare_grads(const char *tag, ffcnn_net *net) {
    for (int k = 0; k < GOLDEN_TENSORS; k++) {
        char name[16];
        size_t n;
        const float *got = golden_tensor(net, k, 1, &n);
        snprintf(name, sizeof name, "d%s", GOLDEN_NAMES[k]);
        compare_f(tag, name, got, gold("", name, n), n, CMP_REL_MAX, 1e-4);
    }
}

static void check_golden(enum ffcnn_conv_path path, int threads) {
    char tag[32];
    snprintf(tag, sizeof tag, "%s/%dt: ", path == FFCNN_CONV_FFT ? "fft" : "im2col", threads);
    printf("golden BP steps, %s\n", tag);
    ffcnn_net *net = make_bp_net("c4k3 p2 c5k3", 12, path, threads, 1e-2f);
    CHECK(net != NULL, "golden network made");
    const float *px = gold("", "pixels", 3 * 144), *lab = gold("", "labels", 3);
    if (!net || !px || !lab || load_golden_params(net)) {
        ffcnn_net_free(net);
        return;
    }
    ffcnn_dataset ds = make_images(3, 12, 1);
    for (int i = 0; i < 3 * 144; i++) ds.pixels[i] = (uint8_t)px[i];
    for (int i = 0; i < 3; i++) ds.labels[i] = (uint8_t)lab[i];
    const int32_t rows[3] = {0, 1, 2};
    const double loss = loss_and_grads(net, &ds, rows, 3);
    const float *want_loss = gold("", "loss", 1);
    if (want_loss) CHECK_CLOSE(loss, want_loss[0], 1e-5, "step 1 loss");
    const ff_workspace *ws = &net->ws;
    compare_f(tag, "y1", ws->out[0], gold("", "y1", 3 * 4 * 144), 3 * 4 * 144, CMP_REL, 1e-4);
    compare_f(tag, "p1", ws->out[1], gold("", "p1", 3 * 4 * 36), 3 * 4 * 36, CMP_REL, 1e-4);
    compare_f(tag, "y2", ws->out[2], gold("", "y2", 3 * 5 * 36), 3 * 5 * 36, CMP_REL, 1e-4);
    compare_f(tag, "feat", ws->norm_out[2], gold("", "feat", 3 * 180), 3 * 180, CMP_REL, 1e-4);
    compare_f(tag, "logits", ws->logits, gold("", "logits", 30), 30, CMP_REL, 1e-4);
    compare_grads(tag, net);
    char err[FFCNN_ERR_LEN];
    CHECK(ff_net_update(net, 1e-2f, 1e-2f, err) == FFCNN_OK, "Adam step 1: %s", err);
    compare_params(tag, net, "_1");
    const double loss2 = loss_and_grads(net, &ds, rows, 3);
    const float *want_loss2 = gold("", "loss_2", 1);
    if (want_loss2) CHECK_CLOSE(loss2, want_loss2[0], 1e-5, "step 2 loss");
    CHECK(ff_net_update(net, 1e-2f, 1e-2f, err) == FFCNN_OK, "Adam step 2: %s", err);
    compare_params(tag, net, "_2");
    ffcnn_dataset_free(&ds);
    ffcnn_net_free(net);
}

/* A model file records the algorithm; the loaded BP model evaluates like the one in memory and
 * refuses goodness inference. */
static void check_model_file(void) {
    ffcnn_net *net = make_bp_net("c4k3 p2 c5k3", 12, FFCNN_CONV_IM2COL, 1, 1e-2f);
    ffcnn_dataset ds = make_images(30, 12, 7);
    char err[FFCNN_ERR_LEN], path[64];
    snprintf(path, sizeof path, "/tmp/ffcnn_test_bp_%d.ffm", (int)getpid());
    CHECK(net && ffcnn_train_epoch(net, &ds, NULL, NULL, NULL, err) == FFCNN_OK, "BP epoch: %s",
          err);
    CHECK(net && ffcnn_save(net, path, err) == FFCNN_OK, "save: %s", err);
    ffcnn_net *back = NULL;
    CHECK(ffcnn_load(&back, path, 1, err) == FFCNN_OK, "load: %s", err);
    if (net && back) {
        CHECK(ffcnn_net_config(back)->algo == FFCNN_ALGO_BP, "the file records algo bp");
        ffcnn_eval_result a, b;
        CHECK(ffcnn_evaluate(net, &ds, FFCNN_EVAL_BOTH, &a, err) == FFCNN_OK, "eval: %s", err);
        CHECK(ffcnn_evaluate(back, &ds, FFCNN_EVAL_BOTH, &b, err) == FFCNN_OK, "eval: %s", err);
        CHECK(a.accuracy_linear == b.accuracy_linear && a.accuracy_goodness < 0,
              "loaded model: linear accuracy %g (in memory %g), no goodness", b.accuracy_linear,
              a.accuracy_linear);
        CHECK(ffcnn_evaluate(back, &ds, FFCNN_EVAL_GOODNESS, &b, err) == FFCNN_EINVAL &&
                  strstr(err, "no goodness"),
              "goodness inference of a BP model is refused: %s", err);
    }
    remove(path);
    ffcnn_net_free(back);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

int main(int argc, char **argv) {
    printf("finite differences of the BP loss\n");
    check_finite_differences("c3k3 p2 c4k3", 10, FFCNN_CONV_IM2COL);
    check_finite_differences("c3k3 p2 c4k3", 10, FFCNN_CONV_FFT);
    check_finite_differences("c3k5 c4k3", 8, FFCNN_CONV_IM2COL);
    check_finite_differences("c3k5 c4k3", 8, FFCNN_CONV_FFT);
    check_finite_differences("c2k3 c3k3 p2", 8, FFCNN_CONV_FFT); /* the head reads pooled maps */
    if (gold_load(argc > 1 ? argv[1] : GOLDEN_PATH) != 0) {
        CHECK(0, "cannot read the fixture %s", GOLDEN_PATH);
        return test_summary();
    }
    check_golden(FFCNN_CONV_IM2COL, 1);
    check_golden(FFCNN_CONV_IM2COL, 2);
    check_golden(FFCNN_CONV_FFT, 2);
    gold_free();
    check_model_file();
    return test_summary();
}
