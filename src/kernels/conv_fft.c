#include "conv_fft.h"

#include <cblas.h>
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"

/* Time and arithmetic of the complex GEMMs, for `ffcnn bench`. Only the calling thread
 * updates them, outside parallel regions. */
static double cgemm_seconds, cgemm_flops;

void fft_conv_stats(double *seconds, double *flops, int reset) {
    if (seconds) *seconds = cgemm_seconds;
    if (flops) *flops = cgemm_flops;
    if (reset) cgemm_seconds = cgemm_flops = 0.0;
}

/* Spectra move between per-transform buffers and the [freq][channel][sample] layout the GEMMs
 * want in tiles of TILE neighbours, so each scattered access touches a whole cache line. */
#define TILE 8

struct ff_fft_conv {
    ff_conv_shape s;
    int py, px, fx; /* transform size; fx = px / 2 + 1 complex columns */
    size_t nfreq;
    /* Each plan transforms TILE planes at once, the spectra interleaved [freq][TILE]: FFTW
     * vectorises across the planes, and moving a tile to or from the [freq][channel][sample]
     * layout copies TILE contiguous values per frequency. */
    fftwf_plan r2c, c2r;
    float complex *wspec; /* [freq][out][in]: conj(FFT(w padded)), see fft_conv_set_weights */
    int max_threads;
    float *pad_buf;          /* max_threads x TILE x py*px: r2c input, zero outside h x w */
    float *real_buf;         /* max_threads x TILE x py*px: c2r output */
    float complex *cplx_buf; /* max_threads x nfreq x TILE */
};

static int is_smooth(int n) { /* only prime factors 2, 3, 5: sizes FFTW handles well */
    while (n % 2 == 0) n /= 2;
    while (n % 3 == 0) n /= 3;
    while (n % 5 == 0) n /= 5;
    return n == 1;
}

/* The transform length >= need with the least estimated cost. With FFTW_ESTIMATE plans a power
 * of two is about twice as fast per point as other smooth sizes (measured on this project's
 * machine: 2-D r2c 32x32 2.1 us, 30x30 6.8 us, 36x36 5.2 us, 64x64 12 us), so other sizes
 * count 1.5 times their length per dimension. */
static int good_size(int need) {
    int best = need, pow2 = 1;
    double best_cost = 1e300;
    while (pow2 < need) pow2 *= 2;
    for (int n = need; n <= pow2; n++) {
        if (!is_smooth(n)) continue;
        const double cost = n == pow2 ? n : 1.5 * n;
        if (cost < best_cost) best = n, best_cost = cost;
    }
    return best;
}

/* TILE transforms of py x px planes, spectra interleaved [freq][TILE]. */
static int make_plans(ff_fft_conv *fc) {
    const int py = fc->py, px = fc->px, fx = fc->fx, plane = py * px;
    float *real = fftwf_malloc(sizeof(float) * plane * TILE);
    float complex *spec = fftwf_malloc(sizeof(float complex) * fc->nfreq * TILE);
    if (real && spec) {
        const fftwf_iodim r2c_dims[2] = {{py, px, fx * TILE}, {px, 1, TILE}};
        const fftwf_iodim c2r_dims[2] = {{py, fx * TILE, px}, {px, TILE, 1}};
        const fftwf_iodim r2c_many = {TILE, plane, 1}, c2r_many = {TILE, 1, plane};
        /* FFTW_ESTIMATE, not MEASURE: measured plans depend on timing, so two runs could pick
         * different algorithms and round differently; ffcnn promises same seed -> same bits. */
        fc->r2c = fftwf_plan_guru_dft_r2c(2, r2c_dims, 1, &r2c_many, real, (fftwf_complex *)spec,
                                          FFTW_ESTIMATE);
        fc->c2r = fftwf_plan_guru_dft_c2r(2, c2r_dims, 1, &c2r_many, (fftwf_complex *)spec, real,
                                          FFTW_ESTIMATE);
    }
    fftwf_free(real);
    fftwf_free(spec);
    return fc->r2c && fc->c2r;
}

