/* Which convolution path a layer takes under --conv auto (docs/performance.md, "Choosing the
 * path"): both are timed on the layer's own shape, batch and thread count, as FFTW's planner
 * and cuDNN's benchmark mode do, because which is faster depends on the CPU's vector width,
 * caches and BLAS as much as on flop counts (the FFT path won on AVX-512 where im2col was
 * twice as fast on AVX2, issue 8). A training step runs the layer forward on 3B samples and
 * its weight gradient on 2B; that is what is timed. The result is remembered for the process,
 * so networks of the same shape made in one process take the same paths. */
#include "conv_autotune.h"

#include <math.h>
#include <string.h>

#include "ffcnn.h"

#include "kernels/isa.h"
#include "util.h"

typedef struct timing_key {
    ff_conv_shape shape;
    int n_forward, m_backward, threads, isa;
} timing_key;

typedef struct remembered {
    timing_key key;
    ff_conv_timing timing;
} remembered;

#define MAX_REMEMBERED 64
static remembered memory[MAX_REMEMBERED];
static int n_remembered;

static const ff_conv_timing *recall(const timing_key *k) {
    for (int i = 0; i < n_remembered; i++)
        if (!memcmp(&memory[i].key, k, sizeof *k)) return &memory[i].timing;
    return NULL;
}

static void remember(const timing_key *k, const ff_conv_timing *t) {
    if (n_remembered == MAX_REMEMBERED) return; /* measured again next time: still correct */
    memory[n_remembered].key = *k;
    memory[n_remembered++].timing = *t;
}

/* Everything one layer's forward and gradient touch, for n samples. */
typedef struct trial {
    ff_layer layer;
    ff_scratch sc;
    ff_layer_io io;
    float *params, *grads, *a, *y, *z, *coef;
    double *goodness;
    int shares_io; /* a, y, z, coef, goodness are another trial's (both paths take the same) */
} trial;

static void trial_free(trial *t) {
    ff_layer_free(&t->layer);
    ff_free(t->params), ff_free(t->grads);
    if (!t->shares_io) ff_free(t->a), ff_free(t->y), ff_free(t->z), ff_free(t->coef);
    if (!t->shares_io) ff_free(t->goodness);
    ff_free(t->sc.per_thread), ff_free(t->sc.partial), ff_free(t->sc.xspec);
    ff_free(t->sc.yspec), ff_free(t->sc.gspec), ff_free(t->sc.grad_out);
    ff_free(t->sc.channel_sums);
    memset(t, 0, sizeof *t);
}

/* Deterministic inputs and weights of a plausible scale; the values do not change the time,
 * but zeros or denormals could. */
static void fill(float *x, size_t n, float scale) {
    uint32_t s = 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = scale * ((float)(s >> 8) / 16777216.0f - 0.5f);
    }
}

/* A conv layer of shape s on its own, made as the network makes one (layers/layer.h). */
static int trial_layer(trial *t, const ff_conv_shape *s, enum ffcnn_conv_path path) {
    const ffcnn_layer_spec spec = {FFCNN_LAYER_CONV, s->out_ch, s->kernel};
    const ff_dims in = {s->in_ch, s->height, s->width};
    const size_t np = ff_conv_layer_ops.param_count(&spec, in);
    t->params = ff_calloc(np, sizeof(float));
    t->grads = ff_calloc(np, sizeof(float));
    if (!t->params || !t->grads) return -1;
    char err[FFCNN_ERR_LEN];
    return ff_layer_make(&t->layer, &spec, 0, in, t->params, t->grads, path, err) ? -1 : 0;
}

