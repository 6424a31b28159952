/* test_stdp.c: STDP against hand-computed NEST values and an independent
 * event-by-event re-implementation.
 * SPDX-License-Identifier: MIT */
#include "sa_sim.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Post spikes are forced by a driver: a spike_source whose 1e6 mV jump
 * into a lif_delta target (V_th far away, so the plastic input never makes
 * it fire) spikes the target exactly one tick after the driver spike. */
enum { PRE = 0, DRIVER = 1, POST = 2 };

typedef struct opts {
  double w0, delay, Wmax, lambda, alpha, mu_plus, mu_minus;
  double tau_plus, tau_minus;
  int nearest, receptor;
} opts;

static opts defaults(void) {
  opts o = {50.0, 0.1, 100.0, 0.01, 1.0, 1.0, 1.0, 20.0, 20.0, 0, 0};
  return o;
}

/* n targets, one plastic synapse each from the single pre node, with
 * delays delay, delay + 0.1, ... Post node j spikes at post[j][...]. */
static sa_net *build(const opts *o, const double *pre, size_t npre,
                     double *const *post, const size_t *npost, uint32_t n) {
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 1), 0);
  ck_assert_int_eq(sa_net_add_population(net, "pre", "spike_source", 1,
                                         NULL), 0);
  ck_assert_int_eq(sa_net_add_population(net, "drv", "spike_source", n,
                                         NULL), 0);
  ck_assert_int_eq(sa_net_add_population(net, "post", "lif_delta", n, NULL),
                   0);
  sa_pop_set_param(net, POST, "V_th", 1e4);
  sa_pop_set_param(net, POST, "t_ref", 0.1);
  if (npre) ck_assert_int_eq(sa_pop_set_spike_times(net, PRE, 0, pre, npre),
                             0);
  for (uint32_t j = 0; j < n; j++) {
    /* The driver fires one tick before the wanted post spike. */
    double *t = malloc((npost[j] + 1) * sizeof *t);
    for (size_t i = 0; i < npost[j]; i++) t[i] = post[j][i] - 0.1;
    ck_assert_int_eq(sa_pop_set_spike_times(net, DRIVER, j, t, npost[j]), 0);
    free(t);
  }
  sa_connector one = {.type = SA_CONN_ONE_TO_ONE};
  sa_dist big = {SA_DIST_CONST, 1e6, 0}, tick = {SA_DIST_CONST, 0.1, 0};
  ck_assert_int_eq(sa_net_add_projection(net, "drive", DRIVER, POST, &one,
                                         &big, &tick, 0, NULL), 0);
  uint32_t *src = calloc(n, sizeof *src), *tgt = malloc(n * sizeof *tgt);
  double *w = malloc(n * sizeof *w), *d = malloc(n * sizeof *d);
  for (uint32_t j = 0; j < n; j++) {
    tgt[j] = j;
    w[j] = o->w0;
    d[j] = o->delay + 0.1 * j;
  }
  sa_connector list = {.type = SA_CONN_LIST, .n = n, .source = src,
                       .target = tgt, .weight = w, .delay = d};
  sa_dist unused = {SA_DIST_CONST, 1.0, 0};
  int pj;
  ck_assert_int_eq(sa_net_add_projection(net, "plastic", PRE, POST, &list,
                                         &unused, &unused, o->receptor, &pj),
                   0);
  free(src), free(tgt), free(w), free(d);
  ck_assert_int_eq(sa_net_add_rule(net, pj, "stdp", NULL), 0);
  const char *names[] = {"Wmax", "lambda", "alpha", "mu_plus", "mu_minus",
                         "tau_plus", "tau_minus"};
  const double vals[] = {o->Wmax, o->lambda, o->alpha, o->mu_plus,
                         o->mu_minus, o->tau_plus, o->tau_minus};
  for (int i = 0; i < 7; i++)
    ck_assert_int_eq(sa_rule_set_param(net, pj, 0, names[i], vals[i]), 0);
  ck_assert_int_eq(sa_rule_set_option(net, pj, 0, "pairing",
                                           o->nearest ? "nearest"
                                                      : "all_to_all"), 0);
  return net;
}

