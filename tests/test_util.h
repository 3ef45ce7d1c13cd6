/* Minimal test harness: CHECK records a pass or a failure; test_summary prints
 * "N passed, M failed" and returns the process exit status. */
#ifndef FFCNN_TEST_UTIL_H
#define FFCNN_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

void test_record(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) test_record(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* |a - b| <= tol * max(1, |b|) */
#define CHECK_CLOSE(a, b, tol, what)                                                               \
    test_check_close((double)(a), (double)(b), (tol), (what), __FILE__, __LINE__)
void test_check_close(double a, double b, double tol, const char *what, const char *file, int line);
int test_summary(void);

/* Deterministic pseudo-random floats in [lo, hi) for test inputs. */
void test_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed);
/* Writes bytes to path; returns 0 on success. */
int test_write_file(const char *path, const void *data, size_t n);

#endif
