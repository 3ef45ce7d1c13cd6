/* madvise and MADV_HUGEPAGE are outside POSIX. */
#define _DEFAULT_SOURCE
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "ffcnn.h"

int ff_fail(char *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, FFCNN_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return code;
}

void *ff_calloc(size_t n, size_t size) {
    size_t bytes;
    if (!ff_mul_ok(n, size, &bytes)) return NULL;
    if (bytes == 0) bytes = 64;
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = NULL;
    /* Large buffers (the spectra, activations) go on 2 MiB pages where the kernel offers them
     * on request: the frequency-domain kernels stride across them, and with 4 KiB pages the
     * TLB misses cost several per cent of a training step. */
    const size_t huge = (size_t)2 << 20;
    const int big = bytes >= 2 * huge;
    if (posix_memalign(&p, big ? huge : 64, bytes) != 0) return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (big) madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure only costs speed */
#endif
    memset(p, 0, bytes);
    return p;
}

void ff_free(void *p) {
    free(p);
}

double ff_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define FTZ_DAZ 0x8040u /* MXCSR bits 15 (flush to zero) and 6 (denormals are zero) */

static void set_mode_everywhere(unsigned bits, int threads) {
#pragma omp parallel num_threads(threads)
    _mm_setcsr((_mm_getcsr() & ~FTZ_DAZ) | bits);
    _mm_setcsr((_mm_getcsr() & ~FTZ_DAZ) | bits);
}

unsigned ff_flush_denormals_begin(int threads) {
    const unsigned saved = _mm_getcsr() & FTZ_DAZ;
    set_mode_everywhere(FTZ_DAZ, threads);
    return saved;
}

void ff_flush_denormals_end(unsigned saved, int threads) {
    set_mode_everywhere(saved, threads);
}
#else
unsigned ff_flush_denormals_begin(int threads) {
    (void)threads;
    return 0;
}

void ff_flush_denormals_end(unsigned saved, int threads) {
    (void)saved, (void)threads;
}
#endif
