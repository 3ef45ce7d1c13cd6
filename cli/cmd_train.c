/* ffcnn train: builds (or resumes) a network, trains it epoch by epoch with checkpoints, saves
 * it on SIGINT / SIGTERM, and evaluates it on the validation set at the end. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "common.h"
#include "data.h"
#include "dist.h"
#include "metrics.h"
#include "options.h"
#include "progress.h"

static const char USAGE[] =
    "usage: ffcnn train [options]\n"
    "Trains a CNN with the Forward-Forward algorithm (docs/method.md), or with --algo bp by\n"
    "backpropagation (the paper's baseline), and saves it. The network is the preset's unless\n"
    "--net (any layer list) or --layers/--filters/--kernel (a uniform stack) is given. Flags\n"
    "marked * set the network or schedule: --resume refuses them.\n";

static void describe_limit(char *buf, size_t cap, int32_t limit, const char *what) {
    if (limit < 0)
        snprintf(buf, cap, "all %s images", what);
    else
        snprintf(buf, cap, "the first %d %s images", (int)limit, what);
}

/* The data set's name and limits as given, onto the network (its fingerprint kept). */
static void record_data(const cli_opts *o, ffcnn_net *net) {
    ffcnn_data_identity id = *ffcnn_net_data_identity(net);
    memset(id.name, 0, sizeof id.name);
    snprintf(id.name, sizeof id.name, "%s", o->data_name);
    id.train_limit = o->train_limit;
    id.val_limit = o->val_limit;
    ffcnn_net_set_data_identity(net, &id);
}

/* A limit given with --resume must be the one the model recorded. */
static int refuse_limit(const cli_opts *o, const char *flag, int32_t given, int32_t recorded,
                        char *err) {
    if (given == recorded) return 0;
    const int train = !strcmp(flag, "--train-limit");
    char had[96];
    describe_limit(had, sizeof had, recorded, train ? "training" : "validation");
    snprintf(err, FFCNN_ERR_LEN, "%s %d: %s was %s on %s (leave %s out to use the same)", flag,
             (int)given, o->resume, train ? "trained" : "validated",
             recorded == 0 ? "no images" : had, flag);
    return 1;
}

/* With --resume: the data set and the limits are the model's (its data identity) unless
 * given, and then they must match it. A model file without an identity (versions 1 and 2)
 * takes the flags as given, and records them from now on. */
static int resume_data(cli_opts *o, ffcnn_net *net, char *err) {
    const ffcnn_data_identity *id = ffcnn_net_data_identity(net);
    if (!id->name[0]) return record_data(o, net), FFCNN_OK;
    if (!o->data_given) {
        char why[FFCNN_ERR_LEN];
        if (strchr(id->name, ':') ||
            parse_data(id->name, o->data_dir, sizeof o->data_dir, &o->data_name, why)) {
            if (!strcmp(id->name, "folder")) /* the model records the kind, not the folder */
                snprintf(err, FFCNN_ERR_LEN,
                         "%s: trained on an image folder: give it again with --data folder:DIR",
                         o->resume);
            else
                snprintf(err, FFCNN_ERR_LEN,
                         "%s: trained on data set '%.63s', which ffcnn does not know: give --data",
                         o->resume, id->name);
            return FFCNN_EINVAL;
        }
    } else if (strcmp(o->data_name, id->name) != 0) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--data %s: %s was trained on %.63s (leave --data out, or give %.63s[:DIR])",
                 o->data_name, o->resume, id->name, id->name);
        return FFCNN_EINVAL;
    }
    if ((o->train_limit_given &&
         refuse_limit(o, "--train-limit", o->train_limit, id->train_limit, err)) ||
        (o->val_limit_given && refuse_limit(o, "--val-limit", o->val_limit, id->val_limit, err)))
        return FFCNN_EINVAL;
    o->train_limit = id->train_limit;
    o->val_limit = id->val_limit;
    return FFCNN_OK;
}

