/* ffcnn labels: the label patterns (docs/method.md §2) and, for an example image, its positive
 * sample (the true label superimposed) and a negative one (another label), as a PNG: the
 * paper's label figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "data.h"
#include "figure.h"
#include "options.h"

static const char USAGE[] =
    "usage: ffcnn labels [--label-set S] [--label-k K] [--model FILE] --out FILE.png\n"
    "Draws every label pattern of a label set, the neutral pattern (their mean, used for the\n"
    "linear head), and for image --index of --data's --split its positive sample (its true\n"
    "label superimposed: (1 - K) x + K L, docs/method.md §2) and a negative sample (the next\n"
    "class's label). With --model, the set, K, image shape and classes are the model's; else\n"
    "the classes are the data's. --label-set morph has no pattern of its own: its label is a\n"
    "transformation T_c of the image ((1 - K) x + K T_c(x)), so the figure shows T_c applied to\n"
    "the example image for every class, and their mean for the neutral label.\n";

/* The patterns: classes, then neutral; and the image, positive and negative samples. */
typedef struct label_figure {
    float *patterns; /* (classes + 1) x len */
    float *samples;  /* 3 x len: image, positive, negative */
    int label, negative;
} label_figure;

static int make_pictures(label_figure *f, const ffcnn_config *c, const ffcnn_dataset *ds, int index,
                         char *err) {
    const size_t len = (size_t)c->channels * c->height * c->width;
    f->patterns = calloc(len * (c->classes + 1), sizeof(float));
    f->samples = calloc(len * 3, sizeof(float));
    if (!f->patterns || !f->samples)
        return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    int rc = FFCNN_OK;
    const uint8_t *image = ds->pixels + len * index;
    const int morph = c->label_kind == FFCNN_LABEL_MORPH;
    for (int k = 0; !rc && k <= c->classes; k++)
        rc = ffcnn_label_image(c, k, morph ? image : NULL, f->patterns + len * k, err);
    /* morph: T_c(x) = (x_c - (1 - K) x) / K, the example image under class c's transformation */
    for (size_t i = 0; morph && !rc && i < len * (c->classes + 1); i++) {
        const float x = image[i % len] / 255.0f;
        const float t = (f->patterns[i] - (1.0f - c->label_k) * x) / c->label_k;
        f->patterns[i] = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    }
    f->label = ds->labels[index];
    f->negative = (f->label + 1) % c->classes;
    for (size_t i = 0; i < len; i++) f->samples[i] = image[i] / 255.0f;
    if (!rc) rc = ffcnn_label_image(c, f->label, image, f->samples + len, err);
    if (!rc) rc = ffcnn_label_image(c, f->negative, image, f->samples + 2 * len, err);
    return rc;
}

static int draw(const label_figure *f, const ffcnn_config *c, const cli_opts *o, char *err) {
    const size_t len = (size_t)c->channels * c->height * c->width;
    figure_picture *pats = calloc((size_t)c->classes, sizeof *pats);
    if (!pats) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    for (int k = 0; k < c->classes; k++)
        pats[k] = (figure_picture){NULL, f->patterns + len * k, c->channels, c->height, c->width};
    char title[256], pos[64], neg[64], why[FIGURE_ERR_LEN];
    snprintf(title, sizeof title, "Label set %s, K = %.3g: %s and samples of %s %s #%d",
             label_set_name(c->label_kind), (double)c->label_k,
             c->label_kind == FFCNN_LABEL_MORPH ? "each class's transformation" : "patterns",
             o->data_name, cli_split_name(o->split), o->index < 0 ? 0 : o->index);
    snprintf(pos, sizeof pos, "positive (label %d)", f->label);
    snprintf(neg, sizeof neg, "negative (label %d)", f->negative);
    figure_labels_spec spec = {0};
    spec.title = title;
    spec.patterns = pats;
    spec.n_patterns = c->classes;
    spec.neutral =
        (figure_picture){NULL, f->patterns + len * c->classes, c->channels, c->height, c->width};
    spec.lo = 0.0f, spec.hi = 1.0f; /* patterns lie in [0, 1] (docs/method.md §2) */
    spec.image = (figure_picture){NULL, f->samples, c->channels, c->height, c->width};
    spec.positive = (figure_picture){pos, f->samples + len, c->channels, c->height, c->width};
    spec.negative = (figure_picture){neg, f->samples + 2 * len, c->channels, c->height, c->width};
    const char *bad = figure_labels_png(o->out, &spec, why);
    free(pats);
    if (bad) return snprintf(err, FFCNN_ERR_LEN, "%s", why), FFCNN_EIO;
    return FFCNN_OK;
}