static int trial_make(trial *t, const ff_conv_shape *s, enum ffcnn_conv_path path, int n,
                      int threads, const trial *share) {
    memset(t, 0, sizeof *t);
    if (trial_layer(t, s, path)) return -1;
    if (share) { /* the same inputs and outputs: the timing holds no more memory than training */
        t->a = share->a, t->z = share->z, t->y = share->y, t->coef = share->coef;
        t->goodness = share->goodness;
        t->shares_io = 1;
    }
    const ff_layer *l = &t->layer;
    fill(t->params, l->n_params, 2.0f / sqrtf((float)ff_conv_patch_len(s)));
    ff_scratch_need need;
    memset(&need, 0, sizeof need);
    l->ops->scratch(l, n, 0, &need); /* times the FF step (BP takes the same paths) */
    t->sc.threads = threads;
    int ok = (share || ((t->a = ff_calloc((size_t)n, l->in_len * sizeof(float))) &&
                        (t->z = ff_calloc((size_t)n, l->in_len * sizeof(float))) &&
                        (t->y = ff_calloc((size_t)n, l->out_len * sizeof(float))) &&
                        (t->coef = ff_calloc((size_t)n, sizeof(float))) &&
                        (t->goodness = ff_calloc((size_t)n, sizeof(double))))) &&
             (t->sc.per_thread = ff_calloc((size_t)threads, need.per_thread * 4 + 4)) &&
             (t->sc.partial = ff_calloc((size_t)threads, need.partial * sizeof(float) + 4)) &&
             (t->sc.xspec = ff_calloc(need.xspec + 1, sizeof(float))) &&
             (t->sc.yspec = ff_calloc(need.yspec + 1, sizeof(float))) &&
             (t->sc.gspec = ff_calloc(need.gspec + 1, sizeof(float))) &&
             (t->sc.grad_out = ff_calloc(need.grad_out + 1, sizeof(float))) &&
             (t->sc.channel_sums = ff_calloc((size_t)n, need.channel_sums * sizeof(double) + 8));
    if (!ok) return -1;
    t->io = (ff_layer_io){t->a, NULL, t->y, t->goodness, t->z};
    if (share) return 0;
    fill(t->a, (size_t)n * l->in_len, 1.0f);
    for (int i = 0; i < n; i++) t->coef[i] = i % 2 ? 0.5f : -0.5f;
    return 0;
}

/* Seconds of one training step's work for this layer: forward on n, gradient on m (m = 0 for
 * a layer that does not learn). The weights count as changed, as after every Adam step.
 * Negative when out of memory. */
static double trial_run(trial *t, int n, int m) {
    char err[FFCNN_ERR_LEN];
    ff_layer *l = &t->layer;
    const double t0 = ff_now_seconds();
    l->ops->update(l);
    if (l->ops->forward(l, &t->io, n, &t->sc, err)) return -1.0;
    if (m > 0 && l->ops->backward(l, &t->io, t->coef, m, &t->sc, err)) return -1.0;
    return ff_now_seconds() - t0;
}

/* Best time of each path over rounds that alternate between them (so a slow spell of a shared
 * machine hits both), stopping early once one is clearly faster. */
static int measure(ff_conv_timing *out, const ff_conv_shape *s, int n, int m, int threads) {
    trial t[2];
    memset(t, 0, sizeof t);
    int rc = trial_make(&t[0], s, FFCNN_CONV_IM2COL, n, threads, NULL) ||
                     trial_make(&t[1], s, FFCNN_CONV_FFT, n, threads, &t[0])
                 ? -1
                 : 0;
    double best[2] = {INFINITY, INFINITY};
    for (int round = 0; !rc && round < 4; round++) {
        for (int p = 0; p < 2; p++) {
            const double sec = trial_run(&t[p], n, m);
            if (sec < 0) rc = -1;
            if (round > 0 && sec < best[p]) best[p] = sec; /* round 0 warms caches and plans */
        }
        if (round >= 1 && (best[0] > 1.5 * best[1] || best[1] > 1.5 * best[0])) break;
    }
    trial_free(&t[1]); /* first: it borrows t[0]'s buffers */
    trial_free(&t[0]);
    if (rc) return -1;
    out->im2col_seconds = best[0];
    out->fft_seconds = best[1];
    out->path = best[1] < best[0] ? FFCNN_CONV_FFT : FFCNN_CONV_IM2COL;
    return 0;
}

int ff_conv_autotune(ff_conv_timing *out, const ff_conv_shape *s, int n_forward, int m_backward,
                     int threads, char *err) {
    timing_key k;
    memset(&k, 0, sizeof k); /* compared with memcmp: no stray padding bytes */
    k.shape = *s, k.n_forward = n_forward, k.m_backward = m_backward, k.threads = threads;
    k.isa = (int)ff_isa_active();
    const ff_conv_timing *known = recall(&k);
    if (known) {
        *out = *known;
        return FFCNN_OK;
    }
    if (measure(out, s, n_forward, m_backward, threads) != 0)
        return ff_fail(err, FFCNN_ENOMEM,
                       "out of memory timing the convolution paths of a %dx%dx%d -> %d layer "
                       "(use --conv im2col or fft)",
                       s->in_ch, s->height, s->width, s->out_ch);
    remember(&k, out);
    return FFCNN_OK;
}