/* A fresh network's input shape and class count are the data's. The paper's label sets are
 * for 10 classes: unless --label-set was given, other counts take the Fourier set of the K
 * lowest modes. */
static int shape_from_data(cli_opts *o, const ffcnn_dataset *train, const cli_classes *cl,
                           char *err) {
    ffcnn_config *c = &o->cfg;
    c->channels = train->channels, c->height = train->height, c->width = train->width;
    if (cl->n < 2 || cl->n > FFCNN_MAX_CLASSES) {
        snprintf(err, FFCNN_ERR_LEN, "--data %s: %d class%s, but a network has 2 to %d",
                 o->data_name, cl->n, cl->n == 1 ? "" : "es", FFCNN_MAX_CLASSES);
        return FFCNN_EINVAL;
    }
    c->classes = cl->n;
    const int paper_set =
        c->label_kind == FFCNN_LABEL_FOURIER1 || c->label_kind == FFCNN_LABEL_FOURIER2;
    if (!o->label_set_given && paper_set && c->classes != FFCNN_CLASSES)
        c->label_kind = FFCNN_LABEL_FOURIER_AUTO;
    return FFCNN_OK;
}

/* A folder's class names go into the model (a resumed model without names gets them too). */
static int name_classes(ffcnn_net *net, const cli_classes *cl, char *err) {
    if (!cl->named || ffcnn_net_class_name(net, 0) || cl->n != ffcnn_net_config(net)->classes)
        return FFCNN_OK;
    char why[FFCNN_ERR_LEN];
    const int rc = ffcnn_net_set_class_names(net, (const char(*)[64])cl->names, cl->n, why);
    if (rc) snprintf(err, FFCNN_ERR_LEN, "--data folder: %.480s", why);
    return rc;
}

/* A fresh network: or a resumed one, whose data set and limits then come from its file. */
static int make_net(cli_opts *o, ffcnn_net **net, char *err) {
    int rc;
    if (o->resume) {
        rc = ffcnn_load(net, o->resume, o->threads, err);
        if (!rc) rc = resume_data(o, *net, err);
    } else {
        rc = ffcnn_net_create(net, &o->cfg, o->threads, err);
        if (!rc) record_data(o, *net);
    }
    if (!rc) rc = apply_conv(*net, o->conv, o->conv_n, err);
    if (!rc) rc = ffcnn_net_set_chunk(*net, o->chunk, err);
    if (!rc) rc = ffcnn_net_set_score_from(*net, o->score_from, err);
    return rc;
}

static void print_config(const cli_opts *o, const ffcnn_dataset *train, const ffcnn_dataset *val) {
    const ffcnn_config *c = &o->cfg;
    const char *labels = c->label_kind == FFCNN_LABEL_ONEHOT         ? "onehot"
                         : c->label_kind == FFCNN_LABEL_FOURIER2     ? "fourier set 2"
                         : c->label_kind == FFCNN_LABEL_FOURIER_AUTO ? "fourier (lowest modes)"
                         : c->label_kind == FFCNN_LABEL_MORPH        ? "morph (line morphology)"
                                                                     : "fourier set 1";
    char net[256], trained[64], head[64] = "", method[256], augment[48] = "", aug[24];
    ffcnn_config_format_net(c, net, sizeof net);
    ffcnn_augment_format(c, aug, sizeof aug);
    if (c->augment_pad || c->augment_flip) snprintf(augment, sizeof augment, ", augment %s", aug);
    trained_layers(c, trained, sizeof trained);
    if (c->algo == FFCNN_ALGO_BP)
        snprintf(method, sizeof method,
                 "backprop baseline (no label in the input; every layer and the head trained end "
                 "to end)");
    else if (c->ff_loss == FFCNN_FF_LOSS_CWC) /* plain images: docs/method.md §13 */
        snprintf(method, sizeof method,
                 "labels: none (cwc), %s; objective cwc (one channel group per class), goodness "
                 "%s, T %g",
                 trained, ffcnn_goodness_name(c->goodness),
                 c->ff_temperature > 0 ? (double)c->ff_temperature : 1.0);
    else if (ffcnn_config_is_paper_objective(c))
        snprintf(method, sizeof method, "labels %s K=%.2f, %s", labels, (double)c->label_k,
                 trained);
    else
        snprintf(method, sizeof method,
                 "labels %s K=%.2f, %s; objective %s, goodness %s, T %g, negatives %s", labels,
                 (double)c->label_k, trained, ffcnn_ff_loss_name(c->ff_loss),
                 ffcnn_goodness_name(c->goodness),
                 c->ff_temperature > 0 ? (double)c->ff_temperature : 1.0,
                 ffcnn_negatives_name(c->negatives));
    if (c->classifier_lr > 0 && c->algo == FFCNN_ALGO_FF)
        snprintf(head, sizeof head, ", classifier lr %g", (double)c->classifier_lr);
    fprintf(stderr,
            "ffcnn %s: %s (%d train / %d val images of %d classes from %s)\n"
            "network: %s on %dx%dx%d, %s\n"
            "schedule: batch %d, %d epoch%s, Adam lr %g%s, seed %llu%s, %d thread%s\n",
            FFCNN_VERSION, o->data_name, train->n, val->n, c->classes, o->data_dir, net,
            c->channels, c->height, c->width, method, c->batch, c->epochs, plural(c->epochs),
            (double)c->lr, head, (unsigned long long)c->seed, augment, o->threads,
            plural(o->threads));
}

