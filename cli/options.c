#include "options.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"

int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 1024 ? (int)n : 1;
}

int parse_mode(const char *flag, const char *text, int allow_none, int *mode, char *err) {
    if (strcmp(text, "goodness") == 0)
        *mode = FFCNN_EVAL_GOODNESS;
    else if (strcmp(text, "linear") == 0)
        *mode = FFCNN_EVAL_LINEAR;
    else if (strcmp(text, "both") == 0)
        *mode = FFCNN_EVAL_BOTH;
    else if (allow_none && strcmp(text, "none") == 0)
        *mode = 0;
    else {
        snprintf(err, FFCNN_ERR_LEN, "%s: '%s' is not goodness, linear, both%s", flag, text,
                 allow_none ? " or none" : "");
        return FFCNN_EINVAL;
    }
    return FFCNN_OK;
}

static int parse_label_set(const char *text, int32_t *kind, char *err) {
    if (strcmp(text, "onehot") == 0) {
        *kind = FFCNN_LABEL_ONEHOT;
        return FFCNN_OK;
    }
    return parse_int("--label-set", text, 1, 2, kind, err);
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
                                 "of them, one per layer"
                               : "--conv: '%s' lists more paths than a network has layers",
                     text);
            return FFCNN_EINVAL;
        }
        paths[(*n)++] = found; /* FFCNN_CONV_AUTO, _IM2COL, _FFT in this order */
        p += len;
        if (!*p) return FFCNN_OK;
    }
}

/* --checkpoint-every N (epochs), Ne (epochs) or Ns (optimiser steps). */
static int parse_checkpoint_every(const char *v, train_opts *o, char *err) {
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

/* Flags that define the network or its schedule: fixed by the model file when resuming. */
static const char *const CONFIG_FLAGS[] = {"--layers",  "--filters",    "--kernel", "--label-set",
                                           "--label-k", "--train-from", "--batch",  "--epochs",
                                           "--lr",      "--seed",       "--preset"};

static int is_config_flag(const char *flag) {
    for (size_t i = 0; i < sizeof CONFIG_FLAGS / sizeof *CONFIG_FLAGS; i++)
        if (!strcmp(flag, CONFIG_FLAGS[i])) return 1;
    return 0;
}

static int parse_train_flag(train_opts *o, const char *flag, const char *v, char *err) {
    ffcnn_config *c = &o->cfg;
    if (is_config_flag(flag) && !o->config_flag) o->config_flag = flag;
    if (!strcmp(flag, "--preset")) return FFCNN_OK; /* applied first, in apply_preset */
    if (!strcmp(flag, "--layers")) return parse_int(flag, v, 1, FFCNN_MAX_LAYERS, &c->layers, err);
    if (!strcmp(flag, "--filters")) return parse_int(flag, v, 1, 4096, &c->filters, err);
    if (!strcmp(flag, "--kernel")) return parse_int(flag, v, 1, 31, &c->kernel, err);
    if (!strcmp(flag, "--label-set")) return parse_label_set(v, &c->label_kind, err);
    if (!strcmp(flag, "--label-k")) return parse_float(flag, v, 1e-6, 0.999999, &c->label_k, err);
    if (!strcmp(flag, "--train-from"))
        return parse_int(flag, v, 1, FFCNN_MAX_LAYERS, &c->train_from, err);
    if (!strcmp(flag, "--batch")) return parse_int(flag, v, 1, 65536, &c->batch, err);
    if (!strcmp(flag, "--epochs")) return parse_int(flag, v, 0, 1000000, &c->epochs, err);
    if (!strcmp(flag, "--lr")) return parse_float(flag, v, 1e-12, 1e30, &c->lr, err);
    if (!strcmp(flag, "--seed")) return parse_u64(flag, v, &c->seed, err);
    if (!strcmp(flag, "--classifier-lr"))
        return parse_float(flag, v, 0, 1e30, &c->classifier_lr, err);
    if (!o->bench && !strcmp(flag, "--resume")) {
        o->resume = v;
        return FFCNN_OK;
    }
    if (!o->bench && !strcmp(flag, "--checkpoint-every")) return parse_checkpoint_every(v, o, err);
    if (!strcmp(flag, "--conv")) return parse_conv(v, o->conv, &o->conv_n, err);
    if (!strcmp(flag, "--data"))
        return parse_data(v, o->data_dir, sizeof o->data_dir, &o->data_name, err);
    if (!strcmp(flag, "--threads")) return parse_int(flag, v, 1, 1024, &o->threads, err);
    if (!strcmp(flag, "--train-limit")) return parse_int(flag, v, 1, 1 << 30, &o->train_limit, err);
    if (!strcmp(flag, "--val-limit")) return parse_int(flag, v, 0, 1 << 30, &o->val_limit, err);
    if (!strcmp(flag, "--final-eval")) return parse_mode(flag, v, 1, &o->final_mode, err);
    if (!strcmp(flag, "--out")) {
        o->out = v;
        o->out_given = 1;
        return FFCNN_OK;
    }
    if (o->bench && !strcmp(flag, "--steps")) return parse_int(flag, v, 1, 1000000, &o->steps, err);
    if (o->bench && !strcmp(flag, "--warmup")) return parse_int(flag, v, 0, 1000, &o->warmup, err);
    if (o->bench && !strcmp(flag, "--infer-images"))
        return parse_int(flag, v, 1, 1000000, &o->infer_images, err);
    snprintf(err, FFCNN_ERR_LEN, "%s: unknown option for train (see ffcnn train --help)", flag);
    return FFCNN_EINVAL;
}

/* Presets first, whatever their position, so that explicit flags always override them. */
static int apply_preset(int argc, char **argv, ffcnn_config *cfg, char *err) {
    ffcnn_config_default(cfg);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--preset") != 0) continue;
        const char *v = flag_value(argc, argv, &i, err);
        if (!v) return FFCNN_EINVAL;
        int rc = ffcnn_config_preset(cfg, v, err);
        if (rc) return rc;
    }
    return FFCNN_OK;
}

