#include "metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int metrics_path(const char *model, char *buf, size_t cap) {
    const int n = snprintf(buf, cap, "%s%s", model, METRICS_SUFFIX);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- writing ---- */

static void key(FILE *f, const char *k, int first) {
    if (!first) fputc(',', f);
    json_string(f, k);
    fputc(':', f);
}

/* A statistic the library reports as negative when it was not measured: null then. */
static void stat_num(FILE *f, const char *k, double v) {
    key(f, k, 0);
    json_fnum(f, v < 0 ? NAN : v, 6);
}

static void stat_array(FILE *f, const char *k, const double *v, int n) {
    key(f, k, 0);
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', f);
        json_fnum(f, v[i] < 0 ? NAN : v[i], 6);
    }
    fputc(']', f);
}

void metrics_write(FILE *f, const ffcnn_config *c, const ffcnn_epoch_stats *st,
                   double train_seconds, const ffcnn_eval_result *test) {
    char net[256];
    ffcnn_config_format_net(c, net, sizeof net);
    fputc('{', f);
    key(f, "epoch", 1);
    fprintf(f, "%d", (int)st->epoch + 1);
    key(f, "algo", 0);
    json_string(f, ffcnn_algo_name(c->algo));
    key(f, "net", 0);
    json_string(f, net);
    key(f, "lr", 0);
    json_fnum(f, st->lr, 6);
    key(f, "seconds", 0);
    json_fnum(f, st->seconds, 9);
    key(f, "train_seconds", 0);
    json_fnum(f, train_seconds, 9);
    stat_num(f, "images_per_s", st->images_per_s);
    const int layers = c->algo == FFCNN_ALGO_BP ? 0 : st->layers;
    stat_array(f, "layer_loss", st->loss, layers);
    stat_array(f, "layer_disc_acc", st->disc_acc, layers);
    stat_num(f, "classifier_loss", st->classifier_loss);
    stat_num(f, "classifier_acc", st->classifier_acc);
    stat_num(f, "val_acc_linear", st->val_acc_linear);
    if (test) {
        stat_num(f, "test_acc_goodness", test->accuracy_goodness);
        stat_num(f, "test_acc_linear", test->accuracy_linear);
    }
    fputs("}\n", f);
}

/* ---- reading: a strict JSON scanner for one line ---- */

enum { MAX_DEPTH = 16 };

static void skip_ws(const char **p) {
    while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n') (*p)++;
}

/* A string at *p (escapes checked, not decoded): its raw text in [*s, *s + *n). */
static int scan_string(const char **p, const char **s, size_t *n) {
    if (**p != '"') return -1;
    const char *q = *p + 1;
    for (; *q != '"'; q++) {
        if (*q == '\0' || (unsigned char)*q < 0x20) return -1;
        if (*q != '\\') continue;
        q++;
        if (*q == 'u') {
            for (int i = 1; i <= 4; i++)
                if (!isxdigit((unsigned char)q[i])) return -1;
            q += 4;
        } else if (*q == '\0' || !strchr("\"\\/bfnrt", *q)) {
            return -1;
        }
    }
    *s = *p + 1;
    *n = (size_t)(q - *s);
    *p = q + 1;
    return 0;
}

/* A number in JSON's characters (strtod alone would take "inf", "0x1p3", " 1"). */
static int scan_number(const char **p, double *v) {
    const char *q = *p;
    if (*q != '-' && !isdigit((unsigned char)*q)) return -1;
    char *end = NULL;
    const double x = strtod(q, &end);
    if (end == q || !isfinite(x)) return -1;
    for (const char *r = q; r < end; r++)
        if (!strchr("0123456789+-.eE", *r)) return -1;
    *v = x;
    *p = end;
    return 0;
}

static int scan_literal(const char **p, const char *word) {
    const size_t n = strlen(word);
    if (strncmp(*p, word, n) != 0) return -1;
    *p += n;
    return 0;
}

static int scan_value(const char **p, int depth);