/* SIGINT / SIGTERM ask training to stop after the current step; the model is then saved. */
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) {
    stop_signal = sig;
}

static void catch_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct train_run {
    progress prog;
    ffcnn_net *net;
    const cli_opts *o;
    int save_rc; /* a failed step checkpoint stops training */
    char save_err[FFCNN_ERR_LEN];
    char metrics[4200];     /* MODEL.metrics.jsonl */
    int metrics_off;        /* after a write error (warned once): no more lines */
    double train_seconds;   /* training seconds of the model so far, earlier runs included */
    int dist;               /* enum cli_dist */
    int root;               /* rank 0 (or no --dist): logs, evaluates, writes files */
    ffcnn_epoch_stats last; /* the epoch just finished (its metrics line not yet written) */
    int have_last;
    ffcnn_dataset test; /* --eval-test-every: the test split (reporting only) */
    ffcnn_pipe *pipe;   /* --dist layers: this process's stage of the pipeline */
} train_run;

/* The one warning of a metrics file that cannot be written; training goes on without it. */
static void metrics_warn(train_run *r, const char *path, const char *what, int errnum) {
    if (r->metrics_off) return;
    r->metrics_off = 1;
    fprintf(stderr, "ffcnn: warning: %s: %s%s%s; training goes on without per-epoch metrics\n",
            path, what, errnum ? ": " : "", errnum ? strerror(errnum) : "");
}

/* Writes `len` bytes of `text` as the whole file (a fresh run: none, truncating it). */
static void metrics_rewrite(train_run *r, const char *text, size_t len) {
    FILE *f = fopen(r->metrics, "wb");
    if (!f) {
        metrics_warn(r, r->metrics, "cannot write", errno);
        return;
    }
    const int bad = (len && fwrite(text, 1, len, f) != len) || ferror(f);
    const int saved = errno;
    if (fclose(f) != 0 || bad) metrics_warn(r, r->metrics, "cannot write", bad ? saved : errno);
}

/* Before training: a fresh run starts the metrics file empty. A resumed run keeps the lines of
 * the epochs its model has done (those of epochs a checkpoint did not keep are dropped), from
 * the resumed model's file, and counts its training seconds on from the last of them. */
