/* Per-image scores, class activation maps and labelled images (docs/method.md §6, §7) on small
 * trained networks: scores pick exactly what ffcnn_evaluate picks, the CAM of every class sums
 * to the head's logit for it (the head is bias-free), probabilities are a softmax of those
 * logits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffcnn.h"
#include "network.h"
#include "test_util.h"

static ffcnn_dataset make_data(int n, int side) {
    const size_t len = (size_t)side * side;
    ffcnn_dataset ds = {n, 1, side, side, malloc(n * len), malloc((size_t)n)};
    float *tmp = malloc(sizeof(float) * n * len);
    test_fill_uniform(tmp, n * len, 0, 255.99f, 7);
    for (size_t i = 0; i < n * len; i++) ds.pixels[i] = (uint8_t)tmp[i];
    for (int i = 0; i < n; i++) ds.labels[i] = (uint8_t)(i % 10);
    free(tmp);
    return ds;
}

static ffcnn_net *trained(const char *layers, int algo, const ffcnn_dataset *ds) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_preset(&c, "tiny", NULL);
    c.height = ds->height, c.width = ds->width;
    c.batch = 8, c.seed = 5, c.algo = algo, c.lr = 0.01f;
    ffcnn_net *net = NULL;
    if (ffcnn_config_parse_net(&c, layers, err) || ffcnn_net_create(&net, &c, 2, err) ||
        ffcnn_train_epoch(net, ds, NULL, NULL, NULL, err)) {
        fprintf(stderr, "%s: %s\n", layers, err);
        ffcnn_net_free(net);
        return NULL;
    }
    return net;
}

/* The class ffcnn_evaluate predicts for image i, read off its one-image confusion matrix. */
static int evaluated_class(ffcnn_net *net, const ffcnn_dataset *ds, int i, int goodness) {
    ffcnn_dataset one = *ds;
    one.n = 1, one.pixels += (size_t)i * ds->height * ds->width, one.labels += i;
    ffcnn_eval_result r;
    char err[FFCNN_ERR_LEN];
    if (ffcnn_evaluate(net, &one, goodness ? FFCNN_EVAL_GOODNESS : FFCNN_EVAL_LINEAR, &r, err))
        return -1;
    for (int p = 0; p < FFCNN_CLASSES; p++)
        if ((goodness ? r.confusion_goodness : r.confusion_linear)[ds->labels[i]][p]) return p;
    return -1;
}

static int argmax(const double *s) {
    int a = 0;
    for (int c = 1; c < FFCNN_CLASSES; c++)
        if (s[c] > s[a]) a = c;
    return a;
}

static void check_scores(ffcnn_net *net, const ffcnn_dataset *ds, const char *what, int ff) {
    char err[FFCNN_ERR_LEN];
    double *s = calloc((size_t)ds->n * FFCNN_CLASSES, sizeof(double));
    for (int goodness = ff; goodness >= 0; goodness--) {
        const int rc =
            ffcnn_scores(net, ds, goodness ? FFCNN_EVAL_GOODNESS : FFCNN_EVAL_LINEAR, s, err);
        CHECK(rc == 0, "%s: scores (%s): %s", what, goodness ? "goodness" : "linear", err);
        int same = 1, unit_sum = 1;
        for (int i = 0; i < ds->n; i++) {
            const double *row = s + (size_t)i * FFCNN_CLASSES;
            same &= argmax(row) == evaluated_class(net, ds, i, goodness);
            double sum = 0;
            for (int c = 0; c < FFCNN_CLASSES; c++) sum += row[c];
            if (!goodness) unit_sum &= fabs(sum - 1.0) < 1e-9;
        }
        CHECK(same, "%s: the largest %s score is the class ffcnn_evaluate predicts, every image",
              what, goodness ? "goodness" : "linear");
        CHECK(unit_sum, "%s: probabilities sum to 1", what);
    }
    if (!ff) {
        ffcnn_dataset unlabelled = *ds;
        unlabelled.labels = NULL;
        CHECK(ffcnn_scores(net, &unlabelled, FFCNN_EVAL_GOODNESS, s, err) == FFCNN_EINVAL &&
                  strstr(err, "no goodness"),
              "%s: goodness scores refused: %s", what, err);
    }
    CHECK(ffcnn_scores(net, ds, FFCNN_EVAL_BOTH, s, err) == FFCNN_EINVAL, "%s: both refused: %s",
          what, err);
    free(s);
}

