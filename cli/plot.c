#include "plot.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Line colours (the "tab10" palette), cycled. */
static const double COLORS[][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}};
#define N_COLORS (sizeof COLORS / sizeof *COLORS)
/* Dash patterns in line widths (lines have round caps, so a dash of 0 is a dot), cycled. */
static const double DASHES[][4] = {{0}, {3, 2.5}, {0, 2.2}, {4, 2.2, 0, 2.2}, {1.2, 1.8}};
static const int DASH_N[] = {0, 2, 2, 4, 2};
#define N_DASHES (sizeof DASH_N / sizeof *DASH_N)
#define N_MARKERS 4
#define PI 3.14159265358979323846

/* A tick step of 1, 2 or 5 times a power of ten giving about `want` ticks over `range`. */
static double nice_step(double range, int want, int integer) {
    const double raw = range / (want > 1 ? want : 1);
    const double p = pow(10, floor(log10(raw)));
    const double f = raw / p;
    double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
    if (integer && step < 1) step = 1;
    return step;
}

/* The ticks in [lo, hi]: k * step for k = first_tick .. last_tick. */
static long first_tick(double lo, double step) {
    return (long)ceil(lo / step - 1e-6);
}

static long last_tick(double hi, double step) {
    return (long)floor(hi / step + 1e-6);
}

/* Decimals that tell ticks `step` apart. */
static int decimals(double step) {
    const int d = (int)-floor(log10(step) + 1e-9);
    return d > 0 ? d : 0;
}

static void tick_label(char *buf, size_t cap, double v, double step, int percent) {
    if (fabs(v) < step * 1e-6) v = 0; /* no "-0" */
    if (percent)
        snprintf(buf, cap, "%.*f%%", decimals(step * 100), v * 100);
    else if (fabs(v) >= 1e6 || step < 1e-4) /* in powers of ten, with the digits that count */
        snprintf(buf, cap, "%.*g", v ? 1 + (int)ceil(log10(fabs(v) / step) - 1e-9) : 1, v);
    else
        snprintf(buf, cap, "%.*f", decimals(step), v);
}

static double text_width(cairo_t *cr, const char *s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* The widest tick label in [lo, hi]. */
static double widest_label(cairo_t *cr, double lo, double hi, double step, int percent) {
    char label[64];
    double widest = 0;
    for (long k = first_tick(lo, step); k <= last_tick(hi, step); k++) {
        tick_label(label, sizeof label, (double)k * step, step, percent);
        const double w = text_width(cr, label);
        if (w > widest) widest = w;
    }
    return widest;
}

/* The next tick step: 1 -> 2 -> 5 -> 10 times a power of ten. */
static double step_up(double step) {
    const double p = pow(10, floor(log10(step) + 1e-9)), f = step / p;
    return (f < 1.5 ? 2 : f < 3.5 ? 5 : 10) * p;
}

/* Text with its reference point placed by (ax, ay): 0 left/top, 0.5 centre, 1 right/bottom. */
static void text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s) {
    cairo_text_extents_t e;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, s, &e);
    cairo_font_extents(cr, &fe);
    const double h = fe.ascent + fe.descent;
    cairo_move_to(cr, x - ax * e.x_advance, y - ay * h + fe.ascent);
    cairo_show_text(cr, s);
}

/* The text with a part replaced by "..." as needed to fit max_w (UTF-8 aware), a third of what
 * stays before it: the ends, where names differ, stay. */
static void fit_text(cairo_t *cr, const char *s, double max_w, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", s);
    const size_t n = strlen(buf);
    for (size_t cut = 1; cut <= n && text_width(cr, buf) > max_w; cut++) {
        size_t head = (n - cut) / 3, tail = head + cut; /* s[head, tail) left out */
        while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80) head--;
        while (tail < n && ((unsigned char)s[tail] & 0xC0) == 0x80) tail++;
        snprintf(buf, cap, "%.*s...%s", (int)head, s, s + tail);
    }
}

typedef struct frame {
    double px, py, pw, ph; /* the plot area */
    double x0, x1, y0, y1; /* data range */
    double x_step, y_step; /* tick steps */
} frame;

