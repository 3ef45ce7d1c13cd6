/* ffcnn sweep SPEC: runs every combination of a grid of train settings (sweep.h), each as its
 * own `ffcnn train` process, and appends one row per finished run to DIR/results.csv. A run
 * already in the table is not run again; a run stopped half-way (Ctrl-C, a reboot) goes on from
 * its last checkpoint with `train --resume`. With --plot it draws the table instead. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "metrics.h"
#include "options.h"
#include "plot.h"
#include "sweep.h"

extern char **environ;

static const char USAGE[] =
    "usage: ffcnn sweep SPEC [--dir DIR] [--dry-run]\n"
    "       ffcnn sweep SPEC --plot KEY --out FILE.png [--metric M]\n"
    "Trains one model per combination of the settings in SPEC (one `KEY = VALUE...` a line, KEY\n"
    "a flag of ffcnn train or eval without its dashes; several values make an axis of the\n"
    "grid; `eval-limit` bounds the test evaluation;\n"
    "`test = yes` also evaluates each model on the test split, for reporting only) and appends\n"
    "one row per run to DIR/results.csv: its settings, the validation accuracy by goodness and\n"
    "by the linear head, the test accuracies when asked, epochs, training seconds, images/s.\n"
    "Stopped and started again, it skips the finished runs and resumes the stopped one from its\n"
    "checkpoint. docs/sweep.md has the details.\n";

#define SWEEP_MAX_ARGS (2 * SWEEP_MAX_KEYS + 16)

static volatile sig_atomic_t stop_signal;
static volatile pid_t child_pid;

/* SIGINT / SIGTERM: pass it to the running train (which saves its model), stop after it. */
static void on_signal(int sig) {
    stop_signal = sig;
    if (child_pid > 0) kill(child_pid, sig);
}

static void catch_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The whole file as text (at most max bytes): NULL with err set when it cannot be read;
 * *missing is set when it does not exist. */
static char *read_text(const char *path, size_t max, int *missing, char *err) {
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        snprintf(err, FFCNN_ERR_LEN, "%.300s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    const int bad = !buf || ferror(f);
    fclose(f);
    if (bad || n > max || memchr(buf, '\0', n)) {
        snprintf(err, FFCNN_ERR_LEN, "%.300s: %s", path,
                 !buf      ? "out of memory"
                 : bad     ? "cannot read"
                 : n > max ? "too large"
                           : "not text");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* A number field of one of our JSON lines: -1 when absent or null. */
static double json_number(const char *line, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *at = strstr(line, pat);
    if (!at) return -1;
    char *end;
    const double v = strtod(at + strlen(pat), &end);
    return end == at + strlen(pat) ? -1 : v;
}

/* The last line of text that starts with prefix (copied into buf), or the last non-empty line
 * when prefix is NULL; 0 if found. */
static int last_line(const char *text, const char *prefix, char *buf, size_t cap) {
    const char *found = NULL, *end = NULL;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        const char *e = nl ? nl : l + strlen(l);
        const char *cr = memchr(l, '\r', (size_t)(e - l)); /* progress lines redraw with \r */
        const char *start = l;
        while (cr && cr < e) start = cr + 1, cr = memchr(start, '\r', (size_t)(e - start));
        if (e > start && (!prefix || !strncmp(start, prefix, strlen(prefix))))
            found = start, end = e;
        l = nl ? nl + 1 : e;
    }
    if (!found) return -1;
    snprintf(buf, cap, "%.*s", (int)(end - found), found);
    return 0;
}

typedef struct sweep_ctx {
    const cli_opts *o;
    const sweep_spec *spec;
    char dir[2048], csv[2100];
} sweep_ctx;

/* The run's value of key `name`, or NULL when the spec does not set it. */
static const char *run_value(const sweep_spec *s, const int *vi, const char *name) {
    for (int k = 0; k < s->n_keys; k++)
        if (!strcmp(s->keys[k].name, name)) return s->keys[k].values[vi[k]];
    return NULL;
}

/* argv for one command: exe cmd, the run's settings that cmd takes (with only_runtime: those
 * that do not set the network or schedule), then extra (NULL-terminated). */
static int build_args(const sweep_spec *s, const int *vi, enum cli_command cmd, int only_runtime,
                      const char *const *extra, char flags[][80], char **argv) {
    int n = 0;
    argv[n++] = "/proc/self/exe";
    argv[n++] = (char *)command_name(cmd);
    for (int k = 0; k < s->n_keys; k++) {
        int config, takes_value;
        snprintf(flags[k], 80, "--%s", s->keys[k].name);
        if (flag_lookup(cmd, flags[k], &config, &takes_value) || (only_runtime && config)) continue;
        argv[n++] = flags[k];
        argv[n++] = (char *)s->keys[k].values[vi[k]];
    }
    while (*extra) argv[n++] = (char *)*extra++;
    argv[n] = NULL;
    return n;
}

/* Runs argv with stdout and stderr appended to log; its wait status, or -1 (err set). */
static int spawn_logged(char **argv, const char *log, char *err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    const int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        snprintf(err, FFCNN_ERR_LEN, "cannot start %s %s (%s)", argv[0], argv[1], strerror(rc));
        return -1;
    }
    child_pid = pid;
    if (stop_signal) kill(pid, stop_signal); /* a signal that came just before the start */
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, FFCNN_ERR_LEN, "waiting for %s: %s", argv[1], strerror(errno));
            child_pid = 0;
            return -1;
        }
    child_pid = 0;
    return status;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* What went wrong in a run, from its log's last line. */
