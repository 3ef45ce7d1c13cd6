/* The FF objective and Adam against hand-computed values; the learning-rate schedule. */
#include <math.h>
#include <string.h>

#include "ff_objective.h"
#include "ffcnn.h"
#include "optim_adam.h"
#include "test_util.h"

static void test_softplus(void) {
    CHECK_CLOSE(ff_softplus(0.0), log(2.0), 1e-12, "softplus(0)");
    CHECK_CLOSE(ff_softplus(50.0), 50.0, 1e-12, "softplus(50)");
    CHECK_CLOSE(ff_softplus(-50.0) / exp(-50.0), 1.0, 1e-9, "softplus(-50) relative");
    CHECK(ff_softplus(-50.0) > 0, "softplus(-50) positive");
    CHECK(isfinite(ff_softplus(1e6)) && isfinite(ff_softplus(-1e6)), "no overflow at 1e6");
}

static void test_objective_hand_values(void) {
    const double theta = 100.0;
    /* two positives with logits +1, -2; two negatives with logits +3, -4 */
    const double g[4] = {101.0, 98.0, 103.0, 96.0};
    float coef[4];
    ff_layer_metrics m = {0};
    double loss = ff_objective(coef, &m, g, 2, 2, theta);
    /* softplus(-1) + softplus(2) + softplus(3) + softplus(-4), all / 4 */
    const double expect =
        (0.31326168751822286 + 2.1269280110429727 + 3.048587351573742 + 0.01814992791780978) / 4.0;
    CHECK_CLOSE(loss, expect, 1e-9, "mean BCE");
    CHECK(m.correct == 2 && m.samples == 4 && m.batches == 1, "discrimination: 2 of 4 right");
    /* coef = 2 (sigma(logit) - target) / n */
    CHECK_CLOSE(coef[0], 2.0 * (1.0 / (1.0 + exp(-1.0)) - 1.0) / 4.0, 1e-6, "coef pos +1");
    CHECK_CLOSE(coef[1], 2.0 * (1.0 / (1.0 + exp(2.0)) - 1.0) / 4.0, 1e-6, "coef pos -2");
    CHECK_CLOSE(coef[2], 2.0 * (1.0 / (1.0 + exp(-3.0))) / 4.0, 1e-6, "coef neg +3");
    CHECK_CLOSE(coef[3], 2.0 * (1.0 / (1.0 + exp(4.0))) / 4.0, 1e-6, "coef neg -4");
    /* saturated logits of order N (docs/method.md §9) stay finite */
    const double big[2] = {0.0, 60000.0};
    loss = ff_objective(coef, &m, big, 1, 1, 30000.0);
    CHECK_CLOSE(loss, 30000.0, 1e-9, "saturated loss (30000 + 30000) / 2");
    CHECK(isfinite(coef[0]) && isfinite(coef[1]), "saturated coefficients finite");
}

/* The loss of the batch for goodness g (a copy), for finite differences. */
static double spec_loss(const double *g, int n, const ff_objective_spec *spec) {
    float coef[8];
    ff_layer_metrics m = {0};
    return ff_objective_spec_part(coef, &m, g, n / 2, n / 2, spec, n, 1);
}

