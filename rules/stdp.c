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
 * whatever the input statistics.
 *
 * Cost (bench/plastic): a pre spike's row walk is the whole price of
 * STDP (the core then delivers the row it has updated). Per synapse it
 * reads the target's newest post spikes from one prefetched block
 * (struct recent) and does, on average,
 * about one facilitation and one depression from the decay tables; the
 * loop is specialised per pairing and weight dependence. Where the
 * processor has AVX-512 the walk takes 8 synapses at a time (row_pre_x8,
 * additive and multiplicative), bit for bit the scalar walk's weights
 * (tests/test_stdp_x8.c); bench/stdp_walk.c times the two. */
#include "sa_rule.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define PREFETCH(a) __builtin_prefetch(a)
#else
#define NOINLINE
#define ALWAYS_INLINE static inline
#define PREFETCH(a) ((void)(a))
#endif

/* The row walk on 8 synapses at a time where the processor has AVX-512
 * (row_pre_x8); elsewhere, and for fractional weight dependences, the
 * scalar loop. */
#if defined(__GNUC__) && defined(__x86_64__)
#define SA_STDP_AVX512 1
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw")))
#else
#define SA_STDP_AVX512 0
#endif

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

/* How often silent sources are brought up to date (ticks = HORIZON_MS/dt).
 * It bounds how far back post histories reach (up to about twice this
 * plus the largest delay), and so how often a target needs more than its
 * block (struct hist): at 200 ms CUBA's targets (5.6 Hz) nearly never do.
 * bench/run --memory, CUBA with STDP on exc -> exc, bytes per STDP
 * synapse: 18.8 with 1000 ms and every history in arrays, 17.1 with the
 * block as the history (500 ms), 16.2 (250 ms), 15.8 (200 ms). Bringing
 * silent sources in more often costs +2.6 % instructions on CUBA with
 * STDP (callgrind, 2 s; the facilitation is the same, only applied
 * earlier); results do not depend on it. */
#define HORIZON_MS 200.0

/* A target's post spikes that a future pre spike may still pair with, n of
 * them. While n <= NREC they are the newest n of its block (struct recent)
 * and no arrays exist; beyond, all n are also in t and k (one allocation
 * of cap stamps, then cap K- values), oldest first from start, until
 * pruning brings n back to NREC. So the history costs nothing beyond the
 * block for a target that fired at most NREC times in the horizon. */
typedef struct hist {
  sa_tick *t;        /* post spike stamps, ascending, or NULL; then (hk)
                      * K- just after each spike */
  uint32_t start, n, cap;
} hist;

static inline double *hk(const hist *h) { return (double *)(h->t + h->cap); }

/* The newest NREC post spikes of a target, newest first, in one 128-byte
 * aligned block of two 64-byte lines (FAST stamps and their K- each);
 * past the end of the history t is NO_SPIKE. A pre spike's walk stops at
 * the first post spike its source has already seen, so it almost always
 * ends in the first line (94 % of CUBA's plastic events) or the second
 * (98 %), which the row loop prefetches a few synapses ahead (targets are
 * random, and a separate stamp array, K- array and header were three
 * cache misses a synapse). A target with more than NREC spikes in its
 * history also keeps them all in arrays (struct hist), for the walks that
 * go further; with fewer the block is the history. The block may keep
 * spikes that pruning dropped from the history; a walk never needs them
 * (slice_end keeps one spike every future walk stops at, and a source
 * that never fired, whose walk does not stop, only depresses, by the
 * newest spike it has seen, which is kept). */
enum { NREC = 8, FAST = 4 };
typedef struct recent {
  struct { sa_tick t[FAST]; double k[FAST]; } q[NREC / FAST];
} recent;
#define REC_T(r, i) ((r)->q[(i) / FAST].t[(i) % FAST])
#define REC_K(r, i) ((r)->q[(i) / FAST].k[(i) % FAST])
#define NO_SPIKE INT64_MIN

/* Decay factors e^(-n dt / tau) for n ticks, tabulated with the same
 * expression exp() would get, so a lookup is bit-identical to the call;
 * beyond the table (41 tau for tau = 20 ms, dt = 0.1 ms) exp() is called. */
enum { NTAB = 8192 };

typedef struct state {
  params p;
  double dt;
  double alambda;    /* alpha lambda, grouped as depress() groups it */
  double ep[NTAB], em[NTAB];   /* tau_plus, tau_minus */
  double tail_plus, tail_minus;  /* 2 ep[NTAB - 1], 2 em[NTAB - 1] */
  recent *rec;       /* per target, 64-byte aligned */
  double *kplus;     /* per source: K+ just after its last spike */
  sa_tick *tlast;    /* per source: last spike stamp, -1 = none */
  sa_tick *tseen;    /* per source: posts seen up to here are applied */
  hist *h;           /* per target */
  uint32_t n_tgt;
  sa_tick horizon, next_prune;
  int avx512;        /* the processor has AVX-512: row_pre_x8 */
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
  for (uint32_t j = 0; s->h && j < s->n_tgt; j++) free(s->h[j].t);
  free(s->h);
  free(s->rec);
  free(s->kplus);
  free(s->tlast);
  free(s->tseen);
  free(s);
}

