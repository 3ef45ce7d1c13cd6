/* The per-epoch metrics file beside a model, MODEL.metrics.jsonl: one JSON object per line per
 * finished epoch, written by ffcnn train and read by ffcnn plot. The reader is strict but
 * small: it checks that a line is one JSON object and takes the fields plot needs. */
#ifndef FFCNN_CLI_METRICS_H
#define FFCNN_CLI_METRICS_H

#include <stdio.h>

#include "ffcnn.h"

#define METRICS_SUFFIX ".metrics.jsonl"

/* What plot (and a resumed train) reads from a line. A value that is null (or absent, for the
 * fields that older files lack) reads as -1. */
typedef struct metrics_line {
    double epoch;           /* 1-based */
    double train_seconds;   /* cumulative over the model's runs */
    double val_acc;         /* val_acc_linear */
    double classifier_loss; /* the linear head's cross-entropy */
    /* test_acc_goodness and test_acc_linear: only on the lines of --eval-test-every's epochs */
    double test_goodness, test_linear;
    /* layer_loss and layer_disc_acc, one entry per conv layer (null: an untrained layer); layers
     * is the length of the longer (0: none, as with BP, whose arrays are empty). */
    int layers;
    double layer_loss[FFCNN_MAX_LAYERS], layer_disc_acc[FFCNN_MAX_LAYERS];
    char algo[16]; /* "" when the line has none */
} metrics_line;

/* MODEL + METRICS_SUFFIX into buf; 0, or -1 when it does not fit. */
int metrics_path(const char *model, char *buf, size_t cap);

/* Writes one epoch's line (with its '\n') to f; test (NULL: none) adds the test split's
 * accuracies, test_acc_goodness and test_acc_linear (--eval-test-every, reporting only). */
void metrics_write(FILE *f, const ffcnn_config *c, const ffcnn_epoch_stats *st,
                   double train_seconds, const ffcnn_eval_result *test);

/* Reads one line (without its '\n'): 0, or -1 with the reason in why (no file name). */
int metrics_parse(const char *line, metrics_line *m, char *why, size_t cap);

#endif
