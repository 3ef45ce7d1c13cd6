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
 * 3B samples. Image s is augmented by aug[s] (all three copies alike), or not when aug is
 * NULL. Every layer's forward uses the weights from before this step. */
int ff_train_step(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                  const uint8_t *neg_labels, const ff_augment *aug, int B, float lr,
                  ff_step_metrics *m, char *err);

/* The backprop baseline's gradients (every layer and the head) for the B images ds rows[0..B),
 * each augmented by aug[s] unless aug is NULL, without an optimiser step (docs/method.md §12). */
int ff_bp_gradients(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                    const ff_augment *aug, int B, ff_step_metrics *m, char *err);

/* The augmentation of the B images of step `step` of epoch `epoch` (0-based) into aug[0..B), a
 * function of (seed, epoch, step, position in the batch) alone: dy and dx uniform in
 * -augment_pad..augment_pad, flip 1 with probability 1/2 under augment_flip. Returns 0, drawing
 * nothing, when c has no augmentation. */
int ff_step_augment(const ffcnn_config *c, int epoch, int64_t step, int B, ff_augment *aug);

/* A wrong label for true label y, uniform over the other classes - 1 (docs/method.md §2). */
uint8_t ff_draw_negative_label(ff_rng *rng, int y, int classes);

/* The parts of an FF training step, for the layer pipeline (src/pipeline.c), which runs them
 * one stage of layers at a time: the epoch's image order, a step's negative labels and its
 * batch of 3B samples (build_ff_batch), one FF layer's objective and gradient, the head's
 * gradient, the checks before an epoch, and the end of an epoch (stats, validation, hooks). */
void ff_train_epoch_order(const ffcnn_net *net, int32_t *order, int32_t n, int epoch);
void ff_train_step_negatives(const ffcnn_net *net, uint8_t *neg, const ffcnn_dataset *ds,
                             const int32_t *rows, int B, int epoch, int64_t step);
void ff_train_build_batch(ffcnn_net *net, const ffcnn_dataset *ds, const int32_t *rows,
                          const uint8_t *neg, const ff_augment *aug, int B);
int ff_train_layer_grad(ffcnn_net *net, int i, int B, int batch_B, int first_chunk,
                        ff_step_metrics *m, char *err);
int ff_train_classifier_grad(ffcnn_net *net, int B, int batch_B, ff_step_metrics *m, char *err);
int ff_train_epoch_begin(ffcnn_net *net, const ffcnn_dataset *train, char *err);
int ff_train_finish_epoch(ffcnn_net *net, const ffcnn_dataset *val, const ffcnn_train_hooks *hooks,
                          const ff_step_metrics *m, double seconds, int64_t images,
                          ffcnn_epoch_stats *stats, char *err);

#endif
