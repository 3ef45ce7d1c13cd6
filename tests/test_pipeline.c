/* The layer pipeline of the library (include/ffcnn_pipeline.h) without MPI: each stage a forked
 * process, the transport stream sockets between every pair. The model after two epochs is the
 * single-process one, bit for bit (weights, Adam state and statistics), on 2 stages with the
 * FFT path across the stage boundary, on 3 stages with pooling, chunks and a short last batch,
 * and on 2 stages for 3 trained layers (the first one's head features sent by stage 0); a stop
 * agreed mid-epoch leaves every stage at one resume point, from which the pipeline ends at the
 * same model; the plan refuses what cannot be pipelined. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ffcnn.h"
#include "ffcnn_pipeline.h"
#include "network.h"
#include "test_util.h"

#define MAX_STAGES 4

/* This process's stage and its socket to every other stage. */
typedef struct sock_transport {
    int stage, stages;
    int fd[MAX_STAGES];
    int stop_at_tick, ticks; /* stage 0 asks to stop before this tick (-1: never) */
} sock_transport;

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        const ssize_t k = write(fd, p, n);
        if (k <= 0) return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n) {
    char *p = buf;
    while (n > 0) {
        const ssize_t k = read(fd, p, n);
        if (k <= 0) return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

/* A message is its tag and size, then its bytes: the receiver checks both. */
static int put_msg(int fd, int tag, const void *buf, size_t bytes) {
    const int64_t head[2] = {tag, (int64_t)bytes};
    return write_all(fd, head, sizeof head) || write_all(fd, buf, bytes) ? -1 : 0;
}

static int get_msg(int fd, int tag, void *buf, size_t bytes, char *err) {
    int64_t head[2];
    if (read_all(fd, head, sizeof head)) return snprintf(err, FFCNN_ERR_LEN, "read"), FFCNN_EIO;
    if (head[0] != tag || head[1] != (int64_t)bytes)
        return snprintf(err, FFCNN_ERR_LEN, "message tag %lld size %lld, expected %d %zu",
                        (long long)head[0], (long long)head[1], tag, bytes),
               FFCNN_EIO;
    return read_all(fd, buf, bytes) ? (snprintf(err, FFCNN_ERR_LEN, "read"), FFCNN_EIO) : FFCNN_OK;
}

/* Sends first, then receives: sends go to later stages only, so no stage waits in a cycle. */
static int t_exchange(void *user, const ffcnn_pipe_msg *sends, int ns, const ffcnn_pipe_msg *recvs,
                      int nr, char *err) {
    sock_transport *t = user;
    for (int k = 0; k < ns; k++)
        if (put_msg(t->fd[sends[k].peer], sends[k].tag, sends[k].buf, sends[k].bytes))
            return snprintf(err, FFCNN_ERR_LEN, "write"), FFCNN_EIO;
    for (int k = 0; k < nr; k++) {
        const int rc =
            get_msg(t->fd[recvs[k].peer], recvs[k].tag, recvs[k].buf, recvs[k].bytes, err);
        if (rc) return rc;
    }
    return FFCNN_OK;
}

enum { TAG_COLLECTIVE = 100 };

/* Stage 0 gathers n bytes from every stage, combines them with f, and sends the result back. */
static int star(sock_transport *t, void *x, size_t n, void (*f)(void *acc, const void *y),
                char *err) {
    if (t->stage != 0) {
        if (put_msg(t->fd[0], TAG_COLLECTIVE, x, n))
            return snprintf(err, FFCNN_ERR_LEN, "write"), FFCNN_EIO;
        return get_msg(t->fd[0], TAG_COLLECTIVE, x, n, err);
    }
    char *y = malloc(n ? n : 1);
    int rc = y ? FFCNN_OK : FFCNN_ENOMEM;
    for (int s = 1; s < t->stages && !rc; s++)
        if (!(rc = get_msg(t->fd[s], TAG_COLLECTIVE, y, n, err))) f(x, y);
    for (int s = 1; s < t->stages && !rc; s++)
        if (put_msg(t->fd[s], TAG_COLLECTIVE, x, n)) rc = FFCNN_EIO;
    free(y);
    return rc;
}

static void max_int(void *acc, const void *y) {
    if (*(const int *)y > *(int *)acc) *(int *)acc = *(const int *)y;
}

static int t_agree(void *user, int local_stop, int *stop, char *err) {
    sock_transport *t = user;
    int x = local_stop || (t->stage == 0 && t->ticks == t->stop_at_tick);
    t->ticks++;
    const int rc = star(t, &x, sizeof x, max_int, err);
    *stop = x;
    return rc;
}

static int t_bcast(void *user, int root, void *buf, size_t bytes, char *err) {
    sock_transport *t = user;
    if (t->stage != root) return get_msg(t->fd[root], TAG_COLLECTIVE + 1, buf, bytes, err);
    for (int s = 0; s < t->stages; s++)
        if (s != root && put_msg(t->fd[s], TAG_COLLECTIVE + 1, buf, bytes))
            return snprintf(err, FFCNN_ERR_LEN, "write"), FFCNN_EIO;
    return FFCNN_OK;
}

static size_t sum_n; /* doubles in the sum in progress */
static void add_doubles(void *acc, const void *y) {
    for (size_t i = 0; i < sum_n; i++) ((double *)acc)[i] += ((const double *)y)[i];
}

static int t_sum(void *user, double *x, size_t n, char *err) {
    sum_n = n;
    return star(user, x, n * sizeof *x, add_doubles, err);
}

static ffcnn_dataset make_data(int n) {
    ffcnn_dataset ds = {n, 1, 28, 28, malloc((size_t)n * 784), malloc((size_t)n)};
    float *tmp = malloc(sizeof(float) * (size_t)n * 784);
    test_fill_uniform(tmp, (size_t)n * 784, 0, 255.99f, 5);
    for (int i = 0; i < n * 784; i++) ds.pixels[i] = (uint8_t)tmp[i];
    for (int i = 0; i < n; i++) ds.labels[i] = (uint8_t)(i * 7 % 10);
    free(tmp);
    return ds;
}

/* A test case: the network, its conv paths ('i' im2col, 'f' fft, one per conv layer), the
 * stages, the chunk, the images (batches of 8, two epochs) and a tick before which stage 0 asks
 * to stop (-1: none); symba: SymBa on the mean goodness at T 0.25 (docs/method.md §13). */
typedef struct pipe_case {
    const char *name, *net, *paths;
    int stages, chunk, images, stop_at_tick, symba;
} pipe_case;

#define EPOCHS 2

static ffcnn_net *make_net(const pipe_case *pc, char *err) {
    ffcnn_config c;
    ffcnn_config_default(&c);
    ffcnn_config_parse_net(&c, pc->net, err);
    c.batch = 8, c.epochs = EPOCHS, c.seed = 11, c.lr = 1e-2f;
    if (pc->symba)
        c.ff_loss = FFCNN_FF_LOSS_SYMBA, c.goodness = FFCNN_GOODNESS_MEAN, c.ff_temperature = 0.25f;
    enum ffcnn_conv_path path[FFCNN_MAX_LAYERS];
    const int L = ffcnn_config_conv_layers(&c);
    for (int j = 0; j < L; j++) path[j] = pc->paths[j] == 'f' ? FFCNN_CONV_FFT : FFCNN_CONV_IM2COL;
    ffcnn_net *net = NULL;
    if (ffcnn_net_create(&net, &c, 1, err) || ffcnn_net_set_conv_paths(net, path, L, err) ||
        ffcnn_net_set_chunk(net, pc->chunk, err)) {
        ffcnn_net_free(net);
        return NULL;
    }
    return net;
}

/* What every stage must end with: the model, its optimiser state and its position. */
typedef struct state_digest {
    char weights[65];
    uint64_t adam; /* FNV-1a of the Adam moments */
    int64_t adam_t, epochs_done, step;
    double loss; /* the last epoch's loss of the last layer */
} state_digest;

static void digest(const ffcnn_net *net, double loss, state_digest *d) {
    memset(d, 0, sizeof *d);
    ffcnn_net_weights_sha256(net, d->weights);
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p[2] = {(const void *)net->adam_m, (const void *)net->adam_v};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < net->n_params * sizeof(float); i++)
            h = (h ^ p[k][i]) * 1099511628211ULL;
    d->adam = h, d->adam_t = net->adam_t, d->epochs_done = net->epochs_done;
    d->step = net->step_in_epoch, d->loss = loss;
}

/* One stage's whole run; an interrupted epoch is run again from its resume point. */
static int run_stage(const pipe_case *pc, sock_transport *t, const ffcnn_dataset *ds,
                     state_digest *d, int *stopped, char *err) {
    ffcnn_net *net = make_net(pc, err);
    if (!net) return FFCNN_EINVAL;
    const ffcnn_pipe_transport tr = {t_exchange, t_agree, t_bcast, t_sum, t};
    ffcnn_pipe *p = NULL;
    int rc = ffcnn_pipe_create(&p, net, t->stage, t->stages, &tr, err);
    ffcnn_epoch_stats st = {0};
    while (!rc && ffcnn_net_epochs_done(net) < EPOCHS) {
        rc = ffcnn_pipe_train_epoch(p, ds, NULL, NULL, &st, err);
        if (rc == FFCNN_EINTERRUPTED) {
            *stopped = ffcnn_net_step_in_epoch(net);
            rc = FFCNN_OK;
        }
    }
    if (!rc) digest(net, st.loss[st.layers - 1], d);
    ffcnn_pipe_free(p);
    ffcnn_net_free(net);
    return rc;
}

/* The stages as processes: stage 0 here, the others forked (before any training, so that no
 * thread pool is inherited); each sends its digest to stage 0 at the end. */
static int run_pipeline(const pipe_case *pc, const ffcnn_dataset *ds, state_digest *d, int *stopped,
                        char *err) {
    int fds[MAX_STAGES][MAX_STAGES];
    for (int a = 0; a < pc->stages; a++)
        for (int b = a + 1; b < pc->stages; b++) {
            int sv[2];
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return FFCNN_EIO;
            fds[a][b] = sv[0], fds[b][a] = sv[1];
        }
    pid_t pid[MAX_STAGES] = {0};
    int me = 0;
    for (int s = 1; s < pc->stages && me == 0; s++)
        if ((pid[s] = fork()) == 0) me = s;
    sock_transport t = {me, pc->stages, {0}, me == 0 ? pc->stop_at_tick : -1, 0};
    for (int k = 0; k < pc->stages; k++) t.fd[k] = k == me ? -1 : fds[me][k];
    int rc = run_stage(pc, &t, ds, d, stopped, err);
    if (me != 0) { /* a forked stage: its digest to stage 0, and its verdict as exit status */
        if (rc) fprintf(stderr, "stage %d: %s\n", me, err);
        _exit(rc || put_msg(t.fd[0], TAG_COLLECTIVE + 2, d, sizeof *d) ? 1 : 0);
    }
    for (int s = 1; s < pc->stages; s++) {
        state_digest other;
        char why[FFCNN_ERR_LEN];
        const int got = get_msg(t.fd[s], TAG_COLLECTIVE + 2, &other, sizeof other, why);
        int status = 1;
        waitpid(pid[s], &status, 0);
        CHECK(!got && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                  !memcmp(&other, d, sizeof other),
              "%s: stage %d ran and ends with stage 0's model (%s)", pc->name, s,
              got ? why : "same digest?");
    }
    for (int a = 0; a < pc->stages; a++)
        for (int b = 0; b < pc->stages; b++)
            if (a != b) close(fds[a][b]);
    return rc;
}

static void test_case(const pipe_case *pc) {
    ffcnn_dataset ds = make_data(pc->images);
    char err[FFCNN_ERR_LEN] = "";
    state_digest piped, single;
    int stopped = -1;
    const int rc = run_pipeline(pc, &ds, &piped, &stopped, err);
    CHECK(rc == FFCNN_OK, "%s: the pipeline runs (%s)", pc->name, err);
    ffcnn_net *net = make_net(pc, err);
    ffcnn_epoch_stats st = {0};
    for (int e = 0; net && e < EPOCHS; e++) ffcnn_train_epoch(net, &ds, NULL, NULL, &st, err);
    if (net) digest(net, st.loss[st.layers - 1], &single);
    CHECK(net && !rc && !memcmp(&piped, &single, sizeof piped),
          "%s: %d stages = one process, bit for bit (weights %.12s / %.12s, loss %g / %g)",
          pc->name, pc->stages, piped.weights, single.weights, piped.loss, single.loss);
    if (pc->stop_at_tick >= 0)
        CHECK(stopped == pc->stop_at_tick, "%s: a stop before tick %d leaves step %d", pc->name,
              pc->stop_at_tick, stopped);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
}

static void test_plan(void) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    int first[FFCNN_MAX_LAYERS + 1];
    ffcnn_config_default(&c);
    ffcnn_config_parse_net(&c, "c4k3 c4k3 p2 c4k3 c4k3 p2", err);
    CHECK(!ffcnn_pipe_plan(&c, 3, first, err) && first[0] == 0 && first[1] == 2 && first[2] == 4 &&
              first[3] == 6,
          "3 stages: layers 1-2, pooling with the next trained layer, the last pooling last");
    CHECK(!ffcnn_pipe_plan(&c, 2, first, err) && first[1] == 4,
          "2 stages for 3 trained layers: the first stage takes two");
    CHECK(ffcnn_pipe_plan(&c, 4, first, err) == FFCNN_EINVAL &&
              strstr(err, "4 stages for 3 trained conv layers"),
          "more stages than trained layers: refused (%s)", err);
    CHECK(ffcnn_pipe_plan(&c, 1, first, err) == FFCNN_EINVAL, "1 stage: refused (%s)", err);
    c.algo = FFCNN_ALGO_BP;
    CHECK(ffcnn_pipe_plan(&c, 2, first, err) == FFCNN_EINVAL && strstr(err, "backprop"),
          "backprop: refused (%s)", err);
    c.algo = FFCNN_ALGO_FF, c.negatives = FFCNN_NEGATIVES_HARD;
    CHECK(ffcnn_pipe_plan(&c, 2, first, err) == FFCNN_EINVAL && strstr(err, "--negatives hard"),
          "hard negatives: refused (%s)", err);
    c.negatives = FFCNN_NEGATIVES_RANDOM, c.ff_loss = FFCNN_FF_LOSS_CE;
    CHECK(ffcnn_pipe_plan(&c, 2, first, err) == FFCNN_EINVAL && strstr(err, "--ff-loss ce"),
          "the label-contrastive loss: refused (%s)", err);
    c.ff_loss = FFCNN_FF_LOSS_CWC;
    CHECK(ffcnn_config_parse_net(&c, "c10k3 c10k3 c10k3", err) == 0 &&
              ffcnn_config_validate(&c, err) == 0,
          "a cwc network: %s", err);
    CHECK(ffcnn_pipe_plan(&c, 2, first, err) == FFCNN_EINVAL && strstr(err, "--ff-loss cwc"),
          "the channel-wise competitive loss: refused (%s)", err);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* a dead stage is a write error, not a silent exit */
    test_plan();
    const pipe_case cases[] = {
        {"fft boundary", "c4k3 c4k3 c4k3", "iff", 2, 64, 40, -1, 0},
        {"pooling, chunks, short batch", "c4k3 c4k3 p2 c4k3 c4k3", "iiff", 3, 3, 44, -1, 0},
        {"stop and go on", "c4k3 c4k3 c4k3", "iff", 2, 64, 40, 3, 0},
        {"two trained layers in a stage", "c4k3 c4k3 p2 c4k3 c4k3", "ifff", 2, 5, 44, -1, 0},
        {"SymBa on the mean goodness", "c4k3 c4k3 c4k3", "iff", 2, 64, 40, -1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) test_case(&cases[i]);
    return test_summary();
}
