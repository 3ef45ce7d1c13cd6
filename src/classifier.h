/* The linear head (docs/method.md §6): bias-free, zero-initialised, from the RMS-normalised
 * activations of the trained layers to K logits (K = the network's classes), trained with
 * cross-entropy on detached features. The weight matrix is [K][cls_in]; each layer owns a block
 * of columns. */
#ifndef FFCNN_CLASSIFIER_H
#define FFCNN_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

/* Column chunks the head cuts a block of len features into (the partials' count). */
size_t ff_classifier_chunks(size_t len);

/* logits[n][K] += feat[n][len] * w_block^T, w_block = K rows of len, row stride ld; on up
 * to `threads` threads, with the same result for any number. partial is scratch of
 * ff_classifier_chunks(len) x n x K floats. */
void ff_classifier_logits_accumulate(float *logits, float *partial, const float *feat,
                                     const float *w_block, int n, int K, size_t len, size_t ld,
                                     int threads);

/* Softmax cross-entropy over K classes: dlogits = (softmax - onehot) / n; returns the mean
 * loss and counts argmax hits in *correct. */
double ff_classifier_cross_entropy(float *dlogits, const float *logits, const uint8_t *labels,
                                   int n, int K, int64_t *correct);
/* The same for n samples of a batch of batch_n (a chunk): dlogits and the loss are the batch
 * mean's, restricted to these samples. */
double ff_classifier_cross_entropy_part(float *dlogits, const float *logits, const uint8_t *labels,
                                        int n, int batch_n, int K, int64_t *correct);

/* dw_block = dlogits^T * feat (overwrites): the gradient of one layer's block of columns; on
 * up to `threads` threads, with the same result for any number. */
void ff_classifier_weight_grad(float *dw_block, const float *dlogits, const float *feat, int n,
                               int K, size_t len, size_t ld, int threads);

/* dfeat[n][len] = dlogits * w_block (overwrites): the gradient at the head's input, which only
 * the backprop baseline sends on (docs/method.md §12). */
void ff_classifier_input_grad(float *dfeat, const float *dlogits, const float *w_block, int n,
                              int K, size_t len, size_t ld, int threads);

/* Index of the largest of K scores (the first on ties). */
int ff_classifier_argmax(const float *scores, int K);

#endif
