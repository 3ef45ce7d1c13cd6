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

static void ramp_stops(cairo_pattern_t *pat, const double (*pts)[3], int n) {
    for (int k = 0; k < n; k++)
        cairo_pattern_add_color_stop_rgb(pat, (double)k / (n - 1), pts[k][0], pts[k][1], pts[k][2]);
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

/* Adds a 1-pixel frame just outside r to the path, in grey (stroke it to draw it). */
static void outline(cairo_t *cr, figure_rect r, double grey) {
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, r.x - 0.5, r.y - 0.5, r.w + 1, r.h + 1);
}

/* Fills r with the colour ramp pts along grad (then freed), and adds r's outline to the path. */
static void ramp_bar(cairo_t *cr, cairo_pattern_t *grad, const double (*pts)[3], int n,
                     figure_rect r) {
    ramp_stops(grad, pts, n);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_set_source(cr, grad);
    cairo_fill(cr);
    cairo_pattern_destroy(grad);
    outline(cr, r, 0.35);
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
    outline(cr, r, 0.55);
    cairo_stroke(cr);
}

/* ---- what every figure shares: frame, headings, caption, rules, output ---------------------- */

/* The line(s) at the bottom of a figure, wrapped to its width and centred. */
typedef struct caption_block {
    const char *text; /* the caller's caption, else buf */
    char buf[600];    /* the figure's default caption */
    double fs, lh;    /* font size; distance between line tops */
    int y, lines;     /* the first line's top; the number of lines (0: no caption) */
} caption_block;

/* What every figure's layout starts with. */
typedef struct figure_frame {
    double fs;   /* body font size */
    int m, W, H; /* outer margin; the figure's width and height */
    caption_block caption;
} figure_frame;

/* Sets the body font size and the margin that follows from it; returns the size. */
static double frame_font(figure_frame *f, double fs) {
    f->fs = fs;
    f->m = (int)lround(1.5 * fs);
    return fs;
}

/* A line centred across the figure: font size and the gap under it in body font sizes. */
typedef struct heading_style {
    double size;
    int bold;
    double gap;
    double grey; /* 0 black */
} heading_style;

static const heading_style FIGURE_TITLE = {1.4, 1, 0.9, 0};
static const heading_style CONFUSION_TITLE = {1.35, 1, 0.35, 0};
static const heading_style CONFUSION_SUBTITLE = {1, 0, 0, 0.25};

/* The heading's width; 0 when there is none (text NULL). */
static double heading_width(cairo_t *cr, const char *text, heading_style st, double fs) {
    if (!text) return 0;
    set_font(cr, st.size * fs, st.bold);
    return text_width(cr, text);
}

/* The heading's height with the gap under it; 0 when there is none. */
static int heading_height(cairo_t *cr, const char *text, heading_style st, double fs) {
    if (!text) return 0;
    set_font(cr, st.size * fs, st.bold);
    return (int)ceil(line_height(cr)) + (int)lround(st.gap * fs);
}

/* The title's top at the top margin (in title_y); returns the y under it. */
static int lay_out_title(cairo_t *cr, const figure_frame *f, const char *title, heading_style st,
                         int *title_y) {
    *title_y = f->m;
    return f->m + heading_height(cr, title, st, f->fs);
}

static void draw_heading(cairo_t *cr, const char *text, heading_style st, const figure_frame *f,
                         int y) {
    if (!text) return;
    cairo_set_source_rgb(cr, st.grey, st.grey, st.grey);
    set_font(cr, st.size * f->fs, st.bold);
    text_at(cr, f->W / 2.0, y, 0.5, 0, text);
}

/* Lays the caption out a gap (in body font sizes) under y: the caller's text (given), else the
 * default already in buf; "" none. Returns the y under it. */
static int lay_out_caption(cairo_t *cr, figure_frame *f, const char *given, double gap, int y) {
    caption_block *c = &f->caption;
    c->text = given ? given : c->buf;
    c->fs = fmax(10, 0.85 * f->fs);
    set_font(cr, c->fs, 0);
    c->lh = ceil(line_height(cr) * 1.2);
    c->lines = c->text[0] ? wrap_text(cr, c->text, f->W - 2 * f->m, 0, 0, 0, 0) : 0;
    if (!c->lines) return y;
    c->y = y + (int)lround(gap * f->fs);
    return c->y + (int)(c->lines * c->lh);
}

static void draw_caption(cairo_t *cr, const figure_frame *f) {
    const caption_block *c = &f->caption;
    if (!c->lines) return;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    set_font(cr, c->fs, 0);
    wrap_text(cr, c->text, f->W - 2 * f->m, 1, f->W / 2.0, c->y, c->lh);
}

static const char *check_side(int w, int h, char *err) {
    if (w > MAX_SIDE || h > MAX_SIDE)
        return fail(err, "the figure would be %dx%d pixels, more than cairo's %d", w, h, MAX_SIDE);
    return NULL;
}

/* The last step of a layout: the caption under y, the figure's height, its size checked; frees
 * the measuring context. */