/* The label configuration: the model's, or the defaults with the flags. */
static int label_config(ffcnn_config *c, const cli_opts *o, char *err) {
    *c = o->cfg;
    if (!o->model) return FFCNN_OK;
    ffcnn_net *net = NULL;
    const int rc = ffcnn_load(&net, o->model, 1, err);
    if (rc) return rc;
    *c = *ffcnn_net_config(net);
    ffcnn_net_free(net);
    if (c->algo == FFCNN_ALGO_BP) {
        snprintf(err, FFCNN_ERR_LEN, "--model %s: a backprop-trained model has no labels",
                 o->model);
        return FFCNN_EINVAL;
    }
    if (c->ff_loss == FFCNN_FF_LOSS_CWC) { /* plain images: docs/method.md §13 */
        snprintf(err, FFCNN_ERR_LEN,
                 "--model %s: a cwc model (--ff-loss cwc) has no labels: it reads plain images",
                 o->model);
        return FFCNN_EINVAL;
    }
    return FFCNN_OK;
}

/* Without --model, the data's classes, and as train chooses, the Fourier set of the K lowest
 * modes for other than 10 classes unless --label-set was given. */
static void classes_from_data(ffcnn_config *c, const cli_opts *o, const cli_classes *cl) {
    c->classes = cl->n;
    if (!o->label_set_given && cl->n != FFCNN_CLASSES &&
        (c->label_kind == FFCNN_LABEL_FOURIER1 || c->label_kind == FFCNN_LABEL_FOURIER2))
        c->label_kind = FFCNN_LABEL_FOURIER_AUTO;
}

int cmd_labels(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_LABELS, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_LABELS, USAGE), 0;
    if (o.model && o.config_flag) {
        snprintf(err, FFCNN_ERR_LEN, "%s: the labels are the model's with --model", o.config_flag);
        return fail(err, FFCNN_EINVAL);
    }
    ffcnn_config c;
    ffcnn_dataset ds = {0};
    label_figure f = {0};
    if ((rc = label_config(&c, &o, err))) return fail(err, rc);
    if (!o.model && cli_data_is_folder(o.data_name)) /* a folder's images take --image-size */
        c.channels = o.image_c, c.height = o.image_h, c.width = o.image_w;
    cli_classes *classes = calloc(1, sizeof *classes);
    rc = classes ? cli_load_split(&o, o.split, c.channels, c.height, c.width, &ds, classes, err)
                 : (snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM);
    if (!rc && !o.model) { /* without a model, the labels take the data's shape and classes */
        c.channels = ds.channels, c.height = ds.height, c.width = ds.width;
        classes_from_data(&c, &o, classes);
    }
    free(classes);
    const int index = o.index < 0 ? 0 : o.index;
    if (!rc && index >= ds.n)
        rc = FFCNN_EINVAL,
        snprintf(err, FFCNN_ERR_LEN, "--index: %d is past the last image (%d)", index, ds.n - 1);
    if (!rc && (ds.channels != c.channels || ds.height != c.height || ds.width != c.width))
        rc = FFCNN_EINVAL,
        snprintf(err, FFCNN_ERR_LEN, "--data %s: images are %dx%dx%d but the labels are %dx%dx%d",
                 o.data_name, ds.channels, ds.height, ds.width, c.channels, c.height, c.width);
    if (!rc) rc = make_pictures(&f, &c, &ds, index, err);
    if (!rc) rc = draw(&f, &c, &o, err);
    if (!rc) printf("labels written to %s\n", o.out);
    free(f.patterns), free(f.samples);
    ffcnn_dataset_free(&ds);
    return rc ? fail(err, rc) : 0;
}