/* Sum of every map's pixels against the head's logit, each class; map sizes by layer. */
static void check_cam(ffcnn_net *net, const ffcnn_dataset *ds, const char *what, int n_maps,
                      const int *sides) {
    ffcnn_cam_layer layers[FFCNN_MAX_LAYERS];
    size_t total = 0;
    const int n = ffcnn_cam_layers(net, layers, &total);
    int shapes = n == n_maps;
    for (int j = 0; shapes && j < n; j++)
        shapes &= layers[j].height == sides[j] && layers[j].width == sides[j];
    CHECK(shapes, "%s: %d maps of the expected sizes (got %d)", what, n_maps, n);
    float *maps = malloc(sizeof(float) * total), logits[FFCNN_CLASSES];
    double *probs = malloc(sizeof(double) * (size_t)ds->n * FFCNN_CLASSES);
    char err[FFCNN_ERR_LEN];
    ffcnn_scores(net, ds, FFCNN_EVAL_LINEAR, probs, err);
    double worst = 0, worst_p = 0, largest = 0;
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < FFCNN_CLASSES; c++) {
            if (ffcnn_cam(net, ds, i, c, maps, logits, err)) {
                CHECK(0, "%s: cam: %s", what, err);
                goto out;
            }
            double sum = 0;
            for (size_t p = 0; p < total; p++) sum += maps[p];
            worst = fmax(worst, fabs(sum - logits[c]));
            largest = fmax(largest, fabs(logits[c]));
            double z = 0; /* the probability from these logits, as a softmax */
            for (int k = 0; k < FFCNN_CLASSES; k++) z += exp((double)logits[k] - logits[c]);
            worst_p = fmax(worst_p, fabs(1.0 / z - probs[(size_t)i * FFCNN_CLASSES + c]));
        }
    CHECK(largest > 1e-3, "%s: the trained head gives non-zero logits (largest %g)", what, largest);
    CHECK(worst <= 1e-5 * fmax(1.0, largest),
          "%s: every class's maps sum to its logit (worst |sum - logit| %g, largest logit %g)",
          what, worst, largest);
    CHECK(worst_p < 1e-6, "%s: linear scores are the softmax of the CAM's logits (worst %g)", what,
          worst_p);
    CHECK(ffcnn_cam(net, ds, ds->n, 0, maps, NULL, err) == FFCNN_EINVAL && strstr(err, "index"),
          "%s: an index past the set is refused: %s", what, err);
    CHECK(ffcnn_cam(net, ds, 0, FFCNN_CLASSES, maps, NULL, err) == FFCNN_EINVAL &&
              strstr(err, "class"),
          "%s: a class past the last is refused: %s", what, err);
out:
    free(maps);
    free(probs);
}

static void test_networks(void) {
    ffcnn_dataset ds = make_data(24, 12);
    const int flat[] = {12, 12}, pooled[] = {6}, bp[] = {6};
    ffcnn_net *a = trained("c4k3 c4k3 c4k3", FFCNN_ALGO_FF, &ds);
    ffcnn_net *b = trained("c4k3 p2 c5k3", FFCNN_ALGO_FF, &ds);
    ffcnn_net *c = trained("c4k3 p2 c5k3", FFCNN_ALGO_BP, &ds);
    CHECK(a && b && c, "three small networks train");
    if (a) check_scores(a, &ds, "FF 3 layers", 1), check_cam(a, &ds, "FF 3 layers", 2, flat);
    if (b) check_scores(b, &ds, "FF pooled", 1), check_cam(b, &ds, "FF pooled", 1, pooled);
    if (c) check_scores(c, &ds, "BP pooled", 0), check_cam(c, &ds, "BP pooled", 1, bp);
    ffcnn_net_free(a), ffcnn_net_free(b), ffcnn_net_free(c);
    ffcnn_dataset_free(&ds);
}

/* An untrained FF network with every layer trained from layer 1 and one conv path, so that two
 * networks of one seed share their first layer's weights and arithmetic. */
static ffcnn_net *created(const char *layers, const ffcnn_dataset *ds) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_preset(&c, "tiny", NULL);
    c.height = ds->height, c.width = ds->width, c.seed = 9, c.train_from = 1;
    ffcnn_net *net = NULL;
    if (ffcnn_config_parse_net(&c, layers, err) || ffcnn_net_create(&net, &c, 1, err) ||
        ffcnn_net_set_conv_path(net, FFCNN_CONV_IM2COL, err)) {
        fprintf(stderr, "%s: %s\n", layers, err);
        ffcnn_net_free(net);
        return NULL;
    }
    return net;
}