/* docs/method.md §13's variants: hand values, and coef = 2 dL/dG by central differences. */
static void test_objective_variants(void) {
    const double g[4] = {101.0, 98.0, 103.0, 96.0};
    float coef[4];
    ff_layer_metrics m = {0};
    /* SymBa on pairs (101, 103) and (98, 96) at scale 0.5: d = -1 and +1 */
    const ff_objective_spec symba = {FFCNN_FF_LOSS_SYMBA, 100.0, 0.5};
    double loss = ff_objective_spec_part(coef, &m, g, 2, 2, &symba, 4, 1);
    CHECK_CLOSE(loss, (ff_softplus(1.0) + ff_softplus(-1.0)) / 2.0, 1e-12, "SymBa mean over pairs");
    CHECK(m.correct == 2 && m.samples == 4, "SymBa: one pair of two ranked right");
    const double s1 = 1.0 / (1.0 + exp(-1.0)); /* sigma(-d) for d = -1 */
    CHECK_CLOSE(coef[0], -2.0 * 0.5 * s1 / 2.0, 1e-6, "SymBa coef of positive 1");
    CHECK_CLOSE(coef[2], 2.0 * 0.5 * s1 / 2.0, 1e-6, "SymBa coef of negative 1");
    /* BCE at scale 1/100 (the mean goodness of a layer of N = 100, theta = N): logits 0.01.. */
    const ff_objective_spec mean_bce = {FFCNN_FF_LOSS_BCE, 100.0, 0.01};
    loss = ff_objective_spec_part(coef, &m, g, 2, 2, &mean_bce, 4, 1);
    CHECK_CLOSE(loss,
                (ff_softplus(-0.01) + ff_softplus(0.02) + ff_softplus(0.03) + ff_softplus(-0.04)) /
                    4.0,
                1e-12, "BCE on the mean goodness");
    const ff_objective_spec specs[3] = {mean_bce, symba, {FFCNN_FF_LOSS_SYMBA, 0.0, 0.003}};
    for (int k = 0; k < 3; k++) {
        ff_objective_spec_part(coef, &m, g, 2, 2, &specs[k], 4, 1);
        for (int s = 0; s < 4; s++) {
            double gp[4], gm[4];
            memcpy(gp, g, sizeof gp), memcpy(gm, g, sizeof gm);
            gp[s] += 1e-4, gm[s] -= 1e-4;
            const double fd = (spec_loss(gp, 4, &specs[k]) - spec_loss(gm, 4, &specs[k])) / 2e-4;
            CHECK(fabs(coef[s] / 2.0 - fd) < 1e-6, "variant %d: coef/2 %g = dL/dG %g of sample %d",
                  k, coef[s] / 2.0, fd, s);
        }
    }
    /* a large scale saturates without overflow */
    const ff_objective_spec sharp = {FFCNN_FF_LOSS_SYMBA, 0.0, 1e6};
    loss = ff_objective_spec_part(coef, &m, g, 2, 2, &sharp, 4, 1);
    CHECK(isfinite(loss) && isfinite(coef[0]) && isfinite(coef[1]), "saturated SymBa finite");
}

/* The label-contrastive loss: hand values for one image of 3 labels, and coef = 2 dL/dG. */
static double ce_loss(const double *g, const uint8_t *y, int n, int K, double scale) {
    float coef[16];
    ff_layer_metrics m = {0};
    const ff_objective_spec spec = {FFCNN_FF_LOSS_CE, 7.0, scale};
    return ff_objective_ce_part(coef, &m, g, y, n, K, &spec, n, 1);
}

static void test_objective_ce(void) {
    /* two images, 3 labels: image 0 true label 2, image 1 true label 0 */
    const double g[6] = {1.0, 2.0, 4.0, 3.0, 5.0, 0.0};
    const uint8_t y[2] = {2, 0};
    float coef[6];
    ff_layer_metrics m = {0};
    const ff_objective_spec spec = {FFCNN_FF_LOSS_CE, 7.0, 0.5};
    const double loss = ff_objective_ce_part(coef, &m, g, y, 2, 3, &spec, 2, 1);
    const double z0 = exp(0.5) + exp(1.0) + exp(2.0), z1 = exp(1.5) + exp(2.5) + exp(0.0);
    CHECK_CLOSE(loss, ((log(z0) - 2.0) + (log(z1) - 1.5)) / 2.0, 1e-12, "CE by hand");
    CHECK(m.correct == 3 && m.samples == 6, "image 0 ranked right (3 samples), image 1 not");
    CHECK_CLOSE(coef[2], 2.0 * 0.5 * (exp(2.0) / z0 - 1.0) / 2.0, 1e-6, "coef of the true label");
    for (int s = 0; s < 6; s++) {
        double gp[6], gm[6];
        memcpy(gp, g, sizeof gp), memcpy(gm, g, sizeof gm);
        gp[s] += 1e-5, gm[s] -= 1e-5;
        const double fd = (ce_loss(gp, y, 2, 3, 0.5) - ce_loss(gm, y, 2, 3, 0.5)) / 2e-5;
        CHECK(fabs(coef[s] / 2.0 - fd) < 1e-6, "CE: coef/2 %g = dL/dG %g of copy %d", coef[s] / 2.0,
              fd, s);
    }
    const double big[3] = {0.0, 1e7, -1e7};
    const uint8_t y0[1] = {0};
    CHECK(isfinite(ce_loss(big, y0, 1, 3, 1.0)), "CE with goodness 1e7 apart stays finite");
}

