/* stdp.c: pair-based spike-timing-dependent plasticity with NEST
 * stdp_synapse's parameters and semantics (Song, Miller & Abbott 2000;
 * Guetig et al. 2003).
 * SPDX-License-Identifier: MIT
 *
 *   facilitation (a post spike seen after pre spikes):
 *     w <- Wmax min(1, w/Wmax + lambda (1 - w/Wmax)^mu_plus  K+)
 *   depression (a pre spike after post spikes):
 *     w <- Wmax max(0, w/Wmax - alpha lambda (w/Wmax)^mu_minus K-)
 *
 *   name       default  unit
 *   tau_plus   20       ms    presynaptic trace K+
 *   tau_minus  20       ms    postsynaptic trace K-
 *   lambda     0.01           learning rate
 *   alpha      1              depression / facilitation ratio
 *   mu_plus    1              0 = additive, 1 = multiplicative
 *   mu_minus   1
 *   Wmax       100      pA/mV magnitude; inhibitory projections live in
 *                             [-Wmax, 0] (the projection's sign is kept)
 *   pairing    all_to_all     or "nearest" (NEST stdp_nn_symm_synapse:
 *                             traces reset to 1 instead of adding 1)
 *
 * Timing follows NEST with the whole delay d dendritic: a pre spike at t
 * (its stamp) meets the post spikes seen at the synapse up to t, a post
 * spike at t_post being seen at t_post + d. At each pre spike, in order:
 * facilitation for every post spike seen in (t_last, t] with
 * K = K+(t_last) e^((t_last - (t_post + d)) / tau_plus); depression with
 * K-(t - d), the post trace from spikes strictly before t - d; then
 * K+ <- K+ e^((t_last - t)/tau_plus) + 1 and t_last <- t. Exactly
 * simultaneous pre and post spikes therefore do not pair.
 *
 * State: K+ and the time up to which facilitation has been applied, per
 * SOURCE node (every synapse of a source sees the same pre train), and per
 * TARGET node the history of its post spikes with K- after each; a
 * synapse itself is only its weight. The post-spike path appends to the
 * target's history and never scans synapses (NEST's archiving-node
 * approach): the cost of a post spike is O(1), and facilitation is paid at
 * the next pre spike, row by row, where the CSR walk is anyway.
 *
 * Lazy facilitation can be brought in early without changing any result
 * (facilitations of one synapse apply in time order and depend only on w,
 * K+ at t_last and the post time): materialize() does that for snapshots,
 * and slice_end() does it every HORIZON for sources that have been silent,
 * so post histories need keep only the last HORIZON plus the maximal delay,
 * whatever the input statistics. */
#include "sa_rule.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double tau_plus, tau_minus, lambda, alpha, mu_plus, mu_minus, Wmax;
  double nearest;      /* 0 or 1, set through the "pairing" option */
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(tau_plus, "ms", 20.0), P(tau_minus, "ms", 20.0), P(lambda, "", 0.01),
  P(alpha, "", 1.0), P(mu_plus, "", 1.0), P(mu_minus, "", 1.0),
  P(Wmax, "", 100.0), {NULL, NULL, 0, 0}};
#undef P

/* How often silent sources are brought up to date (ticks = HORIZON_MS/dt). */
#define HORIZON_MS 1000.0

typedef struct hist {
  sa_tick *t;        /* post spike stamps, ascending */
  double *k;         /* K- just after each spike */
  size_t start, n, cap;
} hist;

/* Decay factors e^(-n dt / tau) for n ticks, tabulated with the same
 * expression exp() would get, so a lookup is bit-identical to the call;
 * beyond the table (41 tau for tau = 20 ms, dt = 0.1 ms) exp() is called. */
enum { NTAB = 8192 };

typedef struct state {
  params p;
  double dt;
  double ep[NTAB], em[NTAB];   /* tau_plus, tau_minus */
  double *kplus;     /* per source: K+ just after its last spike */
  sa_tick *tlast;    /* per source: last spike stamp, -1 = none */
  sa_tick *tseen;    /* per source: posts seen up to here are applied */
  hist *h;           /* per target */
  uint32_t n_tgt;
  sa_tick horizon, next_prune;
} state;

