/* Measured choice of a layer's convolution path (conv_autotune.c). */
#ifndef FFCNN_CONV_AUTOTUNE_H
#define FFCNN_CONV_AUTOTUNE_H

#include "layers/layer.h"

typedef struct ff_conv_timing {
    enum ffcnn_conv_path path; /* IM2COL or FFT, the faster; AUTO (0): not measured */
    double im2col_seconds;     /* best time of one step's work on each path */
    double fft_seconds;
} ff_conv_timing;

/* Times both paths for a layer of shape s (forward on n_forward samples, weight gradient on
 * m_backward, 0 for an untrained layer) on `threads` threads, or recalls an earlier timing of
 * the same case in this process. FFCNN_ENOMEM when the trial buffers cannot be allocated. */
int ff_conv_autotune(ff_conv_timing *out, const ff_conv_shape *s, int n_forward, int m_backward,
                     int threads, char *err);

#endif