/* Target j's block, empty. */
static void rec_clear(state *s, uint32_t j) {
  recent *r = &s->rec[j];
  for (int i = 0; i < NREC; i++) {
    REC_T(r, i) = NO_SPIKE;
    REC_K(r, i) = 0.0;
  }
}

static int create(void **out, const void *vp, const sa_syn_view *v) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->p = *(const params *)vp;
  s->alambda = s->p.alpha * s->p.lambda;
  s->kplus = calloc(v->n_src ? v->n_src : 1, sizeof *s->kplus);
  s->tlast = malloc((v->n_src ? v->n_src : 1) * sizeof *s->tlast);
  s->tseen = malloc((v->n_src ? v->n_src : 1) * sizeof *s->tseen);
  s->h = calloc(v->n_tgt ? v->n_tgt : 1, sizeof *s->h);
  s->rec = aligned_alloc(64, (v->n_tgt ? v->n_tgt : 1) * sizeof *s->rec);
  s->n_tgt = v->n_tgt;
  if (!s->kplus || !s->tlast || !s->tseen || !s->h || !s->rec) {
    destroy(s);
    return SA_ENOMEM;
  }
  for (uint32_t i = 0; i < v->n_src; i++) s->tlast[i] = s->tseen[i] = -1;
  for (uint32_t j = 0; j < v->n_tgt; j++) rec_clear(s, j);
  s->dt = v->dt;
  for (int n = 0; n < NTAB; n++) {
    s->ep[n] = exp((double)(-n) * v->dt / s->p.tau_plus);
    s->em[n] = exp((double)(-n) * v->dt / s->p.tau_minus);
  }
  s->tail_plus = 2.0 * s->ep[NTAB - 1];
  s->tail_minus = 2.0 * s->em[NTAB - 1];
  s->horizon = llround(HORIZON_MS / v->dt);
  if (s->horizon < 1) s->horizon = 1;
  s->next_prune = s->horizon;
#if SA_STDP_AVX512
  __builtin_cpu_init();
  s->avx512 = __builtin_cpu_supports("avx512f") &&
              __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512bw");
#endif
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

/* Room for cap spikes in h's arrays (cap >= n), the live ones moved to
 * the front. */
static int hist_resize(hist *h, uint32_t cap) {
  void *m = malloc((size_t)cap * (sizeof(sa_tick) + sizeof(double)));
  if (!m) return SA_ENOMEM;
  sa_tick *t = m;
  double *k = (double *)(t + cap);
  if (h->t) {
    memcpy(t, h->t + h->start, h->n * sizeof *t);
    memcpy(k, hk(h) + h->start, h->n * sizeof *k);
  }
  free(h->t);
  h->t = t;
  h->start = 0;
  h->cap = cap;
  return 0;
}

/* Target j's post spike at t with trace k: into its history, then to the
 * front of its block (so the history's "newest n of the block" stays
 * true). */
static int add_post(state *s, uint32_t j, sa_tick t, double k) {
  hist *h = &s->h[j];
  recent *r = &s->rec[j];
  if (!h->t && h->n == NREC) {
    /* The block's NREC become the arrays' first, oldest first. */
    int rc = hist_resize(h, NREC + NREC / 2);
    if (rc) return rc;
    for (int i = 0; i < NREC; i++) {
      h->t[i] = REC_T(r, NREC - 1 - i);
      hk(h)[i] = REC_K(r, NREC - 1 - i);
    }
  }
  if (h->t) {
    if (h->n == h->cap) {               /* full: grow (live part first) */
      int rc = hist_resize(h, 2 * h->cap);
      if (rc) return rc;
    } else if (h->start + h->n == h->cap) {   /* slide the live part */
      memmove(h->t, h->t + h->start, h->n * sizeof *h->t);
      memmove(hk(h), hk(h) + h->start, h->n * sizeof(double));
      h->start = 0;
    }
    h->t[h->start + h->n] = t;
    hk(h)[h->start + h->n] = k;
  }
  h->n++;
  for (int i = NREC - 1; i > 0; i--) {
    REC_T(r, i) = REC_T(r, i - 1);
    REC_K(r, i) = REC_K(r, i - 1);
  }
  REC_T(r, 0) = t;
  REC_K(r, 0) = k;
  return 0;
}