/* --score-from 2 (docs/method.md §6): the scores of a two-layer network from layer 2 on are its
 * scores from layer 1 less layer 1's goodness, which a one-layer network with the same first
 * layer gives by itself; 0 restores every layer; layers that are not trained are refused. */
static void test_score_from(void) {
    ffcnn_dataset ds = make_data(6, 12);
    const size_t n = (size_t)ds.n * FFCNN_CLASSES;
    double *all = malloc(n * sizeof(double)), *from2 = malloc(n * sizeof(double)),
           *first = malloc(n * sizeof(double)), *again = malloc(n * sizeof(double));
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_net *two = created("c4k3 c4k3", &ds), *one = created("c4k3", &ds);
    int rc = !two || !one || ffcnn_scores(two, &ds, FFCNN_EVAL_GOODNESS, all, err) ||
             ffcnn_net_set_score_from(two, 2, err) ||
             ffcnn_scores(two, &ds, FFCNN_EVAL_GOODNESS, from2, err) ||
             ffcnn_scores(one, &ds, FFCNN_EVAL_GOODNESS, first, err) ||
             ffcnn_net_set_score_from(two, 0, err) ||
             ffcnn_scores(two, &ds, FFCNN_EVAL_GOODNESS, again, err);
    CHECK(!rc, "score-from: scores: %s", err);
    double worst = 0, least = INFINITY;
    for (size_t i = 0; !rc && i < n; i++) {
        worst = fmax(worst, fabs(all[i] - from2[i] - first[i]) / all[i]);
        least = fmin(least, first[i] / all[i]);
        if (again[i] != all[i]) worst = INFINITY;
    }
    CHECK(!rc && worst < 1e-6 && least > 0.01,
          "score-from 2 drops exactly layer 1's goodness (%.2g relative; layer 1 is at least "
          "%.2f of the total); 0 restores it",
          worst, least);
    CHECK(two && ffcnn_net_set_score_from(two, 3, err) == FFCNN_EINVAL &&
              strstr(err, "--score-from: 3 is not one of the 2 conv layers"),
          "score-from past the last conv layer refused: %s", err);
    ffcnn_net *late = trained("c4k3 c4k3", FFCNN_ALGO_FF, &ds); /* tiny trains from layer 2 */
    CHECK(late && ffcnn_net_set_score_from(late, 1, err) == FFCNN_EINVAL &&
              strstr(err, "layer 1 is not trained"),
          "score-from an untrained layer refused: %s", err);
    ffcnn_net_free(two), ffcnn_net_free(one), ffcnn_net_free(late);
    free(all), free(from2), free(first), free(again);
    ffcnn_dataset_free(&ds);
}

/* The labelled image is (1 - K) x + K L with x in [0, 1] (docs/method.md §2). */
static void test_label_image(void) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_default(&c);
    const size_t len = 784;
    float *pattern = malloc(len * sizeof(float)), *labelled = malloc(len * sizeof(float));
    uint8_t *img = malloc(len);
    for (size_t i = 0; i < len; i++) img[i] = (uint8_t)(i * 7);
    double worst = 0;
    for (int label = 0; label <= FFCNN_CLASSES; label++) {
        if (ffcnn_label_image(&c, label, NULL, pattern, err) ||
            ffcnn_label_image(&c, label, img, labelled, err)) {
            CHECK(0, "label image %d: %s", label, err);
            break;
        }
        for (size_t i = 0; i < len; i++)
            worst = fmax(worst, fabs(labelled[i] -
                                     ((1 - c.label_k) * img[i] / 255.0f + c.label_k * pattern[i])));
    }
    CHECK(worst < 1e-6, "labelled image = (1-K) x + K L for every label (worst %g)", worst);
    CHECK(ffcnn_label_image(&c, FFCNN_CLASSES + 1, NULL, pattern, err) == FFCNN_EINVAL &&
              strstr(err, "label 11"),
          "a label past neutral is refused: %s", err);
    free(pattern), free(labelled), free(img);
}

/* ---- --ff-loss cwc (docs/method.md §13) ---- */

/* One conv layer in double from the net's weights: z = a / (rms(a) + 1e-8), y = relu(b + w * z)
 * ('same' cross-correlation), into y (C x H x W). */