static void log_reason(const char *log, int status, char *buf, size_t cap) {
    char why[FFCNN_ERR_LEN] = "", line[FFCNN_ERR_LEN] = "";
    int missing;
    char *text = read_text(log, 64u << 20, &missing, why);
    if (text && !last_line(text, NULL, line, sizeof line)) snprintf(why, sizeof why, "%s", line);
    free(text);
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit %d: %s", WEXITSTATUS(status), why);
    else
        snprintf(buf, cap, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The last JSON line that `ffcnn command` wrote into the run's log. */
static int result_line(const char *log, const char *command, char *line, size_t cap, char *err) {
    int missing;
    char *text = read_text(log, 64u << 20, &missing, err), prefix[64];
    if (!text) return FFCNN_EIO;
    snprintf(prefix, sizeof prefix, "{\"command\":\"%s\"", command);
    const int found = !last_line(text, prefix, line, cap);
    free(text);
    if (found) return FFCNN_OK;
    snprintf(err, FFCNN_ERR_LEN, "%.300s: no result line from ffcnn %s", log, command);
    return FFCNN_EINVAL;
}

/* The training figures of a finished run: epochs and seconds from the model's metrics file
 * (all its runs added up), the validation accuracies and images/s from train's JSON. */
static int read_train_result(const char *log, const char *model, sweep_row *row, char *err) {
    char line[4096];
    int rc = result_line(log, "train", line, sizeof line, err), missing;
    if (rc) return rc;
    row->metric[SWEEP_VAL_GOODNESS] = json_number(line, "accuracy_goodness");
    row->metric[SWEEP_VAL_LINEAR] = json_number(line, "accuracy_linear");
    row->images_per_s = json_number(line, "images_per_s");
    row->epochs = (int)json_number(line, "epochs");
    char metrics[4200];
    row->train_seconds = -1;
    if (metrics_path(model, metrics, sizeof metrics)) return FFCNN_OK;
    char *text = read_text(metrics, 256u << 20, &missing, err);
    metrics_line m;
    char why[160];
    if (text && !last_line(text, "{", line, sizeof line) &&
        !metrics_parse(line, &m, why, sizeof why))
        row->train_seconds = m.train_seconds;
    free(text);
    return FFCNN_OK;
}

static int read_test_result(const char *log, sweep_row *row, char *err) {
    char line[4096];
    const int rc = result_line(log, "eval", line, sizeof line, err);
    if (rc) return rc;
    row->metric[SWEEP_TEST_GOODNESS] = json_number(line, "accuracy_goodness");
    row->metric[SWEEP_TEST_LINEAR] = json_number(line, "accuracy_linear");
    return FFCNN_OK;
}

static int append_row(const sweep_ctx *c, const sweep_row *row, char *err) {
    char *buf = malloc(1 << 16);
    if (!buf) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    sweep_csv_row(c->spec, row, buf, 1 << 16);
    FILE *f = fopen(c->csv, "ab");
    const int bad = !f || fputs(buf, f) < 0 || fflush(f) || fsync(fileno(f));
    if (f && fclose(f)) f = NULL;
    free(buf);
    if (bad || !f) {
        snprintf(err, FFCNN_ERR_LEN, "%.300s: cannot append a row (%s)", c->csv, strerror(errno));
        return FFCNN_EIO;
    }
    return FFCNN_OK;
}

static void describe_run(const sweep_spec *s, const int *vi, char *buf, size_t cap) {
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < s->n_keys && at < cap; k++)
        if (s->keys[k].n_values > 1)
            at += (size_t)snprintf(buf + at, cap - at, "%s%s=%s", at ? " " : "", s->keys[k].name,
                                   s->keys[k].values[vi[k]]);
    if (!buf[0]) snprintf(buf, cap, "the one setting");
}

static void print_result(const sweep_row *row) {
    char t[64] = "";
    if (row->metric[SWEEP_TEST_GOODNESS] >= 0 || row->metric[SWEEP_TEST_LINEAR] >= 0)
        snprintf(t, sizeof t, "; test %.2f %% / %.2f %%", 100 * row->metric[SWEEP_TEST_GOODNESS],
                 100 * row->metric[SWEEP_TEST_LINEAR]);
    printf("  validation: goodness %.2f %%, linear %.2f %%%s; %d epoch%s, %.1f s\n",
           100 * row->metric[SWEEP_VAL_GOODNESS], 100 * row->metric[SWEEP_VAL_LINEAR], t,
           row->epochs, plural(row->epochs), row->train_seconds);
    fflush(stdout);
}

/* One run: train (or resume) it, evaluate it on the test split when asked, append its row.
 * FFCNN_EINTERRUPTED when a signal stopped it. */
static int one_run(const sweep_ctx *c, const int *vi, sweep_row *row, char *err) {
    const sweep_spec *s = c->spec;
    char model[2200], log[2200], flags[SWEEP_MAX_KEYS][80];
    snprintf(model, sizeof model, "%s/%s.ffm", c->dir, row->id);
    snprintf(log, sizeof log, "%s/%s.log", c->dir, row->id);
    const char *algo = run_value(s, vi, "algo");
    const char *final = algo && !strcmp(algo, "bp") ? "linear" : "both";
    const int resume = file_exists(model);
    const char *fresh_extra[] = {"--out", model, "--json", "--final-eval", final, NULL};
    const char *resume_extra[] = {"--resume", model, "--json", "--final-eval", final, NULL};
    char *argv[SWEEP_MAX_ARGS];
    build_args(s, vi, CMD_TRAIN, resume, resume ? resume_extra : fresh_extra, flags, argv);
    int status = spawn_logged(argv, log, err);
    if (status < 0) return FFCNN_EIO;
    if (stop_signal) return FFCNN_EINTERRUPTED;
    if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_BAD_INPUT) {
        char why[FFCNN_ERR_LEN];
        log_reason(log, status, why, sizeof why);
        snprintf(err, FFCNN_ERR_LEN, "run %s: %.300s (log %.150s)", row->id, why, log);
        return FFCNN_EINVAL;
    }
    snprintf(row->status, sizeof row->status, "ok");
    int rc = FFCNN_OK;
    if (status != 0) {
        log_reason(log, status, row->status, sizeof row->status);
        for (char *p = row->status; *p; p++) /* one CSV field, one line */
            if (*p == '\n' || *p == '\r') *p = ' ';
    } else {
        rc = read_train_result(log, model, row, err);
    }
    if (!rc && status == 0 && s->test) {
        const char *mode = algo && !strcmp(algo, "bp") ? "linear" : "both";
        const char *extra[] = {"--model", model, "--split", "test", "--mode", mode, "--json", NULL};
        build_args(s, vi, CMD_EVAL, 1, extra, flags, argv);
        status = spawn_logged(argv, log, err);
        if (status < 0) return FFCNN_EIO;
        if (stop_signal) return FFCNN_EINTERRUPTED;
        if (status != 0) {
            char why[FFCNN_ERR_LEN];
            log_reason(log, status, why, sizeof why);
            snprintf(err, FFCNN_ERR_LEN, "run %s: the test evaluation failed: %.400s", row->id,
                     why);
            return FFCNN_EINVAL;
        }
        rc = read_test_result(log, row, err);
    }
    return rc ? rc : append_row(c, row, err);
}

