/* ffcnn command-line tool: a thin client of the public API (include/ffcnn.h). Only this file
 * prints results and chooses exit codes: 0 success, 2 bad input (flag, file, model), 1 other
 * failures (out of memory, numerical fault). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "args.h"
#include "options.h"
#include "ffcnn.h"
#include "progress.h"

#define EXIT_BAD_INPUT 2

static const char *TRAIN_USAGE =
    "usage: ffcnn train [options]\n"
    "Trains a CNN with the Forward-Forward algorithm (docs/method.md) and saves it.\n"
    "  --preset NAME        default | paper | tiny (applied first; other flags override)\n"
    "  --data SET[:DIR]     mnist (default, from data/mnist or $FFCNN_DATA/mnist) | fashion\n"
    "  --layers N           conv layers (default 3)\n"
    "  --filters C          filters per layer\n"
    "  --kernel k           odd kernel size\n"
    "  --label-set S        1 | 2 (Fourier sets) | onehot (Hinton's baseline)\n"
    "  --label-k K          label intensity in (0,1), default 0.35\n"
    "  --train-from L       first trained layer, 1-based (default 2: layer 1 stays random)\n"
    "  --batch B            positives per batch (as many negatives)\n"
    "  --epochs E           epochs\n"
    "  --lr X               Adam learning rate (linear cool-down in the second half)\n"
    "  --classifier-lr X    the linear head's rate (0: same as --lr, the paper's choice)\n"
    "  --seed S             seed for init, shuffling and negative labels\n"
    "  --threads T          worker threads (default: all cores)\n"
    "  --conv PATH          auto (default: time both on each layer, keep the faster) | im2col |\n"
    "                       fft, or one per layer: im2col,fft,fft\n"
    "  --train-limit N      use only the first N training images\n"
    "  --val-limit N        use only the first N validation images (0: no validation)\n"
    "  --final-eval MODE    goodness | linear | both | none on validation at the end (both)\n"
    "  --out FILE           model file (default model.ffm; with --resume, the resumed file)\n"
    "  --checkpoint-every N save every N epochs (N or Ne, default 1) or N steps (Ns)\n"
    "  --resume FILE        continue an interrupted run from its model file; the network\n"
    "                       and schedule come from the file (same data, same --train-limit)\n"
    "  --json               last line of output: one JSON object with the figures\n";

static const char *EVAL_USAGE =
    "usage: ffcnn eval --model FILE [options]\n"
    "Evaluates a trained model: goodness inference (argmax over labels of the summed goodness)\n"
    "and/or the linear classifier; prints accuracy and the confusion matrix.\n"
    "  --model FILE         model written by ffcnn train (required)\n"
    "  --data SET[:DIR]     mnist (default) | fashion\n"
    "  --split S            val (default) | test\n"
    "  --mode M             goodness | linear | both (default)\n"
    "  --eval-limit N       evaluate only the first N images\n"
    "  --threads T          worker threads (default: all cores)\n"
    "  --conv PATH          auto (default: time both on each layer, keep the faster) | im2col |\n"
    "                       fft, or one per layer: im2col,fft,fft\n"
    "  --json               last line of output: one JSON object with the figures\n";

static const char *MAIN_USAGE =
    "usage: ffcnn <command> [options]\n"
    "  train    train a network with Forward-Forward (ffcnn train --help)\n"
    "  eval     evaluate a trained model (ffcnn eval --help)\n"
    "  bench    time training and inference (ffcnn bench --help)\n"
    "  info     show a model file's configuration, position and weight hash\n"
    "  version  print the version\n";

static int exit_code(int rc) {
    return rc == FFCNN_ENOMEM || rc == FFCNN_ENUMERIC ? 1 : EXIT_BAD_INPUT;
}

static int fail(const char *err, int rc) {
    fprintf(stderr, "ffcnn: %s\n", err);
    return exit_code(rc);
}

static void print_confusion(const char *title, const int32_t m[FFCNN_CLASSES][FFCNN_CLASSES]) {
    printf("%s (rows: true 0..9, columns: predicted)\n", title);
    for (int i = 0; i < FFCNN_CLASSES; i++) {
        for (int j = 0; j < FFCNN_CLASSES; j++) printf("%6d", m[i][j]);
        printf("\n");
    }
}

static void json_number(const char *key, double v, int last) {
    if (v < 0)
        printf("\"%s\":null%s", key, last ? "" : ",");
    else
        printf("\"%s\":%.6g%s", key, v, last ? "" : ",");
}

/* ---- train ---- */

