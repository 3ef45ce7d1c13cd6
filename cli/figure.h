/* Figures into PNG files, drawn with cairo (its toy text API for the text), for ffcnn cam,
 * ffcnn labels and ffcnn eval --confusion-png: class activation maps, label patterns with
 * samples, a confusion matrix. Like plot.h it knows nothing of ffcnn: plain arrays in, a PNG out.
 *
 * Every function returns NULL on success, else a one-line message in err (which names the path
 * when writing fails). Every figure has a white background; its size follows from its content
 * (the *_size functions return it without drawing). Text pointers may be NULL where a field says
 * so; all text is UTF-8. */
#ifndef FFCNN_CLI_FIGURE_H
#define FFCNN_CLI_FIGURE_H

#include <stdint.h>

#define FIGURE_ERR_LEN 512

/* A pixel rectangle of a figure: left, top, width, height. */
typedef struct figure_rect {
    int x, y, w, h;
} figure_rect;

/* ---- Class activation maps -------------------------------------------------------------------
 * A grid with one row per class shown, a thin rule between rows. Each row repeats the input
 * image in its first column ("input"), then the row's layer maps, then its sum map (the sums
 * share the last column, a little apart from the layer maps). Every map is drawn in a square panel
 * of the same size, each map value one block of panel/max(h, w) pixels (nearest neighbour, no
 * smoothing): a 14x14 map shows 14x14 blocks. Colour: diverging, blue negative, white 0, red
 * positive (ColorBrewer RdBu), symmetric about 0 with its own range [-r, r] per panel, r the
 * largest |value| of that panel (1e-12 when all are 0); under each panel a colour bar labelled
 * -r, 0, +r (%.3g). Non-finite values are drawn mid grey and left out of r; the caption then
 * says so. A caption line at the bottom states all this (or the caller's caption). */

/* One map: values[i * w + j] for row i (from the top) and column j, h, w in 1..4096. */
typedef struct figure_map {
    const char *title;   /* above the panel, e.g. "layer 2"; NULL: none */
    const float *values; /* h * w values, row-major */
    int h, w;            /* the map's own resolution (shown under the title, e.g. "14×14") */
} figure_map;

/* One row: a class. */
typedef struct figure_cam_row {
    const char *title;      /* above the row, e.g. "class 7 (predicted), logit 5.32"; NULL: none */
    const figure_map *maps; /* n_maps layer maps, left to right, each at its own resolution */
    int n_maps;             /* 0..32 */
    figure_map sum;         /* the last panel, e.g. titled "sum (layers 2-3)", usually at the
                               input's size; sum.values NULL: no sum panel */
} figure_cam_row;

typedef struct figure_cam_spec {
    const char *title;          /* at the top of the figure; NULL: none */
    const uint8_t *image;       /* the input, planar [channels][height][width], 0 black .. 255 */
    int channels;               /* 1 (grey) or 3 (RGB) */
    int height, width;          /* 1..4096 */
    const figure_cam_row *rows; /* n_rows rows, top to bottom */
    int n_rows;                 /* 1..100; rows may have different numbers of maps */
    int panel;           /* a panel's side in pixels, 48..1024; 0: the input's longer side times the
                            smallest whole number that makes it >= 160 (28 -> 168, 32 -> 160) */
    const char *caption; /* the line(s) at the bottom, wrapped to the figure's width; NULL: the
                            default described above; "": none */
} figure_cam_spec;

/* The figure's width and height in pixels, without drawing. */
const char *figure_cam_size(const figure_cam_spec *spec, int *width, int *height,
                            char err[FIGURE_ERR_LEN]);
/* Where a panel's picture is drawn: column 0 is the input, 1..n_maps the row's layer maps,
 * n_maps + 1 its sum. The rectangle covers exactly the map's blocks (a non-square map is
 * centred in the square panel). */
const char *figure_cam_panel(const figure_cam_spec *spec, int row, int col, figure_rect *rect,
                             char err[FIGURE_ERR_LEN]);
