/* The layer pipeline's transport and report, and data-parallel evaluation, on the functions of
 * dist.h (the same in builds with and without MPI; without it, one process evaluates alone). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dist.h"

static int pipe_exchange(void *user, const ffcnn_pipe_msg *sends, int ns,
                         const ffcnn_pipe_msg *recvs, int nr, char *err) {
    (void)user;
    return dist_exchange(sends, ns, recvs, nr, err);
}

static int pipe_bcast(void *user, int root, void *buf, size_t bytes, char *err) {
    (void)user;
    return dist_bcast_from(root, buf, bytes, err);
}

static int pipe_sum(void *user, double *x, size_t n, char *err) {
    (void)user;
    return dist_sum_doubles(x, n, err);
}

int dist_pipe_start(ffcnn_net *net, int (*agree)(void *user, int local_stop, int *stop, char *err),
                    void *user, ffcnn_pipe **out, char *err) {
    const ffcnn_pipe_transport t = {pipe_exchange, agree, pipe_bcast, pipe_sum, user};
    char why[FFCNN_ERR_LEN];
    const int rc = ffcnn_pipe_create(out, net, dist_rank(), dist_size(), &t, why);
    if (rc)
        snprintf(err, FFCNN_ERR_LEN, "--dist layers on %d process%s: %.400s (or use --dist data)",
                 dist_size(), dist_size() == 1 ? "" : "es", why);
    return rc;
}

/* "3" or "1-2": a stage's layers. */
static void layer_range(const ffcnn_pipe_stage_stats *st, char *buf, size_t cap) {
    if (st->first_layer == st->last_layer)
        snprintf(buf, cap, "%d", st->first_layer);
    else
        snprintf(buf, cap, "%d-%d", st->first_layer, st->last_layer);
}

void dist_pipe_describe(const ffcnn_pipe *p, char *buf, size_t cap) {
    size_t used = 0;
    buf[0] = '\0';
    for (int s = 0; s < dist_size() && used < cap; s++) {
        ffcnn_pipe_stage_stats st;
        char err[FFCNN_ERR_LEN];
        if (ffcnn_pipe_stage_stats_get(p, s, &st, err)) break;
        char layers[32];
        layer_range(&st, layers, sizeof layers);
        const int n = snprintf(buf + used, cap - used, "%slayer%s %s on rank %d", s ? "; " : "",
                               st.first_layer == st.last_layer ? "" : "s", layers, s);
        used += n > 0 ? (size_t)n : 0;
    }
}

void dist_pipe_print_stats(const ffcnn_pipe *p, int64_t images) {
    double bytes = 0.0;
    for (int s = 0; s < dist_size(); s++) {
        ffcnn_pipe_stage_stats st;
        char err[FFCNN_ERR_LEN];
        if (ffcnn_pipe_stage_stats_get(p, s, &st, err)) return;
        const double per = st.batches ? 1.0 / (double)st.batches : 0.0;
        char layers[32];
        layer_range(&st, layers, sizeof layers);
        fprintf(stderr,
                "  pipeline stage %d (rank %d, layer%s %s): %lld batches, busy %.2f s (%.4f s "
                "a batch, CPU %.4f s), waiting %.2f s (%.4f s a batch), sent %.1f MB\n",
                s + 1, s, st.first_layer == st.last_layer ? "" : "s", layers, (long long)st.batches,
                st.busy_seconds, st.busy_seconds * per, st.busy_cpu_seconds * per, st.wait_seconds,
                st.wait_seconds * per, st.bytes_sent / 1e6);
        bytes += st.bytes_sent;
    }
    if (images > 0)
        fprintf(stderr, "  pipeline: %.1f KB sent per training image (all stages)\n",
                bytes / (double)images / 1e3);
}

/* The sum of a confusion matrix's diagonal: the images predicted right. */
static int64_t hits(int32_t m[FFCNN_MAX_CLASSES][FFCNN_MAX_CLASSES], int K) {
    int64_t n = 0;
    for (int k = 0; k < K; k++) n += m[k][k];
    return n;
}

int dist_evaluate(ffcnn_net *net, const ffcnn_dataset *ds, int mode, ffcnn_eval_result *res,
                  char *err) {
    const int P = dist_size(), r = dist_rank();
    if (P <= 1) return ffcnn_evaluate(net, ds, (enum ffcnn_eval_mode)mode, res, err);
    const int32_t lo = (int32_t)((int64_t)ds->n * r / P),
                  hi = (int32_t)((int64_t)ds->n * (r + 1) / P);
    ffcnn_dataset part = *ds; /* a view of images [lo, hi): nothing copied, nothing to free */
    part.n = hi - lo;
    part.pixels += (size_t)lo * (size_t)ds->channels * (size_t)ds->height * (size_t)ds->width;
    part.labels += lo;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = ffcnn_evaluate(net, &part, (enum ffcnn_eval_mode)mode, res, err);
    const size_t cells = (size_t)FFCNN_MAX_CLASSES * FFCNN_MAX_CLASSES;
    if (!rc) rc = dist_sum_i32(&res->confusion_goodness[0][0], cells, err);
    if (!rc) rc = dist_sum_i32(&res->confusion_linear[0][0], cells, err);
    if (rc) return rc;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->n = ds->n;
    res->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    res->images_per_s = ds->n / (res->seconds > 0 ? res->seconds : 1e-9);
    const int K = res->classes;
    if (res->accuracy_goodness >= 0)
        res->accuracy_goodness = ds->n ? (double)hits(res->confusion_goodness, K) / ds->n : 0.0;
    if (res->accuracy_linear >= 0)
        res->accuracy_linear = ds->n ? (double)hits(res->confusion_linear, K) / ds->n : 0.0;
    return FFCNN_OK;
}
