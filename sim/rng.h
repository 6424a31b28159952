/* rng.h: keyed random streams (xoshiro256** seeded through SplitMix64).
 * SPDX-License-Identifier: MIT
 *
 * Every stream is keyed by (seed, object, index) -- never by thread or
 * rank -- so a network and its activity are bit-identical for a given seed
 * whatever the partitioning. Object keys combine a kind tag with an index
 * (see SA_RNG_KEY below). */
#ifndef SA_RNG_H
#define SA_RNG_H
#include <stdint.h>

typedef struct sa_rng { uint64_t s[4]; } sa_rng;

enum {
  SA_RNG_PROJECTION = 1,   /* index: target node (source for outdegree) */
  SA_RNG_PROJECTION_OUT,
  SA_RNG_INIT,             /* index: node */
  SA_RNG_POISSON,          /* index: node */
  SA_RNG_STIMULUS,         /* index: stimulus number (active set, shared
                              train: models/stimulus.c) */
  SA_RNG_ESTIMATE          /* object: rule seed; index: synapse key */
};
#define SA_RNG_KEY(kind, obj) (((uint64_t)(kind) << 48) ^ (uint64_t)(obj))

void sa_rng_seed(sa_rng *r, uint64_t seed, uint64_t object, uint64_t index);
uint64_t sa_rng_u64(sa_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double sa_rng_uniform(sa_rng *r);
/* Uniform in (0, 1]: safe for log(). */
double sa_rng_uniform_pos(sa_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). */
uint64_t sa_rng_below(sa_rng *r, uint64_t n);
/* Standard normal (Marsaglia polar method, no cached second value so a
 * stream's state is just s[]). */
double sa_rng_normal(sa_rng *r);
#endif
