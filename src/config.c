/* The one place that owns the presets, the layer-list syntax and the limits of every setting. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffcnn.h"
#include "network.h"
#include "util.h"

/* docs/method.md §3-§5: the paper's best network and schedule. */
/* The layer list net[0..n). */
static void set_layers(ffcnn_config *c, const ffcnn_layer_spec *net, int n) {
    c->n_layers = n;
    memcpy(c->layer, net, sizeof *net * (size_t)n);
}

static void uniform_stack(ffcnn_config *c, int layers, int filters, int kernel) {
    c->n_layers = layers;
    for (int i = 0; i < layers; i++)
        c->layer[i] = (ffcnn_layer_spec){FFCNN_LAYER_CONV, filters, kernel};
}

static void paper_preset(ffcnn_config *c) {
    uniform_stack(c, 3, 128, 7);
    c->classes = FFCNN_CLASSES;
    c->channels = 1;
    c->height = 28;
    c->width = 28;
    c->label_kind = FFCNN_LABEL_FOURIER1;
    c->label_k = 0.35f;
    c->train_from = 2;
    c->batch = 50;
    c->epochs = 200;
    c->lr = 5e-5f;
    c->seed = 1;
}

/* The paper's method with a network and schedule sized to train and evaluate on MNIST in
 * 10 minutes on 2 cores (README, "Default preset"): narrower layers, 12 epochs, a 20x higher
 * rate for the FF layers, and a 10x lower one for the linear head (which reads detached
 * features, so its rate changes nothing in FF training). Chosen on validation accuracy among
 * the runs listed in the README. */
static void default_preset(ffcnn_config *c) {
    paper_preset(c);
    uniform_stack(c, 3, 16, 5);
    c->epochs = 12;
    c->lr = 1e-3f;
    c->classifier_lr = 1e-4f;
}

/* The best FF recipe found for 32x32 colour images (docs/datasets.md, "CIFAR-10"): growing
 * widths with pooling, morphological labels (docs/method.md §6), and the first layer trained
 * too (a 3-epoch pilot on 15,000 images: 40.7 % against 35.0 % from layer 2). 20 epochs fit
 * two hours here with a second run beside it. */
static void cifar10_preset(ffcnn_config *c) {
    default_preset(c);
    static const ffcnn_layer_spec net[] = {{FFCNN_LAYER_CONV, 32, 5},
                                           {FFCNN_LAYER_MAXPOOL, 0, 2},
                                           {FFCNN_LAYER_CONV, 64, 5},
                                           {FFCNN_LAYER_MAXPOOL, 0, 2},
                                           {FFCNN_LAYER_CONV, 128, 3}};
    set_layers(c, net, (int)(sizeof net / sizeof net[0]));
    c->channels = 3;
    c->height = 32;
    c->width = 32;
    c->label_kind = FFCNN_LABEL_MORPH;
    c->train_from = 1;
    c->epochs = 20;
}

/* The paper's accuracy in minutes, not days (docs/reproduction.md, "The fast preset"): the
 * channel-wise competitive objective (--ff-loss cwc, docs/method.md §13) on the mean goodness
 * at temperature 0.25, so no label is written on the image and one pass per image trains and
 * scores; growing widths with 2x2 pooling (each width a multiple of the 10 classes), every layer
 * trained, random shifts of up to 2 pixels, Adam 1e-3 with the paper's cool-down, 30 epochs:
 * about 11 minutes of training on one core. Chosen on the validation split by 4- and 16-epoch
 * pilots and two 30-epoch runs (with and without the shifts); scored with --score-from 2. */
static void fast_preset(ffcnn_config *c) {
    default_preset(c);
    static const ffcnn_layer_spec net[] = {{FFCNN_LAYER_CONV, 20, 5},
                                           {FFCNN_LAYER_MAXPOOL, 0, 2},
                                           {FFCNN_LAYER_CONV, 40, 5},
                                           {FFCNN_LAYER_MAXPOOL, 0, 2},
                                           {FFCNN_LAYER_CONV, 80, 3}};
    set_layers(c, net, (int)(sizeof net / sizeof net[0]));
    c->train_from = 1;
    c->epochs = 30;
    c->ff_loss = FFCNN_FF_LOSS_CWC;
    c->goodness = FFCNN_GOODNESS_MEAN;
    c->ff_temperature = 0.25f;
    c->augment_pad = 2;
}

