/* weight_mirror_rate.c: Akrout et al.'s weight-mirror rule with spike
 * counts as rates, as Ahmad et al. re-implemented it for spiking networks
 * (../shared/ALGORITHMS.md §2c, §3a), an estimator.
 * SPDX-License-Identifier: MIT
 *
 * Time is cut into stimuli of `period` ms (stimulus m holds the spikes
 * stamped m P + 1 ... (m + 1) P, P in ticks: the stimulus source's
 * periods), and stimuli into batches of K. With r_j, r_i the spike counts
 * of source j and target i in one stimulus and r-bar their means over the
 * batch, every stimulus k of the batch, in order, gives every synapse
 * j -> i
 *     B-hat <- B-hat + eta [ (r_i - r-bar_i)(r_j - r-bar_j) - lambda B-hat ].
 * The batch mean is known only when the batch is complete, so the K
 * updates of a batch are applied then, at the first slice end at or after
 * its last tick: B-hat moves in steps of K stimuli (a run of less than one
 * batch leaves it at its initial value).
 *
 *   name      default  unit
 *   period    100      ms   stimulus length
 *   batch     1000          K, stimuli per batch (final paper value; the
 *                           notebook's 200 s figure used 10)
 *   lambda    0.5           decay
 *   eta       1.25e-4       learning rate
 *   init_amp  0.001
 *   seed      42 */
#include "estimator.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double period, batch, lambda, eta, init_amp, seed;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(period, "ms", 100.0), P(batch, "", 1000.0), P(lambda, "", 0.5),
  P(eta, "", 1.25e-4), P(init_amp, "", 0.001), P(seed, "", 42.0),
  {NULL, NULL, 0, 0}};
#undef P

/* Counts of two batches (the current one and the next, for the spikes of
 * a slice that crosses a batch's end), indexed [parity][stimulus][node]. */
typedef struct state {
  params p;
  double *b;
  uint32_t *src;          /* per synapse */
  sa_tick P;              /* ticks per stimulus */
  int64_t K;
  int64_t batch;          /* the batch being counted */
  uint32_t n_src, n_tgt;
  double *cpre, *cpost;   /* 2 K n_src, 2 K n_tgt spike counts */
  double *mpre, *mpost;   /* batch means */
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (!(p->period > 0)) {
    snprintf(err, n, "The stimulus period must be strictly positive.");
    return SA_EINVAL;
  }
  if (!(p->batch >= 1) || p->batch != floor(p->batch) || p->batch > 1e6) {
    snprintf(err, n, "batch must be an integer in [1, 1e6].");
    return SA_EINVAL;
  }
  if (!(p->lambda >= 0) || !(p->eta >= 0) || !(p->init_amp >= 0)) {
    snprintf(err, n, "lambda, eta and init_amp must not be negative.");
    return SA_EINVAL;
  }
  if (!(p->seed >= 0) || p->seed != floor(p->seed)) {
    snprintf(err, n, "seed must be a non-negative integer.");
    return SA_EINVAL;
  }
  return 0;
}

static void destroy(void *vs) {
  state *s = vs;
  if (!s) return;
  free(s->b);
  free(s->src);
  free(s->cpre);
  free(s->cpost);
  free(s->mpre);
  free(s->mpost);
  free(s);
}

static int create(void **out, const void *vp, const sa_syn_view *v) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->p = *(const params *)vp;
  s->P = llround(s->p.period / v->dt);
  if (s->P < 1) s->P = 1;
  s->K = (int64_t)s->p.batch;
  s->n_src = v->n_src;
  s->n_tgt = v->n_tgt;
  size_t ns = v->n_src ? v->n_src : 1, nt = v->n_tgt ? v->n_tgt : 1;
  s->b = malloc((v->nsyn ? v->nsyn : 1) * sizeof *s->b);
  s->src = sa__est_sources(v);
  s->cpre = calloc(2 * (size_t)s->K * ns, sizeof *s->cpre);
  s->cpost = calloc(2 * (size_t)s->K * nt, sizeof *s->cpost);
  s->mpre = malloc(ns * sizeof *s->mpre);
  s->mpost = malloc(nt * sizeof *s->mpost);
  if (!s->b || !s->src || !s->cpre || !s->cpost || !s->mpre || !s->mpost) {
    destroy(s);
    return SA_ENOMEM;
  }
  sa__est_init(s->b, v, (uint64_t)s->p.seed, s->p.init_amp);
  *out = s;
  return 0;
}

/* The count slot of a spike stamped t, or NULL beyond the two batches. */
static double *slot(state *s, double *c, uint32_t n, sa_tick t,
                    uint32_t node) {
  if (t < 1) return NULL;
  int64_t stim = (t - 1) / s->P;
  int64_t b = stim / s->K;
  if (b < s->batch || b > s->batch + 1) return NULL;
  size_t k = (size_t)(b & 1) * (size_t)s->K + (size_t)(stim % s->K);
  return &c[k * n + node];
}