static int set_option(void *vp, const char *name, const char *value,
                      char *err, size_t errlen) {
  params *p = vp;
  if (strcmp(name, "pairing") != 0) return SA_ENOENT;
  if (!strcmp(value, "all_to_all")) p->nearest = 0;
  else if (!strcmp(value, "nearest")) p->nearest = 1;
  else {
    snprintf(err, errlen, "pairing must be \"all_to_all\" or \"nearest\"");
    return SA_EINVAL;
  }
  return 0;
}

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (!(p->tau_plus > 0) || !(p->tau_minus > 0)) {
    snprintf(err, n, "Time constants tau_plus and tau_minus must be "
                     "strictly positive.");
    return SA_EINVAL;
  }
  if (!(p->Wmax > 0)) {
    snprintf(err, n, "Wmax must be strictly positive (it is a magnitude; "
                     "the projection's sign is kept).");
    return SA_EINVAL;
  }
  if (p->lambda < 0 || p->alpha < 0 || p->mu_plus < 0 || p->mu_minus < 0) {
    snprintf(err, n, "lambda, alpha, mu_plus and mu_minus must not be "
                     "negative.");
    return SA_EINVAL;
  }
  return 0;
}

static void destroy(void *vs) {
  state *s = vs;
  if (!s) return;
  for (uint32_t j = 0; s->h && j < s->n_tgt; j++) {
    free(s->h[j].t);
    free(s->h[j].k);
  }
  free(s->h);
  free(s->kplus);
  free(s->tlast);
  free(s->tseen);
  free(s);
}

static int create(void **out, const void *vp, const sa_syn_view *v) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->p = *(const params *)vp;
  s->kplus = calloc(v->n_src ? v->n_src : 1, sizeof *s->kplus);
  s->tlast = malloc((v->n_src ? v->n_src : 1) * sizeof *s->tlast);
  s->tseen = malloc((v->n_src ? v->n_src : 1) * sizeof *s->tseen);
  s->h = calloc(v->n_tgt ? v->n_tgt : 1, sizeof *s->h);
  s->n_tgt = v->n_tgt;
  if (!s->kplus || !s->tlast || !s->tseen || !s->h) {
    destroy(s);
    return SA_ENOMEM;
  }
  for (uint32_t i = 0; i < v->n_src; i++) s->tlast[i] = s->tseen[i] = -1;
  s->dt = v->dt;
  for (int n = 0; n < NTAB; n++) {
    s->ep[n] = exp((double)(-n) * v->dt / s->p.tau_plus);
    s->em[n] = exp((double)(-n) * v->dt / s->p.tau_minus);
  }
  s->horizon = llround(HORIZON_MS / v->dt);
  if (s->horizon < 1) s->horizon = 1;
  s->next_prune = s->horizon;
  *out = s;
  return 0;
}

/* e^(-n dt / tau_plus), e^(-n dt / tau_minus) for n >= 0 ticks. */
static inline double decay_plus(const state *s, sa_tick n) {
  return n < NTAB ? s->ep[n] : exp((double)(-n) * s->dt / s->p.tau_plus);
}

static inline double decay_minus(const state *s, sa_tick n) {
  return n < NTAB ? s->em[n] : exp((double)(-n) * s->dt / s->p.tau_minus);
}

/* x^mu, exact and cheap for the additive (0) and multiplicative (1)
 * forms: IEEE pow gives exactly 1 and x there too. */
static inline double powmu(double x, double mu) {
  return mu == 0.0 ? 1.0 : mu == 1.0 ? x : pow(x, mu);
}

static int hist_push(hist *h, sa_tick t, double k) {
  if (h->start + h->n == h->cap) {
    if (h->start > 0) {
      /* Slide the live part down before growing. */
      memmove(h->t, h->t + h->start, h->n * sizeof *h->t);
      memmove(h->k, h->k + h->start, h->n * sizeof *h->k);
      h->start = 0;
    }
    if (h->n == h->cap) {
      size_t cap = h->cap ? 2 * h->cap : 8;
      sa_tick *nt = realloc(h->t, cap * sizeof *nt);
      if (!nt) return SA_ENOMEM;
      h->t = nt;
      double *nk = realloc(h->k, cap * sizeof *nk);
      if (!nk) return SA_ENOMEM;
      h->k = nk;
      h->cap = cap;
    }
  }
  h->t[h->start + h->n] = t;
  h->k[h->start + h->n] = k;
  h->n++;
  return 0;
}

static int post(void *vs, const sa_syn_view *v, const sa_tick *stamp,
                const uint32_t *id, size_t n) {
  (void)v;
  state *s = vs;
  for (size_t i = 0; i < n; i++) {
    hist *h = &s->h[id[i]];
    double k = 1.0;
    if (h->n && !s->p.nearest) {
      size_t last = h->start + h->n - 1;
      k = h->k[last] * decay_minus(s, stamp[i] - h->t[last]) + 1.0;
    }
    int rc = hist_push(h, stamp[i], k);
    if (rc) return rc;
  }
  return 0;
}