/* Every run's train arguments parse, before anything runs. */
static int check_runs(const sweep_spec *s, const char *spec_path, char *err) {
    int vi[SWEEP_MAX_KEYS];
    char flags[SWEEP_MAX_KEYS][80], *argv[SWEEP_MAX_ARGS];
    const char *extra[] = {NULL};
    cli_opts *o = malloc(sizeof *o);
    if (!o) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    int rc = FFCNN_OK;
    for (long r = 0; !rc && r < s->n_runs; r++) {
        sweep_run_values(s, r, vi);
        const int argc = build_args(s, vi, CMD_TRAIN, 0, extra, flags, argv);
        char why[FFCNN_ERR_LEN];
        if ((rc = parse_args(CMD_TRAIN, argc - 1, argv + 1, o, why))) {
            snprintf(err, FFCNN_ERR_LEN, "%.200s: %.300s", spec_path, why);
            break;
        }
        const char *eval_extra[] = {"--model", "model.ffm", NULL};
        const int eargc = build_args(s, vi, CMD_EVAL, 1, eval_extra, flags, argv);
        if ((rc = parse_args(CMD_EVAL, eargc - 1, argv + 1, o, why)))
            snprintf(err, FFCNN_ERR_LEN, "%.200s: %.300s", spec_path, why);
    }
    free(o);
    return rc;
}