static double map_x(const frame *f, double x) {
    return f->px + (x - f->x0) / (f->x1 - f->x0) * f->pw;
}

static double map_y(const frame *f, double y) {
    return f->py + f->ph - (y - f->y0) / (f->y1 - f->y0) * f->ph;
}

/* A grid line and its tick at v on the y axis (y) or the x axis, with its label. */
static void grid_tick(cairo_t *cr, const frame *f, int y, double v, double step, int percent,
                      double tick) {
    char label[64];
    const double at = floor(y ? map_y(f, v) : map_x(f, v)) + 0.5;
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, y ? f->px : at, y ? at : f->py);
    cairo_line_to(cr, y ? f->px + f->pw : at, y ? at : f->py + f->ph);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, y ? f->px - tick : at, y ? at : f->py + f->ph);
    cairo_line_to(cr, y ? f->px : at, y ? at : f->py + f->ph + tick);
    cairo_stroke(cr);
    tick_label(label, sizeof label, v, step, percent);
    if (y)
        text_at(cr, f->px - tick * 1.6, at, 1, 0.5, label);
    else
        text_at(cr, at, f->py + f->ph + tick * 1.6, 0.5, 0, label);
}

/* A category's tick on the x axis: k (1-based) labelled name. */
static void category_tick(cairo_t *cr, const frame *f, int k, const char *name, double tick) {
    const double at = floor(map_x(f, k)) + 0.5;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, at, f->py + f->ph);
    cairo_line_to(cr, at, f->py + f->ph + tick);
    cairo_stroke(cr);
    char buf[128];
    fit_text(cr, name, f->pw / (f->x1 - f->x0), buf, sizeof buf);
    text_at(cr, at, f->py + f->ph + tick * 1.6, 0.5, 0, buf);
}

static void draw_axes(cairo_t *cr, const frame *f, const plot_panel *p, double tick) {
    cairo_save(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 1);
    for (long k = first_tick(f->y0, f->y_step); k <= last_tick(f->y1, f->y_step); k++)
        grid_tick(cr, f, 1, (double)k * f->y_step, f->y_step, p->y_percent, tick);
    if (p->x_names)
        for (int k = 1; k <= p->n_x_names; k++) category_tick(cr, f, k, p->x_names[k - 1], tick);
    else
        for (long k = first_tick(f->x0, f->x_step); k <= last_tick(f->x1, f->x_step); k++)
            grid_tick(cr, f, 0, (double)k * f->x_step, f->x_step, 0, tick);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, floor(f->px) + 0.5, floor(f->py) + 0.5, floor(f->pw), floor(f->ph));
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* The series' colour, line width and dash pattern. */
static void set_line(cairo_t *cr, const plot_series *s, double lw) {
    const double *c = COLORS[(size_t)s->color % N_COLORS];
    const int d = (int)((size_t)s->style % N_DASHES);
    double dash[4];
    for (int i = 0; i < DASH_N[d]; i++) dash[i] = DASHES[d][i] * lw;
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, lw);
    cairo_set_dash(cr, dash, DASH_N[d], 0);
}

/* The series' marker at (x, y), of radius about r, filled in the series' colour, rimmed white. */
static void marker(cairo_t *cr, const plot_series *s, double x, double y, double r, double lw) {
    static const double SHAPES[][4][2] = {
        {{0}},                                                /* circle */
        {{-.85, -.85}, {.85, -.85}, {.85, .85}, {-.85, .85}}, /* square */
        {{0, -1.2}, {1.05, .65}, {-1.05, .65}, {0, -1.2}},    /* triangle */
        {{0, -1.2}, {1.2, 0}, {0, 1.2}, {-1.2, 0}},           /* diamond */
    };
    const int m = (int)((size_t)s->style % N_MARKERS);
    cairo_save(cr);
    set_line(cr, s, lw);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_new_path(cr);
    if (m == 0)
        cairo_arc(cr, x, y, r, 0, 2 * PI);
    else
        for (int i = 0; i < 4; i++)
            cairo_line_to(cr, x + SHAPES[m][i][0] * r, y + SHAPES[m][i][1] * r);
    cairo_close_path(cr);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, lw * 0.6);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Each point's bar from y - err to y + err, with caps as wide as a marker, solid. */
