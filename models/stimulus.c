/* stimulus.c: Poisson generators whose active subset changes with every
 * stimulus (../shared/ALGORITHMS.md §2a): every `period` ms a fresh random
 * `fraction` of the nodes fires at `rate`, the others are silent.
 * SPDX-License-Identifier: MIT
 *
 *   name         default  unit
 *   rate         200      Hz   rate of an active node
 *   period       100      ms   length of one stimulus
 *   fraction     0.2           share of active nodes, round(fraction n)
 *   correlation  0             c: input correlation among active nodes
 *
 * Stimulus m covers the update steps k with floor(k / P) = m (P = period
 * in ticks), so its spikes carry the stamps m P + 1 ... (m + 1) P. Its
 * active set is the first round(fraction n) entries of a Fisher-Yates
 * shuffle drawn from the stream keyed (seed, STIMULUS + population, m):
 * which nodes are active depends on nothing but the seed and m.
 *
 * A node spikes in a step with probability p = rate dt (Bernoulli per tick,
 * at most one spike, as poisson). Without correlation each active node
 * draws geometric gaps from its own stream keyed (seed, population, node),
 * as poisson does. With correlation c > 0 (a single-interaction process):
 * in each step one draw from the population's shared stream decides, with
 * probability c, that every active node copies a shared train (all spike,
 * with probability p, or all stay silent), and otherwise they follow their
 * own trains; each node's rate stays p/dt and the pairwise correlation of
 * two active nodes' per-step counts is c. Nodes that become active resume
 * their own stream (a Bernoulli process is memoryless, so the gap drawn
 * anew is exact). */
#include "sa_model.h"
#include "../sim/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double rate, period, fraction, correlation;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(rate, "Hz", 200.0), P(period, "ms", 100.0), P(fraction, "", 0.2),
  P(correlation, "", 0.0), {NULL, NULL, 0, 0}};
#undef P

static const char *const vars[] = {"active", NULL};

typedef struct state {
  sa_rng *rng;         /* per node */
  sa_rng shared;       /* the copy decisions and the shared train */
  sa_tick *next;       /* stamp of a node's next own spike, INT64_MAX: none */
  unsigned char *active;
  uint32_t *perm;      /* scratch for the shuffle */
  double p, log1mp;
  sa_tick period;      /* ticks */
  int64_t stim;        /* current stimulus, -1 before the first */
  uint32_t n_active;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (!(p->rate >= 0)) {
    snprintf(err, n, "Rate must not be negative.");
    return SA_EINVAL;
  }
  if (!(p->period > 0)) {
    snprintf(err, n, "The stimulus period must be strictly positive.");
    return SA_EINVAL;
  }
  if (!(p->fraction >= 0 && p->fraction <= 1)) {
    snprintf(err, n, "The active fraction must lie in [0, 1].");
    return SA_EINVAL;
  }
  if (!(p->correlation >= 0 && p->correlation <= 1)) {
    snprintf(err, n, "The input correlation must lie in [0, 1].");
    return SA_EINVAL;
  }
  return 0;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->rng);
  free(s->next);
  free(s->active);
  free(s->perm);
  free(s);
  p->state = NULL;
}

static int init(sa_pop *p) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  p->state = s;
  s->rng = malloc(p->n * sizeof *s->rng);
  s->next = malloc(p->n * sizeof *s->next);
  s->active = calloc(p->n, 1);
  s->perm = malloc(p->n * sizeof *s->perm);
  if (!s->rng || !s->next || !s->active || !s->perm) return SA_ENOMEM;
  uint64_t seed = sa__net_seed(p->net);
  for (uint32_t i = 0; i < p->n; i++) {
    sa_rng_seed(&s->rng[i], seed, SA_RNG_KEY(SA_RNG_POISSON, p->index), i);
    s->next[i] = INT64_MAX;
  }
  /* The shared stream: index n, next to the nodes' 0 .. n-1. */
  sa_rng_seed(&s->shared, seed, SA_RNG_KEY(SA_RNG_POISSON, p->index), p->n);
  s->stim = -1;
  return 0;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  (void)p, (void)var, (void)i, (void)v;
  return SA_ENOENT;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  const state *s = p->state;
  if (strcmp(var, "active") != 0) return SA_ENOENT;
  *v = s->active[i];
  return 0;
}

