/* Writes the seed corpora of the fuzz targets into DIR/idx, DIR/checkpoint, DIR/image and
 * DIR/args: small valid inputs (tiny models from ffcnn_net_create + ffcnn_save, in format
 * version 4, ff and bp, and ff ones converted to versions 1, 2 and 3; models with class names
 * or augmentation in version 5, and a version-5 file with neither; 3 and 37 classes; PNG, JPEG
 * and PGM/PPM files of each kind the decoder handles, written with ffcnn_image_save_png, libpng
 * and libjpeg) and malformed ones. The committed fuzz/corpus was made as fuzz/README.md says: build
 * the fuzz_gen_corpus target in build-fuzz, empty the four folders, run
 * build-fuzz/fuzz/fuzz_gen_corpus fuzz/corpus. Input layouts: see the comment at the top of each
 * fuzz_*.c. */
#include <png.h> /* before setjmp.h (libpng 1.2 refused to follow it) */

#include <errno.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Version-4 offsets (docs/checkpoint-format.md); version 3 is the same up to 408, where it has
 * P and its parameters at 416. */
enum {
    V4_HEADER = 424,
    V4_LAYERS = 16,       /* i32 n, then (kind, filters, size) x 16 from 20 */
    V4_LAYER = 20,        /* entry i at 20 + 12 i: kind, filters at +4, size at +8 */
    V4_SHAPE = 212,       /* channels, height (216), width (220), classes (224) */
    V4_LABEL = 228,       /* label kind; K at 232, ..., the head's rate at 260 */
    V4_EPOCHS_DONE = 264, /* then steps in the epoch (268), Adam's t (272), val accuracy (280) */
    V4_PATHS = 288,
    V4_DATA_NAME = 304,
    V4_DATA_LIMITS = 368,
    V4_ALGO = 408, /* i32: 0 ff, 1 bp */
    V4_RESERVED = 412,
    V4_P = 416,
    V3_HEADER = 416,
    V3_P = 408
};

static void fail(const char *what, const char *err) {
    fprintf(stderr, "gen_corpus: %s: %s\n", what, err);
    exit(1);
}

/* A fresh network of cfg, saved: conv paths forced when paths is non-NULL (n_paths entries),
 * data identity set when id is non-NULL, cfg->classes class names when names is non-NULL
 * (format version 5). */
static uint8_t *named_model_bytes(const ffcnn_config *cfg, const enum ffcnn_conv_path *paths,
                                  int n_paths, const ffcnn_data_identity *id,
                                  const char (*names)[64], size_t *len) {
    ffcnn_net *net = NULL;
    char err[FFCNN_ERR_LEN], path[4096];
    if (ffcnn_net_create(&net, cfg, 1, err)) fail("ffcnn_net_create", err);
    if (paths && ffcnn_net_set_conv_paths(net, paths, n_paths, err))
        fail("ffcnn_net_set_conv_paths", err);
    if (id) ffcnn_net_set_data_identity(net, id);
    if (names && ffcnn_net_set_class_names(net, names, cfg->classes, err))
        fail("ffcnn_net_set_class_names", err);
    fz_temp_path(path, sizeof path, "seed.ffm");
    if (ffcnn_save(net, path, err)) fail("ffcnn_save", err);
    ffcnn_net_free(net);
    uint8_t *buf = fz_read_file(path, len);
    remove(path);
    if (!buf) exit(1);
    return buf;
}

static uint8_t *model_bytes(const ffcnn_config *cfg, const enum ffcnn_conv_path *paths, int n_paths,
                            const ffcnn_data_identity *id, size_t *len) {
    return named_model_bytes(cfg, paths, n_paths, id, NULL, len);
}

static void fix_crc(uint8_t *p, size_t n) {
    const uint32_t crc = (uint32_t)crc32_z(0L, p + 8, n - 12);
    memcpy(p + n - 4, &crc, 4);
}

static void put_i32(uint8_t *p, size_t off, int32_t v) {
    memcpy(p + off, &v, 4);
}
static int32_t get_i32(const uint8_t *p, size_t off) {
    int32_t v;
    memcpy(&v, p + off, 4);
    return v;
}

/* The header length found from the file itself (the h for which the u64 P at h - 8 makes
 * h + 12 P + 4 the file's length), checked against the documented 424, so that a change to
 * the format shows up here. */
static void check_header_bytes(const uint8_t *p, size_t n) {
    for (size_t h = 72; h + 4 <= n; h += 4) {
        uint64_t P;
        memcpy(&P, p + h - 8, 8);
        if (P < n && h + 12 * P + 4 == n) {
            if (h == V4_HEADER && get_i32(p, 8) == 4 && get_i32(p, 12) == V4_HEADER &&
                get_i32(p, V4_RESERVED) == 0)
                return;
            break;
        }
    }
    fprintf(stderr, "gen_corpus: a saved model is not version 4 with a %d-byte header\n",
            V4_HEADER);
    exit(1);
}

/* A version-4 ff file as version 3: the 8 bytes at 408 (algorithm, reserved) dropped, version 3
 * and header 416 at 8 and 12 ("Version 3" in docs/checkpoint-format.md). */
static uint8_t *v3_version(const uint8_t *v4, size_t n, size_t *out_len) {
    if (get_i32(v4, V4_ALGO) != 0) fail("v3_version", "version 3 holds ff models only");
    uint8_t *p = malloc(n - 8);
    if (!p) exit(1);
    memcpy(p, v4, V4_ALGO);
    memcpy(p + V3_P, v4 + V4_P, n - V4_P);
    put_i32(p, 8, 3);
    put_i32(p, 12, V3_HEADER);
    *out_len = n - 8;
    fix_crc(p, *out_len);
    return p;
}

/* A version-4 ff file of a uniform conv stack on 10 classes as version 1 or 2 ("Versions 1 and
 * 2" in docs/checkpoint-format.md): the same fields at the old offsets, no data identity. */
static uint8_t *old_version(const uint8_t *v4, size_t n, int version, size_t *out_len) {
    const int32_t layers = get_i32(v4, V4_LAYERS);
    for (int i = 0; i < layers; i++)
        if (get_i32(v4, V4_LAYER + 12 * i) != 1 ||
            get_i32(v4, V4_LAYER + 12 * i + 4) != get_i32(v4, V4_LAYER + 4) ||
            get_i32(v4, V4_LAYER + 12 * i + 8) != get_i32(v4, V4_LAYER + 8))
            fail("old_version", "not a uniform conv stack");
    if (get_i32(v4, V4_SHAPE + 12) != 10) fail("old_version", "not 10 classes");
    if (get_i32(v4, V4_ALGO) != 0) fail("old_version", "versions 1 and 2 hold ff models only");
    const size_t payload = n - V4_HEADER - 4, header = version == 1 ? 104 : 120;
    uint8_t *p = calloc(1, header + payload + 4);
    if (!p) exit(1);
    memcpy(p, "FFCNNCKP", 8);
    put_i32(p, 8, version);
    put_i32(p, 12, layers);
    put_i32(p, 16, get_i32(v4, V4_LAYER + 4)); /* filters */
    put_i32(p, 20, get_i32(v4, V4_LAYER + 8)); /* kernel */
    memcpy(p + 24, v4 + V4_SHAPE, 12);         /* channels, height, width */
    memcpy(p + 36, v4 + V4_LABEL, 36);         /* label kind ... the head's rate */
    memcpy(p + 72, v4 + V4_EPOCHS_DONE, 24);   /* the training position */
    if (version == 2) memcpy(p + 96, v4 + V4_PATHS, 16);
    memcpy(p + header - 8, v4 + V4_P, 8);
    memcpy(p + header, v4 + V4_HEADER, payload);
    *out_len = header + payload + 4;
    fix_crc(p, *out_len);
    return p;
}

