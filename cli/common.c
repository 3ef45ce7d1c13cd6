#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int exit_code(int rc) {
    return rc == FFCNN_ENOMEM || rc == FFCNN_ENUMERIC ? 1 : EXIT_BAD_INPUT;
}

int fail(const char *err, int rc) {
    fprintf(stderr, "ffcnn: %s\n", err);
    return exit_code(rc);
}

const char *plural(long n) {
    return n == 1 ? "" : "s";
}

const char *label_set_name(int kind) {
    return kind == FFCNN_LABEL_ONEHOT         ? "onehot"
           : kind == FFCNN_LABEL_FOURIER2     ? "2"
           : kind == FFCNN_LABEL_FOURIER_AUTO ? "fourier"
           : kind == FFCNN_LABEL_MORPH        ? "morph"
                                              : "1";
}

void cli_class_list(const ffcnn_net *net, char *buf, size_t cap) {
    const int K = ffcnn_net_config(net)->classes, shown = K < 10 ? K : 10;
    size_t off = 0;
    buf[0] = '\0';
    for (int k = 0; k < shown && ffcnn_net_class_name(net, k) && off < cap; k++) {
        const int n =
            snprintf(buf + off, cap - off, "%s%s", k ? ", " : "", ffcnn_net_class_name(net, k));
        off += n > 0 ? (size_t)n : 0;
    }
    if (buf[0] && K > shown && off < cap) snprintf(buf + off, cap - off, ", …");
}

void cli_class_text(const ffcnn_net *net, int k, char *buf, size_t cap) {
    const char *name = ffcnn_net_class_name(net, k);
    if (name)
        snprintf(buf, cap, "%d (%s)", k, name);
    else
        snprintf(buf, cap, "%d", k);
}

void trained_layers(const ffcnn_config *c, char *buf, size_t cap) {
    const int last = ffcnn_config_conv_layers(c);
    if (c->train_from >= last)
        snprintf(buf, cap, "layer %d trained", last);
    else
        snprintf(buf, cap, "layers %d..%d trained", (int)c->train_from, last);
}

int apply_conv(ffcnn_net *net, const int *conv, int conv_n, char *err) {
    enum ffcnn_conv_path paths[FFCNN_MAX_LAYERS] = {FFCNN_CONV_AUTO};
    for (int i = 0; i < conv_n; i++) paths[i] = (enum ffcnn_conv_path)conv[i];
    return ffcnn_net_set_conv_paths(net, paths, conv_n ? conv_n : 1, err);
}

void print_paths(const ffcnn_net *net) {
    const int L = ffcnn_config_conv_layers(ffcnn_net_config(net));
    fprintf(stderr, "convolution:");
    for (int l = 0; l < L; l++) {
        double ti, tf;
        fprintf(stderr, " layer %d %s", l + 1, ffcnn_net_layer_conv_path(net, l));
        if (ffcnn_net_layer_conv_timing(net, l, &ti, &tf) == 0)
            fprintf(stderr, " (im2col %.1f ms, fft %.1f ms)", ti * 1e3, tf * 1e3);
        fputs(l + 1 < L ? "," : "", stderr);
    }
    fprintf(stderr, "; kernels %s\nrepeat with: --conv ", ffcnn_kernels());
    for (int l = 0; l < L; l++)
        fprintf(stderr, "%s%s", ffcnn_net_layer_conv_path(net, l), l + 1 < L ? "," : "\n");
}

/* ---- JSON ---- */

void json_string(FILE *f, const char *s) {
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void json_begin(const char *command) {
    fputs("{\"command\":", stdout);
    json_string(stdout, command);
}

void json_key(const char *key) {
    fputc(',', stdout);
    json_string(stdout, key);
    fputc(':', stdout);
}

void json_str(const char *key, const char *value) {
    json_key(key);
    json_string(stdout, value);
}

void json_int(const char *key, long long v) {
    json_key(key);
    printf("%lld", v);
}

void json_fnum(FILE *f, double v, int digits) {
    if (isfinite(v))
        fprintf(f, "%.*g", digits, v);
    else
        fputs("null", f);
}

void json_num(const char *key, double v) {
    json_key(key);
    json_fnum(stdout, v, 6);
}

void json_opt_num(const char *key, double v) {
    json_num(key, v < 0 ? NAN : v);
}

void json_end(void) {
    fputs("}\n", stdout);
}

void add_data_hint(const char *data_name, const char *data_dir, int rc, char *err) {
    if (rc != FFCNN_EIO || !strcmp(data_name, "folder")) return; /* a folder: its error says it */
    const size_t len = strlen(err);
    const char *root = getenv("FFCNN_DATA");
    char mnist_default[4096];
    snprintf(mnist_default, sizeof mnist_default, "%s/mnist", root && *root ? root : "data");
    if (!strncmp(data_name, "cifar10", 7) && strcmp(data_name, "cifar10-jpeg"))
        snprintf(err + len, FFCNN_ERR_LEN - len,
                 "; --data %s:DIR names the folder of the official binary files (plain or .gz); "
                 "neither Debian nor npm ships CIFAR, so ffcnn cannot fetch it",
                 data_name);
    else if (!strcmp(data_name, "cifar10-jpeg"))
        snprintf(err + len, FFCNN_ERR_LEN - len,
                 "; the CIFAR-10 JPEG copy is a folder of class folders (docs/datasets.md): give "
                 "--data cifar10-jpeg:DIR or folder:DIR");
    else if (!strcmp(data_name, "fashion"))
        snprintf(err + len, FFCNN_ERR_LEN - len,
                 "; Fashion-MNIST comes from Debian's dataset-fashion-mnist (bash "
                 "scripts/setup.sh), or give --data fashion:DIR");
    else if (strcmp(data_dir, mnist_default) != 0)
        snprintf(err + len, FFCNN_ERR_LEN - len,
                 "; --data mnist:DIR names the folder of the IDX files (plain or .gz)");
    else
        snprintf(err + len, FFCNN_ERR_LEN - len,
                 "; MNIST is read from %s (bash scripts/setup.sh puts it in the repository's "
                 "data/mnist): run from the repository, set $FFCNN_DATA to its data folder, or "
                 "give --data mnist:DIR",
                 root && *root ? "$FFCNN_DATA/mnist" : "data/mnist under the current folder");
}
