/* The Forward-Forward objective of one layer (docs/method.md §4): goodness G = sum y^2, logit
 * G - theta with theta = N, binary cross-entropy against positive / negative. */
#ifndef FFCNN_FF_OBJECTIVE_H
#define FFCNN_FF_OBJECTIVE_H

#include <stdint.h>

typedef struct ff_layer_metrics {
    double loss_sum; /* summed over batches of the batch-mean BCE */
    int64_t correct; /* samples on the right side of the threshold */
    int64_t samples;
    int64_t batches;
} ff_layer_metrics;

/* softplus(x) = log(1 + e^x), stable for any x. */
double ff_softplus(double x);

/* goodness[0..n_pos) are positives, [n_pos..n_pos+n_neg) negatives. Writes, per sample,
 * coef = dL/dG * 2, so that dL/dpre-activation = coef * y (the ReLU output, zero where the ReLU
 * is off), and adds this batch's mean loss and accuracy to m. Returns the batch-mean loss. */
double ff_objective(float *coef, ff_layer_metrics *m, const double *goodness, int n_pos, int n_neg,
                    double theta);
/* The same for a part of a batch of `batch_samples` positives and negatives (a chunk): coef and
 * the returned loss are those of the whole batch's mean, restricted to this part, so the parts
 * add up to the batch; `first_part` counts the batch in m. */
double ff_objective_part(float *coef, ff_layer_metrics *m, const double *goodness, int n_pos,
                         int n_neg, double theta, int batch_samples, int first_part);

#endif
