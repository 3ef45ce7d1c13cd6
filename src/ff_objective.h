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

/* A layer's objective with the variants of docs/method.md §13: the logit of a sample is
 * scale * (G - theta) (scale = 1 / temperature, further divided by N for the mean goodness);
 * loss FFCNN_FF_LOSS_BCE as above, or FFCNN_FF_LOSS_SYMBA: softplus(-(l_pos - l_neg)) for each
 * pair (positive s, negative n_pos + s), averaged over the batch's batch_samples / 2 pairs; a
 * pair counts as two correct samples when l_pos > l_neg. SymBa needs n_pos == n_neg. */
typedef struct ff_objective_spec {
    int loss; /* enum ffcnn_ff_loss */
    double theta;
    double scale;
} ff_objective_spec;

double ff_objective_spec_part(float *coef, ff_layer_metrics *m, const double *goodness, int n_pos,
                              int n_neg, const ff_objective_spec *spec, int batch_samples,
                              int first_part);

/* The label-contrastive loss (FFCNN_FF_LOSS_CE): n images, image s's K labelled copies at
 * goodness[s K + k]; the loss of an image is the cross-entropy of softmax_k(scale (G_k - theta))
 * against its label y[s], averaged over the batch's batch_images; coef[s K + k] = 2 dL/dG. An
 * image counts K correct samples when its true label has the highest goodness, else 0, so that
 * the discrimination accuracy reads as this layer's own goodness-inference accuracy. */
double ff_objective_ce_part(float *coef, ff_layer_metrics *m, const double *goodness,
                            const uint8_t *y, int n, int K, const ff_objective_spec *spec,
                            int batch_images, int first_part);

/* The channel-wise competitive loss (FFCNN_FF_LOSS_CWC, docs/method.md §13): n plain images,
 * image s's K channel groups' goodness at goodness[s K + k] (spec->scale includes the 1 / N_k of
 * the mean goodness, N_k a group's outputs); the same softmax cross-entropy as CE over those K
 * logits, averaged over the batch's batch_images; coef[s K + k] = 2 dL/dG_k, so that
 * dL/dy = coef[s K + k] y for an output y of group k. An image counts one correct sample when
 * its true class's group has the highest goodness (the discrimination accuracy reads as this
 * layer's own goodness-inference accuracy). */
double ff_objective_cwc_part(float *coef, ff_layer_metrics *m, const double *goodness,
                             const uint8_t *y, int n, int K, const ff_objective_spec *spec,
                             int batch_images, int first_part);

#endif
