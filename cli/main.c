/* ffcnn command-line tool: a thin client of the public API (include/ffcnn.h). This file only
 * dispatches to the commands (cmd_*.c), after the two start-up checks below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "ffcnn.h"

/* OpenBLAS chose slow kernels for a CPU it does not know (ffcnn_blas_better_core): run this
 * program again with OPENBLAS_CORETYPE set, which OpenBLAS reads only when it loads. A set
 * OPENBLAS_CORETYPE (the user's, or ours after the restart) is left alone. */
static void restart_with_fast_blas(char **argv) {
    const char *core = ffcnn_blas_better_core();
    if (!core || getenv("OPENBLAS_CORETYPE")) return;
    if (setenv("OPENBLAS_CORETYPE", core, 1) != 0) return;
    execv("/proc/self/exe", argv); /* returns only on failure: go on with the slow kernels */
    unsetenv("OPENBLAS_CORETYPE");
}

/* FFCNN_KERNELS, when set, must name kernels this binary and CPU have. */
static int check_kernels_env(void) {
    const char *want = getenv("FFCNN_KERNELS");
    char err[FFCNN_ERR_LEN];
    if (want && ffcnn_use_kernels(want, err) != FFCNN_OK) {
        fprintf(stderr, "ffcnn: FFCNN_KERNELS: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    return 0;
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"train", cmd_train},       {"eval", cmd_eval},
                    {"bench", cmd_bench},       {"info", cmd_info},
                    {"plot", cmd_plot},         {"predict", cmd_predict},
                    {"cam", cmd_cam},           {"labels", cmd_labels},
                    {"sweep", cmd_sweep},       {"version", cmd_version},
                    {"--version", cmd_version}, {"help", cmd_help},
                    {"--help", cmd_help},       {"-h", cmd_help}};
    restart_with_fast_blas(argv);
    if (check_kernels_env()) return EXIT_BAD_INPUT;
    if (argc < 2) {
        fputs("ffcnn: no command given (train, eval, predict, cam, labels, plot, sweep, bench, "
              "info, version; see "
              "ffcnn --help)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr,
            "ffcnn: '%s' is not a command (train, eval, predict, cam, labels, plot, sweep, bench, "
            "info, "
            "version, help)\n",
            argv[1]);
    return EXIT_BAD_INPUT;
}
