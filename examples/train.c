/* Trains an FF network on MNIST with the library alone, checking every call: the README's
 * "Library" section. Usage: train DATA_DIR [IMAGES [NET]], e.g. train data/mnist 2000
 * "c16k5 p2 c32k5". */
#include <ffcnn.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *err) {
    fprintf(stderr, "train: %s\n", err);
    return 1;
}

int main(int argc, char **argv) {
    char err[FFCNN_ERR_LEN];
    ffcnn_config cfg;
    ffcnn_dataset train, val;
    ffcnn_net *net = NULL;
    if (argc < 2) return fail("usage: train DATA_DIR [IMAGES [NET]]");
    ffcnn_config_default(&cfg);
    cfg.epochs = 1;
    if (argc > 3 && ffcnn_config_parse_net(&cfg, argv[3], err)) return fail(err);
    if (ffcnn_dataset_load_split(&train, argv[1], FFCNN_SPLIT_TRAIN, err)) return fail(err);
    if (ffcnn_dataset_load_split(&val, argv[1], FFCNN_SPLIT_VAL, err)) return fail(err);
    if (argc > 2) ffcnn_dataset_truncate(&train, atoi(argv[2]));
    ffcnn_dataset_truncate(&val, 1000);
    /* the input shape comes from the data */
    cfg.channels = train.channels, cfg.height = train.height, cfg.width = train.width;
    if (ffcnn_net_create(&net, &cfg, 2, err)) return fail(err);
    for (int e = 0; e < cfg.epochs; e++)
        if (ffcnn_train_epoch(net, &train, &val, NULL, NULL, err)) return fail(err);
    ffcnn_eval_result r;
    if (ffcnn_evaluate(net, &val, FFCNN_EVAL_BOTH, &r, err)) return fail(err);
    printf("validation accuracy: goodness %.4f, linear %.4f\n", r.accuracy_goodness,
           r.accuracy_linear);
    if (ffcnn_save(net, "model.ffm", err)) return fail(err);
    ffcnn_net_free(net);
    ffcnn_dataset_free(&train);
    ffcnn_dataset_free(&val);
    return 0;
}
