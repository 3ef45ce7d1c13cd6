/* Kernels against independent truth: a naive direct convolution in double, hand-computed
 * RMS normalisation, and finite differences of the FF loss through a whole layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ff_objective.h"
#include "kernels/conv_fft.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"
#include "layers/layer.h"
#include "test_util.h"

static double naive_conv_at(const float *in, const float *w, const float *b, const ff_conv_shape *s,
                            int o, int y, int x) {
    const int k = s->kernel, pad = k / 2;
    double acc = b[o];
    for (int c = 0; c < s->in_ch; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                int iy = y + ky - pad, ix = x + kx - pad;
                if (iy < 0 || iy >= s->height || ix < 0 || ix >= s->width) continue;
                acc += (double)w[((o * s->in_ch + c) * k + ky) * k + kx] *
                       in[(c * s->height + iy) * s->width + ix];
            }
    return acc;
}

static void check_conv_shape(ff_conv_shape s, uint64_t seed) {
    const size_t in_len = (size_t)s.in_ch * s.height * s.width;
    const size_t out_len = (size_t)s.out_ch * s.height * s.width;
    const size_t nw = (size_t)s.out_ch * ff_conv_patch_len(&s);
    float *in = malloc(in_len * 4), *w = malloc(nw * 4), *b = malloc(s.out_ch * 4);
    float *out = malloc(out_len * 4), *dout = malloc(out_len * 4);
    float *scratch = malloc(ff_conv_scratch_len(&s) * 4);
    float *dw = calloc(nw, 4), *db = calloc(s.out_ch, 4);
    test_fill_uniform(in, in_len, -1, 1, seed);
    test_fill_uniform(w, nw, -1, 1, seed + 1);
    test_fill_uniform(b, s.out_ch, -1, 1, seed + 2);
    test_fill_uniform(dout, out_len, -1, 1, seed + 3);
    ff_conv2d_forward(out, scratch, in, w, b, &s);
    double worst = 0;
    for (int o = 0; o < s.out_ch; o++)
        for (int y = 0; y < s.height; y++)
            for (int x = 0; x < s.width; x++) {
                double e = fabs(out[(o * s.height + y) * s.width + x] -
                                naive_conv_at(in, w, b, &s, o, y, x));
                if (e > worst) worst = e;
            }
    CHECK(worst < 1e-4, "conv forward %dx%dx%d k%d -> %d: worst error %g", s.in_ch, s.height,
          s.width, s.kernel, s.out_ch, worst);

    /* Weight gradient of sum(dout * conv(in)): d/dw = correlation of dout with in, d/db =
     * sum of dout. Accumulates, so call twice and expect double. */
    ff_conv2d_weight_grad(dw, db, scratch, dout, in, &s);
    ff_conv2d_weight_grad(dw, db, scratch, dout, in, &s);
    const int k = s.kernel, pad = k / 2;
    worst = 0;
    for (int o = 0; o < s.out_ch; o++) {
        double gb = 0;
        for (size_t p = 0; p < (size_t)s.height * s.width; p++)
            gb += dout[o * s.height * s.width + p];
        worst = fmax(worst, fabs(db[o] - 2 * gb));
        for (int c = 0; c < s.in_ch; c++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    double g = 0;
                    for (int y = 0; y < s.height; y++)
                        for (int x = 0; x < s.width; x++) {
                            int iy = y + ky - pad, ix = x + kx - pad;
                            if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                            g += (double)dout[(o * s.height + y) * s.width + x] *
                                 in[(c * s.height + iy) * s.width + ix];
                        }
                    worst = fmax(worst, fabs(dw[((o * s.in_ch + c) * k + ky) * k + kx] - 2 * g));
                }
    }
    CHECK(worst < 1e-3, "conv weight grad %dx%dx%d k%d -> %d: worst error %g", s.in_ch, s.height,
          s.width, s.kernel, s.out_ch, worst);
    free(in), free(w), free(b), free(out), free(dout), free(scratch), free(dw), free(db);
}

