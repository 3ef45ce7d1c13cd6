/* Image-folder reader: DIR/<class>/<image>, one sub-folder per class. Class names are the
 * sub-folders' names sorted bytewise, images are the PNG, JPEG, PGM and PPM files of each (by
 * name; decoded by content through ffcnn_image_load), sorted by name, stored class by class. The
 * whole tree is listed and checked before any image is decoded, so a layout problem is reported
 * at once and the dataset is allocated once. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ffcnn.h"
#include "util.h"

#define FOLDER_MAX_SIDE 4096
#define FOLDER_MAX_CLASSES 256 /* labels are bytes */
#define FOLDER_MAX_IMAGES 100000000

/* A growing list of names. */
typedef struct name_list {
    char **name;
    size_t n, cap;
} name_list;

static void list_free(name_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->name[i]);
    free(l->name);
    memset(l, 0, sizeof *l);
}

static int list_add(name_list *l, const char *name) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **grown = realloc(l->name, cap * sizeof *grown);
        if (!grown) return -1;
        l->name = grown, l->cap = cap;
    }
    const size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy) return -1;
    memcpy(copy, name, len);
    l->name[l->n++] = copy;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_image_name(const char *name) {
    static const char *const ext[] = {".png", ".jpg", ".jpeg", ".pgm", ".ppm"};
    const size_t len = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        const size_t e = strlen(ext[i]);
        if (len > e && strcasecmp(name + len - e, ext[i]) == 0) return 1;
    }
    return 0;
}

/* dir/name into path (cap bytes); FFCNN_EINVAL when it does not fit. */
static int join(char *path, size_t cap, const char *dir, const char *name, char *err) {
    int len = snprintf(path, cap, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= cap)
        return ff_fail(err, FFCNN_EINVAL, "%s/%s: path too long", dir, name);
    return FFCNN_OK;
}

/* The non-hidden entries of dir whose type (after following links) is a directory (want_dir) or
 * a regular file with an image name, sorted bytewise. */
static int list_dir(const char *dir, int want_dir, name_list *out, char *err) {
    DIR *d = opendir(dir);
    if (!d) return ff_fail(err, FFCNN_EIO, "%s: cannot open directory (%s)", dir, strerror(errno));
    int rc = FFCNN_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno) rc = ff_fail(err, FFCNN_EIO, "%s: cannot list (%s)", dir, strerror(errno));
            break;
        }
        if (e->d_name[0] == '.') continue; /* ".", ".." and hidden entries */
        if (!want_dir && !is_image_name(e->d_name)) continue;
        char path[4096];
        struct stat st;
        if ((rc = join(path, sizeof path, dir, e->d_name, err))) break;
        if (stat(path, &st) != 0) continue; /* a dangling link: not an image or class */
        if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) continue;
        if (list_add(out, e->d_name)) {
            rc = ff_fail(err, FFCNN_ENOMEM, "%s: out of memory listing it", dir);
            break;
        }
    }
    closedir(d);
    if (rc) return rc;
    if (out->n) qsort(out->name, out->n, sizeof *out->name, by_name);
    return FFCNN_OK;
}

