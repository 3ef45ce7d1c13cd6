#include "options.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"

int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1024 ? (int)n : 1;
}

/* ---- the flags ---- */

enum flag_id {
    F_PRESET,
    F_ALGO,
    F_NET,
    F_LAYERS,
    F_FILTERS,
    F_KERNEL,
    F_LABEL_SET,
    F_LABEL_K,
    F_TRAIN_FROM,
    F_BATCH,
    F_EPOCHS,
    F_LR,
    F_CLASSIFIER_LR,
    F_SEED,
    F_AUGMENT,
    F_FF_LOSS,
    F_GOODNESS,
    F_FF_TEMPERATURE,
    F_NEGATIVES,
    F_MODEL,
    F_DATA,
    F_SPLIT,
    F_MODE,
    F_EVAL_LIMIT,
    F_TRAIN_LIMIT,
    F_VAL_LIMIT,
    F_FINAL_EVAL,
    F_THREADS,
    F_CHUNK,
    F_SCORE_FROM,
    F_CONV,
    F_STEPS,
    F_WARMUP,
    F_INFER_IMAGES,
    F_OUT,
    F_CHECKPOINT_EVERY,
    F_EVAL_TEST_EVERY,
    F_RESUME,
    F_DIST,
    F_X,
    F_PANELS,
    F_TITLE,
    F_WIDTH,
    F_HEIGHT,
    F_INDEX,
    F_VAL_SPLIT,
    F_IMAGE_SIZE,
    F_INVERT,
    F_FIT,
    F_CLASS,
    F_ALL_CLASSES,
    F_SAVE_INPUT,
    F_CONFUSION_PNG,
    F_DIR,
    F_PLOT,
    F_METRIC,
    F_DRY_RUN,
    F_JSON,
    F_HELP,
    F_COUNT
};

/* How a flag's value is read: a number into a cli_opts field (range lo..hi), or by the flag's
 * own case in apply_flag (V_TEXT); a switch takes no value. */
enum value_kind { V_SWITCH, V_TEXT, V_INT, V_FLOAT, V_U64 };

typedef struct flag_def {
    int id;
    const char *name;  /* "--filters" */
    const char *value; /* the value's placeholder in --help; NULL for a switch */
    unsigned cmds;     /* enum cli_command bits: the commands that accept it */
    int config;        /* sets the network or its schedule: refused with --resume */
    int kind;          /* enum value_kind */
    double lo, hi;     /* V_INT, V_FLOAT: the accepted range */
    size_t offset;     /* V_INT, V_FLOAT, V_U64: the field of cli_opts */
    const char *help;  /* '\n' continues on the next line; the default is added at the end */
} flag_def;

#define NET (CMD_TRAIN | CMD_BENCH)
#define RUN (CMD_TRAIN | CMD_BENCH | CMD_EVAL | CMD_PREDICT | CMD_CAM)
#define ALL (CMD_TRAIN | CMD_BENCH | CMD_EVAL | CMD_INFO | CMD_PREDICT | CMD_CAM)
#define PICTURE (CMD_PREDICT | CMD_CAM) /* commands that read the user's images */
#define EVERY (ALL | CMD_PLOT | CMD_LABELS)
#define NUM(kind, lo, hi, field) kind, lo, hi, offsetof(cli_opts, field)
#define TEXT V_TEXT, 0, 0, 0
#define SWITCH V_SWITCH, 0, 0, 0

