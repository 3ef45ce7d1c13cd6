#include "figure.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PI 3.14159265358979323846
#define MAX_SIDE 32767 /* cairo's image surfaces stop there */
#define TIMES "\xc3\x97"
#define PLUS_MINUS "\xc2\xb1"

/* ---- small helpers ------------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3))) static const char *fail(char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, FIGURE_ERR_LEN, fmt, ap);
    va_end(ap);
    return err;
}

static int clampi(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static double clampd(double v, double lo, double hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static void set_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* Ascent plus descent of the current font. */
static double line_height(cairo_t *cr) {
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    return fe.ascent + fe.descent;
}

/* Text with its reference point placed by (ax, ay): 0 left/top, 0.5 centre, 1 right/bottom. */
static void text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s) {
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_move_to(cr, x - ax * text_width(cr, s), y - ay * (fe.ascent + fe.descent) + fe.ascent);
    cairo_show_text(cr, s);
}

/* s in the current font, shrunk down to 85 % of size to fit maxw, then cut short with "..."
 * if it still does not fit; drawn like text_at. */
static void text_fit(cairo_t *cr, double x, double y, double ax, double ay, const char *s,
                     double size, int bold, double maxw) {
    set_font(cr, size, bold);
    double w = text_width(cr, s);
    if (w > maxw) {
        set_font(cr, size * (maxw / w > 0.85 ? maxw / w : 0.85), bold);
        w = text_width(cr, s);
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    size_t len = strlen(buf);
    while (w > maxw && len > 0) {
        do len--;
        while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80); /* a whole UTF-8 char */
        snprintf(buf + len, sizeof buf - len, "...");
        w = text_width(cr, buf);
    }
    text_at(cr, x, y, ax, ay, buf);
    set_font(cr, size, bold);
}

/* Word-wraps s (spaces; '\n' forces a break) to maxw in the current font. When draw, draws the
 * lines centred on cx, the first with its top at y, one every lh. Returns the number of lines.
 * A line holds at most 1023 bytes. */
static int wrap_text(cairo_t *cr, const char *s, double maxw, int draw, double cx, double y,
                     double lh) {
    char line[1024], trial[1024];
    size_t len = 0; /* of line */
    int lines = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\n') e++;
        size_t wl = (size_t)(e - p);
        if (wl > sizeof line - 1) wl = sizeof line - 1;
        if (wl > 0) {
            size_t tl = len;
            memcpy(trial, line, len);
            if (len && tl < sizeof trial - 1) trial[tl++] = ' ';
            const size_t take = wl < sizeof trial - 1 - tl ? wl : sizeof trial - 1 - tl;
            memcpy(trial + tl, p, take);
            trial[tl + take] = 0;
            if (len && text_width(cr, trial) > maxw) {
                line[len] = 0;
                if (draw) text_at(cr, cx, y + lh * lines, 0.5, 0, line);
                lines++;
                memcpy(line, p, wl);
                len = wl;
            } else {
                memcpy(line, trial, tl + take);
                len = tl + take;
            }
        }
        p = e;
        if (*p == '\n' || !*p) {
            if (len) {
                line[len] = 0;
                if (draw) text_at(cr, cx, y + lh * lines, 0.5, 0, line);
                lines++;
                len = 0;
            }
            if (!*p) break;
            p++;
        }
    }
    return lines;
}

/* A 1x1 surface and context for measuring text while laying a figure out. */
static cairo_t *measuring_context(void) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_surface_destroy(s); /* cr keeps a reference */
    return cr;
}

/* Piecewise-linear colour ramp through n control points spread evenly over t in [0, 1]. */
static void ramp(const double (*pts)[3], int n, double t, double out[3]) {
    const double u = clampd(t, 0, 1) * (n - 1);
    const int k = u >= n - 1 ? n - 2 : (int)u;
    const double f = u - k;
    for (int c = 0; c < 3; c++) out[c] = pts[k][c] * (1 - f) + pts[k + 1][c] * f;
}

static void ramp_stops(cairo_pattern_t *pat, const double (*pts)[3], int n, int reverse) {
    for (int k = 0; k < n; k++) {
        const double *c = pts[reverse ? n - 1 - k : k];
        cairo_pattern_add_color_stop_rgb(pat, (double)k / (n - 1), c[0], c[1], c[2]);
    }
}

#define HEX(v)                                                                                     \
    { ((v) >> 16 & 255) / 255.0, ((v) >> 8 & 255) / 255.0, ((v)&255) / 255.0 }
/* ColorBrewer RdBu from -1 (dark blue) to +1 (dark red), with pure white at 0. */
static const double RDBU[11][3] = {HEX(0x053061), HEX(0x2166ac), HEX(0x4393c3), HEX(0x92c5de),
                                   HEX(0xd1e5f0), HEX(0xffffff), HEX(0xfddbc7), HEX(0xf4a582),
                                   HEX(0xd6604d), HEX(0xb2182b), HEX(0x67001f)};
/* ColorBrewer Blues from 0 (white) to 1 (dark blue). */
static const double BLUES[9][3] = {HEX(0xffffff), HEX(0xdeebf7), HEX(0xc6dbef),
                                   HEX(0x9ecae1), HEX(0x6baed6), HEX(0x4292c6),
                                   HEX(0x2171b5), HEX(0x08519c), HEX(0x08306b)};
static const double NONFINITE_GREY = 0.6;

static uint32_t pack_rgb(double r, double g, double b) {
    return (uint32_t)lround(clampd(r, 0, 1) * 255) << 16 |
           (uint32_t)lround(clampd(g, 0, 1) * 255) << 8 | (uint32_t)lround(clampd(b, 0, 1) * 255);
}

/* A w x h RGB24 surface to fill with put_pixel, then draw with paint_nearest. */
typedef struct pixels {
    cairo_surface_t *s;
    unsigned char *data;
    int stride;
} pixels;

static int pixels_new(pixels *p, int w, int h) {
    p->s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(p->s) != CAIRO_STATUS_SUCCESS) return -1;
    cairo_surface_flush(p->s);
    p->data = cairo_image_surface_get_data(p->s);
    p->stride = cairo_image_surface_get_stride(p->s);
    return 0;
}

