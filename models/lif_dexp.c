/* lif_dexp.c: leaky integrate-and-fire neuron with double-exponential
 * current synapses and a dendritic coupling, the neuron of the STDWI work
 * (Ahmad et al. 2021) and of Guerguiev et al.'s RDD network
 * (../shared/ALGORITHMS.md §1a, §2a).
 * SPDX-License-Identifier: MIT
 *
 *   tau_m dV/dt = (E_L - V) + g_D (I - V)
 *   I(t) = I_e + sum_k w_k kappa(t - t_k),
 *   kappa(s) = (e^(-s/tau_slow) - e^(-s/tau_fast)) / (tau_slow - tau_fast)
 *   spike when V >= V_th: V <- V_reset, clamped for t_ref (0 allowed).
 * g_D is the ratio g_D/g_L of dendritic to leak conductance. kappa has unit
 * area, so a weight w (units of V times ms) brings a dendritic charge w;
 * weights of either sign add to the same I (in_ex and in_in both).
 * Defaults are the dimensionless units of the STDWI network (theta = 1,
 * reset -1, no refractory period); NEST-like mV units work the same with
 * other values (I and I_e are then dendritic potentials in mV).
 *
 *   name      default  unit
 *   tau_m     20       ms    membrane time constant 1/g_L
 *   g_D       1              g_D / g_L
 *   tau_fast  3        ms    synaptic rise
 *   tau_slow  10       ms    synaptic decay
 *   t_ref     0        ms
 *   E_L       0        V     (mV, or dimensionless)
 *   V_reset   -1       V
 *   V_th      1        V
 *   I_e       0        V     constant dendritic drive
 *
 * Exact integration: I = I_s - I_f with dI_x/dt = -I_x/tau_x (x = s, f),
 * each arrival of weight w adding w/(tau_slow - tau_fast) to both. With
 * lambda = (1 + g_D)/tau_m, one step h maps
 *   V <- P22 V + P2s I_s - P2f I_f + P20,  P22 = e^(-lambda h),
 *   P2x = (g_D/tau_m) (e^(-h/tau_x) - e^(-lambda h)) / (lambda - 1/tau_x),
 *   P20 = g_D (I_e - E_L)/(1 + g_D) (1 - P22)  (V relative to E_L),
 * P2x computed as in lif_exp (sa__propagator_32), accurate as
 * 1/tau_x -> lambda. NEST's order: V from the currents at t, then the
 * currents decay and take the inputs arriving at t+h, then threshold.
 *
 * Recordables, read by the estimator rules (rules/rdd.c):
 *   V_m    membrane potential;
 *   u      the reset-free drive: the same ODE from the same initial value,
 *          never reset and never clamped, always integrated (Ahmad's
 *          "acc_voltage"). It is never re-synchronised here; a rule that
 *          wants u restarted from V at tick t0 (Guerguiev's windows) uses
 *          u(t) - (u(t0) - V(t0)) e^(-(t - t0)/tau_eff), tau_eff =
 *          tau_m/(1 + g_D), which is exactly that, the ODE being linear;
 *   I_syn  the synaptic part of I (I_s - I_f);
 *   psp    the neuron's own output spike train filtered by kappa (1/ms):
 *          what a double-exponential synapse of weight 1 receives from it. */
#include "lif_common.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double sa__propagator_32(double tau_s, double tau_m, double C, double h);

typedef struct params {
  double tau_m, g_D, tau_fast, tau_slow, t_ref, E_L, V_reset, V_th, I_e;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(tau_m, "ms", 20.0), P(g_D, "", 1.0), P(tau_fast, "ms", 3.0),
  P(tau_slow, "ms", 10.0), P(t_ref, "ms", 0.0), P(E_L, "V", 0.0),
  P(V_reset, "V", -1.0), P(V_th, "V", 1.0), P(I_e, "V", 0.0),
  {NULL, NULL, 0, 0}};
#undef P

