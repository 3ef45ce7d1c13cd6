/* Image files and their preparation: the test writes its own PNG (with libpng directly), JPEG
 * (with libjpeg), PGM and PPM files, checks the decoded pixels against the values it wrote, feeds
 * malformed files (each must give the right error naming the file, and no crash or leak under the
 * sanitizers), and checks ffcnn_image_prepare against hand-computed results. */
#include <png.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "ffcnn.h"
#include "image_files.h"
#include "test_util.h"

static char dir[] = "/tmp/ffcnn_test_image_XXXXXX";

/* dir/name; a few calls' results stay valid at once (a ring of buffers). */
static const char *at(const char *name) {
    static char ring[8][256];
    static int next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", dir, name);
    return p;
}

static uint8_t *read_bytes(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return buf;
}

/* ---- writing test files ---- */

typedef struct png_spec {
    uint32_t width, height;
    int depth, color_type, interlace;
    const png_color *palette;
    int n_palette;
    const uint8_t *trans; /* palette alpha */
    int n_trans;
} png_spec;

/* A PNG spec without palette or interlacing. */
#define PLAIN_PNG(w, h, bits, type)                                                                \
    (&(png_spec){.width = (w), .height = (h), .depth = (bits), .color_type = (type)})

/* A PNG of rows packed as libpng expects them (16-bit samples big-endian). */
static int write_png(const char *path, const png_spec *s, const uint8_t *data) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    const size_t channels = s->color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                            : s->color_type == PNG_COLOR_TYPE_RGB     ? 3
                            : s->color_type == PNG_COLOR_TYPE_GA      ? 2
                                                                      : 1;
    const size_t row_bytes = (s->width * channels * s->depth + 7) / 8;
    png_bytep *rows = malloc(s->height * sizeof *rows);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, s->width, s->height, s->depth, s->color_type, s->interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette) png_set_PLTE(png, info, s->palette, s->n_palette);
    if (s->trans) png_set_tRNS(png, info, s->trans, s->n_trans, NULL);
    png_write_info(png, info);
    for (uint32_t y = 0; y < s->height; y++) rows[y] = (png_bytep)data + y * row_bytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    return fclose(f) == 0 ? 0 : -1;
}

