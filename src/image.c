/* Image files (PNG through libpng, JPEG through libjpeg, binary PGM/PPM by hand) and their
 * preparation as a model's input. A file is read whole into memory first, so that a decoder sees
 * exactly the bytes present and a truncated file is an error, never a read past the end; every
 * header's size is checked before the pixels are allocated. libpng and libjpeg report errors by
 * longjmp: the state that must outlive a jump lives in a job struct owned by the caller of the
 * function that calls setjmp, so no local variable of that function is changed after it. */
#include <png.h> /* before setjmp.h: libpng 1.2 refused to follow it */

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <jerror.h>

#include "ffcnn.h"
#include "util.h"

#define MAX_SIDE 32768u
#define MAX_PIXELS ((uint64_t)1 << 28)
#define MAX_FILE_BYTES ((size_t)1 << 30)
#define LIB_MESSAGE_LEN 200
#define JPEG_MAX_MEMORY (512L << 20)

/* ---- reading the file ---- */

/* The whole file (gzip'd images are decompressed, an unusual but harmless convenience). */
static int read_whole_file(const char *path, uint8_t **out, size_t *len, char *err) {
    int rc = ff_read_file(path, MAX_FILE_BYTES, out, len, err);
    if (!rc && *len == 0) {
        free(*out);
        *out = NULL;
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: empty file", path);
    }
    return rc;
}

/* Zero sizes are malformed; the limits keep a forged header from asking for gigabytes. */
static int check_size(const char *path, const char *format, uint64_t width, uint64_t height,
                      char *err) {
    if (width == 0 || height == 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: %s image has zero width or height (%llux%llu)",
                       path, format, (unsigned long long)width, (unsigned long long)height);
    if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS)
        return ff_fail(err, FFCNN_EFORMAT,
                       "%s: %s image of %llux%llu pixels is too large (at most %u per side and "
                       "2^28 pixels)",
                       path, format, (unsigned long long)width, (unsigned long long)height,
                       MAX_SIDE);
    return FFCNN_OK;
}

static int image_alloc(ffcnn_image *img, int channels, uint32_t height, uint32_t width,
                       const char *path, char *err) {
    img->pixels = malloc((size_t)channels * height * width);
    if (!img->pixels) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory for the pixels", path);
    img->channels = channels;
    img->height = (int32_t)height;
    img->width = (int32_t)width;
    return FFCNN_OK;
}

/* v drawn with opacity a over a white background, rounded. */
static uint8_t over_white(unsigned v, unsigned a) {
    return (uint8_t)((v * a + 255u * (255u - a) + 127u) / 255u);
}

/* Decoders give interleaved samples (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA); ffcnn_image is
 * planar and has no alpha, so alpha is composited over white here. */
static int image_from_interleaved(ffcnn_image *img, const uint8_t *src, int samples,
                                  uint32_t height, uint32_t width, const char *path, char *err) {
    const int colours = samples >= 3 ? 3 : 1, alpha = samples == 2 || samples == 4;
    int rc = image_alloc(img, colours, height, width, path, err);
    if (rc) return rc;
    const size_t npix = (size_t)height * width;
    for (size_t i = 0; i < npix; i++) {
        const uint8_t *p = src + i * samples;
        for (int c = 0; c < colours; c++)
            img->pixels[c * npix + i] = alpha ? over_white(p[c], p[colours]) : p[c];
    }
    return FFCNN_OK;
}

/* ---- PNG (libpng) ---- */

typedef struct png_job {
    const char *path;
    char *err;
    const uint8_t *data;
    size_t len, pos;
    int truncated, out_of_memory;
    int rc; /* an error of ours found between setjmp and the end (0: libpng's, in message) */
    char message[LIB_MESSAGE_LEN];
    png_structp png;
    png_infop info;
    uint32_t width, height;
    int samples;          /* per pixel after png_set_expand: 1 to 4 */
    uint8_t *interleaved; /* the decoded rows */
    png_bytep *rows;
} png_job;

/* libpng's error callback must not return; the error pointer is the job's message buffer. */
static void png_on_error(png_structp png, png_const_charp msg) {
    char *message = png_get_error_ptr(png);
    snprintf(message, LIB_MESSAGE_LEN, "%s", msg);
    png_longjmp(png, 1);
}