/* ffcnn_load()'s message for the last seed ckpt_seed() found refused. */
static char ckpt_err[FFCNN_ERR_LEN];

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
    snprintf(ckpt_err, sizeof ckpt_err, "%s", rc ? err : "");
    if ((rc == FFCNN_OK) != valid) {
        fprintf(stderr, "gen_corpus: checkpoint seed %s: ffcnn_load %s (%s)\n", name,
                rc ? "fails" : "succeeds", rc ? err : "expected a failure");
        exit(1);
    }
    const int want_algo = strstr(name, "_bp_") ? FFCNN_ALGO_BP : FFCNN_ALGO_FF;
    if (net && ffcnn_net_config(net)->algo != want_algo) {
        fprintf(stderr, "gen_corpus: %s: loads as algorithm %s\n", name,
                ffcnn_algo_name(ffcnn_net_config(net)->algo));
        exit(1);
    }
    if (net && !strcmp(name, "valid_trained_position") && ffcnn_net_epochs_done(net) != 3) {
        fprintf(stderr, "gen_corpus: %s: epochs done is not at offset %d any more\n", name,
                V4_EPOCHS_DONE);
        exit(1);
    }
    if (net && (!strncmp(name, "valid_settled", 13) || !strncmp(name, "valid_v3_settled", 16)) &&
        (!ffcnn_net_conv_paths_settled(net) || strcmp(ffcnn_net_layer_conv_path(net, 1), "fft") ||
         strcmp(ffcnn_net_data_identity(net)->name, "mnist"))) {
        fprintf(stderr, "gen_corpus: %s: paths or data identity not where expected\n", name);
        exit(1);
    }
    if (net && (strstr(name, "_names_") != NULL) != (ffcnn_net_class_name(net, 0) != NULL)) {
        fprintf(stderr, "gen_corpus: %s: loads %s class names\n", name,
                ffcnn_net_class_name(net, 0) ? "with" : "without");
        exit(1);
    }
    if (net && (strstr(name, "_augment_") != NULL) !=
                   (ffcnn_net_config(net)->augment_pad || ffcnn_net_config(net)->augment_flip)) {
        fprintf(stderr, "gen_corpus: %s: loads %s augmentation\n", name,
                strstr(name, "_augment_") ? "without" : "with");
        exit(1);
    }
    if (net && strstr(name, "_37_classes_fourier") &&
        (ffcnn_net_config(net)->classes != 37 ||
         ffcnn_net_config(net)->label_kind != FFCNN_LABEL_FOURIER_AUTO)) {
        fprintf(stderr, "gen_corpus: %s: not 37 classes with the auto Fourier labels\n", name);
        exit(1);
    }
    ffcnn_net_free(net);
    free(buf);
}

static ffcnn_config seed_config(const char *net, int channels, int height, int width,
                                int train_from) {
    ffcnn_config c;
    char err[FFCNN_ERR_LEN];
    if (ffcnn_config_preset(&c, "tiny", err)) fail("preset", err);
    if (ffcnn_config_parse_net(&c, net, err)) fail(net, err);
    c.channels = channels, c.height = height, c.width = width, c.train_from = train_from;
    return c;
}

/* ---- version 5: the class names after the payload ---- */

#define NAME_BYTES 64

/* Where a saved model's names block starts (its count), at 424 + 12 P, checked against the
 * documented layout of version 5 with K names (K = 0: a model with augmentation and no names)
 * and the augmentation field augment (augment_pad | augment_flip << 8) at 412: version 5, a
 * 424-byte header, count K, and the CRC-32 right after the K names. */
static size_t v5_names_at(const uint8_t *p, size_t n, int K, int32_t augment) {
    uint64_t P;
    memcpy(&P, p + V4_P, 8);
    const size_t at = V4_HEADER + 12 * (size_t)P;
    if (get_i32(p, 8) != 5 || get_i32(p, 12) != V4_HEADER || get_i32(p, V4_RESERVED) != augment ||
        P > n / 12 || n != at + 4 + (size_t)K * NAME_BYTES + 4 || get_i32(p, (size_t)at) != K) {
        fprintf(stderr,
                "gen_corpus: a model with %d class names and augmentation 0x%x is not version 5 "
                "as documented\n",
                K, (unsigned)augment);
        exit(1);
    }
    return at;
}

static size_t names_at(const uint8_t *p, size_t n, int K) {
    return v5_names_at(p, n, K, 0);
}

/* A refused configuration (checked by its message), the CRC patched by the harness. */
static void config_seed(const char *name, const uint8_t *p, size_t n, const char *why) {
    ckpt_seed(name, 0x01, p, n, 0);
    if (!strstr(ckpt_err, why)) {
        fprintf(stderr,
                "gen_corpus: checkpoint seed %s: refused for another reason (%s), not '%s'\n", name,
                ckpt_err, why);
        exit(1);
    }
}

/* A malformed file: its CRC made right (the stored seed loads to the check it is for as it is,
 * and with the harness's patch), the refusal checked to be the intended one. */
static void names_seed(const char *name, uint8_t *p, size_t n, const char *why) {
    fix_crc(p, n);
    config_seed(name, p, n, why);
}

/* ---- version 5: the augmentation at 412 ---- */

/* augment_pad | augment_flip << 8, the field at 412 (docs/checkpoint-format.md). */
static int32_t augment_field(int pad, int flip) {
    return (int32_t)((uint32_t)pad | (uint32_t)flip << 8);
}

/* Models with augmentation: version 5, with a count of 0 and with names; and refused ones: the
 * field in a version-4 file, a pad past 8, a flip of 2, a bit past 15. */