static int post(void *vs, const sa_syn_view *v, const sa_tick *stamp,
                const uint32_t *id, size_t n) {
  (void)v;
  state *s = vs;
  for (size_t i = 0; i < n; i++) {
    recent *r = &s->rec[id[i]];
    double k = 1.0;
    if (REC_T(r, 0) != NO_SPIKE && !s->p.nearest)
      k = REC_K(r, 0) * decay_minus(s, stamp[i] - REC_T(r, 0)) + 1.0;
    int rc = add_post(s, id[i], stamp[i], k);
    if (rc) return rc;
  }
  return 0;
}

/* NEST's facilitate_ / depress_, on the signed weight; alambda is alpha
 * lambda. With mu a constant 0 or 1 at the call site they compile to the
 * additive or multiplicative form (x^0 = 1 and 1.0 k = k exactly). */
static inline double facilitate(double lambda, double mu, double wmax,
                                double w, double k) {
  double nw = w / wmax + lambda * powmu(1.0 - w / wmax, mu) * k;
  return nw < 1.0 ? nw * wmax : wmax;
}

static inline double depress(double alambda, double mu, double wmax,
                             double w, double k) {
  double nw = w / wmax - alambda * powmu(w / wmax, mu) * k;
  return nw > 0.0 ? nw * wmax : 0.0;
}

/* facilitate() with K = kp e^(-n dt / tau_plus) and depress() with
 * K = k0 e^(-n dt / tau_minus), n >= 0 ticks. Beyond the tables exp() is
 * skipped when the change provably cannot move x = w/wmax: a change below
 * x 2^-54 rounds back to x (half an ulp is more), so the result is, bit
 * for bit, what the whole expression gives. Bound: for 0 < x <= 1 the
 * weight dependence is <= 1, and e^(-n dt/tau) < tail = 2 e^(-(NTAB - 1)
 * dt/tau) for n >= NTAB (the factor 2 covers the roundings). Depression
 * of synapses onto long-silent targets took exp() on 11 % of CUBA's
 * plastic events. */
static NOINLINE double fac_far(const state *s, double mup, double wmax,
                               double w, double kp, sa_tick n) {
  double x = w / wmax;
  if (x > 0.0 && x <= 1.0 && s->p.lambda * kp * s->tail_plus < x * 0x1p-54)
    return x < 1.0 ? x * wmax : wmax;
  return facilitate(s->p.lambda, mup, wmax, w, kp * decay_plus(s, n));
}

static NOINLINE double dep_far(const state *s, double mum, double wmax,
                               double w, double k0, sa_tick n) {
  double x = w / wmax;
  if (x > 0.0 && x <= 1.0 && s->alambda * k0 * s->tail_minus < x * 0x1p-54)
    return x * wmax;
  return depress(s->alambda, mum, wmax, w, k0 * decay_minus(s, n));
}

/* What a pre spike's walk needs of the source: the window (from, until]
 * of seen times to facilitate, the time of the spike (until), and K+ at
 * its previous spike tl (-1: none, so no facilitation). */
typedef struct prectx {
  sa_tick from, until, tl;
  double kp, wmax;
  /* The state's constants, copied: the compiler cannot keep fields of the
   * state in registers across the weight stores, which might alias them. */
  double lambda, alambda;
  const double *ep, *em;
  const recent *rec;
} prectx;

static prectx ctx(const state *s, const sa_syn_view *v, uint32_t src,
                  sa_tick until) {
  prectx c = {s->tseen[src], until, s->tlast[src], s->kplus[src],
              v->sign * s->p.Wmax, s->p.lambda, s->alambda, s->ep, s->em,
              s->rec};
  return c;
}

ALWAYS_INLINE double fac_n(const state *s, const prectx *c, double mup,
                           double w, sa_tick n) {
  if (n >= NTAB) return fac_far(s, mup, c->wmax, w, c->kp, n);
  return facilitate(c->lambda, mup, c->wmax, w, c->kp * c->ep[n]);
}

ALWAYS_INLINE double dep_n(const state *s, const prectx *c, double mum,
                           double w, double k0, sa_tick n) {
  if (n >= NTAB) return dep_far(s, mum, c->wmax, w, k0, n);
  return depress(c->alambda, mum, c->wmax, w, k0 * c->em[n]);
}

/* Synapse weight w, delay d, target history h: the facilitation of the
 * post spikes seen in (from, until], i.e. stamps in (from - d, until - d],
 * then, if dep, the depression by the newest post spike seen strictly
 * before until. The general walk, over the whole history; syn() below is
 * the same on the target's block. */
