/* lif_cond_exp.c: leaky integrate-and-fire neuron with exponentially
 * decaying synaptic conductances (NEST iaf_cond_exp).
 * SPDX-License-Identifier: MIT
 *
 *   C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e
 *   dg_ex/dt = -g_ex/tau_syn_ex,  dg_in/dt = -g_in/tau_syn_in
 *   spike when V >= V_th: V <- V_reset, clamped for t_ref.
 * A spike of weight w (nS) arriving at t adds w to g_ex (w > 0) or |w| to
 * g_in (w < 0), as in NEST.
 *
 *   name        default  unit
 *   V_th        -55      mV
 *   V_reset     -60      mV
 *   t_ref       2        ms
 *   g_L         16.6667  nS
 *   C_m         250      pF
 *   E_ex        0        mV
 *   E_in        -85      mV
 *   E_L         -70      mV
 *   tau_syn_ex  0.2      ms
 *   tau_syn_in  2        ms
 *   I_e         0        pA
 *
 * Integration (per step h; y = V - E_L). The conductances decay exactly,
 * g <- e^(-h/tau) g, then take the step's arrivals. The membrane equation
 * y' = -a(t) y + b(t), a = G/C_m, b = D/C_m, with
 *   G = g_L + g_ex + g_in,  D = g_ex (E_ex - E_L) + g_in (E_in - E_L) + I_e
 * is linear in y but its coefficients follow the conductances, so its
 * solution y(h) = e^(-A) y(0) + int_0^h e^(-(A - A(s))) b(s) ds
 * (A(s) = int_0^s a) has no elementary closed form. We use:
 *  1. the exact step averages gbar = g(t) tau/h (1 - e^(-h/tau)) in G and
 *     D, so A = h Gbar/C_m is exact and the decay factor e^(-A) too;
 *  2. y(h) with G, D frozen at those averages, in closed form:
 *       y + (h/C_m) (D - G y) phi(x),  x = -h G/C_m,  phi(x) = (e^x - 1)/x;
 *  3. plus the term of the exact integral that is linear in the slopes
 *     G' = -sum gbar_s/tau_s, D' = -sum gbar_s (E_s - E_L)/tau_s, kept
 *     to all orders in z = -x:
 *       (h^3 / (12 C_m^2)) sum_s gbar_s/tau_s (D - G (E_s - E_L)) f(z),
 *       f(z) = 6 int_0^1 e^(-z u) u (1 - u) du = 6 (z - 2 + (z + 2) e^-z)/z^3
 *     (f(0) = 1; f ~ 6/z^2 for stiff steps, where it gives the
 *     quasi-static limit D(t+h)/G(t+h) - D/G to first order).
 * Steps 1-2 alone are second order (error ~ h^2); with 3 the error falls
 * 16-fold per halving of h (measured fourth order). At h = 0.1 ms the
 * largest |V - V_RK4(1e-4 ms)| in tests/test_cond.c is 7e-6 mV with NEST's
 * defaults (tau_syn_ex = 0.2 ms), 3e-9 mV with the COBA benchmark's
 * parameters and 2e-3 mV with conductances of thousands of nS (h G/C_m ~ 1);
 * steps 1-2 alone gave 1.6e-3 and 6e-4 mV on the first two. NEST's GSL
 * RKF45 runs with an absolute tolerance of 1e-3 mV per step.
 * Why not RKF45 like NEST: adaptive steps branch per neuron and cost 6+
 * evaluations; this is one exponential and ~50 flops, branch-free, so it
 * vectorises, and it is exact when the conductances are constant (no
 * input: leak time constant and rheobase exact at any h).
 * Refractoriness as NEST: V is held at V_reset for round(t_ref/h) steps
 * while the conductances go on decaying and receiving input.
 *
 * The exponential is our own: glibc's exp is not vectorised without
 * -ffast-math, and one libm call per neuron and step would cost more than
 * the rest of the update. em1() below evaluates e^x - 1 with Cody-Waite
 * range reduction and a degree-13 Taylor polynomial on |r| <= ln2/2 (the
 * truncation error is below 1e-17 relative), using only +, -, * and bit
 * operations, so every vector width gives the same bits (C11 mode keeps
 * FMA contraction off). */