static int load_splits(const train_opts *o, ffcnn_dataset *train, ffcnn_dataset *val, char *err) {
    int rc = ffcnn_dataset_load_split(train, o->data_dir, FFCNN_SPLIT_TRAIN, err);
    if (!rc && o->val_limit != 0)
        rc = ffcnn_dataset_load_split(val, o->data_dir, FFCNN_SPLIT_VAL, err);
    if (rc) return rc;
    if (o->train_limit > 0) ffcnn_dataset_truncate(train, o->train_limit);
    if (o->val_limit > 0) ffcnn_dataset_truncate(val, o->val_limit);
    return FFCNN_OK;
}

static void print_config(const train_opts *o, const ffcnn_dataset *train,
                         const ffcnn_dataset *val) {
    const ffcnn_config *c = &o->cfg;
    const char *labels = c->label_kind == FFCNN_LABEL_ONEHOT     ? "onehot"
                         : c->label_kind == FFCNN_LABEL_FOURIER2 ? "fourier set 2"
                                                                 : "fourier set 1";
    fprintf(stderr,
            "ffcnn %s: %s (%d train / %d val images from %s)\n"
            "network: %d conv layers x %d filters %dx%d, labels %s K=%.2f, layers %d..%d "
            "trained\nschedule: batch %d, %d epochs, Adam lr %g, seed %llu, %d threads\n",
            FFCNN_VERSION, o->data_name, train->n, val->n, o->data_dir, c->layers, c->filters,
            c->kernel, c->kernel, labels, (double)c->label_k, c->train_from, c->layers, c->batch,
            c->epochs, (double)c->lr, (unsigned long long)c->seed, o->threads);
}

/* --conv as parsed (conv_n 0: not given = auto for all) onto the network. */
static int apply_conv(ffcnn_net *net, const int *conv, int conv_n, char *err) {
    enum ffcnn_conv_path paths[FFCNN_MAX_LAYERS] = {FFCNN_CONV_AUTO};
    for (int i = 0; i < conv_n; i++) paths[i] = (enum ffcnn_conv_path)conv[i];
    return ffcnn_net_set_conv_paths(net, paths, conv_n ? conv_n : 1, err);
}

/* Each layer's path, with the times that chose it under auto; and the --conv that repeats
 * the choice (same-seed runs give the same bits only on the same paths). */
static void print_paths(const ffcnn_net *net) {
    const int L = ffcnn_net_config(net)->layers;
    fprintf(stderr, "convolution:");
    for (int l = 0; l < L; l++) {
        double ti, tf;
        fprintf(stderr, " layer %d %s", l + 1, ffcnn_net_layer_conv_path(net, l));
        if (ffcnn_net_layer_conv_timing(net, l, &ti, &tf) == 0)
            fprintf(stderr, " (im2col %.1f ms, fft %.1f ms)", ti * 1e3, tf * 1e3);
        fputs(l + 1 < L ? "," : "", stderr);
    }
    fprintf(stderr, "; kernels %s\nrepeat with: --conv ", ffcnn_kernels());
    for (int l = 0; l < L; l++)
        fprintf(stderr, "%s%s", ffcnn_net_layer_conv_path(net, l), l + 1 < L ? "," : "\n");
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
    const train_opts *o;
    int save_rc; /* a failed step checkpoint stops training */
    char save_err[FFCNN_ERR_LEN];
} train_run;

