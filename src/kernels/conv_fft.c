#include "conv_fft.h"

#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"

/* Time and arithmetic of the channel sums, for `ffcnn bench`. Only the calling thread updates
 * them, outside parallel regions. */
static double product_seconds, product_flops;

void ff_fft_conv_stats(double *seconds, double *flops, int reset) {
    if (seconds) *seconds = product_seconds;
    if (flops) *flops = product_flops;
    if (reset) product_seconds = product_flops = 0.0;
}

struct ff_fft_conv {
    ff_conv_shape s;
    int py, px, fx; /* transform size; fx = px / 2 + 1 complex columns */
    size_t nfreq;
    size_t cstride; /* floats per channel of a tile of spectra: (nfreq + 1) * SPEC_FLOATS */
    /* Each plan transforms the SPEC_LANES planes of a tile at once, from or to the tile layout,
     * so FFTW reads and writes the spectra in place. */
    fftwf_plan r2c, c2r;
    float complex *wspec; /* [freq][out][in]: conj(FFT(w padded)), see ff_fft_conv_set_weights */
    int max_threads;
    float *pad_buf;  /* max_threads x SPEC_LANES x py*px: r2c input, zero outside h x w */
    float *real_buf; /* max_threads x SPEC_LANES x py*px: c2r output */
    float *col_buf;  /* max_threads x width: column sums of squares */
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

/* SPEC_LANES transforms of py x px planes between [lane][py][px] and one channel of a tile. */
static int make_plans(ff_fft_conv *fc) {
    const int py = fc->py, px = fc->px, fx = fc->fx, plane = py * px, L = SPEC_LANES;
    float *real = fftwf_malloc(sizeof(float) * plane * L);
    float *spec = fftwf_malloc(sizeof(float) * fc->cstride);
    if (real && spec) {
        const int F = SPEC_LANES; /* complex numbers per frequency of a tile */
        const fftwf_iodim r2c_dims[2] = {{py, px, fx * F}, {px, 1, F}};
        const fftwf_iodim c2r_dims[2] = {{py, fx * F, px}, {px, F, 1}};
        const fftwf_iodim r2c_many = {L, plane, 1}, c2r_many = {L, 1, plane};
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

ff_fft_conv *ff_fft_conv_create(const ff_conv_shape *s) {
    ff_fft_conv *fc = calloc(1, sizeof *fc);
    if (!fc) return NULL;
    fc->s = *s;
    ff_conv_fft_dims(s, &fc->py, &fc->px);
    fc->fx = fc->px / 2 + 1;
    fc->nfreq = (size_t)fc->py * fc->fx;
    fc->cstride = (fc->nfreq + 1) * SPEC_FLOATS;
    fc->wspec = fftwf_malloc(sizeof(float complex) * fc->nfreq * s->out_ch * s->in_ch);
    if (!fc->wspec || !make_plans(fc)) {
        ff_fft_conv_free(fc);
        return NULL;
    }
    return fc;
}

void ff_fft_conv_free(ff_fft_conv *fc) {
    if (!fc) return;
    if (fc->r2c) fftwf_destroy_plan(fc->r2c);
    if (fc->c2r) fftwf_destroy_plan(fc->c2r);
    fftwf_free(fc->wspec);
    fftwf_free(fc->pad_buf);
    fftwf_free(fc->real_buf);
    free(fc->col_buf);
    free(fc);
}

size_t ff_fft_conv_bytes(const ff_fft_conv *fc) {
    if (!fc) return 0;
    const size_t per_thread = (size_t)fc->py * fc->px * SPEC_LANES * 2 * sizeof(float);
    return sizeof(float complex) * fc->nfreq * fc->s.out_ch * fc->s.in_ch +
           (size_t)fc->max_threads * (per_thread + sizeof(float) * fc->s.width);
}

size_t ff_fft_conv_freqs(const ff_fft_conv *fc) {
    return fc->nfreq;
}

static int tiles_of(int n) {
    return (n + SPEC_LANES - 1) / SPEC_LANES;
}

size_t ff_fft_conv_spectra_len(const ff_fft_conv *fc, int n, int c) {
    return (size_t)tiles_of(n) * c * fc->cstride;
}

/* Per-thread transform buffers (FFTW-aligned, as the plans require), zeroed once: the padding
 * of pad_buf is never written afterwards. */
static int ensure_buffers(ff_fft_conv *fc, int threads) {
    if (threads <= fc->max_threads) return 1;
    fftwf_free(fc->pad_buf);
    fftwf_free(fc->real_buf);
    free(fc->col_buf);
    fc->col_buf = malloc(sizeof(float) * fc->s.width * threads);
    const size_t len = (size_t)fc->py * fc->px * SPEC_LANES * threads;
    fc->pad_buf = fftwf_malloc(sizeof(float) * len);
    fc->real_buf = fftwf_malloc(sizeof(float) * len);
    fc->max_threads = fc->pad_buf && fc->real_buf && fc->col_buf ? threads : 0;
    if (!fc->max_threads) return 0;
    memset(fc->pad_buf, 0, sizeof(float) * len);
    memset(fc->real_buf, 0, sizeof(float) * len);
    return 1;
}

static float *thread_pad(ff_fft_conv *fc) {
    return fc->pad_buf + (size_t)omp_thread() * fc->py * fc->px * SPEC_LANES;
}
static float *thread_real(ff_fft_conv *fc) {
    return fc->real_buf + (size_t)omp_thread() * fc->py * fc->px * SPEC_LANES;
}

/* Spectra of n samples x c channels ([n][c][h][w]) into dst in the tile layout, sample s scaled
 * by scale[s] (per_channel: channel ch of sample s by scale[s c + ch]) on the way in unless
 * scale is NULL. Lanes past n transform zero planes, so they add nothing to a sum over
 * samples. */
static void batch_spectra(ff_fft_conv *fc, float *dst, const float *src, const float *scale,
                          int per_channel, int n, int c, int threads) {
    const size_t pixels = ff_conv_pixels(&fc->s), area = (size_t)fc->py * fc->px;
    const int tiles = tiles_of(n), h = fc->s.height, w = fc->s.width;
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int i = 0; i < tiles * c; i++) {
        const int t = i / c, ch = i % c, s0 = t * SPEC_LANES;
        float *pad = thread_pad(fc);
        for (int j = 0; j < SPEC_LANES; j++) {
            const float *plane = src + ((size_t)(s0 + j) * c + ch) * pixels;
            for (int y = 0; y < h; y++) {
                float *row = pad + j * area + (size_t)y * fc->px;
                if (s0 + j < n && scale) {
                    const float k = per_channel ? scale[(size_t)(s0 + j) * c + ch] : scale[s0 + j];
                    for (int x = 0; x < w; x++) row[x] = k * plane[(size_t)y * w + x];
                } else if (s0 + j < n) {
                    memcpy(row, plane + (size_t)y * w, sizeof(float) * w);
                } else
                    memset(row, 0, sizeof(float) * w);
            }
        }
        float *spec = dst + (size_t)i * fc->cstride;
        fftwf_execute_dft_r2c(fc->r2c, pad, (fftwf_complex *)spec);
    }
}

int ff_fft_conv_input_spectra(ff_fft_conv *fc, float *xspec, const float *in, int n, int threads) {
    if (!ensure_buffers(fc, threads)) return -1;
    batch_spectra(fc, xspec, in, NULL, 0, n, fc->s.in_ch, threads);
    return 0;
}

/* The adjoint of a circular correlation is the correlation with the flipped kernel, whose
 * spectrum is the conjugate: with the same transform size and placement, the forward pass of
 * `adjoint` is then exactly the input gradient of `fc`. */
int ff_fft_conv_set_adjoint(ff_fft_conv *adjoint, const ff_fft_conv *fc) {
    const ff_conv_shape *a = &adjoint->s, *s = &fc->s;
    if (a->in_ch != s->out_ch || a->out_ch != s->in_ch || adjoint->nfreq != fc->nfreq ||
        adjoint->py != fc->py || adjoint->px != fc->px)
        return -1;
    const size_t per_freq = (size_t)s->out_ch * s->in_ch;
    for (size_t f = 0; f < fc->nfreq; f++) {
        const float complex *src = fc->wspec + f * per_freq;
        float complex *dst = adjoint->wspec + f * per_freq;
        for (int o = 0; o < s->out_ch; o++)
            for (int c = 0; c < s->in_ch; c++)
                dst[(size_t)c * s->out_ch + o] = conjf(src[(size_t)o * s->in_ch + c]);
    }
    return 0;
}

int ff_fft_conv_set_weights(ff_fft_conv *fc, const float *w, int threads) {
    return ff_kernel_spectra_forward(fc->wspec, w, fc->s.out_ch * fc->s.in_ch, fc->s.kernel, fc->py,
                                     fc->px, threads);
}

/* Frequencies go to the threads in chunks, first come first served: the two cores of a
 * shared machine rarely run at the same speed, and every frequency's result is the same
 * whichever thread computes it. A chunk's w or g stays in cache across all the tiles. */
#define FREQ_CHUNK 8

/* The channel sums over n samples at every frequency: without dspec the forward products
 * out = yspec from xspec, with it the gradient products out = gspec from dspec (scaled by
 * dscale, per sample or per_channel) and xspec. Timed for bench. */
static void channel_sums(ff_fft_conv *fc, float *out, const float *xspec, const float *dspec,
                         const float *dscale, int per_channel, int n, int threads) {
    const int cin = fc->s.in_ch, cout = fc->s.out_ch,
              chunks = (int)((fc->nfreq + FREQ_CHUNK - 1) / FREQ_CHUNK);
    const double t0 = ff_now_seconds();
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int c = 0; c < chunks; c++) {
        const size_t f0 = (size_t)c * FREQ_CHUNK;
        const size_t f1 = f0 + FREQ_CHUNK < fc->nfreq ? f0 + FREQ_CHUNK : fc->nfreq;
        if (dspec)
            ff_spectral_weight_grad((float complex *)out, dspec, xspec, dscale, per_channel,
                                    tiles_of(n), cin, cout, fc->cstride, f0, f1);
        else
            ff_spectral_forward(out, fc->wspec, xspec, tiles_of(n), cin, cout, fc->cstride, f0, f1);
    }
    product_seconds += ff_now_seconds() - t0;
    product_flops += 8.0 * fc->nfreq * cout * cin * n;
}

/* One output plane from the c2r buffer: o = plane * scale + bias, and with sumsq the ReLU
 * applied and the sum of squares returned (column partials, so the loops vectorise). */
static double extract_plane(float *restrict o, const float *restrict plane, float scale, float bias,
                            int h, int w, int px, int relu, float *restrict colacc) {
    if (!relu) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) o[y * w + x] = plane[(size_t)y * px + x] * scale + bias;
        return 0.0;
    }
    /* restrict, the ReLU in a local and -fno-trapping-math let the compiler vectorise across
     * x (it would not when o, read back for the square, might alias colacc) */
    for (int x = 0; x < w; x++) colacc[x] = 0.0f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float v = plane[(size_t)y * px + x] * scale + bias;
            const float r = v > 0.0f ? v : 0.0f;
            o[y * w + x] = r;
            colacc[x] += r * r;
        }
    double total = 0.0;
    for (int x = 0; x < w; x++) total += colacc[x];
    return total;
}