static void put_pixel(pixels *p, int i, int j, uint32_t v) {
    memcpy(p->data + (size_t)i * (size_t)p->stride + 4 * (size_t)j, &v, 4);
}

/* Draws the w x h pixels into rect r, each pixel a block (nearest neighbour), then a thin frame
 * just outside; frees the pixels. */
static void paint_nearest(cairo_t *cr, pixels *p, int w, int h, figure_rect r) {
    cairo_surface_mark_dirty(p->s);
    cairo_save(cr);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_clip(cr);
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, (double)r.w / w, (double)r.h / h);
    cairo_set_source_surface(cr, p->s, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(p->s);
    p->s = NULL;
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, r.x - 0.5, r.y - 0.5, r.w + 1, r.h + 1);
    cairo_stroke(cr);
}

static const char *check_side(int w, int h, char *err) {
    if (w > MAX_SIDE || h > MAX_SIDE)
        return fail(err, "the figure would be %dx%d pixels, more than cairo's %d", w, h, MAX_SIDE);
    return NULL;
}

/* A white w x h canvas with the sans-serif font selected. */
static cairo_t *canvas(int w, int h, cairo_surface_t **surface) {
    *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(*surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    set_font(cr, 12, 0);
    return cr;
}

/* Checks the drawing, writes the PNG, frees both. */
static const char *finish(cairo_t *cr, cairo_surface_t *surface, const char *path, char *err) {
    const char *result = NULL;
    cairo_status_t st = cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
    if (st != CAIRO_STATUS_SUCCESS) {
        result =
            fail(err, "%s: cannot draw the figure (cairo: %s)", path, cairo_status_to_string(st));
    } else {
        errno = 0;
        st = cairo_surface_write_to_png(surface, path);
        const int saved = errno;
        if (st != CAIRO_STATUS_SUCCESS) {
            const int say_errno = st == CAIRO_STATUS_WRITE_ERROR && saved;
            result = fail(err, "%s: cannot write the PNG (cairo: %s%s%s)", path,
                          cairo_status_to_string(st), say_errno ? ": " : "",
                          say_errno ? strerror(saved) : "");
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return result;
}

/* ---- class activation maps ------------------------------------------------------------------ */

static const char CAM_CAPTION[] =
    "Each map at its layer's resolution, one block per value (nearest neighbour), all in panels "
    "of the same size. Colour scale per panel, symmetric about 0: blue negative, white 0, red "
    "positive; the bar under a panel runs from -r to +r, r the largest |value| in that panel.";
static const char CAM_CAPTION_GREY[] = " Grey: a value that is not a finite number.";

typedef struct cam_layout {
    double fs;             /* body font size */
    int P;                 /* panel side */
    int m;                 /* outer margin */
    int cols, sum_col;     /* columns (input included); the sums' column, -1 if none */
    int W, H;              /* the figure */
    int title_y;           /* top of the figure title */
    int rows_y, row_pitch; /* top of row 0; distance between row tops */
    /* offsets from a row's top */
    int row_title_dy, panel_title_dy, res_dy, panel_dy, bar_dy, bar_h, label_dy;
    int row_title_h; /* 0: no row titles */
    int caption_y, caption_lines;
    double caption_fs, caption_lh;
    int nonfinite; /* some map value is not finite */
    const char *caption;
    char caption_buf[600];
} cam_layout;

static const char *cam_check(const figure_cam_spec *s, char *err) {
    if (!s) return fail(err, "cam figure: no spec");
    if (!s->image) return fail(err, "cam figure: no input image");
    if (s->channels != 1 && s->channels != 3)
        return fail(err, "cam figure: the input has %d channels, not 1 or 3", s->channels);
    if (s->height < 1 || s->height > 4096 || s->width < 1 || s->width > 4096)
        return fail(err, "cam figure: the input is %dx%d, not within 1..4096", s->height, s->width);
    if (!s->rows || s->n_rows < 1 || s->n_rows > 100)
        return fail(err, "cam figure: %d rows, not 1..100", s->rows ? s->n_rows : 0);
    if (s->panel != 0 && (s->panel < 48 || s->panel > 1024))
        return fail(err, "cam figure: panel size %d, not 0 or 48..1024", s->panel);
    for (int r = 0; r < s->n_rows; r++) {
        const figure_cam_row *row = &s->rows[r];
        if (row->n_maps < 0 || row->n_maps > 32 || (row->n_maps > 0 && !row->maps))
            return fail(err, "cam figure: row %d: %d layer maps, not 0..32", r, row->n_maps);
        if (row->n_maps == 0 && !row->sum.values)
            return fail(err, "cam figure: row %d has no map", r);
        for (int k = 0; k <= row->n_maps; k++) {
            const figure_map *map = k < row->n_maps ? &row->maps[k] : &row->sum;
            if (k == row->n_maps && !map->values) break;
            if (!map->values) return fail(err, "cam figure: row %d, map %d: no values", r, k);
            if (map->h < 1 || map->h > 4096 || map->w < 1 || map->w > 4096)
                return fail(err, "cam figure: row %d, %s: size %dx%d, not within 1..4096", r,
                            k < row->n_maps ? "a layer map" : "the sum", map->h, map->w);
        }
    }
    return NULL;
}

static int map_nonfinite(const figure_map *map) {
    const size_t n = (size_t)map->h * (size_t)map->w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(map->values[i])) return 1;
    return 0;
}

static const char *cam_lay_out(const figure_cam_spec *s, cam_layout *L, char *err) {
    const char *e = cam_check(s, err);
    if (e) return e;
    memset(L, 0, sizeof *L);
    const int side = s->height > s->width ? s->height : s->width;
    L->P = s->panel ? s->panel : side * ((160 + side - 1) / side);
    if (L->P > 1024) L->P = 1024;
    const double fs = L->fs = clampd(L->P / 13.0, 11, 17);
    L->m = (int)lround(1.5 * fs);
    int max_maps = 0, any_sum = 0, any_row_title = 0;
    for (int r = 0; r < s->n_rows; r++) {
        const figure_cam_row *row = &s->rows[r];
        if (row->n_maps > max_maps) max_maps = row->n_maps;
        any_sum |= row->sum.values != NULL;
        any_row_title |= row->title && row->title[0];
        for (int k = 0; k < row->n_maps && !L->nonfinite; k++)
            L->nonfinite = map_nonfinite(&row->maps[k]);
        if (row->sum.values && !L->nonfinite) L->nonfinite = map_nonfinite(&row->sum);
    }
    L->cols = 1 + max_maps + any_sum;
    L->sum_col = any_sum ? L->cols - 1 : -1;

    cairo_t *cr = measuring_context();
    /* vertical: a row */
    int y = 0;
    if (any_row_title) {
        set_font(cr, 1.1 * fs, 1);
        L->row_title_h = (int)ceil(line_height(cr));
        L->row_title_dy = y;
        y += L->row_title_h + (int)lround(0.55 * fs);
    }
    set_font(cr, fs, 0);
    L->panel_title_dy = y;
    y += (int)ceil(line_height(cr));
    set_font(cr, 0.8 * fs, 0);
    L->res_dy = y;
    y += (int)ceil(line_height(cr)) + (int)lround(0.3 * fs);
    L->panel_dy = y;
    y += L->P + (int)lround(0.5 * fs);
    L->bar_dy = y;
    L->bar_h = (int)lround(clampd(0.6 * fs, 6, 12));
    y += L->bar_h + (int)lround(0.25 * fs) + 1;
    L->label_dy = y;
    set_font(cr, 0.8 * fs, 0);
    y += (int)ceil(line_height(cr));
    L->row_pitch = y + (int)lround(1.6 * fs);

    /* horizontal */
    const int grid_w = L->cols * L->P + (L->cols - 1) * (int)lround(1.2 * fs) +
                       (any_sum && L->cols > 2 ? (int)lround(0.8 * fs) : 0);
    double content_w = grid_w;
    if (s->title) {
        set_font(cr, 1.4 * fs, 1);
        content_w = fmax(content_w, text_width(cr, s->title));
    }
    set_font(cr, 1.1 * fs, 1);
    for (int r = 0; r < s->n_rows; r++)
        if (s->rows[r].title) content_w = fmax(content_w, text_width(cr, s->rows[r].title));
    L->W = 2 * L->m + (int)ceil(content_w);

    /* vertical: the figure */
    y = L->m;
    L->title_y = y;
    if (s->title) {
        set_font(cr, 1.4 * fs, 1);
        y += (int)ceil(line_height(cr)) + (int)lround(0.9 * fs);
    }
    L->rows_y = y;
    y += s->n_rows * L->row_pitch - (int)lround(1.6 * fs);
    if (s->caption) {
        L->caption = s->caption;
    } else {
        snprintf(L->caption_buf, sizeof L->caption_buf, "%s%s", CAM_CAPTION,
                 L->nonfinite ? CAM_CAPTION_GREY : "");
        L->caption = L->caption_buf;
    }
    L->caption_fs = fmax(10, 0.85 * fs);
    set_font(cr, L->caption_fs, 0);
    L->caption_lh = ceil(line_height(cr) * 1.2);
    L->caption_lines = L->caption[0] ? wrap_text(cr, L->caption, L->W - 2 * L->m, 0, 0, 0, 0) : 0;
    if (L->caption_lines) {
        y += (int)lround(1.1 * fs);
        L->caption_y = y;
        y += (int)(L->caption_lines * L->caption_lh);
    }
    L->H = y + L->m;
    cairo_destroy(cr);
    return check_side(L->W, L->H, err);
}

static int cam_col_x(const cam_layout *L, int col) {
    const double fs = L->fs;
    int x = L->m + col * (L->P + (int)lround(1.2 * fs));
    if (col == L->sum_col && L->cols > 2) x += (int)lround(0.8 * fs);
    return x;
}

/* The picture's rectangle of an h x w map centred in the panel at (x, y). */
static figure_rect fit_in_panel(int x, int y, int P, int h, int w) {
    figure_rect r;
    const int side = h > w ? h : w;
    r.w = (int)lround((double)P * w / side);
    r.h = (int)lround((double)P * h / side);
    r.x = x + (P - r.w) / 2;
    r.y = y + (P - r.h) / 2;
    return r;
}

const char *figure_cam_size(const figure_cam_spec *spec, int *width, int *height,
                            char err[FIGURE_ERR_LEN]) {
    cam_layout L;
    const char *e = cam_lay_out(spec, &L, err);
    if (e) return e;
    if (width) *width = L.W;
    if (height) *height = L.H;
    return NULL;
}

const char *figure_cam_panel(const figure_cam_spec *spec, int row, int col, figure_rect *rect,
                             char err[FIGURE_ERR_LEN]) {
    cam_layout L;
    const char *e = cam_lay_out(spec, &L, err);
    if (e) return e;
    if (row < 0 || row >= spec->n_rows) return fail(err, "cam figure: no row %d", row);
    const figure_cam_row *R = &spec->rows[row];
    const int top = L.rows_y + row * L.row_pitch + L.panel_dy;
    if (col == 0) {
        *rect = fit_in_panel(cam_col_x(&L, 0), top, L.P, spec->height, spec->width);
    } else if (col >= 1 && col <= R->n_maps) {
        const figure_map *m = &R->maps[col - 1];
        *rect = fit_in_panel(cam_col_x(&L, col), top, L.P, m->h, m->w);
    } else if (col == R->n_maps + 1 && R->sum.values) {
        *rect = fit_in_panel(cam_col_x(&L, L.sum_col), top, L.P, R->sum.h, R->sum.w);
    } else {
        return fail(err, "cam figure: row %d has no column %d", row, col);
    }
    return NULL;
}

/* The title and the resolution line above a panel. */
static void panel_heading(cairo_t *cr, const cam_layout *L, int x, int row_top, const char *title,
                          int h, int w) {
    const double cx = x + L->P / 2.0, maxw = L->P + 1.0 * L->fs;
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (title && title[0])
        text_fit(cr, cx, row_top + L->panel_title_dy, 0.5, 0, title, L->fs, 0, maxw);
    char res[64];
    snprintf(res, sizeof res, "%d" TIMES "%d", h, w);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    set_font(cr, 0.8 * L->fs, 0);
    text_at(cr, cx, row_top + L->res_dy, 0.5, 0, res);
}

/* One map panel with its colour bar: x the panel's left, row_top the row's top. */
static int draw_map(cairo_t *cr, const cam_layout *L, int x, int row_top, const figure_map *map) {
    panel_heading(cr, L, x, row_top, map->title, map->h, map->w);
    const size_t n = (size_t)map->h * (size_t)map->w;
    double r = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(map->values[i]) && fabs(map->values[i]) > r) r = fabs(map->values[i]);
    if (r < 1e-12) r = 1e-12;
    pixels px;
    if (pixels_new(&px, map->w, map->h)) return -1;
    for (int i = 0; i < map->h; i++)
        for (int j = 0; j < map->w; j++) {
            const float v = map->values[(size_t)i * map->w + j];
            double c[3] = {NONFINITE_GREY, NONFINITE_GREY, NONFINITE_GREY};
            if (isfinite(v)) ramp(RDBU, 11, 0.5 + 0.5 * v / r, c);
            put_pixel(&px, i, j, pack_rgb(c[0], c[1], c[2]));
        }
    paint_nearest(cr, &px, map->w, map->h,
                  fit_in_panel(x, row_top + L->panel_dy, L->P, map->h, map->w));

    /* the colour bar: the ramp's control points as gradient stops, exactly the map's colours */
    const int by = row_top + L->bar_dy, bw = L->P, bh = L->bar_h;
    cairo_pattern_t *grad = cairo_pattern_create_linear(x, 0, x + bw, 0);
    ramp_stops(grad, RDBU, 11, 0);
    cairo_rectangle(cr, x, by, bw, bh);
    cairo_set_source(cr, grad);
    cairo_fill(cr);
    cairo_pattern_destroy(grad);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x - 0.5, by - 0.5, bw + 1, bh + 1);
    const int tick = (int)lround(0.25 * L->fs);
    const double tx[3] = {x - 0.5, x + floor(bw / 2.0) + 0.5, x + bw + 0.5};
    for (int k = 0; k < 3; k++) {
        cairo_move_to(cr, tx[k], by + bh + 0.5);
        cairo_line_to(cr, tx[k], by + bh + 0.5 + tick);
    }
    cairo_stroke(cr);
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.3g", -r);
    snprintf(hi, sizeof hi, "+%.3g", r);
    double size = 0.8 * L->fs;
    set_font(cr, size, 0);
    const double need = text_width(cr, lo) + text_width(cr, hi) + 2 * text_width(cr, "0") +
                        2 * text_width(cr, "  ");
    if (need > bw) set_font(cr, size *= fmax(0.6, bw / need), 0);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    const double ly = row_top + L->label_dy;
    text_at(cr, x, ly, 0, 0, lo);
    text_at(cr, x + bw / 2.0, ly, 0.5, 0, "0");
    text_at(cr, x + bw, ly, 1, 0, hi);
    return 0;
}