/* A PGM or PPM file: header text, then the pixel bytes. */
static int write_pnm(const char *path, const char *header, const uint8_t *px, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fputs(header, f) >= 0 && fwrite(px, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* ---- checks ---- */

static int load_ok(ffcnn_image *img, const char *path, int channels, int height, int width) {
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_image_load(img, path, err);
    CHECK(rc == 0, "load %s: %s", path, err);
    if (rc) return 0;
    int shape = img->channels == channels && img->height == height && img->width == width;
    CHECK(shape, "%s: shape %dx%dx%d, expected %dx%dx%d", path, img->channels, img->height,
          img->width, channels, height, width);
    if (!shape) ffcnn_image_free(img);
    return shape;
}

/* The pixel of plane c at (y, x). */
static int px_at(const ffcnn_image *img, int c, int y, int x) {
    return img->pixels[((size_t)c * img->height + y) * img->width + x];
}

static void expect_load_error(const char *path, int code, const char *needle) {
    ffcnn_image img = {1, 1, 1, (uint8_t *)"x"};
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_image_load(&img, path, err);
    CHECK(rc == code && strstr(err, path) == err && strstr(err, needle),
          "%s: expected error %d saying '%s', got %d '%s'", path, code, needle, rc, err);
    CHECK(img.pixels == NULL && img.channels == 0, "%s: no image left after a failure", path);
    ffcnn_image_free(&img);
}

/* ---- PNG ---- */

static void test_png_grey_and_save(void) {
    uint8_t px[7 * 5];
    for (int i = 0; i < 35; i++) px[i] = (uint8_t)(i * 37 + 3);
    write_png(at("grey.png"), PLAIN_PNG(5, 7, 8, PNG_COLOR_TYPE_GRAY), px);
    ffcnn_image img;
    if (load_ok(&img, at("grey.png"), 1, 7, 5)) {
        CHECK(memcmp(img.pixels, px, 35) == 0, "8-bit grey PNG: exact pixels");
        char err[FFCNN_ERR_LEN] = "";
        ffcnn_image back;
        CHECK(ffcnn_image_save_png(&img, at("saved.png"), err) == 0, "save grey: %s", err);
        if (load_ok(&back, at("saved.png"), 1, 7, 5)) {
            CHECK(memcmp(back.pixels, px, 35) == 0, "grey PNG saved and loaded: same bytes");
            ffcnn_image_free(&back);
        }
        ffcnn_image_free(&img);
    }
    /* Adam7-interlaced and 1-bit grey */
    write_png(at("interlaced.png"),
              &(png_spec){.width = 5,
                          .height = 7,
                          .depth = 8,
                          .color_type = PNG_COLOR_TYPE_GRAY,
                          .interlace = PNG_INTERLACE_ADAM7},
              px);
    if (load_ok(&img, at("interlaced.png"), 1, 7, 5)) {
        CHECK(memcmp(img.pixels, px, 35) == 0, "interlaced PNG: exact pixels");
        ffcnn_image_free(&img);
    }
    const uint8_t bits[2] = {0xA0, 0x40}; /* rows 1 0 1 and 0 1 0, 3 pixels wide */
    write_png(at("bits.png"), PLAIN_PNG(3, 2, 1, PNG_COLOR_TYPE_GRAY), bits);
    if (load_ok(&img, at("bits.png"), 1, 2, 3)) {
        const uint8_t want[6] = {255, 0, 255, 0, 255, 0};
        CHECK(memcmp(img.pixels, want, 6) == 0, "1-bit grey PNG: 0 and 255");
        ffcnn_image_free(&img);
    }
}

static void test_png_colour(void) {
    uint8_t rgb[4 * 3 * 3];
    for (int i = 0; i < 36; i++) rgb[i] = (uint8_t)(i * 29 + 1);
    write_png(at("rgb.png"), PLAIN_PNG(3, 4, 8, PNG_COLOR_TYPE_RGB), rgb);
    ffcnn_image img;
    if (load_ok(&img, at("rgb.png"), 3, 4, 3)) {
        int ok = 1;
        for (int i = 0; i < 12; i++)
            for (int c = 0; c < 3; c++) ok &= px_at(&img, c, i / 3, i % 3) == rgb[3 * i + c];
        CHECK(ok, "RGB PNG: planar pixels equal the interleaved ones written");
        char err[FFCNN_ERR_LEN] = "";
        ffcnn_image back;
        CHECK(ffcnn_image_save_png(&img, at("saved_rgb.png"), err) == 0, "save RGB: %s", err);
        if (load_ok(&back, at("saved_rgb.png"), 3, 4, 3)) {
            CHECK(memcmp(back.pixels, img.pixels, 36) == 0, "RGB PNG saved and loaded: same");
            ffcnn_image_free(&back);
        }
        ffcnn_image_free(&img);
    }
    /* RGBA over white: 100 * 128/255 + 255 * 127/255 = 177.2 -> 177; 0 -> 127; 255 -> 255 */
    const uint8_t rgba[2 * 4] = {100, 0, 255, 128, 9, 8, 7, 0};
    write_png(at("rgba.png"), PLAIN_PNG(2, 1, 8, PNG_COLOR_TYPE_RGB_ALPHA), rgba);
    if (load_ok(&img, at("rgba.png"), 3, 1, 2)) {
        CHECK(px_at(&img, 0, 0, 0) == 177 && px_at(&img, 1, 0, 0) == 127 &&
                  px_at(&img, 2, 0, 0) == 255,
              "RGBA half transparent over white: (%d, %d, %d), expected (177, 127, 255)",
              px_at(&img, 0, 0, 0), px_at(&img, 1, 0, 0), px_at(&img, 2, 0, 0));
        CHECK(px_at(&img, 0, 0, 1) == 255 && px_at(&img, 1, 0, 1) == 255 &&
                  px_at(&img, 2, 0, 1) == 255,
              "RGBA fully transparent: white");
        ffcnn_image_free(&img);
    }
    /* grey + alpha: 0 at 64/255 -> 255 * 191/255 = 191; opaque 200 stays 200 */
    const uint8_t ga[2 * 2] = {0, 64, 200, 255};
    write_png(at("ga.png"), PLAIN_PNG(2, 1, 8, PNG_COLOR_TYPE_GA), ga);
    if (load_ok(&img, at("ga.png"), 1, 1, 2)) {
        CHECK(img.pixels[0] == 191 && img.pixels[1] == 200, "grey+alpha: %d %d, expected 191 200",
              img.pixels[0], img.pixels[1]);
        ffcnn_image_free(&img);
    }
}

static void test_png_16bit_and_palette(void) {
    /* every 16-bit value once: 256 x 256, v = y * 256 + x, reduced to round(v / 257) */
    uint8_t *wide = malloc(2 * 65536);
    for (int v = 0; v < 65536; v++) wide[2 * v] = (uint8_t)(v >> 8), wide[2 * v + 1] = (uint8_t)v;
    write_png(at("wide.png"), PLAIN_PNG(256, 256, 16, PNG_COLOR_TYPE_GRAY), wide);
    ffcnn_image img;
    if (load_ok(&img, at("wide.png"), 1, 256, 256)) {
        int bad = 0;
        for (int v = 0; v < 65536; v++) bad += img.pixels[v] != (int)floor(v / 257.0 + 0.5);
        CHECK(bad == 0, "16-bit PNG: %d of 65536 values not round(v / 257)", bad);
        ffcnn_image_free(&img);
    }
    free(wide);
    /* a 2-bit palette with one transparent entry, 5 pixels wide (packing) */
    const png_color pal[4] = {{10, 20, 30}, {200, 100, 0}, {255, 255, 255}, {1, 2, 3}};
    const uint8_t trans[4] = {255, 255, 255, 0};
    const uint8_t idx[2][2] = {{0x1B, 0x00}, {0xE4, 0x40}}; /* 0 1 2 3 0, 3 2 1 0 1 */
    write_png(at("palette.png"),
              &(png_spec){.width = 5,
                          .height = 2,
                          .depth = 2,
                          .color_type = PNG_COLOR_TYPE_PALETTE,
                          .palette = pal,
                          .n_palette = 4,
                          .trans = trans,
                          .n_trans = 4},
              &idx[0][0]);
    if (load_ok(&img, at("palette.png"), 3, 2, 5)) {
        const int index[10] = {0, 1, 2, 3, 0, 3, 2, 1, 0, 1};
        int ok = 1;
        for (int i = 0; i < 10; i++) {
            const png_color want = index[i] == 3 ? (png_color){255, 255, 255} : pal[index[i]];
            ok &= px_at(&img, 0, i / 5, i % 5) == want.red &&
                  px_at(&img, 1, i / 5, i % 5) == want.green &&
                  px_at(&img, 2, i / 5, i % 5) == want.blue;
        }
        CHECK(ok, "palette PNG: the palette's colours, the transparent entry white");
        ffcnn_image_free(&img);
    }
}

/* ---- JPEG ---- */

static int max_difference(const ffcnn_image *img, const uint8_t *interleaved) {
    int worst = 0;
    const size_t npix = (size_t)img->height * img->width;
    for (size_t i = 0; i < npix; i++)
        for (int c = 0; c < img->channels; c++) {
            int d = abs(img->pixels[c * npix + i] - interleaved[i * img->channels + c]);
            worst = d > worst ? d : worst;
        }
    return worst;
}

static void test_jpeg(void) {
    enum { W = 40, H = 24 };
    uint8_t grey[H * W], rgb[H * W * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            grey[y * W + x] = (uint8_t)(20 + 5 * x + 2 * y);
            rgb[3 * (y * W + x)] = (uint8_t)(30 + 4 * x);
            rgb[3 * (y * W + x) + 1] = (uint8_t)(200 - 6 * y);
            rgb[3 * (y * W + x) + 2] = (uint8_t)(60 + 2 * x + 3 * y);
        }
    ffcnn_image img;
    test_write_jpeg(at("grey.jpg"), W, H, 1, JCS_GRAYSCALE, grey);
    if (load_ok(&img, at("grey.jpg"), 1, H, W)) {
        int d = max_difference(&img, grey);
        CHECK(d <= 2, "grey JPEG at quality 100: off by %d", d);
        ffcnn_image_free(&img);
    }
    test_write_jpeg(at("rgb.jpg"), W, H, 3, JCS_RGB, rgb);
    if (load_ok(&img, at("rgb.jpg"), 3, H, W)) {
        int d = max_difference(&img, rgb);
        CHECK(d <= 4, "RGB JPEG at quality 100: off by %d", d);
        ffcnn_image_free(&img);
    }
    /* CMYK as Photoshop stores it (inverted: 255 = no ink; libjpeg writes the Adobe marker):
     * no cyan, half magenta, no yellow, no black is RGB (255, 128, 255) */
    uint8_t cmyk[8 * 8 * 4];
    for (int i = 0; i < 64; i++)
        cmyk[4 * i] = 255, cmyk[4 * i + 1] = 128, cmyk[4 * i + 2] = 255, cmyk[4 * i + 3] = 255;
    test_write_jpeg(at("cmyk.jpg"), 8, 8, 4, JCS_CMYK, cmyk);
    if (load_ok(&img, at("cmyk.jpg"), 3, 8, 8)) {
        CHECK(abs(px_at(&img, 0, 3, 3) - 255) <= 2 && abs(px_at(&img, 1, 3, 3) - 128) <= 2 &&
                  abs(px_at(&img, 2, 3, 3) - 255) <= 2,
              "CMYK JPEG: (%d, %d, %d), expected (255, 128, 255)", px_at(&img, 0, 3, 3),
              px_at(&img, 1, 3, 3), px_at(&img, 2, 3, 3));
        ffcnn_image_free(&img);
    }
}

/* ---- PGM / PPM ---- */

static void test_pnm(void) {
    uint8_t px[3 * 4 * 3];
    for (int i = 0; i < 36; i++) px[i] = (uint8_t)(i * 7);
    ffcnn_image img;
    write_pnm(at("a.pgm"), "P5\n# made by test_image\n4 # width\n3\n# maxval next\n255\n", px, 12);
    if (load_ok(&img, at("a.pgm"), 1, 3, 4)) {
        CHECK(memcmp(img.pixels, px, 12) == 0, "PGM with comments: exact pixels");
        ffcnn_image_free(&img);
    }
    write_pnm(at("a.ppm"), "P6 #c\n4 3 255\n", px, 36);
    if (load_ok(&img, at("a.ppm"), 3, 3, 4)) {
        int ok = 1;
        for (int i = 0; i < 12; i++)
            for (int c = 0; c < 3; c++) ok &= px_at(&img, c, i / 4, i % 4) == px[3 * i + c];
        CHECK(ok, "PPM: planar pixels equal the interleaved ones written");
        ffcnn_image_free(&img);
    }
    const uint8_t nibbles[4] = {0, 1, 14, 15}; /* maxval 15: v * 17 */
    write_pnm(at("m15.pgm"), "P5 2 2 15\n", nibbles, 4);
    if (load_ok(&img, at("m15.pgm"), 1, 2, 2)) {
        CHECK(img.pixels[0] == 0 && img.pixels[1] == 17 && img.pixels[2] == 238 &&
                  img.pixels[3] == 255,
              "PGM maxval 15 scaled to 0..255");
        ffcnn_image_free(&img);
    }
    uint8_t *wide = malloc(2 * 65536);
    for (int v = 0; v < 65536; v++) wide[2 * v] = (uint8_t)(v >> 8), wide[2 * v + 1] = (uint8_t)v;
    write_pnm(at("wide.pgm"), "P5\n# 16 bits\n256 256\n65535\n", wide, 2 * 65536);
    if (load_ok(&img, at("wide.pgm"), 1, 256, 256)) {
        int bad = 0;
        for (int v = 0; v < 65536; v++) bad += img.pixels[v] != (int)floor(v / 257.0 + 0.5);
        CHECK(bad == 0, "PGM maxval 65535: %d of 65536 values not round(v / 257)", bad);
        ffcnn_image_free(&img);
    }
    free(wide);
}

/* ---- malformed files ---- */

static void test_malformed_png(void) {
    uint8_t px[64 * 64];
    uint32_t s = 12345;
    for (int i = 0; i < 64 * 64; i++) s = s * 1103515245u + 12345u, px[i] = (uint8_t)(s >> 16);
    write_png(at("noise.png"), PLAIN_PNG(64, 64, 8, PNG_COLOR_TYPE_GRAY), px);
    size_t len = 0;
    uint8_t *png = read_bytes(at("noise.png"), &len);
    CHECK(png && len > 4000, "noise PNG written (%zu bytes)", len);
    if (!png) return;
    /* in the signature, IHDR, the first IDAT's header, its data, just before IEND, in IEND */
    const size_t cuts[] = {4, 8, 20, 33, 41, 100, len / 2, len - 13, len - 12, len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        char name[64];
        snprintf(name, sizeof name, "cut%zu.png", cuts[k]);
        test_write_file(at(name), png, cuts[k]);
        expect_load_error(at(name), FFCNN_EFORMAT, "truncated PNG");
    }
    png[18] ^= 0x01; /* the IHDR width, so its CRC no longer matches */
    test_write_file(at("crc.png"), png, len);
    expect_load_error(at("crc.png"), FFCNN_EFORMAT, "corrupt PNG");
    free(png);
    uint8_t *long_row = calloc(40000, 1);
    write_png(at("wide_row.png"), PLAIN_PNG(40000, 1, 8, PNG_COLOR_TYPE_GRAY), long_row);
    free(long_row);
    expect_load_error(at("wide_row.png"), FFCNN_EFORMAT, "too large");
}

static void test_malformed_jpeg(void) {
    uint8_t px[32 * 32 * 3];
    uint32_t s = 99;
    for (size_t i = 0; i < sizeof px; i++) s = s * 1103515245u + 12345u, px[i] = (uint8_t)(s >> 16);
    test_write_jpeg(at("noise.jpg"), 32, 32, 3, JCS_RGB, px);
    size_t len = 0;
    uint8_t *jpg = read_bytes(at("noise.jpg"), &len);
    size_t sos = 0, sof = 0;
    for (size_t i = 0; jpg && i + 1 < len; i++) {
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xDA && !sos) sos = i;
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0 && !sof) sof = i;
    }
    CHECK(jpg && sos && sof && len - sos > 1000, "noise JPEG written with SOF0 and SOS markers");
    if (!jpg || !sos || !sof) {
        free(jpg);
        return;
    }
    test_write_file(at("cut.jpg"), jpg, sos + (len - sos) / 2);
    expect_load_error(at("cut.jpg"), FFCNN_EFORMAT, "truncated JPEG");
    test_write_file(at("no_eoi.jpg"), jpg, len - 2);
    expect_load_error(at("no_eoi.jpg"), FFCNN_EFORMAT, "truncated JPEG");
    test_write_file(at("soi.jpg"), jpg, 2);
    expect_load_error(at("soi.jpg"), FFCNN_EFORMAT, "JPEG");
    jpg[sof + 4] = 7; /* sample precision 7 bits */
    test_write_file(at("precision.jpg"), jpg, len);
    expect_load_error(at("precision.jpg"), FFCNN_EFORMAT, "corrupt or unsupported JPEG");
    jpg[sof + 4] = 8;
    jpg[sof + 2] = 0, jpg[sof + 3] = 3; /* SOF length 3: too short for its own fields */
    test_write_file(at("length.jpg"), jpg, len);
    expect_load_error(at("length.jpg"), FFCNN_EFORMAT, "corrupt or unsupported JPEG");
    free(jpg);
}

