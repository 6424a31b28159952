/* test_wt.c: weight transport (issue 5): lif_dexp against closed forms,
 * the stimulus source, STDWI against its trace formula, the RDD line fits
 * and the rate rule on synthetic data, the alignment metrics, and the
 * example network end to end (thread-count invariance included).
 * SPDX-License-Identifier: MIT */
#include "synalign.h"
#include "sa_metrics.h"
#include "../rules/estimator.h"
#include "../sim/rng.h"
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lif_dexp ------------------------------------------------------- */

static double state_of(sa_net *net, int pop, const char *var) {
  double v;
  ck_assert_int_eq(sa_pop_get_state(net, pop, var, 0, &v), 0);
  return v;
}

/* One lif_dexp node; g_D = 1, tau_m = 20 unless set. */
static sa_net *one_dexp(double dt, int *pop) {
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, dt, 1), 0);
  ck_assert_int_eq(sa_net_add_population(net, "n", "lif_dexp", 1, pop), 0);
  return net;
}

/* Constant drive from rest: V(t) = E_L + g (I_e - E_L)/(1+g)
 * (1 - e^(-(1+g) t / tau_m)); the reset-free drive u is the same. Also in
 * mV units (E_L = -70). */
START_TEST(dexp_constant_drive) {
  const double EL[2] = {0.0, -70.0}, Ie[2] = {0.5, -60.0};
  for (int c = 0; c < 2; c++) {
    int p;
    sa_net *net = one_dexp(0.1, &p);
    sa_pop_set_param(net, p, "E_L", EL[c]);
    sa_pop_set_param(net, p, "V_reset", EL[c] - 10);
    sa_pop_set_param(net, p, "V_th", EL[c] + 100);
    sa_pop_set_param(net, p, "I_e", Ie[c]);
    sa_pop_set_param(net, p, "g_D", 0.5);
    double lambda = 1.5 / 20.0, vinf = 0.5 * (Ie[c] - EL[c]) / 1.5;
    for (int k = 1; k <= 500; k++) {
      ck_assert_int_eq(sa_net_run(net, 1, NULL), 0);
      double t = k * 0.1, want = EL[c] + vinf * -expm1(-lambda * t);
      /* Exact propagators: round-off only (values ~1-70). */
      ck_assert_double_eq_tol(state_of(net, p, "V_m"), want, 1e-12);
      ck_assert_double_eq_tol(state_of(net, p, "u"), want, 1e-12);
    }
    sa_net_destroy(net);
  }
}
END_TEST

/* kappa(s) = (e^(-s/ts) - e^(-s/tf))/(ts - tf). */
static double kappa(double s) {
  return s < 0 ? 0 : (exp(-s / 10.0) - exp(-s / 3.0)) / 7.0;
}

/* The PSP of one input of weight w arriving at ta, g = 1, tau = 20:
 * V(t) = (g/tau) w int_0^D kappa(s) e^(-lambda (D - s)) ds, D = t - ta. */
static double psp(double w, double D) {
  const double lambda = 0.1, gc = 1.0 / 20.0;
  if (D <= 0) return 0;
  /* 1/tau_slow = 0.1 = lambda: the degenerate case, D e^(-lambda D). */
  double ps = D * exp(-lambda * D);
  double pf = (exp(-D / 3.0) - exp(-lambda * D)) / (lambda - 1.0 / 3.0);
  return gc * w * (ps - pf) / 7.0;
}

/* A spike of weight 2 stamped 1.0 ms with delay 0.1 ms reaches the
 * currents at 1.1 ms; V and I_syn follow the closed forms from there (with
 * tau_m = 20, g_D = 1 the slow synapse sits exactly on the membrane's
 * rate, NEST's "singularity" case). */