#include "lif_common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double V_th, V_reset, t_ref, g_L, C_m, E_ex, E_in, E_L, tau_syn_ex,
      tau_syn_in, I_e;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(V_th, "mV", -55.0), P(V_reset, "mV", -60.0), P(t_ref, "ms", 2.0),
  P(g_L, "nS", 16.6667), P(C_m, "pF", 250.0), P(E_ex, "mV", 0.0),
  P(E_in, "mV", -85.0), P(E_L, "mV", -70.0), P(tau_syn_ex, "ms", 0.2),
  P(tau_syn_in, "ms", 2.0), P(I_e, "pA", 0.0), {NULL, NULL, 0, 0}};
#undef P

static const char *const vars[] = {"V_m", "g_ex", "g_in", NULL};

typedef struct state {
  double *V;           /* mV, relative to E_L */
  double *g_ex, *g_in; /* nS */
  /* Per chunk of a block (pass), keyed by its first node / SA_LIF_CHUNK
   * (unique: chunks are SA_LIF_CHUNK apart within a block and the next
   * block starts past the last one's end): a bound on A_ex |g_ex| +
   * A_in |g_in| of its nodes (pass), valid while gen[key] == epoch.
   * Anything that writes the state from outside the update moves epoch
   * on (64 bits: set_init does so for every node it writes). */
  double *bnd;
  uint64_t *gen, epoch;
  double P_max;        /* max(P_ex, P_in) */
  /* From prepare. */
  double P_ex, P_in;   /* e^(-h/tau_syn) */
  double A_ex, A_in;   /* step average of g over g at the step start */
  double h_C;          /* h / C_m, ms/pF */
  double K_ex, K_in;   /* h^3 / (12 C_m^2 tau_syn) */
  double dE_ex, dE_in; /* E_ex - E_L, E_in - E_L (mV) */
  double theta, v_reset;
  int64_t ref_counts;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  int rc = sa__lif_check(p->V_reset, p->V_th, p->C_m, err, n);
  if (rc) return rc;
  if (p->t_ref < 0) {
    snprintf(err, n, "Refractory time cannot be negative.");
    return SA_EINVAL;
  }
  if (p->tau_syn_ex <= 0 || p->tau_syn_in <= 0) {
    snprintf(err, n, "All time constants must be strictly positive.");
    return SA_EINVAL;
  }
  return 0;
}

static int init(sa_pop *p) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->V = calloc(p->n, sizeof *s->V);
  s->g_ex = calloc(p->n, sizeof *s->g_ex);
  s->g_in = calloc(p->n, sizeof *s->g_in);
  size_t nb = p->n / SA_LIF_CHUNK + 1;
  s->bnd = calloc(nb, sizeof *s->bnd);
  s->gen = calloc(nb, sizeof *s->gen);
  s->epoch = 1;
  p->state = s;
  if (!s->V || !s->g_ex || !s->g_in || !s->bnd || !s->gen)
    return SA_ENOMEM;
  return 0;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->V);
  free(s->g_ex);
  free(s->g_in);
  free(s->bnd);
  free(s->gen);
  free(s);
  p->state = NULL;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) s->V[i] = v - pp->E_L;
  else if (!strcmp(var, "g_ex")) s->g_ex[i] = v;
  else if (!strcmp(var, "g_in")) s->g_in[i] = v;
  else return SA_ENOENT;
  s->epoch++;
  return 0;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  const state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) *v = s->V[i] + pp->E_L;
  else if (!strcmp(var, "g_ex")) *v = s->g_ex[i];
  else if (!strcmp(var, "g_in")) *v = s->g_in[i];
  else return SA_ENOENT;
  return 0;
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  s->P_ex = exp(-h / pp->tau_syn_ex);
  s->P_in = exp(-h / pp->tau_syn_in);
  s->P_max = s->P_ex > s->P_in ? s->P_ex : s->P_in;
  s->A_ex = -pp->tau_syn_ex / h * expm1(-h / pp->tau_syn_ex);
  s->A_in = -pp->tau_syn_in / h * expm1(-h / pp->tau_syn_in);
  s->h_C = h / pp->C_m;
  s->K_ex = h * h * h / (12.0 * pp->C_m * pp->C_m * pp->tau_syn_ex);
  s->K_in = h * h * h / (12.0 * pp->C_m * pp->C_m * pp->tau_syn_in);
  s->dE_ex = pp->E_ex - pp->E_L;
  s->dE_in = pp->E_in - pp->E_L;
  s->theta = pp->V_th - pp->E_L;
  s->v_reset = pp->V_reset - pp->E_L;
  s->ref_counts = llround(pp->t_ref / h);
  s->epoch++;
  return 0;
}