static const char *finish_layout(cairo_t *cr, figure_frame *f, const char *caption,
                                 double caption_gap, int y, char *err) {
    f->H = lay_out_caption(cr, f, caption, caption_gap, y) + f->m;
    cairo_destroy(cr);
    return check_side(f->W, f->H, err);
}

/* What the *_size functions return: the layout's error (e), else the figure's size. */
static const char *report_size(const char *e, const figure_frame *f, int *width, int *height) {
    if (e) return e;
    if (width) *width = f->W;
    if (height) *height = f->H;
    return NULL;
}

/* A thin light rule across the figure at y (on the pixel grid). */
static void draw_rule(cairo_t *cr, const figure_frame *f, double y) {
    const double Y = floor(y) + 0.5;
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, f->m, Y);
    cairo_line_to(cr, f->W - f->m, Y);
    cairo_stroke(cr);
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

/* NULL when the drawing went well (drawn, and cairo reports no error), else the message. */
static const char *drawing_error(cairo_t *cr, cairo_surface_t *surface, int drawn, const char *path,
                                 char *err) {
    if (!drawn) return fail(err, "%s: cannot draw the figure (out of memory)", path);
    cairo_status_t st = cairo_status(cr);
    if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(surface);
    if (st != CAIRO_STATUS_SUCCESS)
        return fail(err, "%s: cannot draw the figure (cairo: %s)", path,
                    cairo_status_to_string(st));
    return NULL;
}

static const char *write_png(cairo_surface_t *surface, const char *path, char *err) {
    errno = 0;
    const cairo_status_t st = cairo_surface_write_to_png(surface, path);
    const int saved = errno;
    if (st == CAIRO_STATUS_SUCCESS) return NULL;
    const int say_errno = st == CAIRO_STATUS_WRITE_ERROR && saved;
    return fail(err, "%s: cannot write the PNG (cairo: %s%s%s)", path, cairo_status_to_string(st),
                say_errno ? ": " : "", say_errno ? strerror(saved) : "");
}

/* Draws a figure's content (spec and layout as that figure's draw function takes them); 0, or -1
 * when out of memory. */
typedef int (*draw_fn)(cairo_t *cr, const void *spec, const void *layout);

/* Draws the figure laid out in f (draw, then the caption) and writes it to path as a PNG. */
static const char *render(const char *path, const figure_frame *f, draw_fn draw, const void *spec,
                          const void *layout, char *err) {
    cairo_surface_t *surface;
    cairo_t *cr = canvas(f->W, f->H, &surface);
    const int drawn = draw(cr, spec, layout) == 0;
    draw_caption(cr, f);
    const char *e = drawing_error(cr, surface, drawn, path, err);
    if (!e) e = write_png(surface, path, err);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return e;
}

/* ---- class activation maps ------------------------------------------------------------------ */

static const char CAM_CAPTION[] =
    "Each map at its layer's resolution, one block per value (nearest neighbour), all in panels "
    "of the same size. Colour scale per panel, symmetric about 0: blue negative, white 0, red "
    "positive; the bar under a panel runs from -r to +r, r the largest |value| in that panel.";
static const char CAM_CAPTION_GREY[] = " Grey: a value that is not a finite number.";

typedef struct cam_layout {
    figure_frame fig;
    int P;                 /* panel side */
    int cols, sum_col;     /* columns (input included); the sums' column, -1 if none */
    int title_y;           /* top of the figure title */
    int rows_y, row_pitch; /* top of row 0; distance between row tops */
    /* offsets from a row's top */
    int row_title_dy, panel_title_dy, res_dy, panel_dy, bar_dy, bar_h, label_dy;
    int row_title_h; /* 0: no row titles */
    int nonfinite;   /* some map value is not finite */
} cam_layout;

static const char *cam_check_row(const figure_cam_row *row, int r, char *err) {
    if (row->n_maps < 0 || row->n_maps > 32 || (row->n_maps > 0 && !row->maps))
        return fail(err, "cam figure: row %d: %d layer maps, not 0..32", r, row->n_maps);
    if (row->n_maps == 0 && !row->sum.values) return fail(err, "cam figure: row %d has no map", r);
    for (int k = 0; k <= row->n_maps; k++) {
        const figure_map *map = k < row->n_maps ? &row->maps[k] : &row->sum;
        if (k == row->n_maps && !map->values) break;
        if (!map->values) return fail(err, "cam figure: row %d, map %d: no values", r, k);
        if (map->h < 1 || map->h > 4096 || map->w < 1 || map->w > 4096)
            return fail(err, "cam figure: row %d, %s: size %dx%d, not within 1..4096", r,
                        k < row->n_maps ? "a layer map" : "the sum", map->h, map->w);
    }
    return NULL;
}

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
        const char *e = cam_check_row(&s->rows[r], r, err);
        if (e) return e;
    }
    return NULL;
}

static int map_nonfinite(const figure_map *map) {
    const size_t n = (size_t)map->h * (size_t)map->w;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(map->values[i])) return 1;
    return 0;
}