void ffcnn_config_default(ffcnn_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    default_preset(cfg);
}

int ffcnn_config_preset(ffcnn_config *cfg, const char *name, char *err) {
    memset(cfg, 0, sizeof *cfg);
    if (strcmp(name, "default") == 0) {
        default_preset(cfg);
    } else if (strcmp(name, "paper") == 0) {
        paper_preset(cfg);
    } else if (strcmp(name, "fast") == 0) {
        fast_preset(cfg);
    } else if (strcmp(name, "cifar10") == 0) {
        cifar10_preset(cfg);
    } else if (strcmp(name, "tiny") == 0) { /* smoke tests: seconds, not minutes */
        default_preset(cfg);
        uniform_stack(cfg, 2, 8, 3);
        cfg->epochs = 1;
    } else {
        return ff_fail(err, FFCNN_EINVAL,
                       "--preset: unknown preset '%s' (default, paper, fast, cifar10, tiny)", name);
    }
    return FFCNN_OK;
}

int ffcnn_config_conv_layers(const ffcnn_config *c) {
    int n = 0;
    for (int i = 0; i < c->n_layers && i < FFCNN_MAX_LAYERS; i++)
        n += c->layer[i].kind == FFCNN_LAYER_CONV;
    return n;
}

int ffcnn_config_set_uniform(ffcnn_config *c, int layers, int filters, int kernel, char *err) {
    if (layers < 1 || layers > FFCNN_MAX_LAYERS)
        return ff_fail(err, FFCNN_EINVAL, "--layers: %d is out of range 1..%d", layers,
                       FFCNN_MAX_LAYERS);
    if (filters < 1 || filters > 4096)
        return ff_fail(err, FFCNN_EINVAL, "--filters: %d is out of range 1..4096", filters);
    if (kernel < 1 || kernel > 31 || kernel % 2 == 0)
        return ff_fail(err, FFCNN_EINVAL,
                       "--kernel: %d must be odd and in 1..31 ('same' padding is symmetric)",
                       kernel);
    memset(c->layer, 0, sizeof c->layer);
    uniform_stack(c, layers, filters, kernel);
    return FFCNN_OK;
}

/* One entry: "c<filters>k<kernel>" or "p<size>". */
static int parse_entry(const char *tok, size_t len, ffcnn_layer_spec *spec, char *err) {
    char buf[32];
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, tok, len);
    buf[len] = '\0';
    char *end = NULL;
    long a = 0, b = 0;
    if (buf[0] == 'c' && isdigit((unsigned char)buf[1])) {
        a = strtol(buf + 1, &end, 10);
        if (*end == 'k' && isdigit((unsigned char)end[1])) b = strtol(end + 1, &end, 10);
        if (*end == '\0' && b > 0) {
            *spec = (ffcnn_layer_spec){FFCNN_LAYER_CONV, (int32_t)(a < 100000 ? a : 100000),
                                       (int32_t)(b < 1000 ? b : 1000)};
            return FFCNN_OK;
        }
    } else if (buf[0] == 'p' && isdigit((unsigned char)buf[1])) {
        a = strtol(buf + 1, &end, 10);
        if (*end == '\0') {
            *spec = (ffcnn_layer_spec){FFCNN_LAYER_MAXPOOL, 0, (int32_t)(a < 1000 ? a : 1000)};
            return FFCNN_OK;
        }
    }
    return ff_fail(err, FFCNN_EINVAL,
                   "--net: '%s' is not a layer (cFkK: a conv layer of F filters K x K, e.g. "
                   "c32k7; pS: S x S max pooling, e.g. p2)",
                   buf);
}

int ffcnn_config_parse_net(ffcnn_config *c, const char *text, char *err) {
    ffcnn_config parsed = *c;
    memset(parsed.layer, 0, sizeof parsed.layer);
    parsed.n_layers = 0;
    const char *p = text;
    while (*p) {
        if (*p == '#') { /* a comment, to the end of the line */
            p += strcspn(p, "\n");
            continue;
        }
        if (isspace((unsigned char)*p) || *p == ',') {
            p++;
            continue;
        }
        const size_t len = strcspn(p, " \t\r\n,#");
        if (parsed.n_layers == FFCNN_MAX_LAYERS)
            return ff_fail(err, FFCNN_EINVAL, "--net: more than %d layers", FFCNN_MAX_LAYERS);
        int rc = parse_entry(p, len, &parsed.layer[parsed.n_layers++], err);
        if (rc) return rc;
        p += len;
    }
    if (parsed.n_layers == 0) return ff_fail(err, FFCNN_EINVAL, "--net: no layers");
    *c = parsed;
    return FFCNN_OK;
}

