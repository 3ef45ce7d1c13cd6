/* The CIFAR-10/100 binary readers, the image-folder reader and the stratified split. The test
 * writes its own files in the official layouts (plain and gzip'd), image trees of PNG (through
 * ffcnn_image_save_png) and JPEG (libjpeg) files, and malformed ones: each must give the right
 * error naming the file, leave no dataset behind, and not crash or leak under the sanitizers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <zlib.h>

#include "ffcnn.h"
#include "image_files.h"
#include "test_util.h"

static char root[] = "/tmp/ffcnn_test_readers_XXXXXX";

/* root/name; a few calls' results stay valid at once (a ring of buffers). */
static const char *at(const char *name) {
    static char ring[8][512];
    static int next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", root, name);
    return p;
}

static void make_dir(const char *path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) perror(path);
}

/* ---- CIFAR files ---- */

#define PIX 3072

/* The pixel byte i of the image numbered g (its position in the whole set). */
static uint8_t pixel_of(int g, int i) {
    return (uint8_t)(i * 7 + g * 13 + (i >> 10) * 101 + 1);
}

static int label10(int g) {
    return (g * 3 + 1) % 10;
}
static int coarse_of(int g) {
    return (g * 7 + 2) % 20;
}
static int fine_of(int g) {
    return (g * 37 + 5) % 100;
}

/* n records of images first..first+n-1; label_bytes 1 (CIFAR-10) or 2 (CIFAR-100). */
static uint8_t *records(int first, int n, int label_bytes, size_t *len) {
    const size_t rec = (size_t)label_bytes + PIX;
    uint8_t *buf = malloc(rec * (size_t)n + 1);
    for (int r = 0; r < n; r++) {
        uint8_t *p = buf + rec * r;
        const int g = first + r;
        if (label_bytes == 1) {
            p[0] = (uint8_t)label10(g);
        } else {
            p[0] = (uint8_t)coarse_of(g);
            p[1] = (uint8_t)fine_of(g);
        }
        for (int i = 0; i < PIX; i++) p[label_bytes + i] = pixel_of(g, i);
    }
    *len = rec * (size_t)n;
    return buf;
}

static int write_gz(const char *path, const void *data, size_t n) {
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int ok = n == 0 || gzwrite(f, data, (unsigned)n) == (int)n;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

/* dir/name (gzip'd when gz, named name.gz) holding buf. */
static void put(const char *dir, const char *name, int gz, const uint8_t *buf, size_t n) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    int rc = gz ? write_gz(path, buf, n) : test_write_file(path, buf, n);
    if (rc) fprintf(stderr, "could not write %s\n", path);
}

static void put_records(const char *dir, const char *name, int gz, int first, int n,
                        int label_bytes) {
    size_t len;
    uint8_t *buf = records(first, n, label_bytes, &len);
    put(dir, name, gz, buf, len);
    free(buf);
}

/* Whether ds holds images first..first+n-1 with their labels (kind 10, 'c' coarse, 'f' fine). */
static int holds(const ffcnn_dataset *ds, int first, int n, int kind) {
    if (ds->n != n || ds->channels != 3 || ds->height != 32 || ds->width != 32) return 0;
    for (int r = 0; r < n; r++) {
        const int g = first + r;
        const int want = kind == 10 ? label10(g) : kind == 'c' ? coarse_of(g) : fine_of(g);
        if (ds->labels[r] != want) return 0;
        for (int i = 0; i < PIX; i++)
            if (ds->pixels[(size_t)r * PIX + i] != pixel_of(g, i)) return 0;
    }
    return 1;
}

static const int batch_size[5] = {3, 2, 4, 1, 2}; /* 12 training images */

