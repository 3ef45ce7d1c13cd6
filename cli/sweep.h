/* ffcnn sweep's pieces that do not run anything: the spec file (a grid of train settings), the
 * runs it expands to, and the results table (results.csv). Separate from cmd_sweep.c so that
 * tests and the fuzzer can drive them alone.
 *
 * A spec is text, one setting a line: `KEY = VALUE...`, KEY a flag of ffcnn train without its
 * dashes (`label-k`, `seed`, `net`), a flag of ffcnn eval (`eval-limit`: for the test
 * evaluation), or `test`; '#' starts a comment. Values are separated by
 * spaces, or by '|' when the line has one (`net = c16k5 c16k5 | c32k5 p2 c64k5`). A key with
 * several values is an axis of the grid; the runs are every combination, the last key varying
 * fastest. `test = yes` also evaluates every model on the test split (reported, never chosen
 * on). */
#ifndef FFCNN_CLI_SWEEP_H
#define FFCNN_CLI_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "ffcnn.h"

#define SWEEP_MAX_KEYS 16
#define SWEEP_MAX_VALUES 64
#define SWEEP_MAX_RUNS 4096
#define SWEEP_TEXT 128

typedef struct sweep_key {
    char name[64];                             /* "label-k" */
    char values[SWEEP_MAX_VALUES][SWEEP_TEXT]; /* in the spec's order */
    int n_values;
    int line; /* where the spec sets it */
} sweep_key;

typedef struct sweep_spec {
    sweep_key keys[SWEEP_MAX_KEYS]; /* the train settings, in the spec's order */
    int n_keys;
    int test; /* test = yes */
    long n_runs;
} sweep_spec;

/* Reads a spec from text (path names it in errors: "SPEC:LINE: ..."). Checks the syntax, that
 * every key is a train (or eval) flag that takes a value and may be swept (not --out, --resume,
 * --json,
 * --final-eval, --help), given once, and the grid's size. */
int sweep_parse(sweep_spec *s, const char *text, const char *path, char *err);

/* Run r (0 .. n_runs-1): the index of each key's value. */
void sweep_run_values(const sweep_spec *s, long r, int *value_index);
/* The run's id: "r" and 12 hex digits of a hash of its settings (by key name, so the order of
 * the spec's lines does not matter); files DIR/ID.ffm and DIR/ID.log belong to it. */
void sweep_run_id(const sweep_spec *s, const int *value_index, char id[16]);

/* results.csv: a header line, then one row per finished run. */
enum sweep_metric {
    SWEEP_VAL_GOODNESS,
    SWEEP_VAL_LINEAR,
    SWEEP_TEST_GOODNESS,
    SWEEP_TEST_LINEAR,
    SWEEP_N_METRICS
};
extern const char *const sweep_metric_names[SWEEP_N_METRICS];

typedef struct sweep_row {
    char id[16];
    char values[SWEEP_MAX_KEYS][SWEEP_TEXT]; /* the spec's keys, in its order */
    char status[SWEEP_TEXT];                 /* "ok", or what went wrong */
    double metric[SWEEP_N_METRICS];          /* -1: not measured */
    int epochs;
    double train_seconds, images_per_s; /* -1: unknown */
} sweep_row;

/* The header line (with its '\n') for the spec. */
void sweep_csv_header(const sweep_spec *s, char *buf, size_t cap);
/* A row as a CSV line (with its '\n'), fields quoted where they need it. */
void sweep_csv_row(const sweep_spec *s, const sweep_row *row, char *buf, size_t cap);
/* Reads results.csv text: its header must be the spec's. *rows (malloc'd, caller frees) and *n.
 * An error names path and line. */
int sweep_csv_read(const sweep_spec *s, const char *text, const char *path, sweep_row **rows,
                   int *n, char *err);

#endif
