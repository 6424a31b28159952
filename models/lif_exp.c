/* lif_exp.c: leaky integrate-and-fire neuron with exponential current
 * synapses (NEST iaf_psc_exp), integrated with exact propagators.
 * SPDX-License-Identifier: MIT
 *
 *   C_m dV/dt = -(C_m/tau_m)(V - E_L) + I_ex + I_in + I_e
 *   dI_ex/dt = -I_ex/tau_syn_ex,  dI_in/dt = -I_in/tau_syn_in
 *   spike when V >= V_th: V <- V_reset, clamped for t_ref.
 * A spike of weight w (pA) arriving at t adds w to I_ex (w > 0) or I_in.
 *
 *   name        default  unit
 *   C_m         250      pF
 *   tau_m       10       ms
 *   tau_syn_ex  2        ms
 *   tau_syn_in  2        ms
 *   t_ref       2        ms
 *   E_L         -70      mV
 *   V_reset     -70      mV
 *   V_th        -55      mV
 *   I_e         0        pA
 *
 * Exact integration (Rotter & Diesmann 1999): over one step h the linear
 * ODE maps (V, I) to (P22 V + P21 I + P20 I_e, P11 I), with
 *   P11 = e^(-h/tau_s), P22 = e^(-h/tau_m), P20 = tau_m/C_m (1 - P22),
 *   P21 = tau_s tau_m / (C_m (tau_m - tau_s)) (e^(-h/tau_m) - e^(-h/tau_s)).
 * P21 is computed as e^(-h/tau_m) (-expm1(-h a)) / (C_m a) with
 * a = 1/tau_s - 1/tau_m, which stays accurate as tau_s -> tau_m and has the
 * limit h e^(-h/tau_m) / C_m there (NEST's "singularity" case).
 *
 * Scaled currents. Between inputs a current only decays, so it is kept
 * as i = I(t) e^(n h/tau_s), n = t mod R, which stays put from tick to
 * tick: the update reads V and both i but writes only V, with the
 * factors P21 e^(-n h/tau_s) the same for every node of the tick (a
 * vector pass bound by its stores did three per node, now one: CUBA's
 * pass 3.8 -> 2.5 us a tick for 4000 nodes, 63 -> 40 for 64000, in a
 * stand-alone copy). An input w arriving at tick t adds w e^(n h/tau_s).
 * Every R ticks (R h = 20 of the shorter tau_s, at most 1024 ticks) the
 * pass also writes i <- i e^(-R h/tau_s), so that n starts again at 0
 * and the factors stay within e^(+-20). The currents that get_state,
 * set_init and checkpoints of earlier versions see are I(t). The bits
 * differ from the per-step decay I <- P11 I (which rounds every step;
 * this rounds once per input and renewal), not the accuracy, and do not
 * depend on the thread count: every factor is a function of the tick. */
#include "lif_common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double C_m, tau_m, tau_syn_ex, tau_syn_in, t_ref, E_L, V_reset, V_th, I_e;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(C_m, "pF", 250.0), P(tau_m, "ms", 10.0), P(tau_syn_ex, "ms", 2.0),
  P(tau_syn_in, "ms", 2.0), P(t_ref, "ms", 2.0), P(E_L, "mV", -70.0),
  P(V_reset, "mV", -70.0), P(V_th, "mV", -55.0), P(I_e, "pA", 0.0),
  {NULL, NULL, 0, 0}};
#undef P

static const char *const vars[] = {"V_m", "I_syn_ex", "I_syn_in", NULL};

enum { R_MAX = 1024 };

typedef struct state {
  double *V;          /* mV, relative to E_L */
  double *i_ex, *i_in;/* pA, scaled: I(t) = i dn[t % R] (top comment) */
  /* Propagators, from prepare. */
  double P22, P21ex, P21in, P20, theta, v_reset;
  int64_t ref_counts;
  /* Scale factors for n = 0 .. R: dn e^(-n h/tau_syn), up e^(n h/tau_syn)
   * (ex, in); the h and taus they were made for. */
  int64_t R;
  double *dn_ex, *dn_in, *up_ex, *up_in;
  double h, tau_ex, tau_in;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  int rc = sa__lif_check(p->V_reset, p->V_th, p->C_m, err, n);
  if (rc) return rc;
  if (p->tau_m <= 0 || p->tau_syn_ex <= 0 || p->tau_syn_in <= 0) {
    snprintf(err, n,
             "Membrane and synapse time constants must be strictly positive.");
    return SA_EINVAL;
  }
  if (p->t_ref < 0) {
    snprintf(err, n, "Refractory time must not be negative.");
    return SA_EINVAL;
  }
  return 0;
}