static void error_bars(cairo_t *cr, const frame *f, const plot_series *s, double lw, double r) {
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, lw * 0.8);
    for (int k = 0; k < s->n; k++) {
        const double e = s->y_err[k];
        if (!(e > 0)) continue;
        const double x = map_x(f, s->points[k].x);
        const double lo = map_y(f, s->points[k].y - e), hi = map_y(f, s->points[k].y + e);
        cairo_move_to(cr, x, lo);
        cairo_line_to(cr, x, hi);
        cairo_move_to(cr, x - r, lo);
        cairo_line_to(cr, x + r, lo);
        cairo_move_to(cr, x - r, hi);
        cairo_line_to(cr, x + r, hi);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void draw_series(cairo_t *cr, const frame *f, const plot_panel *p, double lw, double r) {
    cairo_save(cr);
    cairo_rectangle(cr, f->px - r - lw, f->py - r - lw, f->pw + 2 * (r + lw), f->ph + 2 * (r + lw));
    cairo_clip(cr);
    for (int i = 0; i < p->n_series; i++) {
        const plot_series *s = &p->series[i];
        set_line(cr, s, lw);
        for (int k = 0; k < s->n; k++)
            cairo_line_to(cr, map_x(f, s->points[k].x), map_y(f, s->points[k].y));
        cairo_stroke(cr);
        if (s->y_err) error_bars(cr, f, s, lw, r);
    }
    /* the markers over all lines */
    for (int i = 0; i < p->n_series; i++)
        for (int k = 0; k < p->series[i].n; k++)
            marker(cr, &p->series[i], map_x(f, p->series[i].points[k].x),
                   map_y(f, p->series[i].points[k].y), r, lw);
    cairo_restore(cr);
}

/* The legend's sizes: a row per series, a line sample, the names cut to fit max_w in all. */
typedef struct legend {
    double row, pad, sample, text_w, w; /* w: 0 for no legend */
} legend;

static legend legend_size(cairo_t *cr, const plot_panel *p, double max_w, double fs) {
    legend g = {fs * 1.45, fs * 0.6, fs * 2.6, 0, 0};
    const double text_max = max_w - g.pad * 3 - g.sample;
    for (int i = 0; i < p->n_series; i++) {
        const double w = text_width(cr, p->series[i].name);
        if (w > g.text_w) g.text_w = w;
    }
    if (g.text_w > text_max) g.text_w = text_max;
    g.w = g.pad * 3 + g.sample + g.text_w;
    if (!p->n_series || text_max < fs * 2) g.w = 0;
    return g;
}

/* The legend at (x, y), rows down to y_end; entries that do not fit are counted, not named. */
static void draw_legend(cairo_t *cr, const plot_panel *p, const legend *g, double x, double y,
                        double y_end, double lw, double r) {
    int rows = (int)((y_end - y - 2 * g->pad) / g->row);
    if (!g->w || rows < 1) return;
    if (rows > p->n_series) rows = p->n_series;
    const int shown = rows < p->n_series ? rows - 1 : rows;
    const double h = g->pad * 2 + g->row * rows;
    cairo_save(cr);
    cairo_rectangle(cr, floor(x) + 0.5, floor(y) + 0.5, floor(g->w), floor(h));
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    char name[256];
    for (int i = 0; i < rows; i++) {
        const double cy = y + g->pad + g->row * (i + 0.5), tx = x + g->pad * 2 + g->sample;
        if (i == shown) {
            snprintf(name, sizeof name, "%d more", p->n_series - shown);
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
            text_at(cr, tx, cy, 0, 0.5, name);
            break;
        }
        const plot_series *s = &p->series[i];
        set_line(cr, s, lw);
        cairo_move_to(cr, x + g->pad, cy);
        cairo_line_to(cr, x + g->pad + g->sample, cy);
        cairo_stroke(cr);
        marker(cr, s, x + g->pad + g->sample / 2, cy, r, lw);
        fit_text(cr, s->name, g->text_w + 0.5, name, sizeof name);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, tx, cy, 0, 0.5, name);
    }
    cairo_restore(cr);
}