/* An array or object at *p ('[' or '{'), members checked. */
static int scan_container(const char **p, int depth) {
    const char close = **p == '[' ? ']' : '}';
    if (depth >= MAX_DEPTH) return -1;
    (*p)++;
    skip_ws(p);
    if (**p == close) return (*p)++, 0;
    for (;;) {
        const char *s;
        size_t n;
        skip_ws(p);
        if (close == '}') {
            if (scan_string(p, &s, &n)) return -1;
            skip_ws(p);
            if (**p != ':') return -1;
            (*p)++;
        }
        if (scan_value(p, depth + 1)) return -1;
        skip_ws(p);
        if (**p == close) return (*p)++, 0;
        if (**p != ',') return -1;
        (*p)++;
    }
}

static int scan_value(const char **p, int depth) {
    const char *s;
    size_t n;
    double v;
    skip_ws(p);
    switch (**p) {
    case '"':
        return scan_string(p, &s, &n);
    case '{':
    case '[':
        return scan_container(p, depth);
    case 't':
        return scan_literal(p, "true");
    case 'f':
        return scan_literal(p, "false");
    case 'n':
        return scan_literal(p, "null");
    default:
        return scan_number(p, &v);
    }
}

static int not_json(char *why, size_t cap) {
    snprintf(why, cap, "not a JSON object");
    return -1;
}

static int key_is(const char *s, size_t n, const char *name) {
    return n == strlen(name) && !strncmp(s, name, n);
}

/* A number, or null where nullable: 0 for a number, 1 for null (*v = -1), -1 with why. */
static int scan_field(const char **p, const char *name, int nullable, double *v, char *why,
                      size_t cap) {
    if (nullable && !scan_literal(p, "null")) return *v = -1, 1;
    if (!scan_number(p, v)) return 0;
    snprintf(why, cap, "\"%s\" is not a number%s", name, nullable ? " or null" : "");
    return -1;
}

/* v in [0, hi] (hi = INFINITY: v >= 0), else -1 with why naming the field (and its entry). */
static int check_range(const char *name, int entry, double v, double hi, char *why, size_t cap) {
    if (v >= 0 && v <= hi) return 0;
    char at[32] = "";
    if (entry) snprintf(at, sizeof at, " entry %d:", entry);
    if (isinf(hi))
        snprintf(why, cap, "\"%s\"%s %g is negative", name, at, v);
    else
        snprintf(why, cap, "\"%s\"%s %g is not in [0, %g]", name, at, v, hi);
    return -1;
}

/* A per-layer array: null, or [] of at most FFCNN_MAX_LAYERS numbers in [0, hi] or nulls (-1). */
static int scan_layers(const char **p, const char *name, double hi, double *v, int *n, char *why,
                       size_t cap) {
    *n = 0;
    if (!scan_literal(p, "null")) return 0;
    if (**p != '[') goto bad;
    (*p)++;
    skip_ws(p);
    if (**p == ']') return (*p)++, 0;
    for (;;) {
        if (*n == FFCNN_MAX_LAYERS)
            return snprintf(why, cap, "\"%s\" has more than %d entries", name, FFCNN_MAX_LAYERS),
                   -1;
        skip_ws(p);
        const int r = scan_field(p, name, 1, &v[*n], why, cap);
        if (r < 0) goto bad;
        if (!r && check_range(name, *n + 1, v[*n], hi, why, cap)) return -1;
        ++*n;
        skip_ws(p);
        if (**p == ']') return (*p)++, 0;
        if (**p != ',') goto bad;
        (*p)++;
    }
bad:
    snprintf(why, cap, "\"%s\" is not an array of numbers or nulls", name);
    return -1;
}