/* Weight of the single synapse after running until `until` ms. */
static double one_pair(const opts *o, double *pre, size_t npre, double *post,
                       size_t npost, double until) {
  sa_net *net = build(o, pre, npre, &post, &npost, 1);
  ck_assert_int_eq(sa_net_run(net, llround(until / 0.1), NULL), 0);
  ck_assert_uint_eq(sa_net_pop_spikes(net, POST), npost);
  double w;
  ck_assert_int_eq(sa_net_proj_weights(net, 1, &w), 0);
  sa_net_destroy(net);
  return w;
}

START_TEST(pair_hand_values) {
  /* NEST defaults, w0 = 50, Wmax = 100 (TESTING.md 1.2): the synapse sees
   * the post spike at t_post + d, so post at 10 - d pairs at +10 ms. */
  opts o = defaults();
  for (int dticks = 1; dticks <= 20; dticks += 19) {
    o.delay = 0.1 * dticks;
    double pre = 5.0, post = 15.0 - o.delay;
    ck_assert_double_eq_tol(one_pair(&o, &pre, 1, &post, 1, 30.0),
                            50.303265329856, 1e-9);
    /* Post seen at 5, pre at 15: depression by K- = e^-0.5. The
     * depression happens at the pre spike itself. */
    double post2 = 5.0 - o.delay, pre2 = 15.0;
    ck_assert_double_eq_tol(one_pair(&o, &pre2, 1, &post2, 1, 30.0),
                            49.696734670144, 1e-9);
  }
  /* Additive (mu = 0): steps of +-lambda Wmax e^-0.5, for both pairings. */
  for (int nn = 0; nn < 2; nn++) {
    o = defaults();
    o.mu_plus = o.mu_minus = 0;
    o.nearest = nn;
    double pre = 5.0, post = 14.9;
    ck_assert_double_eq_tol(one_pair(&o, &pre, 1, &post, 1, 30.0) - 50.0,
                            0.606530659713, 1e-9);
    double post2 = 4.9, pre2 = 15.0;
    ck_assert_double_eq_tol(one_pair(&o, &pre2, 1, &post2, 1, 30.0) - 50.0,
                            -0.606530659713, 1e-9);
    o.mu_plus = o.mu_minus = 1;
    ck_assert_double_eq_tol(one_pair(&o, &pre, 1, &post, 1, 30.0),
                            50.303265329856, 1e-9);
  }
}
END_TEST

START_TEST(simultaneous_do_not_pair) {
  opts o = defaults();
  /* Post seen exactly at the pre spike (10 = 9.9 + 0.1): no change. */
  double pre = 10.0, post = 9.9;
  ck_assert_double_eq(one_pair(&o, &pre, 1, &post, 1, 30.0), 50.0);
}
END_TEST

START_TEST(triplet_all_to_all_vs_nearest) {
  /* Pre at 10 and 20, post seen at 30. All-to-all: K+ = e^-0.5 + 1 after
   * the second pre, so K = (e^-0.5 + 1) e^-0.5; nearest: K = e^-0.5.
   * Additive, so each is w0 + lambda Wmax K. */
  double pre[] = {10.0, 20.0}, post = 29.9;
  opts o = defaults();
  o.mu_plus = o.mu_minus = 0;
  double e = exp(-0.5);
  double a = one_pair(&o, pre, 2, &post, 1, 40.0);
  ck_assert_double_eq_tol(a, 50.0 + 1.0 * (e + 1.0) * e, 1e-9);
  o.nearest = 1;
  double n = one_pair(&o, pre, 2, &post, 1, 40.0);
  ck_assert_double_eq_tol(n, 50.0 + 1.0 * e, 1e-9);
  /* And the mirror image for depression: posts seen at 10 and 20, pre at
   * 30: all-to-all K- = (e^-0.5 + 1) e^-0.5, nearest e^-0.5. */
  double posts[] = {9.9, 19.9}, pre3 = 30.0;
  o.nearest = 0;
  ck_assert_double_eq_tol(one_pair(&o, &pre3, 1, posts, 2, 40.0),
                          50.0 - 1.0 * (e + 1.0) * e, 1e-9);
  o.nearest = 1;
  ck_assert_double_eq_tol(one_pair(&o, &pre3, 1, posts, 2, 40.0),
                          50.0 - 1.0 * e, 1e-9);
}
END_TEST

