#include "classifier.h"

#include <cblas.h>
#include <math.h>

#include "ffcnn.h"

/* The head's matrices are long (K x 100k for 3 x 64 filters) and short (n <= a batch), so
 * one sgemm is a memory-bound pass on one core. They are cut into fixed column chunks that the
 * threads share; fixed, so the result does not depend on the thread count. */
#define COLUMN_CHUNK 8192

static int chunks_of(size_t len) {
    return (int)((len + COLUMN_CHUNK - 1) / COLUMN_CHUNK);
}

size_t ff_classifier_chunks(size_t len) {
    return (size_t)chunks_of(len);
}

void ff_classifier_logits_accumulate(float *logits, float *partial, const float *feat,
                                     const float *w_block, int n, int K, size_t len, size_t ld,
                                     int threads) {
    const int chunks = chunks_of(len);
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int c = 0; c < chunks; c++) {
        const size_t c0 = (size_t)c * COLUMN_CHUNK;
        const int width = (int)(len - c0 < COLUMN_CHUNK ? len - c0 : COLUMN_CHUNK);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, K, width, 1.0f, feat + c0, (int)len,
                    w_block + c0, (int)ld, 0.0f, partial + (size_t)c * n * K, K);
    }
    for (int c = 0; c < chunks; c++) /* in chunk order: fixed rounding */
        for (int i = 0; i < n * K; i++) logits[i] += partial[(size_t)c * n * K + i];
}

double ff_classifier_cross_entropy(float *dlogits, const float *logits, const uint8_t *labels,
                                   int n, int K, int64_t *correct) {
    return ff_classifier_cross_entropy_part(dlogits, logits, labels, n, n, K, correct);
}

double ff_classifier_cross_entropy_part(float *dlogits, const float *logits, const uint8_t *labels,
                                        int n, int batch_n, int K, int64_t *correct) {
    double loss = 0.0;
    for (int s = 0; s < n; s++) {
        const float *z = logits + (size_t)s * K;
        float *d = dlogits + (size_t)s * K;
        const int best = ff_classifier_argmax(z, K);
        double max = z[best], sum = 0.0;
        for (int c = 0; c < K; c++) sum += exp((double)z[c] - max);
        loss += log(sum) + max - z[labels[s]];
        *correct += best == labels[s];
        for (int c = 0; c < K; c++) {
            double p = exp((double)z[c] - max) / sum;
            d[c] = (float)((p - (c == labels[s] ? 1.0 : 0.0)) / batch_n);
        }
    }
    return loss / batch_n;
}

void ff_classifier_weight_grad(float *dw_block, const float *dlogits, const float *feat, int n,
                               int K, size_t len, size_t ld, int threads) {
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int c = 0; c < chunks_of(len); c++) {
        const size_t c0 = (size_t)c * COLUMN_CHUNK;
        const int width = (int)(len - c0 < COLUMN_CHUNK ? len - c0 : COLUMN_CHUNK);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, width, n, 1.0f, dlogits, K,
                    feat + c0, (int)len, 0.0f, dw_block + c0, (int)ld);
    }
}

void ff_classifier_input_grad(float *dfeat, const float *dlogits, const float *w_block, int n,
                              int K, size_t len, size_t ld, int threads) {
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int c = 0; c < chunks_of(len); c++) {
        const size_t c0 = (size_t)c * COLUMN_CHUNK;
        const int width = (int)(len - c0 < COLUMN_CHUNK ? len - c0 : COLUMN_CHUNK);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, width, K, 1.0f, dlogits, K,
                    w_block + c0, (int)ld, 0.0f, dfeat + c0, (int)len);
    }
}

int ff_classifier_argmax(const float *scores, int K) {
    int best = 0;
    for (int c = 1; c < K; c++)
        if (scores[c] > scores[best]) best = c;
    return best;
}