ff_fft_conv *fft_conv_create(const ff_conv_shape *s) {
    ff_fft_conv *fc = calloc(1, sizeof *fc);
    if (!fc) return NULL;
    fc->s = *s;
    conv_fft_dims(s, &fc->py, &fc->px);
    fc->fx = fc->px / 2 + 1;
    fc->nfreq = (size_t)fc->py * fc->fx;
    fc->wspec = fftwf_malloc(sizeof(float complex) * fc->nfreq * s->out_ch * s->in_ch);
    if (!fc->wspec || !make_plans(fc)) {
        fft_conv_free(fc);
        return NULL;
    }
    return fc;
}

void fft_conv_free(ff_fft_conv *fc) {
    if (!fc) return;
    if (fc->r2c) fftwf_destroy_plan(fc->r2c);
    if (fc->c2r) fftwf_destroy_plan(fc->c2r);
    fftwf_free(fc->wspec);
    fftwf_free(fc->pad_buf);
    fftwf_free(fc->real_buf);
    fftwf_free(fc->cplx_buf);
    free(fc);
}

size_t fft_conv_freqs(const ff_fft_conv *fc) {
    return fc->nfreq;
}

/* Per-thread transform buffers (FFTW-aligned, as the plans require), zeroed once: the padding
 * of pad_buf is never written afterwards. */
static int ensure_buffers(ff_fft_conv *fc, int threads) {
    if (threads <= fc->max_threads) return 1;
    fftwf_free(fc->pad_buf);
    fftwf_free(fc->real_buf);
    fftwf_free(fc->cplx_buf);
    const size_t real_len = (size_t)fc->py * fc->px * TILE * threads;
    const size_t cplx_len = fc->nfreq * TILE * threads;
    fc->pad_buf = fftwf_malloc(sizeof(float) * real_len);
    fc->real_buf = fftwf_malloc(sizeof(float) * real_len);
    fc->cplx_buf = fftwf_malloc(sizeof(float complex) * cplx_len);
    fc->max_threads = fc->pad_buf && fc->real_buf && fc->cplx_buf ? threads : 0;
    if (!fc->max_threads) return 0;
    memset(fc->pad_buf, 0, sizeof(float) * real_len);
    memset(fc->real_buf, 0, sizeof(float) * real_len);
    memset(fc->cplx_buf, 0, sizeof(float complex) * cplx_len);
    return 1;
}

static float *thread_pad(ff_fft_conv *fc) {
    return fc->pad_buf + (size_t)omp_thread() * fc->py * fc->px * TILE;
}
static float *thread_real(ff_fft_conv *fc) {
    return fc->real_buf + (size_t)omp_thread() * fc->py * fc->px * TILE;
}
static float complex *thread_cplx(ff_fft_conv *fc) {
    return fc->cplx_buf + (size_t)omp_thread() * fc->nfreq * TILE;
}

/* Spectra of len <= TILE h x w planes (plane j at planes + j * plane_stride) into the thread's
 * tile [freq][TILE]; lanes past len hold whatever they held. */
static float complex *tile_spectra(ff_fft_conv *fc, const float *planes, size_t plane_stride,
                                   int len) {
    float *pad = thread_pad(fc);
    float complex *tile = thread_cplx(fc);
    const int h = fc->s.height, w = fc->s.width;
    const size_t area = (size_t)fc->py * fc->px;
    for (int j = 0; j < len; j++)
        for (int y = 0; y < h; y++)
            memcpy(pad + j * area + (size_t)y * fc->px, planes + j * plane_stride + (size_t)y * w,
                   sizeof(float) * w);
    fftwf_execute_dft_r2c(fc->r2c, pad, (fftwf_complex *)tile);
    return tile;
}

