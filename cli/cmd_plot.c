/* ffcnn plot: training curves of runs, read from their metrics files (MODEL.metrics.jsonl, see
 * metrics.h), into a PNG: FF loss and discrimination accuracy per layer against epoch, and an
 * accuracy (--metric: the validation accuracy, or the test split's where it was recorded) against
 * training time or epoch. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "metrics.h"
#include "options.h"
#include "plot.h"

static const char USAGE[] =
    "usage: ffcnn plot METRICS... --out FILE.png [options]\n"
    "Draws the training curves of runs into a PNG, from their metrics files (MODEL" METRICS_SUFFIX
    ",\n"
    "which ffcnn train writes beside its model). With --panels all, three panels: the FF loss\n"
    "(layer_loss) and the discrimination accuracy (layer_disc_acc) of each conv layer against\n"
    "epoch, side by side above the validation accuracy (linear head) against --x (all three in\n"
    "one row when --width is at least twice --height). A run's lines have its colour in every\n"
    "panel; in the layer panels the dash pattern and marker tell the layer: layer 1 solid with\n"
    "circles, 2 dashed with squares, 3 dotted with triangles, 4 dash-dot with diamonds, 5 fine\n"
    "dashes with circles, and so on. Runs without layer metrics (BP) are in the validation panel\n"
    "only; when no run has any, the figure is that panel alone, as with --panels val. Legends\n"
    "name the runs by file name and algorithm (\"a [ff]\", \"a [ff] layer 2\"); null values\n"
    "(untrained layers, no validation set) are skipped. With --metric test_goodness or\n"
    "test_linear, the validation panel draws the test split's accuracy instead (by goodness\n"
    "inference or by the linear head; for reporting only), from the lines that have it: the\n"
    "epochs that ffcnn train --eval-test-every N evaluated. Every file must have at least one.\n";

/* --metric: the accuracy drawn, where the metrics file has it, and how the figure names it. */
enum metric { M_VAL_LINEAR, M_TEST_GOODNESS, M_TEST_LINEAR };
static const struct metric_def {
    const char *name, *field, *panel_title, *y_title;
} METRICS[] = {
    {"val_linear", "val_acc_linear", "validation accuracy (linear head)", "validation accuracy"},
    {"test_goodness", "test_acc_goodness", "test accuracy (goodness inference), reporting only",
     "test accuracy (goodness inference)"},
    {"test_linear", "test_acc_linear", "test accuracy (linear head), reporting only",
     "test accuracy (linear head)"},
};

/* The metric that options.c accepted for plot (val_linear when none was given). */
static enum metric metric_of(const cli_opts *o) {
    for (int k = 0; k < (int)(sizeof METRICS / sizeof *METRICS); k++)
        if (o->metric && !strcmp(o->metric, METRICS[k].name)) return (enum metric)k;
    return M_VAL_LINEAR;
}

typedef struct curve {
    plot_point *p;
    int n, cap;
} curve;

typedef struct run {
    char name[256], layer_name[FFCNN_MAX_LAYERS][280];
    curve acc, loss[FFCNN_MAX_LAYERS], disc[FFCNN_MAX_LAYERS]; /* acc: --metric's */
} run;

enum what { ACC, LOSS, DISC };

static int curve_add(curve *c, double x, double y) {
    if (c->n == c->cap) {
        const int grown_cap = c->cap ? 2 * c->cap : 64;
        plot_point *grown = realloc(c->p, (size_t)grown_cap * sizeof *grown);
        if (!grown) return -1;
        c->p = grown, c->cap = grown_cap;
    }
    c->p[c->n++] = (plot_point){x, y};
    return 0;
}

static void run_free(run *r) {
    free(r->acc.p);
    for (int l = 0; l < FFCNN_MAX_LAYERS; l++) free(r->loss[l].p), free(r->disc[l].p);
}

static int layer_points(const run *r) {
    int n = 0;
    for (int l = 0; l < FFCNN_MAX_LAYERS; l++) n += r->loss[l].n + r->disc[l].n;
    return n;
}

/* The legend's names of a run: the file's name without its folder and METRICS_SUFFIX. */
static void run_names(const char *path, const char *algo, run *r) {
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    size_t n = strlen(base);
    const size_t suffix = strlen(METRICS_SUFFIX);
    if (n > suffix && !strcmp(base + n - suffix, METRICS_SUFFIX)) n -= suffix;
    if (n > 200) n = 200;
    if (algo[0])
        snprintf(r->name, sizeof r->name, "%.*s [%s]", (int)n, base, algo);
    else
        snprintf(r->name, sizeof r->name, "%.*s", (int)n, base);
    for (int l = 0; l < FFCNN_MAX_LAYERS; l++)
        snprintf(r->layer_name[l], sizeof r->layer_name[l], "%s layer %d", r->name, l + 1);
}

