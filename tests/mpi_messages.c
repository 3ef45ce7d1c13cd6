/* The MPI transport's checks on message sizes (cli/dist_mpi.c; docs/distributed.md, "Faults"),
 * run under mpirun -np 2 by tests/test_mpi.sh. One case per run:
 *   ok        rank 0 sends rank 1 100 bytes that it expects: they arrive intact (exit 0);
 *   short     rank 0 sends 80 bytes where rank 1 expects 100;
 *   long      rank 0 sends 120 bytes where rank 1 expects 100 (MPI would truncate);
 *   allreduce the ranks' gradients differ in length (10 and 11 floats).
 * A rank whose call fails prints "ffcnn: MESSAGE" and ends every rank (dist_abort), as the CLI
 * does; a rank whose call succeeded then waits in a sum that never completes, so only the abort
 * ends the job: the test checks that it ends within seconds, with the message. */
#include <stdio.h>
#include <string.h>

#include "dist.h"
#include "ffcnn.h"

enum { BYTES = 100 };

/* After a call: on failure, the CLI's one line and the end of every rank. */
static void check(int rc, const char *err) {
    if (!rc) return;
    fprintf(stderr, "ffcnn: %s\n", err);
    dist_abort(1);
}

/* Rank 0 sends `sent` bytes of a pattern to rank 1, which expects BYTES. */
static int exchange(size_t sent, char *err) {
    unsigned char buf[2 * BYTES];
    if (dist_rank() == 0) {
        for (size_t i = 0; i < sent; i++) buf[i] = (unsigned char)(i * 7 + 1);
        const ffcnn_pipe_msg send = {1, 5, buf, sent};
        return dist_exchange(&send, 1, NULL, 0, err);
    }
    memset(buf, 0, sizeof buf);
    const ffcnn_pipe_msg recv = {0, 5, buf, BYTES};
    const int rc = dist_exchange(NULL, 0, &recv, 1, err);
    for (size_t i = 0; !rc && i < BYTES; i++)
        if (buf[i] != (unsigned char)(i * 7 + 1)) {
            snprintf(err, FFCNN_ERR_LEN, "byte %zu arrived as %u", i, buf[i]);
            return FFCNN_EIO;
        }
    return rc;
}

static int allreduce(char *err) {
    float g[11] = {0};
    double st[2] = {0};
    int stop = 0;
    return dist_allreduce(g, 10 + (size_t)dist_rank(), st, 2, 0, &stop, err);
}

int main(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    if (argc != 2) {
        fprintf(stderr, "usage: mpi_messages ok|short|long|allreduce\n");
        return 2;
    }
    check(dist_init(DIST_DATA, err), err);
    if (dist_size() != 2) {
        fprintf(stderr, "mpi_messages: run it on 2 processes\n");
        dist_abort(2);
    }
    const char *c = argv[1];
    if (strcmp(c, "allreduce") == 0)
        check(allreduce(err), err);
    else
        check(exchange(strcmp(c, "short") == 0  ? BYTES - 20
                       : strcmp(c, "long") == 0 ? BYTES + 20
                                                : BYTES,
                       err),
              err);
    /* Every rank meets here unless one failed: the failed one's abort ends this wait. */
    double x = 1.0;
    check(dist_sum_doubles(&x, 1, err), err);
    if (dist_rank() == 0) printf("ok: %g\n", x);
    dist_finalize();
    return 0;
}
