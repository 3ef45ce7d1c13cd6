/* ffcnn predict: classifies image files (PNG, JPEG, PGM/PPM) with a trained model, printing
 * every class's score. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "images.h"
#include "options.h"

static const char USAGE[] =
    "usage: ffcnn predict --model FILE IMAGE... [options]\n"
    "       ffcnn predict --model FILE --index I [--data SET] [--split val|test]\n"
    "Classifies images with a trained model and prints, per image, the class and every class's\n"
    "score: the goodness summed over the trained layers under each label (the paper's\n"
    "inference; under --ff-loss cwc, of each class's channel groups, in one pass), or the\n"
    "linear head's probabilities. Images of any size, grey or colour, are brought to the\n"
    "model's input as its training data was prepared (docs/visualisation.md): colour to grey\n"
    "by luma, dark-on-light images inverted (--invert), then --fit. With --json, one JSON\n"
    "object per image (file, class, scores; class_name when the model names its classes).\n";

/* Every class's score, "c:score", or "name:score" when the model names its classes. */
static void print_text(const cli_images *im, const ffcnn_net *net, int i, int cls, const double *s,
                       const char *mode) {
    char text[96];
    cli_class_text(net, cls, text, sizeof text);
    printf("%s: class %s (%s%s)", im->names[i], text, mode, im->inverted[i] ? ", inverted" : "");
    if (im->labelled) {
        cli_class_text(net, im->ds.labels[i], text, sizeof text);
        printf(", true class %s", text);
    }
    printf("\n ");
    for (int c = 0; c < ffcnn_net_config(net)->classes; c++) {
        const char *name = ffcnn_net_class_name(net, c);
        if (name)
            printf(" %s:%.6g", name, s[c]);
        else
            printf(" %d:%.6g", c, s[c]);
    }
    printf("\n");
}

static void print_json(const cli_images *im, const ffcnn_net *net, int i, int cls, const double *s,
                       const char *mode) {
    json_begin("predict");
    json_str("file", im->names[i]);
    json_int("class", cls);
    if (ffcnn_net_class_name(net, cls)) json_str("class_name", ffcnn_net_class_name(net, cls));
    json_str("mode", mode);
    json_key("scores");
    for (int c = 0; c < ffcnn_net_config(net)->classes; c++) {
        fputc(c ? ',' : '[', stdout);
        json_fnum(stdout, s[c], 9);
    }
    fputc(']', stdout);
    json_key("inverted");
    fputs(im->inverted[i] ? "true" : "false", stdout);
    if (im->labelled) json_int("label", im->ds.labels[i]);
    json_end();
}

static int largest(const double *s, int K) {
    int best = 0;
    for (int c = 1; c < K; c++)
        if (s[c] > s[best]) best = c;
    return best;
}

/* --save-input: the first image as the model sees it (before its label is added). */
static int save_input(const cli_images *im, const char *path, char *err) {
    const ffcnn_image img = {im->ds.channels, im->ds.height, im->ds.width, im->ds.pixels};
    const int rc = ffcnn_image_save_png(&img, path, err);
    if (!rc) fprintf(stderr, "ffcnn: the model's input for %s written to %s\n", im->names[0], path);
    return rc;
}

static int predict(const cli_opts *o, ffcnn_net *net, char *err) {
    const ffcnn_config *c = ffcnn_net_config(net);
    int mode = o->mode;
    if (!o->mode_given) mode = c->algo == FFCNN_ALGO_BP ? FFCNN_EVAL_LINEAR : FFCNN_EVAL_GOODNESS;
    const char *mode_name = mode == FFCNN_EVAL_GOODNESS ? "goodness" : "probability";
    cli_images im;
    int rc = cli_images_load(&im, o, net, err);
    double *scores = rc ? NULL : calloc((size_t)im.ds.n * c->classes, sizeof(double));
    if (!rc && !scores) rc = FFCNN_ENOMEM, snprintf(err, FFCNN_ERR_LEN, "out of memory");
    if (!rc && o->save_input) rc = save_input(&im, o->save_input, err);
    if (!rc) rc = ffcnn_scores(net, &im.ds, (enum ffcnn_eval_mode)mode, scores, err);
    for (int i = 0; !rc && i < im.ds.n; i++) {
        const double *s = scores + (size_t)i * c->classes;
        const int cls = largest(s, c->classes);
        (o->json ? print_json : print_text)(&im, net, i, cls, s, mode_name);
    }
    free(scores);
    cli_images_free(&im);
    return rc;
}

int cmd_predict(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_PREDICT, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_PREDICT, USAGE), 0;
    ffcnn_net *net = NULL;
    if ((rc = ffcnn_load(&net, o.model, o.threads, err))) return fail(err, rc);
    rc = apply_conv(net, o.conv, o.conv_n, err);
    if (!rc) rc = ffcnn_net_set_score_from(net, o.score_from, err);
    if (!rc) rc = predict(&o, net, err);
    ffcnn_net_free(net);
    return rc ? fail(err, rc) : 0;
}
