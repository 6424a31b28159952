/* rng.c: keyed xoshiro256** streams.
 * SPDX-License-Identifier: MIT */
#include "rng.h"
#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void sa_rng_seed(sa_rng *r, uint64_t seed, uint64_t object, uint64_t index) {
  /* Chain the three key words through SplitMix64 so nearby keys give
   * unrelated states; then fill the state from the mixed key. */
  uint64_t x = seed;
  uint64_t k = splitmix64(&x);
  x = k ^ object;
  k = splitmix64(&x);
  x = k ^ index;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t sa_rng_u64(sa_rng *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double sa_rng_uniform(sa_rng *r) {
  return (double)(sa_rng_u64(r) >> 11) * 0x1.0p-53;
}

double sa_rng_uniform_pos(sa_rng *r) {
  return ((double)(sa_rng_u64(r) >> 11) + 1.0) * 0x1.0p-53;
}

uint64_t sa_rng_below(sa_rng *r, uint64_t n) {
  if (n <= 1) return 0;
  __uint128_t m = (__uint128_t)sa_rng_u64(r) * n;
  uint64_t low = (uint64_t)m;
  if (low < n) {
    uint64_t thresh = -n % n;
    while (low < thresh) {
      m = (__uint128_t)sa_rng_u64(r) * n;
      low = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

double sa_rng_normal(sa_rng *r) {
  double u, v, s;
  do {
    u = 2.0 * sa_rng_uniform(r) - 1.0;
    v = 2.0 * sa_rng_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * sqrt(-2.0 * log(s) / s);
}