/* The 5 training batches and the test batch in dir; gz_mask bit b gzips batch b (bit 5: test). */
static void write_cifar10(const char *dir, int gz_mask) {
    make_dir(dir);
    int first = 0;
    for (int b = 0; b < 5; b++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", b + 1);
        put_records(dir, name, gz_mask >> b & 1, first, batch_size[b], 1);
        first += batch_size[b];
    }
    put_records(dir, "test_batch.bin", gz_mask >> 5 & 1, 1000, 5, 1);
}

static void test_cifar10(void) {
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_dataset ds;
    const char *plain = at("c10plain"), *mixed = at("c10gz");
    write_cifar10(plain, 0);
    int rc = ffcnn_dataset_load_cifar10(&ds, plain, 0, err);
    CHECK(rc == 0, "CIFAR-10 plain training batches: %s", err);
    CHECK(rc == 0 && holds(&ds, 0, 12, 10),
          "CIFAR-10 training: the 5 batches' pixels and labels in batch order");
    ffcnn_dataset_free(&ds);
    rc = ffcnn_dataset_load_cifar10(&ds, plain, 1, err);
    CHECK(rc == 0 && holds(&ds, 1000, 5, 10), "CIFAR-10 test batch: exact pixels, labels (%s)",
          err);
    ffcnn_dataset_free(&ds);

    /* batches 2 and 4 and the test batch gzip'd, the others plain; batch 1 also as a .gz of
     * other images, which the plain file takes precedence over */
    write_cifar10(mixed, 1 << 1 | 1 << 3 | 1 << 5);
    put_records(mixed, "data_batch_1.bin", 1, 500, 3, 1);
    rc = ffcnn_dataset_load_cifar10(&ds, mixed, 0, err);
    CHECK(rc == 0 && holds(&ds, 0, 12, 10),
          "CIFAR-10 plain and gzip'd batches mixed, plain before .gz: %s", err);
    ffcnn_dataset_free(&ds);
    rc = ffcnn_dataset_load_cifar10(&ds, mixed, 1, err);
    CHECK(rc == 0 && holds(&ds, 1000, 5, 10), "CIFAR-10 gzip'd test batch: %s", err);
    ffcnn_dataset_free(&ds);
}

static void test_cifar100(void) {
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_dataset ds;
    const char *dir = at("c100");
    make_dir(dir);
    put_records(dir, "train.bin", 0, 0, 23, 2);
    put_records(dir, "test.bin", 1, 300, 4, 2);
    int rc = ffcnn_dataset_load_cifar100(&ds, dir, 0, 0, err);
    CHECK(rc == 0 && holds(&ds, 0, 23, 'f'), "CIFAR-100 training set, fine labels: %s", err);
    ffcnn_dataset_free(&ds);
    rc = ffcnn_dataset_load_cifar100(&ds, dir, 0, 1, err);
    CHECK(rc == 0 && holds(&ds, 0, 23, 'c'), "CIFAR-100 training set, coarse labels: %s", err);
    ffcnn_dataset_free(&ds);
    rc = ffcnn_dataset_load_cifar100(&ds, dir, 1, 0, err);
    CHECK(rc == 0 && holds(&ds, 300, 4, 'f'), "CIFAR-100 gzip'd test set, fine: %s", err);
    ffcnn_dataset_free(&ds);
    rc = ffcnn_dataset_load_cifar100(&ds, dir, 1, 1, err);
    CHECK(rc == 0 && holds(&ds, 300, 4, 'c'), "CIFAR-100 gzip'd test set, coarse: %s", err);
    ffcnn_dataset_free(&ds);
}

/* Loads (cifar 10 or 100, test split) from dir and expects code and every needle in err. */
static void expect_cifar_error(int cifar, const char *dir, int test, int code, const char *n1,
                               const char *n2, const char *what) {
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_dataset ds = {1, 1, 1, 1, (uint8_t *)"x", (uint8_t *)"y"};
    int rc = cifar == 10 ? ffcnn_dataset_load_cifar10(&ds, dir, test, err)
                         : ffcnn_dataset_load_cifar100(&ds, dir, test, 0, err);
    CHECK(rc == code && strstr(err, n1) && (!n2 || strstr(err, n2)),
          "%s: expected error %d saying '%s' and '%s', got %d '%s'", what, code, n1, n2 ? n2 : "",
          rc, err);
    CHECK(ds.n == 0 && ds.pixels == NULL && ds.labels == NULL, "%s: no dataset left", what);
}