const char *figure_cam_png(const char *path, const figure_cam_spec *spec,
                           char err[FIGURE_ERR_LEN]) {
    if (!path) return fail(err, "cam figure: no output path");
    cam_layout L;
    const char *e = cam_lay_out(spec, &L, err);
    if (e) return e;
    const double fs = L.fs;
    cairo_surface_t *surface;
    cairo_t *cr = canvas(L.W, L.H, &surface);
    if (spec->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        set_font(cr, 1.4 * fs, 1);
        text_at(cr, L.W / 2.0, L.title_y, 0.5, 0, spec->title);
    }
    int failed = 0;
    for (int r = 0; r < spec->n_rows && !failed; r++) {
        const figure_cam_row *row = &spec->rows[r];
        const int top = L.rows_y + r * L.row_pitch;
        if (r > 0) { /* a rule between rows */
            const double ry = top - 0.8 * fs;
            cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
            cairo_set_line_width(cr, 1);
            cairo_move_to(cr, L.m, floor(ry) + 0.5);
            cairo_line_to(cr, L.W - L.m, floor(ry) + 0.5);
            cairo_stroke(cr);
        }
        if (row->title) {
            cairo_set_source_rgb(cr, 0, 0, 0);
            set_font(cr, 1.1 * fs, 1);
            text_at(cr, L.m, top + L.row_title_dy, 0, 0, row->title);
        }
        /* the input */
        const int x0 = cam_col_x(&L, 0);
        panel_heading(cr, &L, x0, top, "input", spec->height, spec->width);
        pixels px;
        if (pixels_new(&px, spec->width, spec->height)) {
            failed = 1;
            break;
        }
        const size_t plane = (size_t)spec->height * (size_t)spec->width;
        for (int i = 0; i < spec->height; i++)
            for (int j = 0; j < spec->width; j++) {
                const size_t at = (size_t)i * spec->width + j;
                const uint8_t *im = spec->image;
                const uint32_t g = im[at];
                put_pixel(&px, i, j,
                          spec->channels == 1
                              ? g << 16 | g << 8 | g
                              : (uint32_t)im[at] << 16 | (uint32_t)im[plane + at] << 8 |
                                    im[2 * plane + at]);
            }
        paint_nearest(cr, &px, spec->width, spec->height,
                      fit_in_panel(x0, top + L.panel_dy, L.P, spec->height, spec->width));
        for (int k = 0; k < row->n_maps && !failed; k++)
            failed = draw_map(cr, &L, cam_col_x(&L, k + 1), top, &row->maps[k]) != 0;
        if (row->sum.values && !failed)
            failed = draw_map(cr, &L, cam_col_x(&L, L.sum_col), top, &row->sum) != 0;
    }
    if (L.caption_lines) {
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        set_font(cr, L.caption_fs, 0);
        wrap_text(cr, L.caption, L.W - 2 * L.m, 1, L.W / 2.0, L.caption_y, L.caption_lh);
    }
    if (failed) {
        cairo_destroy(cr);
        cairo_surface_destroy(surface);
        return fail(err, "%s: cannot draw the figure (out of memory)", path);
    }
    return finish(cr, surface, path, err);
}