/* One line's points into r: 0, or -1 out of memory. */
static int add_line(run *r, const metrics_line *m, enum metric metric, int x_epoch) {
    const double acc = metric == M_TEST_GOODNESS ? m->test_goodness
                       : metric == M_TEST_LINEAR ? m->test_linear
                                                 : m->val_acc;
    int rc = 0;
    if (acc >= 0) rc |= curve_add(&r->acc, x_epoch ? m->epoch : m->train_seconds, acc);
    for (int l = 0; l < m->layers; l++) {
        if (m->layer_loss[l] >= 0) rc |= curve_add(&r->loss[l], m->epoch, m->layer_loss[l]);
        if (m->layer_disc_acc[l] >= 0) rc |= curve_add(&r->disc[l], m->epoch, m->layer_disc_acc[l]);
    }
    return rc;
}

/* Reads a metrics file into r (its layer metrics too unless val_only): FFCNN_OK, or an error
 * naming the file (and line). A file with no line of a test metric is not refused here: plot
 * names all such files at once. */
static int read_run(const char *path, enum metric metric, int x_epoch, int val_only, run *r,
                    char *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, FFCNN_ERR_LEN, "%s: cannot open (%s)", path, strerror(errno));
        return FFCNN_EIO;
    }
    char *line = NULL, why[160], algo[16] = "";
    size_t cap = 0;
    ssize_t len;
    int rc = FFCNN_OK, lines = 0;
    while (!rc && (len = getline(&line, &cap, f)) > 0) {
        lines++;
        if (line[len - 1] == '\n') line[--len] = '\0';
        metrics_line m;
        if (strlen(line) != (size_t)len) {
            snprintf(err, FFCNN_ERR_LEN, "%s line %d: not text", path, lines);
            rc = FFCNN_EINVAL;
        } else if (metrics_parse(line, &m, why, sizeof why)) {
            snprintf(err, FFCNN_ERR_LEN, "%s line %d: %s", path, lines, why);
            rc = FFCNN_EINVAL;
        } else {
            if (!algo[0]) snprintf(algo, sizeof algo, "%s", m.algo);
            if (val_only) m.layers = 0;
            if (add_line(r, &m, metric, x_epoch)) {
                snprintf(err, FFCNN_ERR_LEN, "%s: out of memory", path);
                rc = FFCNN_ENOMEM;
            }
        }
    }
    if (!rc && ferror(f)) {
        snprintf(err, FFCNN_ERR_LEN, "%s: cannot read (%s)", path, strerror(errno));
        rc = FFCNN_EIO;
    }
    fclose(f);
    free(line);
    if (!rc && (metric == M_VAL_LINEAR || !lines) && r->acc.n == 0 && layer_points(r) == 0) {
        snprintf(err, FFCNN_ERR_LEN, "%s: no plottable point (%s)", path,
                 !lines ? "the file is empty"
                 : val_only
                     ? "val_acc_linear is null on every line: trained without a validation set"
                     : "val_acc_linear is null on every line and there are no layer metrics");
        rc = FFCNN_EINVAL;
    }
    run_names(path, algo, r);
    return rc;
}

/* A panel's series, one per run (ACC) or per run and layer, in that order; each with points. */
static int collect(const run *runs, int n_runs, enum what what, plot_series *out) {
    int k = 0;
    for (int i = 0; i < n_runs; i++) {
        if (what == ACC && runs[i].acc.n)
            out[k++] = (plot_series){runs[i].name, runs[i].acc.p, runs[i].acc.n, i, 0, NULL};
        for (int l = 0; what != ACC && l < FFCNN_MAX_LAYERS; l++) {
            const curve *c = what == LOSS ? &runs[i].loss[l] : &runs[i].disc[l];
            if (c->n) out[k++] = (plot_series){runs[i].layer_name[l], c->p, c->n, i, l, NULL};
        }
    }
    return k;
}

/* A test metric: every file has a point of it, else an error naming those that have none (as
 * many as fit in the line, then how many more). */
static int check_test_metric(const cli_opts *o, enum metric metric, const run *runs, char *err) {
    char names[320] = "";
    size_t len = 0;
    int missing = 0, listed = 0;
    for (int i = 0; i < o->n_inputs; i++) {
        if (runs[i].acc.n) continue;
        missing++;
        const size_t n = strlen(o->inputs[i]);
        if (!listed || len + n + 2 < sizeof names - 16) { /* the first, cut to fit if need be */
            const int w =
                snprintf(names + len, sizeof names - len, "%s%s", listed ? ", " : "", o->inputs[i]);
            len = w > 0 && len + (size_t)w < sizeof names ? len + (size_t)w : sizeof names - 1;
            listed++;
        }
    }
    if (!missing) return FFCNN_OK;
    char more[32] = "";
    if (missing > listed)
        snprintf(more, sizeof more, "%s%d more file%s", listed ? " and " : "", missing - listed,
                 plural(missing - listed));
    const struct metric_def *m = &METRICS[metric];
    snprintf(err, FFCNN_ERR_LEN,
             "%s%s: no line has %s (--metric %s); ffcnn train --eval-test-every N records it",
             names, more, m->field, m->name);
    return FFCNN_EINVAL;
}

/* The image's size: as given, else 4:3 from the side given, else 800 (1200 for three panels)
 * wide. */