static void test_cifar_errors(void) {
    char path[600], dir[512];
    size_t len;
    /* a test batch of 10 records and one byte more */
    snprintf(dir, sizeof dir, "%s", at("bad_length"));
    make_dir(dir);
    uint8_t *buf = records(0, 10, 1, &len);
    buf[len] = 9;
    put(dir, "test_batch.bin", 0, buf, len + 1);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    expect_cifar_error(10, dir, 1, FFCNN_EFORMAT, path,
                       ": 30731 bytes is not a whole number of 3073-byte CIFAR-10 records",
                       "record length");
    /* the same, gzip'd: the decompressed length counts */
    snprintf(dir, sizeof dir, "%s", at("bad_length_gz"));
    make_dir(dir);
    put(dir, "test_batch.bin", 1, buf, len - 5);
    snprintf(path, sizeof path, "%s/test_batch.bin.gz", dir);
    expect_cifar_error(10, dir, 1, FFCNN_EFORMAT, path, "30725 bytes is not a whole number",
                       "gzip'd record length");

    /* label 10 in record 3 */
    snprintf(dir, sizeof dir, "%s", at("bad_label"));
    make_dir(dir);
    buf[3 * 3073] = 10;
    put(dir, "test_batch.bin", 0, buf, len);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    expect_cifar_error(10, dir, 1, FFCNN_EFORMAT, path, "label 10 of record 3 is not in 0..9",
                       "CIFAR-10 label 10");
    free(buf);

    /* CIFAR-100: fine label 100 in record 2, coarse 20 in record 4 */
    buf = records(0, 6, 2, &len);
    snprintf(dir, sizeof dir, "%s", at("bad_fine"));
    make_dir(dir);
    buf[2 * 3074 + 1] = 100;
    put(dir, "train.bin", 0, buf, len);
    snprintf(path, sizeof path, "%s/train.bin", dir);
    expect_cifar_error(100, dir, 0, FFCNN_EFORMAT, path,
                       "fine label 100 of record 2 is not in 0..99", "CIFAR-100 fine label 100");
    buf[2 * 3074 + 1] = 99;
    buf[4 * 3074] = 20;
    snprintf(dir, sizeof dir, "%s", at("bad_coarse"));
    make_dir(dir);
    put(dir, "train.bin", 0, buf, len);
    snprintf(path, sizeof path, "%s/train.bin", dir);
    expect_cifar_error(100, dir, 0, FFCNN_EFORMAT, path,
                       "coarse label 20 of record 4 is not in 0..19", "CIFAR-100 coarse label 20");
    snprintf(dir, sizeof dir, "%s", at("c100_length"));
    make_dir(dir);
    put(dir, "test.bin", 0, buf, 3073 * 2); /* CIFAR-10 records in a CIFAR-100 file */
    expect_cifar_error(100, dir, 1, FFCNN_EFORMAT,
                       "6146 bytes is not a whole number of 3074-byte CIFAR-100 records", NULL,
                       "CIFAR-100 record length");
    free(buf);

    /* gzip'd files cut short: the trailer only, and half the stream; a flipped byte */
    buf = records(0, 8, 1, &len);
    const char *cuts[] = {"cut_trailer", "cut_half", "flipped"};
    for (int k = 0; k < 3; k++) {
        snprintf(dir, sizeof dir, "%s", at(cuts[k]));
        make_dir(dir);
        put(dir, "test_batch.bin", 1, buf, len);
        snprintf(path, sizeof path, "%s/test_batch.bin.gz", dir);
        FILE *f = fopen(path, "rb");
        uint8_t z[65536];
        size_t zn = f ? fread(z, 1, sizeof z, f) : 0;
        if (f) fclose(f);
        if (k == 2) z[zn - 6] ^= 0x5a; /* the CRC or length in the trailer */
        test_write_file(path, z, k == 0 ? zn - 6 : k == 1 ? zn / 2 : zn);
        expect_cifar_error(10, dir, 1, FFCNN_EFORMAT, path,
                           k < 2 ? "truncated or corrupt gzip" : "incorrect data check", cuts[k]);
    }
    free(buf);

    /* empty file, plain and gzip'd */
    snprintf(dir, sizeof dir, "%s", at("empty"));
    make_dir(dir);
    put(dir, "test_batch.bin", 0, (const uint8_t *)"", 0);
    put(dir, "test.bin", 1, (const uint8_t *)"", 0);
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    expect_cifar_error(10, dir, 1, FFCNN_EFORMAT, path, "empty", "empty file");
    snprintf(path, sizeof path, "%s/test.bin.gz", dir);
    expect_cifar_error(100, dir, 1, FFCNN_EFORMAT, path, "empty", "empty gzip'd file");

    /* a missing training batch: the directory and the file named */
    snprintf(dir, sizeof dir, "%s", at("missing"));
    write_cifar10(dir, 0);
    snprintf(path, sizeof path, "%s/data_batch_3.bin", dir);
    remove(path);
    expect_cifar_error(10, dir, 0, FFCNN_EIO, dir, "no data_batch_3.bin or data_batch_3.bin.gz",
                       "missing batch 3");
    expect_cifar_error(100, dir, 0, FFCNN_EIO, dir, "no train.bin or train.bin.gz",
                       "missing CIFAR-100 file");
    expect_cifar_error(10, at("no_such_dir"), 1, FFCNN_EIO, "no_such_dir", "test_batch.bin",
                       "missing directory");
    /* a bad later batch frees what the earlier ones read */
    snprintf(path, sizeof path, "%s/data_batch_3.bin", dir);
    test_write_file(path, "abc", 3);
    expect_cifar_error(10, dir, 0, FFCNN_EFORMAT, path, "3 bytes is not a whole number",
                       "short batch 3");
}

