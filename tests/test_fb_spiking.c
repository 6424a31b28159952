/* test_fb_spiking.c: the rdd and stdwi feedback strategies (learn/
 * fb_spiking.c) and the weight replacement they rely on
 * (sim/proj_set.c).
 * SPDX-License-Identifier: MIT */
#include "sa_learn.h"
#include "sa_metrics.h"
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rules[2] = {"stdwi", "rdd"};

static sa_mlp *make(const char *algo, uint64_t seed, double spike_time)
{
  sa_learn_config c;
  sa_learn_config_default(&c);
  c.n_sizes = 3;
  c.sizes[0] = 20, c.sizes[1] = 100, c.sizes[2] = 10;
  c.algo = algo;
  c.seed = seed;
  c.spike_time = spike_time;
  char err[256] = "";
  sa_mlp *net = NULL;
  int rc = sa_mlp_create(&net, &c, err, sizeof err);
  ck_assert_msg(rc == 0, "sa_mlp_create(%s): %s", algo, err);
  return net;
}

static double std_of(const float *x, size_t n)
{
  double s = 0, ss = 0;
  for (size_t i = 0; i < n; i++)
    s += x[i];
  double m = s / (double)n;
  for (size_t i = 0; i < n; i++)
    ss += ((double)x[i] - m) * ((double)x[i] - m);
  return sqrt(ss / (double)n);
}

/* The angle between vec(W_2^T) and vec(B_2) of the 20-100-10 net. */
static double layer2_angle(sa_mlp *net, float *B)
{
  enum { NI = 100, NO = 10 };
  float W[NO * NI], Wt[NI * NO];
  ck_assert_int_eq(sa_mlp_get_weights(net, 2, W, NULL), 0);
  ck_assert_int_eq(sa_mlp_get_feedback(net, 2, B), 0);
  for (int i = 0; i < NO; i++)
    for (int j = 0; j < NI; j++)
      Wt[j * NO + i] = W[i * NI + j];
  return sa_angle_deg_f(Wt, B, NI * NO, NULL, NULL);
}

/* On a known W (the init law's, zero-mean: not the mean-positive W of
 * issue 5) one estimate of 60 simulated seconds aligns B with W^T far
 * better than chance (90 degrees), a second one (warm start: the same
 * network continues) better still, and the rescaled B keeps the initial
 * feedback's standard deviation. Measured at seed 1: stdwi 21.8 then 17.9
 * degrees, rdd 38.9 then 30.3; the thresholds leave 6-7 degrees. */
START_TEST(test_estimate_aligns)
{
  static const double limit1[2] = {28, 45}, limit2[2] = {24, 37};
  const char *rule = rules[_i];
  sa_mlp *net = make(rule, 1, 60);
  float B0[1000], B[1000];
  ck_assert_int_eq(sa_mlp_get_feedback(net, 2, B0), 0);
  double a0 = layer2_angle(net, B);
  ck_assert_msg(a0 > 80, "%s: initial B already aligned (%g)", rule, a0);
  ck_assert_int_eq(sa_mlp_feedback_steps(net, 1), 0);
  double a1 = layer2_angle(net, B);
  double s0 = std_of(B0, 1000), s1 = std_of(B, 1000);
  ck_assert_int_eq(sa_mlp_feedback_steps(net, 1), 0);
  double a2 = layer2_angle(net, B);
  printf("test_estimate_aligns: %s: angle %.1f -> %.1f -> %.1f degrees, "
         "std(B) %.9g, std(B_init) %.9g\n", rule, a0, a1, a2, s1, s0);
  ck_assert_msg(a1 < limit1[_i], "%s: angle %g after 60 s", rule, a1);
  ck_assert_msg(a2 < limit2[_i] && a2 < a1, "%s: angle %g after 120 s",
                rule, a2);
  /* float rounding of B only: 1e-6 relative. */
  ck_assert_double_eq_tol(s1 / s0, 1.0, 1e-6);
  ck_assert_double_eq_tol(std_of(B, 1000) / s0, 1.0, 1e-6);
  /* Layer 1 feeds no delta: its B is fa's and is left alone. */
  float B1[2000], F1[2000];
  ck_assert_int_eq(sa_mlp_get_feedback(net, 1, B1), 0);
  sa_mlp *fa = make("fa", 1, 0);
  ck_assert_int_eq(sa_mlp_get_feedback(fa, 1, F1), 0);
  ck_assert(memcmp(B1, F1, sizeof B1) == 0);
  sa_mlp_destroy(fa);
  sa_mlp_destroy(net);
}
END_TEST

