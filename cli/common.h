/* What the commands share: exit codes and error lines, JSON output, the conv-path display.
 * Only the commands print results and choose exit codes: 0 success, 2 bad input (flag, file,
 * model), 1 other failures (out of memory, numerical fault). */
#ifndef FFCNN_CLI_COMMON_H
#define FFCNN_CLI_COMMON_H

#include <stddef.h>
#include <stdio.h>

#include "ffcnn.h"

#define EXIT_BAD_INPUT 2

/* The commands (cmd_*.c): argv[0] is the command's name. */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_cam(int argc, char **argv);
int cmd_labels(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_help(int argc, char **argv);
/* The main usage (ffcnn --help). */
void print_main_usage(FILE *f);

/* The exit status of a library error code. */
int exit_code(int rc);
/* Prints "ffcnn: err" on stderr; returns exit_code(rc). */
int fail(const char *err, int rc);

/* After a data set failed to load with FFCNN_EIO (a file missing or unreadable): appends to err
 * where ffcnn looked and how to point it elsewhere, so the one line says what to do. */
void add_data_hint(const char *data_name, const char *data_dir, int rc, char *err);

/* "s" unless n is 1: "%d epoch%s". */
const char *plural(long n);
/* --label-set's value for a label kind: "1", "2", "onehot", "fourier", "morph". */
const char *label_set_name(int kind);
/* The model's class names, the first 10 joined by ", " and then ", …" when there are more;
 * "" when it has none. */
void cli_class_list(const ffcnn_net *net, char *buf, size_t cap);
/* Class k as text: "3 (cat)" when the model names its classes, else "3". */
void cli_class_text(const ffcnn_net *net, int k, char *buf, size_t cap);
/* "layer 3 trained" or "layers 2..3 trained" (conv layers). */
void trained_layers(const ffcnn_config *c, char *buf, size_t cap);

/* --conv as parsed (conv_n 0: not given = auto for all) onto the network. */
int apply_conv(ffcnn_net *net, const int *conv, int conv_n, char *err);
/* Each conv layer's path, with the times that chose it under auto, and the --conv list that
 * repeats the choice, on stderr. */
void print_paths(const ffcnn_net *net);

/* JSON on stdout, one object per line: json_begin("train"), fields, json_end(). Every string
 * goes through json_string (quotes, backslashes and control characters escaped). */
void json_string(FILE *f, const char *s);      /* NULL: null */
void json_fnum(FILE *f, double v, int digits); /* %.{digits}g; null when not finite */
void json_begin(const char *command);
void json_key(const char *key); /* ,"key": (then write the value) */
void json_str(const char *key, const char *value);
void json_int(const char *key, long long v);
void json_num(const char *key, double v);     /* null when not finite */
void json_opt_num(const char *key, double v); /* null when negative (not measured) */
void json_end(void);

#endif