static void metrics_start(train_run *r) {
    char from[sizeof r->metrics];
    const char *too_long = metrics_path(r->o->out, r->metrics, sizeof r->metrics) ? r->o->out
                           : r->o->resume && metrics_path(r->o->resume, from, sizeof from)
                               ? r->o->resume
                               : NULL;
    if (too_long) {
        metrics_warn(r, too_long, "path too long for its metrics file", 0);
        return;
    }
    struct stat st; /* a model written to a device (/dev/full, /dev/null) has no folder to share */
    if (stat(r->o->out, &st) == 0 && !S_ISREG(st.st_mode)) {
        metrics_warn(r, r->o->out, "not a regular file, so no metrics file beside it", 0);
        return;
    }
    if (!r->o->resume) {
        metrics_rewrite(r, "", 0);
        return;
    }
    FILE *f = fopen(from, "rb");
    if (!f) { /* none yet (a model from before metrics files): start one */
        if (errno != ENOENT)
            metrics_warn(r, from, "cannot read", errno);
        else if (strcmp(from, r->metrics) != 0)
            metrics_rewrite(r, "", 0);
        return;
    }
    const int done = ffcnn_net_epochs_done(r->net);
    char *line = NULL, *kept = NULL, why[160];
    size_t cap = 0, kept_len = 0, kept_cap = 0;
    ssize_t n;
    int dropped = 0, unended = 0, nomem = 0;
    while (!dropped && !nomem && (n = getline(&line, &cap, f)) > 0) {
        metrics_line m;
        char *nl = line[n - 1] == '\n' ? &line[n - 1] : NULL;
        if (nl) *nl = '\0';
        const int ok = !metrics_parse(line, &m, why, sizeof why);
        if (nl) *nl = '\n';
        if (ok && m.epoch > done) {
            dropped = 1;
            break;
        }
        if (ok) r->train_seconds = m.train_seconds;
        if (kept_len + (size_t)n + 1 > kept_cap) {
            char *grown = realloc(kept, 2 * (kept_len + (size_t)n + 1));
            if (!grown) {
                nomem = 1;
                break;
            }
            kept = grown, kept_cap = 2 * (kept_len + (size_t)n + 1);
        }
        memcpy(kept + kept_len, line, (size_t)n);
        kept_len += (size_t)n;
        if (!nl) kept[kept_len++] = '\n', unended = 1; /* a last line cut short */
    }
    const int bad = ferror(f);
    fclose(f);
    free(line);
    if (nomem || bad)
        metrics_warn(r, from, nomem ? "out of memory" : "cannot read", 0);
    else if (dropped || unended || strcmp(from, r->metrics))
        metrics_rewrite(r, kept, kept_len);
    free(kept);
}

static void run_on_batch(void *user, int epoch, int64_t done, int64_t total, double loss) {
    train_run *r = user;
    progress_on_batch(&r->prog, epoch, done, total, loss);
    if (r->o->checkpoint_steps && done % r->o->checkpoint_every == 0 && done < total)
        r->save_rc = ffcnn_save(r->net, r->o->out, r->save_err);
}

/* Each finished epoch: its progress line; its metrics line follows when the library returns
 * (after the test evaluation, if one is due). */
static void run_on_epoch(void *user, const ffcnn_epoch_stats *st) {
    train_run *r = user;
    progress_on_epoch(&r->prog, st);
    r->train_seconds += st->seconds;
    r->last = *st;
    r->have_last = 1;
}

/* --eval-test-every: whether the test split is evaluated after the epoch just done. */
static int test_due(const train_run *r) {
    const int n = r->o->eval_test_every, done = ffcnn_net_epochs_done(r->net);
    return n > 0 && r->test.n > 0 && (done % n == 0 || done == ffcnn_net_config(r->net)->epochs);
}

/* The test split's accuracy, printed and returned in res; a failure is a warning (training
 * goes on: the figure is for reporting only). */
static const ffcnn_eval_result *eval_test(train_run *r, ffcnn_eval_result *res) {
    char err[FFCNN_ERR_LEN];
    const int mode =
        ffcnn_net_config(r->net)->algo == FFCNN_ALGO_BP ? FFCNN_EVAL_LINEAR : FFCNN_EVAL_BOTH;
    if (ffcnn_evaluate(r->net, &r->test, mode, res, err)) {
        fprintf(stderr, "ffcnn: warning: --eval-test-every: %s\n", err);
        return NULL;
    }
    fprintf(stderr, "  test (reporting only, chooses nothing): ");
    if (res->accuracy_goodness >= 0) fprintf(stderr, "goodness %.4f  ", res->accuracy_goodness);
    fprintf(stderr, "linear %.4f\n", res->accuracy_linear);
    return res;
}