static void hand_conv_layer(double *y, const double *a, const ff_layer *l) {
    const ff_conv_shape *s = &l->conv.shape;
    const int H = s->height, W = s->width, k = s->kernel, p = k / 2;
    const size_t in_len = (size_t)s->in_ch * H * W;
    double ss = 0.0;
    for (size_t i = 0; i < in_len; i++) ss += a[i] * a[i];
    const double r = 1.0 / (sqrt(ss / (double)in_len) + 1e-8);
    for (int o = 0; o < s->out_ch; o++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double v = l->conv.b[o];
                for (int c = 0; c < s->in_ch; c++)
                    for (int di = 0; di < k; di++)
                        for (int dj = 0; dj < k; dj++) {
                            const int ii = i + di - p, jj = j + dj - p;
                            if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
                            v += l->conv.w[((o * s->in_ch + c) * k + di) * k + dj] * r *
                                 a[((size_t)c * H + ii) * W + jj];
                        }
                y[((size_t)o * H + i) * W + j] = v > 0 ? v : 0;
            }
}

/* An image's cwc scores by hand: for each conv layer from `from` (1-based) on, class k gets the
 * mean of the squares of its channel group (K / N times the group's sum of squares). */
static void hand_cwc_scores(double *score, const ffcnn_net *net, const uint8_t *img, int from) {
    const int K = net->cfg.classes;
    double a[4096], y[4096];
    const size_t len = (size_t)net->cfg.channels * net->cfg.height * net->cfg.width;
    for (size_t i = 0; i < len; i++) a[i] = img[i] / 255.0;
    for (int k = 0; k < K; k++) score[k] = 0.0;
    for (int i = 0; i < net->n_layers; i++) {
        const ff_layer *l = &net->layer[i];
        hand_conv_layer(y, a, l);
        const size_t group = l->out_len / (size_t)K;
        for (int k = 0; k < K && l->conv_index + 1 >= from; k++)
            for (size_t j = k * group; j < (k + 1) * group; j++)
                score[k] += y[j] * y[j] / (double)group;
        memcpy(a, y, l->out_len * sizeof(double));
    }
}

/* Goodness inference under cwc is one pass of the plain image: each class's score is its
 * channel groups' mean goodness summed over the scored layers (--score-from honoured), and the
 * predictions, linear scores and CAM behave as for any network. */
static void test_cwc_inference(void) {
    ffcnn_dataset ds = make_data(24, 12);
    ffcnn_config c;
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_config_preset(&c, "tiny", NULL);
    c.height = c.width = 12, c.batch = 8, c.seed = 3, c.lr = 0.01f, c.train_from = 1;
    c.ff_loss = FFCNN_FF_LOSS_CWC, c.goodness = FFCNN_GOODNESS_MEAN, c.ff_temperature = 0.5f;
    ffcnn_net *net = NULL;
    const int rc = ffcnn_config_parse_net(&c, "c10k3 c20k3", err) ||
                   ffcnn_net_create(&net, &c, 2, err) ||
                   ffcnn_train_epoch(net, &ds, NULL, NULL, NULL, err);
    CHECK(!rc, "cwc network trains: %s", err);
    if (rc) {
        ffcnn_net_free(net), ffcnn_dataset_free(&ds);
        return;
    }
    const size_t n = (size_t)ds.n * FFCNN_CLASSES;
    double *s = malloc(n * sizeof(double)), want[FFCNN_CLASSES];
    for (int from = 1; from <= 2; from++) {
        CHECK(ffcnn_net_set_score_from(net, from == 1 ? 0 : 2, err) == 0 &&
                  ffcnn_scores(net, &ds, FFCNN_EVAL_GOODNESS, s, err) == 0,
              "cwc scores from layer %d: %s", from, err);
        double worst = 0.0, least = INFINITY; /* relative to each image's largest score */
        for (int i = 0; i < ds.n; i++) {
            hand_cwc_scores(want, net, ds.pixels + (size_t)i * 144, from);
            double top = 0.0;
            for (int k = 0; k < FFCNN_CLASSES; k++) top = fmax(top, want[k]);
            for (int k = 0; k < FFCNN_CLASSES; k++)
                worst = fmax(worst, fabs(s[(size_t)i * FFCNN_CLASSES + k] - want[k]) / top);
            least = fmin(least, top);
        }
        CHECK(worst < 1e-5 && least > 1e-2,
              "cwc from layer %d: scores are the groups' mean goodness summed by hand (worst "
              "%.2g of the largest score, which is at least %.3g)",
              from, worst, least);
    }
    ffcnn_net_set_score_from(net, 0, err);
    const int sides[] = {12, 12};
    check_scores(net, &ds, "cwc", 1);
    check_cam(net, &ds, "cwc", 2, sides);
    free(s);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

int main(void) {
    test_networks();
    test_cwc_inference();
    test_score_from();
    test_label_image();
    return test_summary();
}