static void image_size(const cli_opts *o, int panels, int *w, int *h) {
    *w = o->width, *h = o->height;
    if (!*w && !*h) *w = panels > 1 ? 1200 : 800;
    if (!*w) *w = *h * 4 / 3 < 4000 ? *h * 4 / 3 : 4000;
    if (!*h) *h = *w * 3 / 4 > 200 ? *w * 3 / 4 : 200;
}

static int draw(const cli_opts *o, const run *runs, plot_series *series, char *err) {
    const int n = o->n_inputs;
    const enum metric which = metric_of(o);
    const struct metric_def *metric = &METRICS[which];
    plot_series *loss = series + n, *disc = loss + n * FFCNN_MAX_LAYERS;
    const int n_val = collect(runs, n, ACC, series);
    const int n_loss = o->panels_val ? 0 : collect(runs, n, LOSS, loss);
    const int n_disc = o->panels_val ? 0 : collect(runs, n, DISC, disc);
    /* accuracy: from 1 % under the lowest point, on a whole percent, to 100 % */
    double y_min = n_val ? 1 : 0;
    for (int i = 0; i < n_val; i++)
        for (int k = 0; k < series[i].n; k++)
            if (series[i].points[k].y < y_min) y_min = series[i].points[k].y;
    y_min = floor((y_min - 0.01) * 100 + 1e-9) / 100;
    plot_panel panels[3] = {
        {.title = metric->panel_title,
         .x_title = o->x_epoch ? "epoch" : "training time (s)",
         .y_title = metric->y_title,
         .series = series,
         .n_series = n_val,
         .y_min = y_min < 0 ? 0 : y_min,
         .y_max = 1,
         .y_percent = 1,
         .x_integer = o->x_epoch},
        {.title = "FF loss per layer",
         .x_title = "epoch",
         .y_title = "loss",
         .series = loss,
         .n_series = n_loss,
         .y_min = 0,
         .y_max = INFINITY,
         .y_auto = 1,
         .x_integer = 1},
        {.title = "discrimination accuracy per layer",
         .x_title = "epoch",
         .y_title = "accuracy, positive vs negative",
         .series = disc,
         .n_series = n_disc,
         .y_min = 0,
         .y_max = 1,
         .y_auto = 1,
         .y_percent = 1,
         .x_integer = 1},
    };
    const int n_panels = n_loss || n_disc ? 3 : 1;
    int w, h;
    image_size(o, n_panels, &w, &h);
    const char *title = o->title                ? o->title
                        : n_panels > 1          ? "training curves"
                        : which == M_VAL_LINEAR ? "validation accuracy"
                                                : metric->panel_title;
    /* Where the panels lie (left, top, width, height): accuracy alone, or loss and
     * discrimination side by side with accuracy below them or, in a wide image, right. */
    static const double ALONE[4] = {0, 0, 1, 1};
    static const double GRID[3][4] = {{0, 0.5, 1, 0.5}, {0, 0, 0.5, 0.5}, {0.5, 0, 0.5, 0.5}};
    static const double ROW[3][4] = {
        {2 / 3.0, 0, 1 / 3.0, 1}, {0, 0, 1 / 3.0, 1}, {1 / 3.0, 0, 1 / 3.0, 1}};
    for (int i = 0; i < n_panels; i++) {
        const double *at = n_panels == 1 ? ALONE : w >= 2 * h ? ROW[i] : GRID[i];
        panels[i].left = at[0], panels[i].top = at[1], panels[i].width = at[2];
        panels[i].height = at[3];
    }
    if (n_panels == 1) panels[0].title = NULL; /* the figure's title says it */
    char why[PLOT_ERR_LEN];
    if (!plot_png(o->out, title, w, h, panels, n_panels, why)) return FFCNN_OK;
    snprintf(err, FFCNN_ERR_LEN, "--out %.500s", why);
    return FFCNN_EIO;
}

int cmd_plot(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_PLOT, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_PLOT, USAGE), 0;
    run *runs = calloc((size_t)o.n_inputs, sizeof *runs);
    /* the validation series, then the loss and the discrimination series of every layer */
    plot_series *series = calloc((size_t)o.n_inputs * (1 + 2 * FFCNN_MAX_LAYERS), sizeof *series);
    if (!runs || !series) {
        snprintf(err, FFCNN_ERR_LEN, "out of memory");
        rc = FFCNN_ENOMEM;
    }
    const enum metric metric = metric_of(&o);
    int points = 0;
    for (int i = 0; !rc && i < o.n_inputs; i++) {
        rc = read_run(o.inputs[i], metric, o.x_epoch, o.panels_val, &runs[i], err);
        points += runs[i].acc.n;
    }
    if (!rc && metric != M_VAL_LINEAR) rc = check_test_metric(&o, metric, runs, err);
    if (!rc) rc = draw(&o, runs, series, err);
    for (int i = 0; runs && i < o.n_inputs; i++) run_free(&runs[i]);
    free(runs);
    free(series);
    if (rc) return fail(err, rc);
    printf("plot written to %s (%d run%s, %d point%s)\n", o.out, o.n_inputs, plural(o.n_inputs),
           points, plural(points));
    return 0;
}
