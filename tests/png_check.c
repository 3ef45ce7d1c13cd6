/* For the shell tests: prints a PNG's width and height from its IHDR chunk (bytes 16..23,
 * big-endian) and how many distinct pixel values cairo decodes from it (at most 1000 counted):
 * "W H N". Exit 1 when the file is not a PNG that cairo reads, or the IHDR size is not cairo's.
 * png_check --grey FILE writes instead each pixel's red byte, row by row (a grey image's
 * pixels), decoded by cairo: a reader independent of ffcnn's own. */
#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The red byte of every pixel of an opaque image (cairo's RGB24: 0x00RRGGBB in a uint32). */
static int dump_grey(const char *path) {
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return fprintf(stderr, "%s: cairo cannot read it\n", path), 1;
    cairo_surface_flush(s);
    const int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v;
            memcpy(&v, data + (size_t)y * stride + 4 * (size_t)x, 4);
            putchar((int)(v >> 16 & 0xff));
        }
    cairo_surface_destroy(s);
    return 0;
}

int main(int argc, char **argv) {
    unsigned char head[24];
    if (argc == 3 && !strcmp(argv[1], "--grey")) return dump_grey(argv[2]);
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    if (!f) return fprintf(stderr, "usage: png_check FILE.png (a readable file)\n"), 1;
    const size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got != sizeof head || memcmp(head, "\x89PNG\r\n\x1a\n", 8) || memcmp(head + 12, "IHDR", 4))
        return fprintf(stderr, "%s: not a PNG\n", argv[1]), 1;
    const uint32_t w =
        (uint32_t)head[16] << 24 | (uint32_t)head[17] << 16 | (uint32_t)head[18] << 8 | head[19];
    const uint32_t h =
        (uint32_t)head[20] << 24 | (uint32_t)head[21] << 16 | (uint32_t)head[22] << 8 | head[23];
    cairo_surface_t *s = cairo_image_surface_create_from_png(argv[1]);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return fprintf(stderr, "%s: cairo cannot read it\n", argv[1]), 1;
    cairo_surface_flush(s);
    const int cw = cairo_image_surface_get_width(s), ch = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    uint32_t seen[1000];
    int n = 0;
    for (int y = 0; y < ch && n < 1000; y++)
        for (int x = 0; x < cw && n < 1000; x++) {
            uint32_t v;
            memcpy(&v, data + (size_t)y * stride + 4 * (size_t)x, 4);
            int k = 0;
            while (k < n && seen[k] != v) k++;
            if (k == n) seen[n++] = v;
        }
    cairo_surface_destroy(s);
    if ((uint32_t)cw != w || (uint32_t)ch != h)
        return fprintf(stderr, "%s: IHDR says %ux%u, cairo %dx%d\n", argv[1], w, h, cw, ch), 1;
    printf("%u %u %d\n", w, h, n);
    return 0;
}