/* The columns (the input, the most layer maps of any row, the sums) and whether some map value is
 * not finite; returns whether any row has a title. */
static int cam_scan_rows(const figure_cam_spec *s, cam_layout *L) {
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
    return any_row_title;
}

/* A row's parts top to bottom, as offsets from its top, and the distance between rows. */
static void cam_lay_out_row(cairo_t *cr, cam_layout *L, int any_row_title) {
    const double fs = L->fig.fs;
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
}

/* The figure's width: the panels, or the widest title. */
static void cam_lay_out_width(cairo_t *cr, const figure_cam_spec *s, cam_layout *L) {
    const double fs = L->fig.fs;
    const int grid_w = L->cols * L->P + (L->cols - 1) * (int)lround(1.2 * fs) +
                       (L->sum_col >= 0 && L->cols > 2 ? (int)lround(0.8 * fs) : 0);
    double content_w = fmax(grid_w, heading_width(cr, s->title, FIGURE_TITLE, fs));
    set_font(cr, 1.1 * fs, 1);
    for (int r = 0; r < s->n_rows; r++)
        if (s->rows[r].title) content_w = fmax(content_w, text_width(cr, s->rows[r].title));
    L->fig.W = 2 * L->fig.m + (int)ceil(content_w);
}

static const char *cam_lay_out(const figure_cam_spec *s, cam_layout *L, char *err) {
    const char *e = cam_check(s, err);
    if (e) return e;
    memset(L, 0, sizeof *L);
    const int side = s->height > s->width ? s->height : s->width;
    L->P = s->panel ? s->panel : side * ((160 + side - 1) / side);
    if (L->P > 1024) L->P = 1024;
    const double fs = frame_font(&L->fig, clampd(L->P / 13.0, 11, 17));
    const int any_row_title = cam_scan_rows(s, L);
    cairo_t *cr = measuring_context();
    cam_lay_out_row(cr, L, any_row_title);
    cam_lay_out_width(cr, s, L);
    L->rows_y = lay_out_title(cr, &L->fig, s->title, FIGURE_TITLE, &L->title_y);
    const int y = L->rows_y + s->n_rows * L->row_pitch - (int)lround(1.6 * fs);
    if (!s->caption)
        snprintf(L->fig.caption.buf, sizeof L->fig.caption.buf, "%s%s", CAM_CAPTION,
                 L->nonfinite ? CAM_CAPTION_GREY : "");
    return finish_layout(cr, &L->fig, s->caption, 1.1, y, err);
}

static int cam_col_x(const cam_layout *L, int col) {
    const double fs = L->fig.fs;
    int x = L->fig.m + col * (L->P + (int)lround(1.2 * fs));
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
    return report_size(cam_lay_out(spec, &L, err), &L.fig, width, height);
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
    const double fs = L->fig.fs, cx = x + L->P / 2.0, maxw = L->P + 1.0 * fs;
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (title && title[0])
        text_fit(cr, cx, row_top + L->panel_title_dy, 0.5, 0, title, fs, 0, maxw);
    char res[64];
    snprintf(res, sizeof res, "%d" TIMES "%d", h, w);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    set_font(cr, 0.8 * fs, 0);
    text_at(cr, cx, row_top + L->res_dy, 0.5, 0, res);
}

/* The largest |value| of a map's finite values, at least 1e-12. */
static double map_range(const figure_map *map) {
    const size_t n = (size_t)map->h * (size_t)map->w;
    double r = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(map->values[i]) && fabs(map->values[i]) > r) r = fabs(map->values[i]);
    return r < 1e-12 ? 1e-12 : r;
}

/* The map's values in its panel at (x, top), blue -r .. white 0 .. red +r; 0, or -1 when out of
 * memory. */
static int paint_map(cairo_t *cr, const cam_layout *L, int x, int top, const figure_map *map,
                     double r) {
    pixels px;
    if (pixels_new(&px, map->w, map->h)) return -1;
    for (int i = 0; i < map->h; i++)
        for (int j = 0; j < map->w; j++) {
            const float v = map->values[(size_t)i * map->w + j];
            double c[3] = {NONFINITE_GREY, NONFINITE_GREY, NONFINITE_GREY};
            if (isfinite(v)) ramp(RDBU, 11, 0.5 + 0.5 * v / r, c);
            put_pixel(&px, i, j, pack_rgb(c[0], c[1], c[2]));
        }
    paint_nearest(cr, &px, map->w, map->h, fit_in_panel(x, top, L->P, map->h, map->w));
    return 0;
}