/* Spectrum of n samples x c channels into dst[freq][c][n]. */
static void batch_spectra(ff_fft_conv *fc, float complex *dst, const float *src, int n, int c,
                          int threads) {
    const size_t pixels = ff_conv_pixels(&fc->s), stride = (size_t)c * n, nf = fc->nfreq;
    const int tiles = (n + TILE - 1) / TILE;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < c * tiles; i++) {
        const int ch = i / tiles, s0 = (i % tiles) * TILE, len = n - s0 < TILE ? n - s0 : TILE;
        const float complex *tile =
            tile_spectra(fc, src + ((size_t)s0 * c + ch) * pixels, (size_t)c * pixels, len);
        float complex *d = dst + (size_t)ch * n + s0;
        for (size_t f = 0; f < nf; f++)
            memcpy(d + f * stride, tile + f * TILE, sizeof(float complex) * len);
    }
}

void fft_conv_set_weights(ff_fft_conv *fc, const float *w, int threads) {
    kernel_spectra_forward(fc->wspec, w, fc->s.out_ch * fc->s.in_ch, fc->s.kernel, fc->py, fc->px,
                           threads);
}

/* A matrix per frequency: frequency f's starts at base + f * stride, rows ld apart. */
typedef struct gemm_operand {
    const float complex *base;
    size_t stride;
    int ld;
} gemm_operand;

/* C[f] = A[f] op(B[f]) for every frequency (op: B, or B^H with CblasConjTrans), M x N over K;
 * one single-threaded cgemm each, frequencies spread over the threads. Timed for bench. */
static void per_frequency_cgemm(const ff_fft_conv *fc, CBLAS_TRANSPOSE op_b, int M, int N, int K,
                                gemm_operand a, gemm_operand b, gemm_operand c, int threads) {
    const float complex one = 1.0f, zero = 0.0f;
    const double t0 = ff_now_seconds();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t f = 0; f < fc->nfreq; f++)
        cblas_cgemm(CblasRowMajor, CblasNoTrans, op_b, M, N, K, &one, a.base + f * a.stride, a.ld,
                    b.base + f * b.stride, b.ld, &zero, (float complex *)c.base + f * c.stride,
                    c.ld);
    cgemm_seconds += ff_now_seconds() - t0;
    cgemm_flops += 8.0 * fc->nfreq * M * N * K;
}

void fft_conv_forward(ff_fft_conv *fc, float *out, float *xspec_f, float *yspec_f, const float *in,
                      const float *b, int n, int threads) {
    if (!ensure_buffers(fc, threads)) return;
    float complex *xspec = (float complex *)xspec_f, *yspec = (float complex *)yspec_f;
    const int cin = fc->s.in_ch, cout = fc->s.out_ch, h = fc->s.height, w = fc->s.width;
    batch_spectra(fc, xspec, in, n, cin, threads);
    const gemm_operand w_op = {fc->wspec, (size_t)cout * cin, cin};
    const gemm_operand x_op = {xspec, (size_t)cin * n, n}, y_op = {yspec, (size_t)cout * n, n};
    per_frequency_cgemm(fc, CblasNoTrans, cout, n, cin, w_op, x_op, y_op, threads);
    const float scale = 1.0f / (float)(fc->py * fc->px); /* FFTW leaves transforms unscaled */
    const size_t stride = (size_t)cout * n, nf = fc->nfreq;
    const int tiles = (n + TILE - 1) / TILE;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < cout * tiles; i++) {
        const int co = i / tiles, s0 = (i % tiles) * TILE, len = n - s0 < TILE ? n - s0 : TILE;
        float complex *tile = thread_cplx(fc);
        float *buf = thread_real(fc);
        const float complex *src = yspec + (size_t)co * n + s0;
        for (size_t f = 0; f < nf; f++)
            memcpy(tile + f * TILE, src + f * stride, sizeof(float complex) * len);
        fftwf_execute_dft_c2r(fc->c2r, (fftwf_complex *)tile, buf);
        for (int j = 0; j < len; j++) {
            const float *plane = buf + (size_t)j * fc->py * fc->px;
            float *o = out + ((size_t)(s0 + j) * cout + co) * h * w;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    o[y * w + x] = plane[(size_t)y * fc->px + x] * scale + b[co];
        }
    }
}

