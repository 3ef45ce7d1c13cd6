/* The golden fixtures that tests/golden/make_golden*.py write with PyTorch: the reader, and an
 * every-element comparison that prints each tensor's worst element and names it on failure. */
#ifndef FFCNN_GOLDEN_FIXTURE_H
#define FFCNN_GOLDEN_FIXTURE_H

#include <stddef.h>

enum cmp_mode {
    CMP_REL,     /* |a-b| <= tol * max(1, |b|) per element */
    CMP_REL_MAX, /* |a-b| <= tol * max over the tensor of |b| */
    CMP_ABS      /* |a-b| <= tol */
};

/* Reads a fixture ("FFGOLD1\n", then {u32 name_len, name, u32 ndim, u32 dims, f32 data} until
 * the end); 0 on success, else a message on stderr and -1. */
int gold_load(const char *path);
void gold_free(void);
/* The record prefix+name with exactly n elements, or NULL (a failed check). */
const float *gold(const char *prefix, const char *name, size_t n);
/* Checks got against want element by element; a failed check names the worst element. */
void compare(const char *prefix, const char *what, const double *got, const float *want, size_t n,
             enum cmp_mode mode, double tol);
void compare_f(const char *prefix, const char *what, const float *got, const float *want, size_t n,
               enum cmp_mode mode, double tol);

#endif