/* NEST's facilitate_ / depress_, on the signed weight. */
static double facilitate(const params *p, double wmax, double w, double k) {
  double nw = w / wmax + p->lambda * powmu(1.0 - w / wmax, p->mu_plus) * k;
  return nw < 1.0 ? nw * wmax : wmax;
}

static double depress(const params *p, double wmax, double w, double k) {
  double nw =
      w / wmax - p->alpha * p->lambda * powmu(w / wmax, p->mu_minus) * k;
  return nw > 0.0 ? nw * wmax : 0.0;
}

/* Apply to synapse q (target history h, delay d) the facilitation of the
 * post spikes seen in (from, until], i.e. stamps in (from - d, until - d].
 * Returns the index of the newest post spike strictly before until - d, or
 * SIZE_MAX, for the depression that may follow. */
static inline size_t facilitate_window(const state *s, const sa_syn_view *v,
                                uint64_t q, uint32_t src, const hist *h,
                                sa_tick d, sa_tick from, sa_tick until) {
  const double wmax = v->sign * s->p.Wmax;
  size_t lo = h->start + h->n, kidx = SIZE_MAX;
  /* Walk back from the newest spike: skip those seen after `until`, note
   * the newest one seen strictly before `until` (depression), stop at the
   * first one seen at or before `from` (from < until, so by then the
   * depression index is known). */
  for (size_t i = h->start + h->n; i-- > h->start;) {
    sa_tick seen = h->t[i] + d;
    if (seen < until && kidx == SIZE_MAX) kidx = i;
    if (seen <= from) break;
    if (seen <= until) lo = i;
  }
  if (s->tlast[src] >= 0) {
    double w = v->w[q];
    for (size_t i = lo; i < h->start + h->n; i++) {
      sa_tick seen = h->t[i] + d;
      if (seen > until) break;
      double k = s->kplus[src] * decay_plus(s, seen - s->tlast[src]);
      w = facilitate(&s->p, wmax, w, k);
    }
    v->w[q] = w;
  }
  return kidx;
}

static void pre(void *vs, sa_syn_view *v, sa_tick stamp, uint32_t src) {
  state *s = vs;
  const double wmax = v->sign * s->p.Wmax;
  for (uint64_t q = v->row[src]; q < v->row[src + 1]; q++) {
    sa_tick d = v->delay ? v->delay[q] : v->dconst;
    const hist *h = &s->h[v->target[q]];
    size_t kidx = facilitate_window(s, v, q, src, h, d, s->tseen[src], stamp);
    if (kidx != SIZE_MAX) {
      double k = s->p.nearest ? 1.0 : h->k[kidx];
      k *= decay_minus(s, stamp - (h->t[kidx] + d));
      v->w[q] = depress(&s->p, wmax, v->w[q], k);
    }
  }
  double kp = 1.0;
  if (!s->p.nearest && s->tlast[src] >= 0)
    kp = s->kplus[src] * decay_plus(s, stamp - s->tlast[src]) + 1.0;
  s->kplus[src] = kp;
  s->tlast[src] = s->tseen[src] = stamp;
}

static void bring_in(state *s, sa_syn_view *v, uint32_t src, sa_tick now) {
  if (s->tseen[src] >= now) return;
  if (s->tlast[src] >= 0)
    for (uint64_t q = v->row[src]; q < v->row[src + 1]; q++) {
      sa_tick d = v->delay ? v->delay[q] : v->dconst;
      facilitate_window(s, v, q, src, &s->h[v->target[q]], d, s->tseen[src],
                        now);
    }
  s->tseen[src] = now;
}

static void materialize(void *vs, sa_syn_view *v, sa_tick now) {
  state *s = vs;
  for (uint32_t i = 0; i < v->n_src; i++) bring_in(s, v, i, now);
}

/* Every HORIZON: bring silent sources up to date, then drop post spikes
 * no future pre spike can pair with. A future pre spike at t > now meets
 * posts seen after its source's tseen (>= the minimum over sources), i.e.
 * stamps above min(tseen) - dmax; its depression needs the newest stamp
 * below t - d > now - dmax, so one spike at or below the cut is kept. */
