/* rdd.c: regression-discontinuity estimate of each synapse's causal effect
 * (Guerguiev, Kording & Richards 2020; Ahmad et al.'s re-implementation;
 * ../shared/ALGORITHMS.md §1b, §2d), an estimator: B-hat of synapse
 * j -> i is the jump, at the threshold of source j, of the feedback signal
 * q_i (target i's spike train filtered by a double-exponential kernel)
 * that follows a near-threshold event of j.
 * SPDX-License-Identifier: MIT
 *
 * Per source j, sampled at every slice end (every tick when the smallest
 * delay of the network is one tick: use 1-tick delays, as
 * examples/weight_inference.json does; a longer slice samples more
 * coarsely, with sums over a slice counted as slice length x end value):
 *   u_step  the membrane before any reset at this tick: the reset-free
 *           drive restarted from V at the previous sample,
 *           u(t) - (u(t') - V(t')) e^(-(t - t')/tau_u);
 *   a window opens (when none runs) if
 *     guerguiev: |theta - u_step| <= band     (band 0.1)
 *     ahmad:     u_step >= theta - band        (alpha_b 0.025)
 *   and lasts `window` ms (30 / 50) including the opening tick. During it
 *   u_max = max u(t), where u is the drive restarted from V just before
 *   the window (resync "window", the default for guerguiev: §1a) or the
 *   reset-free drive never restarted (resync "none", the default for
 *   ahmad: the "acc_voltage" of §2a).
 *   At its end, for every synapse j -> i:
 *     y = mean of q_i over the window - q_i at a reference tick
 *         (guerguiev: the tick before the window; ahmad: its first tick),
 *   unless |u_max - theta| > u_band (10: effectively never). The window is
 *   "above" if j spiked in it (guerguiev) / if u_max >= theta (ahmad),
 *   else "below", and that class's line y ~ m (u_max - theta) + c takes
 *   one step: SGD on the squared error with rate eta (fit "sgd"), or the
 *   exact least-squares line of all its windows so far (fit "lsq").
 *   B-hat = c_above - c_below, the jump at threshold.
 * Lines are written around theta (x = u_max - theta) so that the jump is
 * the difference of the intercepts; the reference codes fit m u + c and
 * evaluate at theta, the same model, but SGD on uncentred inputs
 * (u ~ theta = 1) is badly conditioned. They start at c = +-b0/2, m = 0
 * with b0 the usual small random initial B-hat. Not done: Guerguiev's
 * renormalisation of B to the initial feedback's standard deviation every
 * 10 s, which changes only the scale (r, the angle and sign agreement are
 * unchanged).
 *
 *   name      default  unit
 *   variant   "guerguiev" or "ahmad" (option)
 *   fit       "sgd" or "lsq" (option)
 *   resync    "window" or "none" (option; default by variant)
 *   theta     V_th of the source model
 *   window    30 / 50  ms
 *   band      0.1 / 0.025
 *   u_band    10
 *   eta       0.001         (Ahmad's value is not known: the same)
 *   tau_fast  3        ms   feedback kernel, as the synapses of §2a
 *   tau_slow  10       ms
 *   tau_u     tau_m / (1 + g_D) of the source model, ms
 *   init_amp  0.001
 *   seed      42
 *
 * The source's membrane is read through its model's "V_m" and "u" (models
 * without "u" use V_m for both, which makes the window start test see only
 * the membrane after resets). q_i is computed here from target i's spikes
 * (exact decay per tick), so any target model works. */
#include "estimator.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GUERGUIEV = 0, AHMAD = 1 };
enum { FIT_SGD = 0, FIT_LSQ = 1 };
enum { RESYNC_DEFAULT = 0, RESYNC_NONE = 1, RESYNC_WINDOW = 2 };

typedef struct params {
  double variant, fit, resync;     /* options */
  double theta, window, band, u_band, eta, tau_fast, tau_slow, tau_u;
  double init_amp, seed;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(theta, "", NAN), P(window, "ms", NAN), P(band, "", NAN),
  P(u_band, "", 10.0), P(eta, "", 0.001), P(tau_fast, "ms", 3.0),
  P(tau_slow, "ms", 10.0), P(tau_u, "ms", NAN), P(init_amp, "", 0.001),
  P(seed, "", 42.0), {NULL, NULL, 0, 0}};
#undef P

typedef sa_rdd_line line;
_Static_assert(sizeof(sa_rdd_line) == 7 * sizeof(double),
               "checkpoints store a line as 7 doubles");

