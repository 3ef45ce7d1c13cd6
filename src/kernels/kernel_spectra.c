/* Spectra of many small kernels, and kernels back from spectra, as separable DFTs.
 *
 * A k x k kernel placed at the centre (offsets -pad..pad, wrapped) of a py x px transform has
 * only k non-zero rows and columns, so its 2-D DFT factors into a k-point sum along x then a
 * k-point sum along y: about py * k * (px / 2 + 1) complex multiply-adds per kernel, with no
 * transform overhead. The network's weight spectra (C^2 kernels, once per optimiser step) and
 * the weight gradient's way back are this shape; FFTs of the padded kernels cost about three
 * times as much here. Kernels are processed in blocks of BLOCK, innermost, so the loops
 * vectorise across kernels. Compiled once per instruction set, like spectral_products.c
 * (isa.h); both copies return -1 when out of memory. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "../util.h"
#include "conv_fft.h"
#include "isa.h"

#define BLOCK 64

/* e^{+2 pi i t (a - pad) / n} for t < rows, a < k: the phase of tap a at frequency t. */
static void phases(float *re, float *im, int rows, int n, int k) {
    const int pad = k / 2;
    for (int t = 0; t < rows; t++)
        for (int a = 0; a < k; a++) {
            const double ph = 6.283185307179586 * (double)t * (a - pad) / n;
            re[t * k + a] = (float)cos(ph);
            im[t * k + a] = (float)sin(ph);
        }
}

typedef struct tables {
    float *yr, *yi; /* py x k */
    float *xr, *xi; /* fx x k */
} tables;

static int make_tables(tables *t, int k, int py, int px) {
    const int fx = px / 2 + 1;
    t->yr = malloc(sizeof(float) * py * k), t->yi = malloc(sizeof(float) * py * k);
    t->xr = malloc(sizeof(float) * fx * k), t->xi = malloc(sizeof(float) * fx * k);
    if (!t->yr || !t->yi || !t->xr || !t->xi) return 0;
    phases(t->yr, t->yi, py, py, k);
    phases(t->xr, t->xi, fx, px, k);
    return 1;
}

static void free_tables(tables *t) {
    free(t->yr), free(t->yi), free(t->xr), free(t->xi);
}

/* spec[(u fx + v) n + i] = sum_ab w_i[a][b] e^{+2 pi i (u (a-pad) / py + v (b-pad) / px)},
 * i.e. the conjugate of the DFT of kernel i placed centred at 0: what a correlation needs. */
int FF_KERNEL(ff_kernel_spectra_forward)(float complex *spec, const float *w, int n, int k, int py,
                                         int px, int threads) {
    tables tb;
    if (!make_tables(&tb, k, py, px)) {
        free_tables(&tb);
        return -1;
    }
    const int fx = px / 2 + 1, kk = k * k, blocks = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel num_threads(threads)
    {
        float wt[kk * BLOCK], tr[k * BLOCK], ti[k * BLOCK], outr[BLOCK], outi[BLOCK];
#pragma omp for schedule(static)
        for (int blk = 0; blk < blocks; blk++) {
            const int i0 = blk * BLOCK, nb = n - i0 < BLOCK ? n - i0 : BLOCK;
            for (int j = 0; j < nb; j++)
                for (int ab = 0; ab < kk; ab++) wt[ab * BLOCK + j] = w[(size_t)(i0 + j) * kk + ab];
            for (int v = 0; v < fx; v++) {
                for (int a = 0; a < k; a++) { /* sum along x: T[a] = sum_b Ex[v][b] w[a][b] */
                    float *r = tr + a * BLOCK, *im = ti + a * BLOCK;
                    for (int j = 0; j < nb; j++) r[j] = im[j] = 0.0f;
                    for (int b = 0; b < k; b++) {
                        const float er = tb.xr[v * k + b], ei = tb.xi[v * k + b];
                        const float *ws = wt + (a * k + b) * BLOCK;
                        for (int j = 0; j < nb; j++) r[j] += er * ws[j], im[j] += ei * ws[j];
                    }
                }
                for (int u = 0; u < py; u++) { /* sum along y: out = sum_a Ey[u][a] T[a] */
                    for (int j = 0; j < nb; j++) outr[j] = outi[j] = 0.0f;
                    for (int a = 0; a < k; a++) {
                        const float er = tb.yr[u * k + a], ei = tb.yi[u * k + a];
                        const float *r = tr + a * BLOCK, *im = ti + a * BLOCK;
                        for (int j = 0; j < nb; j++) {
                            outr[j] += er * r[j] - ei * im[j];
                            outi[j] += er * im[j] + ei * r[j];
                        }
                    }
                    /* a float complex is two floats, real then imaginary (C11 6.2.5) */
                    float *dst = (float *)(spec + ((size_t)u * fx + v) * n + i0);
                    for (int j = 0; j < nb; j++) dst[2 * j] = outr[j], dst[2 * j + 1] = outi[j];
                }
            }
        }
    }
    free_tables(&tb);
    return 0;
}