static int row_index(const sweep_row *rows, int n, const char *id) {
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].id, id)) return i;
    return -1;
}

/* results.csv's rows, or none (then it is created with its header). */
static int load_rows(const sweep_ctx *c, sweep_row **rows, int *n, int create, char *err) {
    int missing;
    char *text = read_text(c->csv, 256u << 20, &missing, err);
    if (!text && !missing) return FFCNN_EIO;
    if (text && *text) {
        const int rc = sweep_csv_read(c->spec, text, c->csv, rows, n, err);
        free(text);
        return rc;
    }
    free(text);
    *rows = NULL, *n = 0;
    if (!create) {
        snprintf(err, FFCNN_ERR_LEN,
                 "%.300s: no results yet (run ffcnn sweep without --plot first)", c->csv);
        return FFCNN_EIO;
    }
    char header[8192];
    sweep_csv_header(c->spec, header, sizeof header);
    FILE *f = fopen(c->csv, "wb");
    if (!f || fputs(header, f) < 0 || fclose(f)) {
        snprintf(err, FFCNN_ERR_LEN, "%.300s: cannot write (%s)", c->csv, strerror(errno));
        return FFCNN_EIO;
    }
    return FFCNN_OK;
}

static int run_all(const sweep_ctx *c, char *err) {
    const sweep_spec *s = c->spec;
    if (!c->o->dry_run && mkdir(c->dir, 0777) && errno != EEXIST) {
        snprintf(err, FFCNN_ERR_LEN, "%.300s: cannot create the folder (%s)", c->dir,
                 strerror(errno));
        return FFCNN_EIO;
    }
    sweep_row *rows = NULL, *row = calloc(1, sizeof *row);
    int n_rows = 0, rc = row ? load_rows(c, &rows, &n_rows, !c->o->dry_run, err) : FFCNN_ENOMEM;
    if (rc == FFCNN_EIO && c->o->dry_run && !file_exists(c->csv)) rc = FFCNN_OK;
    long done = 0, ran = 0;
    int vi[SWEEP_MAX_KEYS];
    char what[1024], model[2200];
    catch_stop_signals();
    for (long r = 0; !rc && r < s->n_runs; r++) {
        memset(row, 0, sizeof *row);
        for (int m = 0; m < SWEEP_N_METRICS; m++) row->metric[m] = -1;
        row->train_seconds = row->images_per_s = -1;
        sweep_run_values(s, r, vi);
        sweep_run_id(s, vi, row->id);
        for (int k = 0; k < s->n_keys; k++)
            snprintf(row->values[k], SWEEP_TEXT, "%s", s->keys[k].values[vi[k]]);
        describe_run(s, vi, what, sizeof what);
        snprintf(model, sizeof model, "%s/%s.ffm", c->dir, row->id);
        const int finished = row_index(rows, n_rows, row->id) >= 0;
        done += finished;
        if (c->o->dry_run) {
            printf("%s  %-8s %s\n", row->id,
                   finished             ? "done"
                   : file_exists(model) ? "started"
                                        : "to run",
                   what);
            continue;
        }
        if (finished) continue;
        printf("sweep: run %ld/%ld %s (%s)%s; log %s/%s.log\n", r + 1, s->n_runs, row->id, what,
               file_exists(model) ? ", resumed" : "", c->dir, row->id);
        fflush(stdout);
        rc = one_run(c, vi, row, err);
        if (!rc) {
            ran++, done++;
            if (!strcmp(row->status, "ok"))
                print_result(row);
            else
                printf("  failed (%s); recorded, and not run again\n", row->status);
        }
    }
    if (rc == FFCNN_EINTERRUPTED)
        snprintf(
            err, FFCNN_ERR_LEN,
            "stopped (%s); the finished runs are in %.200s, and the stopped one's checkpoint is "
            "kept: run the same command again to go on",
            stop_signal == SIGINT ? "SIGINT" : "SIGTERM", c->csv);
    else if (!rc)
        printf("sweep: %ld of %ld runs done (%ld in this call%s); results in %s\n", done, s->n_runs,
               ran, c->o->dry_run ? ", a dry run" : "", c->csv);
    free(rows);
    free(row);
    return rc;
}