void ffcnn_config_format_net(const ffcnn_config *c, char *buf, size_t len) {
    size_t off = 0;
    if (len) buf[0] = '\0';
    for (int i = 0; i < c->n_layers && i < FFCNN_MAX_LAYERS && off < len; i++) {
        const ffcnn_layer_spec *s = &c->layer[i];
        const char *sep = i ? " " : "";
        int k = s->kind == FFCNN_LAYER_CONV
                    ? snprintf(buf + off, len - off, "%sc%dk%d", sep, s->filters, s->size)
                    : snprintf(buf + off, len - off, "%sp%d", sep, s->size);
        if (k < 0) return;
        off += (size_t)k;
    }
}

/* Every layer's own limits, and the shapes they make (docs/method.md §3). */
static int validate_layers(const ffcnn_config *c, char *err) {
    if (c->n_layers < 1 || c->n_layers > FFCNN_MAX_LAYERS)
        return ff_fail(err, FFCNN_EINVAL, "--net: %d layers is out of range 1..%d", c->n_layers,
                       FFCNN_MAX_LAYERS);
    if (c->layer[0].kind != FFCNN_LAYER_CONV)
        return ff_fail(err, FFCNN_EINVAL, "--net: the first layer must be a conv layer (cFkK)");
    for (int i = 0; i + 1 < c->n_layers; i++)
        if (c->layer[i].kind == FFCNN_LAYER_MAXPOOL && c->layer[i + 1].kind == FFCNN_LAYER_MAXPOOL)
            return ff_fail(err, FFCNN_EINVAL, "layer %d: two pooling steps in a row", i + 2);
    ff_dims dims[FFCNN_MAX_LAYERS]; /* each kind checks its own limits (layers/) */
    return ff_net_dims(c, dims, err);
}

/* --ff-loss cwc (docs/method.md §13): every trained conv layer's channels split into one group
 * per class; no negatives; FF only. */
static int validate_cwc(const ffcnn_config *c, char *err) {
    if (c->algo == FFCNN_ALGO_BP)
        return ff_fail(err, FFCNN_EINVAL,
                       "--ff-loss cwc: a backprop network has no goodness objective (--algo ff)");
    if (c->negatives != FFCNN_NEGATIVES_RANDOM)
        return ff_fail(
            err, FFCNN_EINVAL,
            "--negatives: hard has no meaning with --ff-loss cwc, which has no negatives");
    for (int i = 0, j = 0; i < c->n_layers; i++) {
        if (c->layer[i].kind != FFCNN_LAYER_CONV || j++ < c->train_from - 1) continue;
        if (c->layer[i].filters % c->classes)
            return ff_fail(err, FFCNN_EINVAL,
                           "--ff-loss cwc: conv layer %d has %d filters, not a multiple of the %d "
                           "classes",
                           j, c->layer[i].filters, c->classes);
    }
    return FFCNN_OK;
}

static int validate_variants(const ffcnn_config *c, char *err) {
    if (c->ff_loss < FFCNN_FF_LOSS_BCE || c->ff_loss > FFCNN_FF_LOSS_CWC)
        return ff_fail(err, FFCNN_EINVAL,
                       "--ff-loss: %d is not bce (0), symba (1), ce (2) or cwc (3)", c->ff_loss);
    if (c->goodness != FFCNN_GOODNESS_SUM && c->goodness != FFCNN_GOODNESS_MEAN)
        return ff_fail(err, FFCNN_EINVAL, "--goodness: %d is not sum (0) or mean (1)", c->goodness);
    if (!(c->ff_temperature == 0.0f || (c->ff_temperature >= 1e-6f && c->ff_temperature <= 1e6f)))
        return ff_fail(err, FFCNN_EINVAL, "--ff-temperature: %g is out of range 1e-6..1e6",
                       (double)c->ff_temperature);
    if (c->negatives != FFCNN_NEGATIVES_RANDOM && c->negatives != FFCNN_NEGATIVES_HARD)
        return ff_fail(err, FFCNN_EINVAL, "--negatives: %d is not random (0) or hard (1)",
                       c->negatives);
    if (c->ff_loss == FFCNN_FF_LOSS_CE && c->negatives != FFCNN_NEGATIVES_RANDOM)
        return ff_fail(err, FFCNN_EINVAL,
                       "--negatives: hard has no meaning with --ff-loss ce, which scores every "
                       "label");
    return c->ff_loss == FFCNN_FF_LOSS_CWC ? validate_cwc(c, err) : FFCNN_OK;
}