static double syn_hist(const state *s, const hist *h, const prectx *c,
                       double w, sa_tick d, int dep) {
  const params *p = &s->p;
  size_t lo = h->start + h->n, kidx = SIZE_MAX;
  /* Walk back from the newest spike: skip those seen after `until`, note
   * the newest one seen strictly before `until` (depression), stop at the
   * first one seen at or before `from` (from < until, so by then the
   * depression index is known). */
  for (size_t i = h->start + h->n; i-- > h->start;) {
    sa_tick seen = h->t[i] + d;
    if (seen < c->until && kidx == SIZE_MAX) kidx = i;
    if (seen <= c->from) break;
    if (seen <= c->until) lo = i;
  }
  if (c->tl >= 0)
    for (size_t i = lo; i < h->start + h->n; i++) {
      sa_tick seen = h->t[i] + d;
      if (seen > c->until) break;
      w = fac_n(s, c, p->mu_plus, w, seen - c->tl);
    }
  if (dep && kidx != SIZE_MAX) {
    w = dep_n(s, c, p->mu_minus, w, p->nearest ? 1.0 : hk(h)[kidx],
              c->until - (h->t[kidx] + d));
  }
  return w;
}

/* syn_hist on target tgt's block, falling back to the whole history when
 * the walk does not stop inside the block; it goes on from spike i, with
 * lo and kidx as the walk over the first i left them (see syn()). */
static NOINLINE double syn_line(const state *s, uint32_t tgt,
                                const prectx *c, double w, sa_tick d,
                                int dep, int i, int lo, int kidx) {
  const params *p = &s->p;
  const recent *r = &s->rec[tgt];
  for (; i < NREC && REC_T(r, i) != NO_SPIKE; i++) {
    sa_tick seen = REC_T(r, i) + d;
    if (seen < c->until && kidx < 0) kidx = i;
    if (seen <= c->from) break;
    if (seen <= c->until) lo = i;
  }
  /* Past the block: the arrays, if the target has more than NREC spikes
   * in its history; if not, the block held all of them. */
  if (i == NREC && s->h[tgt].t)
    return syn_hist(s, &s->h[tgt], c, w, d, dep);
  if (c->tl >= 0)
    for (int m = lo; m >= 0; m--) {     /* oldest first */
      sa_tick seen = REC_T(r, m) + d;
      if (seen > c->until) break;
      w = fac_n(s, c, p->mu_plus, w, seen - c->tl);
    }
  if (dep && kidx >= 0) {
    w = dep_n(s, c, p->mu_minus, w, p->nearest ? 1.0 : REC_K(r, kidx),
              c->until - (REC_T(r, kidx) + d));
  }
  return w;
}

/* syn_line on the block's first FAST spikes (its first cache line), where
 * almost every walk stops. nearest, mup and mum are constants in the
 * specialised row loops. */
ALWAYS_INLINE double syn(const state *s, uint32_t tgt, const prectx *c,
                         double w, sa_tick d, int dep, int nearest,
                         double mup, double mum) {
  const sa_tick *t = c->rec[tgt].q[0].t;
  const double *k = c->rec[tgt].q[0].k;
  int i = 0, lo = -1, kidx = -1;
  for (; i < FAST && t[i] != NO_SPIKE; i++) {
    sa_tick seen = t[i] + d;
    if (seen < c->until && kidx < 0) kidx = i;
    if (seen <= c->from) break;
    if (seen <= c->until) lo = i;
  }
  if (i == FAST) return syn_line(s, tgt, c, w, d, dep, i, lo, kidx);
  if (c->tl >= 0)
    for (int m = lo; m >= 0; m--) {     /* oldest first */
      sa_tick seen = t[m] + d;
      if (seen > c->until) break;
      w = fac_n(s, c, mup, w, seen - c->tl);
    }
  if (dep && kidx >= 0)
    w = dep_n(s, c, mum, w, nearest ? 1.0 : k[kidx],
              c->until - (t[kidx] + d));
  return w;
}

/* How many synapses ahead the row loop prefetches the target's block. */
enum { AHEAD = 8 };

/* The row of src at its spike: each weight updated. (Fusing this with the
 * core's delivery saved about 1 % and would need the core's input lists
 * here.) */
ALWAYS_INLINE void row_pre(const state *s, sa_syn_view *v, const prectx *c,
                           uint32_t src, int nearest, double mup,
                           double mum) {
  const uint64_t a = v->row[src], b = v->row[src + 1];
  const uint32_t *tg = v->target;
  double *w = v->w;
  /* Rows start at random places: ask for the whole row's weights (its
   * targets are read now, for the first lines) rather than wait for the
   * hardware to notice the stream. */
  for (uint64_t q = a; q < b; q += 8) PREFETCH(&w[q]);
  for (uint64_t q = a; q < b && q < a + AHEAD; q++) PREFETCH(&c->rec[tg[q]]);
  if (!v->delay) {
    const sa_tick d = v->dconst;
    for (uint64_t q = a; q < b; q++) {
      if (q + AHEAD < b) PREFETCH(&c->rec[tg[q + AHEAD]]);
      w[q] = syn(s, tg[q], c, w[q], d, 1, nearest, mup, mum);
    }
  } else {
    for (uint64_t q = a; q < b; q++) {
      if (q + AHEAD < b) PREFETCH(&c->rec[tg[q + AHEAD]]);
      w[q] = syn(s, tg[q], c, w[q], v->delay[q], 1, nearest, mup, mum);
    }
  }
}

