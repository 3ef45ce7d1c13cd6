/* Small shared helpers: error messages, aligned allocation, overflow-checked sizes. */
#ifndef FFCNN_UTIL_H
#define FFCNN_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Writes a formatted one-line message into err (FFCNN_ERR_LEN bytes) and returns code. */
int ff_fail(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 64-byte aligned, zeroed allocation; NULL on failure or overflow of n * size. */
void *ff_calloc(size_t n, size_t size);
void ff_free(void *p);

/* a * b into *out; returns 0 if it overflowed size_t. */
static inline int ff_mul_ok(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

double ff_now_seconds(void);

/* Reads a whole file into *out (malloc'd, *len bytes), gzip'd files decompressed (zlib reads
 * plain ones as they are). The buffer grows with what is really there, so a forged header
 * cannot make a reader allocate more than the file holds. FFCNN_EIO when it cannot be opened
 * or read, FFCNN_EFORMAT past max_bytes or for a corrupt gzip stream, FFCNN_ENOMEM. */
int ff_read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *len, char *err);

/* Denormal floats flushed to zero (x86 MXCSR FTZ and DAZ) on the calling thread and the
 * `threads` OpenMP workers, for the span of a training epoch or an evaluation. Late in
 * training the FF gradient coefficients saturate towards zero and their products are
 * denormal, which x86 cores compute many times slower: a late epoch of the default network
 * ran 2.3x slower without this (docs/performance.md). Values below 1.2e-38 become 0; results
 * stay deterministic. begin returns the calling thread's previous mode, end restores it (and
 * sets the workers to it). A no-op where the CPU is not x86. */
unsigned ff_flush_denormals_begin(int threads);
void ff_flush_denormals_end(unsigned saved, int threads);

#ifdef _OPENMP
#include <omp.h>
static inline int omp_thread(void) {
    return omp_get_thread_num();
}
#else
static inline int omp_thread(void) {
    return 0;
}
#endif

#endif
