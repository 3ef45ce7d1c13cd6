/* Fuzzes the CLI option parser (cli/options.c, cli/args.c) of every command:
 *
 *   byte 0   command (modulo 8): 0 train, 1 bench, 2 eval, 3 info, 4 plot, 5 predict, 6 cam,
 *            7 labels
 *   rest     the arguments after the command, separated by NUL bytes
 *
 * Each argument gets its own exact-size allocation, so ASan catches a read past its end.
 * Checks: a parse that succeeds leaves a configuration ffcnn_config_validate() accepts (train,
 * bench) and settings inside their documented ranges (a known data set, folder only with its
 * DIR; --split all only where a command takes it; --val-split, --image-size), each command's
 * required flags given and the flags of other commands at their defaults; plot's METRICS files
 * and predict's and cam's images are arguments of argv that are not flags, predict and cam have
 * images or --index but not both, cam at most one image; the augmentation (train and bench) a
 * pad of 0..8 and a flip of 0 or 1 whose text (ffcnn_augment_format) parses back to the same
 * fields, none for the other commands. One that fails leaves a message that names what it is
 * about ("WHAT: why"), on one line when no argument holds a line break. A parse that succeeds is
 * repeated with "--augment shift-flip:3" appended: for train and bench it then sets pad 3 and
 * flip and nothing else, or, with --resume, is refused naming --augment; the other commands
 * refuse the flag as unknown. Inputs naming a file under /dev or /proc (--net @FILE reads it)
 * are skipped: a terminal or a pipe would block. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ffcnn.h"
#include "fuzz_util.h"
#include "data.h" /* CLI_SPLIT_ALL */
#include "options.h"

#define MAX_ARGS 128

static void check_data(const cli_opts *o) {
    static const char *const sets[] = {"mnist",           "fashion",      "cifar10", "cifar100",
                                       "cifar100-coarse", "cifar10-jpeg", "folder"};
    FZ_CHECK(memchr(o->data_dir, '\0', sizeof o->data_dir) != NULL && o->data_dir[0] != '\0');
    int known = 0;
    for (size_t i = 0; o->data_name && i < sizeof sets / sizeof *sets; i++)
        known |= !strcmp(o->data_name, sets[i]);
    FZ_CHECK(known);
    if (!strcmp(o->data_name, "folder")) FZ_CHECK(o->data_given); /* folder:DIR, never a default */
    FZ_CHECK(o->data_given || !strcmp(o->data_name, "mnist"));
}

static void check_common(const cli_opts *o) {
    check_data(o);
    FZ_CHECK(o->threads >= 1 && o->threads <= 1024);
    FZ_CHECK(o->conv_n >= 0 && o->conv_n <= FFCNN_MAX_LAYERS);
    for (int i = 0; i < o->conv_n; i++)
        FZ_CHECK(o->conv[i] >= FFCNN_CONV_AUTO && o->conv[i] <= FFCNN_CONV_FFT);
    FZ_CHECK(o->json == 0 || o->json == 1);
    FZ_CHECK(o->label_set_given == 0 || o->label_set_given == 1);
    if (!(o->cmd & (CMD_TRAIN | CMD_BENCH | CMD_LABELS))) FZ_CHECK(!o->label_set_given);
    FZ_CHECK(
        o->split == FFCNN_SPLIT_VAL || o->split == FFCNN_SPLIT_TEST ||
        (o->split == CLI_SPLIT_ALL && (o->cmd & (CMD_EVAL | CMD_PREDICT | CMD_CAM | CMD_LABELS))));
    FZ_CHECK(o->val_split >= 0 && o->val_split <= (1 << 30)); /* 0: the set's default */
    if (!(o->cmd & (CMD_TRAIN | CMD_EVAL | CMD_PREDICT | CMD_CAM | CMD_LABELS)))
        FZ_CHECK(o->val_split == 0);
    FZ_CHECK(o->dist >= DIST_NONE && o->dist <= DIST_LAYERS);
    if (o->cmd != CMD_TRAIN) FZ_CHECK(o->dist == DIST_NONE); /* --dist: train only */
    FZ_CHECK(o->eval_test_every >= 0 && o->eval_test_every <= 1000000);
    if (o->cmd != CMD_TRAIN) FZ_CHECK(o->eval_test_every == 0);
    FZ_CHECK(o->image_c == 1 || o->image_c == 3);
    FZ_CHECK(o->image_h >= 1 && o->image_h <= 4096 && o->image_w >= 1 && o->image_w <= 4096);
    if (!(o->cmd & (CMD_TRAIN | CMD_LABELS)))
        FZ_CHECK(o->image_c == 3 && o->image_h == 32 && o->image_w == 32);
}

