/* ffcnn's cost model and speed probes, for benchmarks (ffcnn bench, bench/). Not needed to
 * train or evaluate; kept out of ffcnn.h so that the main API stays small. */
#ifndef FFCNN_BENCH_H
#define FFCNN_BENCH_H

#include "ffcnn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ffcnn_cost {
    double train_direct_flops, train_executed_flops; /* per training image */
    double infer_direct_flops, infer_executed_flops; /* per goodness-inference image */
} ffcnn_cost;

/* Direct-convolution flops (the shared yardstick) and the flops this build's conv paths
 * execute (FFT transforms estimated at 2.5 N log2 N). */
void ffcnn_net_cost(const ffcnn_net *net, ffcnn_cost *cost);
/* Bytes a network holds now, by role: parameters with their gradients and Adam's moments; the
 * activations of the last pass kept for the gradients and the head (its workspace, sized for
 * the largest pass so far); everything else (transform spectra, the conv layers' weight
 * spectra, gradient and per-thread scratch). */
typedef struct ffcnn_memory {
    size_t params, activations, other;
} ffcnn_memory;
void ffcnn_net_memory(const ffcnn_net *net, ffcnn_memory *mem);
/* Seconds and flops spent in the frequency-domain products since the last reset. */
void ffcnn_fft_product_stats(double *seconds, double *flops, int reset);
/* This machine's sgemm speed (2048^3, best of 3) on `threads` BLAS threads, GFLOP/s. */
double ffcnn_sgemm_peak_gflops(int threads);

#ifdef __cplusplus
}
#endif
#endif