static void test_malformed_other(void) {
    test_write_file(at("empty.png"), "", 0);
    expect_load_error(at("empty.png"), FFCNN_EFORMAT, "empty file");
    uint8_t noise[256];
    uint32_t s = 7;
    for (int i = 0; i < 256; i++) s = s * 1103515245u + 12345u, noise[i] = (uint8_t)(s >> 16);
    noise[0] = 'x';
    test_write_file(at("random.jpg"), noise, sizeof noise); /* the name does not matter */
    expect_load_error(at("random.jpg"), FFCNN_EFORMAT, "not a PNG, JPEG or PGM/PPM image");
    uint8_t body[12] = {0};
    write_pnm(at("short.pgm"), "P5 4 3 255\n", body, 11);
    expect_load_error(at("short.pgm"), FFCNN_EFORMAT, "truncated PGM");
    write_pnm(at("short.ppm"), "P6 2 2 65535\n", body, 12); /* 24 bytes needed */
    expect_load_error(at("short.ppm"), FFCNN_EFORMAT, "truncated PPM");
    write_pnm(at("zero.pgm"), "P5 0 3 255\n", body, 0);
    expect_load_error(at("zero.pgm"), FFCNN_EFORMAT, "zero width or height");
    write_pnm(at("huge.pgm"), "P5 40000 40000 255\n", body, 12);
    expect_load_error(at("huge.pgm"), FFCNN_EFORMAT, "too large");
    write_pnm(at("maxval.pgm"), "P5 2 2 0\n", body, 4);
    expect_load_error(at("maxval.pgm"), FFCNN_EFORMAT, "maxval 0");
    write_pnm(at("header.pgm"), "P5 2 # no height\n", body, 0);
    expect_load_error(at("header.pgm"), FFCNN_EFORMAT, "malformed PGM header");
    write_pnm(at("ascii.pgm"), "P2 2 1 255\n0 255\n", body, 0);
    expect_load_error(at("ascii.pgm"), FFCNN_EFORMAT, "P2 is not supported");
    expect_load_error(at("missing.png"), FFCNN_EIO, "cannot open");
    expect_load_error(dir, FFCNN_EIO, "read error"); /* a directory */
}