int ffcnn_dataset_load_folder(ffcnn_dataset *ds, const char *dir, int channels, int height,
                              int width, char (*names)[64], int max_classes, int *n_classes,
                              char *err) {
    if (!ds || !dir) return ff_fail(err, FFCNN_EINVAL, "image folder: no dataset or directory");
    memset(ds, 0, sizeof *ds);
    if (n_classes) *n_classes = 0;
    if (channels != 1 && channels != 3)
        return ff_fail(err, FFCNN_EINVAL, "image folder: channels %d is not 1 or 3", channels);
    if (height < 1 || height > FOLDER_MAX_SIDE || width < 1 || width > FOLDER_MAX_SIDE)
        return ff_fail(err, FFCNN_EINVAL, "image folder: size %dx%d is not in 1..%d", height, width,
                       FOLDER_MAX_SIDE);
    if (max_classes < 1)
        return ff_fail(err, FFCNN_EINVAL, "image folder: max_classes %d is below 1", max_classes);
    const int limit = max_classes < FOLDER_MAX_CLASSES ? max_classes : FOLDER_MAX_CLASSES;
    struct stat st;
    if (stat(dir, &st) != 0)
        return ff_fail(err, FFCNN_EIO, "%s: cannot open directory (%s)", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return ff_fail(err, FFCNN_EIO, "%s: not a directory", dir);

    name_list classes = {0};
    name_list files[FOLDER_MAX_CLASSES];
    memset(files, 0, sizeof files);
    int rc = list_dir(dir, 1, &classes, err);
    if (!rc && classes.n == 0)
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: no class folders (one sub-folder per class expected)",
                     dir);
    if (!rc && classes.n > (size_t)limit)
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: %zu class folders, more than the %d allowed", dir,
                     classes.n, limit);
    for (size_t c = 0; !rc && c < classes.n; c++)
        if (strlen(classes.name[c]) > 63)
            rc = ff_fail(err, FFCNN_EFORMAT, "%s/%s: class name longer than 63 bytes", dir,
                         classes.name[c]);
    /* every class's images, listed before anything is decoded */
    size_t total = 0;
    for (size_t c = 0; !rc && c < classes.n; c++) {
        char sub[4096];
        rc = join(sub, sizeof sub, dir, classes.name[c], err);
        if (!rc) rc = list_dir(sub, 0, &files[c], err);
        if (!rc && files[c].n == 0)
            rc = ff_fail(err, FFCNN_EFORMAT,
                         "%s: no images (.png, .jpg, .jpeg, .pgm or .ppm files)", sub);
        total += files[c].n;
        if (!rc && total > FOLDER_MAX_IMAGES)
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: more than %d images", dir, FOLDER_MAX_IMAGES);
    }
    const size_t len = (size_t)channels * height * width;
    size_t bytes = 0;
    if (!rc && !ff_mul_ok(total, len, &bytes))
        rc = ff_fail(err, FFCNN_ENOMEM, "%s: %zu images of %zu bytes overflow memory", dir, total,
                     len);
    if (!rc) {
        ds->pixels = malloc(bytes);
        ds->labels = malloc(total);
        if (!ds->pixels || !ds->labels)
            rc = ff_fail(err, FFCNN_ENOMEM, "%s: out of memory for %zu images of %dx%dx%d", dir,
                         total, channels, height, width);
    }
    size_t at = 0;
    for (size_t c = 0; !rc && c < classes.n; c++) {
        for (size_t i = 0; !rc && i < files[c].n; i++, at++) {
            char path[4096];
            ffcnn_image img;
            rc = snprintf(path, sizeof path, "%s/%s/%s", dir, classes.name[c], files[c].name[i]) <
                         (int)sizeof path
                     ? FFCNN_OK
                     : ff_fail(err, FFCNN_EINVAL, "%s/%s/%s: path too long", dir, classes.name[c],
                               files[c].name[i]);
            if (!rc) rc = ffcnn_image_load(&img, path, err);
            if (rc) break;
            char why[FFCNN_ERR_LEN];
            rc = ffcnn_image_prepare(&img, channels, height, width, FFCNN_INVERT_NO,
                                     FFCNN_FIT_STRETCH, ds->pixels + at * len, NULL, why);
            if (rc) ff_fail(err, rc, "%s: %s", path, why);
            ffcnn_image_free(&img);
            ds->labels[at] = (uint8_t)c;
        }
    }
    if (!rc) {
        ds->n = (int32_t)total;
        ds->channels = channels;
        ds->height = height;
        ds->width = width;
        if (names)
            for (size_t c = 0; c < classes.n; c++) snprintf(names[c], 64, "%s", classes.name[c]);
        if (n_classes) *n_classes = (int)classes.n;
    } else {
        ffcnn_dataset_free(ds);
    }
    for (size_t c = 0; c < classes.n && c < FOLDER_MAX_CLASSES; c++) list_free(&files[c]);
    list_free(&classes);
    return rc;
}