static int forward(ff_fft_conv *fc, float *out, double *sumsq, float *xspec, float *yspec,
                   const float *in, const float *b, int n, int threads) {
    if (!ensure_buffers(fc, threads)) return -1;
    const int cin = fc->s.in_ch, cout = fc->s.out_ch, h = fc->s.height, w = fc->s.width;
    const int tiles = tiles_of(n);
    batch_spectra(fc, xspec, in, NULL, 0, n, cin, threads);
    channel_sums(fc, yspec, xspec, NULL, NULL, 0, n, threads);
    const float scale = 1.0f / (float)(fc->py * fc->px); /* FFTW leaves transforms unscaled */
    const size_t area = (size_t)fc->py * fc->px;
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int i = 0; i < tiles * cout; i++) {
        const int t = i / cout, co = i % cout, s0 = t * SPEC_LANES;
        const int len = n - s0 < SPEC_LANES ? n - s0 : SPEC_LANES;
        float *buf = thread_real(fc), *spec = yspec + (size_t)i * fc->cstride;
        float *colacc = fc->col_buf + (size_t)omp_thread() * w;
        fftwf_execute_dft_c2r(fc->c2r, (fftwf_complex *)spec, buf);
        for (int j = 0; j < len; j++) {
            const size_t sc = (size_t)(s0 + j) * cout + co;
            const double sq = extract_plane(out + sc * h * w, buf + j * area, scale, b[co], h, w,
                                            fc->px, sumsq != NULL, colacc);
            if (sumsq) sumsq[sc] = sq;
        }
    }
    return 0;
}