static int init(sa_pop *p) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->V = calloc(p->n, sizeof *s->V);
  s->i_ex = calloc(p->n, sizeof *s->i_ex);
  s->i_in = calloc(p->n, sizeof *s->i_in);
  s->dn_ex = malloc(4 * (R_MAX + 1) * sizeof *s->dn_ex);
  p->state = s;
  if (!s->V || !s->i_ex || !s->i_in || !s->dn_ex) return SA_ENOMEM;
  s->dn_in = s->dn_ex + (R_MAX + 1);
  s->up_ex = s->dn_in + (R_MAX + 1);
  s->up_in = s->up_ex + (R_MAX + 1);
  /* Until prepare: no scaling (R = 1, every factor 1). */
  s->R = 1;
  s->dn_ex[0] = s->dn_in[0] = s->up_ex[0] = s->up_in[0] = 1.0;
  s->dn_ex[1] = s->dn_in[1] = 1.0;
  return 0;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->V);
  free(s->i_ex);
  free(s->i_in);
  free(s->dn_ex);
  free(s);
  p->state = NULL;
}

/* The phase n of the scaled currents at the network's present tick. */
static int64_t phase(const sa_pop *p) {
  const state *s = p->state;
  return sa_net_now(p->net) % s->R;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) s->V[i] = v - pp->E_L;
  else if (!strcmp(var, "I_syn_ex")) s->i_ex[i] = v * s->up_ex[phase(p)];
  else if (!strcmp(var, "I_syn_in")) s->i_in[i] = v * s->up_in[phase(p)];
  else return SA_ENOENT;
  return 0;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  const state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) *v = s->V[i] + pp->E_L;
  else if (!strcmp(var, "I_syn_ex")) *v = s->i_ex[i] * s->dn_ex[phase(p)];
  else if (!strcmp(var, "I_syn_in")) *v = s->i_in[i] * s->dn_in[phase(p)];
  else return SA_ENOENT;
  return 0;
}

double sa__propagator_32(double tau_s, double tau_m, double C, double h) {
  double a = 1.0 / tau_s - 1.0 / tau_m;
  double em = exp(-h / tau_m);
  if (fabs(h * a) < 1e-14) return h * em / C;
  return em * (-expm1(-h * a)) / (C * a);
}

/* e^(n h/tau), n ticks (sign -1: decayed, +1: scaled up). */
static double factor(int sign, int64_t n, double h, double tau) {
  return exp(sign * (double)n * h / tau);
}

/* Every node's scaled currents times ce and ci (a change of form). */
static void rescale(const sa_pop *p, double ce, double ci) {
  state *s = p->state;
  if (ce == 1.0 && ci == 1.0) return;
  for (uint32_t i = 0; i < p->n; i++) {
    s->i_ex[i] *= ce;
    s->i_in[i] *= ci;
  }
}

/* The scale factors for h and the synaptic taus; the currents, if the
 * factors change (new taus between runs), rescaled to them at the present
 * tick. */
static void scales(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  const double te = pp->tau_syn_ex, ti = pp->tau_syn_in;
  /* (s->h is 0 until the first call) */
  if (s->h == h && s->tau_ex == te && s->tau_in == ti) return;
  const double tmin = te < ti ? te : ti;
  double r = floor(20.0 * tmin / h);
  const int64_t R = r < 1 ? 1 : r > R_MAX ? R_MAX : (int64_t)r;
  const int64_t was = phase(p), n = sa_net_now(p->net) % R;
  if (was != 0 || n != 0)
    rescale(p, s->dn_ex[was] * factor(1, n, h, te),
            s->dn_in[was] * factor(1, n, h, ti));
  s->R = R;
  for (int64_t k = 0; k <= R; k++) {
    s->dn_ex[k] = factor(-1, k, h, te);
    s->dn_in[k] = factor(-1, k, h, ti);
    s->up_ex[k] = factor(1, k, h, te);
    s->up_in[k] = factor(1, k, h, ti);
  }
  s->h = h;
  s->tau_ex = te;
  s->tau_in = ti;
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  scales(p, h);
  s->P22 = exp(-h / pp->tau_m);
  s->P21ex = sa__propagator_32(pp->tau_syn_ex, pp->tau_m, pp->C_m, h);
  s->P21in = sa__propagator_32(pp->tau_syn_in, pp->tau_m, pp->C_m, h);
  s->P20 = pp->tau_m / pp->C_m * -expm1(-h / pp->tau_m);
  s->theta = pp->V_th - pp->E_L;
  s->v_reset = pp->V_reset - pp->E_L;
  s->ref_counts = llround(pp->t_ref / h);
  return 0;
}

/* One update's constants and arrays, for the functions below: the
 * propagators from the currents (P21 e^(-n h/tau)), the factors of the
 * renewal (e^(-R h/tau), applied only on `renew` ticks) and of the
 * inputs (e^(n' h/tau) for the phase n' of the tick they arrive at). */
typedef struct kern {
  double *V, *ie, *ii;
  double P22, P21ex, P21in, drive, theta;
  double Rex, Rin, uex, uin;
  int renew;
} kern;

/* NEST's order: V from the currents at t, then the currents decay (here)
 * and take the inputs arriving at t+h (take), then threshold
 * (lif_common.h). No branches, so the compiler vectorises it; the
 * arithmetic is the same expression in the same order as the scalar form,
 * and C11 mode keeps contraction off, so results do not depend on the
 * vector width. The currents stay as they are (scaled, top comment)
 * except on a renewal tick (step_renew), without lif_common.h's "+ 0.0":
 * it would only turn a current that has decayed to -0 into +0, and a
 * zero of either sign adds nothing to V and gives way to any input.
 * Without I_e (CUBA's drive is E_L above V_th) the pass also leaves out
 * the drive's "+ 0.0", which could only turn a V of -0 into +0: one
 * addition of the node's four fewer, CUBA N = 4000 0.516 -> 0.483 s for
 * 10 s (9 interleaved runs; N = 64000, bound by memory, 1.4 %), same
 * bits. */