void fft_conv_weight_grad(ff_fft_conv *fc, float *dw, float *db, float *dspec_f, float *gspec_f,
                          const float *dout, const float *xspec_f, int m, int n, int threads) {
    if (!ensure_buffers(fc, threads)) return;
    float complex *dspec = (float complex *)dspec_f, *gspec = (float complex *)gspec_f;
    const float complex *xspec = (const float complex *)xspec_f;
    const int cin = fc->s.in_ch, cout = fc->s.out_ch;
    batch_spectra(fc, dspec, dout, m, cout, threads);
    /* G[f] = D[f] X[f]^H = sum_s D conj(X) = conj(dW^[f]), dW^ = conj(D) X (a correlation) */
    const gemm_operand d_op = {dspec, (size_t)cout * m, m}, x_op = {xspec, (size_t)cin * n, n};
    const gemm_operand g_op = {gspec, (size_t)cout * cin, cin};
    per_frequency_cgemm(fc, CblasConjTrans, cout, cin, m, d_op, x_op, g_op, threads);
    kernel_spectra_inverse(dw, gspec, cout * cin, fc->s.kernel, fc->py, fc->px,
                           1.0f / (float)(fc->py * fc->px), threads);
    /* db = sum of dout: the zero-frequency term of its spectra, already at hand. */
    for (int co = 0; co < cout; co++) {
        double acc = 0.0;
        for (int s = 0; s < m; s++) acc += crealf(dspec[(size_t)co * m + s]);
        db[co] = (float)acc;
    }
}

/* Circular, not linear, correlation is enough: with 'same' padding an output pixel reads input
 * offsets -pad..pad, so a transform of size >= image + pad keeps every wrapped read in the zero
 * padding (and the weight gradient's lags -pad..pad likewise), and >= k keeps the k taps on
 * distinct positions. For 7x7 on 28x28 that is 32 instead of the linear 34 -> 36: 21 % fewer
 * frequencies and power-of-two transforms. */
static int transform_size(int image, int kernel) {
    const int need = image + kernel / 2;
    return good_size(need > kernel ? need : kernel);
}

void conv_fft_dims(const ff_conv_shape *s, int *py, int *px) {
    *py = transform_size(s->height, s->kernel);
    *px = transform_size(s->width, s->kernel);
}

double conv_fft_transform_flops(const ff_conv_shape *s) {
    int py, px;
    conv_fft_dims(s, &py, &px);
    const double n = (double)py * px;
    return 2.5 * n * log2(n); /* the usual estimate for a real-input FFT */
}

double conv_fft_product_flops(const ff_conv_shape *s) {
    int py, px;
    conv_fft_dims(s, &py, &px);
    return 8.0 * s->out_ch * s->in_ch * (double)py * (px / 2 + 1);
}

double conv_cost_im2col(const ff_conv_shape *s) {
    /* GEMM multiply-adds plus the im2col copy, which costs about as much per element as a
     * few multiply-adds. */
    const double patch = (double)ff_conv_patch_len(s), pixels = (double)ff_conv_pixels(s);
    return 2.0 * s->out_ch * patch * pixels + 8.0 * patch * pixels;
}

double conv_cost_fft(const ff_conv_shape *s) {
    /* complex MACs plus one transform per input and output channel; transforms run at a
     * fraction of GEMM speed (factor 4, measured roughly). */
    return conv_fft_product_flops(s) + 4.0 * conv_fft_transform_flops(s) * (s->in_ch + s->out_ch);
}