static void test_conv_shapes(void) {
    check_conv_shape((ff_conv_shape){1, 3, 5, 7, 3}, 1); /* one input channel, odd sizes */
    check_conv_shape((ff_conv_shape){2, 4, 6, 6, 5}, 2);
    check_conv_shape((ff_conv_shape){3, 2, 4, 5, 7}, 3);    /* kernel larger than the image */
    check_conv_shape((ff_conv_shape){5, 6, 9, 11, 1}, 4);   /* 1x1 */
    check_conv_shape((ff_conv_shape){8, 16, 28, 28, 7}, 5); /* the paper's geometry, smaller */
}

static void test_rmsnorm_relu(void) {
    const float in[2] = {3.0f, 4.0f};
    float out[2];
    float f = ff_rmsnorm_forward(out, in, 2);
    /* rms = sqrt((9 + 16) / 2) = 3.5355339 */
    CHECK_CLOSE(f, 1.0 / (sqrt(12.5) + 1e-8), 1e-6, "rmsnorm factor");
    CHECK_CLOSE(out[0], 3.0 / sqrt(12.5), 1e-6, "rmsnorm out[0]");
    CHECK_CLOSE(out[1], 4.0 / sqrt(12.5), 1e-6, "rmsnorm out[1]");
    float zero[3] = {0, 0, 0}, zout[3];
    ff_rmsnorm_forward(zout, zero, 3);
    CHECK(zout[0] == 0 && zout[2] == 0, "rmsnorm of zeros stays finite and zero");
    float y[4] = {-1.0f, 2.0f, 0.0f, 3.0f};
    double g = ff_relu_goodness_forward(y, 4);
    CHECK(y[0] == 0.0f && y[1] == 2.0f && y[3] == 3.0f, "relu clamps negatives only");
    CHECK_CLOSE(g, 13.0, 1e-12, "goodness = 2^2 + 3^2");
}

static float *aligned_floats(size_t n) {
    void *p = NULL;
    return posix_memalign(&p, 64, (n + 16) * sizeof(float)) == 0 ? p : NULL;
}

/* The FFT path against the im2col path (itself checked against the naive loops above), on
 * random batches: odd sizes, one input channel, kernel larger than the image. */
