#include "sweep.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

const char *const sweep_metric_names[SWEEP_N_METRICS] = {"val_goodness", "val_linear",
                                                         "test_goodness", "test_linear"};

/* Train flags a spec may not set: the sweep chooses them. */
static const char *const RESERVED[] = {"out", "resume", "json", "final-eval", "help"};

static int spec_error(char *err, const char *path, int line, const char *fmt, ...) {
    char msg[FFCNN_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, FFCNN_ERR_LEN, "%.200s:%d: %.290s", path, line, msg);
    return FFCNN_EINVAL;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

/* The key's name: a train flag that takes a value (or "test"), not reserved, not repeated. */
static int check_key(const sweep_spec *s, const char *name, const char *path, int line, char *err) {
    if (!*name) return spec_error(err, path, line, "no key before '='");
    for (size_t k = 0; k < sizeof RESERVED / sizeof *RESERVED; k++)
        if (!strcmp(name, RESERVED[k]))
            return spec_error(err, path, line, "%s: set by the sweep itself, not by a spec", name);
    for (int k = 0; k < s->n_keys; k++)
        if (!strcmp(s->keys[k].name, name))
            return spec_error(err, path, line, "%s: given twice (first on line %d)", name,
                              s->keys[k].line);
    if (!strcmp(name, "test")) return FFCNN_OK;
    char flag[80];
    int config, takes_value;
    snprintf(flag, sizeof flag, "--%s", name);
    if (strlen(name) > 60 || (flag_lookup(CMD_TRAIN, flag, &config, &takes_value) &&
                              flag_lookup(CMD_EVAL, flag, &config, &takes_value)))
        return spec_error(err, path, line, "'%.60s' is not a flag of ffcnn train or eval", name);
    if (!takes_value) return spec_error(err, path, line, "%s: a switch, it takes no value", name);
    return FFCNN_OK;
}

/* Splits the values: on '|' when there is one, else on white space. */
static int split_values(sweep_key *key, char *text, const char *path, int line, char *err) {
    const int bars = strchr(text, '|') != NULL;
    text = trim(text);
    for (char *v = text, *next; *text && v; v = next) {
        if (bars) { /* every piece between bars is a value: an empty one is an error */
            next = strchr(v, '|');
            if (next) *next++ = '\0';
        } else { /* runs of white space separate */
            next = v + strcspn(v, " \t");
            if (*next)
                *next++ = '\0';
            else
                next = NULL;
            while (next && (*next == ' ' || *next == '\t')) next++;
        }
        v = trim(v);
        if (!*v) return spec_error(err, path, line, "%s: an empty value", key->name);
        if (key->n_values == SWEEP_MAX_VALUES)
            return spec_error(err, path, line, "%s: more than %d values", key->name,
                              SWEEP_MAX_VALUES);
        if (strlen(v) >= SWEEP_TEXT)
            return spec_error(err, path, line, "%s: a value longer than %d characters", key->name,
                              SWEEP_TEXT - 1);
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 32 || *c == '"' || *c == ',')
                return spec_error(err, path, line,
                                  "%s: a value with a comma, a quote or a control character",
                                  key->name);
        for (int k = 0; k < key->n_values; k++)
            if (!strcmp(key->values[k], v))
                return spec_error(err, path, line, "%s: value '%s' given twice", key->name, v);
        snprintf(key->values[key->n_values++], SWEEP_TEXT, "%s", v);
    }
    if (!key->n_values) return spec_error(err, path, line, "%s: no value", key->name);
    return FFCNN_OK;
}

static int parse_line(sweep_spec *s, char *line, const char *path, int n, char *err) {
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    line = trim(line);
    if (!*line) return FFCNN_OK;
    char *eq = strchr(line, '=');
    if (!eq) return spec_error(err, path, n, "expected KEY = VALUE...");
    *eq = '\0';
    char *name = trim(line), *values = eq + 1;
    int rc = check_key(s, name, path, n, err);
    if (rc) return rc;
    if (!strcmp(name, "test")) {
        values = trim(values);
        if (strcmp(values, "yes") && strcmp(values, "no"))
            return spec_error(err, path, n, "test: '%.60s' is not yes or no", values);
        s->test = !strcmp(values, "yes");
        return FFCNN_OK;
    }
    if (s->n_keys == SWEEP_MAX_KEYS)
        return spec_error(err, path, n, "more than %d keys", SWEEP_MAX_KEYS);
    sweep_key *key = &s->keys[s->n_keys];
    memset(key, 0, sizeof *key);
    snprintf(key->name, sizeof key->name, "%s", name);
    key->line = n;
    if ((rc = split_values(key, values, path, n, err))) return rc;
    s->n_keys++;
    return FFCNN_OK;
}

