/* Measured choice of a layer's convolution path (conv_autotune.c). */
#ifndef FFCNN_CONV_AUTOTUNE_H
#define FFCNN_CONV_AUTOTUNE_H

#include "layer_conv.h"

typedef struct ff_conv_timing {
    int path;              /* FF_CONV_IM2COL or FF_CONV_FFT, the faster */
    double im2col_seconds; /* best time of one step's work on each path */
    double fft_seconds;
} ff_conv_timing;

/* Times both paths for a layer of shape s (forward on n_forward samples, weight gradient on
 * m_backward, 0 for an untrained layer) on `threads` threads, or recalls an earlier timing of
 * the same case in this process. FFCNN_ENOMEM when the trial buffers cannot be allocated. */
int ff_conv_autotune(ff_conv_timing *out, const ff_conv_shape *s, int n_forward, int m_backward,
                     int threads, char *err);

#endif