/* e^x - 1 for x in [-700, 700], branch-free (see the top comment).
 * x = k ln2 + r with k = round(x / ln2) found by adding 1.5 * 2^52, which
 * leaves k in the low mantissa bits; then e^x - 1 = 2^k (e^r - 1) +
 * (2^k - 1), which has no cancellation for k != 0 (|x| > ln2/2). For
 * k = 0, r = x and the caller uses the pieces of e^r - 1 = r + r^2 (1/2 +
 * r q1) directly: q1 = sum_j r^j / (j + 3)!, j = 0..9 (truncation below
 * 1e-15 relative for |r| <= ln2/2), evaluated in Estrin's scheme (a short
 * dependency chain; with Horner's the loop is latency-bound). */
typedef struct em1_parts {
  double em;  /* e^x - 1 */
  double q1;  /* as above, at r */
  double k;   /* round(x / ln 2) */
} em1_parts;

SA_LIF_INLINE double em1_q1(double r) {
  double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  double b0 = 1.0 / 6 + r * (1.0 / 24), b1 = 1.0 / 120 + r * (1.0 / 720);
  double b2 = 1.0 / 5040 + r * (1.0 / 40320);
  double b3 = 1.0 / 362880 + r * (1.0 / 3628800);
  double b4 = 1.0 / 39916800 + r * (1.0 / 479001600);
  return (b0 + r2 * b1) + r4 * (b2 + r2 * b3) + r8 * b4;
}

/* x / ln 2 rounded to an integer k, as t = k + 1.5 * 2^52 (em1 below):
 * t == EM1_SHIFT exactly when k = 0 (for |x| <= 700 the same as for
 * em1's clamped argument; beyond, and for NaN, not). */
#define EM1_SHIFT 0x1.8p52
SA_LIF_INLINE double em1_t(double x) {
  return x * 0x1.71547652b82fep0 + EM1_SHIFT;
}

SA_LIF_INLINE em1_parts em1(double x) {
  const double ln2_hi = 0x1.62e42fee00000p-1;  /* ln 2, high 32 bits */
  const double ln2_lo = 0x1.a39ef35793c76p-33; /* ln 2 - ln2_hi */
  double t = em1_t(x);                         /* x / ln 2, rounded */
  double k = t - EM1_SHIFT;
  double r = (x - k * ln2_hi) - k * ln2_lo;
  double r2 = r * r;
  double q1 = em1_q1(r);
  double e = r + r2 * (0.5 + r * q1);          /* e^r - 1 */
  uint64_t tb, sb;
  const uint64_t shift_bits = 0x4338000000000000u;
  memcpy(&tb, &t, sizeof tb);
  sb = (tb - shift_bits + 1023u) << 52;        /* 2^k */
  double s;
  memcpy(&s, &sb, sizeof s);
  em1_parts o = {s * e + (s - 1.0), q1, k};
  return o;
}

typedef struct kern {
  double *V, *ge, *gi;
  double g_L, I_e, h_C, A_ex, A_in, P_ex, P_in, dE_ex, dE_in, K_ex, K_in,
      theta;
  double *bnd, P_max;  /* state's */
  uint64_t *gen, epoch;
  uint32_t lo, hi;     /* the block */
} kern;

