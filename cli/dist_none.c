/* dist.h in a build without MPI: --dist none only. */
#include <stdio.h>
#include <stdlib.h>

#include "dist.h"
#include "ffcnn.h"

int dist_available(void) {
    return 0;
}

int dist_init(int mode, char *err) {
    if (mode == DIST_NONE) return FFCNN_OK;
    snprintf(err, FFCNN_ERR_LEN,
             "--dist %s: this ffcnn was built without MPI (configure with -DFFCNN_MPI=ON and "
             "run it under mpirun)",
             mode == DIST_DATA ? "data" : "layers");
    return FFCNN_EINVAL;
}

int dist_rank(void) {
    return 0;
}

int dist_size(void) {
    return 1;
}

int dist_bcast(void *buf, size_t len, char *err) {
    (void)buf, (void)len, (void)err;
    return FFCNN_OK;
}

int dist_same(const void *buf, size_t len, int *first_bad, char *err) {
    (void)buf, (void)len, (void)err;
    *first_bad = -1;
    return FFCNN_OK;
}

int dist_allreduce(float *g, size_t n, double *st, size_t ns, int local_stop, int *stop,
                   char *err) {
    (void)g, (void)n, (void)st, (void)ns, (void)err;
    *stop = local_stop;
    return FFCNN_OK;
}

/* Never reached: dist_init refuses every mode that would call these. */
static int no_mpi(char *err) {
    snprintf(err, FFCNN_ERR_LEN, "--dist: this ffcnn was built without MPI");
    return FFCNN_EINVAL;
}

int dist_exchange(const ffcnn_pipe_msg *sends, int ns, const ffcnn_pipe_msg *recvs, int nr,
                  char *err) {
    (void)sends, (void)ns, (void)recvs, (void)nr;
    return no_mpi(err);
}

int dist_bcast_from(int root, void *buf, size_t len, char *err) {
    (void)buf, (void)len, (void)err;
    return root == 0 ? FFCNN_OK : no_mpi(err);
}

int dist_sum_doubles(double *x, size_t n, char *err) {
    (void)x, (void)n, (void)err;
    return FFCNN_OK;
}

int dist_sum_i32(int32_t *x, size_t n, char *err) {
    (void)x, (void)n, (void)err;
    return FFCNN_OK;
}

void dist_abort(int code) {
    exit(code);
}

void dist_finalize(void) {}