int ff_fft_conv_forward(ff_fft_conv *fc, float *out, float *xspec, float *yspec, const float *in,
                        const float *b, int n, int threads) {
    return forward(fc, out, NULL, xspec, yspec, in, b, n, threads);
}

int ff_fft_conv_forward_relu(ff_fft_conv *fc, float *out, double *sumsq, float *xspec, float *yspec,
                             const float *in, const float *b, int n, int threads) {
    return forward(fc, out, sumsq, xspec, yspec, in, b, n, threads);
}

/* The sum over tiles and lanes of the real parts at frequency 0 of one channel (first tile at
 * re, the next `stride` floats on), each lane times its dscale factor (tile t's at dscale +
 * t dtile) unless dscale is NULL.
 * Each tile's frequency-0 lanes are copied out first: GCC 12 at -O3 -march=native (AVX-512)
 * vectorised the direct loop into one that read the tile after the last (a fault where the
 * spectra end there), and the copy leaves it nothing to speculate on. */
static double zero_frequency_sum(const float *re, size_t stride, const float *dscale, size_t dtile,
                                 int tiles) {
    double acc = 0.0;
    for (int t = 0; t < tiles; t++, re += stride) {
        float lanes[SPEC_FLOATS];
        memcpy(lanes, re, sizeof lanes);
        const float *k = dscale ? dscale + (size_t)t * dtile : NULL;
        for (int j = 0; j < SPEC_LANES; j++) acc += lanes[2 * j] * (k ? k[2 * j] : 1.0f);
    }
    return acc;
}