/* NEST's order: V over [t, t+h] with the conductances from t, then the
 * conductances decay (here) and take the inputs arriving at t+h (take),
 * then threshold (lif_common.h). No branches, so the compiler vectorises
 * it. `small` is a constant at each call: 0 is the full form, 1 the
 * short form for a node whose k (em1) is 0, as in nearly every step of a
 * typical network (|x| < ln2/2 = 0.35: h G < 0.35 C_m, e.g. G < 700 nS
 * for COBA). That gives the same bits without the range reduction, 2^k,
 * the division and the large-|x| side, which the full form computes and
 * then weights by 0 (its k = 0 side is k0 * phis + 0 * phil = phis
 * exactly, as phil and fl are finite there; r = x). */
SA_LIF_INLINE int step_form(double *restrict V, double *restrict ge,
                            double *restrict gi, const kern *ks,
                            uint32_t j, int small) {
  const double g_L = ks->g_L, I_e = ks->I_e, h_C = ks->h_C;
  const double A_ex = ks->A_ex, A_in = ks->A_in, P_ex = ks->P_ex,
               P_in = ks->P_in, dE_ex = ks->dE_ex, dE_in = ks->dE_in;
  const double K_ex = ks->K_ex, K_in = ks->K_in;
  double y = V[j];
  double be = A_ex * ge[j], bi = A_in * gi[j];
  double G = g_L + be + bi;
  double D = be * dE_ex + bi * dE_in + I_e;
  double x = -h_C * G;
  double phi, f;
  if (small) {
    double q1 = em1_q1(x);
    phi = 1.0 + x * (0.5 + x * q1);
    f = 6.0 * (0.5 - (2.0 - x) * q1);
  } else {
    double below = x < -700.0, above = x > 700.0;
    double xc = x + below * (-700.0 - x) + above * (700.0 - x);
    em1_parts e = em1(xc);
    /* phi = (e^x - 1)/x and f = 6 chi(z), z = -x (top comment). For
     * k = 0 (|x| < ln2/2, the usual case) both come from the pieces of
     * e^x - 1 without division or cancellation:
     *   phi = 1 + x (1/2 + x q1),  f = 6 (1/2 - (2 - x) q1);
     * otherwise from e^x - 1 and 1/x. Both sides are computed, the
     * division on a safe denominator, and blended with 0/1 weights
     * rather than selected: GCC would otherwise sink the division into
     * a branch, and without AVX-512 masks it cannot vectorise a division
     * that may trap. A weight of 1 returns its side exactly. */
    double k0 = e.k == 0.0;
    double inv = 1.0 / (x + k0 * (1.0 - x));
    double phis = 1.0 + x * (0.5 + x * e.q1);
    double phil = e.em * inv;
    phi = k0 * phis + (1.0 - k0) * phil;
    double fs = 6.0 * (0.5 - (2.0 - x) * e.q1);
    double fl = 6.0 * (-2.0 * x + (2.0 - x) * e.em) * -(inv * inv * inv);
    f = k0 * fs + (1.0 - k0) * fl;
  }
  double c = be * K_ex * (D - G * dE_ex) + bi * K_in * (D - G * dE_in);
  double v = y + h_C * (D - G * y) * phi + f * c;
  V[j] = v;
  /* Inhibitory weights arrive negative; g_in takes |w| (take). */
  ge[j] = P_ex * ge[j] + 0.0;
  gi[j] = P_in * gi[j] - 0.0;
  return v >= ks->theta;
}

SA_LIF_INLINE int step(double *restrict V, double *restrict ge,
                       double *restrict gi, const kern *ks, uint32_t j) {
  return step_form(V, ge, gi, ks, j, 0);
}

SA_LIF_INLINE int step_small(double *restrict V, double *restrict ge,
                             double *restrict gi, const kern *ks,
                             uint32_t j) {
  return step_form(V, ge, gi, ks, j, 1);
}