/* ---- label patterns and samples ------------------------------------------------------------- */

typedef struct labels_layout {
    double fs;
    int S;                    /* display pixels per value */
    int m, pitch_x, cell_w;   /* margin; column pitch; column width */
    int grid_x;               /* the grid's left */
    int grid_cols, grid_rows; /* the pattern grid */
    int n_grid;               /* patterns + neutral */
    int title_y, grid_y, row_pitch, title_h, img_dy;
    int sample_y, n_samples; /* the sample row's top (a rule above it) */
    int W, H;
    int caption_y, caption_lines;
    double caption_fs, caption_lh;
    const char *caption;
    char caption_buf[400];
} labels_layout;

static const char *picture_check(const figure_picture *p, const char *what, char *err) {
    if (!p->values) return fail(err, "labels figure: %s: no values", what);
    if (p->channels != 1 && p->channels != 3)
        return fail(err, "labels figure: %s: %d channels, not 1 or 3", what, p->channels);
    if (p->h < 1 || p->h > 1024 || p->w < 1 || p->w > 1024)
        return fail(err, "labels figure: %s: size %dx%d, not within 1..1024", what, p->h, p->w);
    const size_t n = (size_t)p->channels * (size_t)p->h * (size_t)p->w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p->values[i]))
            return fail(err, "labels figure: %s: value %zu is not a finite number", what, i);
    return NULL;
}