/* The channel-wise competitive loss (docs/method.md §13): two images of K = 3 channel groups,
 * the loss and coefficients by hand, and coef = 2 dL/dG_k by central differences. */
static double cwc_loss(const double *g, const uint8_t *y, int n, int K, double scale) {
    float coef[16];
    ff_layer_metrics m = {0};
    const ff_objective_spec spec = {FFCNN_FF_LOSS_CWC, 0.0, scale};
    return ff_objective_cwc_part(coef, &m, g, y, n, K, &spec, n, 1);
}

static void test_objective_cwc(void) {
    /* image 0 (class 1): groups' goodness 2, 6, 4; image 1 (class 2): 8, 0, 1; scale 0.25, as
     * for the mean goodness of groups of N_k = 8 outputs at T = 0.5 */
    const double g[6] = {2.0, 6.0, 4.0, 8.0, 0.0, 1.0}, a = 0.25;
    const uint8_t y[2] = {1, 2};
    float coef[6];
    ff_layer_metrics m = {0};
    const ff_objective_spec spec = {FFCNN_FF_LOSS_CWC, 0.0, a};
    const double loss = ff_objective_cwc_part(coef, &m, g, y, 2, 3, &spec, 2, 1);
    const double z0 = exp(0.5) + exp(1.5) + exp(1.0), z1 = exp(2.0) + exp(0.0) + exp(0.25);
    const double l0 = log(z0) - 1.5, l1 = log(z1) - 0.25; /* -log p_y of each image */
    CHECK_CLOSE(loss, (l0 + l1) / 2.0, 1e-12, "cwc: mean cross-entropy over the groups by hand");
    CHECK(m.correct == 1 && m.samples == 2 && m.batches == 1,
          "cwc: image 0's true group is the best, image 1's is not (one sample per image)");
    /* dL/dy for an output y of group k: (p_k - [k = y]) scale 2 y / B, i.e. coef_k y */
    const double p01 = exp(1.5) / z0, p10 = exp(2.0) / z1, p12 = exp(0.25) / z1;
    CHECK_CLOSE(coef[1], (p01 - 1.0) * a * 2.0 / 2.0, 1e-6, "cwc coef, image 0, true group");
    CHECK_CLOSE(coef[3], p10 * a * 2.0 / 2.0, 1e-6, "cwc coef, image 1, a wrong group");
    CHECK_CLOSE(coef[5], (p12 - 1.0) * a * 2.0 / 2.0, 1e-6, "cwc coef, image 1, true group");
    for (int s = 0; s < 6; s++) {
        double gp[6], gm[6];
        memcpy(gp, g, sizeof gp), memcpy(gm, g, sizeof gm);
        gp[s] += 1e-5, gm[s] -= 1e-5;
        const double fd = (cwc_loss(gp, y, 2, 3, a) - cwc_loss(gm, y, 2, 3, a)) / 2e-5;
        CHECK(fabs(coef[s] / 2.0 - fd) < 1e-6, "cwc: coef/2 %g = dL/dG %g of group %d of image %d",
              coef[s] / 2.0, fd, s % 3, s / 3);
    }
    /* a chunk of one image from a batch of two: that image's share of the batch's mean */
    ff_layer_metrics part = {0};
    const double half = ff_objective_cwc_part(coef, &part, g + 3, y + 1, 1, 3, &spec, 2, 0);
    CHECK_CLOSE(half, l1 / 2.0, 1e-12, "cwc: a chunk's loss is its part of the batch mean");
    CHECK(part.batches == 0 && fabs(coef[2] - (p12 - 1.0) * a) < 1e-6,
          "cwc: a later chunk counts no batch; its coefficients are the batch's");
    const double big[3] = {0.0, 1e7, -1e7};
    const uint8_t y0[1] = {2};
    CHECK(isfinite(cwc_loss(big, y0, 1, 3, 1.0)), "cwc with goodness 1e7 apart stays finite");
}

