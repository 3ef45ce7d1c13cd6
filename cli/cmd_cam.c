/* ffcnn cam: the class activation maps of one image (docs/method.md §7) as a PNG: for each
 * class shown, every layer's map (the head's weights times the normalised activations, summed
 * over channels) and their sum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "figure.h"
#include "images.h"
#include "options.h"

static const char USAGE[] =
    "usage: ffcnn cam --model FILE (IMAGE | --index I [--data SET] [--split val|test])\n"
    "                 --out FILE.png [--class C | --all-classes]\n"
    "Draws the class activation maps of one image (docs/method.md §7): for the class the\n"
    "linear head predicts (and --class C, or every class), each layer the head reads gives\n"
    "map[y][x] = sum over channels of W[class][channel][y][x] * a[channel][y][x], a its\n"
    "RMS-normalised activation on the neutral-labelled image; the maps of a class sum to its\n"
    "logit. Layers after pooling are drawn at their own resolution, each value a block. The\n"
    "sum panel spreads each value evenly over the input pixels its block covers, so it still\n"
    "sums to the logit.\n";

static const char CAPTION[] =
    "Each map at its layer's resolution, one block per value (nearest neighbour). The sum adds "
    "the layers' maps at the input's size, a pooled layer's value spread evenly over the input "
    "pixels it covers, so a row's maps, and its sum, add up to the class's logit. Colour scale "
    "per panel, symmetric about 0: blue negative, white 0, red positive; the bar under a panel "
    "runs from -r to +r, r the largest |value| in that panel.";

/* The maps of every class drawn, one after another, and the logits. */
typedef struct cam_data {
    ffcnn_cam_layer layer[FFCNN_MAX_LAYERS];
    int n_layers, n_classes, predicted;
    int cls[FFCNN_MAX_CLASSES];
    size_t per_class; /* floats of one class's maps */
    float *maps;      /* n_classes x per_class */
    float *sums;      /* n_classes x input plane: the sum panel */
    float logits[FFCNN_MAX_CLASSES];
} cam_data;

/* The classes drawn: the predicted one first, then --class, or every class. */
static void choose_classes(cam_data *d, const cli_opts *o, int K) {
    d->n_classes = 0;
    d->cls[d->n_classes++] = d->predicted;
    for (int c = 0; c < K; c++)
        if (c != d->predicted && (o->all_classes || c == o->cls)) d->cls[d->n_classes++] = c;
}

/* Adds the layer's map to the input-sized sum, each value spread over the block of input
 * pixels it covers (pooling keeps the floor of odd sides: the last rows may be uncovered). */
static void spread_into(float *sum, int H, int W, const float *map, int h, int w) {
    const int fy = H / h, fx = W / w;
    const float share = 1.0f / (float)(fy * fx);
    for (int y = 0; y < fy * h; y++)
        for (int x = 0; x < fx * w; x++) sum[y * W + x] += map[(y / fy) * w + x / fx] * share;
}

static int compute(cam_data *d, ffcnn_net *net, const cli_opts *o, const ffcnn_dataset *ds,
                   char *err) {
    const ffcnn_config *c = ffcnn_net_config(net);
    d->n_layers = ffcnn_cam_layers(net, d->layer, &d->per_class);
    if (o->cls >= c->classes) {
        snprintf(err, FFCNN_ERR_LEN, "--class: %d is not a class of this model (0..%d)", o->cls,
                 c->classes - 1);
        return FFCNN_EINVAL;
    }
    const size_t plane = (size_t)c->height * c->width;
    d->maps = calloc(d->per_class * c->classes, sizeof(float));
    d->sums = calloc(plane * c->classes, sizeof(float));
    if (!d->maps || !d->sums) return snprintf(err, FFCNN_ERR_LEN, "out of memory"), FFCNN_ENOMEM;
    int rc = ffcnn_cam(net, ds, 0, 0, d->maps, d->logits, err);
    if (rc) return rc;
    d->predicted = 0;
    for (int k = 1; k < c->classes; k++)
        if (d->logits[k] > d->logits[d->predicted]) d->predicted = k;
    choose_classes(d, o, c->classes);
    for (int r = 0; !rc && r < d->n_classes; r++) {
        float *maps = d->maps + d->per_class * r;
        rc = ffcnn_cam(net, ds, 0, d->cls[r], maps, NULL, err);
        for (int l = 0; !rc && l < d->n_layers; l++)
            spread_into(d->sums + plane * r, c->height, c->width, maps + d->layer[l].offset,
                        d->layer[l].height, d->layer[l].width);
    }
    return rc;
}

static double map_sum(const float *m, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += m[i];
    return s;
}

