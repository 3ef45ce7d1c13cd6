#include "golden_fixture.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define MAX_RECORDS 128
#define MAX_DIMS 8

static char loaded_path[256];

/* ---- the fixture: "FFGOLD1\n", then {u32 name_len, name, u32 ndim, u32 dims, f32 data} ---- */

typedef struct gold_rec {
    char name[64];
    uint32_t ndim, dims[MAX_DIMS];
    size_t n;
    float *data;
} gold_rec;

static gold_rec recs[MAX_RECORDS];
static int nrec;

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_u32(FILE *f, uint32_t *v) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return -1;
    *v = le32(b);
    return 0;
}

/* Returns 0 on success; a message on stderr and -1 on a malformed file. */
int gold_load(const char *path) {
    snprintf(loaded_path, sizeof loaded_path, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open (run from tests/, or pass the path)\n", path);
        return -1;
    }
    char magic[8];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "FFGOLD1\n", 8) != 0) {
        fprintf(stderr, "%s: bad magic\n", path);
        fclose(f);
        return -1;
    }
    uint32_t len;
    while (read_u32(f, &len) == 0) {
        gold_rec *r = &recs[nrec];
        if (nrec == MAX_RECORDS || len == 0 || len >= sizeof r->name ||
            fread(r->name, 1, len, f) != len || read_u32(f, &r->ndim) || r->ndim > MAX_DIMS)
            goto bad;
        r->name[len] = '\0';
        r->n = 1;
        for (uint32_t d = 0; d < r->ndim; d++) {
            if (read_u32(f, &r->dims[d]) || r->dims[d] > (1u << 24)) goto bad;
            r->n *= r->dims[d];
        }
        unsigned char *raw = malloc(r->n * 4);
        r->data = malloc(r->n * sizeof(float));
        if (!raw || !r->data || fread(raw, 4, r->n, f) != r->n) {
            free(raw);
            goto bad;
        }
        for (size_t i = 0; i < r->n; i++) {
            uint32_t u = le32(raw + 4 * i);
            memcpy(&r->data[i], &u, 4);
        }
        free(raw);
        nrec++;
    }
    fclose(f);
    return 0;
bad:
    fprintf(stderr, "%s: malformed record %d\n", path, nrec);
    fclose(f);
    return -1;
}

void gold_free(void) {
    for (int i = 0; i < nrec; i++) free(recs[i].data);
    nrec = 0;
}

/* The record prefix+name with exactly n elements, or NULL (a failed check). */
const float *gold(const char *prefix, const char *name, size_t n) {
    char full[96];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    for (int i = 0; i < nrec; i++)
        if (strcmp(recs[i].name, full) == 0) {
            CHECK(recs[i].n == n, "record %s has %zu values, expected %zu", full, recs[i].n, n);
            return recs[i].n == n ? recs[i].data : NULL;
        }
    CHECK(0, "record %s missing from %s", full, loaded_path);
    return NULL;
}

/* ---- comparison: every element, report the worst ---- */

void compare(const char *prefix, const char *what, const double *got, const float *want, size_t n,
             enum cmp_mode mode, double tol) {
    if (!want) return; /* missing record: already a failure */
    double scale_max = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(want[i]) > scale_max) scale_max = fabs(want[i]);
    size_t worst_i = 0;
    double worst_ratio = -1.0, worst_err = 0.0; /* ratio = error / allowed */
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        double bound = mode == CMP_ABS       ? tol
                       : mode == CMP_REL_MAX ? tol * (scale_max > 0 ? scale_max : 1.0)
                                             : tol * (fabs(want[i]) > 1.0 ? fabs(want[i]) : 1.0);
        double err = fabs(got[i] - (double)want[i]);
        if (!isfinite(got[i])) finite = 0, err = INFINITY;
        if (err / bound > worst_ratio) worst_ratio = err / bound, worst_i = i, worst_err = err;
    }
    const char *kind = mode == CMP_ABS ? "abs" : mode == CMP_REL_MAX ? "rel-to-max" : "rel";
    printf("  %-10s %6zu values  worst |err| %.3e at [%zu] (got %.9g, want %.9g)  %s tol %g"
           "  (%.2g of allowed)\n",
           what, n, worst_err, worst_i, got[worst_i], (double)want[worst_i], kind, tol,
           worst_ratio);
    CHECK(finite && worst_ratio <= 1.0,
          "%s%s: worst element [%zu] of %zu: got %.9g, want %.9g, |err| %.3e > %s tol %g", prefix,
          what, worst_i, n, got[worst_i], (double)want[worst_i], worst_err, kind, tol);
}

void compare_f(const char *prefix, const char *what, const float *got, const float *want, size_t n,
               enum cmp_mode mode, double tol) {
    double *g = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) g[i] = got[i];
    compare(prefix, what, g, want, n, mode, tol);
    free(g);
}