/* ---- image folders ---- */

/* A solid JPEG of colour (r, g, b). */
static void solid_jpeg(const char *path, int width, int height, int r, int g, int b) {
    uint8_t *px = malloc((size_t)width * height * 3);
    for (int i = 0; i < width * height; i++)
        px[3 * i] = (uint8_t)r, px[3 * i + 1] = (uint8_t)g, px[3 * i + 2] = (uint8_t)b;
    if (test_write_jpeg(path, width, height, 3, JCS_RGB, px))
        fprintf(stderr, "could not write %s\n", path);
    free(px);
}

/* A solid PNG: grey (channels 1, value r) or RGB. */
static void solid_png(const char *path, int channels, int width, int height, int r, int g, int b) {
    const size_t plane = (size_t)width * height;
    uint8_t *px = malloc(plane * channels);
    for (size_t i = 0; i < plane; i++) {
        px[i] = (uint8_t)r;
        if (channels == 3) px[plane + i] = (uint8_t)g, px[2 * plane + i] = (uint8_t)b;
    }
    ffcnn_image img = {channels, height, width, px};
    char err[FFCNN_ERR_LEN] = "";
    if (ffcnn_image_save_png(&img, path, err)) fprintf(stderr, "%s\n", err);
    free(px);
}

static const char *in(const char *dir, const char *name) {
    static char ring[8][600];
    static int next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", dir, name);
    return p;
}

