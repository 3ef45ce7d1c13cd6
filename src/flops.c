/* Arithmetic cost of training and inference, for `ffcnn bench`: the direct-convolution count
 * (the yardstick every implementation shares) and what this build's paths execute. */
#include "ffcnn_bench.h"
#include "kernels/conv_fft.h"
#include "network.h"

/* Flops of one sample through layer l, forward (or its weight gradient: the same count). */
static double layer_direct(const ff_conv_layer *l) { /* pooling's comparisons are not counted */
    return 2.0 * l->shape.out_ch * (double)ff_conv_patch_len(&l->shape) * ff_conv_pixels(&l->shape);
}

static double layer_executed(const ff_conv_layer *l, int grad) {
    if (l->path != FFCNN_CONV_FFT) return layer_direct(l);
    const ff_conv_shape *s = &l->shape;
    /* forward: input and output transforms; gradient: the gradient's transforms */
    const double transforms = grad ? s->out_ch : s->in_ch + s->out_ch;
    return ff_conv_fft_product_flops(s) + transforms * ff_conv_fft_transform_flops(s);
}

/* One direction of src/kernels/kernel_spectra.c for all C_out x C_in kernels: per column
 * frequency a k-tap real-by-complex pass over k rows (4 flops a tap), then per frequency a
 * k-tap complex pass (8 flops a tap). */
static double kernel_spectrum_flops(const ff_conv_shape *s) {
    int py, px;
    ff_conv_fft_dims(s, &py, &px);
    const double fx = px / 2 + 1, k = s->kernel;
    return (double)s->out_ch * s->in_ch * (4.0 * fx * k * k + 8.0 * py * fx * k);
}

/* Backprop (docs/method.md §12): per image one forward pass, the weight gradient, and the input
 * gradient of every layer but the first; on the FFT path the input gradient is the adjoint's
 * forward pass (dout's transforms in, din's out), and z is transformed again for the weight
 * gradient, whose products reuse dout's spectra. */
static void bp_cost(const ffcnn_net *net, ffcnn_cost *c) {
    const double batch = net->cfg.batch;
    for (int j = 0; j < net->n_ff; j++) {
        const ff_conv_layer *ly = &net->layer[net->ff_index[j]].conv;
        const ff_conv_shape *s = &ly->shape;
        const int din = j > 0;
        c->train_direct_flops += (2.0 + din) * layer_direct(ly);
        c->infer_direct_flops += layer_direct(ly);
        c->infer_executed_flops += layer_executed(ly, 0);
        if (ly->path != FFCNN_CONV_FFT) {
            c->train_executed_flops += (2.0 + din) * layer_direct(ly);
            continue;
        }
        const double t = ff_conv_fft_transform_flops(s), p = ff_conv_fft_product_flops(s);
        c->train_executed_flops += layer_executed(ly, 0) + (1.0 + din) * p +
                                   (s->out_ch + s->in_ch + din * s->in_ch) * t +
                                   2.0 * kernel_spectrum_flops(s) / batch;
    }
}

void ffcnn_net_cost(const ffcnn_net *net, ffcnn_cost *c) {
    c->train_direct_flops = c->train_executed_flops = 0.0;
    c->infer_direct_flops = c->infer_executed_flops = 0.0;
    if (net->cfg.algo == FFCNN_ALGO_BP) {
        bp_cost(net, c);
        return;
    }
    const double batch = net->cfg.batch;
    /* a training image = positive + negative + neutral forward, and the weight gradient of the
     * positive and the negative in trained layers; goodness inference, one pass per label.
     * --ff-loss cwc: one plain copy and its gradient; one pass (docs/method.md §13). */
    const int cwc = ff_net_is_cwc(net);
    const double copies = cwc ? 1.0 : 3.0, grads = cwc ? 1.0 : 2.0;
    const double passes = cwc ? 1.0 : net->cfg.classes;
    for (int j = 0; j < net->n_ff; j++) {
        const ff_conv_layer *ly = &net->layer[net->ff_index[j]].conv;
        const int trained = ff_layer_trained(net, net->ff_index[j]);
        c->train_direct_flops += (copies + grads * trained) * layer_direct(ly);
        c->train_executed_flops +=
            copies * layer_executed(ly, 0) + grads * trained * layer_executed(ly, 1);
        if (trained && ly->path == FFCNN_CONV_FFT) /* weights in and gradients out, once a batch */
            c->train_executed_flops += 2.0 * kernel_spectrum_flops(&ly->shape) / batch;
        c->infer_direct_flops += passes * layer_direct(ly);
        c->infer_executed_flops += passes * layer_executed(ly, 0);
    }
}

void ffcnn_net_memory(const ffcnn_net *net, ffcnn_memory *mem) {
    ff_net_workspace_bytes(net, &mem->activations, &mem->other);
    mem->params = (4 + (net->grad_acc != NULL)) * net->n_params * sizeof(float);
    for (int i = 0; i < net->n_layers; i++)
        mem->other += ff_fft_conv_bytes(net->layer[i].conv.fft) +
                      ff_fft_conv_bytes(net->layer[i].conv.adjoint);
}

void ffcnn_fft_product_stats(double *seconds, double *flops, int reset) {
    ff_fft_conv_stats(seconds, flops, reset);
}

double ffcnn_sgemm_peak_gflops(int threads) {
    return ff_sgemm_gflops(threads, 2048);
}