/* The labels -r, 0, +r under a colour bar, shrunk (down to 60 %) to fit its width bw. */
static void bar_labels(cairo_t *cr, const cam_layout *L, int x, int bw, double y, double r) {
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.3g", -r);
    snprintf(hi, sizeof hi, "+%.3g", r);
    double size = 0.8 * L->fig.fs;
    set_font(cr, size, 0);
    const double need = text_width(cr, lo) + text_width(cr, hi) + 2 * text_width(cr, "0") +
                        2 * text_width(cr, "  ");
    if (need > bw) set_font(cr, size *= fmax(0.6, bw / need), 0);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    text_at(cr, x, y, 0, 0, lo);
    text_at(cr, x + bw / 2.0, y, 0.5, 0, "0");
    text_at(cr, x + bw, y, 1, 0, hi);
}

/* The colour bar under a panel: the ramp's control points as gradient stops, exactly the map's
 * colours, with ticks at -r, 0, +r. */
static void map_colour_bar(cairo_t *cr, const cam_layout *L, int x, int row_top, double r) {
    const int by = row_top + L->bar_dy, bw = L->P, bh = L->bar_h;
    ramp_bar(cr, cairo_pattern_create_linear(x, 0, x + bw, 0), RDBU, 11,
             (figure_rect){x, by, bw, bh});
    const int tick = (int)lround(0.25 * L->fig.fs);
    const double tx[3] = {x - 0.5, x + floor(bw / 2.0) + 0.5, x + bw + 0.5};
    for (int k = 0; k < 3; k++) {
        cairo_move_to(cr, tx[k], by + bh + 0.5);
        cairo_line_to(cr, tx[k], by + bh + 0.5 + tick);
    }
    cairo_stroke(cr);
    bar_labels(cr, L, x, bw, row_top + L->label_dy, r);
}

/* One map panel with its colour bar: x the panel's left, row_top the row's top. */
static int draw_map(cairo_t *cr, const cam_layout *L, int x, int row_top, const figure_map *map) {
    panel_heading(cr, L, x, row_top, map->title, map->h, map->w);
    const double r = map_range(map);
    if (paint_map(cr, L, x, row_top + L->panel_dy, map, r)) return -1;
    map_colour_bar(cr, L, x, row_top, r);
    return 0;
}

/* The input image in the row's first column. */
static int draw_input(cairo_t *cr, const figure_cam_spec *s, const cam_layout *L, int row_top) {
    const int x0 = cam_col_x(L, 0);
    panel_heading(cr, L, x0, row_top, "input", s->height, s->width);
    pixels px;
    if (pixels_new(&px, s->width, s->height)) return -1;
    const size_t plane = (size_t)s->height * (size_t)s->width;
    const uint8_t *im = s->image;
    for (int i = 0; i < s->height; i++)
        for (int j = 0; j < s->width; j++) {
            const size_t at = (size_t)i * s->width + j;
            const uint32_t g = im[at];
            put_pixel(&px, i, j,
                      s->channels == 1 ? g << 16 | g << 8 | g
                                       : (uint32_t)im[at] << 16 | (uint32_t)im[plane + at] << 8 |
                                             im[2 * plane + at]);
        }
    paint_nearest(cr, &px, s->width, s->height,
                  fit_in_panel(x0, row_top + L->panel_dy, L->P, s->height, s->width));
    return 0;
}

/* Row r: a rule above it (but the first), its title, the input, the layer maps, the sum. */
static int draw_cam_row(cairo_t *cr, const figure_cam_spec *s, const cam_layout *L, int r) {
    const figure_cam_row *row = &s->rows[r];
    const int top = L->rows_y + r * L->row_pitch;
    if (r > 0) draw_rule(cr, &L->fig, top - 0.8 * L->fig.fs);
    if (row->title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        set_font(cr, 1.1 * L->fig.fs, 1);
        text_at(cr, L->fig.m, top + L->row_title_dy, 0, 0, row->title);
    }
    if (draw_input(cr, s, L, top)) return -1;
    for (int k = 0; k < row->n_maps; k++)
        if (draw_map(cr, L, cam_col_x(L, k + 1), top, &row->maps[k])) return -1;
    if (row->sum.values) return draw_map(cr, L, cam_col_x(L, L->sum_col), top, &row->sum);
    return 0;
}

static int draw_cam(cairo_t *cr, const void *spec, const void *layout) {
    const figure_cam_spec *s = spec;
    const cam_layout *L = layout;
    draw_heading(cr, s->title, FIGURE_TITLE, &L->fig, L->title_y);
    for (int r = 0; r < s->n_rows; r++)
        if (draw_cam_row(cr, s, L, r)) return -1;
    return 0;
}

const char *figure_cam_png(const char *path, const figure_cam_spec *spec,
                           char err[FIGURE_ERR_LEN]) {
    cam_layout L;
    const char *e = path ? cam_lay_out(spec, &L, err) : fail(err, "cam figure: no output path");
    return e ? e : render(path, &L.fig, draw_cam, spec, &L, err);
}

/* ---- label patterns and samples ------------------------------------------------------------- */

