/* Progress display: a bar with ETA on a terminal, plain log lines otherwise. */
#ifndef FFCNN_CLI_PROGRESS_H
#define FFCNN_CLI_PROGRESS_H

#include <stdint.h>

#include "ffcnn.h"

typedef struct progress {
    int tty; /* stderr is a terminal */
    int epochs;
    int batch;          /* images per batch, for images/s */
    double epoch_t0;    /* start of the current epoch */
    int last_step;      /* last tenth logged (non-terminal mode) */
    int epoch;          /* epoch of the last batch seen */
    int64_t first_done; /* first step seen in this epoch */
} progress;

void progress_init(progress *p, int epochs, int batch);
void progress_on_batch(void *user, int epoch, int64_t done, int64_t total, double loss);
void progress_on_epoch(void *user, const ffcnn_epoch_stats *st);

#endif