/* --ff-loss cwc's settings: its name, and the configurations it refuses (docs/method.md §13). */
static void test_cwc_settings(void) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    int32_t v = -1;
    CHECK(ffcnn_ff_loss_parse("cwc", &v, err) == 0 && v == FFCNN_FF_LOSS_CWC && v == 3 &&
              !strcmp(ffcnn_ff_loss_name(v), "cwc"),
          "cwc both ways, value 3");
    CHECK(ffcnn_ff_loss_parse("cw", &v, err) == FFCNN_EINVAL && strstr(err, "ce or cwc"),
          "an unknown loss lists cwc: %s", err);
    ffcnn_config_default(&c); /* 3 x 16 filters, layers 2-3 trained */
    c.ff_loss = FFCNN_FF_LOSS_CWC;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && !strchr(err, '\n') &&
              !strcmp(err, "--ff-loss cwc: conv layer 2 has 16 filters, not a multiple of the 10 "
                           "classes"),
          "filters not a multiple of the classes refused, naming the layer: %s", err);
    CHECK(ffcnn_config_parse_net(&c, "c16k5 c20k5 c30k3", err) == 0 &&
              ffcnn_config_validate(&c, err) == 0 && !ffcnn_config_is_paper_objective(&c),
          "an untrained layer 1 may have any width: %s", err);
    c.train_from = 1;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "conv layer 1 has 16"),
          "trained from layer 1, it must divide too: %s", err);
    CHECK(ffcnn_config_parse_net(&c, "c20k5 p2 c40k3", err) == 0 &&
              ffcnn_config_validate(&c, err) == 0,
          "pooling between cwc layers: %s", err);
    c.negatives = FFCNN_NEGATIVES_HARD;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--negatives") &&
              strstr(err, "cwc"),
          "cwc with hard negatives refused: %s", err);
    c.negatives = FFCNN_NEGATIVES_RANDOM, c.algo = FFCNN_ALGO_BP;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--ff-loss cwc") &&
              strstr(err, "backprop"),
          "cwc with --algo bp refused: %s", err);
    c.algo = FFCNN_ALGO_FF, c.ff_loss = 4;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "cwc (3)"),
          "loss 4 refused: %s", err);
    const char *presets[] = {"default", "paper", "cifar10", "tiny"};
    for (int i = 0; i < 4; i++) {
        ffcnn_config_preset(&c, presets[i], err);
        CHECK(c.ff_loss != FFCNN_FF_LOSS_CWC, "preset %s: not cwc", presets[i]);
    }
}

