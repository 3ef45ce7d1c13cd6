/* Fuzzes the CLI option parser (cli/options.c, cli/args.c):
 *
 *   byte 0   command: 0 train, 1 bench, 2 eval, 3 info (modulo 4)
 *   rest     the arguments after the command, separated by NUL bytes
 *
 * Each argument gets its own exact-size allocation, so ASan catches a read past its end.
 * Checks: a parse that succeeds leaves a configuration ffcnn_config_validate() accepts and
 * settings inside their documented ranges; one that fails leaves a message. Inputs naming a
 * file under /dev or /proc (--net @FILE reads it) are skipped: a terminal or a pipe would block. */
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

static void check_common(const cli_opts *o) {
    check_data(o->data_dir, sizeof o->data_dir, o->data_name);
    FZ_CHECK(o->threads >= 1 && o->threads <= 1024);
    FZ_CHECK(o->conv_n >= 0 && o->conv_n <= FFCNN_MAX_LAYERS);
    for (int i = 0; i < o->conv_n; i++)
        FZ_CHECK(o->conv[i] >= FFCNN_CONV_AUTO && o->conv[i] <= FFCNN_CONV_FFT);
    FZ_CHECK(o->json == 0 || o->json == 1);
}

static void fuzz_command(enum cli_command cmd, int argc, char **argv) {
    cli_opts o;
    char err[FFCNN_ERR_LEN], why[FFCNN_ERR_LEN];
    err[0] = '\0';
    const int rc = parse_args(cmd, argc, argv, &o, err);
    fz_report("parse_args", rc, err);
    if (rc != FFCNN_OK) {
        FZ_CHECK(rc == FFCNN_EINVAL);
        check_err(err);
        return;
    }
    FZ_CHECK(o.cmd == (unsigned)cmd);
    if (o.help) return;
    check_common(&o);
    if (cmd == CMD_TRAIN || cmd == CMD_BENCH) {
        FZ_CHECK(ffcnn_config_validate(&o.cfg, why) == FFCNN_OK);
        FZ_CHECK(ffcnn_config_conv_layers(&o.cfg) >= 1);
        FZ_CHECK(o.cfg.algo == FFCNN_ALGO_FF || o.cfg.algo == FFCNN_ALGO_BP);
        FZ_CHECK(o.out != NULL);
        FZ_CHECK(o.final_mode >= 0 && o.final_mode <= FFCNN_EVAL_BOTH);
        FZ_CHECK(o.train_limit == -1 || o.train_limit >= 1);
        FZ_CHECK(o.val_limit >= -1);
        FZ_CHECK(o.steps >= 1 && o.warmup >= 0 && o.infer_images >= 1);
        FZ_CHECK(!o.resume || !o.config_flag); /* --resume refuses every configuration flag */
        if (cmd == CMD_TRAIN) FZ_CHECK(o.steps == 10 && o.warmup == 1 && o.infer_images == 100);
        if (cmd == CMD_BENCH) FZ_CHECK(!o.resume && o.train_limit == -1);
    } else {
        FZ_CHECK(o.model != NULL);
        FZ_CHECK(o.mode >= FFCNN_EVAL_GOODNESS && o.mode <= FFCNN_EVAL_BOTH);
        FZ_CHECK(o.split == FFCNN_SPLIT_VAL || o.split == FFCNN_SPLIT_TEST);
        FZ_CHECK(o.eval_limit == -1 || o.eval_limit >= 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const char *const names[4] = {"train", "bench", "eval", "info"};
    static const enum cli_command commands[4] = {CMD_TRAIN, CMD_BENCH, CMD_EVAL, CMD_INFO};
    const int which = data[0] % 4;
    data++, size--;
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = strdup(names[which]);
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
    int skip = 0;
    for (int i = 1; i < argc; i++) skip |= strstr(argv[i], "/dev") || strstr(argv[i], "/proc");
    if (!skip) fuzz_command(commands[which], argc, argv);
    for (int i = 0; i < argc; i++) free(argv[i]);
    return 0;
}