/* libpng would print warnings (a bad ancillary chunk's CRC, say) to stderr; the library never
 * prints, and a warning leaves the pixels usable. */
static void png_ignore_warning(png_structp png, png_const_charp msg) {
    (void)png, (void)msg;
}

static void png_read_from_memory(png_structp png, png_bytep out, size_t n) {
    png_job *job = png_get_io_ptr(png);
    if (n > job->len - job->pos) {
        job->truncated = 1;
        png_error(png, "the file ends early");
    }
    memcpy(out, job->data + job->pos, n);
    job->pos += n;
}

/* libpng's allocator, so that its out-of-memory errors can be told from a corrupt file's. */
static png_voidp png_job_malloc(png_structp png, png_alloc_size_t n) {
    void *p = malloc(n);
    if (!p) ((png_job *)png_get_mem_ptr(png))->out_of_memory = 1;
    return p;
}

static void png_job_free(png_structp png, png_voidp p) {
    (void)png;
    free(p);
}

/* Everything libpng may jump out of. Returns 0, or 1 with job->rc or job->message set. */
static int png_decode_guarded(png_job *job) {
    png_structp png = job->png;
    png_infop info = job->info;
    if (setjmp(png_jmpbuf(png))) return 1;
    png_read_info(png, info);
    job->width = png_get_image_width(png, info);
    job->height = png_get_image_height(png, info);
    job->rc = check_size(job->path, "PNG", job->width, job->height, job->err);
    if (job->rc) return 1;
    png_set_expand(png);   /* palette to RGB, grey of 1-4 bits to 8, tRNS to an alpha channel */
    png_set_scale_16(png); /* 16-bit samples to 8, rounded: v * 255 / 65535 (strip_16 floors) */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    job->samples = png_get_channels(png, info);
    const size_t row_bytes = png_get_rowbytes(png, info);
    job->interleaved = malloc(job->height * row_bytes);
    job->rows = malloc(job->height * sizeof *job->rows);
    if (!job->interleaved || !job->rows) {
        job->rc = ff_fail(job->err, FFCNN_ENOMEM, "%s: out of memory for the pixels", job->path);
        return 1;
    }
    for (uint32_t y = 0; y < job->height; y++) job->rows[y] = job->interleaved + y * row_bytes;
    png_read_image(png, job->rows);
    png_read_end(png, NULL); /* to IEND: a file cut after its pixels is still truncated */
    return 0;
}

static int png_failure(const png_job *job) {
    if (job->rc) return job->rc;
    if (job->out_of_memory)
        return ff_fail(job->err, FFCNN_ENOMEM, "%s: out of memory decoding the PNG (libpng: %s)",
                       job->path, job->message);
    return ff_fail(job->err, FFCNN_EFORMAT, "%s: %s PNG (libpng: %s)", job->path,
                   job->truncated ? "truncated" : "corrupt", job->message);
}

static int decode_png(ffcnn_image *img, const char *path, const uint8_t *data, size_t len,
                      char *err) {
    png_job job = {.path = path, .err = err, .data = data, .len = len};
    job.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, job.message, png_on_error,
                                       png_ignore_warning, &job, png_job_malloc, png_job_free);
    if (!job.png) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory starting libpng", path);
    job.info = png_create_info_struct(job.png);
    int rc;
    if (!job.info) {
        rc = ff_fail(err, FFCNN_ENOMEM, "%s: out of memory starting libpng", path);
    } else {
        png_set_read_fn(job.png, &job, png_read_from_memory);
        rc = png_decode_guarded(&job) ? png_failure(&job)
                                      : image_from_interleaved(img, job.interleaved, job.samples,
                                                               job.height, job.width, path, err);
    }
    png_destroy_read_struct(&job.png, job.info ? &job.info : NULL, NULL);
    free(job.rows);
    free(job.interleaved);
    return rc;
}

/* ---- JPEG (libjpeg) ---- */

