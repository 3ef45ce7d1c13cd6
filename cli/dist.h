/* Distributed training across processes (ffcnn train --dist, docs/distributed.md). The CLI's
 * face of it, the same with and without MPI: dist_mpi.c implements it on Open MPI (built with
 * -DFFCNN_MPI=ON), dist_none.c refuses every mode but none. libffcnn itself knows nothing of
 * MPI: it calls the training hooks' reduce, which calls dist_allreduce here. */
#ifndef FFCNN_CLI_DIST_H
#define FFCNN_CLI_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "options.h" /* enum cli_dist */
/* Whether this build has MPI. */
int dist_available(void);
/* Starts the processes' communication for `mode` (nothing for DIST_NONE): FFCNN_EINVAL with a
 * message when this build has no MPI or the mode is not implemented. */
int dist_init(int mode, char *err);
/* This process's rank and the number of processes (0 and 1 without --dist). */
int dist_rank(void);
int dist_size(void);
/* Every process gets rank 0's len bytes in buf. */
int dist_bcast(void *buf, size_t len, char *err);
/* Whether buf[0..len) is the same on every process: 0 if so; FFCNN_EINVAL on every process
 * otherwise, with *first_bad the lowest rank that differs. */
int dist_same(const void *buf, size_t len, int *first_bad, char *err);
/* One data-parallel step: *stop = the largest local_stop of any process (a signal number, or
 * another positive reason to stop; 0 none), checked first along with n on every process (a
 * wrong size ends every process with a message); unless a process stops, g[0..n) and
 * st[0..ns) become their sums over the processes. */
int dist_allreduce(float *g, size_t n, double *st, size_t ns, int local_stop, int *stop, char *err);
/* Ends every process at once after an error (the message was printed): exit status code. */
void dist_abort(int code);
/* The normal end of every process (a no-op without --dist). */
void dist_finalize(void);

#endif