int ffcnn_config_validate(const ffcnn_config *c, char *err) {
    if (c->channels < 1 || c->channels > 64 || c->height < 1 || c->height > 4096 || c->width < 1 ||
        c->width > 4096)
        return ff_fail(err, FFCNN_EINVAL, "image shape %dx%dx%d is out of range", c->channels,
                       c->height, c->width);
    int rc = validate_layers(c, err);
    if (rc) return rc;
    if (c->classes < 2 || c->classes > FFCNN_MAX_CLASSES)
        return ff_fail(err, FFCNN_EINVAL, "classes: %d is out of range 2..%d", c->classes,
                       FFCNN_MAX_CLASSES);
    if ((rc = ff_labels_check(c->label_kind, c->classes, c->channels, c->height, c->width, err)))
        return rc;
    if (!(c->label_k > 0.0f && c->label_k < 1.0f))
        return ff_fail(err, FFCNN_EINVAL, "--label-k: %g must be in (0, 1)", (double)c->label_k);
    if (c->train_from < 1 || c->train_from > ffcnn_config_conv_layers(c))
        return ff_fail(err, FFCNN_EINVAL,
                       "--train-from: %d must be in 1..%d (the number of conv layers)",
                       c->train_from, ffcnn_config_conv_layers(c));
    if (c->batch < 1 || c->batch > 65536)
        return ff_fail(err, FFCNN_EINVAL, "--batch: %d is out of range 1..65536", c->batch);
    if (c->epochs < 0 || c->epochs > 1000000)
        return ff_fail(err, FFCNN_EINVAL, "--epochs: %d is out of range 0..1000000", c->epochs);
    if (!(c->lr > 0.0f) || !isfinite(c->lr))
        return ff_fail(err, FFCNN_EINVAL, "--lr: %g must be a positive finite number",
                       (double)c->lr);
    if (!(c->classifier_lr >= 0.0f) || !isfinite(c->classifier_lr))
        return ff_fail(err, FFCNN_EINVAL, "--classifier-lr: %g must be a finite number >= 0",
                       (double)c->classifier_lr);
    if (c->algo != FFCNN_ALGO_FF && c->algo != FFCNN_ALGO_BP)
        return ff_fail(err, FFCNN_EINVAL, "--algo: %d is not ff (0) or bp (1)", c->algo);
    if (c->augment_pad < 0 || c->augment_pad > FFCNN_MAX_AUGMENT_PAD)
        return ff_fail(err, FFCNN_EINVAL, "--augment: shift %d is out of range 0..%d",
                       c->augment_pad, FFCNN_MAX_AUGMENT_PAD);
    if (c->augment_flip != 0 && c->augment_flip != 1)
        return ff_fail(err, FFCNN_EINVAL, "--augment: flip %d is not 0 or 1", c->augment_flip);
    return validate_variants(c, err);
}

/* "shift" or "shift-flip", then nothing (the default P) or ":P" with P in 1..max. */
static int parse_shift(const char *text, const char *p, int32_t *pad, char *err) {
    if (*p == '\0') return *pad = FFCNN_DEFAULT_AUGMENT_PAD, FFCNN_OK;
    char *end = NULL;
    const long v = *p == ':' && p[1] >= '0' && p[1] <= '9' ? strtol(p + 1, &end, 10) : -1;
    if (v >= 1 && v <= FFCNN_MAX_AUGMENT_PAD && end && *end == '\0')
        return *pad = (int32_t)v, FFCNN_OK;
    return ff_fail(err, FFCNN_EINVAL,
                   "--augment: '%.200s' needs a shift P of 1..%d pixels after the colon (e.g. "
                   "shift-flip:%d)",
                   text, FFCNN_MAX_AUGMENT_PAD, FFCNN_DEFAULT_AUGMENT_PAD);
}