/* tree/{zebra,mango,Apple} made in that order; sorted: Apple, mango, zebra. */
static void write_tree(const char *tree) {
    make_dir(tree);
    make_dir(in(tree, "zebra"));
    make_dir(in(tree, "mango"));
    make_dir(in(tree, "Apple"));
    make_dir(in(tree, ".cache")); /* hidden, no images: skipped */
    test_write_file(in(tree, "README.txt"), "not a class\n", 12);
    /* zebra: c.PNG (colour 4x4), a.jpg (16x16), b.png (grey 8x6), written in that order */
    solid_png(in(tree, "zebra/c.PNG"), 3, 4, 4, 250, 5, 128);
    solid_jpeg(in(tree, "zebra/a.jpg"), 16, 16, 40, 80, 160);
    solid_png(in(tree, "zebra/b.png"), 1, 8, 6, 123, 0, 0);
    /* mango: one 32x32 PNG, a hidden corrupt "image", a text file, a folder named like an image */
    solid_png(in(tree, "mango/m.png"), 3, 32, 32, 10, 200, 77);
    test_write_file(in(tree, "mango/.hidden.png"), "junk", 4);
    test_write_file(in(tree, "mango/notes.txt"), "notes\n", 6);
    make_dir(in(tree, "mango/folder.png"));
    /* Apple: two JPEGs, 24x12 and 12x24 */
    solid_jpeg(in(tree, "Apple/y.JPEG"), 24, 12, 200, 30, 30);
    solid_jpeg(in(tree, "Apple/x.jpg"), 12, 24, 30, 200, 30);
}

/* Whether image k of ds is the solid colour (r, g, b) (channel values within tol). */
static int solid_at(const ffcnn_dataset *ds, int k, const int *rgb, int tol) {
    const size_t plane = (size_t)ds->height * ds->width;
    const uint8_t *p = ds->pixels + (size_t)k * ds->channels * plane;
    for (int c = 0; c < ds->channels; c++)
        for (size_t i = 0; i < plane; i++)
            if (abs(p[c * plane + i] - rgb[c]) > tol) return 0;
    return 1;
}

static void test_folder(void) {
    const char *tree = at("tree");
    write_tree(tree);
    char names[8][64];
    memset(names, 0, sizeof names);
    int n_classes = -1;
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_dataset ds;
    int rc = ffcnn_dataset_load_folder(&ds, tree, 3, 8, 8, names, 8, &n_classes, err);
    CHECK(rc == 0, "image folder: %s", err);
    if (rc) return;
    CHECK(n_classes == 3 && strcmp(names[0], "Apple") == 0 && strcmp(names[1], "mango") == 0 &&
              strcmp(names[2], "zebra") == 0 && names[3][0] == 0,
          "class names sorted bytewise: got %d: %s %s %s", n_classes, names[0], names[1], names[2]);
    CHECK(ds.n == 6 && ds.channels == 3 && ds.height == 8 && ds.width == 8,
          "6 images of 3x8x8, got %d of %dx%dx%d", ds.n, ds.channels, ds.height, ds.width);
    const uint8_t labels[6] = {0, 0, 1, 2, 2, 2};
    CHECK(ds.n == 6 && memcmp(ds.labels, labels, 6) == 0, "labels class by class");
    if (ds.n == 6) {
        /* Apple: x.jpg (green) before y.JPEG (red); zebra: a.jpg, b.png, c.PNG */
        CHECK(solid_at(&ds, 0, (int[]){30, 200, 30}, 3), "Apple/x.jpg first, resized");
        CHECK(solid_at(&ds, 1, (int[]){200, 30, 30}, 3), "Apple/y.JPEG second (upper-case .JPEG)");
        CHECK(solid_at(&ds, 2, (int[]){10, 200, 77}, 0), "mango/m.png shrunk 32->8: exact");
        CHECK(ds.pixels[2 * 192 + 64 + 5 * 8 + 3] == 200, "one pixel: mango's green at (5, 3)");
        CHECK(solid_at(&ds, 3, (int[]){40, 80, 160}, 3), "zebra/a.jpg, grown 16->8");
        CHECK(solid_at(&ds, 4, (int[]){123, 123, 123}, 0), "zebra/b.png: grey copied to RGB");
        CHECK(solid_at(&ds, 5, (int[]){250, 5, 128}, 0), "zebra/c.PNG grown 4->8");
    }
    ffcnn_dataset_free(&ds);

    /* grey, another size, names and count not asked for */
    rc = ffcnn_dataset_load_folder(&ds, tree, 1, 5, 7, NULL, 3, NULL, err);
    CHECK(rc == 0 && ds.n == 6 && ds.channels == 1 && ds.height == 5 && ds.width == 7,
          "grey 5x7 folder load: %s", err);
    if (rc == 0 && ds.n == 6) {
        /* Rec. 601 luma of (10, 200, 77): 129.168 */
        CHECK(solid_at(&ds, 2, (int[]){129}, 0), "mango in grey: luma 129, got %d",
              ds.pixels[2 * 35]);
        CHECK(memcmp(ds.labels, labels, 6) == 0, "grey: same labels");
    }
    ffcnn_dataset_free(&ds);
}

