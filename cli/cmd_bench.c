/* ffcnn bench: times training steps and goodness inference on random images of MNIST's shape,
 * with the flop counts of include/ffcnn_bench.h. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "common.h"
#include "ffcnn_bench.h"
#include "options.h"

static const char USAGE[] =
    "usage: ffcnn bench [network flags of train] [--steps N] [--warmup W] [--infer-images M]\n"
    "Times N training steps (after W warm-up steps) and inference on M images (goodness; with\n"
    "--algo bp the linear head), on random images of MNIST's shape; prints images/s, the conv\n"
    "path of each conv layer, GFLOP/s (direct-convolution count and executed count), this\n"
    "machine's sgemm peak, peak memory of training (before inference) and of the whole run,\n"
    "and the bytes training holds: parameters, activations, the rest.\n";

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

static void print_json(const cli_opts *o, const ffcnn_net *net, const char *net_text,
                       const double *figures, const ffcnn_memory *mem) {
    const int L = ffcnn_config_conv_layers(&o->cfg), bp = o->cfg.algo == FFCNN_ALGO_BP;
    static const char *const keys[] = {"train_images_per_s",  NULL,
                                       "train_direct_gflops", "train_executed_gflops",
                                       "infer_direct_gflops", "infer_executed_gflops",
                                       "fft_product_gflops",  "sgemm_peak_gflops",
                                       "epoch_minutes",       "peak_rss_mb",
                                       "train_peak_rss_mb"};
    json_begin("bench");
    json_str("algo", ffcnn_algo_name(o->cfg.algo));
    json_str("net", net_text);
    json_int("conv_layers", L);
    json_int("batch", o->cfg.batch);
    json_int("threads", o->threads);
    json_int("steps", o->steps);
    char aug[24];
    ffcnn_augment_format(&o->cfg, aug, sizeof aug);
    json_str("augment", aug);
    json_key("conv");
    for (int l = 0; l < L; l++) {
        fputs(l ? "," : "[", stdout);
        json_string(stdout, ffcnn_net_layer_conv_path(net, l));
    }
    fputs("]", stdout);
    json_str("kernels", ffcnn_kernels());
    json_str("blas_core", ffcnn_blas_core());
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        json_opt_num(keys[k] ? keys[k]
                     : bp    ? "infer_linear_images_per_s"
                             : "infer_goodness_images_per_s",
                     figures[k]);
    json_num("param_bytes", (double)mem->params);
    json_num("activation_bytes", (double)mem->activations);
    json_num("other_bytes", (double)mem->other);
    json_end();
}

static int run_bench(const cli_opts *o, ffcnn_net *net, ffcnn_dataset *ds, char *err) {
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
    ffcnn_memory mem; /* what training holds, before inference sizes the workspace anew */
    ffcnn_net_memory(net, &mem);
    const double train_rss = peak_rss_mb();
    const int bp = o->cfg.algo == FFCNN_ALGO_BP;
    const enum ffcnn_eval_mode mode = bp ? FFCNN_EVAL_LINEAR : FFCNN_EVAL_GOODNESS;
    ds->n = o->infer_images < 20 ? o->infer_images : 20;
    if (!rc) rc = ffcnn_evaluate(net, ds, mode, &res, err); /* warm-up */
    ds->n = o->infer_images;
    if (!rc) rc = ffcnn_evaluate(net, ds, mode, &res, err);
    if (rc) return rc;
    ffcnn_cost cost;
    ffcnn_net_cost(net, &cost);
    const double train_ips = o->steps * B / st.seconds, infer_ips = res.images_per_s;
    const double peak = ffcnn_sgemm_peak_gflops(o->threads), rss = peak_rss_mb();
    const double cg_gflops = cg_s > 0 ? cg_f / cg_s * 1e-9 : -1;
    char net_text[256], aug[24];
    ffcnn_config_format_net(&o->cfg, net_text, sizeof net_text);
    ffcnn_augment_format(&o->cfg, aug, sizeof aug);
    printf("network: %s, %s, batch %d, augment %s, %d thread%s\n", net_text,
           bp ? "backprop" : "Forward-Forward", B, aug, o->threads, plural(o->threads));
    printf("kernels: %s; OpenBLAS %s kernels\n", ffcnn_kernels(), ffcnn_blas_core());
    printf("training:  %.2f images/s  (%d step%s, %.2f s), direct %.1f GFLOP/s, executed %.1f "
           "GFLOP/s\n",
           train_ips, o->steps, plural(o->steps), st.seconds,
           train_ips * cost.train_direct_flops * 1e-9,
           train_ips * cost.train_executed_flops * 1e-9);
    printf("inference: %.2f images/s  (%s, %d image%s), direct %.1f GFLOP/s, executed "
           "%.1f GFLOP/s\n",
           infer_ips, bp ? "linear head" : "goodness", res.n, plural(res.n),
           infer_ips * cost.infer_direct_flops * 1e-9,
           infer_ips * cost.infer_executed_flops * 1e-9);
    if (cg_gflops > 0)
        printf("frequency-domain products (training): %.1f GFLOP/s = %.0f%% of sgemm peak %.1f "
               "GFLOP/s\n",
               cg_gflops, 100 * cg_gflops / peak, peak);
    else
        printf("sgemm peak: %.1f GFLOP/s\n", peak);
    printf("one epoch of 50000 images would take %.1f min\n", 50000 / train_ips / 60);
    printf("memory: peak %.0f MB training, %.0f MB with inference; training holds %.1f MB of "
           "parameters (with gradients and Adam's moments), %.1f MB of activations, %.1f MB "
           "other\n",
           train_rss, rss, mem.params / 1e6, mem.activations / 1e6, mem.other / 1e6);
    if (o->json) {
        const double figures[] = {train_ips,
                                  infer_ips,
                                  train_ips * cost.train_direct_flops * 1e-9,
                                  train_ips * cost.train_executed_flops * 1e-9,
                                  infer_ips * cost.infer_direct_flops * 1e-9,
                                  infer_ips * cost.infer_executed_flops * 1e-9,
                                  cg_gflops,
                                  peak,
                                  50000 / train_ips / 60,
                                  rss,
                                  train_rss};
        print_json(o, net, net_text, figures, &mem);
    }
    return FFCNN_OK;
}

int cmd_bench(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_BENCH, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_BENCH, USAGE), 0;
    const int n = o.steps * o.cfg.batch > o.infer_images ? o.steps * o.cfg.batch : o.infer_images;
    ffcnn_dataset ds =
        random_images(n > o.warmup * o.cfg.batch ? n : o.warmup * o.cfg.batch, &o.cfg);
    if (!ds.pixels || !ds.labels) {
        ffcnn_dataset_free(&ds);
        return fail("out of memory for the benchmark images", FFCNN_ENOMEM);
    }
    ffcnn_net *net = NULL;
    rc = ffcnn_net_create(&net, &o.cfg, o.threads, err);
    if (!rc) rc = apply_conv(net, o.conv, o.conv_n, err);
    if (!rc) rc = ffcnn_net_set_chunk(net, o.chunk, err);
    if (!rc) print_paths(net);
    if (!rc) rc = run_bench(&o, net, &ds, err);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&ds);
    return rc ? fail(err, rc) : 0;
}
