/* Fuzzes the image decoder, ffcnn_image_load() (src/image.c: PNG through libpng, JPEG through
 * libjpeg, binary PGM/PPM by hand), and ffcnn_image_prepare() on what it decodes:
 *
 *   the whole input is the image file (the decoder chooses the format by the first bytes)
 *
 * Checks the API contract. A failed load returns FFCNN_EIO, FFCNN_EFORMAT or FFCNN_ENOMEM with a
 * one-line message and leaves the image zeroed. A load that succeeds gives 1 or 3 channels,
 * sides in 1..32768, at most 2^28 pixels and a pixel buffer that long; then, for an image of
 * at most 2^22 pixels (time per input),
 *   - prepare to 1x28x28 with FFCNN_FIT_STRETCH and with FFCNN_FIT_DIGIT (invert AUTO), and to
 *     3x32x32 with FFCNN_FIT_STRETCH, each into an exact-size buffer: FFCNN_OK (or FFCNN_ENOMEM
 *     with a message), both 1x28x28 calls make the same inversion choice, and a 28x28 image
 *     comes out the same either way (it is copied as it is);
 *   - prepare to the image's own shape with invert NO and YES (at most 2^20 pixels): the pixels
 *     unchanged, and 255 - each pixel;
 *   - for an image of at most 64K pixels, ffcnn_image_save_png() and a reload give back the same
 *     image.
 * A failed prepare must leave a one-line message too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ffcnn.h"
#include "fuzz_util.h"

#define MAX_SIDE 32768
#define MAX_PIXELS ((uint64_t)1 << 28)
/* The preparations only below these sizes: a few hundred bytes of JPEG can decode to 2^28
 * pixels (within the documented limits), and preparing that under ASan takes minutes. */
#define PREPARE_MAX_PIXELS ((size_t)1 << 22)
#define COPY_MAX_PIXELS ((size_t)1 << 20)
#define ROUND_TRIP_MAX_PIXELS ((size_t)1 << 16)

/* Reads of buffers land here, so that the loads that let ASan check their length stay. */
static volatile unsigned sink;

/* A message: non-empty, terminated inside the buffer, one line. */
static void check_err(const char *err) {
    FZ_CHECK(memchr(err, '\0', FFCNN_ERR_LEN) != NULL);
    FZ_CHECK(err[0] != '\0');
    FZ_CHECK(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL);
}

/* ffcnn_image_prepare into a malloc'd buffer of exactly channels * height * width bytes (ASan
 * sees a write past it); NULL when it fails with FFCNN_ENOMEM, which is allowed. */
static uint8_t *prepare(const ffcnn_image *img, int channels, int height, int width,
                        enum ffcnn_invert invert, enum ffcnn_fit fit, int *inverted) {
    uint8_t *out = malloc((size_t)channels * height * width);
    FZ_CHECK(out != NULL);
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    *inverted = -1;
    const int rc =
        ffcnn_image_prepare(img, channels, height, width, invert, fit, out, inverted, err);
    fz_report("ffcnn_image_prepare", rc, err);
    if (rc != FFCNN_OK) {
        FZ_CHECK(rc == FFCNN_ENOMEM);
        check_err(err);
        free(out);
        return NULL;
    }
    FZ_CHECK(*inverted == 0 || *inverted == 1);
    if (invert != FFCNN_INVERT_AUTO) FZ_CHECK(*inverted == (invert == FFCNN_INVERT_YES));
    return out;
}

