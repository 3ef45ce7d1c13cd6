/* Class activation maps (docs/method.md §7): the linear head's weights for one class times the
 * normalised activations it reads, summed over channels, one map per layer the head reads. */
#include <string.h>

#include "evaluate.h"
#include "network.h"
#include "util.h"

int ffcnn_cam_layers(const ffcnn_net *net, ffcnn_cam_layer layers[FFCNN_MAX_LAYERS],
                     size_t *total) {
    int n = 0;
    size_t offset = 0;
    for (int i = 0; i < net->n_layers; i++) {
        if (!ff_layer_feeds_head(net, i)) continue;
        const ff_layer *l = &net->layer[i];
        layers[n++] = (ffcnn_cam_layer){l->conv_index + 1, l->out.h, l->out.w, offset};
        offset += (size_t)l->out.h * l->out.w;
    }
    if (total) *total = offset;
    return n;
}

typedef struct cam_job {
    int cls;
    float *maps, *logits;
} cam_job;

/* map[p] = sum over channels of w[ch][p] * a[ch][p], summed in double. */
static void channel_sum(float *map, const float *w, const float *a, ff_dims d) {
    const size_t plane = (size_t)d.h * d.w;
    for (size_t p = 0; p < plane; p++) {
        double v = 0.0;
        for (int ch = 0; ch < d.c; ch++) v += (double)w[ch * plane + p] * a[ch * plane + p];
        map[p] = (float)v;
    }
}

/* The one image's maps, from the pass's head features (a linear-only pass: feature row 0). */
static void cam_visit(ff_eval_pass *p, const ffcnn_net *net, int32_t start, int m) {
    (void)start, (void)m;
    cam_job *job = p->user;
    const float *w_row = net->cls_w + (size_t)job->cls * net->cls_in;
    float *map = job->maps;
    for (int i = 0; i < net->n_layers; i++) {
        if (!ff_layer_feeds_head(net, i)) continue;
        const ff_layer *l = &net->layer[i];
        channel_sum(map, w_row, ff_net_head_features(net, i), l->out);
        w_row += l->out_len;
        map += (size_t)l->out.h * l->out.w;
    }
    if (job->logits) memcpy(job->logits, net->ws.logits, sizeof(float) * net->cfg.classes);
}

static int cam(ffcnn_net *net, const ffcnn_dataset *ds, int32_t index, int cls, float *maps,
               float *logits, char *err) {
    if (index < 0 || index >= ds->n)
        return ff_fail(err, FFCNN_EINVAL, "image index %d is not in 0..%d", index, ds->n - 1);
    if (cls < 0 || cls >= net->cfg.classes)
        return ff_fail(err, FFCNN_EINVAL, "class %d is not in 0..%d", cls, net->cfg.classes - 1);
    ffcnn_dataset one = *ds; /* the image alone; its label is not used */
    one.n = 1;
    one.pixels = ds->pixels + (size_t)index * ds->channels * ds->height * ds->width;
    one.labels = NULL;
    ffcnn_dataset shape = one;
    shape.n = 0;
    int rc = ff_check_dataset(net, &shape, "CAM image", err);
    if (rc) return rc;
    cam_job job = {cls, maps, logits};
    ff_eval_pass p = {0, 1, cam_visit, &job};
    return ff_eval_run(net, &one, &p, err);
}

int ffcnn_cam(ffcnn_net *net, const ffcnn_dataset *ds, int32_t index, int cls, float *maps,
              float *logits, char *err) {
    const unsigned fp_mode = ff_flush_denormals_begin(net->threads);
    const int rc = cam(net, ds, index, cls, maps, logits, err);
    ff_flush_denormals_end(fp_mode, net->threads);
    return rc;
}