/* The finished epoch's line in the metrics file, with the test accuracy when it was due. */
static void write_epoch_line(train_run *r) {
    if (!r->have_last) return;
    r->have_last = 0;
    ffcnn_eval_result res;
    const ffcnn_eval_result *test = test_due(r) ? eval_test(r, &res) : NULL;
    if (r->metrics_off) return;
    FILE *f = fopen(r->metrics, "ab");
    if (!f) {
        metrics_warn(r, r->metrics, "cannot write", errno);
        return;
    }
    metrics_write(f, ffcnn_net_config(r->net), &r->last, r->train_seconds, test);
    const int bad = ferror(f);
    const int saved = errno;
    if (fclose(f) != 0 || bad) metrics_warn(r, r->metrics, "cannot write", bad ? saved : errno);
}

static int run_should_stop(void *user) {
    const train_run *r = user;
    /* --dist: the processes agree on stopping in run_reduce, or one would wait for the others */
    return !r->dist && (stop_signal != 0 || r->save_rc != 0);
}

/* A stop asked for by a failed checkpoint (not a signal). */
#define STOP_SAVE_FAILED 1000

/* --dist data: the step's gradient and statistics summed over the processes, and whether any
 * of them was asked to stop (then every one stops before this step's update). */
static int run_reduce(void *user, float *grads, size_t n, double *stats, size_t n_stats,
                      char *err) {
    const train_run *r = user;
    const int local = stop_signal ? stop_signal : r->save_rc ? STOP_SAVE_FAILED : 0;
    int stop = 0;
    const int rc = dist_allreduce(grads, n, stats, n_stats, local, &stop, err);
    if (rc || !stop) return rc;
    if (!stop_signal && stop != STOP_SAVE_FAILED) stop_signal = stop; /* another's signal */
    snprintf(err, FFCNN_ERR_LEN, "stopped at step %d", ffcnn_net_step_in_epoch(r->net) + 1);
    return FFCNN_EINTERRUPTED;
}

/* "data" or "layers": --dist's value. */
static const char *dist_name(int dist) {
    return dist == DIST_LAYERS ? "layers" : "data";
}

/* --dist layers: before each tick the stages agree whether to stop (a signal to any of them);
 * the library then drains the pipeline and every process holds the model at one resume point. */
static int run_agree(void *user, int local_stop, int *stop, char *err) {
    (void)user;
    const int rc =
        dist_allreduce(NULL, 0, NULL, 0, local_stop ? local_stop : stop_signal, stop, err);
    if (!rc && *stop && !stop_signal) stop_signal = *stop; /* another's signal */
    return rc;
}

/* --dist data, after an epoch: the processes' models must still be bit-identical (--dist
 * layers: after each stage's layers were broadcast). */
static int check_replicas(const train_run *r, char *err) {
    char hex[65];
    ffcnn_net_weights_sha256(r->net, hex);
    int bad;
    const int rc = dist_same(hex, sizeof hex, &bad, err);
    if (rc && bad > 0)
        snprintf(err, FFCNN_ERR_LEN,
                 "--dist %s: after epoch %d rank %d's weights differ from rank 0's (the "
                 "processes' sums disagree); stopping",
                 dist_name(r->dist), ffcnn_net_epochs_done(r->net), bad);
    return rc;
}

/* --dist data, before training: every process takes rank 0's convolution paths (so that all
 * compute alike), its part of each batch, and must hold the same model, training set and
 * thread count as rank 0 (each loaded them itself). */