/* Every flag of every command, in the order of --help. */
static const flag_def FLAGS[] = {
    {F_MODEL, "--model", "FILE", CMD_EVAL | CMD_INFO | PICTURE, 0, TEXT,
     "model file written by ffcnn train (required)"},
    {F_MODEL, "--model", "FILE", CMD_LABELS, 0, TEXT,
     "take the label set, K and image shape from this model"},
    {F_PRESET, "--preset", "NAME", NET, 1, TEXT,
     "default (the default) | paper | fast (MNIST: the\n"
     "channel-wise competitive objective, c20k5 p2 c40k5 p2\n"
     "c80k3, shifts of 2 px, 30 epochs; score it with\n"
     "--score-from 2; docs/reproduction.md) | cifar10 (the\n"
     "best FF recipe found for 32x32 colour images; give\n"
     "--data) | tiny; applied first, other flags override it"},
    {F_ALGO, "--algo", "A", NET, 1, TEXT,
     "ff (Forward-Forward) | bp (the backprop baseline: the\n"
     "same layers and head, no label in the input, trained\n"
     "end to end at --lr; docs/method.md §12)"},
    {F_NET, "--net", "SPEC", NET, 1, TEXT,
     "the layer list, e.g. \"c32k7 c64k7 p2 c128k7\": cFkK a conv\n"
     "layer of F filters KxK (K odd), pS SxS max pooling\n"
     "(stride S); entries separated by spaces or commas, '#'\n"
     "starts a comment to the end of the line; @FILE reads\n"
     "the list from a file"},
    {F_LAYERS, "--layers", "N", NET, 1, NUM(V_INT, 1, FFCNN_MAX_LAYERS, layers),
     "uniform stack (shorthand for --net): N conv layers"},
    {F_FILTERS, "--filters", "C", NET, 1, NUM(V_INT, 1, 4096, filters), "filters per conv layer"},
    {F_KERNEL, "--kernel", "K", NET, 1, NUM(V_INT, 1, 31, kernel),
     "odd kernel size of every conv layer"},
    {F_LABEL_SET, "--label-set", "S", NET | CMD_LABELS, 1, TEXT,
     "1 | 2 (the paper's Fourier sets, 10 classes) | fourier\n"
     "(the K lowest Fourier modes, any class count K; the\n"
     "default for data of other than 10 classes) | onehot\n"
     "(Hinton's baseline) | morph (a dilation or erosion of\n"
     "the image by a line of the class's angle and length)"},
    {F_LABEL_K, "--label-k", "K", NET | CMD_LABELS, 1, NUM(V_FLOAT, 1e-6, 0.999999, cfg.label_k),
     "label intensity in (0,1)"},
    {F_TRAIN_FROM, "--train-from", "L", NET, 1, NUM(V_INT, 1, FFCNN_MAX_LAYERS, cfg.train_from),
     "first trained conv layer, 1-based (those before it\nkeep their random init)"},
    {F_BATCH, "--batch", "B", NET, 1, NUM(V_INT, 1, 65536, cfg.batch),
     "positives per batch (as many negatives go with them)"},
    {F_EPOCHS, "--epochs", "E", CMD_TRAIN, 1, NUM(V_INT, 0, 1000000, cfg.epochs), "epochs"},
    {F_LR, "--lr", "X", NET, 1, NUM(V_FLOAT, 1e-12, 1e30, cfg.lr),
     "Adam learning rate (linear cool-down in the second half)"},
    {F_CLASSIFIER_LR, "--classifier-lr", "X", NET, 1, NUM(V_FLOAT, 0, 1e30, cfg.classifier_lr),
     "the linear head's rate (0: --lr's, the paper's choice)"},
    {F_SEED, "--seed", "S", NET, 1, NUM(V_U64, 0, 0, cfg.seed),
     "seed of the init, the shuffling and the negative labels"},
    {F_AUGMENT, "--augment", "A", NET, 1, TEXT,
     "training images: none | shift[:P] (padded by P zero\n"
     "pixels, a random window of the image's size cut out:\n"
     "shifts of -P..P, P 1..8, 4 if not given) | flip\n"
     "(mirrored left-right half the time) | shift-flip[:P]\n"
     "(both); evaluation never augments"},
    {F_FF_LOSS, "--ff-loss", "L", NET, 1, TEXT,
     "FF: bce (the paper's: each sample's logit against\n"
     "its target) | symba (softplus(-(l+ - l-)) on each\n"
     "image's positive and negative: ranks the true label\n"
     "first, no threshold) | ce (every label written on\n"
     "the image, cross-entropy over their goodness: trains\n"
     "what goodness inference ranks; K+1 copies an image) |\n"
     "cwc (no label: each layer's filters in one group per\n"
     "class, cross-entropy over the groups' goodness; one\n"
     "copy an image; filters a multiple of the classes);\n"
     "docs/method.md §13"},
    {F_GOODNESS, "--goodness", "G", NET, 1, TEXT,
     "FF: sum (the paper's: G = sum of squares, theta = N)\n"
     "| mean (G / N, theta = 1: logits N times smaller);\n"
     "goodness inference sums the same per layer"},
    {F_FF_TEMPERATURE, "--ff-temperature", "T", NET, 1, NUM(V_FLOAT, 1e-6, 1e6, cfg.ff_temperature),
     "FF: the logit is (G - theta) / T (the paper's: 1)"},
    {F_NEGATIVES, "--negatives", "N", NET, 1, TEXT,
     "FF: random (the paper's: a wrong label drawn\n"
     "uniformly) | hard (drawn from the linear head's\n"
     "softmax over the wrong labels, on the neutral image)"},
    {F_DATA, "--data", "SET[:DIR]", CMD_TRAIN | CMD_EVAL | PICTURE | CMD_LABELS, 0, TEXT,
     "mnist (from data/mnist or $FFCNN_DATA/mnist) | fashion |\n"
     "cifar10 | cifar100 | cifar100-coarse (the binary\n"
     "batches, from data/NAME) | cifar10-jpeg (the JPEG copy\n"
     "in data/cifar10-jpeg/train) | folder:DIR (a sub-folder\n"
     "of images per class); from DIR when given"},
    {F_SPLIT, "--split", "S", CMD_EVAL | PICTURE | CMD_LABELS, 0, TEXT,
     "val | test | all (folder and CIFAR data: every\ntraining image)"},
    {F_VAL_SPLIT, "--val-split", "N", CMD_TRAIN | CMD_EVAL | PICTURE | CMD_LABELS, 0,
     NUM(V_INT, 1, 1 << 30, val_split),
     "CIFAR and folder data: images held out for validation,\n"
     "stratified by class, always the same ones (default\n"
     "5000 for CIFAR, a tenth of a folder)"},
    {F_IMAGE_SIZE, "--image-size", "CxHxW", CMD_TRAIN | CMD_LABELS, 0, TEXT,
     "folder data: the size every image is brought to"},
    {F_INDEX, "--index", "I", PICTURE | CMD_LABELS, 0, NUM(V_INT, 0, 1 << 30, index),
     "image I (0-based) of --data's --split instead of files"},
    {F_MODE, "--mode", "M", CMD_EVAL, 0, TEXT, "goodness | linear | both"},
    {F_MODE, "--mode", "M", CMD_PREDICT, 0, TEXT,
     "goodness (per label, the layers' goodness summed; each layer's\n"
     "mean if the model was trained with --goodness mean) |\n"
     "linear (the head's softmax probabilities)"},
    {F_EVAL_LIMIT, "--eval-limit", "N", CMD_EVAL, 0, NUM(V_INT, 1, 1 << 30, eval_limit),
     "evaluate only the first N images"},
    {F_TRAIN_LIMIT, "--train-limit", "N", CMD_TRAIN, 0, NUM(V_INT, 1, 1 << 30, train_limit),
     "use only the first N training images"},
    {F_VAL_LIMIT, "--val-limit", "N", CMD_TRAIN, 0, NUM(V_INT, 0, 1 << 30, val_limit),
     "use only the first N validation images (0: none)"},
    {F_FINAL_EVAL, "--final-eval", "MODE", CMD_TRAIN, 0, TEXT,
     "goodness | linear | both | none: evaluation on the\nvalidation set at the end"},
    {F_THREADS, "--threads", "T", RUN, 0, NUM(V_INT, 1, 1024, threads), "worker threads"},
    {F_CHUNK, "--chunk", "N", NET, 0, NUM(V_INT, 1, 65536, chunk),
     "FF: a batch is taken in chunks of at most N images\n"
     "whose gradients add up, so memory follows N, not the\n"
     "batch (a larger batch changes only float rounding)"},
    {F_SCORE_FROM, "--score-from", "L", CMD_TRAIN | CMD_EVAL | CMD_PREDICT, 0,
     NUM(V_INT, 1, FFCNN_MAX_LAYERS, score_from),
     "goodness inference sums conv layers L.. only (the\n"
     "paper's rule for a model trained from layer 1 is 2)"},
    {F_CONV, "--conv", "PATH", RUN, 0, TEXT,
     "auto (time both paths on each conv layer, keep the\n"
     "faster) | im2col | fft, or one per conv layer:\nim2col,fft,fft"},
    {F_STEPS, "--steps", "N", CMD_BENCH, 0, NUM(V_INT, 1, 1000000, steps), "timed training steps"},
    {F_WARMUP, "--warmup", "W", CMD_BENCH, 0, NUM(V_INT, 0, 1000, warmup), "untimed steps first"},
    {F_INFER_IMAGES, "--infer-images", "M", CMD_BENCH, 0, NUM(V_INT, 1, 1000000, infer_images),
     "images for goodness inference"},
    {F_OUT, "--out", "FILE", CMD_TRAIN, 0, TEXT, "model file (with --resume: the resumed file)"},
    {F_CHECKPOINT_EVERY, "--checkpoint-every", "N", CMD_TRAIN, 0, TEXT,
     "save every N epochs (N or Ne) or N steps (Ns)"},
    {F_EVAL_TEST_EVERY, "--eval-test-every", "N", CMD_TRAIN, 0,
     NUM(V_INT, 0, 1000000, eval_test_every),
     "every N epochs and after the last, the test split's\n"
     "accuracy (goodness and linear) into the output and the\n"
     "metrics file, for reporting only: nothing in training\n"
     "or any choice reads it; 0: never"},
    {F_RESUME, "--resume", "FILE", CMD_TRAIN, 0, TEXT,
     "continue a run from its model file: the network and\n"
     "schedule are the file's (the flags above marked * are\n"
     "refused); the data set, --train-limit and --val-limit\n"
     "too unless given, and then they must match"},
    {F_DIST, "--dist", "MODE", CMD_TRAIN, 0, TEXT,
     "none | data (under mpirun: each process takes its part\n"
     "of every batch, gradients summed before each step: the\n"
     "same model as one process, to float rounding) | layers\n"
     "(the layer pipeline: each process trains a stage of\n"
     "the layers on the batches the one before passes on;\n"
     "bit for bit the model of one process on the same\n"
     "--conv paths); both need a build with FFCNN_MPI=ON"},
    {F_DIST, "--dist", "MODE", CMD_EVAL, 0, TEXT,
     "none | data (under mpirun: each process evaluates its\n"
     "part of the images, the counts are summed: the result\n"
     "of one process; needs a build with FFCNN_MPI=ON)"},
    /* plot: --out names the PNG there (a second row of F_OUT, with plot's own help) */
    {F_OUT, "--out", "FILE", CMD_PLOT, 0, TEXT, "the PNG file written (required)"},
    {F_X, "--x", "AXIS", CMD_PLOT, 0, TEXT,
     "time (training seconds, all runs of a resumed model\nadded up) | epoch"},
    {F_PANELS, "--panels", "P", CMD_PLOT, 0, TEXT,
     "all (loss and discrimination accuracy per layer, and\n"
     "validation accuracy) | val (validation accuracy alone)"},
    {F_METRIC, "--metric", "M", CMD_PLOT, 0, TEXT,
     "the accuracy panel's curve: val_linear (validation,\n"
     "linear head) | test_goodness | test_linear (the test\n"
     "split's, by goodness inference or the linear head, on\n"
     "the epochs of ffcnn train --eval-test-every N; for\n"
     "reporting only)"},
    {F_DIR, "--dir", "DIR", CMD_SWEEP, 0, TEXT,
     "the folder of the runs' models and logs and of\n"
     "results.csv (default: SPEC's name without its extension,\nand .runs)"},
    {F_PLOT, "--plot", "KEY", CMD_SWEEP, 0, TEXT,
     "run nothing: draw --metric against the setting KEY\n"
     "from results.csv, one line per value of the other\n"
     "settings, mean and standard deviation over seeds"},
    {F_METRIC, "--metric", "M", CMD_SWEEP, 0, TEXT,
     "with --plot: val_goodness | val_linear | test_goodness\n| test_linear"},
    {F_OUT, "--out", "FILE", CMD_SWEEP, 0, TEXT, "with --plot: the PNG file written (required)"},
    {F_DRY_RUN, "--dry-run", NULL, CMD_SWEEP, 0, SWITCH,
     "list the runs, each with its state, and run nothing"},
    {F_TITLE, "--title", "TEXT", CMD_PLOT | CMD_SWEEP, 0, TEXT, "the figure's title"},
    {F_WIDTH, "--width", "W", CMD_PLOT | CMD_SWEEP, 0, NUM(V_INT, 200, 4000, width),
     "image width in pixels (4/3 of --height when only\nthat is given)"},
    {F_HEIGHT, "--height", "H", CMD_PLOT | CMD_SWEEP, 0, NUM(V_INT, 200, 4000, height),
     "image height in pixels"},
    {F_INVERT, "--invert", "WHEN", PICTURE, 0, TEXT,
     "auto (models fitted as digits: when the image's border\n"
     "is light, dark ink on light paper; others: no) | yes |\nno"},
    {F_FIT, "--fit", "HOW", PICTURE, 0, TEXT,
     "auto (digit for MNIST models, else stretch) | digit\n"
     "(MNIST's preparation: the ink's box to 20x20, centred\n"
     "by its centre of mass) | stretch (the whole image\n"
     "resampled); an image of the model's size is taken as is"},
    {F_SAVE_INPUT, "--save-input", "FILE", CMD_PREDICT, 0, TEXT,
     "write the model's input for the first image as a PNG"},
    {F_CLASS, "--class", "C", CMD_CAM, 0, NUM(V_INT, 0, 1 << 20, cls),
     "draw the maps of class C beside the predicted one's"},
    {F_ALL_CLASSES, "--all-classes", NULL, CMD_CAM, 0, SWITCH, "draw the maps of every class"},
    {F_OUT, "--out", "FILE", CMD_CAM | CMD_LABELS, 0, TEXT, "the PNG file written (required)"},
    {F_CONFUSION_PNG, "--confusion-png", "FILE", CMD_EVAL, 0, TEXT,
     "also draw the confusion matrix as a PNG heat map\n"
     "(goodness's when evaluated, else the linear head's)"},
    {F_JSON, "--json", NULL, ALL, 0, SWITCH,
     "last line of output: one JSON object with the figures"},
    {F_HELP, "--help", NULL, EVERY, 0, SWITCH, "this help (also -h)"},
};
#define N_FLAGS (sizeof FLAGS / sizeof *FLAGS)

