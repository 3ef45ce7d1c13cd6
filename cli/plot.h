/* Line charts into PNG files, drawn with cairo (its toy text API for the text): a figure of one
 * or more panels under a title; each panel has its title, axes with ticks and tick labels, axis
 * titles, a light grid, one line with markers per series and a legend right of its plot area.
 * Used by ffcnn plot; knows nothing of ffcnn. */
#ifndef FFCNN_CLI_PLOT_H
#define FFCNN_CLI_PLOT_H

#include <stddef.h>

typedef struct plot_point {
    double x, y;
} plot_point;

typedef struct plot_series {
    const char *name; /* in the legend */
    const plot_point *points;
    int n;     /* >= 1 finite points */
    int color; /* index into the palette (matplotlib's "tab10", cycled) */
    /* The line's dash pattern and marker shape, cycled independently: dashes solid, dashed,
     * dotted, dash-dot, fine dashes; markers circle, square, triangle, diamond. */
    int style;
    /* Error bars: y_err[k] is the half-height of point k's bar (0: none); NULL: no bars. */
    const double *y_err;
} plot_series;

typedef struct plot_panel {
    const char *title, *x_title, *y_title; /* each may be NULL */
    const plot_series *series;
    int n_series; /* may be 0: the axes alone */
    /* The y range: [y_min, y_max], or with y_auto the data's range with a margin, on whole ticks,
     * kept within [y_min, y_max] (which may be infinite). y_percent shows y as a percentage
     * (0.5 → "50%"). The x range runs from min(0, smallest x) to the largest x. */
    double y_min, y_max;
    int y_auto, y_percent;
    int x_integer; /* x ticks at whole numbers only (epochs) */
    /* Categories on x: point x = k (1..n_x_names) is drawn over the tick labelled x_names[k-1],
     * the axis running from 0.5 to n + 0.5; NULL: a numeric x axis. */
    const char *const *x_names;
    int n_x_names;
    /* Where the panel lies, in fractions of the figure below its title. */
    double left, top, width, height;
} plot_panel;

#define PLOT_ERR_LEN 512

/* Draws the panels under `title` (NULL: none) and writes a width x height PNG to path. NULL on
 * success, else a one-line message (in err) that names path. */
const char *plot_png(const char *path, const char *title, int width, int height,
                     const plot_panel *panels, int n_panels, char err[PLOT_ERR_LEN]);

#endif