static void run_on_batch(void *user, int epoch, int64_t done, int64_t total, double loss) {
    train_run *r = user;
    progress_on_batch(&r->prog, epoch, done, total, loss);
    if (r->o->checkpoint_steps && done % r->o->checkpoint_every == 0 && done < total)
        r->save_rc = ffcnn_save(r->net, r->o->out, r->save_err);
}

static void run_on_epoch(void *user, const ffcnn_epoch_stats *st) {
    progress_on_epoch(&((train_run *)user)->prog, st);
}

static int run_should_stop(void *user) {
    return stop_signal != 0 || ((train_run *)user)->save_rc != 0;
}

/* Trains the remaining epochs, saving at the chosen cadence and at the end. */
static int train_epochs(train_run *r, const ffcnn_dataset *train, const ffcnn_dataset *val,
                        double *seconds, int64_t *images, char *err) {
    const ffcnn_config *c = ffcnn_net_config(r->net);
    ffcnn_train_hooks hooks = {run_on_batch, run_on_epoch, run_should_stop, r};
    int rc = FFCNN_OK;
    while (!rc && ffcnn_net_epochs_done(r->net) < c->epochs) {
        const int resumed_steps = ffcnn_net_step_in_epoch(r->net);
        ffcnn_epoch_stats st;
        rc = ffcnn_train_epoch(r->net, train, val->n ? val : NULL, &hooks, &st, err);
        if (rc) break;
        *seconds += st.seconds;
        *images += train->n - (int64_t)resumed_steps * c->batch;
        const int done = ffcnn_net_epochs_done(r->net);
        if (r->o->checkpoint_steps || done % r->o->checkpoint_every == 0 || done == c->epochs)
            rc = ffcnn_save(r->net, r->o->out, err);
    }
    if (rc == FFCNN_EINTERRUPTED && r->save_rc) {
        snprintf(err, FFCNN_ERR_LEN, "%s", r->save_err);
        return r->save_rc;
    }
    if (!rc && c->epochs == 0) rc = ffcnn_save(r->net, r->o->out, err);
    return rc;
}

/* After SIGINT / SIGTERM: save, say how to resume, exit 128 + signal. */
static int save_after_signal(const train_run *r, char *err) {
    int rc = ffcnn_save(r->net, r->o->out, err);
    if (rc) return fail(err, rc);
    fprintf(stderr,
            "ffcnn: %s at epoch %d, step %d; model saved to %s; resume with: ffcnn train "
            "--resume %s\n",
            stop_signal == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)",
            ffcnn_net_epochs_done(r->net) + 1, ffcnn_net_step_in_epoch(r->net), r->o->out,
            r->o->out);
    return 128 + stop_signal;
}

static int make_net(const train_opts *o, ffcnn_net **net, char *err) {
    int rc = o->resume ? ffcnn_load(net, o->resume, o->threads, err)
                       : ffcnn_net_create(net, &o->cfg, o->threads, err);
    if (!rc) rc = apply_conv(*net, o->conv, o->conv_n, err);
    return rc;
}

static void print_train_result(const train_opts *o, const ffcnn_net *net,
                               const ffcnn_eval_result *res, double seconds, int64_t images) {
    const double ips = seconds > 0 ? images / seconds : -1;
    if (res->accuracy_goodness >= 0)
        printf("validation accuracy (goodness): %.4f\n", res->accuracy_goodness);
    if (res->accuracy_linear >= 0)
        printf("validation accuracy (linear):   %.4f\n", res->accuracy_linear);
    printf("model saved to %s (%d epochs, %.1f s training, %.1f img/s)\n", o->out,
           ffcnn_net_epochs_done(net), seconds, ips);
    if (!o->json) return;
    printf("{\"command\":\"train\",\"split\":\"val\",");
    json_number("accuracy_goodness", res->accuracy_goodness, 0);
    json_number("accuracy_linear", res->accuracy_linear, 0);
    json_number("images_per_s", ips, 0);
    printf("\"epochs\":%d,\"model\":\"%s\",", ffcnn_net_epochs_done(net), o->out);
    json_number("seconds", seconds, 1);
    printf("}\n");
}