const char *command_name(enum cli_command cmd) {
    return cmd == CMD_TRAIN     ? "train"
           : cmd == CMD_BENCH   ? "bench"
           : cmd == CMD_EVAL    ? "eval"
           : cmd == CMD_PLOT    ? "plot"
           : cmd == CMD_PREDICT ? "predict"
           : cmd == CMD_CAM     ? "cam"
           : cmd == CMD_LABELS  ? "labels"
           : cmd == CMD_SWEEP   ? "sweep"
                                : "info";
}

static const flag_def *flag_by_id(int id) {
    for (size_t i = 0; i < N_FLAGS; i++)
        if (FLAGS[i].id == id) return &FLAGS[i];
    return NULL;
}

/* ---- values ---- */

static const char *const MODE_NAMES[] = {"none", "goodness", "linear", "both"};

int parse_mode(const char *flag, const char *text, int allow_none, int *mode, char *err) {
    for (int m = allow_none ? 0 : 1; m <= FFCNN_EVAL_BOTH; m++)
        if (!strcmp(text, MODE_NAMES[m])) return *mode = m, FFCNN_OK;
    snprintf(err, FFCNN_ERR_LEN, "%s: '%s' is not goodness, linear, both%s", flag, text,
             allow_none ? " or none" : "");
    return FFCNN_EINVAL;
}

