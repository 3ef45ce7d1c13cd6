/* Which convolution path each conv layer takes: forced, measured (conv_autotune.c), or read
 * from a model file; the public face of that choice. */
#include "network.h"
#include "util.h"

/* Measures each conv layer's two paths for a training step of this network: the layer forward
 * on 3B samples (positives, negatives, neutral images), its gradient on 2B unless it is frozen
 * (--ff-loss cwc: B plain images, docs/method.md §13); B is a chunk of the batch
 * (ffcnn_net_set_chunk) under FF, so that the measurement holds no more memory than training. */
int ff_net_settle_paths(ffcnn_net *net, char *err) {
    if (net->paths_settled) return FFCNN_OK;
    enum ffcnn_conv_path paths[FFCNN_MAX_LAYERS];
    const int batch = net->cfg.batch;
    const int B = net->cfg.algo == FFCNN_ALGO_FF && batch > net->chunk ? net->chunk : batch;
    for (int j = 0; j < net->n_ff; j++) {
        const int i = net->ff_index[j];
        const ff_conv_shape s = net->layer[i].conv.shape;
        /* FF: 3 copies of each image, 2 with a gradient; BP: one (and its backward pass, timed
         * as a weight gradient); cwc: one, with its gradient */
        const int one = net->cfg.algo == FFCNN_ALGO_BP || ff_net_is_cwc(net), n = one ? B : 3 * B;
        const int m = !ff_layer_trained(net, i) ? 0 : one ? B : 2 * B;
        const int rc = ff_conv_autotune(&net->timing[j], &s, n, m, net->threads, err);
        if (rc) return rc;
        paths[j] = net->timing[j].path;
    }
    const int rc = ff_net_make_layers(net, paths, err);
    net->paths_settled = rc == FFCNN_OK;
    return rc;
}

static enum ffcnn_conv_path path_of(const ffcnn_net *net, int j) {
    return net->layer[net->ff_index[j]].conv.path;
}

int ffcnn_net_set_conv_paths(ffcnn_net *net, const enum ffcnn_conv_path *paths, int n, char *err) {
    const int L = net->n_ff;
    if (n != 1 && n != L)
        return ff_fail(err, FFCNN_EINVAL, "--conv: %d paths for a network of %d conv layers", n, L);
    enum ffcnn_conv_path chosen[FFCNN_MAX_LAYERS];
    int measure = 0;
    for (int j = 0; j < L; j++) {
        const enum ffcnn_conv_path p = paths[n == 1 ? 0 : j];
        if (p < FFCNN_CONV_AUTO || p > FFCNN_CONV_FFT)
            return ff_fail(err, FFCNN_EINVAL, "--conv: path %d is not auto, im2col or fft", (int)p);
        if (p == FFCNN_CONV_AUTO) measure = 1;
        /* auto keeps a settled path (a loaded model's, or an earlier measurement) */
        chosen[j] = p != FFCNN_CONV_AUTO ? p
                    : net->paths_settled ? path_of(net, j)
                                         : FFCNN_CONV_AUTO;
    }
    if (measure && !net->paths_settled) {
        int rc = ff_net_settle_paths(net, err); /* times every layer, then forced ones win */
        if (rc) return rc;
        for (int j = 0; j < L; j++)
            if (chosen[j] == FFCNN_CONV_AUTO) chosen[j] = path_of(net, j);
    }
    const int rc = ff_net_make_layers(net, chosen, err);
    net->paths_settled = rc == FFCNN_OK;
    return rc;
}

int ffcnn_net_set_conv_path(ffcnn_net *net, enum ffcnn_conv_path path, char *err) {
    return ffcnn_net_set_conv_paths(net, &path, 1, err);
}

int ffcnn_net_conv_paths_settled(const ffcnn_net *net) {
    return net->paths_settled;
}

int ffcnn_net_layer_conv_timing(const ffcnn_net *net, int layer, double *im2col_seconds,
                                double *fft_seconds) {
    if (layer < 0 || layer >= net->n_ff || net->timing[layer].path == 0) return -1;
    *im2col_seconds = net->timing[layer].im2col_seconds;
    *fft_seconds = net->timing[layer].fft_seconds;
    return 0;
}

const char *ffcnn_net_layer_conv_path(const ffcnn_net *net, int layer) {
    if (layer < 0 || layer >= net->n_ff) return "none";
    return ff_conv_path_name(path_of(net, layer));
}