#if SA_STDP_AVX512
/* row_pre for 8 synapses at a time, for the additive (mul = 0) and the
 * multiplicative (mul = 1) forms: the walk of syn() with a lane's
 * conditions as masks. Stamps are newest first, so a lane's facilitations
 * are the spikes with from < seen <= until, applied from the oldest to the
 * newest, and its depression takes the first spike seen before until.
 * Every operation is the scalar one on 8 lanes (division, multiplication,
 * addition, compare, select; ISO C mode, so no FMA contraction): the
 * weights are the scalar path's, bit for bit. */

/* Above NO_SPIKE + any delay: a seen time that is not NO_SPIKE's. */
#define X8_NONE (NO_SPIKE + UINT16_MAX)

/* The row's constants, on 8 lanes. */
typedef struct x8c {
  __m512i from, until, tl, none, unseen, ntab;
  __m512d wmax, one, zero, lambda, alambda, kp, tailp, tailm, tiny;
} x8c;

AVX512 ALWAYS_INLINE x8c x8_consts(const state *s, const prectx *c) {
  x8c k = {_mm512_set1_epi64(c->from), _mm512_set1_epi64(c->until),
           _mm512_set1_epi64(c->tl), _mm512_set1_epi64(NO_SPIKE),
           _mm512_set1_epi64(X8_NONE), _mm512_set1_epi64(NTAB),
           _mm512_set1_pd(c->wmax), _mm512_set1_pd(1.0),
           _mm512_setzero_pd(), _mm512_set1_pd(c->lambda),
           _mm512_set1_pd(c->alambda), _mm512_set1_pd(c->kp),
           _mm512_set1_pd(s->tail_plus), _mm512_set1_pd(s->tail_minus),
           _mm512_set1_pd(0x1p-54)};
  return k;
}

/* Where stamp i lies in a block, in quadwords (its K- is FAST further). */
#define X8_T(i) (((i) / FAST) * 2 * FAST + (i) % FAST)

/* One facilitation of x8_walk, in two halves so that the table lookups
 * of all of a vector's facilitations are asked for before the weights'
 * chain of divisions needs them. x8_fac_k: the lanes of fast whose spike
 * (seen, after) is in (from, until], with K = K+ e^(-n dt / tau_plus) if
 * the decay n is in the table (far: beyond it). */
typedef struct x8f {
  __m512d k;
  __mmask8 f, far;
} x8f;

AVX512 ALWAYS_INLINE x8f x8_fac_k(const x8c *K, const prectx *c,
                                  __mmask8 fast, __m512i seen,
                                  __mmask8 after) {
  x8f r = {K->zero, fast & _mm512_mask_cmple_epi64_mask(after, seen, K->until),
           0};
  if (!r.f) return r;
  const __m512i n = _mm512_sub_epi64(seen, K->tl);
  r.far = _mm512_mask_cmpge_epi64_mask(r.f, n, K->ntab);
  r.f &= ~r.far;
  r.k = _mm512_mul_pd(K->kp,
                      _mm512_mask_i64gather_pd(K->zero, r.f, n, c->ep, 8));
  return r;
}

/* x8_fac_k's facilitation applied to wv. A lane whose decay lies beyond
 * the tables leaves fast unless fac_far's test shows the change cannot
 * move its x. */
AVX512 ALWAYS_INLINE void x8_fac(const x8c *K, const x8f *r, __m512d *wv,
                                 __mmask8 *fast, int mul) {
  if (!(r->f | r->far)) return;
  const __m512d x = _mm512_div_pd(*wv, K->wmax);
  /* x + lambda (1 - x)^mu k (lambda 1.0 is lambda); nw < 1 ? nw wmax :
   * wmax is min(nw, 1) wmax, NaN included */
  const __m512d dw = _mm512_mul_pd(
      mul ? _mm512_mul_pd(K->lambda, _mm512_sub_pd(K->one, x)) : K->lambda,
      r->k);
  *wv = _mm512_mask_mul_pd(*wv, r->f,
                           _mm512_min_pd(_mm512_add_pd(x, dw), K->one),
                           K->wmax);
  if (r->far) {
    const __mmask8 ok =
        r->far & _mm512_cmp_pd_mask(x, K->zero, _CMP_GT_OQ) &
        _mm512_cmp_pd_mask(x, K->one, _CMP_LE_OQ) &
        _mm512_cmp_pd_mask(
            _mm512_mul_pd(_mm512_mul_pd(K->lambda, K->kp), K->tailp),
            _mm512_mul_pd(x, K->tiny), _CMP_LT_OQ);
    *wv = _mm512_mask_mul_pd(*wv, ok, x, K->wmax);   /* x <= 1 */
    *fast &= ~(r->far & ~ok);
  }
}

