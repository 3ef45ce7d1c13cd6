/* ffcnn plot: the validation accuracy of training runs, read from their metrics files
 * (MODEL.metrics.jsonl, see metrics.h), against training time or epoch, into a PNG. */
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
    "Draws the validation accuracy (linear head) of training runs against training time or\n"
    "epoch into a PNG: one line per METRICS file (MODEL" METRICS_SUFFIX ", which ffcnn train\n"
    "writes beside its model), named in the legend by the file's name and algorithm. Lines\n"
    "whose val_acc_linear is null (no validation set) are skipped.\n";

typedef struct run_series {
    plot_point *points;
    int n, cap;
    char name[256];
} run_series;

/* The legend's name of a run: the file's name without its folder and METRICS_SUFFIX. */
static void run_name(const char *path, const char *algo, char *buf, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    size_t n = strlen(base);
    const size_t suffix = strlen(METRICS_SUFFIX);
    if (n > suffix && !strcmp(base + n - suffix, METRICS_SUFFIX)) n -= suffix;
    if (n > 200) n = 200;
    if (algo[0])
        snprintf(buf, cap, "%.*s [%s]", (int)n, base, algo);
    else
        snprintf(buf, cap, "%.*s", (int)n, base);
}

/* Reads a metrics file into r: FFCNN_OK, or an error naming the file (and line). */
static int read_run(const char *path, int x_epoch, run_series *r, char *err) {
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
            if (m.val_acc < 0) continue; /* no validation set */
            if (r->n == r->cap) {
                const int grown_cap = r->cap ? 2 * r->cap : 64;
                plot_point *grown = realloc(r->points, (size_t)grown_cap * sizeof *grown);
                if (!grown) {
                    snprintf(err, FFCNN_ERR_LEN, "%s: out of memory", path);
                    rc = FFCNN_ENOMEM;
                    break;
                }
                r->points = grown, r->cap = grown_cap;
            }
            r->points[r->n].x = x_epoch ? m.epoch : m.train_seconds;
            r->points[r->n++].y = m.val_acc;
        }
    }
    if (!rc && ferror(f)) {
        snprintf(err, FFCNN_ERR_LEN, "%s: cannot read (%s)", path, strerror(errno));
        rc = FFCNN_EIO;
    }
    fclose(f);
    free(line);
    if (!rc && r->n == 0) {
        snprintf(err, FFCNN_ERR_LEN, "%s: no plottable point (%s)", path,
                 lines ? "val_acc_linear is null on every line: trained without a validation set"
                       : "the file is empty");
        rc = FFCNN_EINVAL;
    }
    run_name(path, algo, r->name, sizeof r->name);
    return rc;
}

int cmd_plot(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_PLOT, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_PLOT, USAGE), 0;
    run_series runs[CLI_MAX_INPUTS];
    plot_series series[CLI_MAX_INPUTS];
    memset(runs, 0, sizeof runs);
    int points = 0;
    double y_min = 1;
    for (int i = 0; !rc && i < o.n_inputs; i++) {
        rc = read_run(o.inputs[i], o.x_epoch, &runs[i], err);
        series[i] = (plot_series){runs[i].name, runs[i].points, runs[i].n};
        points += runs[i].n;
        for (int k = 0; k < runs[i].n; k++)
            if (runs[i].points[k].y < y_min) y_min = runs[i].points[k].y;
    }
    if (!rc) {
        /* From 1 % under the lowest point, on a whole percent, to 100 %. */
        y_min = floor((y_min - 0.01) * 100 + 1e-9) / 100;
        const plot_spec spec = {
            .title = o.title,
            .x_title = o.x_epoch ? "epoch" : "training time (s)",
            .y_title = "validation accuracy (linear)",
            .width = o.width,
            .height = o.height,
            .y_min = y_min < 0 ? 0 : y_min,
            .y_max = 1,
            .y_percent = 1,
            .x_integer = o.x_epoch,
        };
        char why[PLOT_ERR_LEN];
        if (plot_png(o.out, &spec, series, o.n_inputs, why)) {
            snprintf(err, FFCNN_ERR_LEN, "--out %.500s", why);
            rc = FFCNN_EIO;
        }
    }
    for (int i = 0; i < o.n_inputs; i++) free(runs[i].points);
    if (rc) return fail(err, rc);
    printf("plot written to %s (%d run%s, %d point%s)\n", o.out, o.n_inputs, plural(o.n_inputs),
           points, plural(points));
    return 0;
}
