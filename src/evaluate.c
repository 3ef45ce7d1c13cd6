/* Inference (docs/method.md §6): goodness over all ten labels, and the linear head on the neutral
 * image; accuracy and confusion matrices. */
#include <string.h>

#include "classifier.h"
#include "network.h"
#include "util.h"

#define EVAL_CHUNK_SAMPLES                                                                         \
    80 /* samples per forward pass: small enough that a 32-channel layer's spectra stay in L3 */

/* Goodness summed over the trained layers for each label; predicts the best. */
static int goodness_prediction(const ffcnn_net *net, int first_sample) {
    double best = -1.0;
    int arg = 0;
    for (int c = 0; c < net->cfg.classes; c++) {
        double g = 0.0;
        for (int i = 0; i < net->n_layers; i++)
            if (ff_layer_trained(net, i)) g += net->ws.sumsq[i][first_sample + c];
        if (c == 0 || g > best) best = g, arg = c;
    }
    return arg;
}

/* Chunk layout: image i's labelled copies at K i..K i + K-1 for K classes (goodness), then the
 * m neutral copies in one block (linear head), so the head reads contiguous features. */
static void build_eval_chunk(ffcnn_net *net, const ffcnn_dataset *ds, int32_t start, int m,
                             int goodness, int linear) {
    ff_workspace *ws = &net->ws;
    const size_t len = net->labels.len;
    const int K = net->cfg.classes, neutral0 = goodness ? K * m : 0;
    if (net->cfg.algo == FFCNN_ALGO_BP) { /* no label in a BP network's input */
        for (int i = 0; i < m; i++) ff_net_load_plain_input(net, ds, start + i, i);
        return;
    }
    for (int i = 0; i < m; i++) {
        ff_net_load_image(net, ds, start + i, i);
        const float *img = ws->image + (size_t)i * len;
        for (int c = 0; goodness && c < K; c++)
            ff_label_overlay(ws->input + (size_t)(K * i + c) * len, img, &net->labels, c);
        if (linear)
            ff_label_overlay(ws->input + (size_t)(neutral0 + i) * len, img, &net->labels,
                             FF_NEUTRAL_LABEL);
    }
}

static int evaluate(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode,
                    ffcnn_eval_result *res, char *err);

int ffcnn_evaluate(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode,
                   ffcnn_eval_result *res, char *err) {
    const unsigned fp_mode = ff_flush_denormals_begin(net->threads);
    const int rc = evaluate(net, ds, mode, res, err);
    ff_flush_denormals_end(fp_mode, net->threads);
    return rc;
}

static int evaluate(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode,
                    ffcnn_eval_result *res, char *err) {
    memset(res, 0, sizeof *res);
    res->accuracy_goodness = res->accuracy_linear = -1.0;
    if (mode < FFCNN_EVAL_GOODNESS || mode > FFCNN_EVAL_BOTH)
        return ff_fail(err, FFCNN_EINVAL, "evaluation mode %d is not goodness, linear or both",
                       (int)mode);
    if (net->cfg.algo == FFCNN_ALGO_BP) {
        if (mode == FFCNN_EVAL_GOODNESS)
            return ff_fail(err, FFCNN_EINVAL,
                           "goodness inference: a backprop-trained model has no goodness (use "
                           "the linear head)");
        mode = FFCNN_EVAL_LINEAR;
    }
    int rc = ff_check_dataset(net, ds, "evaluation set", err);
    if (rc) return rc;
    const int goodness = (mode & FFCNN_EVAL_GOODNESS) != 0,
              linear = (mode & FFCNN_EVAL_LINEAR) != 0;
    const int K = net->cfg.classes, per_image = goodness * K + linear;
    const int chunk = EVAL_CHUNK_SAMPLES / per_image;
    if ((rc = ff_net_reserve(net, chunk * per_image, err))) return rc;
    if (goodness && (rc = ff_net_label_convolutions(net, err))) return rc;
    const double t0 = ff_now_seconds();
    int64_t hit_g = 0, hit_l = 0;
    for (int32_t start = 0; start < ds->n; start += chunk) {
        const int m = ds->n - start < chunk ? ds->n - start : chunk;
        build_eval_chunk(net, ds, start, m, goodness, linear);
        if (goodness) rc = ff_net_first_layer_all_labels(net, m, err);
        if (!rc && linear) rc = ff_net_forward_range(net, 0, goodness * K * m, m, err);
        for (int i = 1; !rc && i < net->n_layers; i++)
            rc = ff_net_forward_range(net, i, 0, m * per_image, err);
        if (rc) return rc;
        if (linear) ff_net_classifier_logits(net, goodness ? K * m : 0, m);
        for (int i = 0; i < m; i++) {
            const int y = ds->labels[start + i];
            if (goodness) {
                const int p = goodness_prediction(net, K * i);
                res->confusion_goodness[y][p]++;
                hit_g += p == y;
            }
            if (linear) {
                const int p = ff_classifier_argmax(net->ws.logits + (size_t)i * K);
                res->confusion_linear[y][p]++;
                hit_l += p == y;
            }
        }
    }
    res->n = ds->n;
    res->seconds = ff_now_seconds() - t0;
    res->images_per_s = ds->n / (res->seconds > 0 ? res->seconds : 1e-9);
    if (goodness) res->accuracy_goodness = ds->n ? (double)hit_g / ds->n : 0.0;
    if (linear) res->accuracy_linear = ds->n ? (double)hit_l / ds->n : 0.0;
    return FFCNN_OK;
}