static void expect_folder_error(const char *dir, int channels, int side, int max_classes, int code,
                                const char *n1, const char *n2, const char *what) {
    char err[FFCNN_ERR_LEN] = "";
    char names[4][64];
    int n_classes = -1;
    ffcnn_dataset ds = {1, 1, 1, 1, (uint8_t *)"x", (uint8_t *)"y"};
    int rc = ffcnn_dataset_load_folder(&ds, dir, channels, side, side, names, max_classes,
                                       &n_classes, err);
    CHECK(rc == code && strstr(err, n1) && (!n2 || strstr(err, n2)),
          "%s: expected error %d saying '%s' and '%s', got %d '%s'", what, code, n1, n2 ? n2 : "",
          rc, err);
    CHECK(ds.n == 0 && ds.pixels == NULL && n_classes == 0, "%s: no dataset left", what);
}

static void test_folder_errors(void) {
    const char *tree = at("tree"); /* written by test_folder */
    expect_folder_error(tree, 3, 8, 2, FFCNN_EFORMAT, tree, "3 class folders, more than the 2",
                        "too many classes");
    expect_folder_error(tree, 2, 8, 8, FFCNN_EINVAL, "channels 2", NULL, "2 channels");
    expect_folder_error(tree, 3, 0, 8, FFCNN_EINVAL, "size 0x0", NULL, "size 0");
    expect_folder_error(tree, 3, 4097, 8, FFCNN_EINVAL, "size 4097x4097", NULL, "size 4097");
    expect_folder_error(tree, 3, 8, 0, FFCNN_EINVAL, "max_classes 0", NULL, "max_classes 0");
    expect_folder_error(at("no_such_tree"), 3, 8, 8, FFCNN_EIO, "no_such_tree", "No such file",
                        "missing directory");
    expect_folder_error(in(tree, "README.txt"), 3, 8, 8, FFCNN_EIO, "README.txt: not a directory",
                        NULL, "a file for a directory");

    /* no class folders: only files and a hidden folder */
    const char *flat = at("flat");
    make_dir(flat);
    make_dir(in(flat, ".git"));
    solid_png(in(flat, "loose.png"), 1, 4, 4, 9, 0, 0);
    expect_folder_error(flat, 3, 8, 8, FFCNN_EFORMAT, flat, "no class folders", "no classes");

    /* a class folder with no images (only a text file and a hidden image) */
    const char *holes = at("holes");
    make_dir(holes);
    make_dir(in(holes, "cat"));
    make_dir(in(holes, "dog"));
    solid_png(in(holes, "dog/d.png"), 1, 4, 4, 9, 0, 0);
    test_write_file(in(holes, "cat/notes.txt"), "x", 1);
    solid_png(in(holes, "cat/.hidden.png"), 1, 4, 4, 9, 0, 0);
    char want[600];
    snprintf(want, sizeof want, "%s/cat: no images", holes);
    expect_folder_error(holes, 3, 8, 8, FFCNN_EFORMAT, want, NULL, "empty class folder");

    /* a corrupt JPEG among good images: the loader's error, naming it */
    const char *bad = at("badjpeg");
    make_dir(bad);
    make_dir(in(bad, "a"));
    make_dir(in(bad, "b"));
    solid_png(in(bad, "a/1.png"), 3, 4, 4, 9, 9, 9);
    solid_jpeg(in(bad, "b/1.jpg"), 16, 16, 1, 2, 3);
    solid_jpeg(in(bad, "b/2.jpg"), 16, 16, 1, 2, 3);
    FILE *f = fopen(in(bad, "b/2.jpg"), "rb");
    uint8_t z[8192];
    size_t zn = f ? fread(z, 1, sizeof z, f) : 0;
    if (f) fclose(f);
    test_write_file(in(bad, "b/2.jpg"), z, zn / 3); /* cut off */
    snprintf(want, sizeof want, "%s/b/2.jpg: ", bad);
    expect_folder_error(bad, 3, 8, 8, FFCNN_EFORMAT, want, NULL, "corrupt JPEG");

    /* a class name over 63 bytes */
    const char *longname = at("longname");
    make_dir(longname);
    char name[80];
    memset(name, 'n', 64);
    name[64] = 0;
    make_dir(in(longname, name));
    char img[700];
    snprintf(img, sizeof img, "%s/%s/x.png", longname, name);
    solid_png(img, 1, 4, 4, 9, 0, 0);
    expect_folder_error(longname, 3, 8, 8, FFCNN_EFORMAT, "class name longer than 63 bytes", NULL,
                        "long class name");
}