typedef struct jpeg_job {
    struct jpeg_error_mgr manager; /* first: libjpeg hands back a pointer to it */
    jmp_buf jump;
    const char *path;
    char *err;
    int rc; /* as in png_job */
    int created, truncated;
    char message[JMSG_LENGTH_MAX];
    struct jpeg_decompress_struct cinfo;
    int samples; /* 1 grey, 3 RGB, 4 CMYK */
    uint8_t *interleaved;
} jpeg_job;

static void jpeg_on_error(j_common_ptr cinfo) {
    jpeg_job *job = (jpeg_job *)cinfo->err;
    cinfo->err->format_message(cinfo, job->message);
    longjmp(job->jump, 1);
}

/* libjpeg's warnings and trace messages. It reads past the end of the data as if it met an
 * end-of-image marker and only warns (JWRN_JPEG_EOF), which would turn a truncated file into a
 * grey-bottomed image: that warning is an error here. The others (extraneous bytes before a
 * marker and the like: images that viewers show) are ignored, not printed. */
static void jpeg_on_message(j_common_ptr cinfo, int level) {
    /* A scan that ends early (the file, or its data before the next marker) is a truncated
     * image: libjpeg would fill the rest with grey, and a few hundred bytes could declare an
     * image of gigabytes. */
    if (level < 0 &&
        (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER)) {
        ((jpeg_job *)cinfo->err)->truncated = 1;
        jpeg_on_error(cinfo);
    }
}

/* libjpeg decodes CMYK and YCCK only to CMYK; RGB is left to us. Adobe's files (those with its
 * APP14 marker, Photoshop's) store the inks inverted, 255 meaning none. */
static void cmyk_to_rgb(uint8_t *px, size_t npix, int adobe_inverted) {
    for (size_t i = 0; i < npix; i++) {
        const uint8_t *s = px + 4 * i;
        const unsigned k = adobe_inverted ? s[3] : 255u - s[3];
        for (int c = 0; c < 3; c++) {
            const unsigned ink_free = adobe_inverted ? s[c] : 255u - s[c];
            px[3 * i + c] = (uint8_t)((ink_free * k + 127u) / 255u);
        }
    }
}

static J_COLOR_SPACE jpeg_output_space(J_COLOR_SPACE in) {
    if (in == JCS_GRAYSCALE) return JCS_GRAYSCALE;
    if (in == JCS_CMYK || in == JCS_YCCK) return JCS_CMYK;
    return JCS_RGB; /* YCbCr, RGB; another space makes libjpeg refuse the conversion */
}

/* Everything libjpeg may jump out of; returns as png_decode_guarded. */
static int jpeg_decode_guarded(jpeg_job *job, const uint8_t *data, size_t len) {
    struct jpeg_decompress_struct *cinfo = &job->cinfo;
    if (setjmp(job->jump)) return 1;
    jpeg_create_decompress(cinfo);
    job->created = 1;
    jpeg_mem_src(cinfo, data, (unsigned long)len);
    /* libjpeg's own buffers (a progressive file's coefficients: 128 bytes a pixel) are capped;
     * beyond it, with no backing store, it fails cleanly instead of taking the machine's memory. */
    cinfo->mem->max_memory_to_use = JPEG_MAX_MEMORY;
    jpeg_read_header(cinfo, TRUE);
    job->rc = check_size(job->path, "JPEG", cinfo->image_width, cinfo->image_height, job->err);
    if (job->rc) return 1;
    cinfo->out_color_space = jpeg_output_space(cinfo->jpeg_color_space);
    jpeg_start_decompress(cinfo);
    job->samples = cinfo->output_components;
    const size_t row_bytes = (size_t)cinfo->output_width * job->samples;
    job->interleaved = malloc(row_bytes * cinfo->output_height);
    if (!job->interleaved) {
        job->rc = ff_fail(job->err, FFCNN_ENOMEM, "%s: out of memory for the pixels", job->path);
        return 1;
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = job->interleaved + cinfo->output_scanline * row_bytes;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo); /* to the end-of-image marker */
    return 0;
}

