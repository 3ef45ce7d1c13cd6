/* ffcnn: the FF layer pipeline (docs/distributed.md, "The layer pipeline").
 *
 * P processes ("stages") each hold the whole network, but stage s trains only a contiguous part
 * of its layer list: stage 0 builds each batch (positives, negatives, neutral copies) and runs
 * the first layers, every later stage the layers after the previous stage's, the last stage
 * also the linear head. FF layers are detached, so a stage needs nothing back from the stages
 * after it: at tick t stage s works on batch t - s, and the stages compute at once. Each batch's
 * activations go forward from stage to stage, and the neutral copies' features of every trained
 * layer go to the last stage for the head. Every layer sees the batch and the weights it sees
 * in one process (stage s works on batch b with its weights after batches 0..b-1, on the input
 * stage s - 1 computed from batch b with its weights after 0..b-1), and computes it alike, so
 * the model is the single-process one bit for bit, given the same convolution paths, threads
 * and chunk size on every stage.
 *
 * The library does no communication: the caller passes a transport (the CLI's uses MPI).
 * Every function that can fail returns an FFCNN_E* code with a one-line message in err. */
#ifndef FFCNN_PIPELINE_H
#define FFCNN_PIPELINE_H

#include "ffcnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One message of a tick: `bytes` bytes at buf to or from stage `peer`, with a tag that tells the
 * receiver which message it is (activations, or a stage's features for the head). */
typedef struct ffcnn_pipe_msg {
    int peer;
    int tag;
    void *buf;
    size_t bytes;
} ffcnn_pipe_msg;

/* What the stages need of a transport. Every stage calls exchange once per tick, agree once per
 * tick while batches are still fed, and bcast and sum at the end of an epoch, all in the same
 * order, so collectives match. Each returns 0, or an FFCNN_E* code with a one-line message. */
typedef struct ffcnn_pipe_transport {
    /* Sends sends[0..n_sends) and receives recvs[0..n_recvs), returning when all are done (the
     * send buffers may then be reused). A received message must have exactly the expected
     * size: another size is an error (FFCNN_EIO), never a truncation or a wait. */
    int (*exchange)(void *user, const ffcnn_pipe_msg *sends, int n_sends,
                    const ffcnn_pipe_msg *recvs, int n_recvs, char *err);
    /* Collective: *stop = the largest local_stop of every stage (0: go on). */
    int (*agree)(void *user, int local_stop, int *stop, char *err);
    /* Collective: every stage gets stage root's bytes at buf. */
    int (*bcast)(void *user, int root, void *buf, size_t bytes, char *err);
    /* Collective: x[0..n) becomes its sum over the stages, on every stage. */
    int (*sum)(void *user, double *x, size_t n, char *err);
    void *user;
} ffcnn_pipe_transport;

/* The stages of cfg's network on `stages` processes: stage s runs list layers
 * first[s] .. first[s + 1] - 1 (0-based; first[stages] = cfg->n_layers). The trained conv
 * layers are shared out contiguously, as evenly as possible (earlier stages take one more);
 * untrained conv layers and pooling go with the stage of the next trained layer, pooling after
 * the last one with the last stage. FFCNN_EINVAL for fewer than 2 stages, more stages than
 * trained conv layers, or a backprop network (it trains the whole network in each step). */
int ffcnn_pipe_plan(const ffcnn_config *cfg, int stages, int first[FFCNN_MAX_LAYERS + 1],
                    char *err);

typedef struct ffcnn_pipe ffcnn_pipe;

/* This process as stage `stage` of `stages` for net (which it trains, and which must outlive
 * it), through transport t (copied). Every stage must hold the same model, settled on the same
 * convolution paths (ffcnn_net_set_conv_paths: a path timed on each stage could differ), with
 * the same thread count and chunk size. FFCNN_EINVAL as ffcnn_pipe_plan. */
int ffcnn_pipe_create(ffcnn_pipe **out, ffcnn_net *net, int stage, int stages,
                      const ffcnn_pipe_transport *t, char *err);
void ffcnn_pipe_free(ffcnn_pipe *p);

/* ffcnn_train_epoch as one stage of the pipeline: every stage calls it with the same training
 * set. The pipeline fills and drains within the epoch. Afterwards every stage holds the whole
 * model (each stage's layers, weights and Adam state, broadcast by their stage) and the
 * epoch's stats summed over the stages; val (may be NULL: give it on one stage) is evaluated
 * and the hooks' on_epoch called as by ffcnn_train_epoch. on_batch is called after each of
 * this stage's steps, with the loss of its last trained layer (-1 if it has none). Before each
 * tick the stages agree on stopping (should_stop, or the transport's own reason): stage 0 then
 * feeds no more batches, the others finish those fed, and every stage returns
 * FFCNN_EINTERRUPTED with the whole model at the same resume point. An error on one stage
 * (returned there) leaves the others waiting in the transport: the caller must end them (the
 * CLI calls MPI_Abort). */
int ffcnn_pipe_train_epoch(ffcnn_pipe *p, const ffcnn_dataset *train, const ffcnn_dataset *val,
                           const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err);

/* One stage's figures for the last call of ffcnn_pipe_train_epoch (the same on every stage). */
typedef struct ffcnn_pipe_stage_stats {
    int32_t first_layer, last_layer; /* 1-based positions in the layer list */
    int64_t batches;                 /* batches it computed */
    double busy_seconds;             /* computing (building, layers, gradients, updates) */
    double busy_cpu_seconds;         /* the CPU time of that (all threads): unlike the wall
                                        time, not stretched by other processes on the cores */
    double wait_seconds;             /* in the transport: messages and agreeing */
    double bytes_sent;               /* message bytes it sent */
} ffcnn_pipe_stage_stats;
/* FFCNN_EINVAL for a stage out of range. */
int ffcnn_pipe_stage_stats_get(const ffcnn_pipe *p, int stage, ffcnn_pipe_stage_stats *st,
                               char *err);

#ifdef __cplusplus
}
#endif
#endif
