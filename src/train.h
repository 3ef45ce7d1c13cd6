/* The training loop: batches, the FF step of every layer, the classifier step. */
#ifndef FFCNN_TRAIN_H
#define FFCNN_TRAIN_H

#include "ff_objective.h"
#include "network.h"

typedef struct ff_step_metrics {
    ff_layer_metrics layer[FFCNN_MAX_LAYERS];
    double classifier_loss_sum;
    int64_t classifier_correct, classifier_samples, steps;
    double last_loss; /* BP: the last step's loss */
} ff_step_metrics;

/* One optimiser step on the B images ds rows[0..B): positives with their labels, negatives with
 * neg_labels (each != the true label), neutral copies for the classifier, all in one batch of
 * 3B samples. Every layer's forward uses the weights from before this step. */
int ff_train_step(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                  const uint8_t *neg_labels, int B, float lr, ff_step_metrics *m, char *err);

/* The backprop baseline's gradients (every layer and the head) for the B images ds rows[0..B),
 * without an optimiser step (docs/method.md §12). */
int ff_bp_gradients(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows, int B,
                    ff_step_metrics *m, char *err);

/* A wrong label for true label y, uniform over the other classes - 1 (docs/method.md §2). */
uint8_t ff_draw_negative_label(ff_rng *rng, int y, int classes);

#endif