static int cmd_train(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return fputs(TRAIN_USAGE, stdout), 0;
    train_opts o;
    int rc = parse_train_args(argc, argv, &o, 0, err);
    if (rc) return fail(err, rc);
    ffcnn_dataset train = {0}, val = {0};
    train_run run = {.o = &o};
    if ((rc = make_net(&o, &run.net, err))) return fail(err, rc);
    o.cfg = *ffcnn_net_config(run.net);
    if ((rc = load_splits(&o, &train, &val, err))) {
        ffcnn_net_free(run.net);
        return fail(err, rc);
    }
    print_config(&o, &train, &val);
    print_paths(run.net);
    if (o.resume)
        fprintf(stderr, "resuming %s at epoch %d, step %d\n", o.resume,
                ffcnn_net_epochs_done(run.net) + 1, ffcnn_net_step_in_epoch(run.net));
    progress_init(&run.prog, o.cfg.epochs, o.cfg.batch);
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
    } else if (rc) {
        status = fail(err, rc); /* numerical faults never overwrite the last good model */
    } else {
        if (o.final_mode && val.n) rc = ffcnn_evaluate(run.net, &val, o.final_mode, &res, err);
        if (rc)
            status = fail(err, rc);
        else
            print_train_result(&o, run.net, &res, seconds, images);
    }
    ffcnn_net_free(run.net);
    ffcnn_dataset_free(&train);
    ffcnn_dataset_free(&val);
    return status;
}

/* ---- eval ---- */

static int cmd_eval(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return fputs(EVAL_USAGE, stdout), 0;
    eval_opts o;
    int rc = parse_eval_args(argc, argv, &o, err);
    if (rc) return fail(err, rc);
    ffcnn_net *net = NULL;
    if ((rc = ffcnn_load(&net, o.model, o.threads, err))) return fail(err, rc);
    if ((rc = apply_conv(net, o.conv, o.conv_n, err))) {
        ffcnn_net_free(net);
        return fail(err, rc);
    }
    ffcnn_dataset ds = {0};
    rc = ffcnn_dataset_load_split(&ds, o.data_dir, (enum ffcnn_split)o.split, err);
    if (!rc && o.limit > 0) ffcnn_dataset_truncate(&ds, o.limit);
    ffcnn_eval_result res;
    if (!rc) rc = ffcnn_evaluate(net, &ds, (enum ffcnn_eval_mode)o.mode, &res, err);
    const char *split_name = o.split == FFCNN_SPLIT_TEST ? "test" : "val";
    if (!rc) {
        printf("%s %s split: %d images, %.1f s, %.1f img/s\n", o.data_name, split_name, res.n,
               res.seconds, res.images_per_s);
        if (res.accuracy_goodness >= 0) {
            printf("accuracy (goodness): %.4f\n", res.accuracy_goodness);
            print_confusion("confusion matrix (goodness)", res.confusion_goodness);
        }
        if (res.accuracy_linear >= 0) {
            printf("accuracy (linear):   %.4f\n", res.accuracy_linear);
            print_confusion("confusion matrix (linear)", res.confusion_linear);
        }
        if (o.json) {
            printf("{\"command\":\"eval\",\"split\":\"%s\",\"n\":%d,", split_name, res.n);
            json_number("accuracy_goodness", res.accuracy_goodness, 0);
            json_number("accuracy_linear", res.accuracy_linear, 0);
            json_number("images_per_s", res.images_per_s, 0);
            json_number("seconds", res.seconds, 1);
            printf("}\n");
        }
    }
    ffcnn_dataset_free(&ds);
    ffcnn_net_free(net);
    return rc ? fail(err, rc) : 0;
}

/* ---- bench ---- */