int parse_train_args(int argc, char **argv, train_opts *o, int bench, char *err) {
    memset(o, 0, sizeof *o);
    o->bench = bench;
    o->steps = 10;
    o->warmup = 1;
    o->infer_images = 100;
    o->threads = default_threads();
    o->out = "model.ffm";
    o->final_mode = FFCNN_EVAL_BOTH;
    o->val_limit = -1;
    o->checkpoint_every = 1;
    int rc = parse_data("mnist", o->data_dir, sizeof o->data_dir, &o->data_name, err);
    if (!rc) rc = apply_preset(argc, argv, &o->cfg, err);
    for (int i = 1; !rc && i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            o->json = 1;
            continue;
        }
        const char *flag = argv[i];
        if (strncmp(flag, "--", 2) != 0) {
            snprintf(err, FFCNN_ERR_LEN, "%s: unexpected argument", flag);
            return FFCNN_EINVAL;
        }
        const char *v = flag_value(argc, argv, &i, err);
        if (!v) return FFCNN_EINVAL;
        rc = parse_train_flag(o, flag, v, err);
    }
    if (!rc && o->resume && o->config_flag) {
        snprintf(err, FFCNN_ERR_LEN,
                 "%s: cannot be changed with --resume (the model file holds the configuration)",
                 o->config_flag);
        return FFCNN_EINVAL;
    }
    if (!rc && o->resume && !o->out_given) o->out = o->resume;
    if (!rc) rc = ffcnn_config_validate(&o->cfg, err);
    return rc;
}

int parse_eval_args(int argc, char **argv, eval_opts *o, char *err) {
    memset(o, 0, sizeof *o);
    o->threads = default_threads();
    o->mode = FFCNN_EVAL_BOTH;
    o->split = FFCNN_SPLIT_VAL;
    o->limit = -1;
    int rc = parse_data("mnist", o->data_dir, sizeof o->data_dir, &o->data_name, err);
    for (int i = 1; !rc && i < argc; i++) {
        const char *flag = argv[i], *v;
        if (!strcmp(flag, "--json")) {
            o->json = 1;
            continue;
        }
        if (strncmp(flag, "--", 2) != 0) {
            snprintf(err, FFCNN_ERR_LEN, "%s: unexpected argument", flag);
            return FFCNN_EINVAL;
        }
        if (!(v = flag_value(argc, argv, &i, err))) return FFCNN_EINVAL;
        if (!strcmp(flag, "--model"))
            o->model = v;
        else if (!strcmp(flag, "--data"))
            rc = parse_data(v, o->data_dir, sizeof o->data_dir, &o->data_name, err);
        else if (!strcmp(flag, "--split")) {
            if (!strcmp(v, "val"))
                o->split = FFCNN_SPLIT_VAL;
            else if (!strcmp(v, "test"))
                o->split = FFCNN_SPLIT_TEST;
            else
                rc = (snprintf(err, FFCNN_ERR_LEN, "--split: '%s' is not val or test", v),
                      FFCNN_EINVAL);
        } else if (!strcmp(flag, "--mode"))
            rc = parse_mode(flag, v, 0, &o->mode, err);
        else if (!strcmp(flag, "--eval-limit"))
            rc = parse_int(flag, v, 1, 1 << 30, &o->limit, err);
        else if (!strcmp(flag, "--threads"))
            rc = parse_int(flag, v, 1, 1024, &o->threads, err);
        else if (!strcmp(flag, "--conv"))
            rc = parse_conv(v, o->conv, &o->conv_n, err);
        else
            rc = (snprintf(err, FFCNN_ERR_LEN,
                           "%s: unknown option for eval (see ffcnn eval --help)", flag),
                  FFCNN_EINVAL);
    }
    if (!rc && !o->model) {
        snprintf(err, FFCNN_ERR_LEN, "--model: required (the file written by ffcnn train)");
        rc = FFCNN_EINVAL;
    }
    return rc;
}