static int dist_start(const cli_opts *o, train_run *r, const ffcnn_dataset *train, char *err) {
    ffcnn_net *net = r->net;
    const int L = ffcnn_config_conv_layers(ffcnn_net_config(net));
    enum ffcnn_conv_path mine[FFCNN_MAX_LAYERS], paths[FFCNN_MAX_LAYERS];
    for (int l = 0; l < L; l++)
        mine[l] = paths[l] =
            !strcmp(ffcnn_net_layer_conv_path(net, l), "fft") ? FFCNN_CONV_FFT : FFCNN_CONV_IM2COL;
    int rc = dist_bcast(paths, sizeof paths, err);
    if (!rc && memcmp(mine, paths, (size_t)L * sizeof *paths) != 0)
        rc = ffcnn_net_set_conv_paths(net, paths, L, err);
    if (!rc && o->dist == DIST_DATA)
        rc = ffcnn_net_set_shard(net, dist_rank(), dist_size(), run_reduce, r, err);
    if (rc) return rc;
    struct {
        char weights[65];
        uint8_t fingerprint[32];
        int32_t epochs_done, step, n, threads, chunk;
        ffcnn_config cfg;
    } plan;
    memset(&plan, 0, sizeof plan);
    ffcnn_net_weights_sha256(net, plan.weights);
    ffcnn_dataset_fingerprint(train, plan.fingerprint);
    plan.epochs_done = ffcnn_net_epochs_done(net);
    plan.step = ffcnn_net_step_in_epoch(net);
    plan.n = train->n;
    plan.threads = o->threads;
    plan.chunk = ffcnn_net_chunk(net);
    plan.cfg = *ffcnn_net_config(net);
    int bad;
    rc = dist_same(&plan, sizeof plan, &bad, err);
    if (rc && bad > 0)
        snprintf(err, FFCNN_ERR_LEN,
                 "--dist %s: rank %d has another model, resume point, training set, --threads "
                 "or --chunk than rank 0 (every process must be started alike, on the same files)",
                 dist_name(o->dist), bad);
    if (!rc && o->dist == DIST_LAYERS) rc = dist_pipe_start(net, run_agree, r, &r->pipe, err);
    return rc;
}

/* Trains the remaining epochs, saving at the chosen cadence and at the end. */
static int train_epochs(train_run *r, const ffcnn_dataset *train, const ffcnn_dataset *val,
                        double *seconds, int64_t *images, char *err) {
    const ffcnn_config *c = ffcnn_net_config(r->net);
    ffcnn_train_hooks hooks = {run_on_batch, run_on_epoch, run_should_stop, r};
    if (!r->root) hooks.on_batch = NULL, hooks.on_epoch = NULL; /* rank 0 alone logs and saves */
    int rc = FFCNN_OK;
    while (!rc && ffcnn_net_epochs_done(r->net) < c->epochs) {
        const int resumed_steps = ffcnn_net_step_in_epoch(r->net);
        ffcnn_epoch_stats st;
        const ffcnn_dataset *v = val->n && r->root ? val : NULL;
        rc = r->pipe ? ffcnn_pipe_train_epoch(r->pipe, train, v, &hooks, &st, err)
                     : ffcnn_train_epoch(r->net, train, v, &hooks, &st, err);
        write_epoch_line(r);
        if (!rc && r->dist) rc = check_replicas(r, err);
        if (rc) break;
        *seconds += st.seconds;
        *images += train->n - (int64_t)resumed_steps * c->batch;
        if (r->pipe && r->root)
            dist_pipe_print_stats(r->pipe, train->n - (int64_t)resumed_steps * c->batch);
        const int done = ffcnn_net_epochs_done(r->net);
        if (r->root &&
            (r->o->checkpoint_steps || done % r->o->checkpoint_every == 0 || done == c->epochs))
            rc = ffcnn_save(r->net, r->o->out, err);
    }
    if (rc == FFCNN_EINTERRUPTED && r->save_rc) {
        snprintf(err, FFCNN_ERR_LEN, "%s", r->save_err);
        return r->save_rc;
    }
    if (!rc && c->epochs == 0 && r->root) rc = ffcnn_save(r->net, r->o->out, err);
    return rc;
}