static const char *BENCH_USAGE =
    "usage: ffcnn bench [network flags of train] [--steps N] [--warmup W] [--infer-images M]\n"
    "Times N training steps (after W warm-up steps) and goodness inference on M images, on\n"
    "random images of MNIST's shape; prints images/s, the conv path of each layer, GFLOP/s\n"
    "(direct-convolution count and executed count), this machine's sgemm peak and peak memory.\n"
    "  --filters C --kernel k --layers L --batch B --threads T --conv PATH --preset NAME\n"
    "  --steps N            timed training steps (default 10)\n"
    "  --warmup W           untimed steps first (default 1)\n"
    "  --infer-images M     images for goodness inference (default 100)\n"
    "  --json               last line of output: one JSON object with the figures\n";

static ffcnn_dataset random_images(int n, const ffcnn_config *c) {
    const size_t len = (size_t)c->channels * c->height * c->width;
    ffcnn_dataset ds = {n, c->channels, c->height, c->width, malloc(len * n), malloc(n)};
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; ds.pixels && i < len * n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ds.pixels[i] = (uint8_t)(x >> 56);
    }
    for (int i = 0; ds.labels && i < n; i++) ds.labels[i] = (uint8_t)(i % FFCNN_CLASSES);
    return ds;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int run_bench(const train_opts *o, ffcnn_net *net, ffcnn_dataset *ds, char *err) {
    const int B = o->cfg.batch;
    ffcnn_epoch_stats st;
    ffcnn_eval_result res;
    int rc = FFCNN_OK;
    if (o->warmup > 0) {
        ds->n = o->warmup * B;
        rc = ffcnn_train_epoch(net, ds, NULL, NULL, &st, err);
    }
    ffcnn_fft_product_stats(NULL, NULL, 1);
    ds->n = o->steps * B;
    if (!rc) rc = ffcnn_train_epoch(net, ds, NULL, NULL, &st, err);
    double cg_s, cg_f;
    ffcnn_fft_product_stats(&cg_s, &cg_f, 1);
    ds->n = o->infer_images < 20 ? o->infer_images : 20;
    if (!rc) rc = ffcnn_evaluate(net, ds, FFCNN_EVAL_GOODNESS, &res, err); /* warm-up */
    ds->n = o->infer_images;
    if (!rc) rc = ffcnn_evaluate(net, ds, FFCNN_EVAL_GOODNESS, &res, err);
    if (rc) return rc;
    ffcnn_cost cost;
    ffcnn_net_cost(net, &cost);
    const double train_ips = o->steps * B / st.seconds, infer_ips = res.images_per_s;
    const double peak = ffcnn_sgemm_peak_gflops(o->threads), rss = peak_rss_mb();
    const double cg_gflops = cg_s > 0 ? cg_f / cg_s * 1e-9 : -1;
    printf("network: %d x %d filters %dx%d, batch %d, %d threads\n", o->cfg.layers, o->cfg.filters,
           o->cfg.kernel, o->cfg.kernel, B, o->threads);
    printf("kernels: %s; OpenBLAS %s kernels\n", ffcnn_kernels(), ffcnn_blas_core());
    printf("training:  %.2f images/s  (%d steps, %.2f s), direct %.1f GFLOP/s, executed %.1f "
           "GFLOP/s\n",
           train_ips, o->steps, st.seconds, train_ips * cost.train_direct_flops * 1e-9,
           train_ips * cost.train_executed_flops * 1e-9);
    printf("inference: %.2f images/s  (goodness, %d images), direct %.1f GFLOP/s, executed %.1f "
           "GFLOP/s\n",
           infer_ips, res.n, infer_ips * cost.infer_direct_flops * 1e-9,
           infer_ips * cost.infer_executed_flops * 1e-9);
    if (cg_gflops > 0)
        printf("frequency-domain products (training): %.1f GFLOP/s = %.0f%% of sgemm peak %.1f "
               "GFLOP/s\n",
               cg_gflops, 100 * cg_gflops / peak, peak);
    else
        printf("sgemm peak: %.1f GFLOP/s\n", peak);
    printf("one epoch of 50000 images would take %.1f min; peak memory %.0f MB\n",
           50000 / train_ips / 60, rss);
    if (o->json) {
        printf("{\"command\":\"bench\",\"layers\":%d,\"filters\":%d,\"kernel\":%d,\"batch\":%d,"
               "\"threads\":%d,\"steps\":%d,\"conv\":[",
               o->cfg.layers, o->cfg.filters, o->cfg.kernel, B, o->threads, o->steps);
        for (int l = 0; l < o->cfg.layers; l++)
            printf("\"%s\"%s", ffcnn_net_layer_conv_path(net, l),
                   l + 1 < o->cfg.layers ? "," : "],");
        printf("\"kernels\":\"%s\",\"blas_core\":\"%s\",", ffcnn_kernels(), ffcnn_blas_core());
        json_number("train_images_per_s", train_ips, 0);
        json_number("infer_goodness_images_per_s", infer_ips, 0);
        json_number("train_direct_gflops", train_ips * cost.train_direct_flops * 1e-9, 0);
        json_number("train_executed_gflops", train_ips * cost.train_executed_flops * 1e-9, 0);
        json_number("infer_direct_gflops", infer_ips * cost.infer_direct_flops * 1e-9, 0);
        json_number("infer_executed_gflops", infer_ips * cost.infer_executed_flops * 1e-9, 0);
        json_number("fft_product_gflops", cg_gflops, 0);
        json_number("sgemm_peak_gflops", peak, 0);
        json_number("epoch_minutes", 50000 / train_ips / 60, 0);
        json_number("peak_rss_mb", rss, 1);
        printf("}\n");
    }
    return FFCNN_OK;
}