START_TEST(dexp_psp_closed_form) {
  sa_net *net;
  int src, p;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 1), 0);
  ck_assert_int_eq(sa_net_add_population(net, "s", "spike_source", 1, &src),
                   0);
  ck_assert_int_eq(sa_net_add_population(net, "n", "lif_dexp", 1, &p), 0);
  sa_pop_set_param(net, p, "V_th", 100);
  double t1 = 1.0;
  ck_assert_int_eq(sa_pop_set_spike_times(net, src, 0, &t1, 1), 0);
  sa_connector one = {.type = SA_CONN_ONE_TO_ONE};
  sa_dist w = {SA_DIST_CONST, 2.0, 0}, d = {SA_DIST_CONST, 0.1, 0};
  ck_assert_int_eq(sa_net_add_projection(net, "sn", src, p, &one, &w, &d, 0,
                                         NULL), 0);
  for (int k = 1; k <= 600; k++) {
    ck_assert_int_eq(sa_net_run(net, 1, NULL), 0);
    double t = k * 0.1, D = t - 1.1;
    ck_assert_double_eq_tol(state_of(net, p, "V_m"), psp(2.0, D), 1e-12);
    ck_assert_double_eq_tol(state_of(net, p, "I_syn"),
                            D >= -1e-9 ? 2.0 * kappa(D) : 0.0, 1e-12);
  }
  sa_net_destroy(net);
}
END_TEST

/* Strong constant drive (V_inf = 1.5 > theta = 1): V spikes and resets to
 * -1, u ignores resets and stays on the closed form; psp is kappa of the
 * time since the node's own spike; with t_ref V sits at V_reset for
 * exactly t_ref / dt steps. */
START_TEST(dexp_resets_u_psp_refractory) {
  for (int withref = 0; withref < 2; withref++) {
    int p;
    sa_net *net = one_dexp(0.1, &p);
    sa_pop_set_param(net, p, "I_e", 3.0);
    if (withref) sa_pop_set_param(net, p, "t_ref", 2.0);
    double t_first = -1;
    int spikes = 0, clamped = 0;
    for (int k = 1; k <= 1000; k++) {
      ck_assert_int_eq(sa_net_run(net, 1, NULL), 0);
      double t = k * 0.1;
      double want_u = 1.5 * -expm1(-0.1 * t);
      ck_assert_double_eq_tol(state_of(net, p, "u"), want_u, 1e-12);
      uint64_t ns = sa_net_pop_spikes(net, p);
      double v = state_of(net, p, "V_m");
      if ((int)ns > spikes) {
        spikes = (int)ns;
        ck_assert_double_eq(v, -1.0);
        if (t_first < 0) t_first = t;
        clamped = 0;
      } else if (withref && spikes > 0 && clamped < 20) {
        ck_assert_double_eq(v, -1.0);   /* refractory: clamped */
        clamped++;
      } else if (withref && spikes > 0 && clamped == 20) {
        ck_assert(v > -1.0);            /* free again after 20 steps */
        clamped++;
      }
      if (spikes == 1)
        ck_assert_double_eq_tol(state_of(net, p, "psp"), kappa(t - t_first),
                                1e-12);
    }
    ck_assert_int_ge(spikes, 3);
    sa_net_destroy(net);
  }
}
END_TEST

/* ---- stimulus ------------------------------------------------------- */

typedef struct spk { size_t n, cap; sa_tick *t; uint32_t *id; } spk;

static void collect(void *ud, int pop, const sa_tick *stamp,
                    const uint32_t *id, size_t n) {
  spk *s = ud;
  (void)pop;
  for (size_t k = 0; k < n; k++) {
    if (s->n == s->cap) {
      s->cap = s->cap ? 2 * s->cap : 1024;
      s->t = realloc(s->t, s->cap * sizeof *s->t);
      s->id = realloc(s->id, s->cap * sizeof *s->id);
    }
    s->t[s->n] = stamp[k];
    s->id[s->n++] = id[k];
  }
}

/* Every 100 ms exactly 10 of 50 nodes are active, only they spike, at
 * 200 Hz; the sets change. */