static void check_prepare(const ffcnn_image *img) {
    if ((size_t)img->height * img->width > PREPARE_MAX_PIXELS) return;
    int inv_s = -1, inv_d = -1, inv_c = -1;
    uint8_t *s = prepare(img, 1, 28, 28, FFCNN_INVERT_AUTO, FFCNN_FIT_STRETCH, &inv_s);
    uint8_t *d = prepare(img, 1, 28, 28, FFCNN_INVERT_AUTO, FFCNN_FIT_DIGIT, &inv_d);
    uint8_t *c = prepare(img, 3, 32, 32, FFCNN_INVERT_AUTO, FFCNN_FIT_STRETCH, &inv_c);
    if (s && d) {
        FZ_CHECK(inv_s == inv_d); /* the same grey image, the same border */
        if (img->height == 28 && img->width == 28) FZ_CHECK(memcmp(s, d, 28 * 28) == 0);
    }
    free(s), free(d), free(c);

    const size_t npix = (size_t)img->height * img->width;
    if (npix > COPY_MAX_PIXELS) return;
    const size_t n = (size_t)img->channels * npix;
    int inv = -1;
    uint8_t *same = prepare(img, img->channels, img->height, img->width, FFCNN_INVERT_NO,
                            FFCNN_FIT_DIGIT, &inv);
    if (same) FZ_CHECK(memcmp(same, img->pixels, n) == 0);
    free(same);
    uint8_t *flipped = prepare(img, img->channels, img->height, img->width, FFCNN_INVERT_YES,
                               FFCNN_FIT_STRETCH, &inv);
    if (flipped)
        for (size_t i = 0; i < n; i++) FZ_CHECK(flipped[i] == (uint8_t)(255 - img->pixels[i]));
    free(flipped);
}

/* Save as PNG, load again: the same image. */
static void check_round_trip(const ffcnn_image *img) {
    if ((size_t)img->height * img->width > ROUND_TRIP_MAX_PIXELS) return;
    char path[4096], err[FFCNN_ERR_LEN];
    fz_temp_path(path, sizeof path, "roundtrip.png");
    err[0] = '\0';
    int rc = ffcnn_image_save_png(img, path, err);
    fz_report("ffcnn_image_save_png", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    ffcnn_image back;
    memset(&back, 0xA5, sizeof back);
    rc = ffcnn_image_load(&back, path, err);
    fz_report("ffcnn_image_load (round trip)", rc, err);
    FZ_CHECK(rc == FFCNN_OK);
    FZ_CHECK(back.channels == img->channels && back.height == img->height &&
             back.width == img->width && back.pixels != NULL);
    FZ_CHECK(memcmp(back.pixels, img->pixels,
                    (size_t)img->channels * img->height * (size_t)img->width) == 0);
    ffcnn_image_free(&back);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[4096], err[FFCNN_ERR_LEN];
    fz_temp_path(path, sizeof path, "image");
    fz_write_file(path, data, size);

    ffcnn_image img;
    memset(&img, 0xA5, sizeof img); /* the loader must initialise it whatever happens */
    err[0] = '\0';
    const int rc = ffcnn_image_load(&img, path, err);
    fz_report("ffcnn_image_load", rc, err);
    unlink(path);
    if (rc != FFCNN_OK) {
        FZ_CHECK(rc == FFCNN_EIO || rc == FFCNN_EFORMAT || rc == FFCNN_ENOMEM);
        check_err(err);
        FZ_CHECK(img.pixels == NULL && img.channels == 0 && img.height == 0 && img.width == 0);
        ffcnn_image_free(&img); /* freeing a failed load is safe */
        return 0;
    }
    FZ_CHECK(img.channels == 1 || img.channels == 3);
    FZ_CHECK(img.height > 0 && img.width > 0 && img.height <= MAX_SIDE && img.width <= MAX_SIDE);
    FZ_CHECK((uint64_t)img.height * (uint64_t)img.width <= MAX_PIXELS);
    FZ_CHECK(img.pixels != NULL);
    const size_t n = (size_t)img.channels * img.height * (size_t)img.width;
    sink = img.pixels[0] + img.pixels[n - 1]; /* ASan: the buffer is at least this long */

    check_prepare(&img);
    check_round_trip(&img);

    ffcnn_image_free(&img);
    FZ_CHECK(img.pixels == NULL && img.channels == 0 && img.height == 0 && img.width == 0);
    ffcnn_image_free(&img); /* twice is fine */
    return 0;
}