static int decode_jpeg(ffcnn_image *img, const char *path, const uint8_t *data, size_t len,
                       char *err) {
    jpeg_job *job =
        calloc(1, sizeof *job); /* a jmp_buf and two libjpeg structs: not on the stack */
    if (!job) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory starting libjpeg", path);
    job->path = path;
    job->err = err;
    job->cinfo.err = jpeg_std_error(&job->manager);
    job->manager.error_exit = jpeg_on_error;
    job->manager.emit_message = jpeg_on_message;
    int rc;
    if (jpeg_decode_guarded(job, data, len)) {
        if (job->rc)
            rc = job->rc;
        else if (job->manager.msg_code == JERR_NO_BACKING_STORE)
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: JPEG too large to decode (over %ld MB)", path,
                         JPEG_MAX_MEMORY >> 20);
        else
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: %s JPEG (libjpeg: %s)", path,
                         job->truncated ? "truncated" : "corrupt or unsupported", job->message);
    } else {
        const uint32_t height = job->cinfo.output_height, width = job->cinfo.output_width;
        if (job->samples == 4) {
            cmyk_to_rgb(job->interleaved, (size_t)height * width, job->cinfo.saw_Adobe_marker);
            job->samples = 3;
        }
        rc = image_from_interleaved(img, job->interleaved, job->samples, height, width, path, err);
    }
    if (job->created) jpeg_destroy_decompress(&job->cinfo);
    free(job->interleaved);
    free(job);
    return rc;
}

/* ---- binary PGM (P5) and PPM (P6) ---- */