static int cmd_bench(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return fputs(BENCH_USAGE, stdout), 0;
    train_opts o;
    int rc = parse_train_args(argc, argv, &o, 1, err);
    if (rc) return fail(err, rc);
    const int n = o.steps * o.cfg.batch > o.infer_images ? o.steps * o.cfg.batch : o.infer_images;
    ffcnn_dataset ds =
        random_images(n > o.warmup * o.cfg.batch ? n : o.warmup * o.cfg.batch, &o.cfg);
    if (!ds.pixels || !ds.labels)
        return fail("out of memory for the benchmark images", FFCNN_ENOMEM);
    ffcnn_net *net = NULL;
    rc = ffcnn_net_create(&net, &o.cfg, o.threads, err);
    if (!rc) rc = apply_conv(net, o.conv, o.conv_n, err);
    if (!rc) print_paths(net);
    if (!rc) rc = run_bench(&o, net, &ds, err);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
    return rc ? fail(err, rc) : 0;
}

/* ---- info ---- */

static const char *INFO_USAGE =
    "usage: ffcnn info --model FILE [--json]\n"
    "Prints a model file's configuration, training position, last validation accuracy and the\n"
    "SHA-256 of its weights (two models with the same hash have bit-identical weights).\n";

static const char *label_name(int kind) {
    return kind == FFCNN_LABEL_ONEHOT ? "onehot" : kind == FFCNN_LABEL_FOURIER2 ? "2" : "1";
}