static void test_save_errors(void) {
    uint8_t px[4] = {1, 2, 3, 4};
    ffcnn_image img = {1, 2, 2, px};
    char err[FFCNN_ERR_LEN] = "";
    const char *nowhere = at("no/such/dir.png");
    int rc = ffcnn_image_save_png(&img, nowhere, err);
    CHECK(rc == FFCNN_EIO && strstr(err, nowhere) == err, "save in a missing folder: %d '%s'", rc,
          err);
    rc = ffcnn_image_save_png(&img, "/dev/full", err);
    CHECK(rc == FFCNN_EIO && strstr(err, "/dev/full") == err, "save to a full disk: %d '%s'", rc,
          err);
    img.channels = 2;
    rc = ffcnn_image_save_png(&img, at("two.png"), err);
    CHECK(rc == FFCNN_EINVAL, "save a 2-channel image refused: %d '%s'", rc, err);
}

/* ---- ffcnn_image_prepare ---- */

static int prepare(const ffcnn_image *img, int channels, int height, int width,
                   enum ffcnn_invert invert, enum ffcnn_fit fit, uint8_t *out, int *inverted) {
    char err[FFCNN_ERR_LEN] = "";
    int rc = ffcnn_image_prepare(img, channels, height, width, invert, fit, out, inverted, err);
    CHECK(rc == 0, "prepare: %s", err);
    return rc;
}

