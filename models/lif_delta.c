/* lif_delta.c: leaky integrate-and-fire neuron with delta synapses (NEST
 * iaf_psc_delta): each input spike makes V jump by its weight (mV).
 * SPDX-License-Identifier: MIT
 *
 *   tau_m dV/dt = -(V - E_L) + (tau_m/C_m) I_e,  V += w at each arrival
 *   spike when V >= V_th: V <- V_reset, clamped for t_ref; inputs arriving
 *   while refractory are discarded (NEST's refractory_input = false).
 *
 *   name     default  unit
 *   C_m      250      pF
 *   tau_m    10       ms
 *   t_ref    2        ms
 *   E_L      -70      mV
 *   V_reset  -70      mV
 *   V_th     -55      mV
 *   I_e      0        pA
 *
 * One step h is exact: V <- P33 V + P30 I_e + sum(w), P33 = e^(-h/tau_m),
 * P30 = tau_m/C_m (1 - P33). */
#include "lif_common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double C_m, tau_m, t_ref, E_L, V_reset, V_th, I_e;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(C_m, "pF", 250.0), P(tau_m, "ms", 10.0), P(t_ref, "ms", 2.0),
  P(E_L, "mV", -70.0), P(V_reset, "mV", -70.0), P(V_th, "mV", -55.0),
  P(I_e, "pA", 0.0), {NULL, NULL, 0, 0}};
#undef P

static const char *const vars[] = {"V_m", NULL};

typedef struct state {
  double *V;          /* mV, relative to E_L */
  double P33, P30, theta, v_reset;
  int64_t ref_counts;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  int rc = sa__lif_check(p->V_reset, p->V_th, p->C_m, err, n);
  if (rc) return rc;
  if (p->tau_m <= 0) {
    snprintf(err, n, "Membrane time constant must be strictly positive.");
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
  p->state = s;
  s->V = calloc(p->n, sizeof *s->V);
  return s->V ? 0 : SA_ENOMEM;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->V);
  free(s);
  p->state = NULL;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  state *s = p->state;
  if (strcmp(var, "V_m") != 0) return SA_ENOENT;
  s->V[i] = v - ((const params *)p->params)->E_L;
  return 0;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  const state *s = p->state;
  if (strcmp(var, "V_m") != 0) return SA_ENOENT;
  *v = s->V[i] + ((const params *)p->params)->E_L;
  return 0;
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  s->P33 = exp(-h / pp->tau_m);
  s->P30 = pp->tau_m / pp->C_m * -expm1(-h / pp->tau_m);
  s->theta = pp->V_th - pp->E_L;
  s->v_reset = pp->V_reset - pp->E_L;
  s->ref_counts = llround(pp->t_ref / h);
  return 0;
}

typedef struct kern {
  double *V;
  double P33, drive, theta;
} kern;

/* Branch-free, vectorised (see lif_exp.c and lif_common.h). The inputs
 * arriving at t+h jump V: v = P33 V + drive + in_ex + in_in, here with
 * both 0.0 and in take with the actual ones. */
SA_LIF_INLINE int step(double *restrict V, const kern *x, uint32_t j) {
  double v = x->P33 * V[j] + x->drive + 0.0 + 0.0;
  V[j] = v;
  return v >= x->theta;
}

SA_LIF_INLINE void pass(void *m, uint32_t lo, uint32_t hi, int32_t *cnt) {
  const kern *x = m;
  double *V = x->V;
  SA_LIF_ROWS(lo, hi, cnt, c, j, step(V + c, x, j));
}

/* (A refractory node's V is put back after this, so it takes no input.) */
SA_LIF_INLINE int take(void *m, uint32_t i, double ex, double in) {
  const kern *x = m;
  int was = x->V[i] >= x->theta;
  x->V[i] = x->V[i] + ex + in;
  return (x->V[i] >= x->theta) - was;
}

SA_VECTOR_CLONES
static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  state *s = p->state;
  const params *pp = p->params;
  kern x = {s->V, s->P33, s->P30 * pp->I_e, s->theta};
  return sa__lif_step(b, k, out, &x, s->V, s->theta, s->v_reset,
                      s->ref_counts, pass, take, NULL);
}

static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  int rc = sa__ck_put(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__lif_save_refr(p, ck, pre);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  int rc = sa__ck_get(ck, pre, "V", SA_CK_F64, s->V, p->n);
  if (!rc) rc = sa__lif_load_refr(p, ck, pre, s->V);
  return rc;
}

const sa_model_vt sa_model_lif_delta = {
  "lif_delta", 1, SA_MODEL_NEURON, sizeof(params), descs, vars,
  check, init, fini, set_init, get_state, prepare, update, save, load, 0};
