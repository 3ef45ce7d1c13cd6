/* Inference passes over a data set (evaluate.c), shared by accuracy, per-image scores and the
 * class activation maps (cam.c). Internal. */
#ifndef FFCNN_EVALUATE_H
#define FFCNN_EVALUATE_H

#include "network.h"

/* What a pass computes, and what it does with each chunk's results. */
typedef struct ff_eval_pass {
    int goodness, linear;
    /* Called after each chunk of m images from `start`: the goodness of image i (0..m-1) under
     * label c is in each layer's ws.sumsq at sample classes * i + c; its logits are ws.logits
     * row i and its head features ff_net_head_features rows goodness ? classes * m + i : i.
     * Under --ff-loss cwc: one plain copy per image (head features row i), and ws.group_score
     * at classes * i + c holds class c's goodness summed over the scored layers. */
    void (*visit)(struct ff_eval_pass *p, const ffcnn_net *net, int32_t start, int m);
    void *user;
} ff_eval_pass;

/* FFCNN_EINVAL for an unknown mode, or goodness of a BP network; BOTH becomes LINEAR under BP. */
int ff_eval_check_mode(const ffcnn_net *net, enum ffcnn_eval_mode *mode, char *err);
/* Runs the network over every image of ds in chunks (docs/method.md §6 and §11): the labelled
 * copies for goodness, the neutral one (BP: the plain image) for the head; under --ff-loss cwc
 * the plain image for both (docs/method.md §13). The shape of ds must have been checked. */
int ff_eval_run(ffcnn_net *net, const ffcnn_dataset *ds, ff_eval_pass *p, char *err);

#endif