/* w_i[a][b] = scale * (inverse real DFT of conj(spec_i)) at tap (a - pad, b - pad): the taps of
 * a correlation whose spectrum is conj(spec), reading only the k x k taps it needs. The
 * half-spectrum stands for the whole: columns 0 and px/2 count once, the others twice. */
int FF_KERNEL(ff_kernel_spectra_inverse)(float *w, const float complex *spec, int n, int k, int py,
                                         int px, float scale, int threads) {
    tables tb;
    if (!make_tables(&tb, k, py, px)) {
        free_tables(&tb);
        return -1;
    }
    const int fx = px / 2 + 1, kk = k * k, blocks = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel num_threads(threads)
    {
        float d[kk * BLOCK], hr[k * BLOCK], hi[k * BLOCK], gr[BLOCK], gi[BLOCK];
#pragma omp for schedule(static)
        for (int blk = 0; blk < blocks; blk++) {
            const int i0 = blk * BLOCK, nb = n - i0 < BLOCK ? n - i0 : BLOCK;
            for (int x = 0; x < kk * BLOCK; x++) d[x] = 0.0f;
            for (int v = 0; v < fx; v++) {
                for (int x = 0; x < k * BLOCK; x++) hr[x] = hi[x] = 0.0f;
                for (int u = 0; u < py; u++) { /* along y: H[a] = sum_u Ey[u][a] conj(S[u][v]) */
                    const float complex *src = spec + ((size_t)u * fx + v) * n + i0;
                    for (int j = 0; j < nb; j++) gr[j] = crealf(src[j]), gi[j] = -cimagf(src[j]);
                    for (int a = 0; a < k; a++) {
                        const float er = tb.yr[u * k + a], ei = tb.yi[u * k + a];
                        float *r = hr + a * BLOCK, *im = hi + a * BLOCK;
                        for (int j = 0; j < nb; j++) {
                            r[j] += er * gr[j] - ei * gi[j];
                            im[j] += er * gi[j] + ei * gr[j];
                        }
                    }
                }
                const float weight = (v == 0 || 2 * v == px) ? 1.0f : 2.0f;
                for (int a = 0; a < k; a++) /* along x: w[a][b] += Re(H[a] Ex[v][b]) */
                    for (int b = 0; b < k; b++) {
                        const float er = weight * tb.xr[v * k + b], ei = weight * tb.xi[v * k + b];
                        const float *r = hr + a * BLOCK, *im = hi + a * BLOCK;
                        float *dd = d + (a * k + b) * BLOCK;
                        for (int j = 0; j < nb; j++) dd[j] += er * r[j] - ei * im[j];
                    }
            }
            for (int j = 0; j < nb; j++)
                for (int ab = 0; ab < kk; ab++)
                    w[(size_t)(i0 + j) * kk + ab] = scale * d[ab * BLOCK + j];
        }
    }
    free_tables(&tb);
    return 0;
}