int sweep_parse(sweep_spec *s, const char *text, const char *path, char *err) {
    memset(s, 0, sizeof *s);
    char *copy = strdup(text);
    if (!copy) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    int rc = FFCNN_OK, n = 0;
    for (char *line = copy, *next; line && !rc; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        rc = parse_line(s, line, path, ++n, err);
    }
    free(copy);
    if (rc) return rc;
    s->n_runs = 1;
    for (int k = 0; k < s->n_keys; k++) {
        s->n_runs *= s->keys[k].n_values;
        if (s->n_runs > SWEEP_MAX_RUNS)
            return spec_error(err, path, s->keys[k].line, "the grid has more than %d runs",
                              SWEEP_MAX_RUNS);
    }
    return FFCNN_OK;
}

void sweep_run_values(const sweep_spec *s, long r, int *value_index) {
    for (int k = s->n_keys - 1; k >= 0; k--) {
        value_index[k] = (int)(r % s->keys[k].n_values);
        r /= s->keys[k].n_values;
    }
}

static uint64_t fnv1a(uint64_t h, const char *text) {
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        h = (h ^ *c) * 1099511628211ull;
    return h;
}

void sweep_run_id(const sweep_spec *s, const int *value_index, char id[16]) {
    int order[SWEEP_MAX_KEYS];
    for (int k = 0; k < s->n_keys; k++) order[k] = k;
    for (int i = 1; i < s->n_keys; i++) /* insertion sort by name */
        for (int j = i; j > 0 && strcmp(s->keys[order[j - 1]].name, s->keys[order[j]].name) > 0;
             j--) {
            const int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    uint64_t h = 14695981039346656037ull;
    for (int i = 0; i < s->n_keys; i++) {
        const sweep_key *key = &s->keys[order[i]];
        h = fnv1a(fnv1a(fnv1a(h, key->name), "="), key->values[value_index[order[i]]]);
        h = fnv1a(h, "\n");
    }
    snprintf(id, 16, "r%012llx", (unsigned long long)(h & 0xffffffffffffull));
}

/* ---- results.csv ---- */

static const char *const TAIL[] = {"status",      "val_goodness", "val_linear",    "test_goodness",
                                   "test_linear", "epochs_done",  "train_seconds", "images_per_s"};
#define N_TAIL (sizeof TAIL / sizeof *TAIL)

static size_t add(char *buf, size_t cap, size_t at, const char *fmt, ...) {
    if (at >= cap) return at;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf + at, cap - at, fmt, ap);
    va_end(ap);
    return n < 0 ? at : at + (size_t)n;
}

/* A field: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
static size_t add_field(char *buf, size_t cap, size_t at, const char *v) {
    if (!strpbrk(v, ",\"\n\r")) return add(buf, cap, at, "%s", v);
    at = add(buf, cap, at, "\"");
    for (const char *c = v; *c; c++) at = add(buf, cap, at, *c == '"' ? "\"\"" : "%c", *c);
    return add(buf, cap, at, "\"");
}

void sweep_csv_header(const sweep_spec *s, char *buf, size_t cap) {
    size_t at = add(buf, cap, 0, "run");
    for (int k = 0; k < s->n_keys; k++) at = add(buf, cap, at, ",%s", s->keys[k].name);
    for (size_t k = 0; k < N_TAIL; k++) at = add(buf, cap, at, ",%s", TAIL[k]);
    add(buf, cap, at, "\n");
}

static size_t add_number(char *buf, size_t cap, size_t at, double v, const char *fmt) {
    at = add(buf, cap, at, ",");
    return v < 0 || !isfinite(v) ? at : add(buf, cap, at, fmt, v);
}

void sweep_csv_row(const sweep_spec *s, const sweep_row *row, char *buf, size_t cap) {
    size_t at = add(buf, cap, 0, "%s", row->id);
    for (int k = 0; k < s->n_keys; k++) {
        at = add(buf, cap, at, ",");
        at = add_field(buf, cap, at, row->values[k]);
    }
    at = add(buf, cap, at, ",");
    at = add_field(buf, cap, at, row->status);
    for (int m = 0; m < SWEEP_N_METRICS; m++) at = add_number(buf, cap, at, row->metric[m], "%.4f");
    at = add(buf, cap, at, ",%d", row->epochs);
    at = add_number(buf, cap, at, row->train_seconds, "%.3f");
    at = add_number(buf, cap, at, row->images_per_s, "%.1f");
    add(buf, cap, at, "\n");
}

/* Splits one CSV line into at most max fields (quotes undone) in place; the count, or -1 for a
 * quote left open or a quote inside an unquoted field. */