typedef struct labels_layout {
    figure_frame fig;
    int S;                    /* display pixels per value */
    int pitch_x, cell_w;      /* column pitch; column width */
    int grid_x;               /* the grid's left */
    int grid_cols, grid_rows; /* the pattern grid */
    int n_grid;               /* patterns + neutral */
    int title_y, grid_y, row_pitch, title_h, img_dy;
    int sample_y, n_samples; /* the sample row's top (a rule above it) */
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
 * order; returns NULL past the end. title gets the title to show. */
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

/* Checks the spec and its pictures; raises max_w, max_h to the largest picture's width, height. */
static const char *labels_check(const figure_labels_spec *s, int *max_w, int *max_h, char *err) {
    if (!s) return fail(err, "labels figure: no spec");
    if (!s->patterns || s->n_patterns < 2 || s->n_patterns > 100)
        return fail(err, "labels figure: %d class patterns, not 2..100",
                    s->patterns ? s->n_patterns : 0);
    if (s->scale < 0 || s->scale > 32)
        return fail(err, "labels figure: scale %d, not 0..32", s->scale);
    if (s->per_row < 0 || s->per_row > 100)
        return fail(err, "labels figure: %d panels a row, not 0..100", s->per_row);
    char title[256];
    for (int k = 0;; k++) {
        const figure_picture *p = labels_panel(s, k, title, sizeof title);
        if (!p) break;
        if (!p->values && k >= s->n_patterns) continue; /* neutral and samples are optional */
        const char *e = picture_check(p, title, err);
        if (e) return e;
        if (p->w > *max_w) *max_w = p->w;
        if (p->h > *max_h) *max_h = p->h;
    }
    return NULL;
}

/* The columns: as wide as the widest picture or title (titles up to 3 pictures wide), and how
 * many a grid row holds. */
static void labels_lay_out_columns(cairo_t *cr, const figure_labels_spec *s, labels_layout *L,
                                   int cell_w) {
    const double fs = L->fig.fs;
    char title[256];
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
}

/* The width of n columns side by side. */
static int columns_width(const labels_layout *L, int n) {
    return n * L->pitch_x - (L->pitch_x - L->cell_w);
}

/* The figure's width (the grid, the sample row or the title) and the grid centred in it. */
static void labels_lay_out_width(cairo_t *cr, const figure_labels_spec *s, labels_layout *L) {
    const int cols = L->grid_cols > L->n_samples ? L->grid_cols : L->n_samples;
    const double content_w =
        fmax(columns_width(L, cols), heading_width(cr, s->title, FIGURE_TITLE, L->fig.fs));
    const int m = L->fig.m;
    L->fig.W = 2 * m + (int)ceil(content_w);
    L->grid_x = m + (L->fig.W - 2 * m - columns_width(L, L->grid_cols)) / 2;
}

static void labels_default_caption(const figure_labels_spec *s, labels_layout *L) {
    char range[160];
    if (s->lo < s->hi)
        snprintf(range, sizeof range, "patterns black at %.3g, white at %.3g", s->lo, s->hi);
    else
        snprintf(range, sizeof range,
                 "each pattern from its own minimum (black) to its maximum (white)");
    snprintf(L->fig.caption.buf, sizeof L->fig.caption.buf,
             "Each value a %d" TIMES "%d block (nearest neighbour); %s%s.", L->S, L->S, range,
             L->n_samples ? "; samples black at 0, white at 1" : "");
}

static const char *labels_lay_out(const figure_labels_spec *s, labels_layout *L, char *err) {
    int max_w = 0, max_h = 0;
    const char *e = labels_check(s, &max_w, &max_h, err);
    if (e) return e;
    memset(L, 0, sizeof *L);
    L->S = s->scale ? s->scale : 4;
    L->n_grid = s->n_patterns + (s->neutral.values != NULL);
    L->n_samples =
        (s->image.values != NULL) + (s->positive.values != NULL) + (s->negative.values != NULL);
    const int cell_w = max_w * L->S, cell_h = max_h * L->S;
    const double fs = frame_font(&L->fig, clampd(cell_w / 9.5, 10, 16));
    cairo_t *cr = measuring_context();
    labels_lay_out_columns(cr, s, L, cell_w);
    set_font(cr, fs, 0);
    L->title_h = (int)ceil(line_height(cr));
    L->img_dy = L->title_h + (int)lround(0.3 * fs);
    L->row_pitch = L->img_dy + cell_h + (int)lround(0.9 * fs);
    labels_lay_out_width(cr, s, L);
    L->grid_y = lay_out_title(cr, &L->fig, s->title, FIGURE_TITLE, &L->title_y);
    int y = L->grid_y + L->grid_rows * L->row_pitch - (int)lround(0.9 * fs);
    if (L->n_samples) {
        y += (int)lround(1.8 * fs);
        L->sample_y = y;
        y += L->row_pitch - (int)lround(0.9 * fs);
    }
    if (!s->caption) labels_default_caption(s, L);
    return finish_layout(cr, &L->fig, s->caption, 1.1, y, err);
}

const char *figure_labels_size(const figure_labels_spec *spec, int *width, int *height,
                               char err[FIGURE_ERR_LEN]) {
    labels_layout L;
    return report_size(labels_lay_out(spec, &L, err), &L.fig, width, height);
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
    const double fs = L->fig.fs, cx = x + L->cell_w / 2.0;
    figure_rect r = {(int)lround(cx - p->w * L->S / 2.0), top + L->img_dy, p->w * L->S,
                     p->h * L->S};
    paint_nearest(cr, &px, p->w, p->h, r);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_fit(cr, cx, top, 0.5, 0, title, fs, 0, L->pitch_x - 0.15 * fs);
    return 0;
}

/* The sample row under a rule, centred: image, positive, negative, each drawn 0 black, 1 white. */
static int draw_samples(cairo_t *cr, const figure_labels_spec *s, const labels_layout *L) {
    draw_rule(cr, &L->fig, L->sample_y - 0.9 * L->fig.fs);
    const int x0 = L->fig.m + (L->fig.W - 2 * L->fig.m - columns_width(L, L->n_samples)) / 2;
    int col = 0;
    char title[256];
    for (int k = s->n_patterns + 1; k <= s->n_patterns + 3; k++) {
        const figure_picture *p = labels_panel(s, k, title, sizeof title);
        if (!p->values) continue;
        if (draw_picture(cr, L, x0 + col++ * L->pitch_x, L->sample_y, p, title, 0, 1)) return -1;
    }
    return 0;
}

static int draw_labels(cairo_t *cr, const void *spec, const void *layout) {
    const figure_labels_spec *s = spec;
    const labels_layout *L = layout;
    draw_heading(cr, s->title, FIGURE_TITLE, &L->fig, L->title_y);
    char title[256];
    for (int k = 0; k < L->n_grid; k++) {
        const figure_picture *p = labels_panel(s, k, title, sizeof title);
        const int x = L->grid_x + (k % L->grid_cols) * L->pitch_x;
        const int top = L->grid_y + (k / L->grid_cols) * L->row_pitch;
        if (draw_picture(cr, L, x, top, p, title, s->lo, s->hi)) return -1;
    }
    return L->n_samples ? draw_samples(cr, s, L) : 0;
}

const char *figure_labels_png(const char *path, const figure_labels_spec *spec,
                              char err[FIGURE_ERR_LEN]) {
    labels_layout L;
    const char *e =
        path ? labels_lay_out(spec, &L, err) : fail(err, "labels figure: no output path");
    return e ? e : render(path, &L.fig, draw_labels, spec, &L, err);
}

/* ---- confusion matrix ----------------------------------------------------------------------- */

typedef struct confusion_layout {
    figure_frame fig;
    double tick_fs, count_fs;
    int c;             /* cell side */
    int show_counts;   /* the counts fit in the cells */
    int rotate_x;      /* the x tick labels upright */
    int32_t max_count; /* the largest count */
    int title_y, subtitle_y;
    int gx, gy, gsize; /* the grid's left, top, side */
    int y_title_x;     /* the left of the rotated "true" */
    int x_labels_y, x_title_y;
    int bar_x, bar_w;
} confusion_layout;

static void class_name(const figure_confusion_spec *s, int k, char *buf, size_t cap) {
    if (s->names && s->names[k])
        snprintf(buf, cap, "%s", s->names[k]);
    else
        snprintf(buf, cap, "%d", k);
}

/* Checks the spec; its largest count in max_count. */
static const char *confusion_check(const figure_confusion_spec *s, int32_t *max_count, char *err) {
    if (!s) return fail(err, "confusion figure: no spec");
    if (s->n < 2 || s->n > 100) return fail(err, "confusion figure: %d classes, not 2..100", s->n);
    if (!s->counts) return fail(err, "confusion figure: no counts");
    if (s->cell != 0 && (s->cell < 8 || s->cell > 200))
        return fail(err, "confusion figure: cell size %d, not 0 or 8..200", s->cell);
    const int n = s->n;
    *max_count = 0;
    for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++) {
            const int32_t v = s->counts[(size_t)t * n + p];
            if (v < 0)
                return fail(err, "confusion figure: count [%d][%d] = %ld is negative", t, p,
                            (long)v);
            if (v > *max_count) *max_count = v;
        }
    return NULL;
}