typedef struct state {
  params p;
  int variant, fit, resync_win;
  double theta, band;
  sa_tick T;                 /* window, ticks */
  sa_est_decay du;           /* e^(-n dt / tau_u) */
  double Pqs, Pqf, qamp;     /* feedback kernel, per tick */
  sa_tick t_prev;            /* previous sample */
  int sampled;               /* a sample exists */
  int has_u;
  /* per source */
  unsigned char *has_syn, *inwin;
  double *uf_prev, *v_prev, *umax, *off;
  sa_tick *t_end, *t_ref, *t_sync;  /* t_ref: sample before the window */
  uint64_t *cnt, *cnt_prev, *cnt_base;
  /* per target */
  double *qs, *qf, *q, *q_prev, *cum, *cum_prev;
  sa_tick *qt;
  /* per synapse */
  double *base_cum, *ref_q;
  line *above, *below;
  sa_est_csc csc;
} state;

static int set_option(void *vp, const char *name, const char *value,
                      char *err, size_t errlen) {
  params *p = vp;
  if (!strcmp(name, "variant")) {
    if (!strcmp(value, "guerguiev")) p->variant = GUERGUIEV;
    else if (!strcmp(value, "ahmad")) p->variant = AHMAD;
    else {
      snprintf(err, errlen, "variant must be \"guerguiev\" or \"ahmad\"");
      return SA_EINVAL;
    }
  } else if (!strcmp(name, "fit")) {
    if (!strcmp(value, "sgd")) p->fit = FIT_SGD;
    else if (!strcmp(value, "lsq")) p->fit = FIT_LSQ;
    else {
      snprintf(err, errlen, "fit must be \"sgd\" or \"lsq\"");
      return SA_EINVAL;
    }
  } else if (!strcmp(name, "resync")) {
    if (!strcmp(value, "none")) p->resync = RESYNC_NONE;
    else if (!strcmp(value, "window")) p->resync = RESYNC_WINDOW;
    else {
      snprintf(err, errlen, "resync must be \"window\" or \"none\"");
      return SA_EINVAL;
    }
  } else {
    return sa__est_option(p, name, value, err, errlen);
  }
  return 0;
}

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (!(isnan(p->window) || p->window > 0)) {
    snprintf(err, n, "The window must be strictly positive.");
    return SA_EINVAL;
  }
  if (!(isnan(p->band) || p->band >= 0) || !(p->u_band >= 0)) {
    snprintf(err, n, "band and u_band must not be negative.");
    return SA_EINVAL;
  }
  if (!(p->tau_fast > 0) || !(p->tau_fast < p->tau_slow) ||
      !(isnan(p->tau_u) || p->tau_u > 0)) {
    snprintf(err, n, "Time constants must be strictly positive, with "
                     "tau_fast < tau_slow.");
    return SA_EINVAL;
  }
  if (!(p->eta >= 0) || !(p->init_amp >= 0)) {
    snprintf(err, n, "eta and init_amp must not be negative.");
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
  void *arr[] = {s->has_syn, s->inwin, s->uf_prev, s->v_prev, s->umax,
                 s->off, s->t_end, s->t_ref, s->t_sync, s->cnt, s->cnt_prev,
                 s->cnt_base, s->qs, s->qf, s->q, s->q_prev, s->cum,
                 s->cum_prev, s->qt, s->base_cum, s->ref_q, s->above,
                 s->below};
  for (size_t k = 0; k < sizeof arr / sizeof *arr; k++) free(arr[k]);
  sa__est_csc_free(&s->csc);
  free(s);
}

static int read_membrane(const state *s, const sa_pop *p, uint32_t j,
                         double *v, double *uf) {
  if (p->vt->get_state(p, "V_m", j, v)) *v = 0;
  if (!s->has_u || p->vt->get_state(p, "u", j, uf)) *uf = *v;
  return 0;
}

