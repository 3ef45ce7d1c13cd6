/* Scratch that all layers of a network share, sized once by the network's workspace from every
 * layer's ff_scratch_need (layer.h). */
#ifndef FFCNN_SCRATCH_H
#define FFCNN_SCRATCH_H

typedef struct ff_scratch {
    float *per_thread;    /* threads x the largest per-thread need (an im2col matrix) */
    float *partial;       /* threads x the largest parameter count: per-thread gradient sums */
    float *xspec;         /* input spectra of the last forward (FFT); alternates by layer parity */
    float *yspec;         /* output or gradient spectra (FFT) */
    float *gspec;         /* weight-gradient spectra (FFT) */
    float *grad_out;      /* n x out_len: the gradient at the pre-activation */
    double *channel_sums; /* n x out channels: per-channel sums of squares (FFT) */
    int threads;
} ff_scratch;

#endif
