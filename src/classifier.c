#include "classifier.h"

#include <cblas.h>
#include <math.h>

#include "ffcnn.h"

void classifier_logits_accumulate(float *logits, const float *feat, const float *w_block, int n,
                                  size_t len, size_t ld) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, FFCNN_CLASSES, (int)len, 1.0f, feat,
                (int)len, w_block, (int)ld, 1.0f, logits, FFCNN_CLASSES);
}

double classifier_cross_entropy(float *dlogits, const float *logits, const uint8_t *labels, int n,
                                int64_t *correct) {
    double loss = 0.0;
    for (int s = 0; s < n; s++) {
        const float *z = logits + (size_t)s * FFCNN_CLASSES;
        float *d = dlogits + (size_t)s * FFCNN_CLASSES;
        const int best = classifier_argmax(z);
        double max = z[best], sum = 0.0;
        for (int c = 0; c < FFCNN_CLASSES; c++) sum += exp((double)z[c] - max);
        loss += log(sum) + max - z[labels[s]];
        *correct += best == labels[s];
        for (int c = 0; c < FFCNN_CLASSES; c++) {
            double p = exp((double)z[c] - max) / sum;
            d[c] = (float)((p - (c == labels[s] ? 1.0 : 0.0)) / n);
        }
    }
    return loss / n;
}

void classifier_weight_grad(float *dw_block, const float *dlogits, const float *feat, int n,
                            size_t len, size_t ld) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, FFCNN_CLASSES, (int)len, n, 1.0f, dlogits,
                FFCNN_CLASSES, feat, (int)len, 0.0f, dw_block, (int)ld);
}

int classifier_argmax(const float *scores) {
    int best = 0;
    for (int c = 1; c < FFCNN_CLASSES; c++)
        if (scores[c] > scores[best]) best = c;
    return best;
}