/* ---- --plot ---- */

typedef struct plot_data {
    int kx;                             /* the plotted key */
    int numeric;                        /* its values are numbers (else categories 1..n) */
    int group[SWEEP_MAX_KEYS], n_group; /* the other axes but seed: one line per combination */
} plot_data;

/* x of value v of the plotted key: the number, or its 1-based position among the spec's. */
static double x_of(const sweep_spec *s, const plot_data *p, const char *v) {
    if (p->numeric) return strtod(v, NULL);
    for (int i = 0; i < s->keys[p->kx].n_values; i++)
        if (!strcmp(s->keys[p->kx].values[i], v)) return i + 1;
    return NAN;
}

/* Numbers, and within a factor 100 of each other (else a linear axis hides the small ones). */
static int numeric_values(const sweep_key *k) {
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < k->n_values; i++) {
        char *end;
        const double v = strtod(k->values[i], &end);
        if (*end || !isfinite(v)) return 0;
        lo = fmin(lo, v), hi = fmax(hi, v);
    }
    return lo >= 0 && (lo == 0 ? hi <= 100 : hi / lo <= 100);
}

/* Each line's points: the mean over the rows (seeds) at each x, with their standard deviation. */
static int build_series(const sweep_spec *s, const plot_data *p, const sweep_row *rows, int n,
                        int metric, plot_series *series, plot_point *points, double *errs,
                        char (*names)[512], int *n_series) {
    const int nx = s->keys[p->kx].n_values;
    int *line_of = malloc((size_t)n * sizeof *line_of + 1);
    int lines = 0;
    if (!line_of) return *n_series = 0, 0;
    for (int i = 0; i < n; i++) {
        line_of[i] = -1;
        if (strcmp(rows[i].status, "ok") || rows[i].metric[metric] < 0) continue;
        for (int j = 0; j < i && line_of[i] < 0; j++) {
            int same = line_of[j] >= 0;
            for (int g = 0; same && g < p->n_group; g++)
                same = !strcmp(rows[i].values[p->group[g]], rows[j].values[p->group[g]]);
            if (same) line_of[i] = line_of[j];
        }
        if (line_of[i] >= 0) continue;
        line_of[i] = lines++;
        size_t at = 0;
        names[line_of[i]][0] = '\0';
        for (int g = 0; g < p->n_group && at < 512; g++)
            at += (size_t)snprintf(names[line_of[i]] + at, 512 - at, "%s%s=%s", g ? ", " : "",
                                   s->keys[p->group[g]].name, rows[i].values[p->group[g]]);
        if (!names[line_of[i]][0]) snprintf(names[line_of[i]], 512, "all runs");
    }
    for (int l = 0; l < lines; l++) {
        plot_series *ser = &series[l];
        *ser = (plot_series){.name = names[l],
                             .points = points + (size_t)l * nx,
                             .color = l,
                             .style = l,
                             .y_err = errs + (size_t)l * nx};
        for (int xi = 0; xi < nx; xi++) {
            const double x = x_of(s, p, s->keys[p->kx].values[xi]);
            double sum = 0, sq = 0;
            int m = 0;
            for (int i = 0; i < n; i++)
                if (line_of[i] == l && x_of(s, p, rows[i].values[p->kx]) == x)
                    sum += rows[i].metric[metric],
                        sq += rows[i].metric[metric] * rows[i].metric[metric], m++;
            if (!m) continue;
            const double mean = sum / m, var = m > 1 ? (sq - m * mean * mean) / (m - 1) : 0;
            points[(size_t)l * nx + ser->n] = (plot_point){x, mean};
            errs[(size_t)l * nx + ser->n] = var > 0 ? sqrt(var) : 0;
            ser->n++;
        }
        /* numeric x in increasing order */
        for (int a = 1; p->numeric && a < ser->n; a++)
            for (int b = a;
                 b > 0 && points[(size_t)l * nx + b - 1].x > points[(size_t)l * nx + b].x; b--) {
                plot_point t = points[(size_t)l * nx + b];
                points[(size_t)l * nx + b] = points[(size_t)l * nx + b - 1];
                points[(size_t)l * nx + b - 1] = t;
                double e = errs[(size_t)l * nx + b];
                errs[(size_t)l * nx + b] = errs[(size_t)l * nx + b - 1];
                errs[(size_t)l * nx + b - 1] = e;
            }
    }
    free(line_of);
    *n_series = lines;
    return lines;
}

