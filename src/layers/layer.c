/* The table of layer kinds: adding a kind is a file and a row here. */
#include "layers/layer.h"

#include <string.h>

#include "util.h"

const ff_layer_ops *ff_layer_kind(int kind) {
    switch (kind) {
    case FFCNN_LAYER_CONV:
        return &ff_conv_layer_ops;
    case FFCNN_LAYER_MAXPOOL:
        return &ff_maxpool_layer_ops;
    default:
        return NULL;
    }
}

int ff_layer_make(ff_layer *l, const ffcnn_layer_spec *spec, int index, ff_dims in, float *params,
                  float *grads, enum ffcnn_conv_path path, char *err) {
    memset(l, 0, sizeof *l);
    l->ops = ff_layer_kind(spec->kind);
    if (!l->ops)
        return ff_fail(err, FFCNN_EINVAL, "layer %d: unknown kind %d", index + 1, spec->kind);
    l->spec = *spec;
    l->index = index;
    l->conv_index = -1;
    l->in = in;
    const int rc = l->ops->out_dims(spec, in, index + 1, &l->out, err);
    if (rc) return rc;
    l->in_len = ff_dims_len(in);
    l->out_len = ff_dims_len(l->out);
    l->n_params = l->ops->param_count(spec, in);
    l->params = params;
    l->grads = grads;
    return l->ops->make(l, path, err);
}

void ff_layer_free(ff_layer *l) {
    if (l->ops) l->ops->free(l);
}
