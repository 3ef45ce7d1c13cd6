/* Numeric kernels over flat float buffers, outputs first. They know nothing of layers, FF or
 * files. Images are [channels][height][width]; conv weights [out][in][k][k] (PyTorch layout). */
#ifndef FFCNN_KERNELS_H
#define FFCNN_KERNELS_H

#include <stddef.h>

/* Shape of one "same"-padded, stride-1 convolution of a single image. */
typedef struct ff_conv_shape {
    int in_ch, out_ch, height, width, kernel;
} ff_conv_shape;

static inline size_t ff_conv_patch_len(const ff_conv_shape *s) {
    return (size_t)s->in_ch * s->kernel * s->kernel;
}
static inline size_t ff_conv_pixels(const ff_conv_shape *s) {
    return (size_t)s->height * s->width;
}
/* Floats of scratch one call of ff_conv2d_forward / ff_conv2d_weight_grad needs (an im2col matrix).
 */
static inline size_t ff_conv_scratch_len(const ff_conv_shape *s) {
    return ff_conv_patch_len(s) * ff_conv_pixels(s);
}

/* col[patch][pixel]: the unrolled receptive fields, zero outside the image. */
void ff_im2col(float *col, const float *in, const ff_conv_shape *s);

/* out[out_ch][pixels] = w * in + b, one image. */
void ff_conv2d_forward(float *out, float *scratch, const float *in, const float *w, const float *b,
                       const ff_conv_shape *s);

/* dw += dout (x) in, db += sum of dout: the weight gradient of one image, accumulated. */
void ff_conv2d_weight_grad(float *dw, float *db, float *scratch, const float *dout, const float *in,
                           const ff_conv_shape *s);

/* din = the input gradient of one image (overwritten): col = w^T dout, then col2im. Only the
 * backprop baseline needs it; Forward-Forward never sends a gradient back. */
void ff_conv2d_input_grad(float *din, float *scratch, const float *dout, const float *w,
                          const ff_conv_shape *s);

/* out[c][y][x] = max of in[c] over the size x size window at (size y, size x), for
 * y < height / size, x < width / size (stride = size; the rest of odd sides is dropped, as in
 * PyTorch's MaxPool2d). */
void ff_maxpool2d_forward(float *out, const float *in, int channels, int height, int width,
                          int size);

/* din = the gradient of ff_maxpool2d_forward's input (overwritten): each window's dout goes to
 * its first maximum in row-major order (as PyTorch's max_pool2d); dropped rows and columns get 0.
 */
void ff_maxpool2d_backward(float *din, const float *dout, const float *in, int channels, int height,
                           int width, int size);

/* dst = the h x w window at offset (dy, dx) of the image src zero-padded on every side, then
 * mirrored left-right when flip: dst[c][i][j] = src[c][i + dy][j' + dx], j' = w - 1 - j with flip
 * and j without, 0 where that pixel lies outside src. A random crop of the image padded by P is
 * dy, dx in -P..P. dst and src must not overlap. */
void ff_augment_shift_flip(float *dst, const float *src, int channels, int h, int w, int dy, int dx,
                           int flip);

/* 1 / (sqrt(mean(in^2)) + 1e-8), the RMS normalisation factor of n values; and the same from
 * their sum of squares, when it is known already (a layer's goodness is its output's). */
float ff_rms_factor(const float *in, size_t n);
float ff_rms_factor_of_sum(double sum_sq, size_t n);

/* out = in / (sqrt(mean(in^2)) + 1e-8) over n values (docs/method.md §3); returns the factor. */
float ff_rmsnorm_forward(float *out, const float *in, size_t n);

/* din = the gradient of ff_rmsnorm_forward's input given dout, the gradient of its output, over
 * n values (din may be dout): r dout - in r^2 (in . dout) / (n rms), r the factor. */
void ff_rmsnorm_backward(float *din, const float *dout, const float *in, size_t n);

/* dpre = dout where y > 0, else 0 (the ReLU's gradient from its output y); dpre may be dout. */
void ff_relu_backward(float *dpre, const float *dout, const float *y, size_t n);

/* In place y = max(y, 0); returns sum of y^2 (the goodness, docs/method.md §4) in double. */
double ff_relu_goodness_forward(float *y, size_t n);

/* Best of three n x n x n sgemm runs on `threads` BLAS threads, in GFLOP/s. */
double ff_sgemm_gflops(int threads, int n);

/* Limits BLAS to one thread: ffcnn parallelises over samples with OpenMP itself. */
void ff_blas_single_thread(void);

/* Grey-level morphology of one plane src[h][w] over a line structuring element through each
 * pixel ("same" size, the border replicated; dst must not overlap src): dilation takes the
 * maximum over the line, erosion the minimum. The line has `length` pixels (odd; an even length
 * acts as length - 1; at most FF_LINE_MAX_LENGTH) at angle theta (radians, counter-clockwise as
 * displayed, rows growing downwards); its pixels are the offsets of ff_line_offsets. */
#define FF_LINE_MAX_LENGTH 63
/* off[t + h] = (row, col) = (-round(t sin(theta) / m), round(t cos(theta) / m)) for
 * t = -h..h, h = (length - 1) / 2, m = max(|cos theta|, |sin theta|) and round half away from
 * zero: one pixel per step along the line's major axis, so the `length` pixels are distinct.
 * Returns their count, 2 h + 1. */
int ff_line_offsets(int (*off)[2], int length, double theta);
void ff_line_dilate(float *dst, const float *src, int h, int w, int length, double theta);
void ff_line_erode(float *dst, const float *src, int h, int w, int length, double theta);
/* acc += weight * (dilation if dilate, else erosion) of src: the same operation, summed. */
void ff_line_morph_accumulate(float *acc, const float *src, int h, int w, int length, double theta,
                              int dilate, float weight);

#endif