/* After SIGINT / SIGTERM: save, say how to resume, exit 128 + signal. */
static int save_after_signal(const train_run *r, char *err) {
    if (!r->root) return 128 + stop_signal; /* rank 0 saves and tells */
    int rc = ffcnn_save(r->net, r->o->out, err);
    if (rc) return fail(err, rc);
    fprintf(stderr,
            "ffcnn: %s at epoch %d, step %d; model saved to %s; resume with: %sffcnn train "
            "--resume %s%s%s\n",
            stop_signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)",
            ffcnn_net_epochs_done(r->net) + 1, ffcnn_net_step_in_epoch(r->net), r->o->out,
            r->dist ? "mpirun ... " : "", r->o->out, r->dist ? " --dist " : "",
            r->dist ? dist_name(r->dist) : "");
    return 128 + stop_signal;
}

static void print_train_result(const cli_opts *o, const ffcnn_net *net,
                               const ffcnn_eval_result *res, double seconds, int64_t images) {
    const double ips = seconds > 0 ? images / seconds : -1;
    const int epochs = ffcnn_net_epochs_done(net);
    if (res->accuracy_goodness >= 0)
        printf("validation accuracy (goodness): %.4f\n", res->accuracy_goodness);
    if (res->accuracy_linear >= 0)
        printf("validation accuracy (linear):   %.4f\n", res->accuracy_linear);
    if (ips >= 0)
        printf("model saved to %s (%d epoch%s, %.1f s training, %.1f img/s)\n", o->out, epochs,
               plural(epochs), seconds, ips);
    else /* nothing left to train (a finished model resumed, or --epochs 0) */
        printf("model saved to %s (%d epoch%s, no training in this run)\n", o->out, epochs,
               plural(epochs));
    if (!o->json) return;
    char net_text[256];
    ffcnn_config_format_net(ffcnn_net_config(net), net_text, sizeof net_text);
    json_begin("train");
    json_str("split", "val");
    json_opt_num("accuracy_goodness", res->accuracy_goodness);
    json_opt_num("accuracy_linear", res->accuracy_linear);
    json_opt_num("images_per_s", ips);
    json_int("epochs", epochs);
    json_str("net", net_text);
    json_str("model", o->out);
    json_num("seconds", seconds);
    json_end();
}

static int train_main(cli_opts *o_);

int cmd_train(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_TRAIN, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_TRAIN, USAGE), 0;
    if ((rc = dist_init(o.dist, err))) dist_abort(fail(err, rc));
    const int status = train_main(&o);
    /* --dist: a process that failed ends them all (no process waits for it); an interrupted
     * run ends normally, its model saved by rank 0 */
    if (o.dist && status != 0 && !(stop_signal && status == 128 + stop_signal)) dist_abort(status);
    dist_finalize();
    return status;
}

/* --eval-test-every: the data set's test split (a set without one is an error at the start, not
 * after the first epoch; net NULL: only that check). */
static int load_test(const cli_opts *o, const ffcnn_net *net, ffcnn_dataset *test, char *err) {
    if (cli_data_is_folder(o->data_name)) {
        snprintf(err, FFCNN_ERR_LEN, "--eval-test-every: %s has no test split", o->data_name);
        return FFCNN_EINVAL;
    }
    return net ? cli_load_split_for(o, FFCNN_SPLIT_TEST, net, test, err) : FFCNN_OK;
}

