/* Distributed training and evaluation across processes (ffcnn train --dist data|layers, ffcnn
 * eval --dist data; docs/distributed.md). The CLI's face of it, the same with and without MPI:
 * dist_mpi.c implements it on Open MPI (built with -DFFCNN_MPI=ON), dist_none.c refuses every
 * mode but none. libffcnn itself knows nothing of MPI: it calls the training hooks' reduce,
 * which calls dist_allreduce here, or the pipeline's transport (dist_pipe.c). */
#ifndef FFCNN_CLI_DIST_H
#define FFCNN_CLI_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "ffcnn_pipeline.h" /* ffcnn_pipe_msg */
#include "options.h"        /* enum cli_dist */
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
/* --dist layers, one tick of the pipeline: sends sends[0..ns) and receives recvs[0..nr) (peers are
 * ranks), and returns when all are done; a message of another size than expected is an error
 * (FFCNN_EIO naming both ranks), never a wait. */
int dist_exchange(const ffcnn_pipe_msg *sends, int ns, const ffcnn_pipe_msg *recvs, int nr,
                  char *err);
/* Every process gets rank root's len bytes in buf. */
int dist_bcast_from(int root, void *buf, size_t len, char *err);
/* x[0..n) becomes its sum over the processes, on every process. */
int dist_sum_doubles(double *x, size_t n, char *err);
int dist_sum_i32(int32_t *x, size_t n, char *err);

/* ---- built on the above, in both builds (dist_pipe.c) ---- */

/* --dist layers: this process as stage dist_rank() of the pipeline over every process, net its
 * model, agree(user, local_stop, &stop, err) its stop agreement before each tick (collective,
 * stop = the largest local_stop). FFCNN_EINVAL naming --dist layers for a network the pipeline
 * cannot split over this many processes. */
int dist_pipe_start(ffcnn_net *net, int (*agree)(void *user, int local_stop, int *stop, char *err),
                    void *user, ffcnn_pipe **out, char *err);
/* The stages, "layers 1-2 on rank 0; layer 3 on rank 1". */
void dist_pipe_describe(const ffcnn_pipe *p, char *buf, size_t cap);
/* Rank 0, after an epoch of `images` training images: each stage's busy and waiting seconds
 * and bytes sent, and the bytes sent per training image, on stderr. */
void dist_pipe_print_stats(const ffcnn_pipe *p, int64_t images);
/* ffcnn_evaluate with the images shared out: each process evaluates a contiguous part and the
 * confusion counts are summed, so every process gets the single-process result (seconds: this
 * process's wall time, the sum included). One process: ffcnn_evaluate. */
int dist_evaluate(ffcnn_net *net, const ffcnn_dataset *ds, int mode, ffcnn_eval_result *res,
                  char *err);

/* Ends every process at once after an error (the message was printed): exit status code. */
void dist_abort(int code);
/* The normal end of every process (a no-op without --dist). */
void dist_finalize(void);

#endif
