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
    int provided = 0;
    /* OpenMP threads compute; only the main thread calls MPI */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, FFCNN_ERR_LEN, "--dist %s: MPI_Init_thread failed",
                 mode == DIST_DATA ? "data" : "layers");
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

/* A message's byte count as MPI's int, or FFCNN_EINVAL. */
static int byte_count(size_t bytes, int *count, char *err) {
    if (bytes > INT_MAX) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--dist layers: a message of %zu bytes is more than one MPI message holds (use a "
                 "smaller --batch)",
                 bytes);
        return FFCNN_EINVAL;
    }
    *count = (int)bytes;
    return FFCNN_OK;
}

/* After MPI_Waitall: each receive's error and size. */
static int check_received(const ffcnn_pipe_msg *recvs, int nr, MPI_Status *st, int waited,
                          char *err) {
    for (int k = 0; k < nr; k++) {
        int got = -1;
        if (waited == MPI_ERR_IN_STATUS && st[k].MPI_ERROR != MPI_SUCCESS) {
            snprintf(err, FFCNN_ERR_LEN,
                     "--dist layers: rank %d: the message from rank %d (tag %d) is larger than "
                     "the %zu bytes expected, or failed: the processes are out of step",
                     rank, recvs[k].peer, recvs[k].tag, recvs[k].bytes);
            return FFCNN_EIO;
        }
        const int rc = check(MPI_Get_count(&st[k], MPI_BYTE, &got), "MPI_Get_count", err);
        if (rc) return rc;
        if ((size_t)got != recvs[k].bytes) {
            snprintf(err, FFCNN_ERR_LEN,
                     "--dist layers: rank %d: the message from rank %d (tag %d) has %d bytes, "
                     "expected %zu: the processes are out of step",
                     rank, recvs[k].peer, recvs[k].tag, got, recvs[k].bytes);
            return FFCNN_EIO;
        }
    }
    return FFCNN_OK;
}

int dist_exchange(const ffcnn_pipe_msg *sends, int ns, const ffcnn_pipe_msg *recvs, int nr,
                  char *err) {
    enum { MAX = 2 * FFCNN_MAX_LAYERS + 4 };
    MPI_Request req[MAX];
    MPI_Status st[MAX];
    if (ns + nr > MAX) {
        snprintf(err, FFCNN_ERR_LEN, "--dist layers: %d messages in one tick", ns + nr);
        return FFCNN_EINVAL;
    }
    int rc = FFCNN_OK, n = 0, count;
    /* receives first, so that every send finds its receive posted */
    for (int k = 0; k < nr && !rc; k++)
        if (!(rc = byte_count(recvs[k].bytes, &count, err)))
            rc = check(MPI_Irecv(recvs[k].buf, count, MPI_BYTE, recvs[k].peer, recvs[k].tag,
                                 MPI_COMM_WORLD, &req[n++]),
                       "MPI_Irecv", err);
    for (int k = 0; k < ns && !rc; k++)
        if (!(rc = byte_count(sends[k].bytes, &count, err)))
            rc = check(MPI_Isend(sends[k].buf, count, MPI_BYTE, sends[k].peer, sends[k].tag,
                                 MPI_COMM_WORLD, &req[n++]),
                       "MPI_Isend", err);
    if (rc) return rc; /* the caller ends every process (dist_abort) */
    const int waited = MPI_Waitall(n, req, st);
    if (waited != MPI_SUCCESS && waited != MPI_ERR_IN_STATUS)
        return check(waited, "MPI_Waitall", err);
    rc = check_received(recvs, nr, st, waited, err);
    for (int k = nr; k < n && !rc && waited == MPI_ERR_IN_STATUS; k++)
        rc = check(st[k].MPI_ERROR, "MPI_Isend", err);
    return rc;
}

int dist_bcast_from(int root, void *buf, size_t len, char *err) {
    if (!initialized) return FFCNN_OK;
    const size_t piece = (size_t)1 << 30;
    for (size_t k = 0; k < len; k += piece) {
        const size_t c = len - k < piece ? len - k : piece;
        const int rc = check(MPI_Bcast((char *)buf + k, (int)c, MPI_BYTE, root, MPI_COMM_WORLD),
                             "MPI_Bcast", err);
        if (rc) return rc;
    }
    return FFCNN_OK;
}

int dist_sum_doubles(double *x, size_t n, char *err) {
    return initialized ? sum_in_place(x, n, MPI_DOUBLE, sizeof *x, err) : FFCNN_OK;
}

int dist_sum_i32(int32_t *x, size_t n, char *err) {
    return initialized ? sum_in_place(x, n, MPI_INT32_T, sizeof *x, err) : FFCNN_OK;
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