/* A 28x28 digit-like image: black border, a bright stroke. */
static void make_digit(uint8_t *px) {
    memset(px, 0, 28 * 28);
    for (int y = 5; y < 23; y++)
        for (int x = 11; x < 16; x++) px[y * 28 + x] = (uint8_t)(180 + 3 * y + x);
    px[4 * 28 + 12] = 60; /* anti-aliased edge */
}

static void test_prepare_identity_and_colour(void) {
    uint8_t digit[28 * 28], out[3 * 28 * 28];
    make_digit(digit);
    ffcnn_image img = {1, 28, 28, digit};
    int inverted = -1;
    if (!prepare(&img, 1, 28, 28, FFCNN_INVERT_AUTO, FFCNN_FIT_DIGIT, out, &inverted))
        CHECK(memcmp(out, digit, sizeof digit) == 0 && inverted == 0,
              "28x28 grey: byte-identical, not inverted");
    char err[FFCNN_ERR_LEN] = "";
    ffcnn_image loaded;
    CHECK(ffcnn_image_save_png(&img, at("digit.png"), err) == 0, "save digit: %s", err);
    if (load_ok(&loaded, at("digit.png"), 1, 28, 28)) {
        if (!prepare(&loaded, 1, 28, 28, FFCNN_INVERT_AUTO, FFCNN_FIT_STRETCH, out, NULL))
            CHECK(memcmp(out, digit, sizeof digit) == 0, "saved as PNG and prepared: identical");
        ffcnn_image_free(&loaded);
    }
    /* Rec. 601 luma: 0.299*200 + 0.587*100 + 0.114*50 = 124.2; 0.299*10 + 0.587*250 + 0.114*3
     * = 150.08; white stays 255 */
    uint8_t rgb[3 * 3] = {200, 10, 255, 100, 250, 255, 50, 3, 255};
    ffcnn_image colour = {3, 1, 3, rgb};
    if (!prepare(&colour, 1, 1, 3, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, out, NULL))
        CHECK(out[0] == 124 && out[1] == 150 && out[2] == 255,
              "luma %d %d %d, expected 124 150 255", out[0], out[1], out[2]);
    if (!prepare(&img, 3, 28, 28, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, out, NULL))
        CHECK(memcmp(out, digit, 784) == 0 && memcmp(out + 784, digit, 784) == 0 &&
                  memcmp(out + 2 * 784, digit, 784) == 0,
              "grey to colour: three copies");
}

