#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(progress *p, int epochs, int batch) {
    p->tty = isatty(2);
    p->epochs = epochs;
    p->batch = batch;
    p->epoch_t0 = now();
    p->last_step = 0;
    p->first_done = 0;
    p->epoch = -1;
}

static void format_eta(char *buf, size_t cap, double s) {
    if (s < 0) s = 0;
    long t = (long)(s + 0.5);
    snprintf(buf, cap, "%02ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

void progress_on_batch(void *user, int epoch, int64_t done, int64_t total, double loss) {
    progress *p = user;
    if (done <= p->first_done || p->epoch != epoch) /* a new (or resumed) epoch */
        p->epoch_t0 = now(), p->first_done = done, p->last_step = 0, p->epoch = epoch;
    /* rates count from the first step seen, whose own duration is unknown */
    const double elapsed = now() - p->epoch_t0;
    const int64_t timed = done - p->first_done;
    const double rate = timed > 0 && elapsed > 0 ? timed * (double)p->batch / elapsed : 0.0;
    char eta[32] = "--:--:--";
    if (timed > 0) format_eta(eta, sizeof eta, elapsed / timed * (double)(total - done));
    if (p->tty) {
        enum { WIDTH = 30 };
        char bar[WIDTH + 1];
        const int fill = (int)(WIDTH * done / total);
        for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = '\0';
        fprintf(stderr, "\repoch %d/%d [%s] %3d%% %lld/%lld  %.0f img/s  ETA %s  loss %.4g ",
                epoch + 1, p->epochs, bar, (int)(100 * done / total), (long long)done,
                (long long)total, rate, eta, loss);
        if (done == total) fputc('\n', stderr);
        fflush(stderr);
        return;
    }
    const int tenth = (int)(10 * done / total);
    if (tenth > p->last_step) {
        p->last_step = tenth;
        fprintf(stderr, "epoch %d/%d %3d%% (%lld/%lld batches) %.0f img/s ETA %s loss %.4g\n",
                epoch + 1, p->epochs, tenth * 10, (long long)done, (long long)total, rate, eta,
                loss);
    }
}

void progress_on_epoch(void *user, const ffcnn_epoch_stats *st) {
    (void)user;
    fprintf(stderr, "epoch %d done: lr %.3g, %.1f s, %.1f img/s\n", st->epoch + 1, (double)st->lr,
            st->seconds, st->images_per_s);
    for (int l = 0; l < st->layers; l++) {
        if (st->loss[l] < 0) continue; /* untrained layer or none */
        fprintf(stderr, "  layer %d: loss %.4g  discrimination acc %.4f\n", l + 1, st->loss[l],
                st->disc_acc[l]);
    }
    fprintf(stderr, "  classifier: loss %.4g  train acc %.4f", st->classifier_loss,
            st->classifier_acc);
    if (st->val_acc_linear >= 0)
        fprintf(stderr, "  validation acc (linear) %.4f", st->val_acc_linear);
    fputc('\n', stderr);
}
