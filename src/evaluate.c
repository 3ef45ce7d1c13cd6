/* Inference (docs/method.md §6): goodness over all K labels, and the linear head on the neutral
 * image; accuracy and confusion matrices, or each image's scores. */
#include <math.h>
#include <string.h>

#include "evaluate.h"

#include "classifier.h"
#include "network.h"
#include "util.h"

#define EVAL_CHUNK_SAMPLES                                                                         \
    80 /* samples per forward pass: small enough that a 32-channel layer's spectra stay in L3 */

/* Images per chunk: EVAL_CHUNK_SAMPLES samples, but at least one image, whose K + 1 copies
 * (K labels and the neutral one) exceed it when K is large (up to FFCNN_MAX_CLASSES). */
static int eval_chunk_images(int per_image) {
    const int m = EVAL_CHUNK_SAMPLES / per_image;
    return m > 0 ? m : 1;
}

/* The goodness of labelled sample `sample`, summed over the scored layers (ff_layer_scored). */
static double label_goodness(const ffcnn_net *net, int sample) {
    double g = 0.0;
    for (int i = 0; i < net->n_layers; i++)
        if (ff_layer_scored(net, i))
            g += ff_goodness_scale(net, &net->layer[i]) * net->ws.sumsq[i][sample];
    return g;
}

/* Each class's score (g[classes]) of the image whose labelled copies start at first_sample =
 * classes * i: its goodness under that label, or under --ff-loss cwc the class's channel groups'
 * goodness, summed over the scored layers by eval_run_cwc at the same place of ws.group_score.
 * Returns the best, the first on ties. */