/* The index in names[0..n) of text (in enum order: ffcnn_invert's, ffcnn_fit's with auto 0). */
static const char *const INVERT_NAMES[] = {"auto", "yes", "no"};
static const char *const FIT_NAMES[] = {"auto", "stretch", "digit"};
static int parse_choice(const char *flag, const char *text, const char *const *names, int n,
                        int *out, char *err) {
    for (int i = 0; i < n; i++)
        if (!strcmp(text, names[i])) return *out = i, FFCNN_OK;
    snprintf(err, FFCNN_ERR_LEN, "%s: '%.200s' is not %s, %s or %s", flag, text, names[0], names[1],
             names[2]);
    return FFCNN_EINVAL;
}

static int parse_label_set(const char *text, int32_t *kind, char *err) {
    if (strcmp(text, "onehot") == 0) return *kind = FFCNN_LABEL_ONEHOT, FFCNN_OK;
    if (strcmp(text, "fourier") == 0) return *kind = FFCNN_LABEL_FOURIER_AUTO, FFCNN_OK;
    if (strcmp(text, "morph") == 0) return *kind = FFCNN_LABEL_MORPH, FFCNN_OK;
    char why[FFCNN_ERR_LEN];
    const int rc = parse_int("--label-set", text, 1, 2, kind, why);
    if (rc && strstr(why, "is not an integer"))
        snprintf(err, FFCNN_ERR_LEN, "--label-set: '%.200s' is not 1, 2, fourier, onehot or morph",
                 text);
    else if (rc)
        snprintf(err, FFCNN_ERR_LEN, "%s", why);
    return rc;
}

int parse_conv(const char *text, int *paths, int *n, char *err) {
    static const char *const names[] = {"auto", "im2col", "fft"};
    *n = 0;
    for (const char *p = text;; p++) {
        const size_t len = strcspn(p, ",");
        int found = -1;
        for (int i = 0; i < 3; i++)
            if (len == strlen(names[i]) && !strncmp(p, names[i], len)) found = i;
        if (found < 0 || *n == FFCNN_MAX_LAYERS) {
            snprintf(err, FFCNN_ERR_LEN,
                     found < 0 ? "--conv: '%s' is not auto, im2col, fft or a comma-separated list "
                                 "of them, one per conv layer"
                               : "--conv: '%s' lists more paths than a network has layers",
                     text);
            return FFCNN_EINVAL;
        }
        paths[(*n)++] = found; /* FFCNN_CONV_AUTO, _IM2COL, _FFT in this order */
        p += len;
        if (!*p) return FFCNN_OK;
    }
}

/* --image-size CxHxW: channels 1 or 3, sides 1..4096. */
static int parse_image_size(const char *v, cli_opts *o, char *err) {
    int c, h, w, end = 0;
    if (sscanf(v, "%dx%dx%d%n", &c, &h, &w, &end) != 3 || v[end] || (c != 1 && c != 3) || h < 1 ||
        h > 4096 || w < 1 || w > 4096) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--image-size: '%.200s' is not CxHxW with C 1 or 3 and sides 1..4096", v);
        return FFCNN_EINVAL;
    }
    o->image_c = c, o->image_h = h, o->image_w = w;
    return FFCNN_OK;
}

/* --checkpoint-every N (epochs), Ne (epochs) or Ns (optimiser steps). */
static int parse_checkpoint_every(const char *v, cli_opts *o, char *err) {
    char num[32];
    size_t n = strlen(v);
    o->checkpoint_steps = n > 0 && v[n - 1] == 's';
    if (n > 0 && (v[n - 1] == 's' || v[n - 1] == 'e')) n--;
    if (n == 0 || n >= sizeof num) {
        snprintf(err, FFCNN_ERR_LEN, "--checkpoint-every: '%s' is not N, Ne (epochs) or Ns (steps)",
                 v);
        return FFCNN_EINVAL;
    }
    memcpy(num, v, n);
    num[n] = '\0';
    return parse_int("--checkpoint-every", num, 1, 1 << 30, &o->checkpoint_every, err);
}