static void print_result(const cam_data *d, const cli_opts *o, const ffcnn_net *net,
                         const char *name) {
    char text[96];
    cli_class_text(net, d->predicted, text, sizeof text);
    printf("%s: the linear head predicts class %s (logit %.4g); maps written to %s\n", name, text,
           (double)d->logits[d->predicted], o->out);
    for (int r = 0; r < d->n_classes; r++) {
        cli_class_text(net, d->cls[r], text, sizeof text);
        printf("class %s: logit %.6g, map sums", text, (double)d->logits[d->cls[r]]);
        for (int l = 0; l < d->n_layers; l++)
            printf(" layer %d %.6g", d->layer[l].conv_layer,
                   map_sum(d->maps + d->per_class * r + d->layer[l].offset,
                           (size_t)d->layer[l].height * d->layer[l].width));
        printf("\n");
    }
    if (!o->json) return;
    json_begin("cam");
    json_str("file", name);
    json_str("out", o->out);
    json_int("predicted", d->predicted);
    json_key("logits");
    for (int r = 0; r < d->n_classes; r++) {
        fputs(r ? ",{" : "[{", stdout);
        printf("\"class\":%d,\"logit\":", d->cls[r]);
        json_fnum(stdout, d->logits[d->cls[r]], 9);
        fputs(",\"map_sums\":", stdout);
        for (int l = 0; l < d->n_layers; l++) {
            fputc(l ? ',' : '[', stdout);
            json_fnum(stdout,
                      map_sum(d->maps + d->per_class * r + d->layer[l].offset,
                              (size_t)d->layer[l].height * d->layer[l].width),
                      9);
        }
        fputs("]}", stdout);
    }
    fputc(']', stdout);
    json_end();
}

/* The figure: one row per class, the layer maps and the sum. */
static int draw(const cam_data *d, const cli_opts *o, const cli_images *im, const ffcnn_net *net,
                char *err) {
    const ffcnn_config *c = ffcnn_net_config(net);
    enum { TITLE = 192 };
    figure_map *maps = calloc((size_t)d->n_classes * d->n_layers + 1, sizeof *maps);
    figure_cam_row *rows = calloc((size_t)d->n_classes, sizeof *rows);
    char(*titles)[TITLE] = calloc((size_t)(d->n_classes * (d->n_layers + 2)) + 1, TITLE);
    char fig_title[768], net_text[256], why[FIGURE_ERR_LEN];
    int rc = FFCNN_OK;
    if (!maps || !rows || !titles) {
        rc = FFCNN_ENOMEM, snprintf(err, FFCNN_ERR_LEN, "out of memory");
        goto out;
    }
    const int first = d->layer[0].conv_layer, last = d->layer[d->n_layers - 1].conv_layer;
    for (int r = 0; r < d->n_classes; r++) {
        char *t = titles[r * (d->n_layers + 2)];
        const int k = d->cls[r];
        char text[96];
        cli_class_text(net, k, text, sizeof text);
        snprintf(t, TITLE, "class %s%s, logit %.3g", text, k == d->predicted ? " (predicted)" : "",
                 (double)d->logits[k]);
        rows[r].title = t;
        rows[r].maps = maps + r * d->n_layers;
        rows[r].n_maps = d->n_layers;
        for (int l = 0; l < d->n_layers; l++) {
            char *lt = titles[r * (d->n_layers + 2) + 1 + l];
            snprintf(lt, TITLE, "layer %d", d->layer[l].conv_layer);
            maps[r * d->n_layers + l] =
                (figure_map){lt, d->maps + d->per_class * r + d->layer[l].offset,
                             d->layer[l].height, d->layer[l].width};
        }
        char *st = titles[r * (d->n_layers + 2) + 1 + d->n_layers];
        if (first == last)
            snprintf(st, TITLE, "sum (layer %d)", first);
        else
            snprintf(st, TITLE, "sum (layers %d-%d)", first, last);
        rows[r].sum =
            (figure_map){st, d->sums + (size_t)c->height * c->width * r, c->height, c->width};
    }
    ffcnn_config_format_net(c, net_text, sizeof net_text);
    snprintf(fig_title, sizeof fig_title,
             "Class activation maps: %.150s%s, model %.150s (%.200s, %s)", im->names[0],
             im->inverted[0] ? " (inverted)" : "", o->model, net_text, ffcnn_algo_name(c->algo));
    const figure_cam_spec spec = {fig_title, im->ds.pixels, c->channels, c->height, c->width,
                                  rows,      d->n_classes,  0,           CAPTION};
    if (figure_cam_png(o->out, &spec, why)) rc = FFCNN_EIO, snprintf(err, FFCNN_ERR_LEN, "%s", why);
out:
    free(maps), free(rows), free(titles);
    return rc;
}

int cmd_cam(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_CAM, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_CAM, USAGE), 0;
    ffcnn_net *net = NULL;
    if ((rc = ffcnn_load(&net, o.model, o.threads, err))) return fail(err, rc);
    cli_images im = {0};
    cam_data d = {0};
    rc = apply_conv(net, o.conv, o.conv_n, err);
    if (!rc) rc = cli_images_load(&im, &o, net, err);
    if (!rc) rc = compute(&d, net, &o, &im.ds, err);
    if (!rc) rc = draw(&d, &o, &im, net, err);
    if (!rc) print_result(&d, &o, net, im.names[0]);
    free(d.maps), free(d.sums);
    cli_images_free(&im);
    ffcnn_net_free(net);
    return rc ? fail(err, rc) : 0;
}