static void checkpoint_augment_seeds(void) {
    char err[FFCNN_ERR_LEN];
    /* shift-flip:4, no names: version 5 with a count of 0 (comes back byte for byte) */
    ffcnn_config a = seed_config("c8k3", 1, 8, 8, 2);
    if (ffcnn_config_set_uniform(&a, 2, 2, 3, err)) fail("a", err); /* 2 x c2k3 */
    a.augment_pad = 4, a.augment_flip = 1;
    size_t na;
    uint8_t *ma = model_bytes(&a, NULL, 0, NULL, &na);
    v5_names_at(ma, na, 0, augment_field(4, 1));
    ckpt_seed("valid_v5_augment_shift_flip_4_count0_2x2k3_8x8_eval", 0x02, ma, na, 1);
    ckpt_seed("valid_v5_augment_shift_flip_4_count0_2x2k3_8x8_eval_fft", 0x0b, ma, na, 1);

    /* shift:8 (the largest pad), a bp model with settled paths and a data identity */
    ffcnn_config bp = seed_config("c2k3 p2 c3k3", 1, 8, 8, 1);
    bp.algo = FFCNN_ALGO_BP, bp.augment_pad = 8;
    const enum ffcnn_conv_path paths[2] = {FFCNN_CONV_FFT, FFCNN_CONV_IM2COL};
    const ffcnn_data_identity id = {.name = "cifar10", .train_limit = 50, .val_limit = -1};
    size_t nbp;
    uint8_t *mbp = model_bytes(&bp, paths, 2, &id, &nbp);
    v5_names_at(mbp, nbp, 0, augment_field(8, 0));
    ckpt_seed("valid_v5_bp_augment_shift_8_count0_c2k3_p2_c3k3_8x8_eval", 0x02, mbp, nbp, 1);

    /* flip only, with names (3 classes) */
    ffcnn_config t = seed_config("c2k3 p2 c3k3", 1, 8, 8, 1);
    t.classes = 3, t.label_kind = FFCNN_LABEL_FOURIER_AUTO, t.augment_flip = 1;
    static const char three[3][64] = {"left", "right", "\xc3\xa0 droite"};
    size_t n3;
    uint8_t *m3 = named_model_bytes(&t, NULL, 0, NULL, three, &n3);
    v5_names_at(m3, n3, 3, augment_field(0, 1));
    ckpt_seed("valid_v5_names_augment_flip_3_classes_c2k3_p2_c3k3_8x8_eval", 0x02, m3, n3, 1);

    /* shift-flip:2 with names (2 classes, one-hot) */
    ffcnn_config two = seed_config("c2k3", 3, 4, 5, 1);
    two.classes = 2, two.label_kind = FFCNN_LABEL_ONEHOT;
    two.augment_pad = 2, two.augment_flip = 1;
    static const char names2[2][64] = {"no", "yes"};
    size_t n2;
    uint8_t *m2 = named_model_bytes(&two, NULL, 0, NULL, names2, &n2);
    v5_names_at(m2, n2, 2, augment_field(2, 1));
    ckpt_seed("valid_v5_names_augment_shift_flip_2_2_classes_3x4x5_eval_im2col", 0x07, m2, n2, 1);

    /* Refused: the field in a version-4 file (reserved there), a pad of 9, a flip of 2, bit 16
     * set (to an otherwise valid shift-flip:4), each with a correct CRC. */
    ffcnn_config plain = a;
    plain.augment_pad = plain.augment_flip = 0;
    size_t n4;
    uint8_t *m4 = model_bytes(&plain, NULL, 0, NULL, &n4);
    check_header_bytes(m4, n4);
    put_i32(m4, V4_RESERVED, augment_field(4, 1));
    names_seed("bad_v4_augment_field_shift_flip_4", m4, n4, "reserved header field is not zero");
    uint8_t *m = malloc(na);
    if (!m) exit(1);
    static const struct {
        const char *name;
        int32_t field;
        const char *why;
    } bad[] = {
        {"bad_v5_augment_pad_9", 9, "shift 9 is out of range"},
        {"bad_v5_augment_flip_2", 2 << 8, "flip 2 is not 0 or 1"},
        {"bad_v5_augment_bit_16", 1 << 16 | 1 << 8 | 4, "unknown bits"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(m, ma, na);
        put_i32(m, V4_RESERVED, bad[i].field);
        names_seed(bad[i].name, m, na, bad[i].why);
    }
    free(m), free(m4);
    free(ma), free(mbp), free(m3), free(m2);
}

static void checkpoint_v5_seeds(void) {
    /* Three classes, named (version 5): ASCII, a two-byte and three-byte UTF-8 name; labels from
     * the auto Fourier set (the paper's sets are for 10 classes only). */
    ffcnn_config t = seed_config("c2k3 p2 c3k3", 1, 8, 8, 1);
    t.classes = 3, t.label_kind = FFCNN_LABEL_FOURIER_AUTO;
    static const char three[3][64] = {"cat", "d\xc3\xb6g", "\xe9\xa3\x9b\xe8\xa1\x8c\xe6\xa9\x9f"};
    size_t n3;
    uint8_t *m3 = named_model_bytes(&t, NULL, 0, NULL, three, &n3);
    const size_t at = names_at(m3, n3, 3), name0 = at + 4;
    ckpt_seed("valid_v5_names_3_classes_c2k3_p2_c3k3_8x8_eval", 0x02, m3, n3, 1);
    ckpt_seed("valid_v5_names_3_classes_c2k3_p2_c3k3_8x8_eval_fft", 0x0b, m3, n3, 1);

    /* Two classes, names at the limits: 63 bytes (a four-byte character first), and U+10FFFF,
     * the last code point; settled paths and a data identity too. */
    ffcnn_config two = seed_config("c2k3", 3, 4, 5, 1);
    two.classes = 2, two.label_kind = FFCNN_LABEL_ONEHOT;
    char edge[2][64] = {"\xf0\x9f\x90\xb1", "\xf4\x8f\xbf\xbf"};
    memset(edge[0] + 4, 'a', 59);
    const enum ffcnn_conv_path fft = FFCNN_CONV_FFT;
    const ffcnn_data_identity id = {.name = "folder", .train_limit = -1, .val_limit = 7};
    size_t n2;
    uint8_t *m2 = named_model_bytes(&two, &fft, 1, &id, (const char(*)[64])edge, &n2);
    names_at(m2, n2, 2);
    ckpt_seed("valid_v5_names_2_classes_63_bytes_onehot_3x4x5_eval_im2col", 0x07, m2, n2, 1);

    /* A bp model with names: ten of them. */
    ffcnn_config bp = seed_config("c2k3 p2 c3k3", 1, 8, 8, 1);
    bp.algo = FFCNN_ALGO_BP;
    char ten[10][64];
    for (int k = 0; k < 10; k++) snprintf(ten[k], sizeof ten[k], "class %d", k);
    size_t nbp;
    uint8_t *mbp = named_model_bytes(&bp, NULL, 0, NULL, (const char(*)[64])ten, &nbp);
    names_at(mbp, nbp, 10);
    ckpt_seed("valid_v5_bp_names_10_classes_c2k3_p2_c3k3_8x8_eval", 0x02, mbp, nbp, 1);

    /* Version 5 with a count of 0 (no names): loads, saves back as version 4. */
    ffcnn_config a = seed_config("c8k3", 1, 8, 8, 2);
    char err[FFCNN_ERR_LEN];
    if (ffcnn_config_set_uniform(&a, 2, 2, 3, err)) fail("a", err); /* 2 x c2k3 */
    size_t na;
    uint8_t *ma = model_bytes(&a, NULL, 0, NULL, &na);
    check_header_bytes(ma, na);
    uint8_t *z = calloc(1, na + 4);
    if (!z) exit(1);
    memcpy(z, ma, na - 4); /* the CRC's place becomes the count, 0 */
    put_i32(z, 8, 5);
    fix_crc(z, na + 4);
    ckpt_seed("valid_v5_count0_2x2k3_8x8_eval", 0x02, z, na + 4, 1);
    put_i32(z, na - 4, 10); /* a count of 10 and no names */
    names_seed("bad_v5_count10_without_names", z, na + 4, "promises");

    /* 37 classes (CIFAR-100's fine ones would be 100) with the auto Fourier labels: a 10x10
     * image has 40 modes below the Nyquist limit. */
    ffcnn_config f = seed_config("c2k3", 1, 10, 10, 1);
    f.classes = 37, f.label_kind = FFCNN_LABEL_FOURIER_AUTO;
    size_t nf;
    uint8_t *mf = model_bytes(&f, NULL, 0, NULL, &nf);
    check_header_bytes(mf, nf);
    ckpt_seed("valid_37_classes_fourier_c2k3_10x10_eval", 0x02, mf, nf, 1);
    ckpt_seed("valid_37_classes_fourier_c2k3_10x10_eval_fft", 0x0b, mf, nf, 1);
    uint8_t *m = malloc(nf > n3 + NAME_BYTES ? nf : n3 + NAME_BYTES);
    if (!m) exit(1);
    memcpy(m, mf, nf);
    put_i32(m, V4_SHAPE + 4, 8), put_i32(m, V4_SHAPE + 8, 8); /* 8x8: 24 modes */
    config_seed("bad_fourier_37_classes_8x8", m, nf, "Fourier modes");
    memcpy(m, mf, nf);
    put_i32(m, V4_SHAPE + 12, 101);
    config_seed("bad_classes_101", m, nf, "out of range");
    memcpy(m, mf, nf);
    put_i32(m, V4_SHAPE + 12, 1);
    config_seed("bad_classes_1", m, nf, "out of range");
    memcpy(m, mf, nf);
    put_i32(m, V4_LABEL, 5);
    config_seed("bad_label_kind_5", m, nf, "--label-set");
    memcpy(m, mf, nf);
    put_i32(m, V4_LABEL, FFCNN_LABEL_FOURIER1); /* the paper's set 1 for 37 classes */
    config_seed("bad_label_set_1_37_classes", m, nf, "10 classes");

    /* The names block, malformed (from the three-class model): the count, each name, the
     * length. */
    memcpy(m, m3, n3);
    put_i32(m, at, 2);
    names_seed("bad_names_count_2_of_3", m, n3, "2 class names for 3 classes");
    memcpy(m, m3, n3);
    put_i32(m, at, -1);
    names_seed("bad_names_count_negative", m, n3, "class names for 3 classes");
    memcpy(m, m3, n3);
    put_i32(m, at, 0); /* a count of 0 with the names behind it */
    names_seed("bad_names_count0_with_names", m, n3, "promises");
    memcpy(m, m3, n3);
    m[name0 + 10] = 'x'; /* after "cat" and its NUL */
    names_seed("bad_name_not_zero_padded", m, n3, "not zero-padded");
    memcpy(m, m3, n3);
    m[name0 + NAME_BYTES - 1] = 1; /* the last byte of the padding */
    names_seed("bad_name_padding_last_byte", m, n3, "not zero-padded");
    memcpy(m, m3, n3);
    memset(m + name0 + NAME_BYTES, 'a', NAME_BYTES);
    names_seed("bad_name_not_nul_terminated", m, n3, "not NUL-terminated");
    memcpy(m, m3, n3);
    memset(m + name0 + 2 * NAME_BYTES, 0, NAME_BYTES);
    names_seed("bad_name_empty", m, n3, "is empty");
    static const struct {
        const char *name, *bytes, *why;
    } bad[] = {
        {"bad_name_utf8_truncated", "d\xc3", "not valid UTF-8"},
        {"bad_name_utf8_continuation_first",
         "\x80"
         "abc",
         "not valid UTF-8"},
        {"bad_name_utf8_overlong", "\xe0\x80\xaf", "not valid UTF-8"},
        {"bad_name_utf8_surrogate", "\xed\xa0\x80", "not valid UTF-8"},
        {"bad_name_utf8_past_10ffff", "\xf4\x90\x80\x80", "not valid UTF-8"},
        {"bad_name_utf8_latin1", "caf\xe9", "not valid UTF-8"},
        {"bad_name_control_escape", "red\x1b[31m", "control character"},
        {"bad_name_control_newline", "two\nlines", "control character"},
        {"bad_name_control_del", "del\x7f", "control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(m, m3, n3);
        memset(m + name0 + NAME_BYTES, 0, NAME_BYTES);
        memcpy(m + name0 + NAME_BYTES, bad[i].bytes, strlen(bad[i].bytes));
        names_seed(bad[i].name, m, n3, bad[i].why);
    }
    memcpy(m, m3, n3);
    memcpy(m + name0 + 2 * NAME_BYTES, m + name0, NAME_BYTES);
    names_seed("bad_names_duplicate", m, n3, "are both 'cat'");
    /* The length: a name short (the count says 3, two are there), a byte too many. */
    memcpy(m, m3, n3);
    names_seed("bad_names_length_short", m, n3 - NAME_BYTES, "promises");
    memcpy(m, m3, n3);
    memmove(m + n3 - 3, m + n3 - 4, 4);
    names_seed("bad_names_length_one_byte_long", m, n3 + 1, "promises");
    /* A version-4 file with a names block after its payload. */
    memcpy(m, m3, n3);
    put_i32(m, 8, 4);
    names_seed("bad_v4_with_names_block", m, n3, "promises");
    free(m), free(m3), free(m2), free(mbp), free(ma), free(z), free(mf);
    checkpoint_augment_seeds();
}

static void checkpoint_seeds(void) {
    char err[FFCNN_ERR_LEN];
    ffcnn_config a = seed_config("c8k3", 1, 8, 8, 2), b = a, c = a;
    if (ffcnn_config_set_uniform(&a, 2, 2, 3, err)) fail("a", err); /* 2 x c2k3 */
    if (ffcnn_config_set_uniform(&b, 1, 1, 1, err)) fail("b", err);
    b.height = 4, b.width = 4, b.train_from = 1, b.label_kind = FFCNN_LABEL_ONEHOT;
    if (ffcnn_config_set_uniform(&c, 3, 1, 5, err)) fail("c", err);
    c.channels = 2, c.height = 5, c.width = 6, c.train_from = 3;
    c.label_kind = FFCNN_LABEL_FOURIER2, c.label_k = 0.5f;
    /* pooling and growing widths; an odd side that pooling floors */
    const ffcnn_config d = seed_config("c2k3 p2 c3k3", 1, 8, 8, 1);
    const ffcnn_config e = seed_config("c1k3, p3, c2k1", 1, 7, 7, 2);

    size_t na, nb, nc, nd, ne, ns, nsa, n1, n2;
    uint8_t *ma = model_bytes(&a, NULL, 0, NULL, &na), *mb = model_bytes(&b, NULL, 0, NULL, &nb);
    uint8_t *mc = model_bytes(&c, NULL, 0, NULL, &nc), *md = model_bytes(&d, NULL, 0, NULL, &nd);
    uint8_t *me = model_bytes(&e, NULL, 0, NULL, &ne);
    check_header_bytes(mb, nb);
    ckpt_seed("valid_2x2k3_8x8", 0x00, ma, na, 1);
    ckpt_seed("valid_2x2k3_8x8_eval_fft", 0x0b, ma, na, 1);
    ckpt_seed("valid_1x1k1_4x4_onehot_eval", 0x02, mb, nb, 1);
    ckpt_seed("valid_3x1k5_2x5x6_eval_im2col", 0x07, mc, nc, 1);
    ckpt_seed("valid_c2k3_p2_c3k3_8x8_eval", 0x02, md, nd, 1);
    ckpt_seed("valid_c2k3_p2_c3k3_8x8_eval_fft", 0x0b, md, nd, 1);
    ckpt_seed("valid_c1k3_p3_c2k1_7x7_eval_im2col", 0x07, me, ne, 1);

    /* Backprop models (algorithm 1): the head on the last layer of the list (here a pooling
     * layer, and a conv layer). */
    ffcnn_config dbp = d, ebp = seed_config("c2k3 c3k1", 2, 5, 6, 1);
    dbp.algo = ebp.algo = FFCNN_ALGO_BP;
    size_t nbp, nbp2;
    uint8_t *mbp = model_bytes(&dbp, NULL, 0, NULL, &nbp);
    uint8_t *mbp2 = model_bytes(&ebp, NULL, 0, NULL, &nbp2);
    check_header_bytes(mbp, nbp);
    ckpt_seed("valid_bp_c2k3_p2_c3k3_8x8_eval", 0x02, mbp, nbp, 1);
    ckpt_seed("valid_bp_c2k3_p2_c3k3_8x8_eval_fft", 0x0b, mbp, nbp, 1);
    ckpt_seed("valid_bp_c2k3_c3k1_2x5x6_eval_im2col", 0x07, mbp2, nbp2, 1);

    /* Settled paths (im2col, fft) and a data identity. */
    const enum ffcnn_conv_path paths[2] = {FFCNN_CONV_IM2COL, FFCNN_CONV_FFT};
    ffcnn_data_identity id = {.name = "mnist", .train_limit = 100, .val_limit = 0};
    for (int i = 0; i < 32; i++) id.fingerprint[i] = (uint8_t)(i * 7 + 1);
    uint8_t *ms = model_bytes(&d, paths, 2, &id, &ns);
    ckpt_seed("valid_settled_paths_data_identity_eval", 0x02, ms, ns, 1);
    size_t nsbp;
    uint8_t *msbp = model_bytes(&dbp, paths, 2, &id, &nsbp);
    ckpt_seed("valid_settled_bp_paths_data_identity_eval", 0x02, msbp, nsbp, 1);

    /* Versions 1, 2 and 3, which still load (as ff models) and save back as version 4. */
    size_t n3, n3e;
    uint8_t *v3 = v3_version(ms, ns, &n3), *v3e = v3_version(me, ne, &n3e);
    ckpt_seed("valid_v3_settled_paths_data_identity_eval", 0x02, v3, n3, 1);
    ckpt_seed("valid_v3_c1k3_p3_c2k1_7x7_eval_fft", 0x0b, v3e, n3e, 1);
    put_i32(v3, 12, V4_HEADER); /* a version-3 file that states a version-4 header length */
    ckpt_seed("v3_bad_header_length", 0x01, v3, n3, 0);
    ckpt_seed("v3_truncated", 0x01, v3e, n3e - 12, 0);
    ckpt_seed("v3_header_only", 0x01, v3e, V3_HEADER + 4, 0);
    uint8_t *msa = model_bytes(&a, paths, 2, NULL, &nsa);
    uint8_t *v2 = old_version(msa, nsa, 2, &n2), *v1 = old_version(mc, nc, 1, &n1);
    ckpt_seed("valid_v2_2x2k3_8x8_settled_eval", 0x02, v2, n2, 1);
    ckpt_seed("valid_v1_3x1k5_2x5x6_eval", 0x02, v1, n1, 1);
    v2[96] = 3; /* a path byte out of range */
    ckpt_seed("v2_bad_path", 0x01, v2, n2, 0);
    ckpt_seed("v1_truncated", 0x01, v1, n1 - 12, 0);
    ckpt_seed("v1_header_only", 0x01, v1, 108, 0);

    size_t big = 0; /* room for any model below */
    const size_t sizes[] = {na, nb, nd, ns, nbp};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) big = sizes[i] > big ? sizes[i] : big;
    uint8_t *m = malloc(big);
    memcpy(m, mb, nb);
    put_i32(m, V4_EPOCHS_DONE, 3);
    fix_crc(m, nb);
    ckpt_seed("valid_trained_position", 0x03, m, nb, 1);
    /* Refused: entries past the list's length (the format pads with zeros) that are not zero,
     * and a data set name without its NUL. */
    memcpy(m, md, nd);
    put_i32(m, V4_LAYER + 12 * 5, 1), put_i32(m, V4_LAYER + 12 * 5 + 4, 7);
    ckpt_seed("bad_nonzero_padding", 0x01, m, nd, 0);
    memcpy(m, ms, ns);
    memset(m + V4_DATA_NAME, 'x', 64);
    ckpt_seed("bad_unterminated_name", 0x01, m, ns, 0);

    memcpy(m, mb, nb);
    m[7] = 'Q';
    ckpt_seed("bad_magic", 0x00, m, nb, 0);
    memcpy(m, mb, nb);
    m[8] = 5;
    ckpt_seed("bad_version", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    m[8] = 3; /* a version-4 file that says version 3 (with 424 at 12) */
    ckpt_seed("bad_version_3_with_v4_header", 0x01, m, nb, 0);
    /* The algorithm field: 2 is neither ff nor bp; the reserved field after it must be 0. */
    memcpy(m, mb, nb);
    put_i32(m, V4_ALGO, 2);
    ckpt_seed("bad_algo", 0x01, m, nb, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_RESERVED, 1);
    ckpt_seed("bad_reserved_nonzero", 0x01, m, nd, 0);
    memcpy(m, mbp, nbp);
    put_i32(m, V4_RESERVED, -1);
    ckpt_seed("bad_bp_reserved_nonzero", 0x01, m, nbp, 0);
    /* ff <-> bp: the head reads the trained layers (ff) or the last layer (bp), so flipping
     * the field changes the parameter count of d (train from 1, pooling), and not that of a
     * (train from 2 of 2 conv layers): that one loads as a bp model. */
    memcpy(m, md, nd);
    put_i32(m, V4_ALGO, 1);
    ckpt_seed("bad_ff_as_bp_param_count", 0x01, m, nd, 0);
    memcpy(m, ma, na);
    put_i32(m, V4_ALGO, 1);
    ckpt_seed("valid_bp_from_ff_2x2k3_8x8_eval", 0x03, m, na, 1);
    memcpy(m, mb, nb);
    put_i32(m, 12, V4_HEADER + 4);
    ckpt_seed("bad_header_length", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    m[V4_HEADER + 20] ^= 0x40;
    ckpt_seed("bad_crc", 0x00, m, nb, 0);
    memcpy(m, mb, nb);
    m[V4_LAYER + 8] = 4; /* the first layer's kernel 4: even */
    ckpt_seed("bad_config_kernel", 0x01, m, nb, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_LAYER + 12, 3); /* an unknown layer kind */
    ckpt_seed("bad_layer_kind", 0x01, m, nd, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_LAYER, 2), put_i32(m, V4_LAYER + 4, 0), put_i32(m, V4_LAYER + 8, 2);
    ckpt_seed("bad_pooling_first", 0x01, m, nd, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_LAYER + 24, 2), put_i32(m, V4_LAYER + 28, 0), put_i32(m, V4_LAYER + 32, 2);
    ckpt_seed("bad_two_poolings", 0x01, m, nd, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_LAYER + 12 + 8, 9); /* 9x9 pooling of an 8x8 map */
    ckpt_seed("bad_pooling_size", 0x01, m, nd, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_LAYERS, 17);
    ckpt_seed("bad_layer_count", 0x01, m, nd, 0);
    memcpy(m, md, nd);
    put_i32(m, V4_SHAPE + 12, 9);
    ckpt_seed("bad_classes", 0x01, m, nd, 0);
    memcpy(m, mb, nb);
    m[V4_P] += 1; /* P off by one */
    ckpt_seed("bad_param_count", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    m[V4_SHAPE + 4] = 2; /* height 2: a 2x4 image cannot hold the one-hot label */
    ckpt_seed("bad_config_onehot_2x4", 0x01, m, nb, 0);
    memcpy(m, mb, nb);
    put_i32(m, V4_EPOCHS_DONE, -1);
    ckpt_seed("negative_epochs", 0x01, m, nb, 0);
    memcpy(m, ms, ns);
    m[V4_PATHS + 1] = 3;
    ckpt_seed("bad_path", 0x01, m, ns, 0);
    memcpy(m, ms, ns);
    m[V4_PATHS + 2] = 1; /* a path for a third conv layer of a network with two */
    ckpt_seed("bad_path_past_last_conv", 0x01, m, ns, 0);
    memcpy(m, ms, ns);
    m[V4_PATHS + 1] = 0; /* one conv layer recorded, the other not */
    ckpt_seed("bad_path_partly_settled", 0x01, m, ns, 0);
    memcpy(m, ms, ns);
    put_i32(m, V4_DATA_LIMITS + 4, -2);
    ckpt_seed("bad_data_limit", 0x01, m, ns, 0);
    ckpt_seed("truncated", 0x01, mb, nb - 100, 0);
    ckpt_seed("header_only", 0x01, mb, V4_HEADER + 4, 0);
    ckpt_seed("short_of_v4_header", 0x01, mb, V3_HEADER + 4, 0); /* a version 3 header's worth */
    ckpt_seed("short_of_header", 0x01, mb, 300, 0);
    ckpt_seed("short", 0x00, mb, 40, 0);
    ckpt_seed("empty", 0x00, mb, 0, 0);
    free(m);
    free(ma), free(mb), free(mc), free(md), free(me), free(ms), free(msa), free(v1), free(v2);
    free(mbp), free(mbp2), free(msbp), free(v3), free(v3e);
    checkpoint_v5_seeds();
}

/* ---- image: the image file itself ---- */

/* A growable byte buffer (libpng's write callback appends to it). */
typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void membuf_put(membuf *b, const uint8_t *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) exit(1);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void png_put(png_structp png, png_bytep p, size_t n) {
    membuf_put(png_get_io_ptr(png), p, n);
}
static void png_flush_none(png_structp png) {
    (void)png;
}
static void png_fail(png_structp png, png_const_charp msg) {
    (void)png;
    fail("libpng", msg);
}

/* A test pattern: a bright ring (a "0") on a dark background, each sample of `bits` bits, the
 * channels a little apart so that colour survives; light = dark ink on a light background. */
static unsigned pattern(int y, int x, int h, int w, int c, int bits, int light) {
    const double dy = (y + 0.5) / h - 0.5, dx = (x + 0.5) / w - 0.5;
    const double r = dy * dy + dx * dx;
    const double ink = r > 0.06 && r < 0.16 ? 1.0 : r < 0.06 ? 0.1 : 0.0;
    double v = (light ? 1.0 - ink : ink) * (1.0 - 0.15 * c) + 0.02 * ((x + 2 * y + c) % 3);
    v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    return (unsigned)(v * ((1u << bits) - 1) + 0.5);
}

/* A PNG through libpng: color_type and bit_depth as libpng takes them, samples from pattern()
 * (a palette image: indices of a palette of `colours` entries, the first `transparent` of them
 * given alpha by a tRNS chunk). */
static membuf png_bytes(int w, int h, int color_type, int bit_depth, int interlace, int light) {
    membuf out = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) fail("libpng", "out of memory");
    png_set_write_fn(png, &out, png_put, png_flush_none);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, bit_depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    const int palette = color_type == PNG_COLOR_TYPE_PALETTE;
    const int colours = palette ? 1 << bit_depth : 0;
    if (palette) {
        png_color pal[256];
        png_byte alpha[256];
        for (int i = 0; i < colours; i++) {
            pal[i] = (png_color){(png_byte)(i * 255 / (colours - 1)), (png_byte)(i * 37),
                                 (png_byte)(255 - i * 255 / (colours - 1))};
            alpha[i] = (png_byte)(i * 80);
        }
        png_set_PLTE(png, info, pal, colours);
        png_set_tRNS(png, info, alpha, 3, NULL);
    }
    png_write_info(png, info);
    if (bit_depth == 16) png_set_swap(png); /* the rows below hold host-order (LE) samples */
    png_set_packing(png);                   /* rows of one byte per sample below 8 bits */
    const int samples = palette ? 1 : png_get_channels(png, info);
    const int bytes = bit_depth == 16 ? 2 : 1;
    const int colour = color_type & PNG_COLOR_MASK_COLOR;
    png_bytep *rows = malloc(sizeof *rows * (size_t)h);
    for (int y = 0; y < h; y++) {
        rows[y] = malloc((size_t)w * samples * bytes);
        for (int x = 0; x < w; x++)
            for (int s = 0; s < samples; s++) {
                unsigned v;
                if (palette)
                    v = (unsigned)(x + y) % (unsigned)colours;
                else if ((color_type & PNG_COLOR_MASK_ALPHA) && s == samples - 1)
                    v = (unsigned)((x * 97 + y * 31) % ((1 << bit_depth) - 1)); /* alpha */
                else
                    v = pattern(y, x, h, w, colour ? s : 0, bit_depth, light);
                if (bytes == 2)
                    memcpy(rows[y] + 2 * ((size_t)x * samples + s), &(uint16_t){(uint16_t)v}, 2);
                else
                    rows[y][(size_t)x * samples + s] = (png_byte)v;
            }
    }
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    for (int y = 0; y < h; y++) free(rows[y]);
    free(rows);
    return out;
}

/* A JPEG through libjpeg (into memory): components 1 (grey), 3 (RGB) or 4 (CMYK). */
static membuf jpeg_bytes(int w, int h, int components, int quality, int progressive, int light) {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr); /* its error_exit prints and exits */
    jpeg_create_compress(&cinfo);
    unsigned char *mem = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &mem, &size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    JSAMPLE *row = malloc((size_t)w * components);
    while (cinfo.next_scanline < cinfo.image_height) {
        const int y = (int)cinfo.next_scanline;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < components; c++)
                row[x * components + c] = (JSAMPLE)pattern(y, x, h, w, c, 8, light);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    membuf out = {0};
    membuf_put(&out, mem, size);
    free(mem);
    return out;
}

/* A binary PGM (channels 1) or PPM (3), maxval up to 65535 (two bytes a sample over 255). */
static membuf pnm_bytes(int w, int h, int channels, unsigned maxval, const char *comment) {
    char header[256];
    const int n = snprintf(header, sizeof header, "P%c\n%s%s%d %d\n%u\n", channels == 1 ? '5' : '6',
                           comment ? comment : "", comment ? "\n" : "", w, h, maxval);
    membuf out = {0};
    membuf_put(&out, (const uint8_t *)header, (size_t)n);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++) {
                const unsigned v = pattern(y, x, h, w, c, 16, 0) * maxval / 65535u;
                const uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
                if (maxval > 255)
                    membuf_put(&out, b, 2);
                else
                    membuf_put(&out, b + 1, 1);
            }
    return out;
}

/* Writes a seed and checks that ffcnn_image_load() accepts it (with that many channels) or
 * refuses it, as intended, so that a change to the decoder shows up here. */
static void image_seed(const char *name, const uint8_t *p, size_t n, int want_channels) {
    emit("image", name, p, n);
    char path[4096], err[FFCNN_ERR_LEN];
    snprintf(path, sizeof path, "%s/image/%s", root, name);
    ffcnn_image img;
    const int rc = ffcnn_image_load(&img, path, err);
    if (want_channels ? rc != FFCNN_OK || img.channels != want_channels : rc == FFCNN_OK) {
        fprintf(stderr, "gen_corpus: image seed %s: ffcnn_image_load %s (%s)\n", name,
                rc ? "fails" : "succeeds", rc ? err : "unexpected channels or success");
        exit(1);
    }
    ffcnn_image_free(&img);
}

static void image_membuf_seed(const char *name, membuf b, int want_channels) {
    image_seed(name, b.p, b.n, want_channels);
    free(b.p);
}

/* Sets a PNG's width (IHDR at byte 16) and recomputes the chunk's CRC-32 (over bytes 12..28). */
static void png_set_width(uint8_t *p, uint32_t w) {
    const uint8_t be[4] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
    memcpy(p + 16, be, 4);
    const uint32_t crc = (uint32_t)crc32_z(0L, p + 12, 17);
    const uint8_t c[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
                          (uint8_t)crc};
    memcpy(p + 29, c, 4);
}

static void image_seeds(void) {
    char err[FFCNN_ERR_LEN], path[4096];
    /* ffcnn_image_save_png: an MNIST-sized digit (prepared as it is) and a colour image */
    ffcnn_image grey = {1, 28, 28, malloc(28 * 28)}, rgb = {3, 12, 16, malloc(3 * 12 * 16)};
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            grey.pixels[y * 28 + x] = (uint8_t)pattern(y, x, 28, 28, 0, 8, 0);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 16; x++)
                rgb.pixels[(c * 12 + y) * 16 + x] = (uint8_t)pattern(y, x, 12, 16, c, 8, 1);
    snprintf(path, sizeof path, "%s/image/png_grey_28x28_digit", root);
    if (ffcnn_image_save_png(&grey, path, err)) fail("ffcnn_image_save_png", err);
    snprintf(path, sizeof path, "%s/image/png_rgb_16x12_light", root);
    if (ffcnn_image_save_png(&rgb, path, err)) fail("ffcnn_image_save_png", err);
    size_t n = 0;
    uint8_t *saved = fz_read_file(path, &n);
    if (!saved) fail(path, "cannot read back");
    image_seed("png_rgb_16x12_light", saved, n, 3); /* checks it, and the grey one below */
    snprintf(path, sizeof path, "%s/image/png_grey_28x28_digit", root);
    size_t ng = 0;
    uint8_t *saved_grey = fz_read_file(path, &ng);
    if (!saved_grey) fail(path, "cannot read back");
    image_seed("png_grey_28x28_digit", saved_grey, ng, 1);
    free(grey.pixels), free(rgb.pixels);

    /* libpng: the colour types and depths the library does not write */
    image_membuf_seed("png_grey_alpha_8x8", png_bytes(8, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0), 1);
    image_membuf_seed("png_rgba_10x7", png_bytes(10, 7, PNG_COLOR_TYPE_RGBA, 8, 0, 1), 3);
    image_membuf_seed("png_palette4_trns_9x9", png_bytes(9, 9, PNG_COLOR_TYPE_PALETTE, 4, 0, 0), 3);
    image_membuf_seed("png_grey1_interlaced_13x11", png_bytes(13, 11, PNG_COLOR_TYPE_GRAY, 1, 1, 0),
                      1);
    image_membuf_seed("png_grey16_6x5", png_bytes(6, 5, PNG_COLOR_TYPE_GRAY, 16, 0, 1), 1);
    image_membuf_seed("png_rgb16_interlaced_5x4", png_bytes(5, 4, PNG_COLOR_TYPE_RGB, 16, 1, 0), 3);
    image_membuf_seed("png_rgba16_3x3", png_bytes(3, 3, PNG_COLOR_TYPE_RGBA, 16, 0, 0), 3);

    /* libjpeg: grey, RGB (baseline and progressive), CMYK (with Adobe's marker) */
    image_membuf_seed("jpeg_grey_20x12", jpeg_bytes(20, 12, 1, 90, 0, 1), 1);
    image_membuf_seed("jpeg_rgb_16x16", jpeg_bytes(16, 16, 3, 75, 0, 0), 3);
    image_membuf_seed("jpeg_rgb_progressive_17x9", jpeg_bytes(17, 9, 3, 50, 1, 1), 3);
    image_membuf_seed("jpeg_cmyk_8x8", jpeg_bytes(8, 8, 4, 80, 0, 0), 3);

    /* PGM/PPM: 8 and 16 bits, a header comment */
    image_membuf_seed("pgm_30x8", pnm_bytes(30, 8, 1, 255, "# a comment"), 1);
    image_membuf_seed("pgm_maxval1000_7x3", pnm_bytes(7, 3, 1, 1000, NULL), 1);
    image_membuf_seed("ppm_6x6", pnm_bytes(6, 6, 3, 255, NULL), 3);
    image_membuf_seed("ppm_16bit_4x2", pnm_bytes(4, 2, 3, 65535, NULL), 3);

    /* malformed */
    image_seed("png_truncated", saved, n / 2, 0);
    saved[n - 20] ^= 0x55; /* the end of the IDAT data: zlib's Adler-32 */
    image_seed("png_corrupt_idat", saved, n, 0);
    saved[n - 20] ^= 0x55;
    saved[n - 14] ^= 0x55; /* the IDAT chunk's CRC-32 (IEND's 12 bytes follow it) */
    image_seed("png_bad_crc", saved, n, 0);
    saved[n - 14] ^= 0x55;
    png_set_width(saved, 32769);
    image_seed("png_too_wide", saved, n, 0);
    png_set_width(saved, 0);
    image_seed("png_zero_width", saved, n, 0);
    free(saved), free(saved_grey);
    membuf j = jpeg_bytes(16, 16, 3, 75, 0, 0);
    image_seed("jpeg_truncated", j.p, j.n * 2 / 3, 0);
    image_seed("jpeg_soi_only", j.p, 2, 0);
    free(j.p);
    membuf pgm = pnm_bytes(5, 5, 1, 255, NULL);
    image_seed("pgm_truncated", pgm.p, pgm.n - 3, 0);
    free(pgm.p);
    static const char *const bad_pnm[][2] = {
        {"pgm_maxval_0", "P5 2 2 0\n\1\2\3\4"},
        {"pgm_no_whitespace_before_pixels", "P5 2 2 255"},
        {"pgm_too_large", "P5 40000 40000 255\n\1\2\3\4"},
        {"pgm_ascii_p2", "P2\n2 2\n255\n1 2 3 4\n"},
        {"not_an_image", "GIF89a"},
    };
    for (size_t i = 0; i < sizeof bad_pnm / sizeof *bad_pnm; i++)
        image_seed(bad_pnm[i][0], (const uint8_t *)bad_pnm[i][1], strlen(bad_pnm[i][1]), 0);
    image_seed("empty", (const uint8_t *)"", 0, 0);
}

