#include "ff_objective.h"

#include <math.h>

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
    const int n = n_pos + n_neg, N = batch_samples;
    double loss = 0.0;
    int64_t correct = 0;
    for (int s = 0; s < n; s++) {
        const int positive = s < n_pos;
        const double logit = goodness[s] - theta;
        loss += ff_softplus(positive ? -logit : logit);
        correct += positive ? logit > 0 : logit < 0;
        /* d/dG of mean BCE-with-logits = (sigma(G - theta) - target) / n; dG/dy = 2y. */
        coef[s] = (float)(2.0 * (sigmoid(logit) - (positive ? 1.0 : 0.0)) / N);
    }
    loss /= N;
    m->loss_sum += loss;
    m->correct += correct;
    m->samples += n;
    m->batches += first_part != 0;
    return loss;
}