/* The grid's panels (patterns, then neutral) and the samples (image, positive, negative) in
 * order; returns NULL past the end. default_title gets the title to show. */
static const figure_picture *labels_panel(const figure_labels_spec *s, int k, char *title,
                                          size_t cap) {
    const figure_picture *p = NULL;
    const char *def = NULL;
    if (k < s->n_patterns) {
        p = &s->patterns[k];
        snprintf(title, cap, "class %d", k);
    } else if (k == s->n_patterns) {
        p = &s->neutral, def = "neutral";
    } else if (k == s->n_patterns + 1) {
        p = &s->image, def = "image";
    } else if (k == s->n_patterns + 2) {
        p = &s->positive, def = "positive";
    } else if (k == s->n_patterns + 3) {
        p = &s->negative, def = "negative";
    }
    if (def) snprintf(title, cap, "%s", def);
    if (p && p->title) snprintf(title, cap, "%s", p->title);
    return p;
}

static const char *labels_lay_out(const figure_labels_spec *s, labels_layout *L, char *err) {
    if (!s) return fail(err, "labels figure: no spec");
    if (!s->patterns || s->n_patterns < 2 || s->n_patterns > 100)
        return fail(err, "labels figure: %d class patterns, not 2..100",
                    s->patterns ? s->n_patterns : 0);
    if (s->scale < 0 || s->scale > 32)
        return fail(err, "labels figure: scale %d, not 0..32", s->scale);
    if (s->per_row < 0 || s->per_row > 100)
        return fail(err, "labels figure: %d panels a row, not 0..100", s->per_row);
    memset(L, 0, sizeof *L);
    L->S = s->scale ? s->scale : 4;
    char title[256], what[300];
    int max_w = 0, max_h = 0;
    for (int k = 0;; k++) {
        const figure_picture *p = labels_panel(s, k, title, sizeof title);
        if (!p) break;
        if (!p->values && k >= s->n_patterns) continue; /* neutral and samples are optional */
        snprintf(what, sizeof what, "%s", title);
        const char *e = picture_check(p, what, err);
        if (e) return e;
        if (p->w > max_w) max_w = p->w;
        if (p->h > max_h) max_h = p->h;
    }
    L->n_grid = s->n_patterns + (s->neutral.values != NULL);
    L->n_samples =
        (s->image.values != NULL) + (s->positive.values != NULL) + (s->negative.values != NULL);
    const int cell_w = max_w * L->S, cell_h = max_h * L->S;
    const double fs = L->fs = clampd(cell_w / 9.5, 10, 16);
    L->m = (int)lround(1.5 * fs);

    cairo_t *cr = measuring_context();
    /* a column is as wide as the widest picture or title (titles up to 3 pictures wide) */
    set_font(cr, fs, 0);
    double widest = 0;
    for (int k = 0;; k++) {
        const figure_picture *p = labels_panel(s, k, title, sizeof title);
        if (!p) break;
        if (p->values) widest = fmax(widest, text_width(cr, title));
    }
    L->cell_w = (int)ceil(fmax(cell_w, fmin(widest, 3.0 * cell_w)));
    L->pitch_x = L->cell_w + (int)lround(0.9 * fs);
    L->grid_cols = s->per_row ? s->per_row : L->n_grid <= 12 ? L->n_grid : 10;
    if (L->grid_cols > L->n_grid) L->grid_cols = L->n_grid;
    L->grid_rows = (L->n_grid + L->grid_cols - 1) / L->grid_cols;

    L->title_h = (int)ceil(line_height(cr));
    L->img_dy = L->title_h + (int)lround(0.3 * fs);
    L->row_pitch = L->img_dy + cell_h + (int)lround(0.9 * fs);

    const int cols = L->grid_cols > L->n_samples ? L->grid_cols : L->n_samples;
    double content_w = cols * L->pitch_x - (L->pitch_x - L->cell_w);
    if (s->title) {
        set_font(cr, 1.4 * fs, 1);
        content_w = fmax(content_w, text_width(cr, s->title));
    }
    L->W = 2 * L->m + (int)ceil(content_w);
    const int grid_w = L->grid_cols * L->pitch_x - (L->pitch_x - L->cell_w);
    L->grid_x = L->m + (L->W - 2 * L->m - grid_w) / 2;

    int y = L->m;
    L->title_y = y;
    if (s->title) {
        set_font(cr, 1.4 * fs, 1);
        y += (int)ceil(line_height(cr)) + (int)lround(0.9 * fs);
    }
    L->grid_y = y;
    y += L->grid_rows * L->row_pitch - (int)lround(0.9 * fs);
    if (L->n_samples) {
        y += (int)lround(1.8 * fs);
        L->sample_y = y;
        y += L->row_pitch - (int)lround(0.9 * fs);
    }
    if (s->caption) {
        L->caption = s->caption;
    } else {
        char range[160];
        if (s->lo < s->hi)
            snprintf(range, sizeof range, "patterns black at %.3g, white at %.3g", s->lo, s->hi);
        else
            snprintf(range, sizeof range,
                     "each pattern from its own minimum (black) to its maximum (white)");
        snprintf(L->caption_buf, sizeof L->caption_buf,
                 "Each value a %d" TIMES "%d block (nearest neighbour); %s%s.", L->S, L->S, range,
                 L->n_samples ? "; samples black at 0, white at 1" : "");
        L->caption = L->caption_buf;
    }
    L->caption_fs = fmax(10, 0.85 * fs);
    set_font(cr, L->caption_fs, 0);
    L->caption_lh = ceil(line_height(cr) * 1.2);
    L->caption_lines = L->caption[0] ? wrap_text(cr, L->caption, L->W - 2 * L->m, 0, 0, 0, 0) : 0;
    if (L->caption_lines) {
        y += (int)lround(1.1 * fs);
        L->caption_y = y;
        y += (int)(L->caption_lines * L->caption_lh);
    }
    L->H = y + L->m;
    cairo_destroy(cr);
    return check_side(L->W, L->H, err);
}