/* ---- stratified split ---- */

/* n images of 1x1x2 whose two pixels number them (i & 255, i >> 8); labels by class counts. */
static void numbered_set(ffcnn_dataset *ds, const int *count, int classes) {
    int n = 0;
    for (int c = 0; c < classes; c++) n += count[c];
    ds->n = n, ds->channels = 1, ds->height = 1, ds->width = 2;
    ds->pixels = malloc((size_t)2 * n);
    ds->labels = malloc((size_t)n);
    int left[16];
    memcpy(left, count, sizeof *count * classes);
    for (int i = 0, c = 0; i < n; i++) {
        /* interleave the classes: the next one with images left */
        while (left[c % classes] == 0) c++;
        ds->labels[i] = (uint8_t)(c % classes);
        left[c % classes]--;
        c++;
        ds->pixels[2 * i] = (uint8_t)(i & 255);
        ds->pixels[2 * i + 1] = (uint8_t)(i >> 8);
    }
}

static int number_of(const ffcnn_dataset *ds, int k) {
    return ds->pixels[2 * k] | ds->pixels[2 * k + 1] << 8;
}

static void test_split(void) {
    const int count[4] = {40, 30, 20, 13};
    ffcnn_dataset all, tr, va, tr2, va2;
    numbered_set(&all, count, 4);
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_dataset_split_stratified(&all, 10, 7, &tr, &va, err);
    CHECK(rc == 0, "split 10 of 103: %s", err);
    if (rc) {
        ffcnn_dataset_free(&all);
        return;
    }
    CHECK(tr.n == 93 && va.n == 10 && tr.channels == 1 && va.height == 1 && va.width == 2,
          "split sizes 93 + 10, got %d + %d", tr.n, va.n);
    int per[4] = {0}, seen[103] = {0}, ordered = 1, labels_ok = 1;
    for (int k = 0; k < va.n; k++) {
        per[va.labels[k]]++;
        const int i = number_of(&va, k);
        seen[i]++;
        labels_ok &= va.labels[k] == all.labels[i];
        if (k) ordered &= number_of(&va, k - 1) < i;
    }
    CHECK(per[0] == 3 && per[1] == 3 && per[2] == 2 && per[3] == 2,
          "per class 3 3 2 2 (remainder to the lowest classes), got %d %d %d %d", per[0], per[1],
          per[2], per[3]);
    for (int k = 0; k < tr.n; k++) {
        const int i = number_of(&tr, k);
        seen[i]++;
        labels_ok &= tr.labels[k] == all.labels[i];
        if (k) ordered &= number_of(&tr, k - 1) < i;
    }
    int once = 1;
    for (int i = 0; i < 103; i++) once &= seen[i] == 1;
    CHECK(once, "train and val disjoint, together every image once");
    CHECK(ordered, "both keep the original order");
    CHECK(labels_ok, "labels go with their images");

    rc = ffcnn_dataset_split_stratified(&all, 10, 7, &tr2, &va2, err);
    CHECK(rc == 0 && va2.n == 10 && memcmp(va.pixels, va2.pixels, 20) == 0 &&
              memcmp(tr.pixels, tr2.pixels, 2 * 93) == 0,
          "same seed, same split");
    ffcnn_dataset_free(&tr2);
    ffcnn_dataset_free(&va2);
    rc = ffcnn_dataset_split_stratified(&all, 10, 8, &tr2, &va2, err);
    CHECK(rc == 0 && va2.n == 10 && memcmp(va.pixels, va2.pixels, 20) != 0,
          "another seed, another split");
    ffcnn_dataset_free(&tr2);
    ffcnn_dataset_free(&va2);

    /* 52 = 13 per class: the smallest class given whole; 53 asks 14 of class 0 only */
    rc = ffcnn_dataset_split_stratified(&all, 52, 1, &tr2, &va2, err);
    int last = 0;
    for (int k = 0; rc == 0 && k < va2.n; k++) last += va2.labels[k] == 3;
    CHECK(rc == 0 && va2.n == 52 && last == 13, "52 of 103: all 13 of class 3 (%s)", err);
    ffcnn_dataset_free(&tr2);
    ffcnn_dataset_free(&va2);
    rc = ffcnn_dataset_split_stratified(&all, 53, 1, &tr2, &va2, err);
    CHECK(rc == 0, "53 of 103: the extra one from class 0 (%s)", err);
    ffcnn_dataset_free(&tr2);
    ffcnn_dataset_free(&va2);
    rc = ffcnn_dataset_split_stratified(&all, 56, 1, &tr2, &va2, err);
    CHECK(rc == FFCNN_EINVAL && strstr(err, "class 3 has 13 images") && va2.n == 0 &&
              va2.pixels == NULL && tr2.pixels == NULL,
          "56 of 103: class 3 too small, got %d '%s'", rc, err);
    rc = ffcnn_dataset_split_stratified(&all, 0, 1, &tr2, &va2, err);
    CHECK(rc == FFCNN_EINVAL && strstr(err, "0 validation images"), "0 refused: '%s'", err);
    rc = ffcnn_dataset_split_stratified(&all, 103, 1, &tr2, &va2, err);
    CHECK(rc == FFCNN_EINVAL && strstr(err, "103 validation images"), "all refused: '%s'", err);
    ffcnn_dataset_free(&tr);
    ffcnn_dataset_free(&va);
    ffcnn_dataset_free(&all);

    /* a class with no images at all, below the largest label */
    const int gap[3] = {5, 0, 5};
    numbered_set(&all, gap, 3);
    rc = ffcnn_dataset_split_stratified(&all, 3, 1, &tr2, &va2, err);
    CHECK(rc == FFCNN_EINVAL && strstr(err, "class 1 has 0 images"), "empty class 1: '%s'", err);
    ffcnn_dataset_free(&all);
}

int main(void) {
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_cifar10();
    test_cifar100();
    test_cifar_errors();
    test_folder();
    test_folder_errors();
    test_split();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return test_summary();
}