/* ---- independent re-implementation ---------------------------------- */

/* Event times in integer ticks: ties must be exact (12.3 + 1.9 is not
 * 14.2 in floating point). */
typedef struct ev { long long t; int post; } ev;

static int ev_cmp(const void *a, const void *b) {
  const ev *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return y->post - x->post;   /* posts first at equal times */
}

static double fac(const opts *o, double wm, double w, double k) {
  double n = w / wm + o->lambda * pow(1 - w / wm, o->mu_plus) * k;
  return n < 1 ? n * wm : wm;
}

static double dep(const opts *o, double wm, double w, double k) {
  double n = w / wm - o->alpha * o->lambda * pow(w / wm, o->mu_minus) * k;
  return n > 0 ? n * wm : 0;
}

/* NEST semantics from scratch: events in time order, a post seen at t
 * facilitates with the pre trace of spikes strictly before t; a pre at t
 * depresses with the post trace of posts seen strictly before t. */
static double reference(const opts *o, double sign, const double *pre,
                        size_t npre, const double *post, size_t npost,
                        double d) {
  ev *e = malloc((npre + npost) * sizeof *e);
  size_t n = 0;
  for (size_t i = 0; i < npre; i++) e[n++] = (ev){llround(pre[i] * 10), 0};
  for (size_t i = 0; i < npost; i++)
    e[n++] = (ev){llround(post[i] * 10) + llround(d * 10), 1};
  qsort(e, n, sizeof *e, ev_cmp);
  double w = o->w0, wm = sign * o->Wmax, kp = 0, km = 0, km_before = 0;
  double tpre = -1e300, tpost = -1e300, tpost_before = -1e300;
  for (size_t i = 0; i < n; i++) {
    double t = 0.1 * (double)e[i].t;
    if (e[i].post) {
      if (tpre > -1e300) w = fac(o, wm, w, kp * exp((tpre - t) / o->tau_plus));
      km_before = km, tpost_before = tpost;
      km = (o->nearest ? 0 : km * exp((tpost - t) / o->tau_minus)) + 1;
      tpost = t;
    } else {
      double k = tpost < t - 1e-9 ? km * exp((tpost - t) / o->tau_minus)
                                  : km_before *
                                        exp((tpost_before - t) / o->tau_minus);
      if (tpost > -1e300) w = dep(o, wm, w, k);
      kp = (o->nearest ? 0 : kp * exp((tpre - t) / o->tau_plus)) + 1;
      tpre = t;
    }
  }
  free(e);
  return w;
}

/* Poisson-like spike times on the grid, strictly increasing. */
static size_t train(unsigned *seed, double rate_hz, double T, double *out,
                    size_t cap) {
  size_t n = 0;
  double t = 0.0;
  for (;;) {
    *seed = *seed * 1103515245u + 12345u;
    double u = ((*seed >> 8) + 1.0) / 16777217.0;
    t += -log(u) * 1000.0 / rate_hz;
    double g = ceil(t * 10.0) / 10.0;
    if (g > T || n == cap) break;
    if (n && g <= out[n - 1] + 1e-9) g = out[n - 1] + 0.1;
    out[n++] = g;
    t = g;
  }
  return n;
}

