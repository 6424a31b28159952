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
 * limit h e^(-h/tau_m) / C_m there (NEST's "singularity" case). */
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

typedef struct state {
  double *V;          /* mV, relative to E_L */
  double *i_ex, *i_in;/* pA */
  /* Propagators, from prepare. */
  double P11ex, P11in, P22, P21ex, P21in, P20, theta, v_reset;
  int64_t ref_counts;
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
  p->state = s;
  if (!s->V || !s->i_ex || !s->i_in) return SA_ENOMEM;
  return 0;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->V);
  free(s->i_ex);
  free(s->i_in);
  free(s);
  p->state = NULL;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) s->V[i] = v - pp->E_L;
  else if (!strcmp(var, "I_syn_ex")) s->i_ex[i] = v;
  else if (!strcmp(var, "I_syn_in")) s->i_in[i] = v;
  else return SA_ENOENT;
  return 0;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  const state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) *v = s->V[i] + pp->E_L;
  else if (!strcmp(var, "I_syn_ex")) *v = s->i_ex[i];
  else if (!strcmp(var, "I_syn_in")) *v = s->i_in[i];
  else return SA_ENOENT;
  return 0;
}

double sa__propagator_32(double tau_s, double tau_m, double C, double h) {
  double a = 1.0 / tau_s - 1.0 / tau_m;
  double em = exp(-h / tau_m);
  if (fabs(h * a) < 1e-14) return h * em / C;
  return em * (-expm1(-h * a)) / (C * a);
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  s->P11ex = exp(-h / pp->tau_syn_ex);
  s->P11in = exp(-h / pp->tau_syn_in);
  s->P22 = exp(-h / pp->tau_m);
  s->P21ex = sa__propagator_32(pp->tau_syn_ex, pp->tau_m, pp->C_m, h);
  s->P21in = sa__propagator_32(pp->tau_syn_in, pp->tau_m, pp->C_m, h);
  s->P20 = pp->tau_m / pp->C_m * -expm1(-h / pp->tau_m);
  s->theta = pp->V_th - pp->E_L;
  s->v_reset = pp->V_reset - pp->E_L;
  s->ref_counts = llround(pp->t_ref / h);
  return 0;
}

/* One update's constants and arrays, for the functions below. */
typedef struct kern {
  double *V, *ie, *ii;
  double P22, P21ex, P21in, drive, P11ex, P11in, theta;
} kern;

/* NEST's order: V from the currents at t, then the currents decay (here)
 * and take the inputs arriving at t+h (take), then threshold
 * (lif_common.h). No branches, so the compiler vectorises it; the
 * arithmetic is the same expression in the same order as the scalar form,
 * and C11 mode keeps contraction off, so results do not depend on the
 * vector width. The currents decay without lif_common.h's "+ 0.0": it
 * would only turn a current that has decayed to -0 (an inhibitory one,
 * after underflow) into +0, and a zero of either sign adds nothing to V
 * and gives way to any input that take() adds, so the spikes and every
 * non-zero state are the same bits; two fewer vector adds a node and step
 * (6.6 % of CUBA's update instructions, callgrind). */
SA_LIF_INLINE int step(double *restrict V, double *restrict ie,
                       double *restrict ii, const kern *x, uint32_t j) {
  double v = x->P22 * V[j] + x->P21ex * ie[j] + x->P21in * ii[j] + x->drive;
  V[j] = v;
  ie[j] = x->P11ex * ie[j];
  ii[j] = x->P11in * ii[j];
  return v >= x->theta;
}

SA_LIF_INLINE void pass(void *m, uint32_t lo, uint32_t hi, int32_t *cnt) {
  const kern *x = m;
  double *V = x->V, *ie = x->ie, *ii = x->ii;
  SA_LIF_ROWS(lo, hi, cnt, c, j, step(V + c, ie + c, ii + c, x, j));
}

SA_LIF_INLINE int take(void *m, uint32_t i, double ex, double in) {
  const kern *x = m;
  x->ie[i] += ex;
  x->ii[i] += in;
  return 0;
}

SA_VECTOR_CLONES
static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  state *s = p->state;
  const params *pp = p->params;
  kern x = {s->V, s->i_ex, s->i_in, s->P22, s->P21ex, s->P21in,
            s->P20 * pp->I_e, s->P11ex, s->P11in, s->theta};
  return sa__lif_step(b, k, out, &x, s->V, s->theta, s->v_reset,
                      s->ref_counts, pass, take, NULL);
}

static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  int rc = sa__ck_put(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "i_ex", SA_CK_F64, s->i_ex, p->n);
  if (!rc) rc = sa__ck_put(ck, pre, "i_in", SA_CK_F64, s->i_in, p->n);
  if (!rc) rc = sa__lif_save_refr(p, ck, pre);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  int rc = sa__ck_get(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "i_ex", SA_CK_F64, s->i_ex, p->n);
  if (!rc) rc = sa__ck_get(ck, pre, "i_in", SA_CK_F64, s->i_in, p->n);
  if (!rc) rc = sa__lif_load_refr(p, ck, pre, s->V);
  return rc;
}

const sa_model_vt sa_model_lif_exp = {
  "lif_exp", 1, SA_MODEL_NEURON, sizeof(params), descs, vars,
  check, init, fini, set_init, get_state, prepare, update, save, load, 0};