static void check_fft_shape(ff_conv_shape s, int n, uint64_t seed) {
    const size_t in_len = (size_t)s.in_ch * s.height * s.width;
    const size_t out_len = (size_t)s.out_ch * s.height * s.width;
    const size_t nw = (size_t)s.out_ch * ff_conv_patch_len(&s);
    float *in = malloc(n * in_len * 4), *w = malloc(nw * 4), *b = malloc(s.out_ch * 4);
    float *ref = malloc(n * out_len * 4), *out = malloc(n * out_len * 4);
    float *dout = malloc(n * out_len * 4), *scratch = malloc(ff_conv_scratch_len(&s) * 4);
    float *dw_ref = calloc(nw, 4), *db_ref = calloc(s.out_ch, 4);
    float *dw = malloc(nw * 4), *db = malloc(s.out_ch * 4);
    test_fill_uniform(in, n * in_len, -1, 1, seed);
    test_fill_uniform(w, nw, -1, 1, seed + 1);
    test_fill_uniform(b, s.out_ch, -1, 1, seed + 2);
    test_fill_uniform(dout, n * out_len, -1, 1, seed + 3);
    for (int i = 0; i < n; i++) {
        ff_conv2d_forward(ref + i * out_len, scratch, in + i * in_len, w, b, &s);
        if (i < n - 1)
            ff_conv2d_weight_grad(dw_ref, db_ref, scratch, dout + i * out_len, in + i * in_len, &s);
    }
    ff_fft_conv *fc = ff_fft_conv_create(&s);
    CHECK(fc != NULL, "fft plan");
    if (!fc) return;
    const size_t nf = ff_fft_conv_freqs(fc);
    /* 64-byte aligned, as the network's workspace is (the FFTW plans assume it) */
    float *xs = aligned_floats(ff_fft_conv_spectra_len(fc, n, s.in_ch));
    float *ys = aligned_floats(ff_fft_conv_spectra_len(fc, n, s.out_ch));
    float *gs = aligned_floats(2 * nf * s.out_ch * s.in_ch);
    for (int threads = 1; threads <= 2; threads++) {
        CHECK(ff_fft_conv_set_weights(fc, w, threads) == 0 &&
                  ff_fft_conv_forward(fc, out, xs, ys, in, b, n, threads) == 0,
              "fft transforms: out of memory");
        double worst = 0, scale = 0;
        for (size_t i = 0; i < n * out_len; i++)
            worst = fmax(worst, fabs(out[i] - ref[i])), scale = fmax(scale, fabs(ref[i]));
        CHECK(worst <= 1e-5 * fmax(1, scale) * sqrt((double)ff_conv_patch_len(&s)),
              "fft forward %dx%dx%d k%d -> %d, %d threads: worst %g (scale %g)", s.in_ch, s.height,
              s.width, s.kernel, s.out_ch, threads, worst, scale);
        /* the fused ReLU: relu of the same outputs, and each channel's sum of squares */
        double *sumsq = malloc(sizeof(double) * n * s.out_ch);
        float *relu = malloc(n * out_len * 4);
        ff_fft_conv_forward_relu(fc, relu, sumsq, xs, ys, in, b, n, threads);
        double relu_worst = 0, sq_worst = 0;
        for (size_t i = 0; i < n * out_len; i++)
            relu_worst = fmax(relu_worst, fabs(relu[i] - fmaxf(out[i], 0.0f)));
        for (int c = 0; c < n * s.out_ch; c++) {
            double want = 0;
            for (size_t p = 0; p < out_len / s.out_ch; p++)
                want +=
                    (double)relu[c * (out_len / s.out_ch) + p] * relu[c * (out_len / s.out_ch) + p];
            sq_worst = fmax(sq_worst, fabs(sumsq[c] - want) / fmax(1e-30, want));
        }
        CHECK(relu_worst == 0 && sq_worst < 1e-5,
              "fft forward+relu %dx%dx%d k%d: relu off by %g, "
              "sums of squares by %g (relative)",
              s.in_ch, s.height, s.width, s.kernel, relu_worst, sq_worst);
        free(sumsq), free(relu);
        /* weight gradient over the first n - 1 of n forward samples */
        ff_fft_conv_weight_grad(fc, dw, db, ys, gs, dout, NULL, 0, xs, n - 1, threads);
        worst = 0, scale = 0;
        for (size_t i = 0; i < nw; i++)
            worst = fmax(worst, fabs(dw[i] - dw_ref[i])), scale = fmax(scale, fabs(dw_ref[i]));
        for (int i = 0; i < s.out_ch; i++) worst = fmax(worst, fabs(db[i] - db_ref[i]));
        CHECK(worst <= 1e-5 * fmax(1, scale) * sqrt((double)n * s.height * s.width),
              "fft weight grad %dx%dx%d k%d -> %d: worst %g (scale %g)", s.in_ch, s.height, s.width,
              s.kernel, s.out_ch, worst, scale);
    }
    ff_fft_conv_free(fc);
    free(in), free(w), free(b), free(ref), free(out), free(dout), free(scratch), free(dw_ref);
    free(db_ref), free(dw), free(db), free(xs), free(ys), free(gs);
}

static void test_fft_matches_im2col(void) {
    check_fft_shape((ff_conv_shape){1, 3, 5, 7, 3}, 3, 21);
    check_fft_shape((ff_conv_shape){2, 4, 9, 6, 5}, 4, 22);
    check_fft_shape((ff_conv_shape){3, 2, 4, 5, 7}, 2, 23);
    check_fft_shape((ff_conv_shape){16, 8, 28, 28, 7}, 5, 24);
    check_fft_shape((ff_conv_shape){6, 5, 28, 28, 5}, 3, 25);
    /* two tiles of samples, the second partial; 9 outputs (not a multiple of the row blocks) */
    check_fft_shape((ff_conv_shape){4, 9, 12, 10, 5}, 19, 26);
    check_fft_shape((ff_conv_shape){8, 16, 28, 28, 7}, 33, 27);
}

/* Scratch for one layer and n samples, either path, as the network sizes it. */
static ff_scratch make_scratch(const ff_layer *l, int n) {
    ff_scratch_need need;
    memset(&need, 0, sizeof need);
    l->ops->scratch(l, n, 0, &need);
    ff_scratch sc = {calloc(need.per_thread + 1, 4),
                     calloc(need.partial + 1, 4),
                     calloc(need.xspec + 1, 4),
                     calloc(need.yspec + 1, 4),
                     calloc(need.gspec + 1, 4),
                     calloc(need.grad_out + 1, 4),
                     calloc((size_t)n * need.channel_sums + 1, sizeof(double)),
                     1};
    return sc;
}