START_TEST(stimulus_active_sets) {
  sa_net *net;
  int p;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 7), 0);
  ck_assert_int_eq(sa_net_add_population(net, "s", "stimulus", 50, &p), 0);
  spk s = {0};
  ck_assert_int_eq(sa_net_subscribe(net, collect, &s), 0);
  unsigned char prev[50] = {0};
  int changed = 0;
  for (int m = 0; m < 40; m++) {
    size_t from = s.n;
    ck_assert_int_eq(sa_net_run(net, 1000, NULL), 0);
    unsigned char act[50];
    int count = 0;
    for (uint32_t i = 0; i < 50; i++) {
      double a;
      ck_assert_int_eq(sa_pop_get_state(net, p, "active", i, &a), 0);
      act[i] = a != 0;
      count += act[i];
    }
    ck_assert_int_eq(count, 10);
    for (size_t k = from; k < s.n; k++) {
      ck_assert(act[s.id[k]]);
      ck_assert_int_gt(s.t[k], 1000 * m);
      ck_assert_int_le(s.t[k], 1000 * (m + 1));
    }
    changed += memcmp(act, prev, 50) != 0;
    memcpy(prev, act, 50);
  }
  ck_assert_int_ge(changed, 39);
  /* 40 stimuli x 10 nodes x 100 ms x 200 Hz = 8000 spikes, sd ~ 89. */
  ck_assert_int_gt(s.n, 7600);
  ck_assert_int_lt(s.n, 8400);
  free(s.t), free(s.id);
  sa_net_destroy(net);
}
END_TEST

/* Pairwise correlation of two active nodes' per-tick spikes is c. */
START_TEST(stimulus_correlation) {
  const double cs[2] = {0.0, 0.5};
  for (int k = 0; k < 2; k++) {
    sa_net *net;
    int p;
    ck_assert_int_eq(sa_net_create(&net, 0.1, 3), 0);
    ck_assert_int_eq(sa_net_add_population(net, "s", "stimulus", 2, &p), 0);
    sa_pop_set_param(net, p, "fraction", 1.0);
    sa_pop_set_param(net, p, "correlation", cs[k]);
    spk s = {0};
    ck_assert_int_eq(sa_net_subscribe(net, collect, &s), 0);
    const double N = 1e6;
    ck_assert_int_eq(sa_net_run(net, (sa_tick)N, NULL), 0);
    double n0 = 0, n1 = 0, n01 = 0;
    for (size_t i = 0; i < s.n; i++) {
      n0 += s.id[i] == 0;
      n1 += s.id[i] == 1;
      n01 += s.id[i] == 1 && i > 0 && s.id[i - 1] == 0 && s.t[i - 1] == s.t[i];
    }
    double p0 = n0 / N, p1 = n1 / N;
    double r = (n01 / N - p0 * p1) / sqrt(p0 * (1 - p0) * p1 * (1 - p1));
    ck_assert_double_eq_tol(p0, 0.02, 0.001);
    /* 1e6 ticks: the estimate's sd is ~0.01. */
    ck_assert_double_eq_tol(r, cs[k], 0.04);
    free(s.t), free(s.id);
    sa_net_destroy(net);
  }
}
END_TEST

/* ---- STDWI ------------------------------------------------------------ */

/* Source trace at t from spikes strictly before t. */
static double trace(const double *ts, int n, double t, double tf, double ts_,
                    double af) {
  double xf = 0, xs = 0;
  for (int k = 0; k < n; k++)
    if (ts[k] < t - 1e-9) {
      xf += af * exp(-(t - ts[k]) / tf);
      xs += af * tf / ts_ * exp(-(t - ts[k]) / ts_);
    }
  return xf - xs;
}

/* Two sources with hand-placed spikes (one at exactly the first post
 * spike's time, which must not count), post spikes at 40.0 and 55.5 ms
 * forced by a driver: B-hat equals eta (x_f - x_s) after the first and
 * adds eta (x2 - d B) at the second. */