/* A cell's side for n classes when the spec leaves it open; dw the largest count's width. */
static int default_cell_side(int n, double dw) {
    if (n <= 10) return (int)ceil(fmax(fmax(46, dw + 14), 200.0 / n));
    if (n <= 20) return (int)ceil(fmax(36, dw + 10));
    return clampi((int)lround(900.0 / n), 9, 36);
}

/* The cells: their side, the fonts of the counts and tick labels, whether the counts fit. */
static void confusion_lay_out_cells(cairo_t *cr, const figure_confusion_spec *s,
                                    confusion_layout *L) {
    const double fs = L->fig.fs;
    char digits[32];
    snprintf(digits, sizeof digits, "%ld", (long)L->max_count);
    set_font(cr, 0.9 * fs, 0);
    L->c = s->cell ? s->cell : default_cell_side(s->n, text_width(cr, digits));
    if (L->c > 200) L->c = 200;
    const int c = L->c;
    L->count_fs = fmin(0.9 * fs, 0.42 * c);
    set_font(cr, L->count_fs, 0);
    L->show_counts = L->count_fs >= 6.5 && text_width(cr, digits) <= c - 4;
    L->tick_fs = fmin(fs, 0.8 * c);
    L->gsize = s->n * c;
}

/* The widest class name in the tick font; the font's line height in tick_h. */
static double widest_class_name(cairo_t *cr, const figure_confusion_spec *s, double tick_fs,
                                double *tick_h) {
    char name[256];
    set_font(cr, tick_fs, 0);
    double name_w = 0;
    for (int k = 0; k < s->n; k++) {
        class_name(s, k, name, sizeof name);
        name_w = fmax(name_w, text_width(cr, name));
    }
    *tick_h = line_height(cr);
    return name_w;
}