static void free_scratch(ff_scratch *sc) {
    free(sc->per_thread), free(sc->partial), free(sc->xspec), free(sc->yspec), free(sc->gspec);
    free(sc->grad_out), free(sc->channel_sums);
}

/* Mean FF loss of n samples (first half positive) through one layer, in the library's path. */
static double layer_loss(ff_layer *l, const ff_layer_io *io, int n, ff_scratch *sc, float *coef) {
    char err[FFCNN_ERR_LEN];
    l->ops->update(l); /* the parameters changed */
    CHECK(l->ops->forward(l, io, n, sc, err) == FFCNN_OK, "forward: %s", err);
    ff_layer_metrics m = {0};
    return ff_objective(coef, &m, io->out_sumsq, n / 2, n / 2, (double)l->out_len);
}

static void test_layer_gradient_finite_differences(enum ffcnn_conv_path path) {
    const ffcnn_layer_spec spec = {FFCNN_LAYER_CONV, 3, 3};
    const ff_dims in = {2, 6, 5};
    const size_t np = ff_conv_layer_ops.param_count(&spec, in);
    float *params = calloc(np, 4), *grads = calloc(np, 4);
    ff_layer l;
    char err[FFCNN_ERR_LEN];
    CHECK(ff_layer_make(&l, &spec, 0, in, params, grads, path, err) == 0, "make layer: %s", err);
    test_fill_uniform(params, np, -0.4f, 0.4f, 11);
    const int n = 4;
    float *a = malloc(n * l.in_len * 4), *y = malloc(n * l.out_len * 4),
          *z = malloc(n * l.in_len * 4);
    ff_scratch sc = make_scratch(&l, n);
    float coef[4];
    double g[4];
    const ff_layer_io io = {a, NULL, y, g, z};
    test_fill_uniform(a, n * l.in_len, 0, 1, 12);
    layer_loss(&l, &io, n, &sc, coef);
    CHECK(l.ops->backward(&l, &io, coef, n, &sc, err) == FFCNN_OK, "backward: %s", err);
    double worst = 0, gmax = 0;
    for (size_t i = 0; i < np; i++) {
        const float keep = params[i], h = 1e-2f;
        params[i] = keep + h;
        double up = layer_loss(&l, &io, n, &sc, coef);
        params[i] = keep - h;
        double down = layer_loss(&l, &io, n, &sc, coef);
        params[i] = keep;
        const double fd = (up - down) / (2.0 * h);
        worst = fmax(worst, fabs(fd - grads[i]));
        gmax = fmax(gmax, fabs(fd));
    }
    CHECK(gmax > 1e-3, "finite-difference gradient is not trivially zero (max %g)", gmax);
    CHECK(worst <= 2e-2 * gmax, "path %d: layer gradient vs finite differences: worst %g of max %g",
          (int)path, worst, gmax);
    ff_layer_free(&l);
    free_scratch(&sc);
    free(params), free(grads), free(a), free(y), free(z);
}

/* Every instruction set's copy of the channel sums (spectral_products.c) that this CPU runs,
 * called directly, against the same sums in double: blocks and remainders of every copy's
 * register tiling (cout, cin not multiples of 8, 4 or 2), several tiles, with and without
 * the per-lane scale. */
typedef void (*forward_fn)(float *, const float complex *, const float *, int, int, int, size_t,
                           size_t, size_t);
typedef void (*grad_fn)(float complex *, const float *, const float *, const float *, int, int, int,
                        int, size_t, size_t, size_t);