START_TEST(stdwi_trace_formula) {
  sa_net *net;
  int pre, drv, post, pj;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 1), 0);
  ck_assert_int_eq(sa_net_add_population(net, "pre", "spike_source", 2,
                                         &pre), 0);
  ck_assert_int_eq(sa_net_add_population(net, "drv", "spike_source", 1,
                                         &drv), 0);
  ck_assert_int_eq(sa_net_add_population(net, "post", "lif_delta", 1, &post),
                   0);
  const double t0[3] = {5.0, 12.3, 30.0}, t1[3] = {1.0, 29.9, 40.0};
  const double tpost[2] = {40.0, 55.5}, tdrv[2] = {39.9, 55.4};
  ck_assert_int_eq(sa_pop_set_spike_times(net, pre, 0, t0, 3), 0);
  ck_assert_int_eq(sa_pop_set_spike_times(net, pre, 1, t1, 3), 0);
  ck_assert_int_eq(sa_pop_set_spike_times(net, drv, 0, tdrv, 2), 0);
  sa_connector one = {.type = SA_CONN_ONE_TO_ONE};
  sa_connector all = {.type = SA_CONN_ALL_TO_ALL};
  sa_dist big = {SA_DIST_CONST, 1e6, 0}, tick = {SA_DIST_CONST, 0.1, 0};
  sa_dist tiny = {SA_DIST_CONST, 1e-3, 0};
  ck_assert_int_eq(sa_net_add_projection(net, "drive", drv, post, &one, &big,
                                         &tick, 0, NULL), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "w", pre, post, &all, &tiny,
                                         &tick, 0, &pj), 0);
  ck_assert_int_eq(sa_net_add_rule(net, pj, "stdwi", NULL), 0);
  const double eta = 1e-3, d = 0.5, tf = 20.0, ts = 140.0, af = 1.3;
  ck_assert_int_eq(sa_rule_set_param(net, pj, 0, "init_amp", 0.0), 0);
  ck_assert_int_eq(sa_rule_set_param(net, pj, 0, "eta", eta), 0);
  ck_assert_int_eq(sa_rule_set_param(net, pj, 0, "a_fast", af), 0);
  double b[2];
  ck_assert_int_eq(sa_net_run(net, 450, NULL), 0);
  ck_assert_int_eq(sa_net_pop_spikes(net, post), 1);
  ck_assert_int_eq(sa_net_proj_estimate(net, pj, 0, b), 0);
  double want[2] = {eta * trace(t0, 3, tpost[0], tf, ts, af),
                    eta * trace(t1, 3, tpost[0], tf, ts, af)};
  for (int j = 0; j < 2; j++)
    ck_assert_double_eq_tol(b[j], want[j], 1e-12 * fabs(want[j]));
  ck_assert_int_eq(sa_net_run(net, 200, NULL), 0);
  ck_assert_int_eq(sa_net_pop_spikes(net, post), 2);
  ck_assert_int_eq(sa_net_proj_estimate(net, pj, 0, b), 0);
  const double *tt[2] = {t0, t1};
  for (int j = 0; j < 2; j++) {
    double w2 = want[j] + eta * (trace(tt[j], 3, tpost[1], tf, ts, af) -
                                 d * want[j]);
    ck_assert_double_eq_tol(b[j], w2, 1e-12 * fabs(w2));
  }
  sa_net_destroy(net);
}
END_TEST

/* ---- RDD line fits ---------------------------------------------------- */

/* Windows with u_max uniform in [0, 2] around theta = 1 and
 * y = 0.3 u + 0.5 below threshold, 0.3 u + 1.5 above (plus noise sd 0.05):
 * the jump at threshold, c_above - c_below, is 1. SGD at the default eta
 * converges (time constant ~15000 windows per class); least squares is
 * exact up to the noise. */
START_TEST(rdd_synthetic_windows) {
  for (int lsq = 0; lsq < 2; lsq++) {
    sa_rdd_line above = {0}, below = {0};
    sa_rng r;
    sa_rng_seed(&r, 5, 1, 2);
    for (int k = 0; k < 400000; k++) {
      double u = 2.0 * sa_rng_uniform(&r);
      double y = 0.3 * u + (u >= 1.0 ? 1.5 : 0.5) + 0.05 * sa_rng_normal(&r);
      sa__rdd_step(u >= 1.0 ? &above : &below, lsq, 0.001, u - 1.0, y);
    }
    double jump = sa__rdd_value(&above, lsq) - sa__rdd_value(&below, lsq);
    ck_assert_double_eq_tol(jump, 1.0, 0.01);
  }
}
END_TEST

