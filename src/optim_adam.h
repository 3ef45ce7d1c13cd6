/* Adam (Kingma & Ba) exactly as PyTorch computes it, and the learning-rate schedule lives in
 * config.c (ffcnn_lr_at_epoch). Knows nothing of what it optimises. */
#ifndef FFCNN_OPTIM_ADAM_H
#define FFCNN_OPTIM_ADAM_H

#include <stddef.h>
#include <stdint.h>

#define FF_ADAM_BETA1 0.9
#define FF_ADAM_BETA2 0.999
#define FF_ADAM_EPS 1e-8

/* One step t (1-based) over n parameters p with gradient g and moments m, v, on up to
 * `threads` threads (element by element: the same result for any number). */
void ff_adam_step(float *p, const float *g, float *m, float *v, size_t n, float lr, int64_t t,
                  int threads);

#endif
