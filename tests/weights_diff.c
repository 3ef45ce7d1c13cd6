/* weights_diff A.ffm B.ffm TOL: loads two model files of the same network and prints the
 * largest absolute difference of their parameters (every layer's and the head's), that
 * difference relative to the largest |parameter| of A, and how many parameters differ at all.
 * Exits 0 when the relative difference is at most TOL, 1 otherwise, 2 on an error.
 * test_mpi.sh compares a data-parallel run with a single-process one with it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ffcnn.h"
#include "network.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: weights_diff A.ffm B.ffm TOL\n");
        return 2;
    }
    char err[FFCNN_ERR_LEN];
    ffcnn_net *a = NULL, *b = NULL;
    if (ffcnn_load(&a, argv[1], 1, err) || ffcnn_load(&b, argv[2], 1, err)) {
        fprintf(stderr, "weights_diff: %s\n", err);
        return 2;
    }
    if (a->n_params != b->n_params) {
        fprintf(stderr, "weights_diff: %zu against %zu parameters\n", a->n_params, b->n_params);
        return 2;
    }
    double max_abs = 0, max_w = 0;
    size_t differ = 0;
    for (size_t i = 0; i < a->n_params; i++) {
        const double d = fabs((double)a->params[i] - (double)b->params[i]);
        if (d > max_abs) max_abs = d;
        if (fabs((double)a->params[i]) > max_w) max_w = fabs((double)a->params[i]);
        differ += a->params[i] != b->params[i];
    }
    const double rel = max_w > 0 ? max_abs / max_w : max_abs;
    const double tol = atof(argv[3]);
    printf("params %zu, differ %zu, max abs diff %.3g, relative %.3g (tolerance %.3g)\n",
           a->n_params, differ, max_abs, rel, tol);
    ffcnn_net_free(a);
    ffcnn_net_free(b);
    return rel <= tol ? 0 : 1;
}
