/* Convolution as im2col + sgemm (OpenBLAS). One image per call; callers parallelise over the
 * batch, so each sgemm runs on one thread. */
#include <cblas.h>
#include <string.h>

#include "kernels.h"

void ff_im2col(float *col, const float *in, const ff_conv_shape *s) {
    const int k = s->kernel, pad = k / 2, H = s->height, W = s->width;
    const size_t pixels = ff_conv_pixels(s);
    for (int c = 0; c < s->in_ch; c++) {
        const float *plane = in + (size_t)c * pixels;
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * pixels;
                const int dx = kx - pad;
                const int x0 = dx < 0 ? -dx : 0;    /* first output column with a source */
                const int x1 = dx > 0 ? W - dx : W; /* one past the last */
                for (int oy = 0; oy < H; oy++) {
                    float *dst = row + (size_t)oy * W;
                    const int iy = oy + ky - pad;
                    if (iy < 0 || iy >= H || x1 <= x0) {
                        memset(dst, 0, sizeof(float) * (size_t)W);
                        continue;
                    }
                    if (x0 > 0) memset(dst, 0, sizeof(float) * (size_t)x0);
                    memcpy(dst + x0, plane + (size_t)iy * W + x0 + dx,
                           sizeof(float) * (size_t)(x1 - x0));
                    if (x1 < W) memset(dst + x1, 0, sizeof(float) * (size_t)(W - x1));
                }
            }
        }
    }
}

void ff_conv2d_forward(float *out, float *scratch, const float *in, const float *w, const float *b,
                       const ff_conv_shape *s) {
    const int patch = (int)ff_conv_patch_len(s), pixels = (int)ff_conv_pixels(s);
    ff_im2col(scratch, in, s);
    for (int o = 0; o < s->out_ch; o++) {
        float *dst = out + (size_t)o * pixels;
        for (int p = 0; p < pixels; p++) dst[p] = b[o];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->out_ch, pixels, patch, 1.0f, w, patch,
                scratch, pixels, 1.0f, out, pixels);
}

void ff_conv2d_weight_grad(float *dw, float *db, float *scratch, const float *dout, const float *in,
                           const ff_conv_shape *s) {
    const int patch = (int)ff_conv_patch_len(s), pixels = (int)ff_conv_pixels(s);
    ff_im2col(scratch, in, s);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->out_ch, patch, pixels, 1.0f, dout,
                pixels, scratch, pixels, 1.0f, dw, patch);
    for (int o = 0; o < s->out_ch; o++) {
        const float *g = dout + (size_t)o * pixels;
        float acc = 0.0f;
        for (int p = 0; p < pixels; p++) acc += g[p];
        db[o] += acc;
    }
}

/* The adjoint of ff_im2col: din[c][iy][ix] += every col entry that copied it. */
static void col2im(float *din, const float *col, const ff_conv_shape *s) {
    const int k = s->kernel, pad = k / 2, H = s->height, W = s->width;
    const size_t pixels = ff_conv_pixels(s);
    memset(din, 0, sizeof(float) * (size_t)s->in_ch * pixels);
    for (int c = 0; c < s->in_ch; c++) {
        float *plane = din + (size_t)c * pixels;
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = col + ((size_t)(c * k + ky) * k + kx) * pixels;
                const int dx = kx - pad;
                const int x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? W - dx : W;
                for (int oy = 0; oy < H; oy++) {
                    const int iy = oy + ky - pad;
                    if (iy < 0 || iy >= H) continue;
                    const float *src = row + (size_t)oy * W;
                    float *dst = plane + (size_t)iy * W + dx;
                    for (int ox = x0; ox < x1; ox++) dst[ox] += src[ox];
                }
            }
    }
}

void ff_conv2d_input_grad(float *din, float *scratch, const float *dout, const float *w,
                          const ff_conv_shape *s) {
    const int patch = (int)ff_conv_patch_len(s), pixels = (int)ff_conv_pixels(s);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, patch, pixels, s->out_ch, 1.0f, w, patch,
                dout, pixels, 0.0f, scratch, pixels);
    col2im(din, scratch, s);
}

void ff_blas_single_thread(void) {
    openblas_set_num_threads(1);
}