/* --net @FILE: the file's text, comments blanked and line breaks made spaces (malloc'd). */
static char *read_net_file(const char *path, char *err) {
    enum { MAX = 64 * 1024 };
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, FFCNN_ERR_LEN, "--net @%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(MAX + 1);
    size_t n = text ? fread(text, 1, MAX + 1, f) : 0;
    const int bad = !text || ferror(f), saved = errno;
    fclose(f);
    if (bad || n > MAX || memchr(text, '\0', n)) {
        snprintf(err, FFCNN_ERR_LEN, "--net @%s: %s%s%s", path,
                 !text     ? "out of memory"
                 : bad     ? "cannot read ("
                 : n > MAX ? "longer than 64 KiB, not a layer list"
                           : "is not a text file",
                 text && bad ? strerror(saved) : "", text && bad ? ")" : "");
        free(text);
        return NULL;
    }
    text[n] = '\0';
    for (size_t i = 0, comment = 0; i < n; i++) {
        if (text[i] == '#') comment = 1;
        if (text[i] == '\n') comment = 0;
        if (comment || text[i] == '\n' || text[i] == '\r' || text[i] == '\t') text[i] = ' ';
    }
    return text;
}

/* --net SPEC or --net @FILE. The library's messages start with "--net: ". */
static int apply_net(cli_opts *o, const char *v, char *err) {
    char why[FFCNN_ERR_LEN];
    if (v[0] != '@') return ffcnn_config_parse_net(&o->cfg, v, err);
    char *text = read_net_file(v + 1, err);
    if (!text) return FFCNN_EINVAL;
    const int rc = ffcnn_config_parse_net(&o->cfg, text, why);
    free(text);
    if (rc)
        snprintf(err, FFCNN_ERR_LEN, "--net %.200s: %.300s", v,
                 strncmp(why, "--net: ", 7) ? why : why + 7);
    return rc;
}

/* The preset's uniform stack: its conv layers' count, and the first conv layer's size. */
static void uniform_from_list(cli_opts *o) {
    o->layers = ffcnn_config_conv_layers(&o->cfg);
    for (int i = 0; i < o->cfg.n_layers; i++)
        if (o->cfg.layer[i].kind == FFCNN_LAYER_CONV) {
            o->filters = o->cfg.layer[i].filters;
            o->kernel = o->cfg.layer[i].size;
            break;
        }
}

static void opts_init(cli_opts *o, enum cli_command cmd) {
    char err[FFCNN_ERR_LEN];
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->threads = default_threads();
    o->chunk = FFCNN_DEFAULT_CHUNK;
    parse_data("mnist", o->data_dir, sizeof o->data_dir, &o->data_name, err);
    ffcnn_config_default(&o->cfg);
    uniform_from_list(o);
    o->train_limit = o->val_limit = o->eval_limit = -1;
    o->final_mode = FFCNN_EVAL_BOTH;
    o->out = "model.ffm";
    o->checkpoint_every = 1;
    o->steps = 10;
    o->warmup = 1;
    o->infer_images = 100;
    o->split = FFCNN_SPLIT_VAL;
    o->mode = FFCNN_EVAL_BOTH;
    if (cmd & (CMD_PLOT | CMD_CAM | CMD_LABELS | CMD_SWEEP)) o->out = NULL; /* required */
    o->metric = cmd == CMD_PLOT ? "val_linear" : "val_goodness"; /* plot: val_acc_linear */
    o->index = -1;
    o->image_c = 3, o->image_h = o->image_w = 32;
    o->cls = -1;
    o->invert = FFCNN_INVERT_AUTO;
    o->title = NULL;          /* plot: after its panels */
    o->width = o->height = 0; /* plot: after its panels, 4:3 */
}

static int parse_metric(const char *v, cli_opts *o, char *err) {
    static const char *const names[] = {"val_goodness", "val_linear", "test_goodness",
                                        "test_linear"};
    /* plot: a metrics file has no val_goodness */
    for (size_t k = o->cmd == CMD_PLOT ? 1 : 0; k < sizeof names / sizeof *names; k++)
        if (!strcmp(v, names[k])) return o->metric = names[k], FFCNN_OK;
    if (o->cmd == CMD_PLOT) {
        snprintf(err, FFCNN_ERR_LEN,
                 "--metric: '%.200s' is not val_linear, test_goodness or test_linear", v);
        return FFCNN_EINVAL;
    }
    snprintf(err, FFCNN_ERR_LEN,
             "--metric: '%.200s' is not val_goodness, val_linear, test_goodness or test_linear", v);
    return FFCNN_EINVAL;
}