/* Pre train at pre_hz; target j's post train at post_hz + step_hz j. */
static void replay_rates(opts o, double sign, double pre_hz, double post_hz,
                         double step_hz) {
  enum { N = 12, CAP = 2000 };
  const double T = 5000.0;
  unsigned seed = 12345;
  double *pre = malloc(CAP * sizeof *pre), *post[N];
  size_t npre = train(&seed, pre_hz, T - 50, pre, CAP), npost[N];
  for (int j = 0; j < N; j++) {
    post[j] = malloc(CAP * sizeof *post[j]);
    npost[j] = train(&seed, post_hz + step_hz * j, T - 50, post[j], CAP);
    /* Keep the post spikes of each target at least two ticks apart so the
     * driver never hits the target's refractory tick. */
    for (size_t i = 1; i < npost[j]; i++)
      if (post[j][i] < post[j][i - 1] + 0.2) post[j][i] = post[j][i - 1] + 0.2;
  }
  if (sign < 0) {
    o.w0 = -o.w0;
    o.receptor = SA_RECEPTOR_INHIBITORY;
  }
  sa_net *net = build(&o, pre, npre, post, npost, N);
  /* Several run segments: slices and materialisation must not matter. */
  for (int k = 0; k < 5; k++)
    ck_assert_int_eq(sa_net_run(net, llround(T / 5 / 0.1), NULL), 0);
  double w[N];
  size_t total = 0;
  for (int j = 0; j < N; j++) total += npost[j];
  ck_assert_uint_eq(sa_net_pop_spikes(net, POST), total);
  ck_assert_int_eq(sa_net_proj_weights(net, 1, w), 0);
  for (int j = 0; j < N; j++) {
    double want = reference(&o, sign, pre, npre, post[j], npost[j],
                            o.delay + 0.1 * j);
    ck_assert_msg(fabs(w[j] - want) <= 1e-9 * fabs(o.Wmax),
                  "synapse %d: %.15g, reference %.15g", j, w[j], want);
    if (sign > 0) ck_assert(w[j] >= 0 && w[j] <= o.Wmax);
    else ck_assert(w[j] <= 0 && w[j] >= -o.Wmax);
    free(post[j]);
  }
  free(pre);
  sa_net_destroy(net);
}

static void replay(opts o, double sign) {
  replay_rates(o, sign, 20.0, 5.0, 5.0);
}

START_TEST(replay_irregular_trains) {
  opts o = defaults();
  o.tau_plus = 16.8;
  o.tau_minus = 33.7;
  o.alpha = 0.85;
  o.lambda = 0.01;
  o.Wmax = 15.0;
  o.w0 = 0.5;
  o.delay = 0.1;
  for (int nn = 0; nn < 2; nn++)
    for (int mu = 0; mu < 2; mu++) {
      o.nearest = nn;
      o.mu_plus = o.mu_minus = mu;
      replay(o, 1.0);
    }
  o.delay = 1.0;
  replay(o, 1.0);
}
END_TEST

/* The rule reads a target's newest post spikes from a short line and
 * walks its whole history only when a source has missed more of them;
 * decays past its tables (819 ms here) are skipped when they cannot move
 * the weight. A sparse pre train against dense and sparse post trains
 * takes every one of those paths. */
START_TEST(replay_long_walks_and_gaps) {
  opts o = defaults();
  o.tau_plus = 16.8;
  o.tau_minus = 20.0;
  o.alpha = 0.85;
  o.Wmax = 15.0;
  o.w0 = 7.5;
  for (int nn = 0; nn < 2; nn++)
    for (int mu = 0; mu < 2; mu++) {
      o.nearest = nn;
      o.mu_plus = o.mu_minus = mu;
      replay_rates(o, 1.0, 1.0, 0.5, 9.0);
      replay_rates(o, -1.0, 1.0, 0.5, 9.0);
    }
  o.delay = 1.0;
  replay_rates(o, 1.0, 1.0, 0.5, 9.0);
}
END_TEST