const char *figure_labels_size(const figure_labels_spec *spec, int *width, int *height,
                               char err[FIGURE_ERR_LEN]) {
    labels_layout L;
    const char *e = labels_lay_out(spec, &L, err);
    if (e) return e;
    if (width) *width = L.W;
    if (height) *height = L.H;
    return NULL;
}

/* A picture with its title in the column at (x, top); lo >= hi: its own range. */
static int draw_picture(cairo_t *cr, const labels_layout *L, int x, int top,
                        const figure_picture *p, const char *title, double lo, double hi) {
    const size_t plane = (size_t)p->h * (size_t)p->w, n = plane * (size_t)p->channels;
    if (lo >= hi) {
        lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) lo = fmin(lo, p->values[i]), hi = fmax(hi, p->values[i]);
    }
    const double span = hi > lo ? hi - lo : 0;
    pixels px;
    if (pixels_new(&px, p->w, p->h)) return -1;
    for (int i = 0; i < p->h; i++)
        for (int j = 0; j < p->w; j++) {
            double c[3];
            for (int ch = 0; ch < 3; ch++) {
                const float v =
                    p->values[(p->channels == 3 ? (size_t)ch * plane : 0) + (size_t)i * p->w + j];
                c[ch] = span > 0 ? (v - lo) / span : 0.5;
            }
            put_pixel(&px, i, j, pack_rgb(c[0], c[1], c[2]));
        }
    const double cx = x + L->cell_w / 2.0;
    figure_rect r = {(int)lround(cx - p->w * L->S / 2.0), top + L->img_dy, p->w * L->S,
                     p->h * L->S};
    paint_nearest(cr, &px, p->w, p->h, r);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_fit(cr, cx, top, 0.5, 0, title, L->fs, 0, L->pitch_x - 0.15 * L->fs);
    return 0;
}

const char *figure_labels_png(const char *path, const figure_labels_spec *spec,
                              char err[FIGURE_ERR_LEN]) {
    if (!path) return fail(err, "labels figure: no output path");
    labels_layout L;
    const char *e = labels_lay_out(spec, &L, err);
    if (e) return e;
    const double fs = L.fs;
    cairo_surface_t *surface;
    cairo_t *cr = canvas(L.W, L.H, &surface);
    if (spec->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        set_font(cr, 1.4 * fs, 1);
        text_at(cr, L.W / 2.0, L.title_y, 0.5, 0, spec->title);
    }
    int failed = 0;
    char title[256];
    for (int k = 0; k < L.n_grid && !failed; k++) {
        const figure_picture *p = labels_panel(spec, k, title, sizeof title);
        const int x = L.grid_x + (k % L.grid_cols) * L.pitch_x;
        const int top = L.grid_y + (k / L.grid_cols) * L.row_pitch;
        failed = draw_picture(cr, &L, x, top, p, title, spec->lo, spec->hi) != 0;
    }
    if (L.n_samples && !failed) {
        const double ry = floor(L.sample_y - 0.9 * fs) + 0.5;
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, L.m, ry);
        cairo_line_to(cr, L.W - L.m, ry);
        cairo_stroke(cr);
        /* centred under the grid */
        const int row_w = L.n_samples * L.pitch_x - (L.pitch_x - L.cell_w);
        const int x0 = L.m + (L.W - 2 * L.m - row_w) / 2;
        int col = 0;
        for (int k = spec->n_patterns + 1; k <= spec->n_patterns + 3 && !failed; k++) {
            const figure_picture *p = labels_panel(spec, k, title, sizeof title);
            if (!p->values) continue;
            failed = draw_picture(cr, &L, x0 + col++ * L.pitch_x, L.sample_y, p, title, 0, 1) != 0;
        }
    }
    if (L.caption_lines) {
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        set_font(cr, L.caption_fs, 0);
        wrap_text(cr, L.caption, L.W - 2 * L.m, 1, L.W / 2.0, L.caption_y, L.caption_lh);
    }
    if (failed) {
        cairo_destroy(cr);
        cairo_surface_destroy(surface);
        return fail(err, "%s: cannot draw the figure (out of memory)", path);
    }
    return finish(cr, surface, path, err);
}

/* ---- confusion matrix ----------------------------------------------------------------------- */

typedef struct confusion_layout {
    double fs, tick_fs, count_fs;
    int c;             /* cell side */
    int show_counts;   /* the counts fit in the cells */
    int rotate_x;      /* the x tick labels upright */
    int32_t max_count; /* the largest count */
    int m, W, H;
    int title_y, subtitle_y;
    int gx, gy, gsize; /* the grid's left, top, side */
    int y_title_x;     /* the left of the rotated "true" */
    int x_labels_y, x_title_y;
    int bar_x, bar_w;
    int caption_y, caption_lines;
    double caption_fs, caption_lh;
    const char *caption;
    char caption_buf[400];
} confusion_layout;

static void class_name(const figure_confusion_spec *s, int k, char *buf, size_t cap) {
    if (s->names && s->names[k])
        snprintf(buf, cap, "%s", s->names[k]);
    else
        snprintf(buf, cap, "%d", k);
}

