/* Fuzzes the CLI option parser (cli/options.c, cli/args.c):
 *
 *   byte 0   command: 0 train, 1 bench (train plus the bench flags), 2 eval (modulo 3)
 *   rest     the arguments after the command, separated by NUL bytes
 *
 * Each argument gets its own exact-size allocation, so ASan catches a read past its end.
 * Checks: a parse that succeeds leaves a configuration ffcnn_config_validate() accepts and
 * settings inside their documented ranges; one that fails leaves a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ffcnn.h"
#include "fuzz_util.h"
#include "options.h"

#define MAX_ARGS 128

static void check_err(const char *err) {
    FZ_CHECK(err[0] != '\0' && memchr(err, '\0', FFCNN_ERR_LEN) != NULL);
}

static void check_data(const char *dir, size_t cap, const char *name) {
    FZ_CHECK(memchr(dir, '\0', cap) != NULL && dir[0] != '\0');
    FZ_CHECK(name && (!strcmp(name, "mnist") || !strcmp(name, "fashion")));
}

static void fuzz_train(int argc, char **argv, int bench) {
    train_opts o;
    char err[FFCNN_ERR_LEN], why[FFCNN_ERR_LEN];
    err[0] = '\0';
    const int rc = parse_train_args(argc, argv, &o, bench, err);
    fz_report("parse_train_args", rc, err);
    const int valid = ffcnn_config_validate(&o.cfg, why);
    if (rc != FFCNN_OK) {
        FZ_CHECK(rc == FFCNN_EINVAL);
        check_err(err);
        return;
    }
    FZ_CHECK(valid == FFCNN_OK);
    check_data(o.data_dir, sizeof o.data_dir, o.data_name);
    FZ_CHECK(o.out != NULL);
    FZ_CHECK(o.threads >= 1 && o.threads <= 1024);
    FZ_CHECK(o.final_mode >= 0 && o.final_mode <= FFCNN_EVAL_BOTH);
    FZ_CHECK(o.conv_n >= 0 && o.conv_n <= FFCNN_MAX_LAYERS);
    for (int i = 0; i < o.conv_n; i++)
        FZ_CHECK(o.conv[i] >= FFCNN_CONV_AUTO && o.conv[i] <= FFCNN_CONV_FFT);
    FZ_CHECK(o.train_limit >= 0 && o.val_limit >= -1);
    FZ_CHECK(o.json == 0 || o.json == 1);
    FZ_CHECK(o.bench == bench);
    FZ_CHECK(o.steps >= 1 && o.warmup >= 0 && o.infer_images >= 1);
    if (!bench) FZ_CHECK(o.steps == 10 && o.warmup == 1 && o.infer_images == 100);
}

static void fuzz_eval(int argc, char **argv) {
    eval_opts o;
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    const int rc = parse_eval_args(argc, argv, &o, err);
    fz_report("parse_eval_args", rc, err);
    if (rc != FFCNN_OK) {
        FZ_CHECK(rc == FFCNN_EINVAL);
        check_err(err);
        return;
    }
    check_data(o.data_dir, sizeof o.data_dir, o.data_name);
    FZ_CHECK(o.model != NULL);
    FZ_CHECK(o.mode >= FFCNN_EVAL_GOODNESS && o.mode <= FFCNN_EVAL_BOTH);
    FZ_CHECK(o.split == FFCNN_SPLIT_VAL || o.split == FFCNN_SPLIT_TEST);
    FZ_CHECK(o.conv_n >= 0 && o.conv_n <= FFCNN_MAX_LAYERS);
    for (int i = 0; i < o.conv_n; i++)
        FZ_CHECK(o.conv[i] >= FFCNN_CONV_AUTO && o.conv[i] <= FFCNN_CONV_FFT);
    FZ_CHECK(o.threads >= 1 && o.threads <= 1024);
    FZ_CHECK(o.limit == -1 || o.limit >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const char *const commands[3] = {"train", "bench", "eval"};
    const int which = data[0] % 3;
    data++, size--;
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = strdup(commands[which]);
    for (size_t i = 0; i < size && argc < MAX_ARGS;) {
        const uint8_t *nul = memchr(data + i, '\0', size - i);
        const size_t n = nul ? (size_t)(nul - (data + i)) : size - i;
        char *arg = malloc(n + 1);
        FZ_CHECK(arg != NULL);
        memcpy(arg, data + i, n);
        arg[n] = '\0';
        argv[argc++] = arg;
        i += n + 1;
    }
    argv[argc] = NULL;
    if (which == 2)
        fuzz_eval(argc, argv);
    else
        fuzz_train(argc, argv, which == 1);
    for (int i = 0; i < argc; i++) free(argv[i]);
    return 0;
}
