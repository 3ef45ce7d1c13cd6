/* Command-line options of each command, parsed strictly: every bad value is an error naming
 * its flag. Separate from main.c so the fuzzer can drive the parser alone. */
#ifndef FFCNN_CLI_OPTIONS_H
#define FFCNN_CLI_OPTIONS_H

#include <stdint.h>

#include "ffcnn.h"

typedef struct train_opts {
    ffcnn_config cfg;
    char data_dir[4096];
    const char *data_name, *out;
    int threads, json, final_mode;
    int conv[FFCNN_MAX_LAYERS], conv_n; /* --conv: one path for all layers, or one per layer */
    int32_t train_limit, val_limit;
    int bench;               /* accept the bench flags below */
    const char *resume;      /* --resume FILE */
    const char *config_flag; /* first flag given that sets the configuration */
    int out_given;
    int32_t checkpoint_every; /* save every N epochs, or N steps when checkpoint_steps */
    int checkpoint_steps;
    int32_t steps, warmup, infer_images; /* ffcnn bench */
} train_opts;

typedef struct eval_opts {
    char data_dir[4096];
    const char *data_name, *model;
    int threads, json, mode, split;
    int conv[FFCNN_MAX_LAYERS], conv_n;
    int32_t limit;
} eval_opts;

int default_threads(void);
/* goodness | linear | both (| none when allow_none) into enum ffcnn_eval_mode (0 = none). */
int parse_mode(const char *flag, const char *text, int allow_none, int *mode, char *err);
/* auto | im2col | fft, or a comma-separated list of them (one per layer), into enum
 * ffcnn_conv_path values; *n = how many. */
int parse_conv(const char *text, int *paths, int *n, char *err);
/* train and bench (bench = 1 also accepts --steps, --warmup, --infer-images). */
int parse_train_args(int argc, char **argv, train_opts *o, int bench, char *err);
int parse_eval_args(int argc, char **argv, eval_opts *o, char *err);

#endif