/* The data's range: x from min(0, smallest x), y as the panel says (before rounding to ticks). */
static void data_range(const plot_panel *p, frame *f) {
    double lo = INFINITY, hi = -INFINITY;
    f->x0 = 0, f->x1 = 0;
    for (int i = 0; i < p->n_series; i++)
        for (int k = 0; k < p->series[i].n; k++) {
            const plot_point q = p->series[i].points[k];
            if (q.x < f->x0) f->x0 = q.x;
            if (q.x > f->x1) f->x1 = q.x;
            const double e =
                p->series[i].y_err && p->series[i].y_err[k] > 0 ? p->series[i].y_err[k] : 0;
            if (q.y - e < lo) lo = q.y - e;
            if (q.y + e > hi) hi = q.y + e;
        }
    if (f->x1 <= f->x0) f->x1 = f->x0 + 1;
    if (p->x_names) f->x0 = 0.5, f->x1 = p->n_x_names + 0.5;
    if (!p->y_auto || lo > hi) { /* a fixed range, or no points */
        lo = isfinite(p->y_min) ? p->y_min : 0;
        hi = isfinite(p->y_max) ? p->y_max : lo + 1;
    } else {
        /* values (nearly) all equal: 5 % of their size, so that ticks stay few */
        const double size = fmax(fabs(lo), fabs(hi));
        const double margin = hi - lo > 1e-6 * size ? 0.04 * (hi - lo)
                              : size > 0            ? 0.05 * size
                                                    : 0.5;
        lo -= margin, hi += margin;
    }
    f->y0 = lo, f->y1 = hi > lo ? hi : lo + 1;
}

static void select_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* The x ticks' step: about one tick per 7 label heights (4 for whole numbers), fewer where the
 * labels need it. */
static double x_tick_step(cairo_t *cr, const frame *f, double fs, int integer) {
    const double range = f->x1 - f->x0;
    double step = nice_step(range, (int)(f->pw / (fs * (integer ? 4 : 7))), integer);
    for (int i = 0; i < 30; i++, step = step_up(step))
        if (widest_label(cr, f->x0, f->x1, step, 0) + fs * 1.5 <= f->pw * step / range) break;
    return step;
}

