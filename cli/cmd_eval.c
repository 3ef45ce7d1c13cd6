/* ffcnn eval: accuracy of a trained model by goodness inference and by its linear head, with
 * the confusion matrices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "data.h"
#include "dist.h"
#include "figure.h"
#include "options.h"

static const char USAGE[] =
    "usage: ffcnn eval --model FILE [options]\n"
    "Evaluates a trained model: goodness inference (argmax over labels of the goodness summed\n"
    "over the trained layers) and/or the linear classifier; prints accuracy and the confusion\n"
    "matrix (up to 20 classes; --confusion-png draws it for any number). A model that names its\n"
    "classes (trained on a folder) evaluated on a folder matches the sub-folders to its classes\n"
    "by name.\n";

/* The largest class count whose confusion matrices are printed (100 x 100 is unreadable). */
#define PRINT_CONFUSION_MAX 20

static void print_confusion(const char *title,
                            const int32_t m[FFCNN_MAX_CLASSES][FFCNN_MAX_CLASSES], int K) {
    if (K > PRINT_CONFUSION_MAX) {
        printf("%s not printed for K > %d classes; use --confusion-png\n", title,
               PRINT_CONFUSION_MAX);
        return;
    }
    printf("%s (rows: true 0..%d, columns: predicted)\n", title, K - 1);
    for (int i = 0; i < K; i++) {
        for (int j = 0; j < K; j++) printf("%6d", m[i][j]);
        printf("\n");
    }
}

static void print_result(const cli_opts *o, const ffcnn_eval_result *res) {
    const char *split = cli_split_name(o->split);
    printf("%s %s split: %d images, %.1f s, %.1f img/s\n", o->data_name, split, res->n,
           res->seconds, res->images_per_s);
    if (res->accuracy_goodness >= 0) {
        printf("accuracy (goodness): %.4f\n", res->accuracy_goodness);
        print_confusion("confusion matrix (goodness)", res->confusion_goodness, res->classes);
    }
    if (res->accuracy_linear >= 0) {
        printf("accuracy (linear):   %.4f\n", res->accuracy_linear);
        print_confusion("confusion matrix (linear)", res->confusion_linear, res->classes);
    }
    if (!o->json) return;
    json_begin("eval");
    json_str("algo", ffcnn_algo_name(o->cfg.algo));
    json_str("data", o->data_name);
    json_str("split", split);
    json_int("n", res->n);
    json_int("classes", res->classes);
    json_opt_num("accuracy_goodness", res->accuracy_goodness);
    json_opt_num("accuracy_linear", res->accuracy_linear);
    json_opt_num("images_per_s", res->images_per_s);
    json_num("seconds", res->seconds);
    json_end();
}

/* The figure's spec: the K x K corner of a matrix, and the class names when the model has them. */
static int confusion_spec(figure_confusion_spec *spec, const ffcnn_eval_result *res,
                          const ffcnn_net *net, int goodness, int32_t **counts,
                          const char ***names) {
    const int K = res->classes;
    *counts = malloc(sizeof **counts * (size_t)K * K);
    *names = ffcnn_net_class_name(net, 0) ? calloc((size_t)K, sizeof **names) : NULL;
    if (!*counts || (ffcnn_net_class_name(net, 0) && !*names)) return FFCNN_ENOMEM;
    for (int t = 0; t < K; t++)
        for (int p = 0; p < K; p++)
            (*counts)[t * K + p] =
                (goodness ? res->confusion_goodness : res->confusion_linear)[t][p];
    for (int k = 0; *names && k < K; k++) (*names)[k] = ffcnn_net_class_name(net, k);
    spec->n = K;
    spec->counts = *counts;
    spec->names = *names;
    return FFCNN_OK;
}

/* --confusion-png: goodness's matrix when it was evaluated, else the linear head's. */
static int draw_confusion(const cli_opts *o, const ffcnn_eval_result *res, const ffcnn_net *net,
                          char *err) {
    const int goodness = res->accuracy_goodness >= 0;
    const double acc = goodness ? res->accuracy_goodness : res->accuracy_linear;
    char title[256], subtitle[256], why[FIGURE_ERR_LEN];
    snprintf(title, sizeof title, "Confusion matrix (%s inference): %.200s",
             goodness ? "goodness" : "linear head", o->model);
    snprintf(subtitle, sizeof subtitle, "accuracy %.2f %% on %d %s %s images", 100.0 * acc, res->n,
             o->data_name, o->split == FFCNN_SPLIT_VAL ? "validation" : cli_split_name(o->split));
    figure_confusion_spec spec = {0};
    spec.title = title;
    spec.subtitle = subtitle;
    int32_t *counts = NULL;
    const char **names = NULL;
    int rc = confusion_spec(&spec, res, net, goodness, &counts, &names);
    if (rc)
        snprintf(err, FFCNN_ERR_LEN, "out of memory");
    else if (figure_confusion_png(o->confusion_png, &spec, why))
        rc = FFCNN_EIO, snprintf(err, FFCNN_ERR_LEN, "--confusion-png: %.480s", why);
    else
        fprintf(stderr, "ffcnn: confusion matrix (%s) written to %s\n",
                goodness ? "goodness" : "linear", o->confusion_png);
    free(counts);
    free(names);
    return rc;
}

static int eval_main(cli_opts *o_);

int cmd_eval(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_EVAL, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_EVAL, USAGE), 0;
    if (o.dist == DIST_LAYERS)
        return fail("--dist layers: the layer pipeline is for training; eval splits the images "
                    "over the processes with --dist data",
                    FFCNN_EINVAL);
    if ((rc = dist_init(o.dist, err))) dist_abort(fail(err, rc));
    const int status = eval_main(&o);
    if (o.dist && status != 0) dist_abort(status); /* no process waits for a failed one */
    dist_finalize();
    return status;
}

/* ffcnn eval with parsed options; under --dist data, on every process (rank 0 prints). */
static int eval_main(cli_opts *o_) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o = *o_;
    int rc;
    ffcnn_net *net = NULL;
    if ((rc = ffcnn_load(&net, o.model, o.threads, err))) return fail(err, rc);
    if ((rc = apply_conv(net, o.conv, o.conv_n, err)) ||
        (rc = ffcnn_net_set_score_from(net, o.score_from, err))) {
        ffcnn_net_free(net);
        return fail(err, rc);
    }
    const ffcnn_data_identity *id = ffcnn_net_data_identity(net);
    if (id && id->name[0] && strcmp(id->name, o.data_name) != 0 && dist_rank() == 0)
        fprintf(stderr, "ffcnn: warning: %s was trained on %.63s, evaluated here on %s\n", o.model,
                id->name, o.data_name);
    ffcnn_dataset ds = {0};
    rc = cli_load_split_for(&o, o.split, net, &ds, err);
    if (!rc && o.eval_limit > 0 && o.eval_limit < ds.n) ffcnn_dataset_truncate(&ds, o.eval_limit);
    static ffcnn_eval_result res; /* two 100 x 100 matrices: off the stack */
    o.cfg = *ffcnn_net_config(net);
    if (!rc) rc = dist_evaluate(net, &ds, o.mode, &res, err);
    const int root = dist_rank() == 0;
    if (!rc && root) print_result(&o, &res);
    if (!rc && root && o.confusion_png) rc = draw_confusion(&o, &res, net, err);
    ffcnn_dataset_free(&ds);
    ffcnn_net_free(net);
    return rc ? fail(err, rc) : 0;
}