int metrics_parse(const char *line, metrics_line *m, char *why, size_t cap) {
    enum { EPOCH = 1, SECONDS = 2, VAL = 4, LOSS = 8, DISC = 16 };
    const char *p = line;
    unsigned seen = 0;
    int n_loss = 0, n_disc = 0;
    memset(m, 0, sizeof *m);
    m->val_acc = m->classifier_loss = m->test_goodness = m->test_linear = -1;
    for (int l = 0; l < FFCNN_MAX_LAYERS; l++) m->layer_loss[l] = m->layer_disc_acc[l] = -1;
    skip_ws(&p);
    if (*p != '{') return not_json(why, cap);
    p++;
    skip_ws(&p);
    for (int empty = *p == '}'; !empty;) {
        const char *k, *s;
        size_t kn, n;
        if (scan_string(&p, &k, &kn)) return not_json(why, cap);
        skip_ws(&p);
        if (*p != ':') return not_json(why, cap);
        p++;
        skip_ws(&p);
        int r = 0;
        if (key_is(k, kn, "epoch")) {
            r = scan_field(&p, "epoch", 0, &m->epoch, why, cap);
            if (!r && (m->epoch < 1 || m->epoch != floor(m->epoch))) {
                snprintf(why, cap, "\"epoch\" %g is not an epoch number", m->epoch);
                r = -1;
            }
            seen |= EPOCH;
        } else if (key_is(k, kn, "train_seconds")) {
            r = scan_field(&p, "train_seconds", 0, &m->train_seconds, why, cap);
            if (!r) r = check_range("train_seconds", 0, m->train_seconds, INFINITY, why, cap);
            seen |= SECONDS;
        } else if (key_is(k, kn, "val_acc_linear")) {
            r = scan_field(&p, "val_acc_linear", 1, &m->val_acc, why, cap);
            if (!r) r = check_range("val_acc_linear", 0, m->val_acc, 1, why, cap);
            seen |= VAL;
        } else if (key_is(k, kn, "classifier_loss")) {
            r = scan_field(&p, "classifier_loss", 1, &m->classifier_loss, why, cap);
            if (!r) r = check_range("classifier_loss", 0, m->classifier_loss, INFINITY, why, cap);
        } else if (key_is(k, kn, "test_acc_goodness")) {
            r = scan_field(&p, "test_acc_goodness", 1, &m->test_goodness, why, cap);
            if (!r) r = check_range("test_acc_goodness", 0, m->test_goodness, 1, why, cap);
        } else if (key_is(k, kn, "test_acc_linear")) {
            r = scan_field(&p, "test_acc_linear", 1, &m->test_linear, why, cap);
            if (!r) r = check_range("test_acc_linear", 0, m->test_linear, 1, why, cap);
        } else if (key_is(k, kn, "layer_loss")) {
            r = scan_layers(&p, "layer_loss", INFINITY, m->layer_loss, &n_loss, why, cap);
            seen |= LOSS;
        } else if (key_is(k, kn, "layer_disc_acc")) {
            r = scan_layers(&p, "layer_disc_acc", 1, m->layer_disc_acc, &n_disc, why, cap);
            seen |= DISC;
        } else if (key_is(k, kn, "algo") && *p == '"') {
            if (scan_string(&p, &s, &n)) return not_json(why, cap);
            snprintf(m->algo, sizeof m->algo, "%.*s", (int)(n < 15 ? n : 15), s);
        } else if (scan_value(&p, 1)) {
            return not_json(why, cap);
        }
        if (r < 0) return -1;
        skip_ws(&p);
        if (*p == '}') break;
        if (*p != ',') return not_json(why, cap);
        p++;
        skip_ws(&p);
    }
    p++;
    skip_ws(&p);
    if (*p != '\0') return snprintf(why, cap, "text after the JSON object"), -1;
    static const char *const names[] = {"epoch", "train_seconds", "val_acc_linear"};
    for (int i = 0; i < 3; i++)
        if (!(seen & (1u << i))) return snprintf(why, cap, "no \"%s\"", names[i]), -1;
    if ((seen & LOSS) && (seen & DISC) && n_loss != n_disc)
        return snprintf(why, cap, "\"layer_loss\" has %d entries, \"layer_disc_acc\" %d", n_loss,
                        n_disc),
               -1;
    m->layers = n_loss > n_disc ? n_loss : n_disc;
    return 0;
}
