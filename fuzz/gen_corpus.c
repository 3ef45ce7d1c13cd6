/* Writes the seed corpora of the fuzz targets into DIR/idx, DIR/checkpoint and DIR/args:
 * small valid inputs (tiny models from ffcnn_net_create + ffcnn_save) and a few malformed ones.
 * The committed fuzz/corpus was made with
 *     cmake --build build-fuzz --target fuzz_gen_corpus && build-fuzz/fuzz/fuzz_gen_corpus
 * fuzz/corpus Input layouts: see the comment at the top of each fuzz_*.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ffcnn.h"
#include "fuzz_util.h"

static const char *root;

static void emit(const char *sub, const char *name, const uint8_t *p, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", root, sub, name);
    fz_write_file(path, p, n);
}

/* ---- IDX: flags, split (u16 LE), images file, labels file ---- */

static size_t idx_images(uint8_t *out, uint32_t n, uint32_t h, uint32_t w) {
    const uint8_t hdr[16] = {0,       0,       8,      3, n >> 24, n >> 16, n >> 8, n,
                             h >> 24, h >> 16, h >> 8, h, w >> 24, w >> 16, w >> 8, w};
    memcpy(out, hdr, 16);
    for (size_t i = 0; i < (size_t)n * h * w; i++) out[16 + i] = (uint8_t)(i * 37 % 256);
    return 16 + (size_t)n * h * w;
}

static size_t idx_labels(uint8_t *out, uint32_t n, const uint8_t *labels) {
    const uint8_t hdr[8] = {0, 0, 8, 1, n >> 24, n >> 16, n >> 8, n};
    memcpy(out, hdr, 8);
    memcpy(out + 8, labels, n);
    return 8 + n;
}

static void idx_seed(const char *name, uint8_t flags, const uint8_t *img, size_t ni,
                     const uint8_t *lab, size_t nl) {
    uint8_t *buf = malloc(3 + ni + nl);
    buf[0] = flags;
    buf[1] = (uint8_t)(ni & 0xff);
    buf[2] = (uint8_t)(ni >> 8);
    memcpy(buf + 3, img, ni);
    memcpy(buf + 3 + ni, lab, nl);
    emit("idx", name, buf, 3 + ni + nl);
    free(buf);
}

static void idx_seeds(void) {
    static uint8_t img[4096], lab[64], bad[4096];
    const uint8_t labels[] = {0, 7, 9, 3, 1};
    size_t ni = idx_images(img, 3, 4, 5), nl = idx_labels(lab, 3, labels);
    idx_seed("valid_3x4x5", 0x00, img, ni, lab, nl);
    idx_seed("valid_3x4x5_gz_images", 0x01, img, ni, lab, nl);
    idx_seed("valid_3x4x5_gz_both", 0x03, img, ni, lab, nl);
    idx_seed("gz_truncated", 0x31, img, ni, lab, nl);
    idx_seed("labels_missing", 0x04, img, ni, lab, nl);
    idx_seed("images_is_directory", 0x08, img, ni, lab, nl);
    /* gzip bytes inside the input itself: gzread's own format detection */
    size_t zl = 0;
    uint8_t *z = fz_gzip(img, ni, 9, &zl);
    idx_seed("raw_gzip_images", 0x00, z, zl, lab, nl);
    free(z);

    memcpy(bad, img, ni);
    bad[1] = 1;
    idx_seed("bad_magic", 0x00, bad, ni, lab, nl);
    memcpy(bad, img, ni);
    bad[2] = 0x09;
    idx_seed("bad_type", 0x00, bad, ni, lab, nl);
    idx_seed("labels_as_images", 0x00, lab, nl, lab, nl);
    idx_seed("truncated_images", 0x00, img, ni - 7, lab, nl);
    memcpy(bad, img, ni);
    bad[11] = 0; /* height 0 */
    idx_seed("zero_dim", 0x00, bad, ni, lab, nl);
    memcpy(bad, img, ni);
    memset(bad + 4, 0xff, 4); /* n = 2^32 - 1 */
    idx_seed("huge_count", 0x00, bad, ni, lab, nl);
    const uint8_t bad_labels[] = {0, 10, 9};
    nl = idx_labels(lab, 3, bad_labels);
    idx_seed("label_out_of_range", 0x00, img, ni, lab, nl);
    nl = idx_labels(lab, 2, labels);
    idx_seed("count_mismatch", 0x00, img, ni, lab, nl);
    idx_seed("labels_empty", 0x00, img, ni, lab, 0);

    /* Larger files from small inputs, as gzip inside the input: wider than 4096 pixels, and
     * an 80 KB images file (past the reader's first 64 KB buffer). */
    uint8_t *big = malloc(16 + 2 * 200 * 200);
    ni = idx_images(big, 1, 1, 4097), nl = idx_labels(lab, 1, labels);
    z = fz_gzip(big, ni, 9, &zl);
    idx_seed("raw_gzip_too_wide_1x1x4097", 0x00, z, zl, lab, nl);
    free(z);
    ni = idx_images(big, 2, 200, 200), nl = idx_labels(lab, 2, labels);
    z = fz_gzip(big, ni, 9, &zl);
    idx_seed("raw_gzip_valid_2x200x200", 0x00, z, zl, lab, nl);
    free(z);
    free(big);

    ni = idx_images(img, 1, 1, 1), nl = idx_labels(lab, 1, labels + 3);
    idx_seed("valid_1x1x1", 0x02, img, ni, lab, nl);
    ni = idx_images(img, 2, 28, 28), nl = idx_labels(lab, 2, labels + 1);
    idx_seed("valid_2x28x28_gz", 0x03, img, ni, lab, nl);
}

