#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, const char *flag, const char *text, const char *why) {
    snprintf(err, FFCNN_ERR_LEN, "%s: '%s' %s", flag, text, why);
    return FFCNN_EINVAL;
}

int parse_int(const char *flag, const char *text, long min, long max, int32_t *out, char *err) {
    char *end = NULL;
    if (isspace((unsigned char)text[0])) return fail(err, flag, text, "is not an integer");
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return fail(err, flag, text, "is not an integer");
    if (v < min || v > max) {
        snprintf(err, FFCNN_ERR_LEN, "%s: %ld is out of range %ld..%ld", flag, v, min, max);
        return FFCNN_EINVAL;
    }
    *out = (int32_t)v;
    return FFCNN_OK;
}

int parse_u64(const char *flag, const char *text, uint64_t *out, char *err) {
    char *end = NULL;
    errno = 0;
    if (!isdigit((unsigned char)text[0])) /* strtoull would skip spaces and wrap a '-' */
        return fail(err, flag, text, "is not a non-negative integer");
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return fail(err, flag, text, "is not a non-negative integer");
    *out = (uint64_t)v;
    return FFCNN_OK;
}

int parse_float(const char *flag, const char *text, double min, double max, float *out, char *err) {
    char *end = NULL;
    if (isspace((unsigned char)text[0])) return fail(err, flag, text, "is not a number");
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE)
        return fail(err, flag, text, "is not a number");
    if (!isfinite(v)) return fail(err, flag, text, "is not finite");
    if (v < min || v > max) {
        snprintf(err, FFCNN_ERR_LEN, "%s: %g is out of range [%g, %g]", flag, v, min, max);
        return FFCNN_EINVAL;
    }
    *out = (float)v;
    return FFCNN_OK;
}

/* The data sets with a held-out validation split, by name (a static string), or NULL. */
static const char *held_out_set(const char *text, size_t n) {
    static const char *const names[] = {"cifar10", "cifar100", "cifar100-coarse", "cifar10-jpeg",
                                        "folder"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (n == strlen(names[i]) && !strncmp(text, names[i], n)) return names[i];
    return NULL;
}

int parse_data(const char *text, char *dir, size_t cap, const char **name, char *err) {
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    const char *root = getenv("FFCNN_DATA");
    if (n == 5 && strncmp(text, "mnist", 5) == 0) {
        *name = "mnist";
        snprintf(dir, cap, "%s/mnist", root && *root ? root : "data");
    } else if (n == 7 && strncmp(text, "fashion", 7) == 0) {
        *name = "fashion";
        snprintf(dir, cap, "/usr/share/datasets/fashion-mnist");
    } else if (!(*name = held_out_set(text, n))) {
        return fail(err, "--data", text,
                    "is not mnist, fashion, cifar10, cifar100, cifar100-coarse, cifar10-jpeg "
                    "(optionally :DIR) or folder:DIR");
    } else if (!strcmp(*name, "folder") && !colon) {
        return fail(err, "--data", text, "needs its directory: folder:DIR");
    } else {
        snprintf(dir, cap, "%s/%s%s", root && *root ? root : "data",
                 !strcmp(*name, "cifar100-coarse") ? "cifar100" : *name,
                 !strcmp(*name, "cifar10-jpeg") ? "/train" : "");
    }
    if (colon) {
        if (colon[1] == '\0') return fail(err, "--data", text, "has an empty directory");
        snprintf(dir, cap, "%s", colon + 1);
    }
    return FFCNN_OK;
}
