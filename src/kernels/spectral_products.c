/* The per-frequency channel sums of the FFT convolution, on spectra kept in the tile layout
 * (conv_fft.h): SPEC_LANES samples side by side per frequency as interleaved complex numbers.
 *
 * With the samples in the vector lanes, the forward product broadcasts one complex weight and
 * multiplies a run of samples by it, and the FFTs read and write the spectra where they lie: no
 * transposition to a [freq][channel][sample] layout and no GEMM packing, which together cost
 * about a quarter of a training step with per-frequency cgemm calls.
 *
 * This file is compiled once per instruction set (CMake sets FF_BUILD_AVX512, FF_BUILD_AVX2 or
 * neither, and the matching -march), and isa.c picks one at run time. The vector code is sized
 * to the target's registers: a tile frequency is SPEC_FLOATS = 32 floats, that is two AVX-512
 * vectors or four AVX2 vectors, and the register blocks below are chosen so that accumulators,
 * inputs and broadcasts fit the register file (32 zmm, 16 ymm) without spilling. Without
 * either macro the file is plain C11 (no vector extensions), which any compiler builds and
 * auto-vectorises for its own target (SSE2, NEON, ...). */
#include <string.h>

#include "conv_fft.h"
#include "isa.h"

#if defined(FF_BUILD_AVX512)
#define VF 16       /* floats per vector */
#define FWD_ROWS 8  /* output channels per forward block: 8 x 2 accumulators + 2 inputs */
#define FWD_PART 32 /* floats of a tile frequency per forward pass (all of it) */
#define GRAD_RO 4   /* gradient block: 4 outputs x 2 inputs x 2 = 16 accumulators */
#define GRAD_RI 2
#elif defined(FF_BUILD_AVX2)
#define VF 8
#define FWD_ROWS 4  /* 4 x 2 accumulators + 2 inputs + 1 broadcast = 11 of 16 */
#define FWD_PART 16 /* half a tile frequency per pass */
#define GRAD_RO 2   /* 2 x 2 x 2 = 8 accumulators + 2 inputs + 2 swapped + 1 d = 13 of 16 */
#define GRAD_RI 2
#endif

#ifdef VF
/* ---------------------------------------------------------------- vector-extension kernels */

typedef float vec __attribute__((vector_size(VF * sizeof(float))));
#define NV (SPEC_FLOATS / VF) /* vectors per tile frequency */
#define PV (FWD_PART / VF)    /* vectors per forward pass */

#if VF == 16
#define SWAP_PAIRS(v)                                                                              \
    __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)
static const vec alternate = {-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1};
#else
#define SWAP_PAIRS(v) __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6)
static const vec alternate = {-1, 1, -1, 1, -1, 1, -1, 1};
#endif

