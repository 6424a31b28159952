/* test_stdp_x8.c: the STDP rule's 8-lane row walk (AVX-512) against its
 * scalar walk, bit for bit, on random spike trains that take every path:
 * short and long walks, decays beyond the tables, silent sources brought
 * in, rows that are not a multiple of 8, per-synapse delays, inhibitory
 * weights, both pairings, additive and multiplicative. The rule's source
 * is compiled into this test (stdp_solo.h) so that the walk can be
 * chosen; on a processor without AVX-512 there is nothing to compare
 * (skipped, 77).
 * SPDX-License-Identifier: MIT */
#include "stdp_solo.h"
#include <check.h>

#if SA_STDP_AVX512

typedef struct cfg {
  double mu, sign, pre_hz, post_hz;
  int nearest, delays;
} cfg;

enum { NS = 60, NT = 50, SLICE = 10 };

/* Both walks through the same events; the first weight that differs, if
 * any, is reported. Returns how many plastic events the vector walk saw. */
static long run(const cfg *g) {
  uint64_t row[NS + 1];
  row[0] = 0;
  for (int i = 0; i < NS; i++)   /* 0 to 40 synapses: tails of every size */
    row[i + 1] = row[i] + (uint64_t)(solo_urand() * 41);
  const uint64_t nsyn = row[NS];
  uint32_t *tg = malloc(nsyn * sizeof *tg);
  uint16_t *dl = malloc(nsyn * sizeof *dl);
  double *w[2] = {malloc(nsyn * sizeof(double)),
                  malloc(nsyn * sizeof(double))};
  params p = {0};
  for (const sa_param_desc *d = descs; d->name; d++)
    *(double *)((char *)&p + d->offset) = d->def;
  p.tau_plus = 16.8;   /* two tables, two tails */
  p.tau_minus = 33.7;
  p.lambda = 0.05;
  p.alpha = 1.05;
  p.Wmax = 40.5;
  p.mu_plus = p.mu_minus = g->mu;
  p.nearest = g->nearest;
  for (uint64_t q = 0; q < nsyn; q++) {
    tg[q] = (uint32_t)(solo_urand() * NT);
    dl[q] = (uint16_t)(1 + solo_urand() * 40);
    double u = solo_urand();   /* on the bounds too */
    w[0][q] = w[1][q] = g->sign * p.Wmax * (u < 0.05 ? 0 : u > 0.95 ? 1 : u);
  }
  sa_syn_view v[2];
  void *st[2];
  for (int k = 0; k < 2; k++) {
    v[k] = (sa_syn_view){.n_src = NS, .n_tgt = NT, .nsyn = nsyn, .row = row,
                         .target = tg, .delay = g->delays ? dl : NULL,
                         .dconst = 15, .dmax = g->delays ? 40 : 15,
                         .w = w[k], .sign = g->sign, .dt = 0.1};
    ck_assert_int_eq(create(&st[k], &p, &v[k]), 0);
  }
  for (int i = 0; i < NS; i++)   /* the vector walk takes the long rows */
    ck_assert((x8_row(st[0], &v[0], i) >= 0) ==
              (row[i + 1] - row[i] >= X8_MIN_ROW));
  ((state *)st[1])->avx512 = 0;
  long events = 0;
  sa_tick stamp[NT * SLICE];
  uint32_t id[NT * SLICE];
  /* 60 s of slices; the rates change every 10 s, with silent stretches
   * longer than the tables (819 ms) in between. */
  for (sa_tick now = SLICE; now <= 600000; now += SLICE) {
    const int epoch = (int)(now / 100000) % 3;
    const double f = epoch == 0 ? 1.0 : epoch == 1 ? 0.05 : 4.0;
    size_t n = 0;
    for (sa_tick t = now - SLICE + 1; t <= now; t++)
      for (uint32_t j = 0; j < NT; j++)
        if (solo_urand() < g->post_hz * f * (1.0 + j % 5) * 1e-4) {
          stamp[n] = t;
          id[n++] = j;
        }
    for (int k = 0; k < 2; k++)
      if (post(st[k], &v[k], stamp, id, n)) ck_abort_msg("post: no memory");
    for (sa_tick t = now - SLICE + 1; t <= now; t++)
      for (uint32_t i = 0; i < NS; i++) {
        if (!(solo_urand() < g->pre_hz * (epoch == 1 ? 1.0 : f) * 1e-4)) continue;
        for (int k = 0; k < 2; k++) pre(st[k], &v[k], t, i);
        events += (long)(row[i + 1] - row[i]);
        for (uint64_t q = row[i]; q < row[i + 1]; q++)
          if (memcmp(&w[0][q], &w[1][q], sizeof(double)))  /* (a Check
                                                 * assertion is a syscall) */
            ck_abort_msg("tick %lld source %u synapse %llu: vector %.17g, "
                         "scalar %.17g", (long long)t, i,
                         (unsigned long long)(q - row[i]), w[0][q], w[1][q]);
      }
    for (int k = 0; k < 2; k++) slice_end(st[k], &v[k], now);
  }
  for (int k = 0; k < 2; k++) materialize(st[k], &v[k], 600000);
  ck_assert(!memcmp(w[0], w[1], nsyn * sizeof(double)));
  for (int k = 0; k < 2; k++) destroy(st[k]);
  free(tg), free(dl), free(w[0]), free(w[1]);
  return events;
}

START_TEST(vector_walk_is_the_scalar_walk) {
  static const double mus[] = {0.0, 1.0}, signs[] = {1.0, -1.0};
  long events = 0;
  for (int m = 0; m < 2; m++)
    for (int sg = 0; sg < 2; sg++)
      for (int nn = 0; nn < 2; nn++)
        for (int dl = 0; dl < 2; dl++) {
          /* pre rates 2 and 8 Hz, post 3 to 15 Hz: walks of every length */
          cfg g = {mus[m], signs[sg], dl ? 8.0 : 2.0, 3.0, nn, dl};
          events += run(&g);
        }
  ck_assert_int_gt(events, 1000000);
}
END_TEST

static int have_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw");
}
#endif

int main(void) {
#if SA_STDP_AVX512
  if (have_avx512()) {
    Suite *s = suite_create("stdp_x8");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, vector_walk_is_the_scalar_walk);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
  }
#endif
  puts("no AVX-512 here: the scalar walk is the only one (skipped)");
  return 77;
}