static const char *const vars[] = {"V_m", "u", "I_syn", "psp", NULL};

typedef struct state {
  double *V, *u;        /* relative to E_L, like lif_exp */
  double *is, *ifa;     /* slow and fast synaptic components */
  double *xs, *xf;      /* own spike traces (jump 1) */
  double P22, P2s, P2f, P20, Ps, Pf, amp, theta, v_reset, inv_dtau;
  int64_t ref_counts;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (p->V_reset >= p->V_th) {
    snprintf(err, n, "Reset potential must be smaller than threshold.");
    return SA_EINVAL;
  }
  if (!(p->tau_m > 0) || !(p->tau_fast > 0) || !(p->tau_slow > 0)) {
    snprintf(err, n,
             "Membrane and synapse time constants must be strictly positive.");
    return SA_EINVAL;
  }
  if (!(p->tau_fast < p->tau_slow)) {
    snprintf(err, n, "The synaptic rise time tau_fast must be smaller than "
                     "the decay time tau_slow.");
    return SA_EINVAL;
  }
  if (!(p->g_D >= 0)) {
    snprintf(err, n, "The coupling ratio g_D must not be negative.");
    return SA_EINVAL;
  }
  if (p->t_ref < 0) {
    snprintf(err, n, "Refractory time must not be negative.");
    return SA_EINVAL;
  }
  return 0;
}

static void fini(sa_pop *p) {
  state *s = p->state;
  if (!s) return;
  free(s->V);
  free(s->u);
  free(s->is);
  free(s->ifa);
  free(s->xs);
  free(s->xf);
  free(s);
  p->state = NULL;
}

static int init(sa_pop *p) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  p->state = s;
  double **arr[] = {&s->V, &s->u, &s->is, &s->ifa, &s->xs, &s->xf};
  for (size_t k = 0; k < sizeof arr / sizeof *arr; k++)
    if (!(*arr[k] = calloc(p->n, sizeof **arr[k]))) return SA_ENOMEM;
  return 0;
}

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  state *s = p->state;
  const params *pp = p->params;
  if (strcmp(var, "V_m") != 0) return SA_ENOENT;
  s->V[i] = s->u[i] = v - pp->E_L;
  return 0;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  const state *s = p->state;
  const params *pp = p->params;
  if (!strcmp(var, "V_m")) *v = s->V[i] + pp->E_L;
  else if (!strcmp(var, "u")) *v = s->u[i] + pp->E_L;
  else if (!strcmp(var, "I_syn")) *v = s->is[i] - s->ifa[i];
  else if (!strcmp(var, "psp")) *v = (s->xs[i] - s->xf[i]) * s->inv_dtau;
  else return SA_ENOENT;
  return 0;
}

static int prepare(sa_pop *p, double h) {
  state *s = p->state;
  const params *pp = p->params;
  double lambda = (1.0 + pp->g_D) / pp->tau_m;
  double tau_eff = 1.0 / lambda;
  double gc = pp->g_D / pp->tau_m;
  s->P22 = exp(-h * lambda);
  s->P2s = gc * sa__propagator_32(pp->tau_slow, tau_eff, 1.0, h);
  s->P2f = gc * sa__propagator_32(pp->tau_fast, tau_eff, 1.0, h);
  s->P20 = pp->g_D * (pp->I_e - pp->E_L) / (1.0 + pp->g_D) *
           -expm1(-h * lambda);
  s->Ps = exp(-h / pp->tau_slow);
  s->Pf = exp(-h / pp->tau_fast);
  s->inv_dtau = 1.0 / (pp->tau_slow - pp->tau_fast);
  s->amp = s->inv_dtau;
  s->theta = pp->V_th - pp->E_L;
  s->v_reset = pp->V_reset - pp->E_L;
  s->ref_counts = llround(pp->t_ref / h);
  return 0;
}

typedef struct kern {
  double *V, *u, *is, *ifa, *xs, *xf;
  double P22, P2s, P2f, P20, Ps, Pf, amp, theta;
} kern;