static int create(void **out, const void *vp, const sa_syn_view *v) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->p = *(const params *)vp;
  const params *p = &s->p;
  const sa_pop *sp = v->src_pop;
  s->variant = p->variant == AHMAD ? AHMAD : GUERGUIEV;
  s->fit = p->fit == FIT_LSQ ? FIT_LSQ : FIT_SGD;
  s->resync_win = p->resync == RESYNC_DEFAULT ? s->variant == GUERGUIEV
                                              : p->resync == RESYNC_WINDOW;
  double th = 1.0, tau_m = 20.0, g = 0.0;
  if (sp) {
    sa__est_model_param(sp, "V_th", &th);
    if (sa__est_model_param(sp, "tau_m", &tau_m)) tau_m = 20.0;
    if (sa__est_model_param(sp, "g_D", &g)) g = 0.0;
    double x;
    s->has_u = sp->vt->get_state(sp, "u", 0, &x) == 0;
  }
  s->theta = isnan(p->theta) ? th : p->theta;
  s->band = isnan(p->band) ? (s->variant == GUERGUIEV ? 0.1 : 0.025)
                           : p->band;
  double win = isnan(p->window) ? (s->variant == GUERGUIEV ? 30.0 : 50.0)
                                : p->window;
  s->T = llround(win / v->dt);
  if (s->T < 1) s->T = 1;
  double tau_u = isnan(p->tau_u) ? tau_m / (1.0 + g) : p->tau_u;
  sa__est_decay_init(&s->du, v->dt, tau_u);
  s->Pqs = exp(-v->dt / p->tau_slow);
  s->Pqf = exp(-v->dt / p->tau_fast);
  s->qamp = 1.0 / (p->tau_slow - p->tau_fast);
  size_t ns = v->n_src ? v->n_src : 1, nt = v->n_tgt ? v->n_tgt : 1;
  size_t nq = v->nsyn ? v->nsyn : 1;
  s->has_syn = calloc(ns, 1);
  s->inwin = calloc(ns, 1);
  s->uf_prev = calloc(ns, sizeof *s->uf_prev);
  s->v_prev = calloc(ns, sizeof *s->v_prev);
  s->umax = calloc(ns, sizeof *s->umax);
  s->off = calloc(ns, sizeof *s->off);
  s->t_end = calloc(ns, sizeof *s->t_end);
  s->t_ref = calloc(ns, sizeof *s->t_ref);
  s->t_sync = calloc(ns, sizeof *s->t_sync);
  s->cnt = calloc(ns, sizeof *s->cnt);
  s->cnt_prev = calloc(ns, sizeof *s->cnt_prev);
  s->cnt_base = calloc(ns, sizeof *s->cnt_base);
  s->qs = calloc(nt, sizeof *s->qs);
  s->qf = calloc(nt, sizeof *s->qf);
  s->q = calloc(nt, sizeof *s->q);
  s->q_prev = calloc(nt, sizeof *s->q_prev);
  s->cum = calloc(nt, sizeof *s->cum);
  s->cum_prev = calloc(nt, sizeof *s->cum_prev);
  s->qt = calloc(nt, sizeof *s->qt);
  s->base_cum = calloc(nq, sizeof *s->base_cum);
  s->ref_q = calloc(nq, sizeof *s->ref_q);
  s->above = calloc(nq, sizeof *s->above);
  s->below = calloc(nq, sizeof *s->below);
  double *b0 = malloc(nq * sizeof *b0);
  if (!s->has_syn || !s->inwin || !s->uf_prev || !s->v_prev || !s->umax ||
      !s->off || !s->t_end || !s->t_ref || !s->t_sync || !s->cnt ||
      !s->cnt_prev || !s->cnt_base || !s->qs || !s->qf || !s->q ||
      !s->q_prev || !s->cum || !s->cum_prev || !s->qt || !s->base_cum ||
      !s->ref_q || !s->above || !s->below || !b0 ||
      sa__est_csc(&s->csc, v)) {
    free(b0);
    destroy(s);
    return SA_ENOMEM;
  }
  sa__est_init(b0, v, (uint64_t)p->seed, p->init_amp);
  for (uint64_t q = 0; q < v->nsyn; q++) {
    s->above[q].c = 0.5 * b0[q];
    s->below[q].c = -0.5 * b0[q];
  }
  free(b0);
  for (uint32_t j = 0; j < v->n_src; j++)
    s->has_syn[j] = v->row[j + 1] > v->row[j];
  *out = s;
  return 0;
}

/* Bring target i's kernel traces to tick t. */
static void advance_q(state *s, uint32_t i, sa_tick t) {
  sa_tick n = t - s->qt[i];
  if (n <= 0) return;
  if (n == 1) {
    s->qs[i] *= s->Pqs;
    s->qf[i] *= s->Pqf;
  } else {
    s->qs[i] *= exp(-(double)n * log(1.0 / s->Pqs));
    s->qf[i] *= exp(-(double)n * log(1.0 / s->Pqf));
  }
  s->qt[i] = t;
}

