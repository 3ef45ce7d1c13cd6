/* Line charts into PNG files, drawn with cairo (its toy text API for the text): one line with
 * markers per series, a legend, axes with ticks and tick labels, axis titles, a title and a
 * light grid. Used by ffcnn plot; knows nothing of ffcnn. */
#ifndef FFCNN_CLI_PLOT_H
#define FFCNN_CLI_PLOT_H

#include <stddef.h>

typedef struct plot_point {
    double x, y;
} plot_point;

typedef struct plot_series {
    const char *name; /* in the legend */
    const plot_point *points;
    int n;
} plot_series;

typedef struct plot_spec {
    const char *title, *x_title, *y_title;
    int width, height; /* pixels */
    /* The y range; y_percent shows y as a percentage (0.5 → "50%"). */
    double y_min, y_max;
    int y_percent;
    int x_integer; /* x ticks at whole numbers only (epochs) */
} plot_spec;

#define PLOT_ERR_LEN 512

/* Draws the series (n_series >= 1, each with n >= 1 finite points) and writes the PNG to path.
 * The x range runs from min(0, smallest x) to the largest x. NULL on success, else a one-line
 * message (in err) that names path when writing failed. */
const char *plot_png(const char *path, const plot_spec *spec, const plot_series *series,
                     int n_series, char err[PLOT_ERR_LEN]);

#endif