static inline vec load(const float *p) {
    vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store(float *p, vec v) {
    memcpy(p, &v, sizeof v);
}

static inline vec zero(void) {
    const vec z = {0};
    return z;
}

static inline float lane_sum(vec v) {
    float s = 0.0f;
    for (int i = 0; i < VF; i++) s += v[i];
    return s;
}

#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#if VF == 16
/* out[i] = the sum of v[i]'s lanes, for 16 vectors at once: four rounds that each add the two
 * halves of every vector's live lanes while packing two vectors into one (about one shuffle-add
 * per vector, where summing each vector alone costs about sixteen). Vector i's sum ends in
 * lane bitreverse(i). */
static void sum_vf(float out[16], const vec v[16]) {
    vec r1[8], r2[4], r3[2], r4;
    for (int i = 0; i < 8; i++)
        r1[i] =
            SHUF(v[2 * i], v[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
            SHUF(v[2 * i], v[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30,
                 31);
    for (int i = 0; i < 4; i++)
        r2[i] = SHUF(r1[2 * i], r1[2 * i + 1], 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26,
                     27) +
                SHUF(r1[2 * i], r1[2 * i + 1], 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29,
                     30, 31);
    for (int i = 0; i < 2; i++)
        r3[i] = SHUF(r2[2 * i], r2[2 * i + 1], 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28,
                     29) +
                SHUF(r2[2 * i], r2[2 * i + 1], 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15,
                     30, 31);
    r4 = SHUF(r3[0], r3[1], 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30) +
         SHUF(r3[0], r3[1], 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    static const int bitreverse[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    for (int i = 0; i < 16; i++) out[i] = r4[bitreverse[i]];
}
#else
/* The same tree for 8 vectors of 8 lanes, in three rounds; vector i's sum ends in lane
 * bitreverse(i) of three bits. */
static void sum_vf(float out[8], const vec v[8]) {
    vec r1[4], r2[2], r3;
    for (int i = 0; i < 4; i++)
        r1[i] = SHUF(v[2 * i], v[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11) +
                SHUF(v[2 * i], v[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15);
    for (int i = 0; i < 2; i++)
        r2[i] = SHUF(r1[2 * i], r1[2 * i + 1], 0, 1, 8, 9, 4, 5, 12, 13) +
                SHUF(r1[2 * i], r1[2 * i + 1], 2, 3, 10, 11, 6, 7, 14, 15);
    r3 = SHUF(r2[0], r2[1], 0, 8, 2, 10, 4, 12, 6, 14) +
         SHUF(r2[0], r2[1], 1, 9, 3, 11, 5, 13, 7, 15);
    static const int bitreverse[8] = {0, 4, 2, 6, 1, 5, 3, 7};
    for (int i = 0; i < 8; i++) out[i] = r3[bitreverse[i]];
}
#endif
#undef SHUF

/* ROWS output channels from co of one tile at one frequency, FWD_PART floats at a time:
 * y = sum_ci w[co][ci] x[ci], as wr x + wi (alternate swap(x)) on interleaved pairs, the sign
 * on the x side so that it is paid once per input channel, not once per output. In effect a
 * real GEMM with 2 cin terms per output, each input vector feeding ROWS multiply-adds. The
 * swapped inputs replace the inputs in the same registers once the real parts are done, so
 * that AVX2's 16 registers hold 6 rows x 2 vectors of accumulators. ROWS is a constant in
 * each instance, so the accumulators stay in registers. */
#define DEFINE_FORWARD_ROWS_(ROWS)                                                                 \
    static void forward_rows_##ROWS(float *y, const float complex *w, const float *x, int cin,     \
                                    size_t cstride) {                                              \
        for (int p = 0; p < SPEC_FLOATS; p += FWD_PART) {                                          \
            vec acc[ROWS][PV];                                                                     \
            for (int r = 0; r < ROWS; r++)                                                         \
                for (int v = 0; v < PV; v++) acc[r][v] = zero();                                   \
            for (int ci = 0; ci < cin; ci++) {                                                     \
                vec xv[PV];                                                                        \
                for (int v = 0; v < PV; v++) xv[v] = load(x + ci * cstride + p + v * VF);          \
                for (int r = 0; r < ROWS; r++) {                                                   \
                    const float wr = crealf(w[(size_t)r * cin + ci]);                              \
                    for (int v = 0; v < PV; v++) acc[r][v] += wr * xv[v];                          \
                }                                                                                  \
                for (int v = 0; v < PV; v++) xv[v] = SWAP_PAIRS(xv[v]) * alternate;                \
                for (int r = 0; r < ROWS; r++) {                                                   \
                    const float wi = cimagf(w[(size_t)r * cin + ci]);                              \
                    for (int v = 0; v < PV; v++) acc[r][v] += wi * xv[v];                          \
                }                                                                                  \
            }                                                                                      \
            for (int r = 0; r < ROWS; r++)                                                         \
                for (int v = 0; v < PV; v++) store(y + r * cstride + p + v * VF, acc[r][v]);       \
        }                                                                                          \
    }
#define DEFINE_FORWARD_ROWS(ROWS) DEFINE_FORWARD_ROWS_(ROWS) /* expands FWD_ROWS first */
DEFINE_FORWARD_ROWS(FWD_ROWS)
#if FWD_ROWS != 4
DEFINE_FORWARD_ROWS(4)
#endif
DEFINE_FORWARD_ROWS(2)
DEFINE_FORWARD_ROWS(1)
#define FORWARD_BLOCK_(R) forward_rows_##R
#define FORWARD_BLOCK(R) FORWARD_BLOCK_(R)

void FF_KERNEL(ff_spectral_forward)(float *y, const float complex *w, const float *x, int tiles,
                                    int cin, int cout, size_t cstride, size_t f0, size_t f1) {
    for (size_t f = f0; f < f1; f++)
        for (int t = 0; t < tiles; t++) {
            const float *xt = x + (size_t)t * cin * cstride + f * SPEC_FLOATS;
            float *yt = y + (size_t)t * cout * cstride + f * SPEC_FLOATS;
            const float complex *wf = w + f * cout * cin;
            int co = 0;
            for (; co + FWD_ROWS <= cout; co += FWD_ROWS)
                FORWARD_BLOCK(FWD_ROWS)(yt + co * cstride, wf + (size_t)co * cin, xt, cin, cstride);
            if (cout - co >= 4) /* the remainder in blocks of 4, 2, 1 */
                forward_rows_4(yt + co * cstride, wf + (size_t)co * cin, xt, cin, cstride), co += 4;
            if (cout - co >= 2)
                forward_rows_2(yt + co * cstride, wf + (size_t)co * cin, xt, cin, cstride), co += 2;
            if (cout - co >= 1)
                forward_rows_1(yt + co * cstride, wf + (size_t)co * cin, xt, cin, cstride);
        }
}

/* g[co..co+ro][ci..ci+ri] at one frequency = sum over tiles and lanes of d conj(x): with
 * a = d x and b = d swap(x) lane by lane, Re = sum of a, Im = sum of b * alternate. The NV
 * vectors of a tile frequency all add into the same accumulators. */
static inline __attribute__((always_inline)) void
grad_block(float complex *g, const float *d, const float *x, const float *dscale, size_t dtile,
           size_t drow, int ro, int ri, int tiles, int cin, int cout, size_t cstride) {
    vec a[GRAD_RO][GRAD_RI], b[GRAD_RO][GRAD_RI];
    for (int o = 0; o < ro; o++)
        for (int i = 0; i < ri; i++) a[o][i] = b[o][i] = zero();
    for (int t = 0; t < tiles; t++) {
        const float *dt = d + (size_t)t * cout * cstride, *xt = x + (size_t)t * cin * cstride;
        for (int v = 0; v < NV; v++) {
            vec xv[GRAD_RI], sv[GRAD_RI];
            for (int i = 0; i < ri; i++) {
                xv[i] = load(xt + i * cstride + v * VF);
                sv[i] = SWAP_PAIRS(xv[i]);
            }
            for (int o = 0; o < ro; o++) {
                vec dv = load(dt + o * cstride + v * VF);
                if (dscale) dv *= load(dscale + (size_t)t * dtile + o * drow + v * VF);
                for (int i = 0; i < ri; i++) {
                    a[o][i] += dv * xv[i];
                    b[o][i] += dv * sv[i];
                }
            }
        }
    }
    if (ro == GRAD_RO && ri == GRAD_RI) { /* the full block: its VF sums at once */
        vec all[VF];
        float sums[VF];
        for (int k = 0; k < GRAD_RO * GRAD_RI; k++) {
            all[2 * k] = a[k / GRAD_RI][k % GRAD_RI];
            all[2 * k + 1] = b[k / GRAD_RI][k % GRAD_RI] * alternate;
        }
        sum_vf(sums, all);
        for (int k = 0; k < GRAD_RO * GRAD_RI; k++)
            g[(size_t)(k / GRAD_RI) * cin + k % GRAD_RI] = sums[2 * k] + I * sums[2 * k + 1];
        return;
    }
    for (int o = 0; o < ro; o++)
        for (int i = 0; i < ri; i++)
            g[(size_t)o * cin + i] = lane_sum(a[o][i]) + I * lane_sum(b[o][i] * alternate);
}

#if 2 * GRAD_RO * GRAD_RI != VF
#error "the full gradient block must fill sum_vf's VF vectors"
#endif

/* The gradient products of frequencies [f0, f1), dscale's factors of tile t and output channel
 * co at dscale + t dtile + co drow. The per-sample layout inlines it with constant strides
 * (SPEC_FLOATS, 0), which fold into grad_block's addressing as before the per-channel layout
 * existed. */
static inline __attribute__((always_inline)) void
weight_grad_range(float complex *g, const float *d, const float *x, const float *dscale,
                  size_t dtile, size_t drow, int tiles, int cin, int cout, size_t cstride,
                  size_t f0, size_t f1) {
    for (size_t f = f0; f < f1; f++) {
        const float *df = d + f * SPEC_FLOATS, *xf = x + f * SPEC_FLOATS;
        float complex *gf = g + f * cout * cin;
        for (int co = 0; co < cout; co += GRAD_RO) {
            const int ro = cout - co < GRAD_RO ? cout - co : GRAD_RO;
            const float *dc = df + co * cstride;
            const float *sc = dscale ? dscale + co * drow : NULL;
            int ci = 0;
            if (ro == GRAD_RO)
                for (; ci + GRAD_RI <= cin; ci += GRAD_RI)
                    grad_block(gf + (size_t)co * cin + ci, dc, xf + ci * cstride, sc, dtile, drow,
                               GRAD_RO, GRAD_RI, tiles, cin, cout, cstride);
            for (; ci < cin; ci++)
                for (int o = 0; o < ro; o++)
                    grad_block(gf + (size_t)(co + o) * cin + ci, dc + o * cstride,
                               xf + ci * cstride, sc ? sc + o * drow : NULL, dtile, drow, 1, 1,
                               tiles, cin, cout, cstride);
        }
    }
}

/* --ff-loss cwc's per-(sample, output channel) factors, out of line: inlined beside the
 * per-sample path it cost that path 3-8 % (bench/bench_products, best of 4 runs). */
static __attribute__((noinline)) void
weight_grad_range_per_channel(float complex *g, const float *d, const float *x, const float *dscale,
                              int tiles, int cin, int cout, size_t cstride, size_t f0, size_t f1) {
    weight_grad_range(g, d, x, dscale, (size_t)cout * SPEC_FLOATS, SPEC_FLOATS, tiles, cin, cout,
                      cstride, f0, f1);
}

void FF_KERNEL(ff_spectral_weight_grad)(float complex *g, const float *d, const float *x,
                                        const float *dscale, int dscale_per_channel, int tiles,
                                        int cin, int cout, size_t cstride, size_t f0, size_t f1) {
    if (dscale_per_channel)
        weight_grad_range_per_channel(g, d, x, dscale, tiles, cin, cout, cstride, f0, f1);
    else
        weight_grad_range(g, d, x, dscale, SPEC_FLOATS, 0, tiles, cin, cout, cstride, f0, f1);
}

#else
/* ---------------------------------------------------------------- portable C11 kernels */

#define ROWS 4 /* output channels per forward block */

/* s[j] = the sign-swapped partner of x[j] in its pair: (re, im) -> (-im, re). */
static void swap_sign_pairs(float s[SPEC_FLOATS], const float *x) {
    for (int j = 0; j < SPEC_FLOATS; j += 2) s[j] = -x[j + 1], s[j + 1] = x[j];
}

static void forward_rows(float *y, const float complex *w, const float *x, int rows, int cin,
                         size_t cstride) {
    float acc[ROWS][SPEC_FLOATS] = {{0}};
    for (int ci = 0; ci < cin; ci++) {
        const float *xc = x + ci * cstride;
        float s[SPEC_FLOATS];
        swap_sign_pairs(s, xc);
        for (int r = 0; r < rows; r++) {
            const float wr = crealf(w[(size_t)r * cin + ci]), wi = cimagf(w[(size_t)r * cin + ci]);
            for (int j = 0; j < SPEC_FLOATS; j++) acc[r][j] += wr * xc[j] + wi * s[j];
        }
    }
    for (int r = 0; r < rows; r++) memcpy(y + r * cstride, acc[r], sizeof acc[r]);
}

void FF_KERNEL(ff_spectral_forward)(float *y, const float complex *w, const float *x, int tiles,
                                    int cin, int cout, size_t cstride, size_t f0, size_t f1) {
    for (size_t f = f0; f < f1; f++)
        for (int t = 0; t < tiles; t++) {
            const float *xt = x + (size_t)t * cin * cstride + f * SPEC_FLOATS;
            float *yt = y + (size_t)t * cout * cstride + f * SPEC_FLOATS;
            const float complex *wf = w + f * cout * cin;
            for (int co = 0; co < cout; co += ROWS) {
                const int rows = cout - co < ROWS ? cout - co : ROWS;
                forward_rows(yt + co * cstride, wf + (size_t)co * cin, xt, rows, cin, cstride);
            }
        }
}

void FF_KERNEL(ff_spectral_weight_grad)(float complex *g, const float *d, const float *x,
                                        const float *dscale, int dscale_per_channel, int tiles,
                                        int cin, int cout, size_t cstride, size_t f0, size_t f1) {
    const size_t drow = dscale_per_channel ? SPEC_FLOATS : 0;
    const size_t dtile = dscale_per_channel ? (size_t)cout * SPEC_FLOATS : SPEC_FLOATS;
    for (size_t f = f0; f < f1; f++)
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++) {
                float re[SPEC_FLOATS] = {0}, im[SPEC_FLOATS] = {0};
                for (int t = 0; t < tiles; t++) {
                    const float *dt = d + ((size_t)t * cout + co) * cstride + f * SPEC_FLOATS;
                    const float *xt = x + ((size_t)t * cin + ci) * cstride + f * SPEC_FLOATS;
                    const float *sc = dscale ? dscale + (size_t)t * dtile + co * drow : NULL;
                    float s[SPEC_FLOATS];
                    swap_sign_pairs(s, xt);
                    for (int j = 0; j < SPEC_FLOATS; j++) {
                        const float dv = sc ? dt[j] * sc[j] : dt[j];
                        re[j] += dv * xt[j]; /* Re(d conj x) = dr xr + di xi */
                        im[j] += dv * s[j];  /* Im(d conj x) = di xr - dr xi */
                    }
                }
                float sr = 0.0f, si = 0.0f;
                for (int j = 0; j < SPEC_FLOATS; j++) sr += re[j], si += im[j];
                g[f * cout * cin + (size_t)co * cin + ci] = sr + I * si;
            }
}
#endif