/* The settings of predict, cam and labels, at their defaults for the other commands. */
static void check_picture(const cli_opts *o, unsigned cmd) {
    FZ_CHECK(o->index >= -1 && o->index <= (1 << 30));
    FZ_CHECK(o->invert >= FFCNN_INVERT_AUTO && o->invert <= FFCNN_INVERT_NO);
    FZ_CHECK(o->fit >= 0 && o->fit <= FFCNN_FIT_DIGIT); /* 0: auto */
    FZ_CHECK(o->cls >= -1 && o->cls <= (1 << 20));
    FZ_CHECK(o->all_classes == 0 || o->all_classes == 1);
    if (!(cmd & (CMD_PREDICT | CMD_CAM | CMD_LABELS))) FZ_CHECK(o->index == -1);
    if (!(cmd & (CMD_PREDICT | CMD_CAM))) FZ_CHECK(o->invert == FFCNN_INVERT_AUTO && o->fit == 0);
    if (cmd != CMD_CAM) FZ_CHECK(o->cls == -1 && !o->all_classes);
    if (cmd != CMD_PREDICT) FZ_CHECK(o->save_input == NULL);
    if (cmd != CMD_EVAL) FZ_CHECK(o->confusion_png == NULL);
    if (cmd & (CMD_PREDICT | CMD_CAM)) {
        FZ_CHECK(o->model != NULL);
        FZ_CHECK((o->n_inputs > 0) != (o->index >= 0)); /* images or --index, not both */
    }
    if (cmd == CMD_PREDICT) {
        /* --mode goodness | linear; not given: BOTH stands for "follow the model" */
        FZ_CHECK(o->mode_given ? o->mode == FFCNN_EVAL_GOODNESS || o->mode == FFCNN_EVAL_LINEAR
                               : o->mode == FFCNN_EVAL_BOTH);
    }
    if (cmd == CMD_CAM) {
        FZ_CHECK(o->n_inputs <= 1);
        FZ_CHECK(o->out != NULL);
        FZ_CHECK(!(o->cls >= 0 && o->all_classes));
        FZ_CHECK(!o->mode_given && o->mode == FFCNN_EVAL_BOTH);
    }
    if (cmd == CMD_LABELS) {
        FZ_CHECK(o->out != NULL && o->n_inputs == 0);
        FZ_CHECK(o->cfg.label_kind >= FFCNN_LABEL_FOURIER1 &&
                 o->cfg.label_kind <= FFCNN_LABEL_MORPH); /* 1, 2, onehot, fourier, morph */
        FZ_CHECK(o->cfg.label_k > 0.0f && o->cfg.label_k < 1.0f);
    }
}

/* sweep: one SPEC; the figure's flags only with --plot, which needs --out. */
static void check_sweep(const cli_opts *o, unsigned cmd) {
    if (cmd != CMD_SWEEP) {
        FZ_CHECK(!o->sweep_dir && !o->plot_key && !o->dry_run);
        /* plot's --metric: the accuracy it draws; every other command keeps sweep's default */
        if (cmd == CMD_PLOT)
            FZ_CHECK(!strcmp(o->metric, "val_linear") || !strcmp(o->metric, "test_goodness") ||
                     !strcmp(o->metric, "test_linear"));
        else
            FZ_CHECK(!strcmp(o->metric, "val_goodness"));
        return;
    }
    FZ_CHECK(o->n_inputs == 1 && o->model == NULL && o->index == -1 && o->config_flag == NULL);
    FZ_CHECK(o->plot_key ? o->out != NULL && !o->dry_run
                         : o->out == NULL && o->title == NULL && o->width == 0 && o->height == 0 &&
                               !strcmp(o->metric, "val_goodness"));
}

static void check_plot(const cli_opts *o, unsigned cmd) {
    check_sweep(o, cmd);
    if (cmd == CMD_SWEEP) return;
    if (cmd != CMD_PLOT) {
        FZ_CHECK(!o->x_epoch && !o->panels_val && o->title == NULL);
        FZ_CHECK(o->width == 0 && o->height == 0);
        return;
    }
    FZ_CHECK(o->n_inputs >= 1 && o->n_inputs <= CLI_MAX_INPUTS);
    FZ_CHECK(o->out != NULL && o->model == NULL && o->index == -1);
    FZ_CHECK(o->x_epoch == 0 || o->x_epoch == 1);
    FZ_CHECK(o->panels_val == 0 || o->panels_val == 1);
    FZ_CHECK(o->width == 0 || (o->width >= 200 && o->width <= 4000));
    FZ_CHECK(o->height == 0 || (o->height >= 200 && o->height <= 4000));
}