/* Same seed: bit-identical B; another seed: another B. */
START_TEST(test_deterministic)
{
  const char *rule = rules[_i];
  float B[3][1000];
  for (int k = 0; k < 3; k++) {
    sa_mlp *net = make(rule, k == 2 ? 2 : 1, 5);
    ck_assert_int_eq(sa_mlp_feedback_steps(net, 2), 0);
    ck_assert_int_eq(sa_mlp_get_feedback(net, 2, B[k]), 0);
    sa_mlp_destroy(net);
  }
  ck_assert_msg(memcmp(B[0], B[1], sizeof B[0]) == 0, "%s: same seed, "
                "different B", rule);
  ck_assert_msg(memcmp(B[0], B[2], sizeof B[0]) != 0, "%s: seed ignored",
                rule);
}
END_TEST

/* Training with it: epochs run, B moves, metrics are there. */
START_TEST(test_train_epochs)
{
  enum { NT = 200, NE = 50, D = 20 };
  static float x[NT * D], xt[NE * D];
  static uint8_t y[NT], yt[NE];
  uint64_t st = 5;
  for (int i = 0; i < NT * D; i++) {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    x[i] = (float)(st >> 40) * 0x1p-24f;
  }
  for (int i = 0; i < NT; i++)
    y[i] = (uint8_t)((x[i * D] > 0.5f) + 2 * (x[i * D + 1] > 0.5f));
  memcpy(xt, x, sizeof xt);
  memcpy(yt, y, sizeof yt);
  sa_dataset *ds;
  ck_assert_int_eq(sa_dataset_from_arrays(&ds, D, 4, x, y, NT, xt, yt, NE),
                   0);
  const char *rule = rules[_i];
  sa_mlp *net = make(rule, 3, 5);
  sa_epoch_metrics m;
  float B0[1000], B[1000];
  ck_assert_int_eq(sa_mlp_get_feedback(net, 2, B0), 0);
  for (int e = 1; e <= 2; e++) {
    ck_assert_int_eq(sa_mlp_train_epoch(net, ds, e, &m), 0);
    ck_assert(isfinite(m.train_loss) && m.test_accuracy >= 0);
    ck_assert(m.weight_angle[1] >= 0 && m.weight_angle[1] < 90);
    ck_assert(isfinite(m.delta_angle[0]) && isfinite(m.norm_ratio[1]));
  }
  ck_assert_int_eq(sa_mlp_get_feedback(net, 2, B), 0);
  ck_assert(memcmp(B0, B, sizeof B) != 0);
  sa_mlp_destroy(net);
  sa_dataset_destroy(ds);
}
END_TEST

START_TEST(test_config_errors)
{
  sa_learn_config c;
  sa_learn_config_default(&c);
  c.algo = "stdwi";
  char err[256] = "";
  sa_mlp *net = NULL;
  c.spike_time = -1;
  ck_assert_int_eq(sa_mlp_create(&net, &c, err, sizeof err), SA_EINVAL);
  ck_assert(net == NULL && strstr(err, "spiking") != NULL);
  c.spike_time = NAN;
  ck_assert_int_eq(sa_mlp_create(&net, &c, err, sizeof err), SA_EINVAL);
}
END_TEST

/* ---- sa_net_proj_set_weights ------------------------------------------ */

/* 3 -> 2 all-to-all with an estimator: weights go in in canonical order,
 * come back the same, and reach the target (a positive weight makes it
 * fire, a negative one silences it). */