/* ---- rate rule -------------------------------------------------------- */

/* Rates r_pre ~ N(0, I), r_post = W r_pre + noise: the batch updates move
 * B-hat along the empirical covariance, towards W / lambda; after 60000
 * stimuli its direction is within 5 degrees of W (the sampling noise of
 * the covariance alone is ~2.5 degrees here). */
START_TEST(rate_rule_gaussian) {
  enum { NS = 100, NT = 10, K = 100, BATCHES = 600 };
  uint64_t nsyn = NS * NT;
  double *W = malloc(nsyn * sizeof *W), *b = calloc(nsyn, sizeof *b);
  uint32_t *src = malloc(nsyn * sizeof *src), *tgt = malloc(nsyn * sizeof *tgt);
  double *rpre = malloc(K * NS * sizeof *rpre);
  double *rpost = malloc(K * NT * sizeof *rpost);
  double mpre[NS], mpost[NT];
  sa_rng r;
  sa_rng_seed(&r, 11, 1, 1);
  for (uint64_t q = 0; q < nsyn; q++) {   /* source-major, as a CSR */
    src[q] = (uint32_t)(q / NT);
    tgt[q] = (uint32_t)(q % NT);
    W[q] = sa_rng_normal(&r);
  }
  for (int bt = 0; bt < BATCHES; bt++) {
    for (int k = 0; k < K; k++) {
      for (int j = 0; j < NS; j++) rpre[k * NS + j] = sa_rng_normal(&r);
      for (int i = 0; i < NT; i++) rpost[k * NT + i] = 0.5 * sa_rng_normal(&r);
      for (uint64_t q = 0; q < nsyn; q++)
        rpost[k * NT + tgt[q]] += W[q] * rpre[k * NS + src[q]];
    }
    sa__wm_batch(b, nsyn, src, tgt, rpre, rpost, K, NS, NT, 1e-5, 0.5, mpre,
                 mpost);
  }
  double angle = sa_angle_deg(W, b, nsyn, NULL, NULL);
  ck_assert_double_lt(angle, 5.0);
  /* The scale heads for 1 / lambda: here (1 - e^(-eta lambda N)) / lambda
   * = 0.52. */
  double nw, nb;
  sa_angle_deg(W, b, nsyn, &nw, &nb);
  ck_assert_double_gt(nb / nw, 0.4);
  ck_assert_double_lt(nb / nw, 0.65);
  free(W), free(b), free(src), free(tgt), free(rpre), free(rpost);
}
END_TEST

/* ---- metrics ---------------------------------------------------------- */