/* plot's, predict's and cam's files: arguments of argv that are not flags, in order. */
static void check_inputs(const cli_opts *o, unsigned cmd, int argc, char **argv) {
    FZ_CHECK(o->n_inputs >= 0 && o->n_inputs <= CLI_MAX_FILES);
    if (!(cmd & CMD_WITH_INPUTS)) FZ_CHECK(o->n_inputs == 0);
    int j = 1;
    for (int k = 0; k < o->n_inputs; k++, j++) {
        FZ_CHECK(o->inputs[k] != NULL && o->inputs[k][0] != '-');
        while (j < argc && argv[j] != o->inputs[k]) j++;
        FZ_CHECK(j < argc); /* one of argv's strings, after the previous file's */
    }
}

/* A failure's message: non-empty, terminated, "WHAT: why" with WHAT non-empty (a flag, a file
 * or METRICS/IMAGE), one line unless an argument brought a line break in. */
static void check_err(const char *err, int argc, char **argv) {
    FZ_CHECK(memchr(err, '\0', FFCNN_ERR_LEN) != NULL && err[0] != '\0');
    FZ_CHECK(strstr(err, ": ") != NULL);
    int breaks = 0, quoted = 0;
    for (int i = 1; i < argc; i++) {
        breaks |= strpbrk(argv[i], "\n\r") != NULL;
        quoted |= !strncmp(argv[i], ": ", 2); /* quoted first, it starts the message */
    }
    /* An empty argument is refused by name ("an empty argument: ..."), never quoted as "". */
    FZ_CHECK(strncmp(err, ": ", 2) != 0 || quoted);
    if (!breaks) FZ_CHECK(strpbrk(err, "\n\r") == NULL);
}

/* --augment's fields: for train and bench a pad of 0..FFCNN_MAX_AUGMENT_PAD and a flip of 0 or
 * 1, whose text parses back to them; the other commands do not know the flag: none. */
static void check_augment(const cli_opts *o, unsigned cmd) {
    const ffcnn_config *c = &o->cfg;
    if (!(cmd & (CMD_TRAIN | CMD_BENCH))) {
        FZ_CHECK(c->augment_pad == 0 && c->augment_flip == 0);
        return;
    }
    FZ_CHECK(c->augment_pad >= 0 && c->augment_pad <= FFCNN_MAX_AUGMENT_PAD);
    FZ_CHECK(c->augment_flip == 0 || c->augment_flip == 1);
    if (o->resume) FZ_CHECK(c->augment_pad == 0 && c->augment_flip == 0); /* the model's own */
    fz_check_augment_round_trip(c, "ffcnn_augment_parse (formatted)");
}

/* Field by field (bitwise for the floats, so that struct padding never counts). */
static int same_config_but_augment(const ffcnn_config *a, const ffcnn_config *b) {
    ffcnn_config x = *a, y = *b;
    x.augment_pad = y.augment_pad = x.augment_flip = y.augment_flip = 0;
    char nx[512], ny[512];
    ffcnn_config_format_net(&x, nx, sizeof nx);
    ffcnn_config_format_net(&y, ny, sizeof ny);
#define SAME(f) (memcmp(&x.f, &y.f, sizeof x.f) == 0)
    return !strcmp(nx, ny) && SAME(n_layers) && SAME(channels) && SAME(height) && SAME(width) &&
           SAME(classes) && SAME(label_kind) && SAME(label_k) && SAME(train_from) && SAME(batch) &&
           SAME(epochs) && SAME(lr) && SAME(seed) && SAME(classifier_lr) && SAME(algo);
#undef SAME
}

/* The parse of argv that succeeded into o, again with "--augment shift-flip:3" at the end:
 * train and bench take it (pad 3, flip 1, the rest as it was) unless --resume was given, which
 * refuses it by name; the other commands refuse it as unknown. */