static sa_tick gap(const state *s, sa_rng *r) {
  if (s->p >= 1.0) return 0;
  double g = floor(log(sa_rng_uniform_pos(r)) / s->log1mp);
  return g > 4e18 ? (sa_tick)4e18 : (sa_tick)g;
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  double prob = pp->rate * h * 1e-3;
  if (prob > 1.0) return SA_ERANGE;
  sa_tick period = llround(pp->period / h);
  if (period < 1) period = 1;
  /* A changed rate or period (between run segments) restarts the own
   * trains from now; unchanged ones go on untouched. */
  if (prob != s->p || period != s->period) {
    sa_tick now = sa_net_now(p->net);
    s->p = prob;
    s->log1mp = log1p(-prob);
    for (uint32_t i = 0; i < p->n; i++)
      s->next[i] = s->active[i] && prob > 0 ? now + 1 + gap(s, &s->rng[i])
                                            : INT64_MAX;
    if (period != s->period) s->stim = -1;
    s->period = period;
  }
  s->n_active = (uint32_t)llround(pp->fraction * p->n);
  return 0;
}

/* Stimulus m starting at step k: draw its active set. */
static void new_stimulus(sa_pop *p, state *s, int64_t m, sa_tick k) {
  sa_rng r;
  sa_rng_seed(&r, sa__net_seed(p->net), SA_RNG_KEY(SA_RNG_STIMULUS, p->index),
              (uint64_t)m);
  for (uint32_t i = 0; i < p->n; i++) s->perm[i] = i;
  unsigned char *was = s->active;
  for (uint32_t i = 0; i < s->n_active; i++) {
    uint32_t j = i + (uint32_t)sa_rng_below(&r, p->n - i);
    uint32_t t = s->perm[i];
    s->perm[i] = s->perm[j];
    s->perm[j] = t;
  }
  /* perm[0, n_active) are the new set; mark it with 2 first. */
  for (uint32_t i = 0; i < s->n_active; i++) was[s->perm[i]] |= 2;
  for (uint32_t i = 0; i < p->n; i++) {
    int before = was[i] & 1, now = (was[i] & 2) != 0;
    if (now && !before)
      s->next[i] = s->p > 0 ? k + 1 + gap(s, &s->rng[i]) : INT64_MAX;
    else if (!now)
      s->next[i] = INT64_MAX;
    was[i] = (unsigned char)now;
  }
  s->stim = m;
}

static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  (void)b;
  state *s = p->state;
  const params *pp = p->params;
  int64_t m = k / s->period;
  if (m != s->stim) new_stimulus(p, s, m, k);
  /* Shared step: -1 own trains, 0 all silent, 1 all spike. */
  int shared = -1;
  if (pp->correlation > 0) {
    double x = sa_rng_uniform(&s->shared);
    if (x < pp->correlation) shared = x < pp->correlation * s->p;
  }
  for (uint32_t i = 0; i < p->n; i++) {
    if (!s->active[i]) continue;
    int fire = s->next[i] == k + 1;
    if (fire) s->next[i] = k + 2 + gap(s, &s->rng[i]);
    if (shared >= 0) fire = shared;
    if (fire) {
      int rc = sa__emit(out, k + 1, i);
      if (rc) return rc;
    }
  }
  return 0;
}

/* Checkpoints: the streams, each node's next stamp and activity, the
 * current stimulus. */
static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  int64_t *act = malloc((p->n ? p->n : 1) * sizeof *act);
  if (!act) return SA_ENOMEM;
  for (uint32_t i = 0; i < p->n; i++) act[i] = s->active[i];
  int rc = sa__ck_put(ck, pre, "rng", SA_CK_U64, s->rng, 4 * (size_t)p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "shared", SA_CK_U64, s->shared.s, 4);
  if (!rc) rc = sa__ck_put(ck, pre, "next", SA_CK_I64, s->next, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "active", SA_CK_I64, act, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "stim", SA_CK_I64, &s->stim, 1);
  free(act);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  int64_t *act = malloc((p->n ? p->n : 1) * sizeof *act);
  if (!act) return SA_ENOMEM;
  int rc = sa__ck_get(ck, pre, "rng", SA_CK_U64, s->rng, 4 * (size_t)p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "shared", SA_CK_U64, s->shared.s, 4);
  if (!rc) rc = sa__ck_get(ck, pre, "next", SA_CK_I64, s->next, p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "active", SA_CK_I64, act, p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "stim", SA_CK_I64, &s->stim, 1);
  for (uint32_t i = 0; !rc && i < p->n; i++) s->active[i] = act[i] != 0;
  free(act);
  return rc;
}

const sa_model_vt sa_model_stimulus = {
  .name = "stimulus", .abi = 1, .kind = SA_MODEL_SOURCE,
  .params_size = sizeof(params), .params = descs, .state_vars = vars,
  .check = check, .init = init, .fini = fini, .set_init = set_init,
  .get_state = get_state, .prepare = prepare, .update = update,
  .save = save, .load = load};