static void slice_end(void *vs, sa_syn_view *v, sa_tick now) {
  state *s = vs;
  if (now < s->next_prune) return;
  s->next_prune = now + s->horizon;
  sa_tick cut = now;
  for (uint32_t i = 0; i < v->n_src; i++) {
    if (s->tseen[i] < now - s->horizon) bring_in(s, v, i, now);
    if (s->tseen[i] >= 0 && s->tseen[i] < cut) cut = s->tseen[i];
  }
  cut -= v->dmax;
  for (uint32_t j = 0; j < v->n_tgt; j++) {
    hist *h = &s->h[j];
    while (h->n > 1 && h->t[h->start + 1] <= cut) {
      h->start++;
      h->n--;
    }
  }
}

/* Checkpoints: the per-source traces, the post histories flattened (a
 * count per target, then all stamps and K- values), the pruning clock. */
static int save(const void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  const state *s = vs;
  uint64_t total = 0;
  uint64_t *cnt = malloc(((size_t)v->n_tgt + 1) * sizeof *cnt);
  if (!cnt) return SA_ENOMEM;
  for (uint32_t j = 0; j < v->n_tgt; j++) total += cnt[j] = s->h[j].n;
  sa_tick *t = malloc((total ? total : 1) * sizeof *t);
  double *k = malloc((total ? total : 1) * sizeof *k);
  int rc = t && k ? 0 : SA_ENOMEM;
  uint64_t at = 0;
  for (uint32_t j = 0; !rc && j < v->n_tgt; j++) {
    const hist *h = &s->h[j];
    memcpy(t + at, h->t + h->start, h->n * sizeof *t);
    memcpy(k + at, h->k + h->start, h->n * sizeof *k);
    at += h->n;
  }
  if (!rc) rc = sa__ck_put(ck, pre, "kplus", SA_CK_F64, s->kplus, v->n_src);
  if (!rc) rc = sa__ck_put(ck, pre, "tlast", SA_CK_I64, s->tlast, v->n_src);
  if (!rc) rc = sa__ck_put(ck, pre, "tseen", SA_CK_I64, s->tseen, v->n_src);
  if (!rc) rc = sa__ck_put(ck, pre, "hist_n", SA_CK_U64, cnt, v->n_tgt);
  if (!rc) rc = sa__ck_put(ck, pre, "hist_t", SA_CK_I64, t, total);
  if (!rc) rc = sa__ck_put(ck, pre, "hist_k", SA_CK_F64, k, total);
  if (!rc) rc = sa__ck_put(ck, pre, "next_prune", SA_CK_I64, &s->next_prune,
                           1);
  free(cnt);
  free(t);
  free(k);
  return rc;
}

static int load(void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  state *s = vs;
  long long total = sa__ck_len(ck, pre, "hist_t");
  if (total < 0) return SA_EINVAL;
  uint64_t *cnt = malloc(((size_t)v->n_tgt + 1) * sizeof *cnt);
  sa_tick *t = malloc((total ? (size_t)total : 1) * sizeof *t);
  double *k = malloc((total ? (size_t)total : 1) * sizeof *k);
  int rc = cnt && t && k ? 0 : SA_ENOMEM;
  if (!rc) rc = sa__ck_get(ck, pre, "kplus", SA_CK_F64, s->kplus, v->n_src);
  if (!rc) rc = sa__ck_get(ck, pre, "tlast", SA_CK_I64, s->tlast, v->n_src);
  if (!rc) rc = sa__ck_get(ck, pre, "tseen", SA_CK_I64, s->tseen, v->n_src);
  if (!rc) rc = sa__ck_get(ck, pre, "hist_n", SA_CK_U64, cnt, v->n_tgt);
  if (!rc) rc = sa__ck_get(ck, pre, "hist_t", SA_CK_I64, t, (size_t)total);
  if (!rc) rc = sa__ck_get(ck, pre, "hist_k", SA_CK_F64, k, (size_t)total);
  if (!rc) rc = sa__ck_get(ck, pre, "next_prune", SA_CK_I64, &s->next_prune,
                           1);
  uint64_t at = 0;
  for (uint32_t j = 0; !rc && j < v->n_tgt; j++) {
    hist *h = &s->h[j];
    h->start = h->n = 0;
    if (at + cnt[j] > (uint64_t)total) rc = SA_EINVAL;
    for (uint64_t i = 0; !rc && i < cnt[j]; i++)
      rc = hist_push(h, t[at + i], k[at + i]);
    at += cnt[j];
  }
  free(cnt);
  free(t);
  free(k);
  return rc;
}

const sa_rule_vt sa_rule_stdp = {
  "stdp", 1, SA_RULE_PLASTIC, sizeof(params), descs, set_option, check,
  create, destroy, post, pre, materialize, slice_end, NULL, save, load};