/* Spike i of the block (stamp t; NO_SPIKE past the history's end) for
 * the lanes on: seen, and after (seen > from; never for NO_SPIKE); sk,
 * the newest seen before until, and cnt, how many are seen at or after
 * until, updated. NO_SPIKE counts as seen before until and older than any
 * spike: it is sk only in a lane with no spike seen before until, and
 * then sk <= X8_NONE. */
AVX512 ALWAYS_INLINE void x8_spike(const x8c *K, __m512i t, __m512i d,
                                   __mmask8 on, __m512i *seen,
                                   __mmask8 *after, __m512i *sk,
                                   __m512i *cnt) {
  *seen = _mm512_add_epi64(t, d);
  *after = _mm512_mask_cmpgt_epi64_mask(on, *seen, K->from);
  const __mmask8 before = _mm512_mask_cmplt_epi64_mask(on, *seen, K->until);
  *sk = _mm512_mask_max_epi64(*sk, before, *sk, *seen);
  *cnt = _mm512_mask_add_epi64(*cnt, on & ~before, *cnt,
                               _mm512_set1_epi64(1));
}

/* The walk for synapses q.. (lanes live) over their targets' blocks:
 * the first line for all, the second for the lanes whose walk goes on
 * (2 % of CUBA's). Stores the weights it has computed and returns the
 * lanes left to syn() (walks that leave the block, decays beyond the
 * tables). */
AVX512 ALWAYS_INLINE unsigned x8_walk(const x8c *K, const prectx *c,
                                      const sa_syn_view *v, uint64_t q,
                                      uint64_t b, __mmask8 live,
                                      int nearest, int mul, int dep) {
  const uint32_t *tg = v->target;
  const long long *rec = (const long long *)c->rec;
  const __m512i d =
      v->delay ? _mm512_cvtepu16_epi64(_mm_maskz_loadu_epi16(live,
                                                             v->delay + q))
               : _mm512_set1_epi64(v->dconst);
  /* Block indices, in quadwords (a block is 16). */
  const __m512i blk = _mm512_slli_epi64(
      _mm512_cvtepu32_epi64(_mm256_maskz_loadu_epi32(live, tg + q)), 4);
  /* The first lines' stamps, transposed from one load a lane (lanes past
   * the row read the row's last block): t[i] holds stamp i of the 8
   * lanes. */
  __m512i t[NREC];
  {
    const recent *r[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) r[j] = &c->rec[tg[q + j < b ? q + j : b - 1]];
    __m512i z[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)   /* stamps of lanes j and j + 4 */
      z[j] = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_load_si256((const __m256i *)r[j])),
          _mm256_load_si256((const __m256i *)r[j + 4]), 1);
    const __m512i lo01 = _mm512_unpacklo_epi64(z[0], z[1]);
    const __m512i hi01 = _mm512_unpackhi_epi64(z[0], z[1]);
    const __m512i lo23 = _mm512_unpacklo_epi64(z[2], z[3]);
    const __m512i hi23 = _mm512_unpackhi_epi64(z[2], z[3]);
    const __m512i even = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i odd = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    t[0] = _mm512_permutex2var_epi64(lo01, even, lo23);
    t[1] = _mm512_permutex2var_epi64(hi01, even, hi23);
    t[2] = _mm512_permutex2var_epi64(lo01, odd, lo23);
    t[3] = _mm512_permutex2var_epi64(hi01, odd, hi23);
  }
  __m512i seen[NREC];
  __mmask8 after[NREC];
  /* The depression's spike, the first seen before until, is the newest
   * of those (stamps descend): sk; the spikes ahead of it in the block
   * are those not seen before until: cnt. */
  __m512i sk = K->none, cnt = _mm512_setzero_si512();
#pragma GCC unroll 4
  for (int i = 0; i < FAST; i++)
    x8_spike(K, t[i], d, live, &seen[i], &after[i], &sk, &cnt);
  __mmask8 fast = live;
  const __mmask8 wide = after[FAST - 1];
  x8f fk[NREC];
  for (int i = FAST; i < NREC; i++) fk[i] = (x8f){K->zero, 0, 0};
  if (wide) {
    /* The second line, for the lanes whose walk goes on (its
     * facilitations come first: they are older). */
#pragma GCC unroll 4
    for (int i = FAST; i < NREC; i++) {
      t[i] = _mm512_mask_i64gather_epi64(K->none, wide, blk, rec + X8_T(i),
                                         8);
      x8_spike(K, t[i], d, wide, &seen[i], &after[i], &sk, &cnt);
    }
    fast &= ~after[NREC - 1];
  }
  const int fac = c->tl >= 0;
