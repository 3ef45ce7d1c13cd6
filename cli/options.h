/* Command-line options of every command, from one table of flags (options.c): the parser, each
 * command's --help and the list of flags that --resume refuses all come from it. Parsing is
 * strict: every bad value is an error naming its flag. Separate from the commands so that the
 * fuzzer can drive the parser alone. */
#ifndef FFCNN_CLI_OPTIONS_H
#define FFCNN_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "ffcnn.h"

/* The commands that take flags (bit masks: a flag lists the commands that accept it). */
enum cli_command {
    CMD_TRAIN = 1,
    CMD_BENCH = 2,
    CMD_EVAL = 4,
    CMD_INFO = 8,
    CMD_PLOT = 16,
    CMD_PREDICT = 32,
    CMD_CAM = 64,
    CMD_LABELS = 128,
    CMD_SWEEP = 256
};
/* train --dist: how processes started by mpirun share the training (cli/dist.h). */
enum cli_dist { DIST_NONE = 0, DIST_DATA = 1, DIST_LAYERS = 2 };

/* The commands that take file names as plain arguments (o->inputs). */
#define CMD_WITH_INPUTS (CMD_PLOT | CMD_PREDICT | CMD_CAM | CMD_SWEEP)

/* plot: the most METRICS files one plot takes; predict: the most images one call takes. */
#define CLI_MAX_INPUTS 32
#define CLI_MAX_FILES 4096

typedef struct cli_opts {
    unsigned cmd; /* the command parsed for */
    int help;     /* --help or -h was given: print the help, nothing else is set */
    int json;     /* --json */
    int32_t threads;
    int32_t chunk;      /* --chunk: FF images per chunk of a batch */
    int32_t score_from; /* --score-from: first conv layer goodness inference sums (0: default) */
    int conv[FFCNN_MAX_LAYERS], conv_n; /* --conv: one path for all conv layers, or one each */
    char data_dir[4096];
    const char *data_name; /* "mnist" or "fashion" */
    int data_given;        /* --data was given */
    int label_set_given;   /* --label-set was given (else fourier for other than 10 classes) */

    /* train and bench */
    ffcnn_config cfg;
    int32_t layers, filters, kernel; /* the uniform shorthand, from the preset's list */
    /* train */
    int32_t train_limit, val_limit; /* -1: all; val_limit 0: no validation */
    int train_limit_given, val_limit_given;
    int final_mode;           /* enum ffcnn_eval_mode, 0 = none */
    const char *out;          /* model file written */
    const char *resume;       /* --resume FILE */
    const char *config_flag;  /* first flag given that sets the configuration */
    int32_t checkpoint_every; /* save every N epochs, or N steps when checkpoint_steps */
    int32_t eval_test_every;  /* --eval-test-every: test accuracy every N epochs (0: never) */
    int checkpoint_steps;
    int dist; /* enum cli_dist: --dist (not a configuration flag: --resume takes it) */
    /* bench */
    int32_t steps, warmup, infer_images;
    /* eval and info */
    const char *model;
    int split, mode;    /* enum ffcnn_split (val or test), enum ffcnn_eval_mode */
    int32_t eval_limit; /* -1: all */
    /* plot (its --out is `out`, required), predict and cam: the files named, in order */
    const char *inputs[CLI_MAX_FILES];
    int n_inputs;
    /* predict, cam and labels: a data set image instead of files (-1: none) */
    int32_t index;
    int32_t val_split;             /* --val-split: 0 = the set's default */
    int image_c, image_h, image_w; /* --image-size (folder data) */
    int mode_given;                /* --mode was given (predict's default follows the model) */
    int invert;                    /* enum ffcnn_invert */
    int fit;                       /* enum ffcnn_fit; 0 = from the model's data (--fit auto) */
    int32_t cls;                   /* cam --class (-1: the predicted one) */
    int all_classes;               /* cam --all-classes */
    const char *save_input;        /* predict --save-input: the model's input as a PNG */
    const char *confusion_png;     /* eval --confusion-png */
    int x_epoch;                   /* --x epoch (else time) */
    int panels_val;                /* --panels val (else all) */
    const char *title;             /* --title */
    int32_t width, height;
    /* sweep: its SPEC is inputs[0] */
    const char *sweep_dir; /* --dir: the runs and results.csv (NULL: from SPEC's name) */
    const char *plot_key;  /* --plot KEY: draw the results against KEY instead of running */
    const char *metric;    /* --metric: the CSV column drawn */
    int dry_run;           /* --dry-run: list the runs, run nothing */
} cli_opts;

/* Parses argv[1..argc-1] (argv[0] is the command's name) for cmd. FFCNN_EINVAL with a one-line
 * message naming the flag. Arguments that are not flags are errors, except plot's METRICS files
 * (o->inputs). With --help anywhere, returns FFCNN_OK with o->help set. */
int parse_args(enum cli_command cmd, int argc, char **argv, cli_opts *o, char *err);
/* The command's flags, one per line with its default (from ffcnn_config_default and the
 * parser's own defaults), after `header` (usage and description lines). */
void print_flags_help(FILE *f, enum cli_command cmd, const char *header);
/* Whether cmd takes the flag `name` ("--lr"): 0 if so, with *config (it sets the network or
 * schedule, refused by --resume) and *takes_value; -1 if not. */
int flag_lookup(enum cli_command cmd, const char *name, int *config, int *takes_value);
/* "train", "bench", "eval", "info", "plot", "predict", "cam", "labels", "sweep". */
const char *command_name(enum cli_command cmd);

int default_threads(void);
/* goodness | linear | both (| none when allow_none) into enum ffcnn_eval_mode (0 = none). */
int parse_mode(const char *flag, const char *text, int allow_none, int *mode, char *err);
/* auto | im2col | fft, or a comma-separated list of them (one per conv layer), into enum
 * ffcnn_conv_path values; *n = how many. */
int parse_conv(const char *text, int *paths, int *n, char *err);

#endif