/* ---- args: command byte (0 train, 1 bench, 2 eval, 3 info, 4 plot, 5 predict, 6 cam,
 * 7 labels), NUL-separated arguments ---- */

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
    /* --algo: bp refuses the flags that apply to ff only */
    args_seed("train_bp", 0,
              A("--algo", "bp", "--preset", "tiny", "--net", "c4k3 p2 c8k3", "--final-eval",
                "linear", "--lr", "1e-3"));
    args_seed("train_algo_ff_with_labels", 0,
              A("--algo=ff", "--label-set", "onehot", "--train-from", "1"));
    args_seed("bench_bp", 1, A("--algo", "bp", "--steps", "1", "--warmup", "0"));
    args_seed("bad_algo", 0, A("--algo", "xyz"));
    args_seed("bad_bp_train_from", 0, A("--algo", "bp", "--train-from", "2"));
    args_seed("bad_bp_label_set", 0, A("--label-set", "2", "--algo", "bp"));
    args_seed("bad_bp_label_k", 0, A("--algo", "bp", "--label-k", "0.5"));
    args_seed("bad_bp_classifier_lr", 0, A("--algo", "bp", "--classifier-lr", "0.01"));
    args_seed("bad_resume_with_algo", 0, A("--resume", "m.ffm", "--algo", "bp"));
    args_seed("bad_eval_algo", 2, A("--model", "m.ffm", "--algo", "bp"));
    /* layer lists: --net SPEC, --net=SPEC, --net @FILE */
    args_seed(
        "train_net_pooling", 0,
        A("--net", "c8k5 p2 c16k3 p2 c32k3", "--train-from", "2", "--conv", "im2col,fft,fft"));
    args_seed("train_net_commas_comment", 0, A("--net=c4k3,p2,c8k3 # growing widths", "--json"));
    args_seed("bench_net", 1, A("--net", "c2k3 p2 c3k3", "--steps", "1", "--conv", "auto"));
    args_seed("train_preset_then_net", 0, A("--preset", "paper", "--net", "c16k7 p3 c32k5"));
    args_seed("bad_net_pooling_first", 0, A("--net", "p2 c4k3"));
    args_seed("bad_net_two_poolings", 0, A("--net", "c4k3 p2 p2 c4k3"));
    args_seed("bad_net_entry", 0, A("--net", "c4x3"));
    args_seed("bad_net_empty", 1, A("--net", " # nothing"));
    args_seed("bad_net_too_many", 0,
              A("--net", "c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 c1k1 "
                         "c1k1 c1k1 c1k1"));
    args_seed("bad_net_with_layers", 0, A("--net", "c4k3", "--layers", "2"));
    /* parses: the count is checked once the network exists (ffcnn_net_set_conv_paths) */
    args_seed("train_net_conv_count_unchecked", 0,
              A("--net", "c4k3 p2 c4k3", "--conv", "fft,fft,fft"));
    args_seed("bad_net_file_missing", 0, A("--net", "@/nonexistent/ffcnn-net.txt"));
    args_seed("bad_net_file_directory", 0, A("--net", "@/"));
    args_seed("bad_resume_with_net", 0, A("--resume", "m.ffm", "--net", "c4k3"));
    args_seed("bad_eval_net", 2, A("--model", "m.ffm", "--net", "c4k3"));
    /* info */
    args_seed("info", 3, A("--model", "m.ffm"));
    args_seed("info_json", 3, A("--model=m.ffm", "--json"));
    args_seed("info_help", 3, A("--help"));
    args_seed("bad_info_no_model", 3, A("--json"));
    args_seed("bad_info_eval_flag", 3, A("--model", "m.ffm", "--split", "test"));
    /* plot, predict, cam, labels */
    args_seed("plot", 4, A("runs/a.metrics.jsonl", "runs/b.metrics.jsonl", "--out", "p.png"));
    args_seed("plot_all_flags", 4,
              A("--x", "epoch", "--panels", "val", "--title", "curves", "--width", "1200",
                "--height", "900", "--out=p.png", "m.metrics.jsonl"));
    args_seed("bad_plot_no_out", 4, A("m.metrics.jsonl"));
    args_seed("bad_plot_no_metrics", 4, A("--out", "p.png", "--panels", "all"));
    args_seed("bad_plot_width", 4, A("--width", "100", "--out", "p.png", "m.jsonl"));
    args_seed("predict_files", 5,
              A("--model", "m.ffm", "a.png", "b.jpg", "c.pgm", "--invert", "yes", "--fit", "digit",
                "--mode", "linear", "--save-input", "in.png", "--json"));
    args_seed("predict_index", 5,
              A("--model=m.ffm", "--index", "7", "--data", "fashion", "--split", "test",
                "--threads", "1", "--conv", "im2col"));
    args_seed("bad_predict_index_and_file", 5, A("--model", "m.ffm", "--index", "0", "a.png"));
    args_seed("bad_predict_no_image", 5, A("--model", "m.ffm", "--fit", "stretch"));
    args_seed("bad_predict_mode_both", 5, A("--model", "m.ffm", "a.png", "--mode", "both"));
    args_seed("bad_predict_invert", 5, A("--model", "m.ffm", "a.png", "--invert", "maybe"));
    args_seed("cam_file", 6,
              A("--model", "m.ffm", "a.png", "--out", "cam.png", "--class", "3", "--fit", "auto"));
    args_seed("cam_index_all_classes", 6,
              A("--model", "m.ffm", "--index", "12", "--all-classes", "--out", "cam.png"));
    args_seed("bad_cam_two_images", 6, A("--model", "m.ffm", "a.png", "b.png", "--out", "c.png"));
    args_seed("bad_cam_class_and_all", 6,
              A("--model", "m.ffm", "a.png", "--out", "c.png", "--class", "1", "--all-classes"));
    args_seed("bad_cam_no_out", 6, A("--model", "m.ffm", "a.png"));
    args_seed("labels", 7, A("--out", "labels.png"));
    args_seed("labels_model_index", 7,
              A("--model", "m.ffm", "--index", "3", "--data", "mnist:data/mnist", "--split", "val",
                "--out", "l.png"));
    args_seed("labels_set", 7, A("--label-set", "onehot", "--label-k", "0.5", "--out", "l.png"));
    args_seed("bad_labels_no_out", 7, A("--label-set", "2"));
    args_seed("bad_labels_file", 7, A("--out", "l.png", "a.png"));
    /* data sets with a held-out validation split, --split all, --val-split, --image-size */
    args_seed("train_cifar10_val_split", 0,
              A("--data", "cifar10", "--val-split", "500", "--preset", "tiny"));
    args_seed("train_folder_image_size", 0,
              A("--data", "folder:/tmp/pictures", "--image-size", "1x28x28", "--val-limit", "0"));
    args_seed("eval_cifar100_coarse_split_all", 2,
              A("--model", "m.ffm", "--data", "cifar100-coarse:/tmp/c", "--split", "all"));
    args_seed("predict_cifar10_jpeg_index", 5,
              A("--model", "m.ffm", "--data", "cifar10-jpeg", "--index", "4", "--val-split", "10"));
    args_seed("labels_folder_image_size", 7,
              A("--data", "folder:d", "--image-size", "3x16x24", "--out", "l.png"));
    args_seed("bad_data_folder_no_dir", 2, A("--model", "m.ffm", "--data", "folder"));
    args_seed("bad_image_size", 0, A("--image-size", "2x28x28"));
    args_seed("bad_train_split_all", 0, A("--split", "all"));
    /* the auto Fourier labels (any class count), a folder of colour images */
    args_seed("train_label_set_fourier", 0, A("--label-set", "fourier", "--preset", "tiny"));
    args_seed("labels_label_set_fourier", 7,
              A("--label-set", "fourier", "--data", "folder:/x", "--out", "l.png"));
    args_seed("train_folder_image_size_3x32x32", 0,
              A("--data", "folder:/x", "--image-size", "3x32x32"));
    args_seed("bad_label_set_fourier_bp", 0, A("--algo", "bp", "--label-set", "fourier"));
    args_seed("bad_label_set_word", 0, A("--label-set", "fourier2"));
    /* --augment (train and bench; a configuration flag, so refused with --resume) */
    args_seed("train_augment_shift_flip_4", 0,
              A("--augment", "shift-flip:4", "--preset", "tiny", "--epochs", "1"));
    args_seed("train_augment_flip", 0, A("--augment=flip"));
    args_seed("train_augment_shift", 0, A("--augment", "shift", "--net", "c4k3 p2 c8k3"));
    args_seed("train_augment_none_bp", 0, A("--algo", "bp", "--augment", "none"));
    args_seed("bench_augment", 1,
              A("--augment", "shift-flip:8", "--steps", "1", "--warmup", "0", "--preset", "tiny"));
    args_seed("bad_augment_shift_9", 0, A("--augment", "shift:9"));
    args_seed("bad_augment_shift_0", 0, A("--augment", "shift:0"));
    args_seed("bad_augment_bogus", 0, A("--augment", "bogus"));
    args_seed("bad_resume_with_augment", 0, A("--resume", "m.ffm", "--augment", "flip"));
    args_seed("bad_eval_augment", 2, A("--model", "m.ffm", "--augment", "flip"));
#undef A
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR (idx/, checkpoint/, image/, args/ made in it)\n",
                argv[0]);
        return 2;
    }
    root = argv[1];
    static const char *const subs[] = {"idx", "checkpoint", "image", "args"};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, subs[i]);
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            perror(dir);
            return 1;
        }
    }
    idx_seeds();
    checkpoint_seeds();
    image_seeds();
    args_seeds();
    return 0;
}
