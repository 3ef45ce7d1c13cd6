/* dist.h on Open MPI (built with -DFFCNN_MPI=ON). Every call returns its errors
 * (MPI_ERRORS_RETURN) instead of MPI's default of aborting without a word: the caller prints one
 * line and ends every process (dist_abort), so no process waits for a dead one. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "ffcnn.h"

static int initialized = 0, rank = 0, size = 1;

int dist_available(void) {
    return 1;
}

/* FFCNN_EIO with "rank R: CALL: MPI's message" in err unless rc is MPI_SUCCESS. */
static int check(int rc, const char *call, char *err) {
    if (rc == MPI_SUCCESS) return FFCNN_OK;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", rc);
    snprintf(err, FFCNN_ERR_LEN, "--dist: rank %d of %d: %s failed: %.300s", rank, size, call,
             text);
    return FFCNN_EIO;
}

int dist_init(int mode, char *err) {
    if (mode == DIST_NONE) return FFCNN_OK;
    if (mode == DIST_LAYERS) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--dist layers: the layer pipeline is not implemented yet (use --dist data)");
        return FFCNN_EINVAL;
    }
    int provided = 0;
    /* OpenMP threads compute; only the main thread calls MPI */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, FFCNN_ERR_LEN, "--dist data: MPI_Init_thread failed");
        return FFCNN_EIO;
    }
    initialized = 1;
    int rc = check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN),
                   "MPI_Comm_set_errhandler", err);
    if (!rc) rc = check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank", err);
    if (!rc) rc = check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size", err);
    return rc;
}

int dist_rank(void) {
    return rank;
}

int dist_size(void) {
    return size;
}

int dist_bcast(void *buf, size_t len, char *err) {
    if (!initialized) return FFCNN_OK;
    if (len > INT_MAX) {
        snprintf(err, FFCNN_ERR_LEN, "--dist: a broadcast of %zu bytes is too large", len);
        return FFCNN_EINVAL;
    }
    return check(MPI_Bcast(buf, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast", err);
}

int dist_same(const void *buf, size_t len, int *first_bad, char *err) {
    *first_bad = -1;
    if (!initialized) return FFCNN_OK;
    unsigned char *root = malloc(len ? len : 1);
    if (!root) {
        snprintf(err, FFCNN_ERR_LEN, "--dist: out of memory");
        return FFCNN_ENOMEM;
    }
    memcpy(root, buf, len);
    int rc = dist_bcast(root, len, err);
    int bad = !rc && memcmp(root, buf, len) != 0 ? rank : INT_MAX, lowest = INT_MAX;
    free(root);
    if (!rc)
        rc = check(MPI_Allreduce(&bad, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD),
                   "MPI_Allreduce", err);
    if (rc) return rc;
    if (lowest == INT_MAX) return FFCNN_OK;
    *first_bad = lowest;
    snprintf(err, FFCNN_ERR_LEN, "--dist: rank %d differs from rank 0", lowest);
    return FFCNN_EINVAL;
}

/* Sums x[0..n) of `type` over the processes, in pieces that fit MPI's int counts. */
static int sum_in_place(void *x, size_t n, MPI_Datatype type, size_t elem, char *err) {
    const size_t piece = (size_t)1 << 30;
    for (size_t k = 0; k < n; k += piece) {
        const size_t c = n - k < piece ? n - k : piece;
        const int rc = check(MPI_Allreduce(MPI_IN_PLACE, (char *)x + k * elem, (int)c, type,
                                           MPI_SUM, MPI_COMM_WORLD),
                             "MPI_Allreduce", err);
        if (rc) return rc;
    }
    return FFCNN_OK;
}

int dist_allreduce(float *g, size_t n, double *st, size_t ns, int local_stop, int *stop,
                   char *err) {
    *stop = local_stop;
    if (!initialized) return FFCNN_OK;
    /* First the sizes (largest and smallest, by their negatives) and the stop request: a
     * process whose gradient has another length would make the sums wrong or hang. */
    long long mine[5] = {local_stop, (long long)n, -(long long)n, (long long)ns, -(long long)ns};
    long long all[5];
    int rc = check(MPI_Allreduce(mine, all, 5, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                   "MPI_Allreduce", err);
    if (rc) return rc;
    if (all[1] != -all[2] || all[3] != -all[4]) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--dist data: rank %d: the processes' gradients differ in size (%lld to %lld "
                 "floats, %lld to %lld statistics; this one %zu and %zu): not the same network",
                 rank, -all[2], all[1], -all[4], all[3], n, ns);
        return FFCNN_EINVAL;
    }
    *stop = (int)all[0];
    if (*stop) return FFCNN_OK;
    rc = sum_in_place(g, n, MPI_FLOAT, sizeof *g, err);
    if (!rc) rc = sum_in_place(st, ns, MPI_DOUBLE, sizeof *st, err);
    return rc;
}

void dist_abort(int code) {
    fflush(stdout);
    fflush(stderr);
    if (initialized) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    exit(code);
}

void dist_finalize(void) {
    if (!initialized) return;
    MPI_Finalize();
    initialized = 0;
}