static int post(void *vs, const sa_syn_view *v, const sa_tick *stamp,
                const uint32_t *id, size_t n) {
  (void)v;
  state *s = vs;
  for (size_t k = 0; k < n; k++) {
    advance_q(s, id[k], stamp[k]);
    s->qs[id[k]] += 1.0;
    s->qf[id[k]] += 1.0;
  }
  return 0;
}

static void pre(void *vs, sa_syn_view *v, sa_tick stamp, uint32_t src) {
  (void)v, (void)stamp;
  state *s = vs;
  s->cnt[src]++;
}

static void materialize(void *vs, sa_syn_view *v, sa_tick now) {
  (void)vs, (void)v, (void)now;
}

void sa__rdd_step(sa_rdd_line *l, int lsq, double eta, double x, double y) {
  if (!lsq) {
    double e = l->m * x + l->c - y;
    l->m -= eta * e * x;
    l->c -= eta * e;
  } else {
    l->n += 1.0;
    l->sx += x;
    l->sy += y;
    l->sxx += x * x;
    l->sxy += x * y;
  }
}

/* Least squares: the intercept of the fitted line; with fewer than two
 * distinct x, the mean; with no window yet, the initial c. */
double sa__rdd_value(const sa_rdd_line *l, int lsq) {
  if (!lsq || l->n == 0) return l->c;
  double den = l->n * l->sxx - l->sx * l->sx;
  if (l->n < 2 || !(den > 1e-12 * l->n * l->sxx)) return l->sy / l->n;
  double m = (l->n * l->sxy - l->sx * l->sy) / den;
  return (l->sy - m * l->sx) / l->n;
}

static void finish(state *s, const sa_syn_view *v, uint32_t j, sa_tick now) {
  s->inwin[j] = 0;
  double x = s->umax[j] - s->theta;
  if (fabs(x) > s->p.u_band) return;
  int above = s->variant == GUERGUIEV ? s->cnt[j] > s->cnt_base[j]
                                      : s->umax[j] >= s->theta;
  double ticks = (double)(now - s->t_ref[j]);
  for (uint64_t q = v->row[j]; q < v->row[j + 1]; q++) {
    uint32_t i = v->target[q];
    double y = (s->cum[i] - s->base_cum[q]) / ticks - s->ref_q[q];
    sa__rdd_step(above ? &s->above[q] : &s->below[q], s->fit == FIT_LSQ,
                 s->p.eta, x, y);
  }
}

static void slice_end(void *vs, sa_syn_view *v, sa_tick now) {
  state *s = vs;
  const sa_pop *sp = v->src_pop;
  if (!s->sampled) {
    /* The first sample only sets the reference values. */
    for (uint32_t j = 0; sp && j < v->n_src; j++)
      if (s->has_syn[j]) read_membrane(s, sp, j, &s->v_prev[j],
                                       &s->uf_prev[j]);
    s->t_prev = now - 1 > 0 ? now - 1 : 0;
    s->sampled = 1;
  }
  sa_tick m = now - s->t_prev;
  if (m <= 0 || !sp) return;
  /* Targets: the feedback signal at `now` and its running integral. */
  for (uint32_t i = 0; i < v->n_tgt; i++) {
    if (s->csc.col[i + 1] == s->csc.col[i]) continue;
    advance_q(s, i, now);
    s->q_prev[i] = s->q[i];
    s->cum_prev[i] = s->cum[i];
    s->q[i] = (s->qs[i] - s->qf[i]) * s->qamp;
    s->cum[i] += s->q[i] * (double)m;
  }
  const double theta = s->theta, dstep = sa__est_decay(&s->du, m);
  for (uint32_t j = 0; j < v->n_src; j++) {
    if (!s->has_syn[j]) continue;
    double vm, uf;
    read_membrane(s, sp, j, &vm, &uf);
    double u_step = uf - (s->uf_prev[j] - s->v_prev[j]) * dstep;
    if (s->inwin[j]) {
      double u = !s->resync_win ? uf
               : uf - s->off[j] * sa__est_decay(&s->du, now - s->t_sync[j]);
      if (u > s->umax[j]) s->umax[j] = u;
      if (now >= s->t_end[j]) finish(s, v, j, now);
    } else if (s->variant == GUERGUIEV ? fabs(theta - u_step) <= s->band
                                       : u_step >= theta - s->band) {
      s->inwin[j] = 1;
      s->t_ref[j] = s->t_prev;
      s->t_end[j] = now + s->T - 1;
      s->off[j] = s->uf_prev[j] - s->v_prev[j];
      s->t_sync[j] = s->t_prev;
      s->umax[j] = s->resync_win ? u_step : uf;
      s->cnt_base[j] = s->cnt_prev[j];
      for (uint64_t q = v->row[j]; q < v->row[j + 1]; q++) {
        uint32_t i = v->target[q];
        s->base_cum[q] = s->cum_prev[i];
        s->ref_q[q] = s->variant == GUERGUIEV ? s->q_prev[i] : s->q[i];
      }
      if (now >= s->t_end[j]) finish(s, v, j, now);
    }
    s->uf_prev[j] = uf;
    s->v_prev[j] = vm;
    s->cnt_prev[j] = s->cnt[j];
  }
  s->t_prev = now;
}