/* Left to right: "true", the tick labels, the grid, the colour bar and its labels, all centred in
 * a figure at least 400 wide (room for the caption of a small matrix) and as wide as the titles. */
static void confusion_lay_out_width(cairo_t *cr, const figure_confusion_spec *s,
                                    confusion_layout *L, double name_w, double axis_h) {
    const double fs = L->fig.fs;
    const int m = L->fig.m;
    char digits[32];
    snprintf(digits, sizeof digits, "%ld", (long)L->max_count);
    set_font(cr, 0.85 * fs, 0);
    const double bar_label_w = text_width(cr, digits);
    L->y_title_x = m;
    L->gx =
        m + (int)ceil(axis_h) + (int)lround(0.7 * fs) + (int)ceil(name_w) + (int)lround(0.5 * fs);
    L->bar_x = L->gx + L->gsize + (int)lround(1.3 * fs);
    L->bar_w = (int)lround(0.9 * fs);
    const int content_w = L->bar_x + L->bar_w + (int)lround(0.5 * fs) + (int)ceil(bar_label_w) + m;
    const double heading_w = fmax(heading_width(cr, s->title, CONFUSION_TITLE, fs),
                                  heading_width(cr, s->subtitle, CONFUSION_SUBTITLE, fs));
    L->fig.W = (int)fmax(content_w > 400 ? content_w : 400, ceil(heading_w) + 2 * m);
    const int shift = (L->fig.W - content_w) / 2;
    L->y_title_x += shift, L->gx += shift, L->bar_x += shift;
}

static void confusion_default_caption(confusion_layout *L) {
    snprintf(L->fig.caption.buf, sizeof L->fig.caption.buf,
             "Rows: true class; columns: predicted class. Shade: log(1 + count), white at 0, "
             "darkest blue at the largest count (%ld).%s",
             (long)L->max_count,
             L->show_counts ? "" : " Counts not printed: the cells are too small.");
}

static const char *confusion_lay_out(const figure_confusion_spec *s, confusion_layout *L,
                                     char *err) {
    memset(L, 0, sizeof *L);
    const char *e = confusion_check(s, &L->max_count, err);
    if (e) return e;
    const double fs = frame_font(&L->fig, 13);
    cairo_t *cr = measuring_context();
    confusion_lay_out_cells(cr, s, L);
    double tick_h;
    const double name_w = widest_class_name(cr, s, L->tick_fs, &tick_h);
    L->rotate_x = name_w > L->c - 2;
    set_font(cr, fs, 0);
    const double axis_h = line_height(cr);
    confusion_lay_out_width(cr, s, L, name_w, axis_h);
    int y = lay_out_title(cr, &L->fig, s->title, CONFUSION_TITLE, &L->title_y);
    L->subtitle_y = y;
    y += heading_height(cr, s->subtitle, CONFUSION_SUBTITLE, fs);
    if (s->title || s->subtitle) y += (int)lround(1.0 * fs);
    L->gy = y;
    /* the bar's top and bottom labels reach half a line past the grid */
    y += L->gsize + (int)lround(0.4 * fs);
    L->x_labels_y = y;
    y += (int)ceil(L->rotate_x ? name_w : tick_h) + (int)lround(0.6 * fs);
    L->x_title_y = y;
    y += (int)ceil(axis_h);
    if (!s->caption) confusion_default_caption(L);
    return finish_layout(cr, &L->fig, s->caption, 1.0, y, err);
}