/* Drops the rows of runs that are not in the spec's grid (from an earlier version of it). */
static int keep_grid_rows(const sweep_spec *s, sweep_row *rows, int n) {
    int vi[SWEEP_MAX_KEYS], kept = 0;
    char id[16];
    for (int i = 0; i < n; i++) {
        int in_grid = 0;
        for (long r = 0; r < s->n_runs && !in_grid; r++) {
            sweep_run_values(s, r, vi);
            sweep_run_id(s, vi, id);
            in_grid = !strcmp(id, rows[i].id);
        }
        if (in_grid) rows[kept++] = rows[i];
    }
    return kept;
}

static int plot_sweep(const sweep_ctx *c, const char *spec_path, char *err) {
    const sweep_spec *s = c->spec;
    const cli_opts *o = c->o;
    plot_data p = {.kx = -1};
    for (int k = 0; k < s->n_keys; k++)
        if (!strcmp(s->keys[k].name, o->plot_key)) p.kx = k;
    if (p.kx < 0) {
        snprintf(err, FFCNN_ERR_LEN, "--plot %.100s: not a key of %.200s", o->plot_key, spec_path);
        return FFCNN_EINVAL;
    }
    for (int k = 0; k < s->n_keys; k++)
        if (k != p.kx && s->keys[k].n_values > 1 && strcmp(s->keys[k].name, "seed"))
            p.group[p.n_group++] = k;
    p.numeric = numeric_values(&s->keys[p.kx]);
    int metric = 0;
    while (strcmp(sweep_metric_names[metric], o->metric)) metric++;
    sweep_row *rows = NULL;
    int n = 0, rc = load_rows(c, &rows, &n, 0, err);
    if (rc) return rc;
    n = keep_grid_rows(s, rows, n);
    const int nx = s->keys[p.kx].n_values;
    plot_series *series = calloc((size_t)n + 1, sizeof *series);
    plot_point *points = calloc((size_t)(n + 1) * nx, sizeof *points);
    double *errs = calloc((size_t)(n + 1) * nx, sizeof *errs);
    char(*names)[512] = calloc((size_t)n + 1, sizeof *names);
    const char *x_names[SWEEP_MAX_VALUES];
    for (int i = 0; i < nx; i++) x_names[i] = s->keys[p.kx].values[i];
    int n_series = 0;
    if (!series || !points || !errs || !names)
        rc = FFCNN_ENOMEM, snprintf(err, FFCNN_ERR_LEN, "out of memory");
    else if (!build_series(s, &p, rows, n, metric, series, points, errs, names, &n_series))
        rc = FFCNN_EINVAL,
        snprintf(err, FFCNN_ERR_LEN, "%.300s: no finished run has %s", c->csv, o->metric);
    if (!rc) {
        static const char *const Y[] = {"validation accuracy (goodness)",
                                        "validation accuracy (linear head)",
                                        "test accuracy (goodness)", "test accuracy (linear head)"};
        char title[600];
        snprintf(title, sizeof title, "%s against %s (%s)", o->metric, o->plot_key, spec_path);
        plot_panel panel = {.x_title = o->plot_key,
                            .y_title = Y[metric],
                            .series = series,
                            .n_series = n_series,
                            .y_min = 0,
                            .y_max = 1,
                            .y_auto = 1,
                            .y_percent = 1,
                            .x_names = p.numeric ? NULL : x_names,
                            .n_x_names = p.numeric ? 0 : nx,
                            .width = 1,
                            .height = 1};
        const int h = o->height ? o->height : o->width ? o->width * 3 / 4 : 720;
        const int w = o->width ? o->width : h * 4 / 3;
        char why[PLOT_ERR_LEN];
        if (plot_png(o->out, o->title ? o->title : title, w, h, &panel, 1, why))
            rc = FFCNN_EIO, snprintf(err, FFCNN_ERR_LEN, "--out %.500s", why);
        else
            printf("plot written to %s (%d line%s from %d rows of %s)\n", o->out, n_series,
                   plural(n_series), n, c->csv);
    }
    free(series), free(points), free(errs), free(names), free(rows);
    return rc;
}

