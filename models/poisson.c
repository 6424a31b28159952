/* poisson.c: independent Poisson spike trains, one per node (NEST
 * poisson_generator followed by a parrot: at most one spike per tick).
 * SPDX-License-Identifier: MIT
 *
 *   name  default  unit
 *   rate  0        Hz
 *
 * On the grid a node spikes in each tick with probability p = rate * dt
 * (Brian2's PoissonGroup), which keeps the mean rate exact; rate * dt must
 * be <= 1. Instead of one draw per node and tick, each node keeps the stamp
 * of its next spike and draws the geometric gap to the one after, from its
 * own stream keyed (seed, population, node). */
#include "sa_model.h"
#include "../sim/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct params { double rate; } params;

static const sa_param_desc descs[] = {
  {"rate", "Hz", 0.0, offsetof(params, rate)}, {NULL, NULL, 0, 0}};
static const char *const vars[] = {NULL};

typedef struct state {
  sa_rng *rng;
  sa_tick *next;     /* stamp of each node's next spike; -1 = none yet */
  double log1mp;     /* log(1 - p) */
  double p;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (!(p->rate >= 0)) {
    snprintf(err, n, "Rate must not be negative.");
    return SA_EINVAL;
  }
  return 0;
}

static int init(sa_pop *p) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  p->state = s;
  s->rng = malloc(p->n * sizeof *s->rng);
  s->next = malloc(p->n * sizeof *s->next);
  if (!s->rng || !s->next) return SA_ENOMEM;
  uint64_t seed = sa__net_seed(p->net);
  for (uint32_t i = 0; i < p->n; i++) {
    sa_rng_seed(&s->rng[i], seed, SA_RNG_KEY(SA_RNG_POISSON, p->index), i);
    s->next[i] = -1;
  }
  return 0;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->rng);
  free(s->next);
  free(s);
  p->state = NULL;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  (void)p, (void)var, (void)i, (void)v;
  return SA_ENOENT;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  (void)p, (void)var, (void)i, (void)v;
  return SA_ENOENT;
}

/* Number of failures before the next success: floor(log U / log(1-p)). */
static sa_tick gap(state *s, sa_rng *r) {
  if (s->p >= 1.0) return 0;
  double g = floor(log(sa_rng_uniform_pos(r)) / s->log1mp);
  return g > 4e18 ? (sa_tick)4e18 : (sa_tick)g;
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  double rate = ((const params *)p->params)->rate;
  double prob = rate * h * 1e-3;
  if (prob > 1.0) return SA_ERANGE;
  s->p = prob;
  s->log1mp = log1p(-prob);
  sa_tick now = sa_net_now(p->net);
  for (uint32_t i = 0; i < p->n; i++) {
    if (prob <= 0) s->next[i] = INT64_MAX;
    else if (s->next[i] < 0 || s->next[i] == INT64_MAX)
      s->next[i] = now + 1 + gap(s, &s->rng[i]);
  }
  return 0;
}

static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  (void)b;
  state *s = p->state;
  for (uint32_t i = 0; i < p->n; i++) {
    if (s->next[i] == k + 1) {
      int rc = sa__emit(out, k + 1, i);
      if (rc) return rc;
      s->next[i] = k + 2 + gap(s, &s->rng[i]);
    }
  }
  return 0;
}

/* The streams' states and each node's next stamp: a resumed run draws
 * exactly the numbers the uninterrupted one would have. */
static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  int rc = sa__ck_put(ck, pre, "rng", SA_CK_U64, s->rng, 4 * (size_t)p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "next", SA_CK_I64, s->next, p->n);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  int rc = sa__ck_get(ck, pre, "rng", SA_CK_U64, s->rng, 4 * (size_t)p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "next", SA_CK_I64, s->next, p->n);
  return rc;
}

const sa_model_vt sa_model_poisson = {
  "poisson", 1, SA_MODEL_SOURCE, sizeof(params), descs, vars,
  check, init, fini, set_init, get_state, prepare, update, save, load, 0};
