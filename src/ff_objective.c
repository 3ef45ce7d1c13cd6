#include "ff_objective.h"

#include <math.h>

#include "ffcnn.h"

double ff_softplus(double x) {
    return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x)));
}

static double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double ff_objective(float *coef, ff_layer_metrics *m, const double *goodness, int n_pos, int n_neg,
                    double theta) {
    return ff_objective_part(coef, m, goodness, n_pos, n_neg, theta, n_pos + n_neg, 1);
}

double ff_objective_part(float *coef, ff_layer_metrics *m, const double *goodness, int n_pos,
                         int n_neg, double theta, int batch_samples, int first_part) {
    const ff_objective_spec spec = {FFCNN_FF_LOSS_BCE, theta, 1.0};
    return ff_objective_spec_part(coef, m, goodness, n_pos, n_neg, &spec, batch_samples,
                                  first_part);
}

/* BCE on each sample's logit a (G - theta), a = spec->scale; returns the summed loss. */
static double bce_sum(float *coef, int64_t *correct, const double *goodness, int n_pos, int n,
                      const ff_objective_spec *spec, int N) {
    double loss = 0.0;
    for (int s = 0; s < n; s++) {
        const int positive = s < n_pos;
        const double logit = spec->scale * (goodness[s] - spec->theta);
        loss += ff_softplus(positive ? -logit : logit);
        *correct += positive ? logit > 0 : logit < 0;
        /* d/dG of mean BCE-with-logits = a (sigma(logit) - target) / N; dG/dy = 2y. */
        coef[s] = (float)(2.0 * spec->scale * (sigmoid(logit) - (positive ? 1.0 : 0.0)) / N);
    }
    return loss;
}

/* SymBa on pairs (s, pairs + s): softplus(-d), d = a (G+ - G-) (theta cancels); mean over the
 * N / 2 pairs of the batch. dL/dG+ = -a sigma(-d) / pairs, dL/dG- = its negative. */
static double symba_sum(float *coef, int64_t *correct, const double *goodness, int pairs,
                        const ff_objective_spec *spec, int N) {
    const double batch_pairs = N / 2.0;
    double loss = 0.0;
    for (int s = 0; s < pairs; s++) {
        const double d = spec->scale * (goodness[s] - goodness[pairs + s]);
        loss += ff_softplus(-d);
        *correct += d > 0 ? 2 : 0;
        const double g = 2.0 * spec->scale * sigmoid(-d) / batch_pairs;
        coef[s] = (float)-g;
        coef[pairs + s] = (float)g;
    }
    return loss;
}

double ff_objective_spec_part(float *coef, ff_layer_metrics *m, const double *goodness, int n_pos,
                              int n_neg, const ff_objective_spec *spec, int batch_samples,
                              int first_part) {
    const int n = n_pos + n_neg, N = batch_samples;
    int64_t correct = 0;
    double loss;
    if (spec->loss == FFCNN_FF_LOSS_SYMBA)
        loss = symba_sum(coef, &correct, goodness, n_pos, spec, N) / (N / 2.0);
    else
        loss = bce_sum(coef, &correct, goodness, n_pos, n, spec, N) / N;
    m->loss_sum += loss;
    m->correct += correct;
    m->samples += n;
    m->batches += first_part != 0;
    return loss;
}

/* Softmax cross-entropy over K logits a G_k per image towards y[s] (theta cancels), summed over
 * n images; coef[s K + k] = 2 a (p_k - [k = y]) / batch_images; *right = images whose true
 * label has the highest goodness. */
static double softmax_ce_sum(float *coef, int64_t *right, const double *goodness, const uint8_t *y,
                             int n, int K, const ff_objective_spec *spec, int batch_images) {
    double loss = 0.0;
    for (int s = 0; s < n; s++) {
        const double *g = goodness + (size_t)s * K;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (g[k] > g[best]) best = k;
        /* softmax of a (G_k - theta): theta and the largest G cancel out */
        double z = 0.0;
        for (int k = 0; k < K; k++) z += exp(spec->scale * (g[k] - g[best]));
        loss += log(z) - spec->scale * (g[y[s]] - g[best]);
        *right += best == y[s];
        for (int k = 0; k < K; k++) {
            const double p = exp(spec->scale * (g[k] - g[best])) / z;
            coef[(size_t)s * K + k] =
                (float)(2.0 * spec->scale * (p - (k == y[s] ? 1.0 : 0.0)) / batch_images);
        }
    }
    return loss;
}

/* The mean softmax cross-entropy of n images and its metrics, each image counting as `copies`
 * samples (its K labelled copies under ce, its one plain copy under cwc). */
static double softmax_ce_part(float *coef, ff_layer_metrics *m, const double *goodness,
                              const uint8_t *y, int n, int K, const ff_objective_spec *spec,
                              int batch_images, int first_part, int copies) {
    int64_t right = 0;
    const double loss =
        softmax_ce_sum(coef, &right, goodness, y, n, K, spec, batch_images) / batch_images;
    m->loss_sum += loss;
    m->correct += right * copies;
    m->samples += (int64_t)n * copies;
    m->batches += first_part != 0;
    return loss;
}

double ff_objective_ce_part(float *coef, ff_layer_metrics *m, const double *goodness,
                            const uint8_t *y, int n, int K, const ff_objective_spec *spec,
                            int batch_images, int first_part) {
    return softmax_ce_part(coef, m, goodness, y, n, K, spec, batch_images, first_part, K);
}

double ff_objective_cwc_part(float *coef, ff_layer_metrics *m, const double *goodness,
                             const uint8_t *y, int n, int K, const ff_objective_spec *spec,
                             int batch_images, int first_part) {
    return softmax_ce_part(coef, m, goodness, y, n, K, spec, batch_images, first_part, 1);
}