/* A value flag's value (V_TEXT) or number into o. */
static int apply_flag(cli_opts *o, const flag_def *f, const char *v, char *err) {
    void *field = (char *)o + f->offset;
    switch (f->kind) {
    case V_INT:
        return parse_int(f->name, v, (long)f->lo, (long)f->hi, (int32_t *)field, err);
    case V_FLOAT:
        return parse_float(f->name, v, f->lo, f->hi, (float *)field, err);
    case V_U64:
        return parse_u64(f->name, v, (uint64_t *)field, err);
    default:
        break;
    }
    switch (f->id) {
    case F_JSON:
        o->json = 1;
        return FFCNN_OK;
    case F_NET:
        return apply_net(o, v, err);
    case F_LABEL_SET:
        return parse_label_set(v, &o->cfg.label_kind, err);
    case F_ALGO:
        return ffcnn_algo_parse(v, &o->cfg.algo, err);
    case F_AUGMENT:
        return ffcnn_augment_parse(&o->cfg, v, err);
    case F_FF_LOSS:
        return ffcnn_ff_loss_parse(v, &o->cfg.ff_loss, err);
    case F_GOODNESS:
        return ffcnn_goodness_parse(v, &o->cfg.goodness, err);
    case F_NEGATIVES:
        return ffcnn_negatives_parse(v, &o->cfg.negatives, err);
    case F_MODEL:
        o->model = v;
        return FFCNN_OK;
    case F_DATA:
        return parse_data(v, o->data_dir, sizeof o->data_dir, &o->data_name, err);
    case F_SPLIT:
        if (strcmp(v, "val") && strcmp(v, "test") && (strcmp(v, "all") || o->cmd == CMD_TRAIN)) {
            snprintf(err, FFCNN_ERR_LEN, "--split: '%.200s' is not val, test or all", v);
            return FFCNN_EINVAL;
        }
        o->split = !strcmp(v, "val") ? FFCNN_SPLIT_VAL : !strcmp(v, "test") ? FFCNN_SPLIT_TEST : 3;
        return FFCNN_OK;
    case F_IMAGE_SIZE:
        return parse_image_size(v, o, err);
    case F_MODE:
        return parse_mode(f->name, v, 0, &o->mode, err);
    case F_FINAL_EVAL:
        return parse_mode(f->name, v, 1, &o->final_mode, err);
    case F_CONV:
        return parse_conv(v, o->conv, &o->conv_n, err);
    case F_OUT:
        o->out = v;
        return FFCNN_OK;
    case F_CHECKPOINT_EVERY:
        return parse_checkpoint_every(v, o, err);
    case F_RESUME:
        o->resume = v;
        return FFCNN_OK;
    case F_DIST:
        if (strcmp(v, "none") && strcmp(v, "data") && strcmp(v, "layers")) {
            snprintf(err, FFCNN_ERR_LEN, "--dist: '%.200s' is not none, data or layers", v);
            return FFCNN_EINVAL;
        }
        o->dist = !strcmp(v, "none") ? DIST_NONE : !strcmp(v, "data") ? DIST_DATA : DIST_LAYERS;
        return FFCNN_OK;
    case F_X:
        if (strcmp(v, "time") && strcmp(v, "epoch")) {
            snprintf(err, FFCNN_ERR_LEN, "--x: '%.200s' is not time or epoch", v);
            return FFCNN_EINVAL;
        }
        o->x_epoch = !strcmp(v, "epoch");
        return FFCNN_OK;
    case F_PANELS:
        if (strcmp(v, "all") && strcmp(v, "val")) {
            snprintf(err, FFCNN_ERR_LEN, "--panels: '%.200s' is not all or val", v);
            return FFCNN_EINVAL;
        }
        o->panels_val = !strcmp(v, "val");
        return FFCNN_OK;
    case F_TITLE:
        o->title = v;
        return FFCNN_OK;
    case F_INVERT:
        return parse_choice(f->name, v, INVERT_NAMES, 3, &o->invert, err);
    case F_FIT:
        return parse_choice(f->name, v, FIT_NAMES, 3, &o->fit, err);
    case F_ALL_CLASSES:
        o->all_classes = 1;
        return FFCNN_OK;
    case F_SAVE_INPUT:
        o->save_input = v;
        return FFCNN_OK;
    case F_CONFUSION_PNG:
        o->confusion_png = v;
        return FFCNN_OK;
    case F_DIR:
        o->sweep_dir = v;
        return FFCNN_OK;
    case F_PLOT:
        o->plot_key = v;
        return FFCNN_OK;
    case F_METRIC:
        return parse_metric(v, o, err);
    case F_DRY_RUN:
        o->dry_run = 1;
        return FFCNN_OK;
    default: /* --preset: applied first; --help: never reaches here */
        return FFCNN_OK;
    }
}

/* The flag at argv[*i] and its value ("--flag=value" or "--flag value"); *i moves past both.
 * FFCNN_EINVAL for an unknown flag (*def NULL), a missing value or a stray argument. plot's
 * METRICS files are positional: FFCNN_OK with *def NULL and the argument in *value. */
static int next_flag(enum cli_command cmd, int argc, char **argv, int *i, const flag_def **def,
                     const char **value, char *err) {
    const char *arg = argv[(*i)++];
    *def = NULL;
    *value = NULL;
    if (!strcmp(arg, "-h")) return *def = flag_by_id(F_HELP), FFCNN_OK;
    if (!arg[0]) {
        snprintf(err, FFCNN_ERR_LEN, "an empty argument: not a flag, nor a file name");
        return FFCNN_EINVAL;
    }
    if (arg[0] != '-' && (cmd & CMD_WITH_INPUTS)) return *value = arg, FFCNN_OK;
    if (arg[0] != '-') {
        snprintf(err, FFCNN_ERR_LEN, "%.200s: unexpected argument (see ffcnn %s --help)", arg,
                 command_name(cmd));
        return FFCNN_EINVAL;
    }
    const char *eq = strncmp(arg, "--", 2) ? NULL : strchr(arg, '=');
    const size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t k = 0; k < N_FLAGS && !*def; k++)
        if ((FLAGS[k].cmds & cmd) && strlen(FLAGS[k].name) == len &&
            !strncmp(FLAGS[k].name, arg, len))
            *def = &FLAGS[k];
    if (!*def) {
        snprintf(err, FFCNN_ERR_LEN, "%.*s: unknown option for %s (see ffcnn %s --help)",
                 (int)(len < 200 ? len : 200), arg, command_name(cmd), command_name(cmd));
        return FFCNN_EINVAL;
    }
    if (!(*def)->value) {
        if (!eq) return FFCNN_OK;
        snprintf(err, FFCNN_ERR_LEN, "%s: takes no value", (*def)->name);
        return FFCNN_EINVAL;
    }
    if (eq) return *value = eq + 1, FFCNN_OK;
    if (*i >= argc) {
        snprintf(err, FFCNN_ERR_LEN, "%s: needs a value", (*def)->name);
        return FFCNN_EINVAL;
    }
    *value = argv[(*i)++];
    return FFCNN_OK;
}

/* predict and cam: images or --index, not both; one mode, not both. */
static int check_picture_flags(cli_opts *o, const unsigned char *given, char *err) {
    const char *what = o->cmd == CMD_CAM ? "IMAGE" : "IMAGE...";
    if (given[F_INDEX] && o->n_inputs)
        snprintf(err, FFCNN_ERR_LEN, "--index: give an image file or --index, not both");
    else if (!given[F_INDEX] && !o->n_inputs)
        snprintf(err, FFCNN_ERR_LEN,
                 "%s: no image given (PNG, JPEG or PGM files, or --index I for an image of "
                 "--data)",
                 what);
    else if (o->mode == FFCNN_EVAL_BOTH && given[F_MODE])
        snprintf(err, FFCNN_ERR_LEN, "--mode: 'both' is for eval; choose goodness or linear");
    else if (given[F_CLASS] && o->all_classes)
        snprintf(err, FFCNN_ERR_LEN, "--class: give --class or --all-classes, not both");
    else
        return FFCNN_OK;
    return FFCNN_EINVAL;
}

/* sweep: a SPEC; --out with --plot and only then; --metric, --title, --width and --height only
 * with --plot. */