/* ---- checkpoint: flags, model file ---- */

static uint8_t *model_bytes(const ffcnn_config *cfg, size_t *len) {
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN], path[4096];
    if (ffcnn_net_create(&net, cfg, 1, err)) {
        fprintf(stderr, "gen_corpus: %s\n", err);
        exit(1);
    }
    fz_temp_path(path, sizeof path, "seed.ffm");
    if (ffcnn_save(net, path, err)) {
        fprintf(stderr, "gen_corpus: %s\n", err);
        exit(1);
    }
    ffcnn_net_free(net);
    uint8_t *buf = fz_read_file(path, len);
    remove(path);
    if (!buf) exit(1);
    return buf;
}

static void fix_crc(uint8_t *p, size_t n) {
    const uint32_t crc = (uint32_t)crc32_z(0L, p + 8, n - 12);
    memcpy(p + n - 4, &crc, 4);
}

/* Bytes before the parameters: the h for which the u64 P at h - 8 makes h + 12 P + 4 the
 * file's length. */
static size_t header_bytes(const uint8_t *p, size_t n) {
    for (size_t h = 72; h + 4 <= n; h += 4) {
        uint64_t P;
        memcpy(&P, p + h - 8, 8);
        if (P < n && h + 12 * P + 4 == n) return h;
    }
    fprintf(stderr, "gen_corpus: cannot find the parameter count in a model file\n");
    exit(1);
}

/* Writes a seed and checks that ffcnn_load() treats it as intended (the harness's CRC patch
 * applied), so that a change to the format shows up here rather than as silently dead seeds. */
static void ckpt_seed(const char *name, uint8_t flags, const uint8_t *p, size_t n, int valid) {
    uint8_t *buf = malloc(n + 1);
    buf[0] = flags;
    memcpy(buf + 1, p, n);
    emit("checkpoint", name, buf, n + 1);
    if ((flags & 1) && n >= 12) fix_crc(buf + 1, n);
    char path[4096], err[FFCNN_ERR_LEN];
    fz_temp_path(path, sizeof path, "check.ffm");
    fz_write_file(path, buf + 1, n);
    ffcnn_net *net = NULL;
    const int rc = ffcnn_load(&net, path, 1, err);
    remove(path);
    if ((rc == FFCNN_OK) != valid) {
        fprintf(stderr, "gen_corpus: checkpoint seed %s: ffcnn_load %s (%s)\n", name,
                rc ? "fails" : "succeeds", rc ? err : "expected a failure");
        exit(1);
    }
    if (net && !strcmp(name, "valid_trained_position") && ffcnn_net_epochs_done(net) != 3) {
        fprintf(stderr, "gen_corpus: %s: epochs done is not at header - 32 any more\n", name);
        exit(1);
    }
    ffcnn_net_free(net);
    free(buf);
}