static void test_prepare_inversion(void) {
    uint8_t paper[10 * 10], out[10 * 10];
    for (int i = 0; i < 100; i++) paper[i] = (i / 10 >= 3 && i / 10 < 7 && i % 10 == 5) ? 20 : 240;
    ffcnn_image img = {1, 10, 10, paper};
    int inverted = -1;
    if (!prepare(&img, 1, 10, 10, FFCNN_INVERT_AUTO, FFCNN_FIT_STRETCH, out, &inverted))
        CHECK(inverted == 1 && out[0] == 15 && out[35] == 235, "dark on light: inverted");
    for (int i = 0; i < 100; i++) paper[i] = (uint8_t)(255 - paper[i]);
    if (!prepare(&img, 1, 10, 10, FFCNN_INVERT_AUTO, FFCNN_FIT_STRETCH, out, &inverted))
        CHECK(inverted == 0 && memcmp(out, paper, 100) == 0, "light on dark: as it is");
    if (!prepare(&img, 1, 10, 10, FFCNN_INVERT_YES, FFCNN_FIT_STRETCH, out, &inverted))
        CHECK(inverted == 1 && out[0] == 240, "inversion forced");
    memset(paper, 200, sizeof paper); /* light everywhere, but kept by NO */
    if (!prepare(&img, 1, 10, 10, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, out, &inverted))
        CHECK(inverted == 0 && out[0] == 200, "inversion refused");
    /* a colour border of (255, 255, 0) has mean 170 > 127.5 */
    uint8_t rgb[3 * 9];
    memset(rgb, 255, 18), memset(rgb + 18, 0, 9);
    ffcnn_image colour = {3, 3, 3, rgb};
    if (!prepare(&colour, 3, 3, 3, FFCNN_INVERT_AUTO, FFCNN_FIT_STRETCH, out, &inverted))
        CHECK(inverted == 1 && out[0] == 0 && out[18] == 255, "colour border over mid-grey");
}