/* The variants' flags: names both ways, the paper's objective as every preset's. */
static void test_variant_settings(void) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    const char *presets[] = {"default", "paper", "cifar10", "tiny"};
    for (int i = 0; i < 4; i++) {
        ffcnn_config_preset(&c, presets[i], err);
        CHECK(ffcnn_config_is_paper_objective(&c), "preset %s: the paper's objective", presets[i]);
    }
    char net[64];
    CHECK(ffcnn_config_preset(&c, "fast", err) == 0 && ffcnn_config_validate(&c, err) == 0,
          "fast preset valid: %s", err);
    ffcnn_config_format_net(&c, net, sizeof net);
    CHECK(!strcmp(net, "c20k5 p2 c40k5 p2 c80k3") && c.train_from == 1 && c.epochs == 30 &&
              c.lr == 1e-3f && c.ff_loss == FFCNN_FF_LOSS_CWC &&
              c.goodness == FFCNN_GOODNESS_MEAN && c.ff_temperature == 0.25f &&
              c.negatives == FFCNN_NEGATIVES_RANDOM && c.augment_pad == 2 && c.augment_flip == 0 &&
              !ffcnn_config_is_paper_objective(&c),
          "fast preset: docs/reproduction.md's recipe (%s)", net);
    int32_t v = -1;
    CHECK(ffcnn_ff_loss_parse("symba", &v, err) == 0 && v == FFCNN_FF_LOSS_SYMBA &&
              !strcmp(ffcnn_ff_loss_name(v), "symba"),
          "symba both ways");
    CHECK(ffcnn_goodness_parse("mean", &v, err) == 0 && v == FFCNN_GOODNESS_MEAN, "mean");
    CHECK(ffcnn_negatives_parse("hard", &v, err) == 0 && v == FFCNN_NEGATIVES_HARD, "hard");
    CHECK(ffcnn_ff_loss_parse("ce", &v, err) == 0 && v == FFCNN_FF_LOSS_CE, "ce");
    ffcnn_config_default(&c);
    c.ff_loss = FFCNN_FF_LOSS_CE, c.negatives = FFCNN_NEGATIVES_HARD;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--negatives"),
          "ce with hard negatives refused: %s", err);
    CHECK(ffcnn_negatives_parse("easy", &v, err) == FFCNN_EINVAL && strstr(err, "--negatives"),
          "bad name refused naming the flag: %s", err);
    ffcnn_config_default(&c);
    c.ff_temperature = 0.25f;
    CHECK(ffcnn_config_validate(&c, err) == 0 && !ffcnn_config_is_paper_objective(&c),
          "a temperature is a variant");
    c.ff_temperature = -1.0f;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--ff-temperature"),
          "negative temperature refused: %s", err);
    c.ff_temperature = 0.0f, c.goodness = 2;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--goodness"),
          "unknown goodness refused: %s", err);
}

static void test_adam_hand_values(void) {
    float p = 1.0f, g = 0.5f, m = 0.0f, v = 0.0f;
    ff_adam_step(&p, &g, &m, &v, 1, 0.1f, 1, 1);
    /* m_hat = 0.5, v_hat = 0.25: p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) */
    CHECK_CLOSE(p, 0.9, 1e-6, "Adam step 1");
    g = -1.0f;
    ff_adam_step(&p, &g, &m, &v, 1, 0.1f, 2, 1);
    /* m = -0.055, v = 0.00124975; m_hat = -0.289474, v_hat = 0.625188 */
    CHECK_CLOSE(p, 0.9 + 0.1 * (0.055 / 0.19) / sqrt(0.00124975 / 0.001999), 1e-6, "Adam step 2");
}

static void test_schedule(void) {
    ffcnn_config c;
    ffcnn_config_preset(&c, "paper", NULL);
    CHECK(c.epochs == 200 && fabsf(c.lr - 5e-5f) < 1e-12f, "paper preset: 200 epochs, lr 5e-5");
    CHECK(ffcnn_lr_at_epoch(&c, 0) == c.lr && ffcnn_lr_at_epoch(&c, 100) == c.lr,
          "first half constant");
    CHECK_CLOSE(ffcnn_lr_at_epoch(&c, 101), 5e-5, 1e-6, "e=101: 2*100/200");
    CHECK_CLOSE(ffcnn_lr_at_epoch(&c, 150) / 5e-5, 0.51, 1e-6, "e=150: 2*51/200");
    CHECK_CLOSE(ffcnn_lr_at_epoch(&c, 199) / 5e-5, 0.02, 1e-6, "e=199: 2*2/200");
    c.epochs = 3;
    CHECK(ffcnn_lr_at_epoch(&c, 2) <= c.lr, "odd E never raises the rate");
}

