/* stdp_walk.c: the STDP rule's pre-spike row walk alone, 8-lane (AVX-512)
 * and scalar, on a projection like CUBA's exc -> exc (3200 sources and
 * targets, 64 random targets a source, one delay, every neuron firing at
 * 5.6 Hz, bench/plastic's additive rule), in nanoseconds per synapse of
 * the rows walked. The rule's source is compiled in (tests/stdp_solo.h),
 * so the walk can be chosen; no network, no delivery. bench/plastic
 * builds and runs it.
 *   cc -O3 -std=c11 -D_DEFAULT_SOURCE -I. -Isim -Imodels -Irules \
 *      bench/stdp_walk.c -lm -o /tmp/stdp_walk && /tmp/stdp_walk
 * SPDX-License-Identifier: MIT */
#include "../tests/stdp_solo.h"
#include <time.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { NS = 3200, NT = 3200, K = 64, TICKS = 200000 };   /* 20 s */

/* ns per synapse of the pre-spike walks, with the vector walk if simd
 * (and the processor has it); *sum: the weights' sum, to compare. */
static double walk(int simd, double *sum, int *used) {
  solo_rng = 88172645463325252ull;   /* the same trains for both */
  uint64_t *row = malloc((NS + 1) * sizeof *row);
  uint32_t *tg = malloc((size_t)NS * K * sizeof *tg);
  double *w = malloc((size_t)NS * K * sizeof *w);
  for (int i = 0; i <= NS; i++) row[i] = (uint64_t)i * K;
  for (int q = 0; q < NS * K; q++) {
    tg[q] = (uint32_t)(solo_urand() * NT);
    w[q] = 20.25;
  }
  sa_syn_view v = {.n_src = NS, .n_tgt = NT, .nsyn = (uint64_t)NS * K,
                   .row = row, .target = tg, .dconst = 15, .dmax = 15,
                   .w = w, .sign = 1, .dt = 0.1};
  params p = {0};
  for (const sa_param_desc *d = descs; d->name; d++)
    *(double *)((char *)&p + d->offset) = d->def;
  p.lambda = 0.001;   /* bench/plastic's rule */
  p.alpha = 1.05;
  p.mu_plus = p.mu_minus = 0;
  p.Wmax = 40.5;
  void *vs;
  if (create(&vs, &p, &v)) exit(1);
  state *s = vs;
  s->avx512 = simd && s->avx512;
  *used = s->avx512;
  const double rate = 5.6e-4;   /* a tick */
  static sa_tick stamp[NT];
  static uint32_t id[NT], src[NS];
  double t_pre = 0;
  long syn = 0;
  for (sa_tick t = 1; t <= TICKS; t++) {
    size_t n = 0, m = 0;
    for (uint32_t j = 0; j < NT; j++)
      if (solo_urand() < rate) {
        stamp[n] = t;
        id[n++] = j;
      }
    if (post(vs, &v, stamp, id, n)) exit(1);
    for (uint32_t i = 0; i < NS; i++)
      if (solo_urand() < rate) src[m++] = i;
    double t0 = now_s();
    for (size_t i = 0; i < m; i++) pre(vs, &v, t, src[i]);
    t_pre += now_s() - t0;
    syn += (long)m * K;
    if (t % 10 == 0) slice_end(vs, &v, t);   /* 1 ms slices */
  }
  *sum = 0;
  for (int q = 0; q < NS * K; q++) *sum += w[q];
  destroy(vs);
  free(row), free(tg), free(w);
  return t_pre / (double)syn * 1e9;
}

int main(void) {
  double sv, ss;
  int uv, us;
  double nv = walk(1, &sv, &uv), ns = walk(0, &ss, &us);
  printf("STDP pre-spike walk, ns per synapse: %s %.2f, scalar %.2f "
         "(%.2fx); weights %s\n", uv ? "8-lane" : "(no AVX-512) scalar", nv,
         ns, ns / nv, sv == ss ? "identical" : "DIFFER");
  return sv == ss ? 0 : 1;
}