int cmd_sweep(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts *o = calloc(1, sizeof *o);
    sweep_spec *spec = calloc(1, sizeof *spec);
    if (!o || !spec) return free(o), free(spec), fail("out of memory", FFCNN_ENOMEM);
    int rc = parse_args(CMD_SWEEP, argc, argv, o, err), missing;
    if (!rc && o->help) {
        print_flags_help(stdout, CMD_SWEEP, USAGE);
        return free(o), free(spec), 0;
    }
    char *text = rc ? NULL : read_text(o->inputs[0], 1u << 20, &missing, err);
    if (!rc && !text) rc = FFCNN_EIO;
    if (!rc) rc = sweep_parse(spec, text, o->inputs[0], err);
    free(text);
    if (!rc) rc = check_runs(spec, o->inputs[0], err);
    sweep_ctx c = {.o = o, .spec = spec};
    if (!rc && o->sweep_dir) {
        snprintf(c.dir, sizeof c.dir, "%s", o->sweep_dir);
    } else if (!rc) { /* SPEC without its extension, and .runs */
        const char *slash = strrchr(o->inputs[0], '/'), *dot = strrchr(o->inputs[0], '.');
        const int len = dot && dot > (slash ? slash : o->inputs[0]) ? (int)(dot - o->inputs[0])
                                                                    : (int)strlen(o->inputs[0]);
        snprintf(c.dir, sizeof c.dir, "%.*s.runs", len < 2000 ? len : 2000, o->inputs[0]);
    }
    snprintf(c.csv, sizeof c.csv, "%s/results.csv", c.dir);
    if (!rc) rc = o->plot_key ? plot_sweep(&c, o->inputs[0], err) : run_all(&c, err);
    const int status = rc == FFCNN_EINTERRUPTED
                           ? (fprintf(stderr, "ffcnn sweep: %s\n", err), 128 + (int)stop_signal)
                       : rc ? fail(err, rc)
                            : 0;
    free(o);
    free(spec);
    return status;
}