static int cmd_info(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    const char *model = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return fputs(INFO_USAGE, stdout), 0;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--model")) {
            if (!(model = flag_value(argc, argv, &i, err))) return fail(err, FFCNN_EINVAL);
        } else {
            snprintf(err, FFCNN_ERR_LEN, "%s: unknown option for info (see ffcnn info --help)",
                     argv[i]);
            return fail(err, FFCNN_EINVAL);
        }
    }
    if (!model) return fail("--model: required", FFCNN_EINVAL);
    ffcnn_net *net = NULL;
    int rc = ffcnn_load(&net, model, 1, err);
    if (rc) return fail(err, rc);
    const ffcnn_config *c = ffcnn_net_config(net);
    char sha[65];
    ffcnn_net_weights_sha256(net, sha);
    const double val = ffcnn_net_last_val_accuracy(net);
    printf("model %s\nnetwork: %d conv layers x %d filters %dx%d on %dx%dx%d, labels %s K=%.2f, "
           "layers %d..%d trained\nschedule: batch %d, %d epochs, lr %g, seed %llu\n"
           "position: %d epochs done, step %d of the next\nweights sha256: %s\n",
           model, c->layers, c->filters, c->kernel, c->kernel, c->channels, c->height, c->width,
           label_name(c->label_kind), (double)c->label_k, c->train_from, c->layers, c->batch,
           c->epochs, (double)c->lr, (unsigned long long)c->seed, ffcnn_net_epochs_done(net),
           ffcnn_net_step_in_epoch(net), sha);
    if (val >= 0) printf("validation accuracy (linear) after the last epoch: %.4f\n", val);
    char paths[FFCNN_MAX_LAYERS * 8] = "";
    for (int l = 0; ffcnn_net_conv_paths_settled(net) && l < c->layers; l++)
        snprintf(paths + strlen(paths), sizeof paths - strlen(paths), "%s%s",
                 ffcnn_net_layer_conv_path(net, l), l + 1 < c->layers ? "," : "");
    printf("convolution paths: %s\n", paths[0] ? paths : "not recorded (measured on the next run)");
    if (json) {
        printf("{\"command\":\"info\",\"layers\":%d,\"filters\":%d,\"kernel\":%d,"
               "\"channels\":%d,\"height\":%d,\"width\":%d,\"label_set\":\"%s\",\"label_k\":%g,"
               "\"train_from\":%d,\"batch\":%d,\"epochs\":%d,\"lr\":%g,\"seed\":%llu,"
               "\"epochs_done\":%d,\"step_in_epoch\":%d,",
               c->layers, c->filters, c->kernel, c->channels, c->height, c->width,
               label_name(c->label_kind), (double)c->label_k, c->train_from, c->batch, c->epochs,
               (double)c->lr, (unsigned long long)c->seed, ffcnn_net_epochs_done(net),
               ffcnn_net_step_in_epoch(net));
        json_number("val_accuracy_linear", val, 0);
        printf("\"conv\":\"%s\",\"weights_sha256\":\"%s\"}\n", paths, sha);
    }
    ffcnn_net_free(net);
    return 0;
}

/* OpenBLAS chose slow kernels for a CPU it does not know (ffcnn_blas_better_core): run this
 * program again with OPENBLAS_CORETYPE set, which OpenBLAS reads only when it loads. A set
 * OPENBLAS_CORETYPE (the user's, or ours after the restart) is left alone. */
static void restart_with_fast_blas(char **argv) {
    const char *core = ffcnn_blas_better_core();
    if (!core || getenv("OPENBLAS_CORETYPE")) return;
    if (setenv("OPENBLAS_CORETYPE", core, 1) != 0) return;
    execv("/proc/self/exe", argv); /* returns only on failure: go on with the slow kernels */
    unsetenv("OPENBLAS_CORETYPE");
}

/* FFCNN_KERNELS, when set, must name kernels this binary and CPU have. */
static int check_kernels_env(void) {
    const char *want = getenv("FFCNN_KERNELS");
    char err[FFCNN_ERR_LEN];
    if (want && ffcnn_use_kernels(want, err) != FFCNN_OK) {
        fprintf(stderr, "ffcnn: FFCNN_KERNELS: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    return 0;
}

static int cmd_version(void) {
    printf("ffcnn %s\nkernels: %s\nblas: OpenBLAS, %s kernels%s\n", FFCNN_VERSION, ffcnn_kernels(),
           ffcnn_blas_core(), getenv("OPENBLAS_CORETYPE") ? " (OPENBLAS_CORETYPE)" : "");
    return 0;
}

int main(int argc, char **argv) {
    restart_with_fast_blas(argv);
    if (check_kernels_env()) return EXIT_BAD_INPUT;
    if (argc < 2) {
        fputs("ffcnn: no command given (train, eval, bench, info, version; see ffcnn --help)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return fputs(MAIN_USAGE, stdout), 0;
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) return cmd_version();
    fprintf(stderr, "ffcnn: '%s' is not a command (train, eval, bench, info, version)\n", argv[1]);
    return EXIT_BAD_INPUT;
}