static int pnm_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and comments (# to the end of the line) before a header field. */
static size_t pnm_skip(const uint8_t *d, size_t len, size_t i) {
    while (i < len && (pnm_space(d[i]) || d[i] == '#')) {
        if (d[i] == '#')
            while (i < len && d[i] != '\n' && d[i] != '\r') i++;
        else
            i++;
    }
    return i;
}

/* A decimal header field at *i; 0 when there is none or it is over a billion. */
static int pnm_field(const uint8_t *d, size_t len, size_t *i, uint32_t *out) {
    size_t at = pnm_skip(d, len, *i), start = at;
    uint64_t v = 0;
    while (at < len && d[at] >= '0' && d[at] <= '9' && v <= 1000000000u)
        v = v * 10 + (uint64_t)(d[at++] - '0');
    if (at == start || v > 1000000000u) return 0;
    *i = at;
    *out = (uint32_t)v;
    return 1;
}

static int decode_pnm(ffcnn_image *img, const char *path, const uint8_t *d, size_t len, char *err) {
    const int channels = d[1] == '5' ? 1 : 3;
    const char *format = channels == 1 ? "PGM" : "PPM";
    size_t i = 2;
    uint32_t width, height, maxval;
    if (!pnm_field(d, len, &i, &width) || !pnm_field(d, len, &i, &height) ||
        !pnm_field(d, len, &i, &maxval) || i >= len || !pnm_space(d[i]))
        return ff_fail(err, FFCNN_EFORMAT,
                       "%s: malformed %s header (width, height and maxval expected)", path, format);
    i++; /* the one whitespace byte before the pixels */
    if (maxval == 0 || maxval > 65535)
        return ff_fail(err, FFCNN_EFORMAT, "%s: %s maxval %u is not in 1..65535", path, format,
                       maxval);
    int rc = check_size(path, format, width, height, err);
    if (rc) return rc;
    const size_t bytes = maxval > 255 ? 2 : 1, npix = (size_t)width * height;
    const size_t need = npix * channels * bytes;
    if (len - i < need)
        return ff_fail(err, FFCNN_EFORMAT, "%s: truncated %s: %zu bytes of pixels, %zu expected",
                       path, format, len - i, need);
    rc = image_alloc(img, channels, height, width, path, err);
    if (rc) return rc;
    const uint8_t *p = d + i; /* trailing bytes (a further image) are ignored */
    for (size_t px = 0; px < npix; px++)
        for (int c = 0; c < channels; c++, p += bytes) {
            const uint32_t v = bytes == 2 ? (uint32_t)p[0] << 8 | p[1] : p[0];
            /* to 0..255, rounded (samples over maxval, invalid, saturate) */
            const uint32_t v8 = v >= maxval ? 255 : (v * 255 + maxval / 2) / maxval;
            img->pixels[c * npix + px] = (uint8_t)v8;
        }
    return FFCNN_OK;
}

/* ---- the public functions ---- */

int ffcnn_image_load(ffcnn_image *img, const char *path, char *err) {
    if (!img || !path) return ff_fail(err, FFCNN_EINVAL, "ffcnn_image_load: no image or path");
    memset(img, 0, sizeof *img);
    uint8_t *d = NULL;
    size_t len = 0;
    int rc = read_whole_file(path, &d, &len, err);
    if (rc) return rc;
    /* by content, not name: PNG's signature starts \x89PNG, JPEG's SOI marker is FF D8 */
    if (len >= 4 && memcmp(d, "\x89PNG", 4) == 0)
        rc = decode_png(img, path, d, len, err);
    else if (len >= 2 && d[0] == 0xFF && d[1] == 0xD8)
        rc = decode_jpeg(img, path, d, len, err);
    else if (len >= 3 && d[0] == 'P' && (d[1] == '5' || d[1] == '6') && pnm_space(d[2]))
        rc = decode_pnm(img, path, d, len, err);
    else if (len >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '7' && pnm_space(d[2]))
        rc = ff_fail(err, FFCNN_EFORMAT,
                     "%s: Netpbm P%c is not supported (only binary PGM, P5, and PPM, P6)", path,
                     d[1]);
    else
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: not a PNG, JPEG or PGM/PPM image", path);
    free(d);
    if (rc) ffcnn_image_free(img);
    return rc;
}

void ffcnn_image_free(ffcnn_image *img) {
    if (!img) return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

/* The size limits of a loaded image, for an image handed in by the caller. */
static int image_valid(const ffcnn_image *img) {
    return img && img->pixels && (img->channels == 1 || img->channels == 3) && img->height > 0 &&
           img->width > 0 && (uint32_t)img->height <= MAX_SIDE &&
           (uint32_t)img->width <= MAX_SIDE &&
           (uint64_t)img->height * (uint64_t)img->width <= MAX_PIXELS;
}

typedef struct png_write_job {
    char message[LIB_MESSAGE_LEN];
    png_structp png;
    png_infop info;
    FILE *file;
    uint8_t *row; /* one interleaved row */
} png_write_job;

static int png_encode_guarded(png_write_job *job, const ffcnn_image *img) {
    png_structp png = job->png;
    png_infop info = job->info;
    if (setjmp(png_jmpbuf(png))) return 1;
    png_init_io(png, job->file);
    png_set_IHDR(png, info, (uint32_t)img->width, (uint32_t)img->height, 8,
                 img->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const size_t npix = (size_t)img->height * img->width;
    for (int32_t y = 0; y < img->height; y++) {
        for (int32_t x = 0; x < img->width; x++)
            for (int c = 0; c < img->channels; c++)
                job->row[x * img->channels + c] =
                    img->pixels[c * npix + (size_t)y * img->width + x];
        png_write_row(png, job->row);
    }
    png_write_end(png, NULL);
    return 0;
}

/* No half-written PNG is left behind; a device such as /dev/full is not a file to remove. */
static void remove_if_regular(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) remove(path);
}

int ffcnn_image_save_png(const ffcnn_image *img, const char *path, char *err) {
    if (!path) return ff_fail(err, FFCNN_EINVAL, "ffcnn_image_save_png: no path");
    if (!image_valid(img))
        return ff_fail(err, FFCNN_EINVAL,
                       "%s: not a saveable image (1 or 3 channels, 1..%u pixels per side)", path,
                       MAX_SIDE);
    png_write_job job = {.row = malloc((size_t)img->width * img->channels)};
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job.message, png_on_error,
                                      png_ignore_warning);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    int rc = FFCNN_OK;
    if (!job.row || !job.info) {
        rc = ff_fail(err, FFCNN_ENOMEM, "%s: out of memory writing the PNG", path);
    } else {
        errno = 0;
        job.file = fopen(path, "wb");
        if (!job.file) {
            rc = ff_fail(err, FFCNN_EIO, "%s: cannot open for writing (%s)", path,
                         errno ? strerror(errno) : "unknown");
        } else {
            const int failed = png_encode_guarded(&job, img);
            errno = 0;
            const int closed = fclose(job.file) == 0;
            if (failed)
                rc = ff_fail(err, FFCNN_EIO, "%s: cannot write the PNG (libpng: %s)", path,
                             job.message);
            else if (!closed)
                rc = ff_fail(err, FFCNN_EIO, "%s: cannot write the PNG (%s)", path,
                             errno ? strerror(errno) : "close failed");
            if (rc) remove_if_regular(path);
        }
    }
    if (job.png) png_destroy_write_struct(&job.png, job.info ? &job.info : NULL);
    free(job.row);
    return rc;
}

/* ---- preparation for a model ---- */

static int check_prepare_args(const ffcnn_image *img, int channels, int height, int width,
                              enum ffcnn_invert invert, enum ffcnn_fit fit, const uint8_t *out,
                              char *err) {
    const char *fn = "ffcnn_image_prepare";
    if (!image_valid(img))
        return ff_fail(err, FFCNN_EINVAL, "%s: not a valid image (1 or 3 channels, 1..%u per side)",
                       fn, MAX_SIDE);
    if (channels != 1 && channels != 3)
        return ff_fail(err, FFCNN_EINVAL, "%s: channels %d is not 1 or 3", fn, channels);
    if (height < 1 || width < 1 || (uint32_t)height > MAX_SIDE || (uint32_t)width > MAX_SIDE ||
        (uint64_t)height * (uint64_t)width > MAX_PIXELS)
        return ff_fail(err, FFCNN_EINVAL, "%s: size %dx%d is not in 1..%u per side", fn, height,
                       width, MAX_SIDE);
    if (invert != FFCNN_INVERT_AUTO && invert != FFCNN_INVERT_YES && invert != FFCNN_INVERT_NO)
        return ff_fail(err, FFCNN_EINVAL, "%s: invert %d is not AUTO, YES or NO", fn, (int)invert);
    if (fit != FFCNN_FIT_STRETCH && fit != FFCNN_FIT_DIGIT)
        return ff_fail(err, FFCNN_EINVAL, "%s: fit %d is not STRETCH or DIGIT", fn, (int)fit);
    if (!out) return ff_fail(err, FFCNN_EINVAL, "%s: no output buffer", fn);
    return FFCNN_OK;
}

/* img's pixels with `channels` planes: Rec. 601 luma, rounded, or the grey plane copied. */
static void convert_channels(const ffcnn_image *img, int channels, uint8_t *dst) {
    const size_t npix = (size_t)img->height * img->width;
    const uint8_t *src = img->pixels;
    if (img->channels == channels) {
        memcpy(dst, src, (size_t)channels * npix);
    } else if (channels == 1) {
        for (size_t i = 0; i < npix; i++)
            dst[i] =
                (uint8_t)((299u * src[i] + 587u * src[npix + i] + 114u * src[2 * npix + i] + 500u) /
                          1000u);
    } else {
        for (int c = 0; c < 3; c++) memcpy(dst + c * npix, src, npix);
    }
}

/* The mean of the outermost ring of pixels over all channels: the background, for a digit or an
 * object photographed in the middle of the frame. */
static double border_mean(const uint8_t *px, int channels, int height, int width) {
    double sum = 0.0;
    size_t count = 0;
    for (int c = 0; c < channels; c++) {
        const uint8_t *plane = px + (size_t)c * height * width;
        for (int y = 0; y < height; y++) {
            const uint8_t *row = plane + (size_t)y * width;
            const int whole_row = y == 0 || y == height - 1;
            const int step = whole_row || width == 1 ? 1 : width - 1; /* else x = 0, width - 1 */
            for (int x = 0; x < width; x += step) sum += row[x], count++;
        }
    }
    return sum / (double)count;
}

/* One line of ns samples to nd. Shrinking: the area average (box filter), each source pixel
 * weighted by the share of the output pixel's span it covers, so that detail is averaged, not
 * aliased; an integer ratio averages whole pixels exactly. Enlarging: linear interpolation
 * between pixel centres. */
static void resample_line(const double *src, int ns, double *dst, int nd) {
    for (int i = 0; i < nd; i++) {
        if (nd <= ns) {
            const double lo = (double)i * ns / nd, hi = (double)(i + 1) * ns / nd;
            const int end = (int)ceil(hi) < ns ? (int)ceil(hi) : ns;
            double sum = 0.0, weight = 0.0;
            for (int j = (int)lo; j < end; j++) {
                const double w = fmin(hi, j + 1.0) - fmax(lo, (double)j);
                sum += w * src[j], weight += w;
            }
            dst[i] = sum / weight;
        } else {
            double x = ((double)i + 0.5) * ns / nd - 0.5;
            x = x < 0.0 ? 0.0 : x > ns - 1.0 ? ns - 1.0 : x;
            const int j = (int)x, k = j + 1 < ns ? j + 1 : j;
            dst[i] = src[j] + (x - j) * (src[k] - src[j]);
        }
    }
}

static uint8_t round_to_byte(double v) {
    return v <= 0.0 ? 0 : v >= 255.0 ? 255 : (uint8_t)(v + 0.5);
}

/* Plane src[sh][sw] (rows `stride` bytes apart) to dst[dh][dw]: rows, then columns. Returns 0, or
 * -1 when out of memory. */
static int resample_plane(const uint8_t *src, size_t stride, int sh, int sw, uint8_t *dst, int dh,
                          int dw) {
    const int longest = sh > sw ? sh : sw, longest_out = dh > dw ? dh : dw;
    double *rows = malloc((size_t)sh * dw * sizeof *rows);
    double *in = malloc((size_t)longest * sizeof *in);
    double *line = malloc((size_t)longest_out * sizeof *line);
    const int ok = rows && in && line;
    for (int y = 0; ok && y < sh; y++) {
        for (int x = 0; x < sw; x++) in[x] = src[(size_t)y * stride + x];
        resample_line(in, sw, rows + (size_t)y * dw, dw);
    }
    for (int x = 0; ok && x < dw; x++) {
        for (int y = 0; y < sh; y++) in[y] = rows[(size_t)y * dw + x];
        resample_line(in, sh, line, dh);
        for (int y = 0; y < dh; y++) dst[(size_t)y * dw + x] = round_to_byte(line[y]);
    }
    free(rows), free(in), free(line);
    return ok ? 0 : -1;
}

static int fit_stretch(const uint8_t *px, int channels, int sh, int sw, uint8_t *out, int dh,
                       int dw) {
    for (int c = 0; c < channels; c++)
        if (resample_plane(px + (size_t)c * sh * sw, (size_t)sw, sh, sw, out + (size_t)c * dh * dw,
                           dh, dw))
            return -1;
    return 0;
}

typedef struct ink_box {
    int y, x, height, width;
} ink_box;

/* The pixel's intensity, summed over channels. */
static unsigned intensity(const uint8_t *px, int channels, size_t plane, size_t i) {
    unsigned s = 0;
    for (int c = 0; c < channels; c++) s += px[c * plane + i];
    return s;
}

/* The bounding box of the pixels brighter than a tenth of the brightest (which leaves out faint
 * noise and anti-aliasing haze); 0 when the image is black. */
static int find_ink(const uint8_t *px, int channels, int height, int width, ink_box *box) {
    const size_t plane = (size_t)height * width;
    unsigned brightest = 0;
    for (size_t i = 0; i < plane; i++) {
        const unsigned v = intensity(px, channels, plane, i);
        brightest = v > brightest ? v : brightest;
    }
    if (brightest == 0) return 0;
    int y0 = height, y1 = -1, x0 = width, x1 = -1;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            if (10u * intensity(px, channels, plane, (size_t)y * width + x) > brightest) {
                y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
            }
    *box = (ink_box){y0, x0, y1 - y0 + 1, x1 - x0 + 1};
    return 1;
}

/* The intensity-weighted mean pixel position (row and column indices); the middle when dark. */
static void centre_of_mass(const uint8_t *px, int channels, int height, int width, double *cy,
                           double *cx) {
    const size_t plane = (size_t)height * width;
    double mass = 0.0, sy = 0.0, sx = 0.0;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            const double v = intensity(px, channels, plane, (size_t)y * width + x);
            mass += v, sy += v * y, sx += v * x;
        }
    *cy = mass > 0.0 ? sy / mass : (height - 1) / 2.0;
    *cx = mass > 0.0 ? sx / mass : (width - 1) / 2.0;
}