#pragma GCC unroll 8
  for (int i = 0; i < NREC; i++)
    if (fac && (i < FAST || wide)) fk[i] = x8_fac_k(K, c, fast, seen[i],
                                                   after[i]);
  const __mmask8 dm =
      dep ? _mm512_mask_cmpgt_epi64_mask(fast, sk, K->unseen) : 0;
  __m512d k0 = K->one, kd = K->zero;
  __mmask8 far = 0, tab = 0;
  if (dm) {
    /* K- of spike cnt: X8_T(cnt) + FAST = cnt + FAST, + FAST more in the
     * second line */
    const __m512i ko = _mm512_add_epi64(
        _mm512_add_epi64(cnt, _mm512_set1_epi64(FAST)),
        _mm512_and_si512(cnt, _mm512_set1_epi64(FAST)));
    if (!nearest)
      k0 = _mm512_mask_i64gather_pd(K->zero, dm, _mm512_add_epi64(blk, ko),
                                    (const double *)rec, 8);
    const __m512i n = _mm512_sub_epi64(K->until, sk);
    far = _mm512_mask_cmpge_epi64_mask(dm, n, K->ntab);
    tab = dm & ~far;
    kd = _mm512_mul_pd(k0, _mm512_mask_i64gather_pd(K->zero, tab, n, c->em,
                                                    8));
  }
  /* The weights' chain: facilitations oldest first, then depression. */
  __m512d wv = _mm512_maskz_loadu_pd(live, v->w + q);
  if (fac) {
    if (wide)
#pragma GCC unroll 4
      for (int i = NREC - 1; i >= FAST; i--)
        x8_fac(K, &fk[i], &wv, &fast, mul);
#pragma GCC unroll 4
    for (int i = FAST - 1; i >= 0; i--) x8_fac(K, &fk[i], &wv, &fast, mul);
  }
  if (dm) {
    const __m512d x = _mm512_div_pd(wv, K->wmax);
    const __m512d nw = _mm512_sub_pd(
        x, _mm512_mul_pd(mul ? _mm512_mul_pd(K->alambda, x) : K->alambda, kd));
    /* nw > 0 ? nw wmax : +0.0 (wmax may be negative) */
    const __mmask8 gt = _mm512_cmp_pd_mask(nw, K->zero, _CMP_GT_OQ);
    wv = _mm512_mask_mov_pd(wv, tab, _mm512_maskz_mul_pd(gt, nw, K->wmax));
    if (far) {
      /* dep_far's test */
      const __mmask8 ok =
          far & _mm512_cmp_pd_mask(x, K->zero, _CMP_GT_OQ) &
          _mm512_cmp_pd_mask(x, K->one, _CMP_LE_OQ) &
          _mm512_cmp_pd_mask(
              _mm512_mul_pd(_mm512_mul_pd(K->alambda, k0), K->tailm),
              _mm512_mul_pd(x, K->tiny), _CMP_LT_OQ);
      wv = _mm512_mask_mul_pd(wv, ok, x, K->wmax);
      fast &= ~(far & ~ok);
    }
  }
  _mm512_mask_storeu_pd(v->w + q, fast, wv);
  return live & ~fast;
}

/* How many synapses ahead the vector loop prefetches targets' blocks;
 * the shortest row it walks (bench/stdp_walk.c with rows of K synapses:
 * the scalar walk is faster up to K = 6, the 8-lane one from K = 8). */
enum { X8_AHEAD = 2 * AHEAD, X8_MIN_ROW = 8 };

AVX512 ALWAYS_INLINE void row_pre_x8(const state *s, sa_syn_view *v,
                                     const prectx *c, uint32_t src,
                                     int nearest, int mul, int dep) {
  const uint64_t a = v->row[src], b = v->row[src + 1];
  const uint32_t *tg = v->target;
  double *w = v->w;
  const double mu = mul ? 1.0 : 0.0;
  for (uint64_t q = a; q < b; q += 8) PREFETCH(&w[q]);
  for (uint64_t q = a; q < b && q < a + X8_AHEAD; q++)
    PREFETCH(&c->rec[tg[q]]);
  const x8c K = x8_consts(s, c);
  for (uint64_t q = a; q < b; q += 8) {
    const __mmask8 live = b - q >= 8 ? 0xff : (__mmask8)((1u << (b - q)) - 1);
    for (uint64_t r = q + X8_AHEAD; r < q + X8_AHEAD + 8 && r < b; r++)
      PREFETCH(&c->rec[tg[r]]);
    unsigned slow = x8_walk(&K, c, v, q, b, live, nearest, mul, dep);
    for (; slow; slow &= slow - 1) {
      const uint64_t r = q + (uint64_t)__builtin_ctz(slow);
      w[r] = syn(s, tg[r], c, w[r], v->delay ? v->delay[r] : v->dconst, dep,
                 nearest, mu, mu);
    }
  }
}