/* The exponent argument x = -h G / C_m of node j's step. */
SA_LIF_INLINE double step_x(const double *restrict ge,
                            const double *restrict gi, const kern *ks,
                            uint32_t j) {
  double be = ks->A_ex * ge[j], bi = ks->A_in * gi[j];
  return -ks->h_C * (ks->g_L + be + bi);
}

/* A node's A_ex |g_ex| + A_in |g_in|, which bounds |G - g_L| of its step. */
SA_LIF_INLINE double gsum(const kern *ks, double ge, double gi) {
  return ks->A_ex * fabs(ge) + ks->A_in * fabs(gi);
}

/* A chunk's bound b raised to a node's sum v. Both are >= 0 or a NaN
 * with the sign bit clear (gsum takes |g|, and none of its operations
 * makes a NaN), and the bit patterns of those order as their values, NaN
 * last: so b becomes NaN if v is, and then every step of the chunk tests
 * every node (pass). */
SA_LIF_INLINE int64_t gbits(double v) {
  int64_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

SA_LIF_INLINE void bound_raise(double *b, double v) {
  int64_t u = gbits(v), t = gbits(*b);
  u = u > t ? u : t;
  memcpy(b, &u, sizeof *b);
}

/* The update of len <= SA_LIF_CHUNK nodes from c when no bound decides
 * (pass). Every node's k is tested; all take step_small, and then the few
 * with k != 0 (about one, in COBA) take step instead, from their state
 * put back. A chunk's bound b (NULL for a population's remainder, which
 * has none) becomes the largest sum of its decayed conductances: b may
 * have risen well above them, as it decays by the slower factor. */
SA_LIF_INLINE int64_t tested(const kern *ks, uint32_t c, uint32_t len,
                             double *b) {
  double *Vc = ks->V + c, *gec = ks->ge + c, *gic = ks->gi + c;
  /* (the largest sum, as bound_raise orders them) */
  int64_t big[SA_LIF_CHUNK], any = 0, top = 0, n = 0;
  for (uint32_t j = 0; j < len; j++) {
    big[j] = em1_t(step_x(gec, gic, ks, j)) != EM1_SHIFT;
    any |= big[j];
    int64_t u = gbits(gsum(ks, gec[j], gic[j]));
    top = u > top ? u : top;
  }
  if (b) {
    memcpy(b, &top, sizeof *b);
    *b *= ks->P_max;   /* the step's decays, as in pass */
  }
  double keep[3][SA_LIF_CHUNK];
  uint32_t at[SA_LIF_CHUNK + 1], m = 0;
  if (any) {
    for (uint32_t j = 0; j < len; j++) {
      at[m] = j;
      m += (uint32_t)big[j];
    }
    for (uint32_t q = 0; q < m; q++) {
      keep[0][q] = Vc[at[q]];
      keep[1][q] = gec[at[q]];
      keep[2][q] = gic[at[q]];
    }
  }
  for (uint32_t j = 0; j < len; j++) n += step_small(Vc, gec, gic, ks, j);
  for (uint32_t q = 0; q < m; q++) {
    const uint32_t j = at[q];
    n -= Vc[j] >= ks->theta;
    Vc[j] = keep[0][q];
    gec[j] = keep[1][q];
    gic[j] = keep[2][q];
    n += step(Vc, gec, gic, ks, j);
  }
  return n;
}

/* tested() out of line and cloned on its own, so that the pass, which
 * comes here for a sixth of COBA's chunks, keeps its registers for
 * step_small; a whole chunk with constant trip counts. */
SA_VECTOR_CLONES __attribute__((noinline))
static int64_t chunk_tested(const kern *ks, uint32_t c, uint32_t len,
                            double *b) {
  if (len == SA_LIF_CHUNK) return tested(ks, c, SA_LIF_CHUNK, b);
  return tested(ks, c, len, NULL);
}

/* As SA_LIF_ROWS (lif_common.h), choosing per chunk: step_small when
 * every node's k (em1) is 0, otherwise step. k = 0 when |x / ln 2| < 0.5,
 * x = -h G / C_m, which holds, with 2 % to spare for the roundings, when
 * h_C (|g_L| + b) <= 0.34 for the chunk's bound b on A_ex |g_ex| + A_in
 * |g_in|. The bound decays by the slower conductance's factor each step
 * and rises with the inputs (take); after the state was written from
 * outside (epoch) it is unknown until chunk_tested sets it again. When it does
 * not decide, chunk_tested tests every node. bench/coba.json, 2 s: the
 * bound decides 82 % of the chunk-steps; of the 18 % tested, 83 % have a
 * node with k != 0, 1.1 such nodes on average. Before, every chunk was
 * tested, and one such node sent all 64 through step (15 % of the
 * chunk-steps, each about 2.6 times the cost of step_small): 0.739 s of
 * loop then, 0.657 s now (medians of 11, interleaved; the same bits). */
SA_LIF_INLINE void pass(void *m, uint32_t lo, uint32_t hi, int32_t *cnt) {
  const kern *ks = m;
  const double gl = fabs(ks->g_L);
  uint32_t c = lo, w = 0;
  for (; hi - c >= SA_LIF_CHUNK; c += SA_LIF_CHUNK, w++) {
    const uint32_t key = c / SA_LIF_CHUNK;
    double *b = &ks->bnd[key];
    if (ks->gen[key] != ks->epoch) {   /* unknown: chunk_tested sets it */
      *b = INFINITY;
      ks->gen[key] = ks->epoch;
    }
    int64_t n = 0;
    if (ks->h_C * (gl + *b) <= 0.34) {
      double *Vc = ks->V + c, *gec = ks->ge + c, *gic = ks->gi + c;
      for (uint32_t j = 0; j < SA_LIF_CHUNK; j++)
        n += step_small(Vc, gec, gic, ks, j);
      *b *= ks->P_max;   /* the step's decays */
    } else {
      n = chunk_tested(ks, c, SA_LIF_CHUNK, b);
    }
    cnt[w] = (int32_t)n;
  }
  if (c < hi) cnt[w] = (int32_t)chunk_tested(ks, c, hi - c, NULL);
}

SA_LIF_INLINE int take(void *m, uint32_t i, double ex, double in) {
  const kern *x = m;
  double ge = x->ge[i] += ex, gi = x->gi[i] -= in;
  /* The bound of i's chunk (pass), if it is a whole one. */
  const uint32_t c = x->lo + ((i - x->lo) & ~(SA_LIF_CHUNK - 1));
  if (x->hi - c >= SA_LIF_CHUNK)
    bound_raise(&x->bnd[c / SA_LIF_CHUNK], gsum(x, ge, gi));
  return 0;
}

SA_VECTOR_CLONES
static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  state *s = p->state;
  const params *pp = p->params;
  kern x = {s->V,     s->g_ex,  s->g_in,  pp->g_L,  pp->I_e,
            s->h_C,   s->A_ex,  s->A_in,  s->P_ex,  s->P_in,
            s->dE_ex, s->dE_in, s->K_ex,  s->K_in,  s->theta,
            s->bnd,   s->P_max, s->gen,   s->epoch, b->lo,
            b->hi};
  return sa__lif_step(b, k, out, &x, s->V, s->theta, s->v_reset,
                      s->ref_counts, pass, take, NULL);
}

static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  int rc = sa__ck_put(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "g_ex", SA_CK_F64, s->g_ex, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "g_in", SA_CK_F64, s->g_in, p->n);
  if (!rc) rc = sa__lif_save_refr(p, ck, pre);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  int rc = sa__ck_get(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "g_ex", SA_CK_F64, s->g_ex, p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "g_in", SA_CK_F64, s->g_in, p->n);
  if (!rc) rc = sa__lif_load_refr(p, ck, pre, s->V);
  s->epoch++;
  return rc;
}

const sa_model_vt sa_model_lif_cond_exp = {
  "lif_cond_exp", 1, SA_MODEL_NEURON, sizeof(params), descs, vars,
  check, init, fini, set_init, get_state, prepare, update, save, load, 0};
