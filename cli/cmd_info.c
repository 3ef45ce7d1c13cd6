/* ffcnn info: everything a model file holds but its numbers: the configuration, the data it
 * was trained on, its position, the conv paths and the SHA-256 of its weights. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "options.h"

static const char USAGE[] =
    "usage: ffcnn info --model FILE [--json]\n"
    "Prints a model file's configuration (layer list, input shape, classes and their names,\n"
    "labels, schedule), the data it was trained on, its training position, last validation\n"
    "accuracy, conv paths and the SHA-256 of its weights (two models with the same hash have\n"
    "bit-identical weights).\n";

static void limit_text(char *buf, size_t cap, int32_t limit) {
    if (limit < 0)
        snprintf(buf, cap, "all");
    else
        snprintf(buf, cap, "%d", (int)limit);
}

/* The fingerprint as 64 hex digits, or "" when unknown (all zero). */
static void fingerprint_hex(const ffcnn_data_identity *id, char hex[65]) {
    int known = 0;
    hex[0] = '\0';
    for (int i = 0; i < 32; i++) known |= id->fingerprint[i];
    for (int i = 0; known && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", id->fingerprint[i]);
}

static void print_text(const char *model, const ffcnn_net *net, const char *net_text,
                       const char *paths, const char *fp, const char *sha) {
    const ffcnn_config *c = ffcnn_net_config(net);
    const ffcnn_data_identity *id = ffcnn_net_data_identity(net);
    const int done = ffcnn_net_epochs_done(net), L = ffcnn_config_conv_layers(c);
    const double val = ffcnn_net_last_val_accuracy(net);
    char trained[64], train_limit[16], val_limit[16];
    trained_layers(c, trained, sizeof trained);
    limit_text(train_limit, sizeof train_limit, id->train_limit);
    limit_text(val_limit, sizeof val_limit, id->val_limit);
    printf("model %s\n", model);
    printf("network: %s (%d conv layer%s) on %dx%dx%d images, %d classes\n", net_text, L, plural(L),
           c->channels, c->height, c->width, c->classes);
    char names[1024];
    cli_class_list(net, names, sizeof names);
    if (names[0]) printf("class names: %s\n", names);
    if (c->algo == FFCNN_ALGO_BP) {
        printf("algorithm: bp (backprop baseline: no label in the input, every layer and the head "
               "trained end to end)\n");
        printf("schedule: batch %d, %d epoch%s, lr %g, seed %llu\n", c->batch, c->epochs,
               plural(c->epochs), (double)c->lr, (unsigned long long)c->seed);
    } else {
        const int cwc = c->ff_loss == FFCNN_FF_LOSS_CWC; /* plain images: docs/method.md §13 */
        printf("algorithm: ff (Forward-Forward)\n");
        printf("objective: loss %s, goodness %s, temperature %g, negatives %s (%s)\n",
               ffcnn_ff_loss_name(c->ff_loss), ffcnn_goodness_name(c->goodness),
               c->ff_temperature > 0 ? (double)c->ff_temperature : 1.0,
               cwc ? "none" : ffcnn_negatives_name(c->negatives),
               ffcnn_config_is_paper_objective(c) ? "the paper's" : "docs/method.md §13");
        if (cwc)
            printf("labels: none (cwc: each trained layer's filters in one group per class); %s "
                   "(train from %d)\n",
                   trained, c->train_from);
        else
            printf("labels: set %s, K=%g; %s (train from %d)\n", label_set_name(c->label_kind),
                   (double)c->label_k, trained, c->train_from);
        printf("schedule: batch %d, %d epoch%s, lr %g, classifier lr %g%s, seed %llu\n", c->batch,
               c->epochs, plural(c->epochs), (double)c->lr, (double)c->classifier_lr,
               c->classifier_lr > 0 ? "" : " (= lr)", (unsigned long long)c->seed);
    }
    char aug[24];
    ffcnn_augment_format(c, aug, sizeof aug);
    printf("augmentation: %s%s\n", aug,
           c->augment_pad || c->augment_flip ? " (training images only)" : "");
    if (id->name[0])
        printf("data: %.63s, train limit %s, val limit %s, fingerprint %s\n", id->name, train_limit,
               val_limit, fp[0] ? fp : "unknown");
    else
        printf("data: set and limits not recorded, fingerprint %s\n", fp[0] ? fp : "unknown");
    printf("position: %d epoch%s done, step %d of the next\n", done, plural(done),
           ffcnn_net_step_in_epoch(net));
    if (val >= 0) printf("validation accuracy (linear) after the last epoch: %.4f\n", val);
    printf("convolution paths: %s\n", paths[0] ? paths : "not recorded (measured on the next run)");
    printf("weights sha256: %s\n", sha);
}

static void print_json(const char *model, const ffcnn_net *net, const char *net_text,
                       const char *fp, const char *sha) {
    const ffcnn_config *c = ffcnn_net_config(net);
    const ffcnn_data_identity *id = ffcnn_net_data_identity(net);
    const int L = ffcnn_config_conv_layers(c);
    json_begin("info");
    json_str("model", model);
    json_str("net", net_text);
    json_str("algo", ffcnn_algo_name(c->algo));
    json_key("layers");
    for (int i = 0; i < c->n_layers; i++) {
        const ffcnn_layer_spec *s = &c->layer[i];
        fputs(i ? ",{\"kind\":" : "[{\"kind\":", stdout);
        json_string(stdout, s->kind == FFCNN_LAYER_CONV ? "conv" : "maxpool");
        if (s->kind == FFCNN_LAYER_CONV) printf(",\"filters\":%d", s->filters);
        printf(",\"size\":%d}", s->size);
    }
    fputs(c->n_layers ? "]" : "[]", stdout);
    json_int("conv_layers", L);
    json_int("channels", c->channels);
    json_int("height", c->height);
    json_int("width", c->width);
    json_int("classes", c->classes);
    json_key("class_names");
    if (!ffcnn_net_class_name(net, 0)) fputs("null", stdout);
    for (int k = 0; ffcnn_net_class_name(net, 0) && k < c->classes; k++) {
        fputc(k ? ',' : '[', stdout);
        json_string(stdout, ffcnn_net_class_name(net, k));
    }
    if (ffcnn_net_class_name(net, 0)) fputc(']', stdout);
    const int ff = c->algo == FFCNN_ALGO_FF; /* the FF-only settings are null for bp */
    const int labelled = ff && c->ff_loss != FFCNN_FF_LOSS_CWC; /* cwc: plain images */
    json_str("label_set", labelled ? label_set_name(c->label_kind) : NULL);
    json_opt_num("label_k", labelled ? c->label_k : -1);
    json_opt_num("train_from", ff ? c->train_from : -1);
    json_int("batch", c->batch);
    json_int("epochs", c->epochs);
    json_num("lr", c->lr);
    json_opt_num("classifier_lr", ff ? c->classifier_lr : -1);
    json_key("seed");
    printf("%llu", (unsigned long long)c->seed);
    char aug[24];
    ffcnn_augment_format(c, aug, sizeof aug);
    json_str("augment", aug);
    json_int("augment_pad", c->augment_pad);
    json_int("augment_flip", c->augment_flip);
    json_str("ff_loss", ff ? ffcnn_ff_loss_name(c->ff_loss) : NULL);
    json_str("goodness", ff ? ffcnn_goodness_name(c->goodness) : NULL);
    json_opt_num("ff_temperature", ff ? (c->ff_temperature > 0 ? c->ff_temperature : 1.0) : -1);
    json_str("negatives", labelled ? ffcnn_negatives_name(c->negatives) : NULL);
    json_key("data");
    fputs("{\"name\":", stdout);
    json_string(stdout, id->name[0] ? id->name : NULL);
    printf(",\"train_limit\":%d,\"val_limit\":%d,\"fingerprint\":", (int)id->train_limit,
           (int)id->val_limit);
    json_string(stdout, fp[0] ? fp : NULL);
    fputs("}", stdout);
    json_int("epochs_done", ffcnn_net_epochs_done(net));
    json_int("step_in_epoch", ffcnn_net_step_in_epoch(net));
    json_opt_num("val_accuracy_linear", ffcnn_net_last_val_accuracy(net));
    json_key("conv");
    if (!ffcnn_net_conv_paths_settled(net)) fputs("null", stdout);
    for (int l = 0; ffcnn_net_conv_paths_settled(net) && l < L; l++) {
        fputs(l ? "," : "[", stdout);
        json_string(stdout, ffcnn_net_layer_conv_path(net, l));
    }
    if (ffcnn_net_conv_paths_settled(net)) fputs(L ? "]" : "[]", stdout);
    json_str("weights_sha256", sha);
    json_end();
}

int cmd_info(int argc, char **argv) {
    char err[FFCNN_ERR_LEN] = "";
    cli_opts o;
    int rc = parse_args(CMD_INFO, argc, argv, &o, err);
    if (rc) return fail(err, rc);
    if (o.help) return print_flags_help(stdout, CMD_INFO, USAGE), 0;
    ffcnn_net *net = NULL;
    if ((rc = ffcnn_load(&net, o.model, 1, err))) return fail(err, rc);
    const ffcnn_config *c = ffcnn_net_config(net);
    const int L = ffcnn_config_conv_layers(c);
    char sha[65], fp[65], net_text[256], paths[FFCNN_MAX_LAYERS * 8] = "";
    ffcnn_net_weights_sha256(net, sha);
    fingerprint_hex(ffcnn_net_data_identity(net), fp);
    ffcnn_config_format_net(c, net_text, sizeof net_text);
    for (int l = 0; ffcnn_net_conv_paths_settled(net) && l < L; l++)
        snprintf(paths + strlen(paths), sizeof paths - strlen(paths), "%s%s",
                 ffcnn_net_layer_conv_path(net, l), l + 1 < L ? "," : "");
    print_text(o.model, net, net_text, paths, fp, sha);
    if (o.json) print_json(o.model, net, net_text, fp, sha);
    ffcnn_net_free(net);
    return 0;
}