static void estimate(const void *vs, const sa_syn_view *v, double *out) {
  const state *s = vs;
  for (uint64_t q = 0; q < v->nsyn; q++)
    out[q] = sa__rdd_value(&s->above[q], s->fit == FIT_LSQ) -
             sa__rdd_value(&s->below[q], s->fit == FIT_LSQ);
}

/* Checkpoints: every array (has_syn is derived from the view) and the
 * sampling clock. Windows and lines as doubles, flags and ticks as I64. */
typedef struct ckarr { const char *name; int type; void *p; size_t n; } ckarr;

static int walk(state *s, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre, int saving) {
  size_t ns = v->n_src, nt = v->n_tgt, nq = v->nsyn;
  int64_t *inwin = malloc((ns ? ns : 1) * sizeof *inwin);
  if (!inwin) return SA_ENOMEM;
  int64_t clock[2] = {s->t_prev, s->sampled};
  for (size_t j = 0; j < ns; j++) inwin[j] = s->inwin[j];
  const ckarr a[] = {
    {"inwin", SA_CK_I64, inwin, ns}, {"uf_prev", SA_CK_F64, s->uf_prev, ns},
    {"v_prev", SA_CK_F64, s->v_prev, ns}, {"umax", SA_CK_F64, s->umax, ns},
    {"off", SA_CK_F64, s->off, ns}, {"t_end", SA_CK_I64, s->t_end, ns},
    {"t_ref", SA_CK_I64, s->t_ref, ns}, {"t_sync", SA_CK_I64, s->t_sync, ns},
    {"cnt", SA_CK_U64, s->cnt, ns}, {"cnt_prev", SA_CK_U64, s->cnt_prev, ns},
    {"cnt_base", SA_CK_U64, s->cnt_base, ns},
    {"qs", SA_CK_F64, s->qs, nt}, {"qf", SA_CK_F64, s->qf, nt},
    {"q", SA_CK_F64, s->q, nt}, {"q_prev", SA_CK_F64, s->q_prev, nt},
    {"cum", SA_CK_F64, s->cum, nt}, {"cum_prev", SA_CK_F64, s->cum_prev, nt},
    {"qt", SA_CK_I64, s->qt, nt}, {"base_cum", SA_CK_F64, s->base_cum, nq},
    {"ref_q", SA_CK_F64, s->ref_q, nq},
    {"above", SA_CK_F64, s->above, 7 * nq},
    {"below", SA_CK_F64, s->below, 7 * nq}, {"clock", SA_CK_I64, clock, 2}};
  int rc = 0;
  for (size_t k = 0; !rc && k < sizeof a / sizeof *a; k++)
    rc = saving ? sa__ck_put(ck, pre, a[k].name, a[k].type, a[k].p, a[k].n)
                : sa__ck_get(ck, pre, a[k].name, a[k].type, a[k].p, a[k].n);
  if (!rc && !saving) {
    for (size_t j = 0; j < ns; j++) s->inwin[j] = inwin[j] != 0;
    s->t_prev = clock[0];
    s->sampled = (int)clock[1];
  }
  free(inwin);
  return rc;
}

static int save(const void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  return walk((state *)vs, v, ck, pre, 1);
}

static int load(void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  return walk(vs, v, ck, pre, 0);
}

const sa_rule_vt sa_rule_rdd = {
  .name = "rdd", .abi = 1, .kind = SA_RULE_ESTIMATOR,
  .params_size = sizeof(params), .params = descs, .set_option = set_option,
  .check = check, .create = create, .destroy = destroy, .post = post,
  .pre = pre, .materialize = materialize, .slice_end = slice_end,
  .estimate = estimate, .save = save, .load = load};