static int goodness_scores(const ffcnn_net *net, int first_sample, double *g) {
    int arg = 0;
    for (int c = 0; c < net->cfg.classes; c++) {
        g[c] = ff_net_is_cwc(net) ? net->ws.group_score[first_sample + c]
                                  : label_goodness(net, first_sample + c);
        if (g[c] > g[arg]) arg = c;
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
    /* Evaluation never augments (NULL): it scores the images as they are. */
    if (net->cfg.algo == FFCNN_ALGO_BP) { /* no label in a BP network's input */
        for (int i = 0; i < m; i++) ff_net_load_plain_input(net, ds, start + i, i, NULL);
        return;
    }
    for (int i = 0; i < m; i++) {
        ff_net_load_image(net, ds, start + i, i, NULL);
        const float *img = ws->image + (size_t)i * len;
        for (int c = 0; goodness && c < K; c++)
            ff_label_overlay(ws->input + (size_t)(K * i + c) * len, img, &net->labels, c);
        if (linear)
            ff_label_overlay(ws->input + (size_t)(neutral0 + i) * len, img, &net->labels,
                             FF_NEUTRAL_LABEL);
    }
}

int ff_eval_check_mode(const ffcnn_net *net, enum ffcnn_eval_mode *mode, char *err) {
    if (*mode < FFCNN_EVAL_GOODNESS || *mode > FFCNN_EVAL_BOTH)
        return ff_fail(err, FFCNN_EINVAL, "evaluation mode %d is not goodness, linear or both",
                       (int)*mode);
    if (net->cfg.algo == FFCNN_ALGO_BP) {
        if (*mode == FFCNN_EVAL_GOODNESS)
            return ff_fail(err, FFCNN_EINVAL,
                           "goodness inference: a backprop-trained model has no goodness (use "
                           "the linear head)");
        *mode = FFCNN_EVAL_LINEAR;
    }
    return FFCNN_OK;
}

/* ws.group_score[s K + k] += the scaled goodness of channel group k of layer i, for m images. */
static void add_group_scores(ffcnn_net *net, int i, int m) {
    ff_workspace *ws = &net->ws;
    const size_t n = (size_t)m * net->cfg.classes;
    const double scale = ff_goodness_scale(net, &net->layer[i]);
    ff_net_group_goodness(net, i, 0, m, ws->group_sumsq);
    for (size_t j = 0; j < n; j++) ws->group_score[j] += scale * ws->group_sumsq[j];
}

/* ff_eval_run under --ff-loss cwc (docs/method.md §13): one pass of each plain image serves
 * goodness inference (each scored layer's channel groups, read before the next layer normalises
 * them in place) and the head. */
static int eval_run_cwc(ffcnn_net *net, const ffcnn_dataset *ds, ff_eval_pass *p, char *err) {
    const int chunk = EVAL_CHUNK_SAMPLES, K = net->cfg.classes;
    int rc = ff_net_reserve(net, chunk, err);
    for (int32_t start = 0; !rc && start < ds->n; start += chunk) {
        const int m = ds->n - start < chunk ? ds->n - start : chunk;
        for (int i = 0; i < m; i++) ff_net_load_plain_input(net, ds, start + i, i, NULL);
        memset(net->ws.group_score, 0, sizeof(double) * (size_t)m * K);
        for (int i = 0; !rc && i < net->n_layers; i++) {
            rc = ff_net_forward_range(net, i, 0, m, err);
            if (!rc && p->goodness && ff_layer_scored(net, i)) add_group_scores(net, i, m);
        }
        if (rc) break;
        if (p->linear) ff_net_classifier_logits(net, 0, m);
        p->visit(p, net, start, m);
    }
    return rc;
}

int ff_eval_run(ffcnn_net *net, const ffcnn_dataset *ds, ff_eval_pass *p, char *err) {
    if (ff_net_is_cwc(net)) return eval_run_cwc(net, ds, p, err);
    const int goodness = p->goodness, linear = p->linear;
    const int K = net->cfg.classes, per_image = goodness * K + linear;
    const int chunk = eval_chunk_images(per_image);
    int rc = ff_net_reserve(net, chunk * per_image, err);
    if (rc) return rc;
    /* Layer 1 once for all labels (docs/method.md §11) where the label is a fixed pattern added
     * to the image; morph labels transform the image, so each labelled copy is convolved. */
    const int affine = ff_label_affine(&net->labels);
    if (goodness && affine && (rc = ff_net_label_convolutions(net, err))) return rc;
    for (int32_t start = 0; start < ds->n; start += chunk) {
        const int m = ds->n - start < chunk ? ds->n - start : chunk;
        build_eval_chunk(net, ds, start, m, goodness, linear);
        if (goodness && affine) rc = ff_net_first_layer_all_labels(net, m, err);
        if (goodness && !affine) rc = ff_net_forward_range(net, 0, 0, K * m, err);
        if (!rc && linear) rc = ff_net_forward_range(net, 0, goodness * K * m, m, err);
        for (int i = 1; !rc && i < net->n_layers; i++)
            rc = ff_net_forward_range(net, i, 0, m * per_image, err);
        if (rc) return rc;
        if (linear) ff_net_classifier_logits(net, goodness ? K * m : 0, m);
        p->visit(p, net, start, m);
    }
    return FFCNN_OK;
}

typedef struct tally {
    const ffcnn_dataset *ds;
    ffcnn_eval_result *res;
    int64_t hit_g, hit_l;
} tally;

static void tally_chunk(ff_eval_pass *p, const ffcnn_net *net, int32_t start, int m) {
    tally *t = p->user;
    const int K = net->cfg.classes;
    double g[FFCNN_MAX_CLASSES];
    for (int i = 0; i < m; i++) {
        const int y = t->ds->labels[start + i];
        if (p->goodness) {
            const int pred = goodness_scores(net, K * i, g);
            t->res->confusion_goodness[y][pred]++;
            t->hit_g += pred == y;
        }
        if (p->linear) {
            const int pred = ff_classifier_argmax(net->ws.logits + (size_t)i * K, K);
            t->res->confusion_linear[y][pred]++;
            t->hit_l += pred == y;
        }
    }
}

static int evaluate(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode,
                    ffcnn_eval_result *res, char *err) {
    memset(res, 0, sizeof *res);
    res->classes = net->cfg.classes;
    res->accuracy_goodness = res->accuracy_linear = -1.0;
    int rc = ff_eval_check_mode(net, &mode, err);
    if (!rc) rc = ff_check_dataset(net, ds, "evaluation set", err);
    if (rc) return rc;
    tally t = {ds, res, 0, 0};
    ff_eval_pass p = {(mode & FFCNN_EVAL_GOODNESS) != 0, (mode & FFCNN_EVAL_LINEAR) != 0,
                      tally_chunk, &t};
    const double t0 = ff_now_seconds();
    if ((rc = ff_eval_run(net, ds, &p, err))) return rc;
    res->n = ds->n;
    res->seconds = ff_now_seconds() - t0;
    res->images_per_s = ds->n / (res->seconds > 0 ? res->seconds : 1e-9);
    if (p.goodness) res->accuracy_goodness = ds->n ? (double)t.hit_g / ds->n : 0.0;
    if (p.linear) res->accuracy_linear = ds->n ? (double)t.hit_l / ds->n : 0.0;
    return FFCNN_OK;
}

int ffcnn_evaluate(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode,
                   ffcnn_eval_result *res, char *err) {
    const unsigned fp_mode = ff_flush_denormals_begin(net->threads);
    const int rc = evaluate(net, ds, mode, res, err);
    ff_flush_denormals_end(fp_mode, net->threads);
    return rc;
}

/* Softmax of K logits into p, in double. */
static void softmax(double *p, const float *z, int K) {
    const double max = z[ff_classifier_argmax(z, K)];
    double sum = 0.0;
    for (int c = 0; c < K; c++) sum += p[c] = exp((double)z[c] - max);
    for (int c = 0; c < K; c++) p[c] /= sum;
}

static void score_chunk(ff_eval_pass *p, const ffcnn_net *net, int32_t start, int m) {
    double *scores = p->user;
    const int K = net->cfg.classes;
    for (int i = 0; i < m; i++) {
        double *row = scores + (size_t)(start + i) * K;
        if (p->goodness)
            goodness_scores(net, K * i, row);
        else
            softmax(row, net->ws.logits + (size_t)i * K, K);
    }
}

static int scores(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode, double *out,
                  char *err) {
    if (mode == FFCNN_EVAL_BOTH)
        return ff_fail(err, FFCNN_EINVAL, "scores: choose goodness or linear, not both");
    int rc = ff_eval_check_mode(net, &mode, err);
    if (rc) return rc;
    ffcnn_dataset unlabelled = *ds; /* the labels are not needed: only the shape is checked */
    unlabelled.n = 0;
    if ((rc = ff_check_dataset(net, &unlabelled, "scored images", err))) return rc;
    ff_eval_pass p = {mode == FFCNN_EVAL_GOODNESS, mode == FFCNN_EVAL_LINEAR, score_chunk, out};
    return ff_eval_run(net, ds, &p, err);
}

int ffcnn_scores(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode, double *out,
                 char *err) {
    const unsigned fp_mode = ff_flush_denormals_begin(net->threads);
    const int rc = scores(net, ds, mode, out, err);
    ff_flush_denormals_end(fp_mode, net->threads);
    return rc;
}
