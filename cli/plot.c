#include "plot.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Line colours (the "tab10" palette), in series order, then again. */
static const double COLORS[][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}};
#define N_COLORS (sizeof COLORS / sizeof *COLORS)
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
    else
        snprintf(buf, cap, "%.*f", decimals(step), v);
}

static double text_width(cairo_t *cr, const char *s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
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

static void draw_axes(cairo_t *cr, const frame *f, const plot_spec *s, double fs) {
    char label[64];
    const double tick = fs * 0.4;
    cairo_set_line_width(cr, 1);
    /* grid and ticks */
    for (long k = first_tick(f->y0, f->y_step); k <= last_tick(f->y1, f->y_step); k++) {
        const double y = (double)k * f->y_step;
        const double Y = floor(map_y(f, y)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, f->px, Y);
        cairo_line_to(cr, f->px + f->pw, Y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, f->px - tick, Y);
        cairo_line_to(cr, f->px, Y);
        cairo_stroke(cr);
        tick_label(label, sizeof label, y, f->y_step, s->y_percent);
        text_at(cr, f->px - tick * 1.6, Y, 1, 0.5, label);
    }
    for (long k = first_tick(f->x0, f->x_step); k <= last_tick(f->x1, f->x_step); k++) {
        const double x = (double)k * f->x_step;
        const double X = floor(map_x(f, x)) + 0.5;
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, X, f->py);
        cairo_line_to(cr, X, f->py + f->ph);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, X, f->py + f->ph);
        cairo_line_to(cr, X, f->py + f->ph + tick);
        cairo_stroke(cr);
        tick_label(label, sizeof label, x, f->x_step, 0);
        text_at(cr, X, f->py + f->ph + tick * 1.6, 0.5, 0, label);
    }
    /* the frame */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, floor(f->px) + 0.5, floor(f->py) + 0.5, floor(f->pw), floor(f->ph));
    cairo_stroke(cr);
}

static void marker(cairo_t *cr, double x, double y, double r) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * PI);
}

static void draw_series(cairo_t *cr, const frame *f, const plot_series *series, int n, double fs) {
    const double lw = fs / 7 > 1.5 ? fs / 7 : 1.5, r = fs / 3.5;
    cairo_save(cr);
    cairo_rectangle(cr, f->px - r - lw, f->py - r - lw, f->pw + 2 * (r + lw), f->ph + 2 * (r + lw));
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int i = 0; i < n; i++) {
        const plot_series *s = &series[i];
        const double *c = COLORS[(size_t)i % N_COLORS];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, lw);
        for (int k = 0; k < s->n; k++)
            cairo_line_to(cr, map_x(f, s->points[k].x), map_y(f, s->points[k].y));
        cairo_stroke(cr);
        for (int k = 0; k < s->n; k++)
            marker(cr, map_x(f, s->points[k].x), map_y(f, s->points[k].y), r);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, lw * 0.6);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* The legend in the plot area's lower right corner (accuracy curves rise to the upper left). */
static void draw_legend(cairo_t *cr, const frame *f, const plot_series *series, int n, double fs) {
    const double row = fs * 1.5, pad = fs * 0.6, sample = fs * 2.2;
    double text_w = 0;
    for (int i = 0; i < n; i++) {
        const double w = text_width(cr, series[i].name);
        if (w > text_w) text_w = w;
    }
    const double w = pad * 3 + sample + text_w, h = pad * 2 + row * n;
    const double x = f->px + f->pw - w - fs, y = f->py + f->ph - h - fs;
    cairo_rectangle(cr, floor(x) + 0.5, floor(y) + 0.5, floor(w), floor(h));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int i = 0; i < n; i++) {
        const double *c = COLORS[(size_t)i % N_COLORS];
        const double cy = y + pad + row * (i + 0.5);
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, fs / 7 > 1.5 ? fs / 7 : 1.5);
        cairo_move_to(cr, x + pad, cy);
        cairo_line_to(cr, x + pad + sample, cy);
        cairo_stroke(cr);
        marker(cr, x + pad + sample / 2, cy, fs / 3.5);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, x + pad * 2 + sample, cy, 0, 0.5, series[i].name);
    }
}

const char *plot_png(const char *path, const plot_spec *s, const plot_series *series, int n_series,
                     char err[PLOT_ERR_LEN]) {
    const double W = s->width, H = s->height;
    double fs = (W < H ? W : H) / 42;
    fs = fs < 9 ? 9 : fs > 28 ? 28 : fs;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s->width, s->height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, fs);

    frame f;
    f.x0 = 0, f.x1 = 0;
    for (int i = 0; i < n_series; i++)
        for (int k = 0; k < series[i].n; k++) {
            const double x = series[i].points[k].x;
            if (x < f.x0) f.x0 = x;
            if (x > f.x1) f.x1 = x;
        }
    if (f.x1 <= f.x0) f.x1 = f.x0 + 1;
    f.y0 = s->y_min, f.y1 = s->y_max > s->y_min ? s->y_max : s->y_min + 1;

    /* Margins: the y tick labels' width (measured on the widest range ends), the text rows. */
    char label[64];
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    const double line_h = fe.ascent + fe.descent;
    f.y_step = nice_step(f.y1 - f.y0, (int)(H / (fs * 4)), 0);
    double label_w = 0;
    for (long k = first_tick(f.y0, f.y_step); k <= last_tick(f.y1, f.y_step); k++) {
        tick_label(label, sizeof label, (double)k * f.y_step, f.y_step, s->y_percent);
        const double w = text_width(cr, label);
        if (w > label_w) label_w = w;
    }
    f.px = fs * 1.2 + line_h + fs * 0.8 + label_w + fs * 0.7;
    f.py = fs * 1.3 * 1.6 + fs * 1.6;
    f.pw = W - f.px - fs * 2.5;
    f.ph = H - f.py - (fs * 1.2 + line_h * 2 + fs * 1.5);
    /* x ticks: about one per 7 label heights, the range rounded up to a whole tick */
    f.x_step = nice_step(f.x1 - f.x0, (int)(f.pw / (fs * 7)), s->x_integer);
    const double x_last = f.x1, room = 0.03 * (f.x1 - f.x0);
    f.x1 = ceil(f.x1 / f.x_step - 1e-9) * f.x_step;
    if (f.x1 - x_last < room) f.x1 = x_last + room; /* the last markers clear of the frame */

    draw_axes(cr, &f, s, fs);
    draw_series(cr, &f, series, n_series, fs);
    draw_legend(cr, &f, series, n_series, fs);
    /* titles */
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (s->x_title) text_at(cr, f.px + f.pw / 2, H - fs * 0.8, 0.5, 1, s->x_title);
    if (s->y_title) {
        cairo_save(cr);
        cairo_translate(cr, fs * 0.8, f.py + f.ph / 2);
        cairo_rotate(cr, -PI / 2);
        text_at(cr, 0, 0, 0.5, 0, s->y_title);
        cairo_restore(cr);
    }
    if (s->title) {
        cairo_set_font_size(cr, fs * 1.3);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        text_at(cr, f.px + f.pw / 2, fs * 0.9, 0.5, 0, s->title);
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