/* dw, db from the spectra of dout (dspec, scaled by dscale when not NULL: tiles x SPEC_FLOATS,
 * each sample's factor twice, zero past m; per_channel: tiles x out channels x SPEC_FLOATS) and
 * of the input (xspec). */
static int weight_grad_from_spectra(ff_fft_conv *fc, float *dw, float *db, float complex *gspec,
                                    const float *dspec, const float *dscale, int per_channel,
                                    const float *xspec, int m, int threads) {
    const int cin = fc->s.in_ch, cout = fc->s.out_ch, tiles = tiles_of(m);
    /* G[f] = sum_s D conj(X) = conj(dW^[f]), dW^ = conj(D) X (a correlation). Lanes past m
     * hold zero spectra in D (or a zero scale), so the samples m..n of X add nothing. */
    channel_sums(fc, (float *)gspec, xspec, dspec, dscale, per_channel, m, threads);
    if (ff_kernel_spectra_inverse(dw, gspec, cout * cin, fc->s.kernel, fc->py, fc->px,
                                  1.0f / (float)(fc->py * fc->px), threads) != 0)
        return -1;
    /* db = sum of dout: the zero-frequency terms of its spectra (real parts), already at hand. */
    const size_t drow = per_channel ? SPEC_FLOATS : 0;
    const size_t dtile = per_channel ? (size_t)cout * SPEC_FLOATS : SPEC_FLOATS;
    for (int co = 0; co < cout; co++)
        db[co] =
            (float)zero_frequency_sum(dspec + (size_t)co * fc->cstride, (size_t)cout * fc->cstride,
                                      dscale ? dscale + co * drow : NULL, dtile, tiles);
    return 0;
}