SA_LIF_INLINE int step(double *restrict V, const double *restrict ie,
                       const double *restrict ii, const kern *x,
                       uint32_t j, int drive) {
  double v = x->P22 * V[j] + x->P21ex * ie[j] + x->P21in * ii[j];
  if (drive) v += x->drive;
  V[j] = v;
  return v >= x->theta;
}

/* The same on a renewal tick, which also rescales the currents. */
SA_LIF_INLINE int step_renew(double *restrict V, double *restrict ie,
                             double *restrict ii, const kern *x,
                             uint32_t j) {
  int crossed = step(V, ie, ii, x, j, 1);
  ie[j] = x->Rex * ie[j];
  ii[j] = x->Rin * ii[j];
  return crossed;
}

SA_LIF_INLINE void pass(void *m, uint32_t lo, uint32_t hi, int32_t *cnt) {
  const kern *x = m;
  double *V = x->V, *ie = x->ie, *ii = x->ii;
  if (x->renew)
    SA_LIF_ROWS(lo, hi, cnt, c, j, step_renew(V + c, ie + c, ii + c, x, j));
  else if (x->drive != 0)
    SA_LIF_ROWS(lo, hi, cnt, c, j, step(V + c, ie + c, ii + c, x, j, 1));
  else
    SA_LIF_ROWS(lo, hi, cnt, c, j, step(V + c, ie + c, ii + c, x, j, 0));
}

SA_LIF_INLINE int take(void *m, uint32_t i, double ex, double in) {
  const kern *x = m;
  x->ie[i] += ex * x->uex;
  x->ii[i] += in * x->uin;
  return 0;
}

SA_VECTOR_CLONES
static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  state *s = p->state;
  const params *pp = p->params;
  /* From tick k to k + 1: the currents at phase n, the inputs at n1,
   * which is 0 on a renewal. */
  const int64_t R = s->R, n = k % R, n1 = (k + 1) % R;
  kern x = {s->V, s->i_ex, s->i_in, s->P22, s->P21ex * s->dn_ex[n],
            s->P21in * s->dn_in[n], s->P20 * pp->I_e, s->theta,
            s->dn_ex[R], s->dn_in[R], s->up_ex[n1], s->up_in[n1], n1 == 0};
  return sa__lif_step(b, k, out, &x, s->V, s->theta, s->v_reset,
                      s->ref_counts, pass, take, NULL);
}

/* Checkpoints keep the scaled currents as they are ("i_ex_s", "i_in_s")
 * with their R, so that a run resumes bit for bit; those of earlier
 * versions kept I(t) ("i_ex", "i_in"), which load scales. */
static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  int rc = sa__ck_put(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "i_ex_s", SA_CK_F64, s->i_ex, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "i_in_s", SA_CK_F64, s->i_in, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "scale_R", SA_CK_I64, &s->R, 1);
  if (!rc) rc = sa__lif_save_refr(p, ck, pre);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  const int64_t now = sa_net_now(p->net);
  int rc = sa__ck_get(ck, pre, "V", SA_CK_F64, s->V, p->n);
  int64_t R = 0;
  double ce = 1.0, ci = 1.0;   /* from the checkpoint's form to ours */
  if (!rc && sa__ck_len(ck, pre, "i_ex_s") >= 0) {
    rc = sa__ck_get(ck, pre, "i_ex_s", SA_CK_F64, s->i_ex, p->n);
    if (!rc) rc = sa__ck_get(ck, pre, "i_in_s", SA_CK_F64, s->i_in, p->n);
    if (!rc) rc = sa__ck_get(ck, pre, "scale_R", SA_CK_I64, &R, 1);
    if (!rc && R < 1) rc = SA_EINVAL;
    if (!rc && R != s->R) {
      ce = factor(-1, now % R, s->h, s->tau_ex) * s->up_ex[phase(p)];
      ci = factor(-1, now % R, s->h, s->tau_in) * s->up_in[phase(p)];
    }
  } else if (!rc) {
    rc = sa__ck_get(ck, pre, "i_ex", SA_CK_F64, s->i_ex, p->n);
    if (!rc) rc = sa__ck_get(ck, pre, "i_in", SA_CK_F64, s->i_in, p->n);
    ce = s->up_ex[phase(p)];
    ci = s->up_in[phase(p)];
  }
  if (!rc) rescale(p, ce, ci);
  if (!rc) rc = sa__lif_load_refr(p, ck, pre, s->V);
  return rc;
}

const sa_model_vt sa_model_lif_exp = {
  "lif_exp", 1, SA_MODEL_NEURON, sizeof(params), descs, vars,
  check, init, fini, set_init, get_state, prepare, update, save, load, 0};