START_TEST(bounds_and_inhibitory) {
  /* A large learning rate drives weights onto both bounds. */
  opts o = defaults();
  o.lambda = 0.5;
  o.mu_plus = o.mu_minus = 0;
  o.w0 = 30.0;
  replay(o, 1.0);
  replay(o, -1.0);
  o.mu_plus = o.mu_minus = 1;
  replay(o, -1.0);
}
END_TEST

START_TEST(rule_errors) {
  sa_net *net;
  sa_net_create(&net, 0.1, 1);
  sa_net_add_population(net, "a", "poisson", 2, NULL);
  sa_net_add_population(net, "b", "lif_exp", 2, NULL);
  sa_connector c = {.type = SA_CONN_ALL_TO_ALL, .allow_autapses = 1};
  sa_dist w = {SA_DIST_NORMAL, 0.0, 10.0}, d = {SA_DIST_CONST, 1.0, 0};
  sa_net_add_projection(net, "ab", 0, 1, &c, &w, &d, 0, NULL);
  ck_assert_int_eq(sa_net_add_rule(net, 0, "hebb", NULL), SA_ENOENT);
  ck_assert_int_eq(sa_rule_set_param(net, 0, 0, "lambda", 0.1), SA_EINVAL);
  ck_assert_int_eq(sa_net_add_rule(net, 0, "stdp", NULL), 0);
  ck_assert_str_eq(sa_net_proj_rule(net, 0, 0), "stdp");
  ck_assert_ptr_null(sa_net_proj_rule(net, 0, 1));
  double est;
  ck_assert_int_eq(sa_net_proj_estimate(net, 0, 0, &est), SA_ENOTSUP);
  ck_assert_int_eq(sa_rule_set_param(net, 0, 0, "lambada", 0.1),
                   SA_ENOENT);
  ck_assert_int_eq(sa_rule_set_option(net, 0, 0, "pairing", "closest"),
                   SA_EINVAL);
  /* Mixed signs under receptor auto cannot be plastic. */
  ck_assert_int_eq(sa_net_prepare(net), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(sa_net_errmsg(net), "one sign"));
  sa_net_destroy(net);
  sa_net_create(&net, 0.1, 1);
  sa_net_add_population(net, "a", "poisson", 2, NULL);
  sa_net_add_population(net, "b", "lif_exp", 2, NULL);
  sa_dist wp = {SA_DIST_CONST, 5.0, 0};
  sa_net_add_projection(net, "ab", 0, 1, &c, &wp, &d, 0, NULL);
  sa_net_add_rule(net, 0, "stdp", NULL);
  sa_rule_set_param(net, 0, 0, "tau_plus", 0.0);
  ck_assert_int_eq(sa_net_prepare(net), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(sa_net_errmsg(net), "tau_plus"));
  sa_rule_set_param(net, 0, 0, "tau_plus", 20.0);
  ck_assert_int_eq(sa_net_run(net, 10, NULL), 0);
  ck_assert_int_eq(sa_rule_set_param(net, 0, 0, "lambda", 0.1), SA_EBUSY);
  /* A neuron parameter may change between runs; the next run prepares
   * again, and the weights, by then plastic doubles, keep their sign. */
  ck_assert_int_eq(sa_pop_set_param(net, 1, "I_e", 100.0), 0);
  ck_assert_int_eq(sa_net_run(net, 10, NULL), 0);
  double wr[4];
  ck_assert_int_eq(sa_net_proj_weights(net, 0, wr), 0);
  for (int i = 0; i < 4; i++) ck_assert(wr[i] > 0 && wr[i] <= 5.0);
  sa_net_destroy(net);
}
END_TEST

int main(void) {
  Suite *s = suite_create("stdp");
  TCase *tc = tcase_create("stdp");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, pair_hand_values);
  tcase_add_test(tc, simultaneous_do_not_pair);
  tcase_add_test(tc, triplet_all_to_all_vs_nearest);
  tcase_add_test(tc, replay_irregular_trains);
  tcase_add_test(tc, replay_long_walks_and_gaps);
  tcase_add_test(tc, bounds_and_inhibitory);
  tcase_add_test(tc, rule_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