int ff_fft_conv_weight_grad(ff_fft_conv *fc, float *dw, float *db, float *dspec, float *gspec,
                            const float *dout, const float *dout_scale, int scale_per_channel,
                            const float *xspec, int m, int threads) {
    if (!ensure_buffers(fc, threads)) return -1;
    batch_spectra(fc, dspec, dout, dout_scale, scale_per_channel, m, fc->s.out_ch, threads);
    return weight_grad_from_spectra(fc, dw, db, (float complex *)gspec, dspec, NULL, 0, xspec, m,
                                    threads);
}

/* scale[s] (per_channel: scale[s C + co]) into the lanes of dscale, each twice (real and
 * imaginary parts), zero past m: [tile][SPEC_FLOATS] or, per channel, [tile][C][SPEC_FLOATS]. */
static void lane_scales(float *dscale, const float *scale, int per_channel, int C, int m) {
    const int tiles = tiles_of(m), rows = per_channel ? C : 1;
    for (int t = 0; t < tiles; t++)
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < SPEC_LANES; j++) {
                const int s = t * SPEC_LANES + j;
                float *lane = dscale + ((size_t)t * rows + r) * SPEC_FLOATS + 2 * j;
                lane[0] = lane[1] = s < m ? scale[(size_t)s * rows + r] : 0.0f;
            }
}

int ff_fft_conv_weight_grad_spectra(ff_fft_conv *fc, float *dw, float *db, float *gspec,
                                    float *dscale, const float *yspec, const float *scale,
                                    int scale_per_channel, const float *xspec, int m, int threads) {
    if (!ensure_buffers(fc, threads)) return -1;
    lane_scales(dscale, scale, scale_per_channel, fc->s.out_ch, m);
    return weight_grad_from_spectra(fc, dw, db, (float complex *)gspec, yspec, dscale,
                                    scale_per_channel, xspec, m, threads);
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

void ff_conv_fft_dims(const ff_conv_shape *s, int *py, int *px) {
    *py = transform_size(s->height, s->kernel);
    *px = transform_size(s->width, s->kernel);
}

double ff_conv_fft_transform_flops(const ff_conv_shape *s) {
    int py, px;
    ff_conv_fft_dims(s, &py, &px);
    const double n = (double)py * px;
    return 2.5 * n * log2(n); /* the usual estimate for a real-input FFT */
}

double ff_conv_fft_product_flops(const ff_conv_shape *s) {
    int py, px;
    ff_conv_fft_dims(s, &py, &px);
    return 8.0 * s->out_ch * s->in_ch * (double)py * (px / 2 + 1);
}

double ff_conv_cost_im2col(const ff_conv_shape *s) {
    /* GEMM multiply-adds plus the im2col copy, which costs about as much per element as a
     * few multiply-adds. */
    const double patch = (double)ff_conv_patch_len(s), pixels = (double)ff_conv_pixels(s);
    return 2.0 * s->out_ch * patch * pixels + 8.0 * patch * pixels;
}

double ff_conv_cost_fft(const ff_conv_shape *s) {
    /* complex MACs plus one transform per input and output channel; transforms run at a
     * fraction of GEMM speed (factor 4, measured roughly). */
    return ff_conv_fft_product_flops(s) +
           4.0 * ff_conv_fft_transform_flops(s) * (s->in_ch + s->out_ch);
}