static const char *confusion_lay_out(const figure_confusion_spec *s, confusion_layout *L,
                                     char *err) {
    if (!s) return fail(err, "confusion figure: no spec");
    if (s->n < 2 || s->n > 100) return fail(err, "confusion figure: %d classes, not 2..100", s->n);
    if (!s->counts) return fail(err, "confusion figure: no counts");
    if (s->cell != 0 && (s->cell < 8 || s->cell > 200))
        return fail(err, "confusion figure: cell size %d, not 0 or 8..200", s->cell);
    memset(L, 0, sizeof *L);
    const int n = s->n;
    for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++) {
            const int32_t v = s->counts[(size_t)t * n + p];
            if (v < 0)
                return fail(err, "confusion figure: count [%d][%d] = %ld is negative", t, p,
                            (long)v);
            if (v > L->max_count) L->max_count = v;
        }
    const double fs = L->fs = 13;
    L->m = (int)lround(1.5 * fs);
    cairo_t *cr = measuring_context();
    char digits[32], name[256];
    snprintf(digits, sizeof digits, "%ld", (long)L->max_count);
    set_font(cr, 0.9 * fs, 0);
    const double dw = text_width(cr, digits);
    if (s->cell)
        L->c = s->cell;
    else if (n <= 10)
        L->c = (int)ceil(fmax(fmax(46, dw + 14), 200.0 / n));
    else if (n <= 20)
        L->c = (int)ceil(fmax(36, dw + 10));
    else
        L->c = clampi((int)lround(900.0 / n), 9, 36);
    if (L->c > 200) L->c = 200;
    const int c = L->c;
    L->count_fs = fmin(0.9 * fs, 0.42 * c);
    set_font(cr, L->count_fs, 0);
    L->show_counts = L->count_fs >= 6.5 && text_width(cr, digits) <= c - 4;
    L->tick_fs = fmin(fs, 0.8 * c);
    L->gsize = n * c;

    /* tick label widths */
    set_font(cr, L->tick_fs, 0);
    double name_w = 0;
    for (int k = 0; k < n; k++) {
        class_name(s, k, name, sizeof name);
        name_w = fmax(name_w, text_width(cr, name));
    }
    const double tick_h = line_height(cr);
    L->rotate_x = name_w > c - 2;
    /* colour bar labels */
    set_font(cr, 0.85 * fs, 0);
    snprintf(digits, sizeof digits, "%ld", (long)L->max_count);
    const double bar_label_w = text_width(cr, digits);
    set_font(cr, fs, 0);
    const double axis_h = line_height(cr);

    /* horizontal */
    L->y_title_x = L->m;
    L->gx = L->m + (int)ceil(axis_h) + (int)lround(0.7 * fs) + (int)ceil(name_w) +
            (int)lround(0.5 * fs);
    L->bar_x = L->gx + L->gsize + (int)lround(1.3 * fs);
    L->bar_w = (int)lround(0.9 * fs);
    const int content_w =
        L->bar_x + L->bar_w + (int)lround(0.5 * fs) + (int)ceil(bar_label_w) + L->m;
    int W = content_w > 400 ? content_w : 400; /* room for the caption of a small matrix */
    if (s->title) {
        set_font(cr, 1.35 * fs, 1);
        W = (int)fmax(W, ceil(text_width(cr, s->title)) + 2 * L->m);
    }
    if (s->subtitle) {
        set_font(cr, fs, 0);
        W = (int)fmax(W, ceil(text_width(cr, s->subtitle)) + 2 * L->m);
    }
    L->W = W;
    /* the axes, grid and bar centred in a wider figure */
    const int shift = (W - content_w) / 2;
    L->y_title_x += shift, L->gx += shift, L->bar_x += shift;

    /* vertical */
    int y = L->m;
    L->title_y = y;
    if (s->title) {
        set_font(cr, 1.35 * fs, 1);
        y += (int)ceil(line_height(cr)) + (int)lround(0.35 * fs);
    }
    L->subtitle_y = y;
    if (s->subtitle) {
        set_font(cr, fs, 0);
        y += (int)ceil(line_height(cr));
    }
    if (s->title || s->subtitle) y += (int)lround(1.0 * fs);
    L->gy = y;
    /* the bar's top and bottom labels reach half a line past the grid */
    y += L->gsize + (int)lround(0.4 * fs);
    L->x_labels_y = y;
    y += (int)ceil(L->rotate_x ? name_w : tick_h) + (int)lround(0.6 * fs);
    L->x_title_y = y;
    y += (int)ceil(axis_h);
    if (s->caption) {
        L->caption = s->caption;
    } else {
        snprintf(L->caption_buf, sizeof L->caption_buf,
                 "Rows: true class; columns: predicted class. Shade: log(1 + count), white at 0, "
                 "darkest blue at the largest count (%ld).%s",
                 (long)L->max_count,
                 L->show_counts ? "" : " Counts not printed: the cells are too small.");
        L->caption = L->caption_buf;
    }
    L->caption_fs = fmax(10, 0.85 * fs);
    set_font(cr, L->caption_fs, 0);
    L->caption_lh = ceil(line_height(cr) * 1.2);
    L->caption_lines = L->caption[0] ? wrap_text(cr, L->caption, L->W - 2 * L->m, 0, 0, 0, 0) : 0;
    if (L->caption_lines) {
        y += (int)lround(1.0 * fs);
        L->caption_y = y;
        y += (int)(L->caption_lines * L->caption_lh);
    }
    L->H = y + L->m;
    cairo_destroy(cr);
    return check_side(L->W, L->H, err);
}

const char *figure_confusion_size(const figure_confusion_spec *spec, int *width, int *height,
                                  char err[FIGURE_ERR_LEN]) {
    confusion_layout L;
    const char *e = confusion_lay_out(spec, &L, err);
    if (e) return e;
    if (width) *width = L.W;
    if (height) *height = L.H;
    return NULL;
}

const char *figure_confusion_cell(const figure_confusion_spec *spec, int t, int p,
                                  figure_rect *rect, char err[FIGURE_ERR_LEN]) {
    confusion_layout L;
    const char *e = confusion_lay_out(spec, &L, err);
    if (e) return e;
    if (t < 0 || t >= spec->n || p < 0 || p >= spec->n)
        return fail(err, "confusion figure: no cell [%d][%d]", t, p);
    rect->x = L.gx + p * L.c, rect->y = L.gy + t * L.c, rect->w = L.c, rect->h = L.c;
    return NULL;
}