int ffcnn_augment_parse(ffcnn_config *c, const char *text, char *err) {
    const int flip = !strncmp(text, "shift-flip", 10) || !strcmp(text, "flip");
    const char *rest = !strncmp(text, "shift-flip", 10) ? text + 10
                       : !strncmp(text, "shift", 5)     ? text + 5
                                                        : NULL;
    int32_t pad = 0;
    if (rest && (*rest == '\0' || *rest == ':')) {
        const int rc = parse_shift(text, rest, &pad, err);
        if (rc) return rc;
    } else if (strcmp(text, "none") && strcmp(text, "flip")) {
        return ff_fail(err, FFCNN_EINVAL,
                       "--augment: '%.200s' is not none, shift[:P], shift-flip[:P] or flip", text);
    }
    c->augment_pad = pad, c->augment_flip = flip;
    return FFCNN_OK;
}

void ffcnn_augment_format(const ffcnn_config *c, char *buf, size_t len) {
    if (c->augment_pad > 0)
        snprintf(buf, len, "%s:%d", c->augment_flip ? "shift-flip" : "shift", c->augment_pad);
    else
        snprintf(buf, len, "%s", c->augment_flip ? "flip" : "none");
}

const char *ffcnn_algo_name(int algo) {
    return algo == FFCNN_ALGO_BP ? "bp" : algo == FFCNN_ALGO_FF ? "ff" : "unknown";
}

int ffcnn_algo_parse(const char *name, int *algo, char *err) {
    if (strcmp(name, "ff") == 0) return *algo = FFCNN_ALGO_FF, FFCNN_OK;
    if (strcmp(name, "bp") == 0) return *algo = FFCNN_ALGO_BP, FFCNN_OK;
    return ff_fail(err, FFCNN_EINVAL, "--algo: '%s' is not ff or bp", name);
}

static const char *const FF_LOSS_NAMES[] = {"bce", "symba", "ce", "cwc"};
static const char *const GOODNESS_NAMES[] = {"sum", "mean"};
static const char *const NEGATIVES_NAMES[] = {"random", "hard"};

static const char *name_of(const char *const *names, int n, int v) {
    return v >= 0 && v < n ? names[v] : "unknown";
}

static int parse_name(const char *const *names, int n, const char *flag, const char *name,
                      int32_t *v, char *err) {
    char known[64] = "";
    for (int i = 0; i < n; i++) {
        if (strcmp(name, names[i]) == 0) return *v = i, FFCNN_OK;
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", sep, names[i]);
    }
    return ff_fail(err, FFCNN_EINVAL, "%s: '%.100s' is not %s", flag, name, known);
}

const char *ffcnn_ff_loss_name(int v) {
    return name_of(FF_LOSS_NAMES, 4, v);
}
const char *ffcnn_goodness_name(int v) {
    return name_of(GOODNESS_NAMES, 2, v);
}
const char *ffcnn_negatives_name(int v) {
    return name_of(NEGATIVES_NAMES, 2, v);
}
int ffcnn_ff_loss_parse(const char *name, int32_t *v, char *err) {
    return parse_name(FF_LOSS_NAMES, 4, "--ff-loss", name, v, err);
}
int ffcnn_goodness_parse(const char *name, int32_t *v, char *err) {
    return parse_name(GOODNESS_NAMES, 2, "--goodness", name, v, err);
}
int ffcnn_negatives_parse(const char *name, int32_t *v, char *err) {
    return parse_name(NEGATIVES_NAMES, 2, "--negatives", name, v, err);
}

int ffcnn_config_is_paper_objective(const ffcnn_config *c) {
    return c->ff_loss == FFCNN_FF_LOSS_BCE && c->goodness == FFCNN_GOODNESS_SUM &&
           (c->ff_temperature == 0.0f || c->ff_temperature == 1.0f) &&
           c->negatives == FFCNN_NEGATIVES_RANDOM;
}

float ffcnn_lr_at_epoch(const ffcnn_config *c, int e) {
    const int E = c->epochs;
    /* docs/method.md §5: constant, then for e > E/2 lr * 2 (1 + E - e) / E, which falls linearly
     * to 4 lr / E in the last epoch (e = E - 1). Capped at lr so odd E never raises it. */
    if (2 * e <= E) return c->lr;
    double f = 2.0 * (1.0 + E - e) / E;
    return (float)(c->lr * (f < 1.0 ? f : 1.0));
}