/* One panel in the rectangle (X, Y, W, H) at font size fs. */
static void draw_panel(cairo_t *cr, const plot_panel *p, double X, double Y, double W, double H,
                       double fs) {
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    const double line_h = fe.ascent + fe.descent, tick = fs * 0.4;
    const double lw = fs / 7 > 1.5 ? fs / 7 : 1.5, r = fs / 3.5;
    frame f;
    data_range(p, &f);
    f.py = Y + (p->title ? fs * 0.5 + line_h * 1.15 + fs * 0.6 : fs * 0.8);
    f.ph = Y + H - f.py - (tick * 1.6 + line_h + fs * 0.5 + line_h + fs * 0.6);
    if (f.ph < 1) f.ph = 1;
    /* y ticks: about one per 3.5 label heights; an automatic range rounded out to whole ticks */
    f.y_step = nice_step(f.y1 - f.y0, (int)(f.ph / (fs * 3.5)), 0);
    if (p->y_auto) {
        f.y0 = floor(f.y0 / f.y_step + 1e-9) * f.y_step;
        f.y1 = ceil(f.y1 / f.y_step - 1e-9) * f.y_step;
        if (f.y0 < p->y_min) f.y0 = p->y_min;
        if (f.y1 > p->y_max) f.y1 = p->y_max;
    }
    /* Margins: the y tick labels' width (measured on the widest), the y title, the legend. */
    const double label_w = widest_label(cr, f.y0, f.y1, f.y_step, p->y_percent);
    f.px = X + fs * 0.6 + (p->y_title ? line_h + fs * 0.6 : 0) + label_w + tick * 1.6;
    const legend g = legend_size(cr, p, 0.4 * W, fs);
    f.pw = X + W - f.px - (g.w ? g.w + fs * 1.4 : fs * 1.5);
    if (f.pw < 1) f.pw = 1;
    f.x_step = 1;
    if (!p->x_names) {
        f.x_step = x_tick_step(cr, &f, fs, p->x_integer);
        /* the x range rounded up to a whole tick */
        const double x_last = f.x1, room = 0.03 * (f.x1 - f.x0);
        f.x1 = ceil(f.x1 / f.x_step - 1e-9) * f.x_step;
        if (f.x1 - x_last < room) f.x1 = x_last + room; /* the last markers clear of the frame */
    }

    draw_axes(cr, &f, p, tick);
    draw_series(cr, &f, p, lw, r);
    draw_legend(cr, p, &g, f.px + f.pw + fs * 0.8, f.py, f.py + f.ph, lw, r);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (p->x_title) text_at(cr, f.px + f.pw / 2, Y + H - fs * 0.6, 0.5, 1, p->x_title);
    if (p->y_title) {
        cairo_save(cr);
        cairo_translate(cr, X + fs * 0.6, f.py + f.ph / 2);
        cairo_rotate(cr, -PI / 2);
        text_at(cr, 0, 0, 0.5, 0, p->y_title);
        cairo_restore(cr);
    }
    if (p->title) {
        cairo_save(cr);
        select_font(cr, fs, 1);
        text_at(cr, f.px + f.pw / 2, Y + fs * 0.5, 0.5, 0, p->title);
        cairo_restore(cr);
    }
}

const char *plot_png(const char *path, const char *title, int width, int height,
                     const plot_panel *panels, int n_panels, char err[PLOT_ERR_LEN]) {
    const double W = width, H = height;
    /* One font size for all: about 1/42 of the figure's smaller side, less where a panel is
     * small, in [9, 28] pixels. */
    double fs = (W < H ? W : H) / 42;
    for (int i = 0; i < n_panels; i++) {
        const double w = panels[i].width * W, h = panels[i].height * H;
        if ((w < h ? w : h) / 30 < fs) fs = (w < h ? w : h) / 30;
    }
    fs = fs < 9 ? 9 : fs > 28 ? 28 : fs;
    const double title_h = title ? fs * 1.3 * 1.3 + fs * 1.4 : 0;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    if (title) {
        /* A title wider than the figure shrinks, down to the body's size, then loses its
         * middle: never cut off at the edges. */
        const double room = W - 2 * fs;
        select_font(cr, fs * 1.3, 1);
        const double w = text_width(cr, title);
        if (w > room) select_font(cr, fmax(fs, fs * 1.3 * room / w), 1);
        char shown[1024];
        fit_text(cr, title, room, shown, sizeof shown);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, W / 2, fs * 0.8, 0.5, 0, shown);
    }
    select_font(cr, fs, 0);
    for (int i = 0; i < n_panels; i++) {
        const plot_panel *p = &panels[i];
        draw_panel(cr, p, p->left * W, title_h + p->top * (H - title_h), p->width * W,
                   p->height * (H - title_h), fs);
    }

    const char *result = NULL;
    cairo_status_t st = cairo_status(cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, PLOT_ERR_LEN, "%s: cannot draw the plot (cairo: %s)", path,
                 cairo_status_to_string(st));
        result = err;
    } else {
        errno = 0;
        st = cairo_surface_write_to_png(surface, path);
        const int saved = errno;
        if (st != CAIRO_STATUS_SUCCESS) {
            snprintf(err, PLOT_ERR_LEN, "%s: cannot write the PNG (cairo: %s%s%s)", path,
                     cairo_status_to_string(st),
                     st == CAIRO_STATUS_WRITE_ERROR && saved ? ": " : "",
                     st == CAIRO_STATUS_WRITE_ERROR && saved ? strerror(saved) : "");
            result = err;
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return result;
}
