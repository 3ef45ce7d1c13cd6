/* Deterministic random numbers (xoshiro256**, seeded by splitmix64). The whole state is four
 * words, saved in checkpoints so a resumed run draws the same numbers. */
#ifndef FFCNN_RNG_H
#define FFCNN_RNG_H

#include <stdint.h>

/* Purposes of the random streams (ff_rng_stream). */
enum {
    FF_STREAM_INIT = 1,
    FF_STREAM_SHUFFLE = 2,
    FF_STREAM_NEGATIVES = 3,
    FF_STREAM_AUGMENT = 4,
    FF_STREAM_HARD_NEGATIVES = 5
};

typedef struct ff_rng {
    uint64_t s[4];
} ff_rng;

void ff_rng_seed(ff_rng *r, uint64_t seed);
/* A generator for one purpose and position, e.g. (seed, STREAM_SHUFFLE, epoch, 0): every
 * random draw of training is a function of the seed and where it happens, so a run resumed at
 * any step draws exactly what the uninterrupted run would have. */
void ff_rng_stream(ff_rng *r, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b);
uint64_t ff_rng_next(ff_rng *r);
/* Uniform in [0, 1) with 24 random bits. */
float ff_rng_uniform(ff_rng *r);
/* Uniform integer in [0, n), unbiased. */
uint32_t ff_rng_below(ff_rng *r, uint32_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void ff_rng_shuffle(ff_rng *r, int32_t *idx, int32_t n);

#endif