/* use_scale: 0 none, 1 one factor per sample (lane), 2 one per sample and output channel. */
static void check_products(ff_isa isa, ff_spectral_forward_fn fwd, ff_spectral_grad_fn grad,
                           int cin, int cout, int tiles, int use_scale) {
    const size_t nf = 5, cstride = (nf + 1) * SPEC_FLOATS; /* as conv_fft: one spare frequency */
    float *x = aligned_floats((size_t)tiles * cin * cstride);
    float *d = aligned_floats((size_t)tiles * cout * cstride);
    float *y = aligned_floats((size_t)tiles * cout * cstride);
    const int rows = use_scale == 2 ? cout : 1; /* factor sets per tile */
    float *scale = aligned_floats((size_t)tiles * rows * SPEC_FLOATS);
    float complex *w = malloc(sizeof(float complex) * nf * cout * cin);
    float complex *g = malloc(sizeof(float complex) * nf * cout * cin);
    test_fill_uniform(x, (size_t)tiles * cin * cstride, -1, 1, 71 + cin);
    test_fill_uniform(d, (size_t)tiles * cout * cstride, -1, 1, 72 + cout);
    test_fill_uniform((float *)w, 2 * nf * cout * cin, -1, 1, 73);
    test_fill_uniform(scale, (size_t)tiles * rows * SPEC_FLOATS, 0.5f, 2, 74);
    for (int i = 0; i < tiles * rows * SPEC_LANES; i++)
        scale[2 * i + 1] = scale[2 * i];            /* a lane's */
    fwd(y, w, x, tiles, cin, cout, cstride, 1, nf); /* frequencies 1..nf-1: f0 is honoured */
    grad(g, d, x, use_scale ? scale : NULL, use_scale == 2, tiles, cin, cout, cstride, 1, nf);
    double worst_y = 0, worst_g = 0;
    for (size_t f = 1; f < nf; f++)
        for (int co = 0; co < cout; co++) {
            for (int t = 0; t < tiles; t++)
                for (int j = 0; j < SPEC_LANES; j++) { /* y = sum_ci w x, lane j of tile t */
                    double re = 0, im = 0;
                    for (int ci = 0; ci < cin; ci++) {
                        const float *xp = x + ((size_t)t * cin + ci) * cstride + f * SPEC_FLOATS;
                        const double wr = crealf(w[(f * cout + co) * cin + ci]);
                        const double wi = cimagf(w[(f * cout + co) * cin + ci]);
                        re += wr * xp[2 * j] - wi * xp[2 * j + 1];
                        im += wr * xp[2 * j + 1] + wi * xp[2 * j];
                    }
                    const float *yp = y + ((size_t)t * cout + co) * cstride + f * SPEC_FLOATS;
                    worst_y = fmax(worst_y, fmax(fabs(yp[2 * j] - re), fabs(yp[2 * j + 1] - im)));
                }
            for (int ci = 0; ci < cin; ci++) { /* g = sum over tiles and lanes of d conj(x) */
                double re = 0, im = 0;
                for (int t = 0; t < tiles; t++)
                    for (int j = 0; j < SPEC_LANES; j++) {
                        const float *xp = x + ((size_t)t * cin + ci) * cstride + f * SPEC_FLOATS;
                        const float *dp = d + ((size_t)t * cout + co) * cstride + f * SPEC_FLOATS;
                        const size_t set = (size_t)t * rows + (use_scale == 2 ? co : 0);
                        const double sc = use_scale ? scale[set * SPEC_FLOATS + 2 * j] : 1;
                        const double dr = dp[2 * j] * sc, di = dp[2 * j + 1] * sc;
                        re += dr * xp[2 * j] + di * xp[2 * j + 1];
                        im += di * xp[2 * j] - dr * xp[2 * j + 1];
                    }
                const float complex gv = g[(f * cout + co) * cin + ci];
                worst_g = fmax(worst_g, fmax(fabs(crealf(gv) - re), fabs(cimagf(gv) - im)));
            }
        }
    /* float sums of cin (forward) or 16 tiles (gradient) terms of size ~1: error ~1e-6 * terms */
    CHECK(worst_y < 1e-5 * cin && worst_g < 1e-5 * 16 * tiles,
          "%s products cin %d cout %d tiles %d%s: forward off by %g, gradient by %g",
          ff_isa_name(isa), cin, cout, tiles,
          use_scale == 2 ? " scaled per channel"
          : use_scale    ? " scaled"
                         : "",
          worst_y, worst_g);
    free(x), free(d), free(y), free(scale), free(w), free(g);
}

static void test_products_every_isa(void) {
    static const int shapes[][3] = {{1, 1, 1},   {3, 5, 2}, {2, 8, 1}, {7, 9, 3},
                                    {16, 16, 2}, {5, 4, 1}, {6, 13, 2}};
    for (int isa = FF_ISA_GENERIC; isa <= FF_ISA_AVX512; isa++) {
        ff_spectral_forward_fn fwd;
        ff_spectral_grad_fn grad;
        if (ff_isa_spectral_kernels((ff_isa)isa, &fwd, &grad) != 0) {
            printf("(%s kernels: not run, not in this build or this CPU)\n", ff_isa_name(isa));
            continue;
        }
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            for (int sc = 0; sc < 3; sc++)
                check_products((ff_isa)isa, fwd, grad, shapes[i][0], shapes[i][1], shapes[i][2],
                               sc);
    }
}