static int csv_fields(char *line, char **fields, int max) {
    int n = 0;
    char *r = line, *w = line;
    for (;;) {
        if (n == max) return -1;
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (!*r) return -1;
                if (*r == '"' && r[1] == '"')
                    *w++ = '"', r += 2;
                else if (*r == '"')
                    break;
                else
                    *w++ = *r++;
            }
            r++;
            if (*r && *r != ',') return -1;
        } else {
            while (*r && *r != ',') {
                if (*r == '"') return -1;
                *w++ = *r++;
            }
        }
        const int more = *r == ',';
        *w++ = '\0';
        if (!more) return n;
        r++;
    }
}

/* A number field: empty is -1 (not measured); else a finite number >= 0. */
static int csv_number(const char *v, double *out) {
    if (!*v) return *out = -1, 0;
    char *end;
    *out = strtod(v, &end);
    return *end || !isfinite(*out) || *out < 0 ? -1 : 0;
}

static int parse_row(const sweep_spec *s, char **f, int n, sweep_row *row, const char *path,
                     int line, char *err) {
    const int want = 1 + s->n_keys + (int)N_TAIL;
    if (n != want) return spec_error(err, path, line, "%d fields where the header has %d", n, want);
    memset(row, 0, sizeof *row);
    if (strlen(f[0]) != 13 || f[0][0] != 'r' || strspn(f[0] + 1, "0123456789abcdef") != 12)
        return spec_error(err, path, line, "'%.40s' is not a run id", f[0]);
    snprintf(row->id, sizeof row->id, "%s", f[0]);
    for (int k = 0; k < s->n_keys; k++) {
        if (strlen(f[1 + k]) >= SWEEP_TEXT)
            return spec_error(err, path, line, "%s: a value too long", s->keys[k].name);
        snprintf(row->values[k], SWEEP_TEXT, "%s", f[1 + k]);
    }
    char **t = f + 1 + s->n_keys;
    snprintf(row->status, sizeof row->status, "%.*s", SWEEP_TEXT - 1, t[0]);
    double epochs;
    for (int m = 0; m < SWEEP_N_METRICS; m++)
        if (csv_number(t[1 + m], &row->metric[m]) || row->metric[m] > 1)
            return spec_error(err, path, line, "%s: '%.40s' is not an accuracy in [0, 1]",
                              sweep_metric_names[m], t[1 + m]);
    if (csv_number(t[5], &epochs) || epochs != floor(epochs) || epochs > 1e6)
        return spec_error(err, path, line, "epochs_done: '%.40s' is not a count", t[5]);
    row->epochs = (int)epochs;
    if (csv_number(t[6], &row->train_seconds) || csv_number(t[7], &row->images_per_s))
        return spec_error(err, path, line, "train_seconds or images_per_s: not a number");
    return FFCNN_OK;
}

int sweep_csv_read(const sweep_spec *s, const char *text, const char *path, sweep_row **rows,
                   int *n, char *err) {
    *rows = NULL;
    *n = 0;
    char header[8192];
    sweep_csv_header(s, header, sizeof header);
    char *copy = strdup(text);
    if (!copy) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    int rc = FFCNN_OK, line = 0, cap = 0;
    for (char *l = copy, *next; l && *l && !rc; l = next) {
        next = strchr(l, '\n');
        if (next) *next++ = '\0';
        line++;
        if (line == 1) {
            if (strncmp(l, header, strlen(header) - 1) || l[strlen(header) - 1])
                rc = spec_error(err, path, 1,
                                "its columns are not this spec's (a spec with other keys: give "
                                "another --dir, or move the file away)");
            continue;
        }
        char *fields[1 + SWEEP_MAX_KEYS + N_TAIL + 1];
        const int nf = csv_fields(l, fields, (int)(sizeof fields / sizeof *fields));
        if (nf < 0) {
            rc = spec_error(err, path, line, "a malformed CSV line (quotes)");
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            sweep_row *grown = realloc(*rows, (size_t)cap * sizeof **rows);
            if (!grown) {
                rc = FFCNN_ENOMEM, snprintf(err, FFCNN_ERR_LEN, "out of memory");
                break;
            }
            *rows = grown;
        }
        rc = parse_row(s, fields, nf, &(*rows)[*n], path, line, err);
        if (!rc) (*n)++;
    }
    free(copy);
    if (!rc && line == 0) rc = spec_error(err, path, 1, "empty (no header line)");
    if (rc) free(*rows), *rows = NULL, *n = 0;
    return rc;
}