START_TEST(test_proj_set_weights)
{
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.25, 1), 0);
  int ps, pi, po, pj, r;
  const sa_dist one_w = {SA_DIST_CONST, 20, 0}, d = {SA_DIST_CONST, 0.25, 0};
  const sa_connector one = {.type = SA_CONN_ONE_TO_ONE};
  const sa_connector all = {.type = SA_CONN_ALL_TO_ALL};
  ck_assert_int_eq(sa_net_add_population(net, "s", "poisson", 3, &ps), 0);
  ck_assert_int_eq(sa_pop_set_param(net, ps, "rate", 100), 0);
  ck_assert_int_eq(sa_net_add_population(net, "i", "lif_dexp", 3, &pi), 0);
  ck_assert_int_eq(sa_net_add_population(net, "o", "lif_dexp", 2, &po), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "si", ps, pi, &one, &one_w, &d,
                                         SA_RECEPTOR_AUTO, NULL), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "io", pi, po, &all, &one_w, &d,
                                         SA_RECEPTOR_AUTO, &pj), 0);
  ck_assert_int_eq(sa_net_add_rule(net, pj, "stdwi", &r), 0);
  ck_assert_int_eq(sa_net_run(net, 4000, NULL), 0);
  uint64_t fired = sa_net_pop_spikes(net, po);
  ck_assert(fired > 0);
  double w[6] = {-30, -31, -32, -33, -34, -35}, back[6];
  ck_assert_int_eq(sa_net_proj_set_weights(net, pj, w), 0);
  ck_assert_int_eq(sa_net_proj_weights(net, pj, back), 0);
  ck_assert(memcmp(w, back, sizeof w) == 0);
  ck_assert_int_eq(sa_net_run(net, 4000, NULL), 0);
  /* At most the spikes of the first tens of ms (old weights in flight
   * and the old current decaying). */
  ck_assert_msg(sa_net_pop_spikes(net, po) - fired < 10,
                "%llu spikes with negative weights",
                (unsigned long long)(sa_net_pop_spikes(net, po) - fired));
  /* Mixed signs are fine for an estimator. */
  w[0] = 30;
  ck_assert_int_eq(sa_net_proj_set_weights(net, pj, w), 0);
  w[0] = INFINITY;
  ck_assert_int_eq(sa_net_proj_set_weights(net, pj, w), SA_EINVAL);
  ck_assert_int_eq(sa_net_proj_set_weights(net, 7, w), SA_EINVAL);
  ck_assert_int_eq(sa_net_proj_weights(net, pj, back), 0);
  ck_assert(back[0] == 30);    /* a refused call changes nothing */
  sa_net_destroy(net);
}
END_TEST

/* A receptor's sign, and a plastic rule's one sign, are kept. */
START_TEST(test_proj_set_weights_signs)
{
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 1), 0);
  int a, b, pe, ps, r;
  const sa_dist w1 = {SA_DIST_CONST, 5, 0}, d = {SA_DIST_CONST, 1, 0};
  const sa_connector all = {.type = SA_CONN_ALL_TO_ALL};
  ck_assert_int_eq(sa_net_add_population(net, "a", "poisson", 2, &a), 0);
  ck_assert_int_eq(sa_net_add_population(net, "b", "lif_exp", 2, &b), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "e", a, b, &all, &w1, &d,
                                         SA_RECEPTOR_EXCITATORY, &pe), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "p", a, b, &all, &w1, &d,
                                         SA_RECEPTOR_AUTO, &ps), 0);
  ck_assert_int_eq(sa_net_add_rule(net, ps, "stdp", &r), 0);
  double neg[4] = {1, -1, 1, 1}, pos[4] = {1, 2, 3, 4}, back[4];
  ck_assert_int_eq(sa_net_proj_set_weights(net, pe, neg), SA_EINVAL);
  ck_assert_int_eq(sa_net_proj_set_weights(net, ps, neg), SA_EINVAL);
  ck_assert_int_eq(sa_net_proj_set_weights(net, pe, pos), 0);
  ck_assert_int_eq(sa_net_run(net, 10, NULL), 0);
  ck_assert_int_eq(sa_net_proj_set_weights(net, ps, pos), 0);
  ck_assert_int_eq(sa_net_proj_weights(net, ps, back), 0);
  ck_assert(memcmp(pos, back, sizeof pos) == 0);
  ck_assert_int_eq(sa_net_proj_weights(net, pe, back), 0);
  ck_assert(memcmp(pos, back, sizeof pos) == 0);
  sa_net_destroy(net);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fb_spiking");
  TCase *tc = tcase_create("strategies");
  tcase_set_timeout(tc, 240);
  tcase_add_loop_test(tc, test_estimate_aligns, 0, 2);
  tcase_add_loop_test(tc, test_deterministic, 0, 2);
  tcase_add_loop_test(tc, test_train_epochs, 0, 2);
  tcase_add_test(tc, test_config_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("proj_set");
  tcase_add_test(tc, test_proj_set_weights);
  tcase_add_test(tc, test_proj_set_weights_signs);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_VERBOSE);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