static int clamp_int(long v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : (int)v;
}

/* MNIST's own preparation (LeCun et al.): its digits were size-normalised to fit a 20x20 box,
 * aspect kept and anti-aliased, then placed in the 28x28 frame so that their centre of mass
 * (intensity-weighted) is at the frame's centre. A model trained on MNIST has only seen digits
 * of that size and place, so a digit drawn or photographed anywhere is brought to them. The box
 * side is round(20/28 * min(height, width)); the centre is (height/2, width/2) in pixel indices,
 * (14, 14) for 28x28, where MNIST's mean centre of mass lies. Expects ink bright on a dark
 * background (after inversion); a black image gives a black frame. */
static int fit_digit(const uint8_t *px, int channels, int sh, int sw, uint8_t *out, int dh,
                     int dw) {
    memset(out, 0, (size_t)channels * dh * dw);
    ink_box b;
    if (!find_ink(px, channels, sh, sw, &b)) return 0;
    const long side_l = lround(20.0 / 28.0 * (dh < dw ? dh : dw));
    const int side = side_l < 1 ? 1 : (int)side_l;
    const int longer = b.height > b.width ? b.height : b.width;
    const int nh = clamp_int(lround((double)b.height * side / longer), 1, side);
    const int nw = clamp_int(lround((double)b.width * side / longer), 1, side);
    uint8_t *digit = malloc((size_t)channels * nh * nw);
    if (!digit) return -1;
    for (int c = 0; c < channels; c++) {
        const uint8_t *corner = px + (size_t)c * sh * sw + (size_t)b.y * sw + b.x;
        if (resample_plane(corner, (size_t)sw, b.height, b.width, digit + (size_t)c * nh * nw, nh,
                           nw)) {
            free(digit);
            return -1;
        }
    }
    double cy, cx;
    centre_of_mass(digit, channels, nh, nw, &cy, &cx);
    /* the shift that brings the centre of mass to the centre, kept inside the frame */
    const int top = clamp_int(lround(dh / 2.0 - cy), 0, dh - nh);
    const int left = clamp_int(lround(dw / 2.0 - cx), 0, dw - nw);
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < nh; y++)
            memcpy(out + (size_t)c * dh * dw + (size_t)(top + y) * dw + left,
                   digit + (size_t)c * nh * nw + (size_t)y * nw, (size_t)nw);
    free(digit);
    return 0;
}