/* row_pre_x8 for the pairing and weight dependence; dep = 0 for
 * bring_in (facilitation only). */
static AVX512 NOINLINE void row_pre_avx512(const state *s, sa_syn_view *v,
                                           const prectx *c, uint32_t src,
                                           int nearest, int mul, int dep) {
  if (!dep) {
    if (mul) row_pre_x8(s, v, c, src, 0, 1, 0);
    else row_pre_x8(s, v, c, src, 0, 0, 0);
  } else if (nearest) {
    if (mul) row_pre_x8(s, v, c, src, 1, 1, 1);
    else row_pre_x8(s, v, c, src, 1, 0, 1);
  } else {
    if (mul) row_pre_x8(s, v, c, src, 0, 1, 1);
    else row_pre_x8(s, v, c, src, 0, 0, 1);
  }
}

/* The form row_pre_avx512 walks src's row in, 0 additive or 1
 * multiplicative, or -1: the scalar walk (no AVX-512, another weight
 * dependence, a row under X8_MIN_ROW). */
static int x8_row(const state *s, const sa_syn_view *v, uint32_t src) {
  if (!s->avx512 || v->row[src + 1] - v->row[src] < X8_MIN_ROW) return -1;
  if (s->p.mu_plus == 0.0 && s->p.mu_minus == 0.0) return 0;
  if (s->p.mu_plus == 1.0 && s->p.mu_minus == 1.0) return 1;
  return -1;
}
#endif

static void pre(void *vs, sa_syn_view *v, sa_tick stamp, uint32_t src) {
  state *s = vs;
  const params *p = &s->p;
  const prectx c = ctx(s, v, src, stamp);
  const int add = p->mu_plus == 0.0 && p->mu_minus == 0.0;
  const int mul = p->mu_plus == 1.0 && p->mu_minus == 1.0;
#if SA_STDP_AVX512
  const int form = x8_row(s, v, src);
  if (form >= 0)
    row_pre_avx512(s, v, &c, src, p->nearest != 0.0, form, 1);
  else
#endif
  /* One loop per pairing and weight dependence: no per-synapse tests of
   * the options. */
  if (p->nearest) {
    if (add) row_pre(s, v, &c, src, 1, 0.0, 0.0);
    else if (mul) row_pre(s, v, &c, src, 1, 1.0, 1.0);
    else row_pre(s, v, &c, src, 1, p->mu_plus, p->mu_minus);
  } else {
    if (add) row_pre(s, v, &c, src, 0, 0.0, 0.0);
    else if (mul) row_pre(s, v, &c, src, 0, 1.0, 1.0);
    else row_pre(s, v, &c, src, 0, p->mu_plus, p->mu_minus);
  }
  double kp = 1.0;
  if (!p->nearest && c.tl >= 0)
    kp = c.kp * decay_plus(s, stamp - c.tl) + 1.0;
  s->kplus[src] = kp;
  s->tlast[src] = s->tseen[src] = stamp;
}

static void bring_in(state *s, sa_syn_view *v, uint32_t src, sa_tick now) {
  if (s->tseen[src] >= now) return;
  if (s->tlast[src] >= 0) {
    const prectx c = ctx(s, v, src, now);
#if SA_STDP_AVX512
    const int form = x8_row(s, v, src);
    if (form >= 0)
      row_pre_avx512(s, v, &c, src, 0, form, 0);
    else
#endif
    for (uint64_t q = v->row[src]; q < v->row[src + 1]; q++) {
      sa_tick d = v->delay ? v->delay[q] : v->dconst;
      v->w[q] = syn_line(s, v->target[q], &c, v->w[q], d, 0, 0, -1, -1);
    }
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
    if (!h->t) {
      while (h->n > 1 && REC_T(&s->rec[j], h->n - 2) <= cut) h->n--;
      continue;
    }
    while (h->n > 1 && h->t[h->start + 1] <= cut) {
      h->start++;
      h->n--;
    }
    if (h->n <= NREC) {         /* the block holds them all again */
      free(h->t);
      h->t = NULL;
      h->start = h->cap = 0;
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
    if (h->t) {
      memcpy(t + at, h->t + h->start, h->n * sizeof *t);
      memcpy(k + at, hk(h) + h->start, h->n * sizeof *k);
    } else {
      for (uint32_t i = 0; i < h->n; i++) {   /* oldest first */
        t[at + i] = REC_T(&s->rec[j], h->n - 1 - i);
        k[at + i] = REC_K(&s->rec[j], h->n - 1 - i);
      }
    }
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
    free(h->t);
    *h = (hist){0};
    rec_clear(s, j);
    if (at + cnt[j] > (uint64_t)total) rc = SA_EINVAL;
    for (uint64_t i = 0; !rc && i < cnt[j]; i++)
      rc = add_post(s, j, t[at + i], k[at + i]);
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