static int check_sweep_flags(cli_opts *o, const unsigned char *given, char *err) {
    static const int plot_only[] = {F_METRIC, F_OUT, F_TITLE, F_WIDTH, F_HEIGHT};
    if (!o->n_inputs) {
        snprintf(err, FFCNN_ERR_LEN, "SPEC: no sweep spec file given (see ffcnn sweep --help)");
        return FFCNN_EINVAL;
    }
    for (size_t k = 0; !o->plot_key && k < sizeof plot_only / sizeof *plot_only; k++)
        if (given[plot_only[k]]) {
            snprintf(err, FFCNN_ERR_LEN, "%s: applies to --plot only",
                     flag_by_id(plot_only[k])->name);
            return FFCNN_EINVAL;
        }
    if (o->plot_key && !o->out) {
        snprintf(err, FFCNN_ERR_LEN, "--out: required with --plot (the PNG file to write)");
        return FFCNN_EINVAL;
    }
    if (o->plot_key && o->dry_run) {
        snprintf(err, FFCNN_ERR_LEN, "--dry-run: give --plot or --dry-run, not both");
        return FFCNN_EINVAL;
    }
    return FFCNN_OK;
}

int flag_lookup(enum cli_command cmd, const char *name, int *config, int *takes_value) {
    for (size_t k = 0; k < N_FLAGS; k++)
        if ((FLAGS[k].cmds & cmd) && !strcmp(FLAGS[k].name, name)) {
            *config = FLAGS[k].config;
            *takes_value = FLAGS[k].value != NULL;
            return 0;
        }
    return -1;
}

int parse_args(enum cli_command cmd, int argc, char **argv, cli_opts *o, char *err) {
    opts_init(o, cmd);
    const flag_def *f;
    const char *v;
    char why[FFCNN_ERR_LEN];
    unsigned char given[F_COUNT] = {0};
    int rc = FFCNN_OK, i;
    /* 1. Read every flag: --help anywhere wins; else the first error is the one reported. */
    for (i = 1; i < argc;) {
        const int r = next_flag(cmd, argc, argv, &i, &f, &v, why);
        if (!r && !f) { /* plot's METRICS files, predict's and cam's images */
            const int max = cmd == CMD_PLOT                      ? CLI_MAX_INPUTS
                            : cmd == CMD_CAM || cmd == CMD_SWEEP ? 1
                                                                 : CLI_MAX_FILES;
            if (o->n_inputs == max && !rc)
                rc = FFCNN_EINVAL,
                snprintf(err, FFCNN_ERR_LEN, "%.200s: more than %d %s for one %s", v, max,
                         cmd == CMD_PLOT    ? "metrics files"
                         : cmd == CMD_SWEEP ? "spec file"
                         : max == 1         ? "image"
                                            : "images",
                         command_name(cmd));
            if (o->n_inputs < max) o->inputs[o->n_inputs++] = v;
            continue;
        }
        if (!r && f->id == F_HELP) return o->help = 1, FFCNN_OK;
        if (r && !rc) rc = r, snprintf(err, FFCNN_ERR_LEN, "%s", why);
        if (!r) given[f->id] = 1;
        if (!r && f->config && !o->config_flag) o->config_flag = f->name;
    }
    if (rc) return rc;
    /* 2. Conflicts between flags. */
    if (given[F_RESUME] && o->config_flag) {
        snprintf(err, FFCNN_ERR_LEN,
                 "%s: cannot be changed with --resume (the model file holds the configuration)",
                 o->config_flag);
        return FFCNN_EINVAL;
    }
    for (int s = F_LAYERS; given[F_NET] && s <= F_KERNEL; s++)
        if (given[s]) {
            snprintf(err, FFCNN_ERR_LEN,
                     "--net and %s: give one or the other (--layers, --filters and --kernel "
                     "describe a uniform stack, --net any layer list)",
                     flag_by_id(s)->name);
            return FFCNN_EINVAL;
        }
    /* 3. Presets first, whatever their position, so that the other flags override them. */
    for (i = 1; !rc && i < argc;)
        if (!next_flag(cmd, argc, argv, &i, &f, &v, err) && f && f->id == F_PRESET)
            rc = ffcnn_config_preset(&o->cfg, v, err);
    uniform_from_list(o);
    /* 4. The other flags, in order. */
    for (i = 1; !rc && i < argc;)
        if (!(rc = next_flag(cmd, argc, argv, &i, &f, &v, err)) && f && f->id != F_PRESET)
            rc = apply_flag(o, f, v, err);
    if (rc) return rc;
    static const int ff_only[] = {F_LABEL_SET, F_LABEL_K,  F_TRAIN_FROM,     F_CLASSIFIER_LR,
                                  F_FF_LOSS,   F_GOODNESS, F_FF_TEMPERATURE, F_NEGATIVES};
    for (size_t k = 0; o->cfg.algo == FFCNN_ALGO_BP && k < sizeof ff_only / sizeof *ff_only; k++)
        if (given[ff_only[k]]) {
            snprintf(err, FFCNN_ERR_LEN,
                     "%s: applies to --algo ff only (a backprop network has no label in its "
                     "input, trains every layer and its head at --lr)",
                     flag_by_id(ff_only[k])->name);
            return FFCNN_EINVAL;
        }
    o->data_given = given[F_DATA];
    o->label_set_given = given[F_LABEL_SET];
    o->train_limit_given = given[F_TRAIN_LIMIT];
    o->val_limit_given = given[F_VAL_LIMIT];
    if (given[F_LAYERS] || given[F_FILTERS] || given[F_KERNEL])
        rc = ffcnn_config_set_uniform(&o->cfg, o->layers, o->filters, o->kernel, err);
    o->mode_given = given[F_MODE];
    if (!rc && (cmd & PICTURE)) rc = check_picture_flags(o, given, err);
    if (!rc && (cmd & (CMD_EVAL | CMD_INFO | PICTURE)) && !o->model) {
        snprintf(err, FFCNN_ERR_LEN, "--model: required (the file written by ffcnn train)");
        rc = FFCNN_EINVAL;
    }
    if (!rc && o->resume && !given[F_OUT]) o->out = o->resume;
    if (!rc && cmd == CMD_PLOT && !o->n_inputs) {
        snprintf(err, FFCNN_ERR_LEN,
                 "METRICS: no metrics file given (ffcnn train writes MODEL.metrics.jsonl)");
        rc = FFCNN_EINVAL;
    }
    if (!rc && cmd == CMD_SWEEP) rc = check_sweep_flags(o, given, err);
    if (!rc && (cmd & (CMD_PLOT | CMD_CAM | CMD_LABELS)) && !o->out) {
        snprintf(err, FFCNN_ERR_LEN, "--out: required (the PNG file to write)");
        rc = FFCNN_EINVAL;
    }
    if (!rc && (cmd & NET) && (rc = ffcnn_config_validate(&o->cfg, why)))
        snprintf(err, FFCNN_ERR_LEN, "%s%.500s",
                 given[F_NET] && !strncmp(why, "layer ", 6) ? "--net: " : "", why);
    return rc;
}