/* Max pooling against the definition, written the obvious way: every output is the largest
 * of its window; odd sides drop their last row or column (as PyTorch's MaxPool2d). A hand case
 * first, then random maps of even and odd sides. */
static void test_maxpool_against_naive(void) {
    const float in[2 * 3 * 5] = {1,  2,  3,  4,  5,   /* channel 0 */
                                 6,  -7, 8,  -9, 10,  /* */
                                 0,  0,  0,  0,  99,  /* dropped row */
                                 -1, -2, -3, -4, -5,  /* channel 1 */
                                 -6, -7, -8, -9, -10, /* */
                                 9,  9,  9,  9,  9};
    float out[2 * 1 * 2];
    ff_maxpool2d_forward(out, in, 2, 3, 5, 2);
    CHECK(out[0] == 6 && out[1] == 8 && out[2] == -1 && out[3] == -3,
          "hand case: %g %g %g %g (want 6 8 -1 -3)", out[0], out[1], out[2], out[3]);
    const int shapes[][4] = {{3, 28, 28, 2}, {2, 7, 9, 2}, {4, 14, 14, 3}, {1, 5, 5, 5}};
    for (size_t t = 0; t < sizeof shapes / sizeof *shapes; t++) {
        const int C = shapes[t][0], H = shapes[t][1], W = shapes[t][2], S = shapes[t][3];
        const int OH = H / S, OW = W / S;
        float *x = malloc(sizeof(float) * C * H * W), *y = malloc(sizeof(float) * C * OH * OW);
        test_fill_uniform(x, (size_t)C * H * W, -1, 1, 40 + t);
        ff_maxpool2d_forward(y, x, C, H, W, S);
        int wrong = 0;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < OH; i++)
                for (int j = 0; j < OW; j++) {
                    float best = -INFINITY;
                    for (int di = 0; di < S; di++)
                        for (int dj = 0; dj < S; dj++)
                            best = fmaxf(best, x[(c * H + i * S + di) * W + j * S + dj]);
                    wrong += y[(c * OH + i) * OW + j] != best;
                }
        CHECK(wrong == 0, "maxpool %dx%dx%d size %d: %d outputs differ from the naive loop", C, H,
              W, S, wrong);
        free(x), free(y);
    }
}

/* The pooling layer kind through its operations table: output shape, values, and the sum of
 * squares the next conv layer normalises with. */
static void test_maxpool_layer(void) {
    const ffcnn_layer_spec spec = {FFCNN_LAYER_MAXPOOL, 0, 2};
    ff_layer l;
    char err[FFCNN_ERR_LEN];
    CHECK(ff_layer_make(&l, &spec, 1, (ff_dims){3, 9, 8}, NULL, NULL, FFCNN_CONV_AUTO, err) == 0,
          "make: %s", err);
    CHECK(l.out.c == 3 && l.out.h == 4 && l.out.w == 4 && l.n_params == 0 && !l.ops->backward,
          "3x9x8 pools to 3x4x4, no parameters, no gradient");
    const int n = 3;
    float *x = malloc(sizeof(float) * n * l.in_len), *y = malloc(sizeof(float) * n * l.out_len);
    double sq[3];
    test_fill_uniform(x, n * l.in_len, 0, 1, 77);
    ff_layer_io io = {x, NULL, y, sq, NULL};
    ff_scratch sc = {0};
    sc.threads = 2;
    CHECK(l.ops->forward(&l, &io, n, &sc, err) == 0, "forward: %s", err);
    int wrong = 0;
    for (int s = 0; s < n; s++) {
        float ref[48];
        ff_maxpool2d_forward(ref, x + s * l.in_len, 3, 9, 8, 2);
        double want = 0;
        for (int i = 0; i < 48; i++) want += (double)ref[i] * ref[i];
        wrong +=
            memcmp(ref, y + s * l.out_len, sizeof ref) != 0 || fabs(sq[s] - want) > 1e-9 * want;
    }
    CHECK(wrong == 0, "layer output and sums of squares per sample");
    const ffcnn_layer_spec too_big = {FFCNN_LAYER_MAXPOOL, 0, 4};
    CHECK(ff_layer_make(&l, &too_big, 2, (ff_dims){3, 3, 8}, NULL, NULL, FFCNN_CONV_AUTO, err) ==
                  FFCNN_EINVAL &&
              strstr(err, "layer 3"),
          "a window larger than the map is refused, layer named: %s", err);
    free(x), free(y);
}