static void test_presets(void) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    char net[64];
    CHECK(ffcnn_config_preset(&c, "paper", err) == 0, "paper preset: %s", err);
    ffcnn_config_format_net(&c, net, sizeof net);
    CHECK(!strcmp(net, "c128k7 c128k7 c128k7") && c.classes == 10 && c.batch == 50 &&
              c.train_from == 2 && c.label_kind == FFCNN_LABEL_FOURIER1 &&
              fabsf(c.label_k - 0.35f) < 1e-7f,
          "paper preset is docs/method.md's best network");
    CHECK(ffcnn_config_preset(&c, "cifar10", err) == 0, "cifar10 preset: %s", err);
    ffcnn_config_format_net(&c, net, sizeof net);
    CHECK(!strcmp(net, "c32k5 p2 c64k5 p2 c128k3") && c.channels == 3 && c.height == 32 &&
              c.width == 32 && c.train_from == 1 && c.label_kind == FFCNN_LABEL_MORPH &&
              c.epochs == 20 && ffcnn_config_validate(&c, err) == 0,
          "cifar10 preset: docs/datasets.md's recipe, valid (%s)", net);
    CHECK(ffcnn_config_preset(&c, "nope", err) == FFCNN_EINVAL, "unknown preset rejected");
    ffcnn_config_default(&c);
    CHECK(ffcnn_config_validate(&c, err) == 0, "default preset valid");
    c.layer[1].size = 4;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "layer 2"),
          "even kernel rejected, layer named: %s", err);
    ffcnn_config_default(&c);
    c.train_from = 4;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL, "train-from past the last layer");
    ffcnn_config_default(&c);
    c.lr = NAN;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL, "NaN lr rejected");
}

/* The layer-list syntax of --net, both ways, and every kind of bad entry. */
static void test_net_specs(void) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN], net[128];
    ffcnn_config_default(&c);
    CHECK(ffcnn_config_parse_net(&c, "c32k7, c64k5 p2\n# a comment p9\n c128k3 # end", err) == 0,
          "parse: %s", err);
    ffcnn_config_format_net(&c, net, sizeof net);
    CHECK(!strcmp(net, "c32k7 c64k5 p2 c128k3") && c.n_layers == 4 &&
              c.layer[2].kind == FFCNN_LAYER_MAXPOOL && c.layer[2].size == 2 &&
              c.layer[1].filters == 64 && c.layer[1].size == 5,
          "parsed and formatted back: '%s'", net);
    CHECK(ffcnn_config_conv_layers(&c) == 3, "three conv layers");
    CHECK(ffcnn_config_validate(&c, err) == 0, "valid: %s", err);
    const char *bad[] = {"c0k3",  "c8k4", "x3",      "p1",         "c8",
                         "c8k3x", "",     "p2 c8k3", "c8k3 p2 p2", "c8k3 p32"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ffcnn_config b;
        ffcnn_config_default(&b);
        int rc = ffcnn_config_parse_net(&b, bad[i], err);
        if (rc == 0) rc = ffcnn_config_validate(&b, err);
        CHECK(rc == FFCNN_EINVAL && strlen(err) > 0 && !strchr(err, '\n'),
              "'%s' refused with one line: %s", bad[i], err);
    }
    ffcnn_config_default(&c);
    CHECK(ffcnn_config_parse_net(&c, "c8k3 p2 p2", err) == 0 &&
              ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "pooling"),
          "two poolings in a row: %s", err);
    ffcnn_config_default(&c);
    CHECK(ffcnn_config_parse_net(&c, "c8k3 p2 c8k3 p2 c8k3 p2 c8k3 p2 c8k3 p2", err) == 0 &&
              ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "leaves nothing"),
          "28 halved five times leaves nothing: %s", err);
    CHECK(ffcnn_config_set_uniform(&c, 2, 16, 5, err) == 0 && c.n_layers == 2 &&
              c.layer[1].filters == 16 && c.layer[1].size == 5,
          "uniform shorthand");
    c.train_from = 3;
    CHECK(ffcnn_config_validate(&c, err) == FFCNN_EINVAL && strstr(err, "--train-from"),
          "train-from counts conv layers: %s", err);
}

int main(void) {
    test_softplus();
    test_objective_hand_values();
    test_objective_variants();
    test_objective_ce();
    test_objective_cwc();
    test_cwc_settings();
    test_variant_settings();
    test_adam_hand_values();
    test_schedule();
    test_presets();
    test_net_specs();
    return test_summary();
}