static void checkpoint_seeds(void) {
    ffcnn_config a, b, c;
    char err[FFCNN_ERR_LEN];
    ffcnn_config_preset(&a, "tiny", err);
    a.layers = 2, a.filters = 2, a.kernel = 3, a.height = 8, a.width = 8, a.train_from = 2;
    b = a;
    b.layers = 1, b.filters = 1, b.kernel = 1, b.height = 4, b.width = 4, b.train_from = 1;
    b.label_kind = FFCNN_LABEL_ONEHOT;
    c = a;
    c.layers = 3, c.filters = 1, c.kernel = 5, c.channels = 2, c.height = 5, c.width = 6;
    c.train_from = 3, c.label_kind = FFCNN_LABEL_FOURIER2, c.label_k = 0.5f;

    size_t na, nb, nc;
    uint8_t *ma = model_bytes(&a, &na), *mb = model_bytes(&b, &nb), *mc = model_bytes(&c, &nc);
    ckpt_seed("valid_2x2k3_8x8", 0x00, ma, na, 1);
    ckpt_seed("valid_2x2k3_8x8_eval_fft", 0x0b, ma, na, 1);
    ckpt_seed("valid_1x1k1_4x4_onehot_eval", 0x02, mb, nb, 1);
    ckpt_seed("valid_3x1k5_2x5x6_eval_im2col", 0x07, mc, nc, 1);

    /* Offsets (docs/checkpoint-format.md): the configuration from offset 12 (kernel at 20,
     * height at 28); the header ends with epochs done, steps in the epoch, Adam's t, the
     * validation accuracy and P, so epochs done sits 32 bytes before the parameters. */
    const size_t header = header_bytes(mb, nb);
    uint8_t *m = malloc(nb);
    memcpy(m, mb, nb);
    const int32_t epochs_done = 3;
    memcpy(m + header - 32, &epochs_done, 4);
    fix_crc(m, nb);
    ckpt_seed("valid_trained_position", 0x03, m, nb, 1);

    memcpy(m, mb, nb);
    m[7] = 'Q';
    ckpt_seed("bad_magic", 0x00, m, nb, 0);
    memcpy(m, mb, nb);
    m[8] = 2;
    ckpt_seed("bad_version", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    m[header + 20] ^= 0x40;
    ckpt_seed("bad_crc", 0x00, m, nb, 0);
    memcpy(m, mb, nb);
    m[20] = 4; /* kernel 4: even */
    ckpt_seed("bad_config_kernel", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    m[header - 8] += 1; /* P off by one */
    ckpt_seed("bad_param_count", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    m[28] = 2; /* height 2: a 2x4 image cannot hold the one-hot label */
    ckpt_seed("bad_config_onehot_2x4", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    memset(m + header - 32, 0xff, 4); /* epochs done -1 */
    ckpt_seed("negative_epochs", 0x01, m, nb, 0);
    ckpt_seed("truncated", 0x01, mb, nb - 100, 0);
    ckpt_seed("header_only", 0x01, mb, header + 4, 0);
    ckpt_seed("short", 0x00, mb, 40, 0);
    ckpt_seed("empty", 0x00, mb, 0, 0);
    free(m);
    free(ma), free(mb), free(mc);
}

/* ---- args: command byte (0 train, 1 bench, 2 eval), NUL-separated arguments ---- */

static void args_seed(const char *name, uint8_t cmd, const char *const *args) {
    uint8_t buf[4096];
    size_t n = 0;
    buf[n++] = cmd;
    for (int i = 0; args[i]; i++) {
        const size_t len = strlen(args[i]);
        memcpy(buf + n, args[i], len + 1); /* the NUL separates */
        n += len + 1;
    }
    emit("args", name, buf, n > 1 ? n - 1 : n); /* no trailing NUL */
}

static void args_seeds(void) {
#define A(...) ((const char *const[]){__VA_ARGS__, NULL})
    args_seed("train_empty", 0, A(NULL));
    args_seed("train_tiny", 0,
              A("--preset", "tiny", "--train-limit", "100", "--val-limit", "0", "--epochs", "1",
                "--out", "model.ffm"));
    args_seed("train_all_flags", 0,
              A("--data", "fashion:/tmp/x", "--layers", "3", "--filters", "16", "--kernel", "5",
                "--label-set", "2", "--label-k", "0.35", "--train-from", "2", "--batch", "50",
                "--epochs", "4", "--lr", "1e-3", "--seed", "18446744073709551615", "--threads", "2",
                "--final-eval", "none", "--conv", "fft", "--json", "--preset", "paper"));
    args_seed("train_onehot", 0,
              A("--label-set", "onehot", "--conv", "im2col", "--final-eval", "linear"));
    args_seed("bench", 1,
              A("--preset", "tiny", "--steps", "5", "--warmup", "0", "--infer-images", "10",
                "--conv", "auto"));
    args_seed("eval_full", 2,
              A("--model", "m.ffm", "--data", "mnist:data/mnist", "--split", "test", "--mode",
                "goodness", "--eval-limit", "5", "--threads", "1", "--conv", "fft", "--json"));
    args_seed("eval_no_model", 2, A("--split", "val"));
    args_seed("bad_layers", 0, A("--layers", "99"));
    args_seed("bad_kernel_even", 0, A("--kernel", "4"));
    args_seed("bad_train_from", 0, A("--layers", "2", "--train-from", "3"));
    args_seed("bad_lr_nan", 0, A("--lr", "nan"));
    args_seed("bad_seed_negative", 0, A("--seed", "-1"));
    args_seed("bad_data", 2, A("--model", "m", "--data", "cifar"));
    args_seed("bad_data_empty_dir", 0, A("--data", "mnist:"));
    args_seed("missing_value", 0, A("--preset"));
    args_seed("unexpected_argument", 2, A("--model", "m", "extra"));
    args_seed("bench_flag_in_train", 0, A("--steps", "5"));
    args_seed("train_resume", 0,
              A("--resume", "m.ffm", "--checkpoint-every", "5s", "--train-limit", "10"));
    args_seed("train_resume_with_config", 0, A("--resume", "m.ffm", "--layers", "3"));
    args_seed("train_checkpoint_every_epochs", 0, A("--checkpoint-every", "2e", "--out", "x"));
    args_seed("bad_checkpoint_every", 0, A("--checkpoint-every", "e"));
    args_seed("train_classifier_lr", 0, A("--lr", "5e-5", "--classifier-lr", "0.01"));
    args_seed("bad_classifier_lr", 0, A("--classifier-lr", "-1"));
#undef A
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR (with idx/, checkpoint/, args/ in it)\n", argv[0]);
        return 2;
    }
    root = argv[1];
    idx_seeds();
    checkpoint_seeds();
    args_seeds();
    return 0;
}