const char *figure_cam_png(const char *path, const figure_cam_spec *spec, char err[FIGURE_ERR_LEN]);

/* ---- Label patterns and samples --------------------------------------------------------------
 * First the class patterns and then the neutral pattern in a grid (at most per_row panels a
 * row), then, under a thin rule and centred, one row with the sample image, its positive and its
 * negative. All columns are as wide as the widest picture (or title). Each value is a
 * scale x scale block (nearest neighbour). One channel is drawn grey, three as RGB. */

/* A picture: values[(c * h + i) * w + j], channel c, row i, column j. */
typedef struct figure_picture {
    const char *title;   /* above the panel; NULL: the default named in figure_labels_spec */
    const float *values; /* channels * h * w values, planar; a non-finite one is refused */
    int channels;        /* 1 (grey) or 3 (RGB) */
    int h, w;            /* 1..1024 */
} figure_picture;

typedef struct figure_labels_spec {
    const char *title;              /* at the top; NULL: none */
    const figure_picture *patterns; /* the class patterns, class 0 first; titles NULL: "class k" */
    int n_patterns;                 /* K, 2..100 */
    figure_picture neutral; /* after the class patterns; values NULL: none; title NULL: "neutral" */
    /* The patterns' (and neutral's) value drawn black (lo) and white (hi), values clamped; lo >= hi
     * (e.g. both 0): each pattern stretched from its own minimum to its own maximum. */
    float lo, hi;
    /* The sample row, drawn with 0 black and 1 white, values clamped to [0, 1]. Each may be left
     * out (values NULL); titles NULL: "image", "positive", "negative" (a caller writes the labels
     * in, e.g. "positive (label 7)", "negative (label 3)"). No sample row when all three are NULL.
     */
    figure_picture image, positive, negative;
    int scale;           /* display pixels per value, 1..32; 0: 4 */
    int per_row;         /* panels per grid row, 1..100; 0: all in one row when they are at most 12
                            (e.g. 10 classes and the neutral), else 10 */
    const char *caption; /* NULL: a default naming the scale and ranges; "": none */
} figure_labels_spec;

const char *figure_labels_size(const figure_labels_spec *spec, int *width, int *height,
                               char err[FIGURE_ERR_LEN]);
const char *figure_labels_png(const char *path, const figure_labels_spec *spec,
                              char err[FIGURE_ERR_LEN]);

/* ---- Confusion matrix ------------------------------------------------------------------------
 * An n x n grid, true class down (y axis "true"), predicted class across (x axis "predicted"),
 * class names as tick labels (turned upright when wider than a cell). Each cell is shaded from
 * white (count 0) to dark blue (the largest count) on log(1 + count) (ColorBrewer Blues), so
 * the few errors stay visible next to the diagonal; a colour bar on the right shows the scale.
 * Each cell prints its count (white on dark cells, black on light, zeros light grey) unless the
 * cells are too small for the largest count's digits (large n): the caption then says so. */
typedef struct figure_confusion_spec {
    const char *title;     /* at the top; NULL: none */
    const char *subtitle;  /* under the title, e.g. "accuracy 97.32 % on 10000 test images"; NULL:
                              none */
    int n;                 /* classes, 2..100 */
    const int32_t *counts; /* counts[t * n + p]: images of true class t predicted p; all >= 0 */
    const char *const *names; /* n class names for the tick labels; NULL: "0" .. "n-1" */
    int cell;                 /* a cell's side in pixels, 8..200; 0: from n and the largest count */
    const char *caption;      /* NULL: a default naming the shading; "": none */
} figure_confusion_spec;

const char *figure_confusion_size(const figure_confusion_spec *spec, int *width, int *height,
                                  char err[FIGURE_ERR_LEN]);
/* Where the cell of true class t and predicted class p is drawn. */
const char *figure_confusion_cell(const figure_confusion_spec *spec, int t, int p,
                                  figure_rect *rect, char err[FIGURE_ERR_LEN]);
const char *figure_confusion_png(const char *path, const figure_confusion_spec *spec,
                                 char err[FIGURE_ERR_LEN]);

#endif
