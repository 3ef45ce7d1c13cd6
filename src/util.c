/* madvise and MADV_HUGEPAGE are outside POSIX. */
#define _DEFAULT_SOURCE
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
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

int ff_read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *len, char *err) {
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return ff_fail(err, FFCNN_EIO, "%s: cannot open (%s)", path,
                       errno ? strerror(errno) : "not readable");
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = FFCNN_OK;
    while (buf) {
        if (n == cap) {
            if (cap >= max_bytes) {
                rc = ff_fail(err, FFCNN_EFORMAT, "%s: larger than %zu bytes", path, max_bytes);
                break;
            }
            uint8_t *grown = realloc(buf, cap * 2);
            if (!grown) break;
            buf = grown, cap *= 2;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            int zerr;
            const int errnum = errno;
            const char *msg = gzerror(f, &zerr);
            const size_t skip = strlen(path); /* zlib's message starts "PATH: " */
            if (!strncmp(msg, path, skip) && !strncmp(msg + skip, ": ", 2)) msg += skip + 2;
            rc = zerr == Z_ERRNO
                     ? ff_fail(err, FFCNN_EIO, "%s: read error (%s)", path, strerror(errnum))
                     : ff_fail(err, FFCNN_EFORMAT, "%s: corrupt gzip data (%s)", path, msg);
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    /* zlib reports a stream cut short (a missing trailer: no CRC check) only at close */
    if (gzclose(f) != Z_OK && rc == FFCNN_OK)
        rc = ff_fail(err, FFCNN_EFORMAT, "%s: truncated or corrupt gzip stream", path);
    if (!buf) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory reading it", path);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return FFCNN_OK;
}