/* Branch-free, vectorised (see lif_exp.c and lif_common.h); the inputs
 * (in_ex + in_in) amp enter I_s and I_f in take. */
SA_LIF_INLINE int step(double *restrict V, double *restrict u,
                       double *restrict is, double *restrict ifa,
                       double *restrict xs, double *restrict xf,
                       const kern *ks, uint32_t j) {
  const double P22 = ks->P22, Ps = ks->Ps, Pf = ks->Pf;
  const double none = (0.0 + 0.0) * ks->amp;   /* +0: amp > 0 */
  double drive = ks->P2s * is[j] - ks->P2f * ifa[j] + ks->P20;
  double v = P22 * V[j] + drive;
  u[j] = P22 * u[j] + drive;
  V[j] = v;
  is[j] = Ps * is[j] + none;
  ifa[j] = Pf * ifa[j] + none;
  xs[j] *= Ps;
  xf[j] *= Pf;
  return v >= ks->theta;
}

SA_LIF_INLINE void pass(void *m, uint32_t lo, uint32_t hi, int32_t *cnt) {
  const kern *ks = m;
  double *V = ks->V, *u = ks->u, *is = ks->is, *ifa = ks->ifa, *xs = ks->xs,
         *xf = ks->xf;
  SA_LIF_ROWS(lo, hi, cnt, c, j,
              step(V + c, u + c, is + c, ifa + c, xs + c, xf + c, ks, j));
}

SA_LIF_INLINE int take(void *m, uint32_t i, double ex, double in) {
  const kern *ks = m;
  double d = (ex + in) * ks->amp;
  ks->is[i] += d;
  ks->ifa[i] += d;
  return 0;
}

SA_LIF_INLINE void spiked(void *m, uint32_t i) {
  const kern *ks = m;
  ks->xs[i] += 1.0;
  ks->xf[i] += 1.0;
}

SA_VECTOR_CLONES
static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  state *s = p->state;
  kern x = {s->V,   s->u,   s->is,  s->ifa, s->xs,  s->xf,    s->P22,
            s->P2s, s->P2f, s->P20, s->Ps,  s->Pf,  s->amp,   s->theta};
  return sa__lif_step(b, k, out, &x, s->V, s->theta, s->v_reset,
                      s->ref_counts, pass, take, spiked);
}

/* Checkpoints: every state array (propagators come from prepare). */
static int save(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  const state *s = p->state;
  const char *names[] = {"V", "u", "i_slow", "i_fast", "x_slow", "x_fast"};
  const double *arr[] = {s->V, s->u, s->is, s->ifa, s->xs, s->xf};
  int rc = 0;
  for (int k = 0; !rc && k < 6; k++)
    rc = sa__ck_put(ck, pre, names[k], SA_CK_F64, arr[k], p->n);
  if (!rc) rc = sa__lif_save_refr(p, ck, pre);
  return rc;
}

static int load(sa_pop *p, const sa_ckpt *ck, const char *pre) {
  state *s = p->state;
  const char *names[] = {"V", "u", "i_slow", "i_fast", "x_slow", "x_fast"};
  double *arr[] = {s->V, s->u, s->is, s->ifa, s->xs, s->xf};
  int rc = 0;
  for (int k = 0; !rc && k < 6; k++)
    rc = sa__ck_get(ck, pre, names[k], SA_CK_F64, arr[k], p->n);
  if (!rc) rc = sa__lif_load_refr(p, ck, pre, s->V);
  return rc;
}

const sa_model_vt sa_model_lif_dexp = {
  .name = "lif_dexp", .abi = 1, .kind = SA_MODEL_NEURON,
  .params_size = sizeof(params), .params = descs, .state_vars = vars,
  .check = check, .init = init, .fini = fini, .set_init = set_init,
  .get_state = get_state, .prepare = prepare, .update = update,
  .save = save, .load = load};