static void test_prepare_stretch(void) {
    uint8_t small[28 * 28], big[56 * 56], out[28 * 28];
    for (int i = 0; i < 28 * 28; i++) small[i] = (uint8_t)((i * 97 + 13) % 251);
    for (int y = 0; y < 56; y++)
        for (int x = 0; x < 56; x++) big[y * 56 + x] = small[(y / 2) * 28 + x / 2];
    ffcnn_image img = {1, 56, 56, big};
    if (!prepare(&img, 1, 28, 28, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, out, NULL))
        CHECK(memcmp(out, small, sizeof small) == 0, "56x56 of 2x2 blocks to 28x28: the original");
    /* 3x2 averaging: the mean of 0 0 0 / 255 255 255 rows is 127.5, rounded up */
    uint8_t stripes[2 * 3] = {0, 0, 0, 255, 255, 255};
    ffcnn_image st = {1, 2, 3, stripes};
    if (!prepare(&st, 1, 1, 1, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, out, NULL))
        CHECK(out[0] == 128, "area average of a 2x3 image: %d, expected 128", out[0]);
    /* enlarging a flat image keeps it flat; a gradient stays in range and monotonic */
    uint8_t flat[5 * 7], wide[30 * 20];
    memset(flat, 77, sizeof flat);
    ffcnn_image fl = {1, 5, 7, flat};
    if (!prepare(&fl, 1, 30, 20, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, wide, NULL)) {
        int ok = 1;
        for (int i = 0; i < 600; i++) ok &= wide[i] == 77;
        CHECK(ok, "flat image enlarged: flat");
    }
    for (int i = 0; i < 35; i++) flat[i] = (uint8_t)(i % 7 * 40);
    if (!prepare(&fl, 1, 30, 20, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, wide, NULL)) {
        int ok = wide[0] == 0 && wide[19] == 240;
        for (int x = 1; x < 20; x++) ok &= wide[x] >= wide[x - 1] && wide[100 + x] == wide[x];
        CHECK(ok, "horizontal gradient enlarged: 0..240, non-decreasing, same in every row");
    }
}

/* The ink's bounding box (above a tenth of the brightest) and intensity-weighted centre. */
static void measure(const uint8_t *px, int h, int w, int *box_h, int *box_w, double *cy,
                    double *cx) {
    int top = h, bottom = -1, left = w, right = -1, brightest = 0;
    double mass = 0, sy = 0, sx = 0;
    for (int i = 0; i < h * w; i++) brightest = px[i] > brightest ? px[i] : brightest;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int v = px[y * w + x];
            mass += v, sy += (double)v * y, sx += (double)v * x;
            if (10 * v > brightest) {
                top = y < top ? y : top, bottom = y > bottom ? y : bottom;
                left = x < left ? x : left, right = x > right ? x : right;
            }
        }
    *box_h = bottom - top + 1, *box_w = right - left + 1;
    *cy = mass > 0 ? sy / mass : -1, *cx = mass > 0 ? sx / mass : -1;
}