static int post(void *vs, const sa_syn_view *v, const sa_tick *stamp,
                const uint32_t *id, size_t n) {
  (void)v;
  state *s = vs;
  for (size_t k = 0; k < n; k++) {
    double *c = slot(s, s->cpost, s->n_tgt, stamp[k], id[k]);
    if (c) *c += 1.0;
  }
  return 0;
}

static void pre(void *vs, sa_syn_view *v, sa_tick stamp, uint32_t src) {
  (void)v;
  state *s = vs;
  double *c = slot(s, s->cpre, s->n_src, stamp, src);
  if (c) *c += 1.0;
}

static void materialize(void *vs, sa_syn_view *v, sa_tick now) {
  (void)vs, (void)v, (void)now;
}

void sa__wm_batch(double *b, uint64_t nsyn, const uint32_t *src,
                  const uint32_t *tgt, const double *rpre,
                  const double *rpost, int64_t K, uint32_t ns, uint32_t nt,
                  double eta, double lambda, double *mpre, double *mpost) {
  for (uint32_t j = 0; j < ns; j++) mpre[j] = 0;
  for (uint32_t i = 0; i < nt; i++) mpost[i] = 0;
  for (int64_t k = 0; k < K; k++) {
    for (uint32_t j = 0; j < ns; j++) mpre[j] += rpre[(size_t)k * ns + j];
    for (uint32_t i = 0; i < nt; i++) mpost[i] += rpost[(size_t)k * nt + i];
  }
  for (uint32_t j = 0; j < ns; j++) mpre[j] /= (double)K;
  for (uint32_t i = 0; i < nt; i++) mpost[i] /= (double)K;
  for (int64_t k = 0; k < K; k++) {
    const double *rp = rpre + (size_t)k * ns, *ro = rpost + (size_t)k * nt;
    for (uint64_t q = 0; q < nsyn; q++) {
      double dj = rp[src[q]] - mpre[src[q]];
      double di = ro[tgt[q]] - mpost[tgt[q]];
      b[q] += eta * (di * dj - lambda * b[q]);
    }
  }
}

static void apply_batch(state *s, const sa_syn_view *v) {
  size_t base = (size_t)(s->batch & 1) * (size_t)s->K;
  double *cpre = s->cpre + base * s->n_src;
  double *cpost = s->cpost + base * s->n_tgt;
  sa__wm_batch(s->b, v->nsyn, s->src, v->target, cpre, cpost, s->K, s->n_src,
               s->n_tgt, s->p.eta, s->p.lambda, s->mpre, s->mpost);
  memset(cpre, 0, (size_t)s->K * s->n_src * sizeof *cpre);
  memset(cpost, 0, (size_t)s->K * s->n_tgt * sizeof *cpost);
  s->batch++;
}

static void slice_end(void *vs, sa_syn_view *v, sa_tick now) {
  state *s = vs;
  while (now >= (s->batch + 1) * s->K * s->P) apply_batch(s, v);
}

static void estimate(const void *vs, const sa_syn_view *v, double *out) {
  const state *s = vs;
  memcpy(out, s->b, v->nsyn * sizeof *out);
}

/* Checkpoints: B-hat, both batches' counts, the batch being counted. */
static int save(const void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  const state *s = vs;
  size_t K2 = 2 * (size_t)s->K;
  int rc = sa__ck_put(ck, pre, "b", SA_CK_F64, s->b, v->nsyn);
  if (!rc) rc = sa__ck_put(ck, pre, "count_pre", SA_CK_F64, s->cpre,
                           K2 * s->n_src);
  if (!rc) rc = sa__ck_put(ck, pre, "count_post", SA_CK_F64, s->cpost,
                           K2 * s->n_tgt);
  if (!rc) rc = sa__ck_put(ck, pre, "batch", SA_CK_I64, &s->batch, 1);
  return rc;
}

static int load(void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  state *s = vs;
  size_t K2 = 2 * (size_t)s->K;
  int rc = sa__ck_get(ck, pre, "b", SA_CK_F64, s->b, v->nsyn);
  if (!rc) rc = sa__ck_get(ck, pre, "count_pre", SA_CK_F64, s->cpre,
                           K2 * s->n_src);
  if (!rc) rc = sa__ck_get(ck, pre, "count_post", SA_CK_F64, s->cpost,
                           K2 * s->n_tgt);
  if (!rc) rc = sa__ck_get(ck, pre, "batch", SA_CK_I64, &s->batch, 1);
  return rc;
}

const sa_rule_vt sa_rule_weight_mirror_rate = {
  .name = "weight_mirror_rate", .abi = 1, .kind = SA_RULE_ESTIMATOR,
  .params_size = sizeof(params), .params = descs, .set_option = sa__est_option,
  .check = check, .create = create, .destroy = destroy, .post = post,
  .pre = pre, .materialize = materialize, .slice_end = slice_end,
  .estimate = estimate, .save = save, .load = load};