START_TEST(metrics_angles) {
  enum { N = 1000 };
  double W[N], B[N];
  float Wf[N], Bf[N];
  sa_rng r;
  sa_rng_seed(&r, 3, 1, 1);
  for (int k = 0; k < N; k++) {
    W[k] = sa_rng_normal(&r);
    Wf[k] = (float)W[k];
    W[k] = Wf[k];
  }
  sa_alignment a;
  sa_alignment_compute(W, W, N, &a);
  /* acos near 1: one ulp of cosine is ~1e-6 degrees. */
  ck_assert_double_eq_tol(a.angle, 0.0, 1e-5);
  ck_assert_double_eq_tol(a.r, 1.0, 1e-12);
  ck_assert_double_eq_tol(a.norm_ratio, 1.0, 1e-12);
  for (int k = 0; k < N; k++) B[k] = -W[k];
  sa_alignment_compute(W, B, N, &a);
  ck_assert_double_eq_tol(a.angle, 180.0, 1e-5);
  ck_assert_double_eq_tol(a.r, -1.0, 1e-12);
  /* An orthogonal partner: pairs (x, y) -> (y, -x). */
  for (int k = 0; k < N; k += 2) {
    B[k] = W[k + 1];
    B[k + 1] = -W[k];
  }
  sa_alignment_compute(W, B, N, &a);
  ck_assert_double_eq_tol(a.angle, 90.0, 1e-9);
  /* Scale and offset do not change r; scale changes the norm ratio. */
  for (int k = 0; k < N; k++) B[k] = 3.0 * W[k] + 2.0;
  sa_alignment_compute(W, B, N, &a);
  ck_assert_double_eq_tol(a.r, 1.0, 1e-12);
  /* float and double forms agree exactly on the same values. */
  for (int k = 0; k < N; k++) Bf[k] = (float)sa_rng_normal(&r), B[k] = Bf[k];
  double na, nb, nfa, nfb;
  ck_assert(sa_angle_deg(W, B, N, &na, &nb) ==
            sa_angle_deg_f(Wf, Bf, N, &nfa, &nfb));
  ck_assert(na == nfa && nb == nfb);
  /* Without zeros the two sign conventions agree. */
  sa_alignment_compute(W, B, N, &a);
  ck_assert(a.sign_ahmad == a.sign_guerguiev);
}
END_TEST

/* The conventions differ exactly on zero entries: Ahmad counts >= 0 as
 * "+" on both sides; Guerguiev skips B = 0 and never agrees with W = 0. */
START_TEST(metrics_sign_conventions) {
  const double W[6] = {1, -1, 0, 2, -3, 0}, B[6] = {0.5, -2, 0, 0, 1, -1};
  sa_alignment a;
  sa_alignment_compute(W, B, 6, &a);
  ck_assert_double_eq(a.sign_ahmad, 4.0 / 6.0);
  ck_assert_double_eq(a.sign_guerguiev, 2.0 / 4.0);
  /* Only the non-zero entries: both 2/3 (1, -1 agree; -3 does not). */
  const double W2[3] = {1, -1, -3}, B2[3] = {0.5, -2, 1};
  sa_alignment_compute(W2, B2, 3, &a);
  ck_assert_double_eq(a.sign_ahmad, 2.0 / 3.0);
  ck_assert_double_eq(a.sign_guerguiev, 2.0 / 3.0);
  const double Z[3] = {0, 0, 0};
  sa_alignment_compute(W2, Z, 3, &a);
  ck_assert(isnan(a.sign_guerguiev) && isnan(a.angle) && isnan(a.r));
}
END_TEST

/* ---- end to end ------------------------------------------------------- */

static sa_net *example(int threads, sa_config **cfg) {
  char path[1024], err[512];
  const char *root = getenv("SA_SRCDIR");
  snprintf(path, sizeof path, "%s/examples/weight_inference.json",
           root ? root : ".");
  ck_assert_msg(sa_config_load(cfg, path, err, sizeof err) == 0, "%s", err);
  sa_net *net;
  ck_assert_msg(sa_config_build(*cfg, 1, &net, err, sizeof err) == 0, "%s",
                err);
  ck_assert_int_eq(sa_net_set_threads(net, threads), 0);
  return net;
}

/* 20 s of examples/weight_inference.json: STDWI, the rate rule (K = 10)
 * and RDD (both variants, final parameters) reach r > 0.5, and every
 * estimate is bit-identical with one and two threads. */