static void check_digit_fit(const ffcnn_image *img, enum ffcnn_invert invert, const char *what) {
    uint8_t out[28 * 28];
    int inverted = -1;
    if (prepare(img, 1, 28, 28, invert, FFCNN_FIT_DIGIT, out, &inverted)) return;
    int bh, bw;
    double cy, cx;
    measure(out, 28, 28, &bh, &bw, &cy, &cx);
    const int longer = bh > bw ? bh : bw;
    CHECK(fabs(cy - 14) <= 1 && fabs(cx - 14) <= 1 && abs(longer - 20) <= 1,
          "%s: centre of mass (%.2f, %.2f), box %dx%d; expected (14, 14) and 20 long", what, cy, cx,
          bh, bw);
}

static void test_prepare_digit(void) {
    enum { H = 100, W = 60 };
    uint8_t *px = calloc(H * W, 1), out[28 * 28];
    for (int y = 10; y < 50; y++)
        for (int x = 5; x < 25; x++) px[y * W + x] = 255;
    ffcnn_image img = {1, H, W, px};
    check_digit_fit(&img, FFCNN_INVERT_AUTO, "bright rectangle off-centre in 100x60");
    for (int i = 0; i < H * W; i++) px[i] = (uint8_t)(255 - px[i]);
    check_digit_fit(&img, FFCNN_INVERT_AUTO, "the same dark on white (auto inversion)");
    /* a small uneven mark, enlarged: 3 x 2 pixels at the bottom-right corner */
    memset(px, 0, H * W);
    px[97 * W + 58] = 255, px[98 * W + 58] = 128, px[99 * W + 58] = 200, px[99 * W + 59] = 90;
    check_digit_fit(&img, FFCNN_INVERT_NO, "small mark in the corner");
    memset(px, 0, H * W);
    int inverted = -1;
    if (!prepare(&img, 1, 28, 28, FFCNN_INVERT_AUTO, FFCNN_FIT_DIGIT, out, &inverted)) {
        int zero = 1;
        for (int i = 0; i < 28 * 28; i++) zero &= out[i] == 0;
        CHECK(zero && inverted == 0, "blank image: a black frame, not an error");
    }
    free(px);
}

static void test_prepare_arguments(void) {
    uint8_t px[4] = {0}, out[16];
    ffcnn_image img = {1, 2, 2, px};
    char err[FFCNN_ERR_LEN] = "";
    struct {
        int channels, height, width, invert, fit;
        const char *needle;
    } bad[] = {{2, 4, 4, 0, 1, "channels 2"},
               {1, 0, 4, 0, 1, "size 0x4"},
               {1, 4, 40000, 0, 1, "size 4x40000"},
               {1, 4, 4, 7, 1, "invert 7"},
               {1, 4, 4, 0, 0, "fit 0"}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        int rc = ffcnn_image_prepare(&img, bad[k].channels, bad[k].height, bad[k].width,
                                     (enum ffcnn_invert)bad[k].invert, (enum ffcnn_fit)bad[k].fit,
                                     out, NULL, err);
        CHECK(rc == FFCNN_EINVAL && strstr(err, bad[k].needle),
              "bad argument: expected EINVAL saying '%s', got %d '%s'", bad[k].needle, rc, err);
    }
    ffcnn_image empty = {1, 2, 2, NULL};
    CHECK(ffcnn_image_prepare(&empty, 1, 4, 4, FFCNN_INVERT_NO, FFCNN_FIT_STRETCH, out, NULL,
                              err) == FFCNN_EINVAL,
          "an image without pixels refused");
}

/* Decompression bombs the fuzzer found: a few hundred bytes declaring 16384 x 16384 pixels
 * and no data. Refused at once, without gigabytes of memory (fuzz/regressions/image/). */
static void test_jpeg_bombs(void) {
    static const char *const files[] = {
        "../fuzz/regressions/image/jpeg_baseline_grey_16384x16384_331_bytes",
        "../fuzz/regressions/image/jpeg_progressive_rgb_16384x16384_239_bytes"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        ffcnn_image img = {0};
        char err[FFCNN_ERR_LEN] = "";
        const int rc = ffcnn_image_load(&img, files[i], err);
        CHECK(rc == FFCNN_EFORMAT && strstr(err, files[i]) && !img.pixels,
              "%s refused as a format error: %s", files[i], err);
        ffcnn_image_free(&img);
    }
}

int main(void) {
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_png_grey_and_save();
    test_png_colour();
    test_png_16bit_and_palette();
    test_jpeg();
    test_pnm();
    test_malformed_png();
    test_malformed_jpeg();
    test_jpeg_bombs();
    test_malformed_other();
    test_save_errors();
    test_prepare_identity_and_colour();
    test_prepare_inversion();
    test_prepare_stretch();
    test_prepare_digit();
    test_prepare_arguments();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