/* ---- --help ---- */

static void default_text(const flag_def *f, const cli_opts *d, char *buf, size_t cap) {
    const void *field = (const char *)d + f->offset;
    buf[0] = '\0';
    switch (f->kind) {
    case V_INT:
        snprintf(buf, cap, "%d", *(const int32_t *)field);
        break;
    case V_FLOAT:
        snprintf(buf, cap, "%g", (double)*(const float *)field);
        break;
    case V_U64:
        snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    default:
        break;
    }
    switch (f->id) {
    case F_NET:
        ffcnn_config_format_net(&d->cfg, buf, cap);
        break;
    case F_ALGO:
        snprintf(buf, cap, "%s", ffcnn_algo_name(d->cfg.algo));
        break;
    case F_AUGMENT:
        ffcnn_augment_format(&d->cfg, buf, cap);
        break;
    case F_SCORE_FROM:
        snprintf(buf, cap, "every trained layer");
        break;
    case F_FF_LOSS:
        snprintf(buf, cap, "%s", ffcnn_ff_loss_name(d->cfg.ff_loss));
        break;
    case F_GOODNESS:
        snprintf(buf, cap, "%s", ffcnn_goodness_name(d->cfg.goodness));
        break;
    case F_NEGATIVES:
        snprintf(buf, cap, "%s", ffcnn_negatives_name(d->cfg.negatives));
        break;
    case F_FF_TEMPERATURE:
        snprintf(buf, cap, "%g", d->cfg.ff_temperature > 0 ? (double)d->cfg.ff_temperature : 1.0);
        break;
    case F_LABEL_SET:
        snprintf(buf, cap, "%s",
                 d->cfg.label_kind == FFCNN_LABEL_ONEHOT         ? "onehot"
                 : d->cfg.label_kind == FFCNN_LABEL_FOURIER2     ? "2"
                 : d->cfg.label_kind == FFCNN_LABEL_FOURIER_AUTO ? "fourier"
                 : d->cfg.label_kind == FFCNN_LABEL_MORPH        ? "morph"
                                                                 : "1");
        break;
    case F_DATA:
        snprintf(buf, cap, "%s", d->data_name);
        break;
    case F_SPLIT:
        snprintf(buf, cap, "%s", d->split == FFCNN_SPLIT_TEST ? "test" : "val");
        break;
    case F_IMAGE_SIZE:
        snprintf(buf, cap, "%dx%dx%d", d->image_c, d->image_h, d->image_w);
        break;
    case F_VAL_SPLIT:
        buf[0] = '\0';
        break;
    case F_METRIC:
        snprintf(buf, cap, "%s", d->metric);
        break;
    case F_MODE:
        snprintf(buf, cap, "%s",
                 d->cmd == CMD_PREDICT ? "goodness; linear for a bp model" : MODE_NAMES[d->mode]);
        break;
    case F_FINAL_EVAL:
        snprintf(buf, cap, "%s", MODE_NAMES[d->final_mode]);
        break;
    case F_EVAL_LIMIT:
    case F_TRAIN_LIMIT:
    case F_VAL_LIMIT:
        snprintf(buf, cap, "all");
        break;
    case F_THREADS:
        snprintf(buf, cap, "all cores, %d here", d->threads);
        break;
    case F_CONV:
        snprintf(buf, cap, "auto");
        break;
    case F_DIST:
        snprintf(buf, cap, "none");
        break;
    case F_OUT:
        if (d->out) snprintf(buf, cap, "%s", d->out);
        break;
    case F_X:
        snprintf(buf, cap, "time");
        break;
    case F_INVERT:
    case F_FIT:
        snprintf(buf, cap, "auto");
        break;
    case F_INDEX:
    case F_CLASS:
    case F_SAVE_INPUT:
    case F_CONFUSION_PNG:
    case F_DIR:
    case F_PLOT:
        buf[0] = '\0';
        break;
    case F_PANELS:
        snprintf(buf, cap, "all");
        break;
    case F_TITLE:
        snprintf(buf, cap, "\"training curves\" or \"validation accuracy\"");
        break;
    case F_WIDTH:
        snprintf(buf, cap, "800, 1200 for three panels");
        break;
    case F_HEIGHT:
        snprintf(buf, cap, "3/4 of the width");
        break;
    case F_CHECKPOINT_EVERY:
        snprintf(buf, cap, "%d", d->checkpoint_every);
        break;
    default:
        break;
    }
}

void print_flags_help(FILE *out, enum cli_command cmd, const char *header) {
    cli_opts d;
    opts_init(&d, cmd);
    fputs(header, out);
    for (size_t k = 0; k < N_FLAGS; k++) {
        const flag_def *f = &FLAGS[k];
        if (!(f->cmds & cmd)) continue;
        char left[64], def[256];
        snprintf(left, sizeof left, "%s%s%s", f->name, f->value ? " " : "",
                 f->value ? f->value : "");
        default_text(f, &d, def, sizeof def);
        const char *h = f->help;
        for (int first = 1;; first = 0) {
            const size_t n = strcspn(h, "\n");
            fprintf(out, "%c %-20s %.*s", f->config && first && (cmd & CMD_TRAIN) ? '*' : ' ',
                    first ? left : "", (int)n, h);
            h += n;
            if (!*h) break;
            fputc('\n', out);
            h++;
        }
        fprintf(out, "%s%s%s\n", def[0] ? " (default " : "", def, def[0] ? ")" : "");
    }
}