START_TEST(e2e_example_20s) {
  sa_config *cfg[2];
  sa_net *net[2];
  double *est[2];
  int pj = 0, nr = 0;
  uint64_t n = 0;
  for (int t = 0; t < 2; t++) {
    net[t] = example(t + 1, &cfg[t]);
    pj = sa_net_proj_find(net[t], "in_out");
    ck_assert_int_ge(pj, 0);
    ck_assert_int_eq(sa_net_run(net[t], 80000, NULL), 0);   /* 20 s */
    nr = sa_net_proj_rule_count(net[t], pj);
    n = sa_net_proj_size(net[t], pj);
    est[t] = malloc((size_t)nr * n * sizeof *est[t]);
    for (int r = 0; r < nr; r++)
      ck_assert_int_eq(sa_net_proj_estimate(net[t], pj, r, est[t] + r * n),
                       0);
  }
  ck_assert_int_eq(memcmp(est[0], est[1], (size_t)nr * n * sizeof *est[0]),
                   0);
  double *W = malloc(n * sizeof *W);
  ck_assert_int_eq(sa_net_proj_weights(net[0], pj, W), 0);
  /* Rules 0 stdwi, 3 rate_nb, 4 rdd_guerguiev, 5 rdd_ahmad. */
  const int want[4] = {0, 3, 4, 5};
  for (int k = 0; k < 4; k++) {
    sa_alignment a;
    sa_alignment_compute(W, est[0] + want[k] * n, n, &a);
    ck_assert_msg(a.r > 0.5, "rule %d (%s): r = %g", want[k],
                  sa_net_proj_rule(net[0], pj, want[k]), a.r);
  }
  free(W);
  for (int t = 0; t < 2; t++) {
    free(est[t]);
    sa_net_destroy(net[t]);
    sa_config_destroy(cfg[t]);
  }
}
END_TEST

/* A checkpoint at 5 s, loaded into a fresh copy that then runs 5 s more,
 * gives every estimate of the uninterrupted 10 s run bit for bit (models
 * and estimators save all their state). */
START_TEST(e2e_checkpoint) {
  sa_config *cfg[2];
  sa_net *net[2];
  for (int k = 0; k < 2; k++) net[k] = example(1, &cfg[k]);
  int pj = sa_net_proj_find(net[0], "in_out");
  ck_assert_int_eq(sa_net_run(net[0], 20000, NULL), 0);
  sa_memck *m;
  ck_assert_int_eq(sa_memck_create(&m), 0);
  ck_assert_int_eq(sa_net_save(net[0], sa_memck_ckpt(m)), 0);
  ck_assert_int_eq(sa_net_run(net[1], 0, NULL), 0);
  ck_assert_int_eq(sa_net_load(net[1], sa_memck_ckpt(m)), 0);
  sa_memck_destroy(m);
  for (int k = 0; k < 2; k++)
    ck_assert_int_eq(sa_net_run(net[k], 20000, NULL), 0);
  int nr = sa_net_proj_rule_count(net[0], pj);
  uint64_t n = sa_net_proj_size(net[0], pj);
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  for (int r = 0; r < nr; r++) {
    ck_assert_int_eq(sa_net_proj_estimate(net[0], pj, r, a), 0);
    ck_assert_int_eq(sa_net_proj_estimate(net[1], pj, r, b), 0);
    ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "rule %d differs", r);
  }
  free(a), free(b);
  for (int k = 0; k < 2; k++) {
    sa_net_destroy(net[k]);
    sa_config_destroy(cfg[k]);
  }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("wt");
  TCase *m = tcase_create("lif_dexp");
  tcase_add_test(m, dexp_constant_drive);
  tcase_add_test(m, dexp_psp_closed_form);
  tcase_add_test(m, dexp_resets_u_psp_refractory);
  suite_add_tcase(s, m);
  TCase *st = tcase_create("stimulus");
  tcase_add_test(st, stimulus_active_sets);
  tcase_add_test(st, stimulus_correlation);
  suite_add_tcase(s, st);
  TCase *r = tcase_create("rules");
  tcase_add_test(r, stdwi_trace_formula);
  tcase_add_test(r, rdd_synthetic_windows);
  tcase_add_test(r, rate_rule_gaussian);
  suite_add_tcase(s, r);
  TCase *mt = tcase_create("metrics");
  tcase_add_test(mt, metrics_angles);
  tcase_add_test(mt, metrics_sign_conventions);
  suite_add_tcase(s, mt);
  TCase *e = tcase_create("e2e");
  tcase_set_timeout(e, 300);
  tcase_add_test(e, e2e_example_20s);
  tcase_add_test(e, e2e_checkpoint);
  suite_add_tcase(s, e);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