/* The shade of a count: 0 white .. the largest count darkest (log(1 + count)). */
static double shade_t(int32_t v, int32_t max) {
    return max > 0 ? log1p((double)v) / log1p((double)max) : 0;
}

static void confusion_bar(cairo_t *cr, const confusion_layout *L) {
    const double fs = L->fs;
    const int x = L->bar_x, y = L->gy, w = L->bar_w, h = L->gsize;
    cairo_pattern_t *grad = cairo_pattern_create_linear(0, y + h, 0, y);
    ramp_stops(grad, BLUES, 9, 0);
    cairo_rectangle(cr, x, y, w, h);
    cairo_set_source(cr, grad);
    cairo_fill(cr);
    cairo_pattern_destroy(grad);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x - 0.5, y - 0.5, w + 1, h + 1);
    cairo_stroke(cr);
    /* ticks: the largest count, then 0, 1, 10, 100, ... where they clear the labels drawn */
    set_font(cr, 0.85 * fs, 0);
    const double lh = line_height(cr), tick = 0.3 * fs;
    double drawn[16];
    int n_drawn = 0;
    double values[16];
    int n_values = 0;
    values[n_values++] = L->max_count;
    values[n_values++] = 0;
    for (double v = 1; v < L->max_count && n_values < 16; v *= 10) values[n_values++] = v;
    for (int k = 0; k < n_values; k++) {
        const double ty = y + h - shade_t((int32_t)values[k], L->max_count) * h;
        int clear = 1;
        for (int d = 0; d < n_drawn; d++) clear &= fabs(drawn[d] - ty) >= lh * 1.2;
        if (!clear || (k > 0 && values[k] == values[0])) continue;
        drawn[n_drawn++] = ty;
        const double Y = floor(ty) + 0.5;
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        cairo_move_to(cr, x + w, Y);
        cairo_line_to(cr, x + w + tick, Y);
        cairo_stroke(cr);
        char label[32];
        snprintf(label, sizeof label, "%ld", (long)values[k]);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        text_at(cr, x + w + tick + 0.25 * fs, ty, 0, 0.5, label);
    }
}

const char *figure_confusion_png(const char *path, const figure_confusion_spec *spec,
                                 char err[FIGURE_ERR_LEN]) {
    if (!path) return fail(err, "confusion figure: no output path");
    confusion_layout L;
    const char *e = confusion_lay_out(spec, &L, err);
    if (e) return e;
    const double fs = L.fs;
    const int n = spec->n, c = L.c;
    cairo_surface_t *surface;
    cairo_t *cr = canvas(L.W, L.H, &surface);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (spec->title) {
        set_font(cr, 1.35 * fs, 1);
        text_at(cr, L.W / 2.0, L.title_y, 0.5, 0, spec->title);
    }
    if (spec->subtitle) {
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        set_font(cr, fs, 0);
        text_at(cr, L.W / 2.0, L.subtitle_y, 0.5, 0, spec->subtitle);
    }
    /* cells */
    char text[256];
    for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++) {
            const int32_t v = spec->counts[(size_t)t * n + p];
            double col[3];
            ramp(BLUES, 9, shade_t(v, L.max_count), col);
            cairo_rectangle(cr, L.gx + p * c, L.gy + t * c, c, c);
            cairo_set_source_rgb(cr, col[0], col[1], col[2]);
            cairo_fill(cr);
        }
    if (c >= 12) { /* light lines between the cells */
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_set_line_width(cr, 1);
        for (int k = 1; k < n; k++) {
            cairo_move_to(cr, L.gx + k * c + 0.5, L.gy);
            cairo_line_to(cr, L.gx + k * c + 0.5, L.gy + L.gsize);
            cairo_move_to(cr, L.gx, L.gy + k * c + 0.5);
            cairo_line_to(cr, L.gx + L.gsize, L.gy + k * c + 0.5);
        }
        cairo_stroke(cr);
    }
    if (L.show_counts) {
        set_font(cr, L.count_fs, 0);
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++) {
                const int32_t v = spec->counts[(size_t)t * n + p];
                double col[3];
                ramp(BLUES, 9, shade_t(v, L.max_count), col);
                const double lum = 0.2126 * col[0] + 0.7152 * col[1] + 0.0722 * col[2];
                if (v == 0)
                    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
                else if (lum < 0.5)
                    cairo_set_source_rgb(cr, 1, 1, 1);
                else
                    cairo_set_source_rgb(cr, 0, 0, 0);
                snprintf(text, sizeof text, "%ld", (long)v);
                text_at(cr, L.gx + (p + 0.5) * c, L.gy + (t + 0.5) * c, 0.5, 0.5, text);
            }
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, L.gx - 0.5, L.gy - 0.5, L.gsize + 1, L.gsize + 1);
    cairo_stroke(cr);
    /* tick labels */
    cairo_set_source_rgb(cr, 0, 0, 0);
    set_font(cr, L.tick_fs, 0);
    for (int k = 0; k < n; k++) {
        class_name(spec, k, text, sizeof text);
        text_at(cr, L.gx - 0.5 * fs, L.gy + (k + 0.5) * c, 1, 0.5, text);
        if (L.rotate_x) {
            cairo_save(cr);
            cairo_translate(cr, L.gx + (k + 0.5) * c, L.x_labels_y);
            cairo_rotate(cr, -PI / 2);
            text_at(cr, 0, 0, 1, 0.5, text);
            cairo_restore(cr);
        } else {
            text_at(cr, L.gx + (k + 0.5) * c, L.x_labels_y, 0.5, 0, text);
        }
    }
    /* axis titles */
    set_font(cr, fs, 0);
    text_at(cr, L.gx + L.gsize / 2.0, L.x_title_y, 0.5, 0, "predicted");
    cairo_save(cr);
    cairo_translate(cr, L.y_title_x, L.gy + L.gsize / 2.0);
    cairo_rotate(cr, -PI / 2);
    text_at(cr, 0, 0, 0.5, 0, "true");
    cairo_restore(cr);
    confusion_bar(cr, &L);
    if (L.caption_lines) {
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        set_font(cr, L.caption_fs, 0);
        wrap_text(cr, L.caption, L.W - 2 * L.m, 1, L.W / 2.0, L.caption_y, L.caption_lh);
    }
    return finish(cr, surface, path, err);
}