/* The image padded by `pad` zeros on every side, [c][h + 2 pad][w + 2 pad]: the augmentation's
 * definition, built directly, so that its windows check the kernel's index arithmetic. */
static void pad_image(float *out, const float *in, int channels, int h, int w, int pad) {
    const int ph = h + 2 * pad, pw = w + 2 * pad;
    memset(out, 0, sizeof(float) * (size_t)channels * ph * pw);
    for (int c = 0; c < channels; c++)
        for (int i = 0; i < h; i++)
            memcpy(out + ((size_t)c * ph + i + pad) * pw + pad, in + ((size_t)c * h + i) * w,
                   sizeof(float) * (size_t)w);
}

/* Shift and flip of a 2 x 3 x 4 image of distinct values (1..24): two hand-written cases, then
 * every dy, dx in -2..2 with and without the flip against a window of the padded image reversed
 * row by row. Values are copied, never computed, so the comparison is exact. */
static void test_augment_shift_flip(void) {
    enum { C = 2, H = 3, W = 4, P = 2, PH = H + 2 * P, PW = W + 2 * P };
    float src[C * H * W], dst[C * H * W], padded[C * PH * PW];
    for (int i = 0; i < C * H * W; i++) src[i] = (float)(i + 1);
    /* Channel 0 is 1 2 3 4 / 5 6 7 8 / 9 10 11 12. dy = 1, dx = -1: row i shows row i + 1,
     * column j column j - 1. */
    const float down_right[C * H * W] = {0, 5,  6,  7,  0, 9,  10, 11, 0, 0, 0, 0,
                                         0, 17, 18, 19, 0, 21, 22, 23, 0, 0, 0, 0};
    ff_augment_shift_flip(dst, src, C, H, W, 1, -1, 0);
    CHECK(!memcmp(dst, down_right, sizeof dst), "augment: dy 1, dx -1 by hand");
    /* The same window mirrored: each row read right to left. */
    const float mirrored[C * H * W] = {7,  6,  5,  0, 11, 10, 9,  0, 0, 0, 0, 0,
                                       19, 18, 17, 0, 23, 22, 21, 0, 0, 0, 0, 0};
    ff_augment_shift_flip(dst, src, C, H, W, 1, -1, 1);
    CHECK(!memcmp(dst, mirrored, sizeof dst), "augment: dy 1, dx -1, flipped, by hand");
    ff_augment_shift_flip(dst, src, C, H, W, 0, 0, 0);
    CHECK(!memcmp(dst, src, sizeof dst), "augment: no shift, no flip is a copy");
    pad_image(padded, src, C, H, W, P);
    int bad = 0;
    for (int dy = -P; dy <= P; dy++)
        for (int dx = -P; dx <= P; dx++)
            for (int flip = 0; flip <= 1; flip++) {
                ff_augment_shift_flip(dst, src, C, H, W, dy, dx, flip);
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < H; i++)
                        for (int j = 0; j < W; j++) {
                            const int jj = flip ? W - 1 - j : j;
                            const float want = padded[(c * PH + i + dy + P) * PW + jj + dx + P];
                            bad += dst[(c * H + i) * W + j] != want;
                        }
            }
    CHECK(bad == 0, "augment: %d pixels differ from the padded image's windows", bad);
}

int main(void) {
    ff_blas_single_thread();
    printf("kernels in use: %s\n", ff_isa_name(ff_isa_active()));
    test_products_every_isa();
    test_conv_shapes();
    test_rmsnorm_relu();
    test_maxpool_against_naive();
    test_maxpool_layer();
    test_augment_shift_flip();
    test_layer_gradient_finite_differences(FFCNN_CONV_IM2COL);
    test_layer_gradient_finite_differences(FFCNN_CONV_FFT);
    test_fft_matches_im2col();
    return test_summary();
}