static void check_augment_appended(enum cli_command cmd, int argc, char **argv, const cli_opts *o) {
    char **more = malloc(sizeof *more * (size_t)(argc + 3));
    FZ_CHECK(more != NULL);
    memcpy(more, argv, sizeof *more * (size_t)argc);
    char flag[] = "--augment", value[] = "shift-flip:3";
    more[argc] = flag, more[argc + 1] = value, more[argc + 2] = NULL;
    cli_opts again;
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    const int rc = parse_args(cmd, argc + 2, more, &again, err);
    fz_report("parse_args (--augment shift-flip:3 appended)", rc, err);
    if (!(cmd & (CMD_TRAIN | CMD_BENCH))) {
        FZ_CHECK(rc == FFCNN_EINVAL && strstr(err, "--augment: unknown option") == err);
    } else if (o->resume) {
        FZ_CHECK(rc == FFCNN_EINVAL && strstr(err, "--augment: ") == err &&
                 strstr(err, "--resume") != NULL);
    } else {
        FZ_CHECK(rc == FFCNN_OK && !again.help);
        FZ_CHECK(again.cfg.augment_pad == 3 && again.cfg.augment_flip == 1);
        FZ_CHECK(same_config_but_augment(&o->cfg, &again.cfg));
    }
    free(more);
}

static void fuzz_command(enum cli_command cmd, int argc, char **argv) {
    cli_opts o;
    char err[FFCNN_ERR_LEN], why[FFCNN_ERR_LEN];
    err[0] = '\0';
    const int rc = parse_args(cmd, argc, argv, &o, err);
    fz_report("parse_args", rc, err);
    if (rc != FFCNN_OK) {
        FZ_CHECK(rc == FFCNN_EINVAL);
        check_err(err, argc, argv);
        return;
    }
    FZ_CHECK(o.cmd == (unsigned)cmd);
    if (o.help) return;
    check_common(&o);
    check_inputs(&o, cmd, argc, argv);
    check_picture(&o, cmd);
    check_plot(&o, cmd);
    check_augment(&o, cmd);
    check_augment_appended(cmd, argc, argv, &o);
    if (cmd == CMD_TRAIN || cmd == CMD_BENCH) {
        FZ_CHECK(ffcnn_config_validate(&o.cfg, why) == FFCNN_OK);
        FZ_CHECK(ffcnn_config_conv_layers(&o.cfg) >= 1);
        FZ_CHECK(o.cfg.algo == FFCNN_ALGO_FF || o.cfg.algo == FFCNN_ALGO_BP);
        FZ_CHECK(o.out != NULL);
        FZ_CHECK(o.final_mode >= 0 && o.final_mode <= FFCNN_EVAL_BOTH);
        FZ_CHECK(o.train_limit == -1 || o.train_limit >= 1);
        FZ_CHECK(o.val_limit >= -1);
        FZ_CHECK(o.steps >= 1 && o.warmup >= 0 && o.infer_images >= 1);
        FZ_CHECK(!o.resume || !o.config_flag); /* --resume refuses every configuration flag */
        if (cmd == CMD_TRAIN) FZ_CHECK(o.steps == 10 && o.warmup == 1 && o.infer_images == 100);
        if (cmd == CMD_BENCH) FZ_CHECK(!o.resume && o.train_limit == -1);
    } else if (cmd == CMD_EVAL || cmd == CMD_INFO) {
        FZ_CHECK(o.model != NULL);
        FZ_CHECK(o.mode >= FFCNN_EVAL_GOODNESS && o.mode <= FFCNN_EVAL_BOTH);
        FZ_CHECK(o.eval_limit == -1 || o.eval_limit >= 1);
    } else {
        /* plot, predict, cam, labels: nothing of training's */
        FZ_CHECK(o.resume == NULL);
        if (cmd != CMD_LABELS) FZ_CHECK(o.config_flag == NULL); /* labels: --label-set, -k */
        FZ_CHECK(o.eval_limit == -1 && o.train_limit == -1 && o.val_limit == -1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const enum cli_command commands[9] = {CMD_TRAIN, CMD_BENCH,  CMD_EVAL,
                                                 CMD_INFO,  CMD_PLOT,   CMD_PREDICT,
                                                 CMD_CAM,   CMD_LABELS, CMD_SWEEP};
    const int which = data[0] % 9;
    data++, size--;
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = strdup(command_name(commands[which]));
    for (size_t i = 0; i < size && argc < MAX_ARGS;) {
        const uint8_t *nul = memchr(data + i, '\0', size - i);
        const size_t n = nul ? (size_t)(nul - (data + i)) : size - i;
        char *arg = malloc(n + 1);
        FZ_CHECK(arg != NULL);
        memcpy(arg, data + i, n);
        arg[n] = '\0';
        argv[argc++] = arg;
        i += n + 1;
    }
    argv[argc] = NULL;
    int skip = 0;
    for (int i = 1; i < argc; i++) skip |= strstr(argv[i], "/dev") || strstr(argv[i], "/proc");
    if (!skip) fuzz_command(commands[which], argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    return 0;
}