/* ffcnn train with parsed options; under --dist, on every process. */
static int train_main(cli_opts *o_) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o = *o_;
    int rc = FFCNN_OK;
    ffcnn_dataset train = {0}, val = {0};
    train_run run = {.o = &o, .dist = o.dist, .root = dist_rank() == 0};
    cli_classes *classes = calloc(1, sizeof *classes);
    if (!classes) return fail("out of memory", FFCNN_ENOMEM);
    /* A fresh network takes its input shape and classes from the training images (a folder's
     * are brought to --image-size); a resumed one knows its data set (and limits) only once
     * its file is read. */
    if (o.eval_test_every && o.data_given && cli_data_is_folder(o.data_name)) /* before loading */
        rc = load_test(&o, NULL, NULL, err);
    if (!rc && !o.resume)
        rc = cli_load_train_val(&o, o.image_c, o.image_h, o.image_w, &train, &val, classes, err);
    if (!rc && !o.resume) rc = shape_from_data(&o, &train, classes, err);
    if (!rc) rc = make_net(&o, &run.net, err);
    if (!rc) o.cfg = *ffcnn_net_config(run.net);
    if (!rc && o.dist == DIST_LAYERS && o.checkpoint_steps)
        rc = FFCNN_EINVAL, snprintf(err, sizeof err,
                                    "--checkpoint-every %ds: the layer pipeline (--dist layers) "
                                    "saves at the end of epochs only (give N epochs)",
                                    o.checkpoint_every);
    if (!rc && o.cfg.algo == FFCNN_ALGO_BP && o.final_mode == FFCNN_EVAL_GOODNESS)
        rc = FFCNN_EINVAL, snprintf(err, sizeof err,
                                    "--final-eval goodness: a backprop model has no goodness (use "
                                    "linear)");
    if (!rc && o.resume)
        rc = cli_load_train_val(&o, o.cfg.channels, o.cfg.height, o.cfg.width, &train, &val,
                                classes, err);
    if (!rc) rc = name_classes(run.net, classes, err);
    if (!rc && o.dist) rc = dist_start(&o, &run, &train, err);
    if (!rc && o.eval_test_every && run.root) rc = load_test(&o, run.net, &run.test, err);
    free(classes);
    if (rc) {
        ffcnn_pipe_free(run.pipe);
        ffcnn_net_free(run.net);
        ffcnn_dataset_free(&train);
        ffcnn_dataset_free(&val);
        ffcnn_dataset_free(&run.test);
        return fail(err, rc);
    }
    if (run.root) {
        print_config(&o, &train, &val);
        print_paths(run.net);
        char stages[512] = "";
        if (run.pipe) dist_pipe_describe(run.pipe, stages, sizeof stages);
        if (o.dist)
            fprintf(stderr, "distributed: --dist %s on %d processes, %d thread%s each%s%s\n",
                    dist_name(o.dist), dist_size(), o.threads, plural(o.threads),
                    run.pipe ? "; stages: " : "", stages);
        if (o.resume)
            fprintf(stderr, "resuming %s at epoch %d, step %d\n", o.resume,
                    ffcnn_net_epochs_done(run.net) + 1, ffcnn_net_step_in_epoch(run.net));
    }
    progress_init(&run.prog, o.cfg.epochs, o.cfg.batch);
    if (run.root) metrics_start(&run);
    catch_stop_signals();
    double seconds = 0;
    int64_t images = 0;
    rc = train_epochs(&run, &train, &val, &seconds, &images, err);
    int status = 0;
    ffcnn_eval_result res;
    memset(&res, 0, sizeof res);
    res.accuracy_goodness = res.accuracy_linear = -1;
    if (rc == FFCNN_EINTERRUPTED && stop_signal) {
        status = save_after_signal(&run, err);
    } else if (rc == FFCNN_EINTERRUPTED && !run.root) {
        status = exit_code(rc); /* rank 0's checkpoint failed: it tells */
    } else if (rc) {
        status = fail(err, rc); /* numerical faults never overwrite the last good model */
    } else { /* --dist: every process evaluates its part of the images, rank 0 prints */
        if (o.final_mode && val.n) rc = dist_evaluate(run.net, &val, o.final_mode, &res, err);
        if (rc)
            status = fail(err, rc);
        else if (run.root)
            print_train_result(&o, run.net, &res, seconds, images);
    }
    ffcnn_pipe_free(run.pipe);
    ffcnn_net_free(run.net);
    ffcnn_dataset_free(&train);
    ffcnn_dataset_free(&val);
    ffcnn_dataset_free(&run.test);
    return status;
}
