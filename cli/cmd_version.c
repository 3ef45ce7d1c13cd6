/* ffcnn version and ffcnn help: the version with the kernels in use, and the main usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dist.h"

static const char MAIN_USAGE[] =
    "usage: ffcnn <command> [options]\n"
    "  train    train a network by Forward-Forward or backprop (ffcnn train --help)\n"
    "  eval     evaluate a trained model (ffcnn eval --help)\n"
    "  predict  classify image files (PNG, JPEG, PGM) with a trained model\n"
    "  cam      draw an image's class activation maps into a PNG\n"
    "  labels   draw the label patterns and a positive and a negative sample\n"
    "  bench    time training and inference (ffcnn bench --help)\n"
    "  info     show a model file's configuration, data, position and weight hash\n"
    "  plot     draw training curves from the metrics files that train writes beside\n"
    "           its models, into a PNG (ffcnn plot --help)\n"
    "  sweep    train every combination of a grid of settings into one results table,\n"
    "           resumable; draw it against one setting (ffcnn sweep --help)\n"
    "  version  print the version, the kernels in use and OpenBLAS's (also --version)\n"
    "  help     this help (also --help, -h); ffcnn help COMMAND = ffcnn COMMAND --help\n"
    "A flag's value follows it as its next argument or after '=': --epochs 5, --epochs=5.\n";

static const char VERSION_USAGE[] =
    "usage: ffcnn version (or ffcnn --version)\n"
    "Prints ffcnn's version, the instruction set of the kernels in use (FFCNN_KERNELS chooses\n"
    "a lower one), the OpenBLAS kernels and whether this build runs --dist (MPI).\n";

void print_main_usage(FILE *f) {
    fputs(MAIN_USAGE, f);
}

int cmd_version(int argc, char **argv) {
    if (argc > 1) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
            return fputs(VERSION_USAGE, stdout), 0;
        fprintf(stderr, "ffcnn: %s: unexpected argument for version (see ffcnn version --help)\n",
                argv[1]);
        return EXIT_BAD_INPUT;
    }
    printf("ffcnn %s\nkernels: %s\nblas: OpenBLAS, %s kernels%s\n", FFCNN_VERSION, ffcnn_kernels(),
           ffcnn_blas_core(), getenv("OPENBLAS_CORETYPE") ? " (OPENBLAS_CORETYPE)" : "");
    printf("distributed: %s\n", dist_available()
                                    ? "MPI (train --dist data|layers, eval --dist data)"
                                    : "none (configure with -DFFCNN_MPI=ON for --dist)");
    return 0;
}

int cmd_help(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"train", cmd_train},     {"eval", cmd_eval},     {"predict", cmd_predict},
                    {"cam", cmd_cam},         {"labels", cmd_labels}, {"bench", cmd_bench},
                    {"info", cmd_info},       {"plot", cmd_plot},     {"sweep", cmd_sweep},
                    {"version", cmd_version}, {"help", cmd_help}};
    if (argc < 2) return print_main_usage(stdout), 0;
    if (argc > 2) {
        fprintf(stderr, "ffcnn: %s: unexpected argument for help (usage: ffcnn help [COMMAND])\n",
                argv[2]);
        return EXIT_BAD_INPUT;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        if (commands[i].run == cmd_help) return print_main_usage(stdout), 0;
        static char help_flag[] = "--help";
        char *args[] = {argv[1], help_flag, NULL};
        return commands[i].run(2, args);
    }
    fprintf(stderr,
            "ffcnn: '%s' is not a command (train, eval, predict, cam, labels, plot, sweep, bench, "
            "info, version, help)\n",
            argv[1]);
    return EXIT_BAD_INPUT;
}