const char *figure_confusion_size(const figure_confusion_spec *spec, int *width, int *height,
                                  char err[FIGURE_ERR_LEN]) {
    confusion_layout L;
    return report_size(confusion_lay_out(spec, &L, err), &L.fig, width, height);
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

/* The count of true class t predicted p, its cell's colour in col. */
static int32_t cell_count(const figure_confusion_spec *s, const confusion_layout *L, int t, int p,
                          double col[3]) {
    const int32_t v = s->counts[(size_t)t * s->n + p];
    ramp(BLUES, 9, shade_t(v, L->max_count), col);
    return v;
}

static void confusion_bar(cairo_t *cr, const confusion_layout *L) {
    const double fs = L->fig.fs;
    const int x = L->bar_x, y = L->gy, w = L->bar_w, h = L->gsize;
    ramp_bar(cr, cairo_pattern_create_linear(0, y + h, 0, y), BLUES, 9, (figure_rect){x, y, w, h});
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

/* The cells shaded, with light lines between them when they are large enough. */
static void confusion_cells(cairo_t *cr, const figure_confusion_spec *s,
                            const confusion_layout *L) {
    const int n = s->n, c = L->c;
    for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++) {
            double col[3];
            cell_count(s, L, t, p, col);
            cairo_rectangle(cr, L->gx + p * c, L->gy + t * c, c, c);
            cairo_set_source_rgb(cr, col[0], col[1], col[2]);
            cairo_fill(cr);
        }
    if (c < 12) return;
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_set_line_width(cr, 1);
    for (int k = 1; k < n; k++) {
        cairo_move_to(cr, L->gx + k * c + 0.5, L->gy);
        cairo_line_to(cr, L->gx + k * c + 0.5, L->gy + L->gsize);
        cairo_move_to(cr, L->gx, L->gy + k * c + 0.5);
        cairo_line_to(cr, L->gx + L->gsize, L->gy + k * c + 0.5);
    }
    cairo_stroke(cr);
}

/* Each cell's count: light grey 0, white on dark cells, black on light ones. */
static void confusion_counts(cairo_t *cr, const figure_confusion_spec *s,
                             const confusion_layout *L) {
    const int n = s->n, c = L->c;
    char text[32];
    set_font(cr, L->count_fs, 0);
    for (int t = 0; t < n; t++)
        for (int p = 0; p < n; p++) {
            double col[3];
            const int32_t v = cell_count(s, L, t, p, col);
            const double lum = 0.2126 * col[0] + 0.7152 * col[1] + 0.0722 * col[2];
            const double ink = v == 0 ? 0.7 : lum < 0.5 ? 1 : 0;
            cairo_set_source_rgb(cr, ink, ink, ink);
            snprintf(text, sizeof text, "%ld", (long)v);
            text_at(cr, L->gx + (p + 0.5) * c, L->gy + (t + 0.5) * c, 0.5, 0.5, text);
        }
}

/* The class names left of the rows and under the columns (upright when rotate_x). */
static void confusion_tick_labels(cairo_t *cr, const figure_confusion_spec *s,
                                  const confusion_layout *L) {
    const int c = L->c;
    char text[256];
    cairo_set_source_rgb(cr, 0, 0, 0);
    set_font(cr, L->tick_fs, 0);
    for (int k = 0; k < s->n; k++) {
        class_name(s, k, text, sizeof text);
        text_at(cr, L->gx - 0.5 * L->fig.fs, L->gy + (k + 0.5) * c, 1, 0.5, text);
        if (L->rotate_x) {
            cairo_save(cr);
            cairo_translate(cr, L->gx + (k + 0.5) * c, L->x_labels_y);
            cairo_rotate(cr, -PI / 2);
            text_at(cr, 0, 0, 1, 0.5, text);
            cairo_restore(cr);
        } else {
            text_at(cr, L->gx + (k + 0.5) * c, L->x_labels_y, 0.5, 0, text);
        }
    }
}

/* "predicted" under the grid, "true" upright on its left. */
static void confusion_axis_titles(cairo_t *cr, const confusion_layout *L) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    set_font(cr, L->fig.fs, 0);
    text_at(cr, L->gx + L->gsize / 2.0, L->x_title_y, 0.5, 0, "predicted");
    cairo_save(cr);
    cairo_translate(cr, L->y_title_x, L->gy + L->gsize / 2.0);
    cairo_rotate(cr, -PI / 2);
    text_at(cr, 0, 0, 0.5, 0, "true");
    cairo_restore(cr);
}

static int draw_confusion(cairo_t *cr, const void *spec, const void *layout) {
    const figure_confusion_spec *s = spec;
    const confusion_layout *L = layout;
    draw_heading(cr, s->title, CONFUSION_TITLE, &L->fig, L->title_y);
    draw_heading(cr, s->subtitle, CONFUSION_SUBTITLE, &L->fig, L->subtitle_y);
    confusion_cells(cr, s, L);
    if (L->show_counts) confusion_counts(cr, s, L);
    outline(cr, (figure_rect){L->gx, L->gy, L->gsize, L->gsize}, 0.3);
    cairo_stroke(cr);
    confusion_tick_labels(cr, s, L);
    confusion_axis_titles(cr, L);
    confusion_bar(cr, L);
    return 0;
}

const char *figure_confusion_png(const char *path, const figure_confusion_spec *spec,
                                 char err[FIGURE_ERR_LEN]) {
    confusion_layout L;
    const char *e =
        path ? confusion_lay_out(spec, &L, err) : fail(err, "confusion figure: no output path");
    return e ? e : render(path, &L.fig, draw_confusion, spec, &L, err);
}
