/* The per-frequency channel sums of the FFT convolution, on spectra kept in the tile layout
 * (conv_fft.h): SPEC_LANES samples side by side per frequency as interleaved complex numbers.
 *
 * With the samples in the vector lanes, the forward product broadcasts one complex weight and
 * multiplies a whole vector of samples by it, and the FFTs read and write the spectra where they
 * lie: no transposition to a [freq][channel][sample] layout and no GEMM packing, which together
 * cost about a quarter of a training step with per-frequency cgemm calls. GCC and Clang vector
 * extensions keep this portable; on AVX-512 one vector is one register. */
#include <string.h>

#include "conv_fft.h"

/* Half a tile's frequency: SPEC_LANES / 2 complex numbers, (re, im) pairs. */
typedef float lanes __attribute__((vector_size(SPEC_LANES * sizeof(float))));

/* (re, im) -> (im, re) in every pair, and the sign that makes w x from wr x + wi swap(x). */
static inline lanes swap_pairs(lanes v) {
    return __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
}
static const lanes alternate = {-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1};

static inline lanes load(const float *p) {
    lanes v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store(float *p, lanes v) {
    memcpy(p, &v, sizeof v);
}

static inline lanes zero(void) {
    const lanes z = {0};
    return z;
}

#if SPEC_LANES != 16
#error "sum_16 below is written for 16 lanes"
#endif

/* out[i] = the sum of v[i]'s lanes, for 16 vectors at once: four rounds that each add the two
 * halves of every vector's live lanes while packing two vectors into one (about one shuffle-add
 * per vector, where summing each vector alone costs about sixteen). Vector i's sum ends in
 * lane bitreverse(i). */
static void sum_16(float out[16], const lanes v[16]) {
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
    lanes r1[8], r2[4], r3[2], r4;
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
#undef SHUF
    static const int bitreverse[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    for (int i = 0; i < 16; i++) out[i] = r4[bitreverse[i]];
}

static inline float lane_sum(lanes v) {
    float s = 0.0f;
    for (int i = 0; i < SPEC_LANES; i++) s += v[i];
    return s;
}

/* ROWS output channels from co of one tile at one frequency: y = sum_ci w[co][ci] x[ci], as
 * wr x + wi (alternate swap(x)) on interleaved pairs, the sign on the x side so that it is
 * paid once per input channel, not once per output. ROWS is a constant in each instance,
 * so the accumulators stay in registers. */
#define DEFINE_FORWARD_ROWS(ROWS)                                                                  \
    static void forward_rows_##ROWS(float *y, const float complex *w, const float *x, int cin,     \
                                    size_t cstride) {                                              \
        lanes acc[ROWS][2];                                                                        \
        for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = zero();                             \
        for (int ci = 0; ci < cin; ci++) {                                                         \
            const lanes x0 = load(x + ci * cstride), x1 = load(x + ci * cstride + SPEC_LANES);     \
            const lanes s0 = swap_pairs(x0) * alternate, s1 = swap_pairs(x1) * alternate;          \
            for (int r = 0; r < ROWS; r++) {                                                       \
                const float wr = crealf(w[(size_t)r * cin + ci]);                                  \
                const float wi = cimagf(w[(size_t)r * cin + ci]);                                  \
                acc[r][0] += wr * x0; /* one multiply-add each */                                  \
                acc[r][0] += wi * s0;                                                              \
                acc[r][1] += wr * x1;                                                              \
                acc[r][1] += wi * s1;                                                              \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < ROWS; r++) {                                                           \
            store(y + r * cstride, acc[r][0]);                                                     \
            store(y + r * cstride + SPEC_LANES, acc[r][1]);                                        \
        }                                                                                          \
    }
DEFINE_FORWARD_ROWS(8)
DEFINE_FORWARD_ROWS(1)

void spectral_forward(float *y, const float complex *w, const float *x, int tiles, int cin,
                      int cout, size_t cstride, size_t f0, size_t f1) {
    for (size_t f = f0; f < f1; f++)
        for (int t = 0; t < tiles; t++) {
            const float *xt = x + (size_t)t * cin * cstride + f * SPEC_FLOATS;
            float *yt = y + (size_t)t * cout * cstride + f * SPEC_FLOATS;
            const float complex *wf = w + f * cout * cin;
            int co = 0;
            for (; co + 8 <= cout; co += 8)
                forward_rows_8(yt + co * cstride, wf + (size_t)co * cin, xt, cin, cstride);
            for (; co < cout; co++)
                forward_rows_1(yt + co * cstride, wf + (size_t)co * cin, xt, cin, cstride);
        }
}

/* g[co..co+ro][ci..ci+ri] at one frequency = sum over tiles and lanes of d conj(x): with
 * a = d x and b = d swap(x) lane by lane, Re = sum of a, Im = sum of b * alternate. */
static inline __attribute__((always_inline)) void grad_block(float complex *g, const float *d,
                                                             const float *x, const float *dscale,
                                                             int ro, int ri, int tiles, int cin,
                                                             int cout, size_t cstride) {
    lanes a[4][2], b[4][2];
    for (int o = 0; o < ro; o++)
        for (int i = 0; i < ri; i++) a[o][i] = b[o][i] = zero();
    for (int t = 0; t < tiles; t++) {
        const float *dt = d + (size_t)t * cout * cstride, *xt = x + (size_t)t * cin * cstride;
        lanes x0[2], x1[2], s0[2], s1[2];
        for (int i = 0; i < ri; i++) {
            x0[i] = load(xt + i * cstride);
            x1[i] = load(xt + i * cstride + SPEC_LANES);
            s0[i] = swap_pairs(x0[i]), s1[i] = swap_pairs(x1[i]);
        }
        for (int o = 0; o < ro; o++) {
            lanes d0 = load(dt + o * cstride), d1 = load(dt + o * cstride + SPEC_LANES);
            if (dscale) {
                d0 *= load(dscale + (size_t)t * SPEC_FLOATS);
                d1 *= load(dscale + (size_t)t * SPEC_FLOATS + SPEC_LANES);
            }
            for (int i = 0; i < ri; i++) {
                a[o][i] += d0 * x0[i];
                a[o][i] += d1 * x1[i];
                b[o][i] += d0 * s0[i];
                b[o][i] += d1 * s1[i];
            }
        }
    }
    if (ro == 4 && ri == 2) { /* the full block: its 16 sums at once */
        lanes all[16];
        float sums[16];
        for (int k = 0; k < 8; k++)
            all[2 * k] = a[k / 2][k % 2], all[2 * k + 1] = b[k / 2][k % 2] * alternate;
        sum_16(sums, all);
        for (int k = 0; k < 8; k++)
            g[(size_t)(k / 2) * cin + k % 2] = sums[2 * k] + I * sums[2 * k + 1];
        return;
    }
    for (int o = 0; o < ro; o++)
        for (int i = 0; i < ri; i++)
            g[(size_t)o * cin + i] = lane_sum(a[o][i]) + I * lane_sum(b[o][i] * alternate);
}

void spectral_weight_grad(float complex *g, const float *d, const float *x, const float *dscale,
                          int tiles, int cin, int cout, size_t cstride, size_t f0, size_t f1) {
    for (size_t f = f0; f < f1; f++) {
        const float *df = d + f * SPEC_FLOATS, *xf = x + f * SPEC_FLOATS;
        float complex *gf = g + f * cout * cin;
        for (int co = 0; co < cout; co += 4) {
            const int ro = cout - co < 4 ? cout - co : 4;
            const float *dc = df + co * cstride;
            int ci = 0;
            if (ro == 4)
                for (; ci + 2 <= cin; ci += 2)
                    grad_block(gf + (size_t)co * cin + ci, dc, xf + ci * cstride, dscale, 4, 2,
                               tiles, cin, cout, cstride);
            for (; ci < cin; ci++)
                for (int a = 0; a < ro; a++)
                    grad_block(gf + (size_t)(co + a) * cin + ci, dc + a * cstride,
                               xf + ci * cstride, dscale, 1, 1, tiles, cin, cout, cstride);
        }
    }
}