int ffcnn_image_prepare(const ffcnn_image *img, int channels, int height, int width,
                        enum ffcnn_invert invert, enum ffcnn_fit fit, uint8_t *out, int *inverted,
                        char *err) {
    int rc = check_prepare_args(img, channels, height, width, invert, fit, out, err);
    if (rc) return rc;
    const size_t n = (size_t)channels * img->height * img->width;
    uint8_t *px = malloc(n);
    if (!px) return ff_fail(err, FFCNN_ENOMEM, "ffcnn_image_prepare: out of memory");
    convert_channels(img, channels, px);
    const int flip =
        invert == FFCNN_INVERT_YES ||
        (invert == FFCNN_INVERT_AUTO && border_mean(px, channels, img->height, img->width) > 127.5);
    if (flip)
        for (size_t i = 0; i < n; i++) px[i] = (uint8_t)(255 - px[i]);
    int failed = 0;
    if (img->height == height && img->width == width)
        memcpy(out, px, n); /* as it is: an MNIST image saved and loaded stays byte-identical */
    else if (fit == FFCNN_FIT_STRETCH)
        failed = fit_stretch(px, channels, img->height, img->width, out, height, width);
    else
        failed = fit_digit(px, channels, img->height, img->width, out, height, width);
    free(px);
    if (failed) return ff_fail(err, FFCNN_ENOMEM, "ffcnn_image_prepare: out of memory");
    if (inverted) *inverted = flip;
    return FFCNN_OK;
}
