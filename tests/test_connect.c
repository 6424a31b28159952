/* test_connect.c: connectors, weights, delays and their determinism.
 * SPDX-License-Identifier: MIT */
#include "sa_io.h"
#include "sa_sim.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct syn {
  uint64_t n;
  uint32_t *s, *t;
  float *w;
  uint16_t *d;
} syn;

static syn get(sa_net *net, int pj) {
  syn x;
  x.n = sa_net_proj_size(net, pj);
  x.s = malloc((x.n + 1) * sizeof *x.s);
  x.t = malloc((x.n + 1) * sizeof *x.t);
  x.w = malloc((x.n + 1) * sizeof *x.w);
  x.d = malloc((x.n + 1) * sizeof *x.d);
  sa_net_proj_get(net, pj, x.s, x.t, x.w, x.d);
  return x;
}

static void syn_free(syn *x) {
  free(x->s), free(x->t), free(x->w), free(x->d);
}

/* Two populations a (na nodes) and b (nb nodes) of lif_exp. */
static sa_net *pair(uint64_t seed, uint32_t na, uint32_t nb) {
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.1, seed), 0);
  ck_assert_int_eq(sa_net_add_population(net, "a", "lif_exp", na, NULL), 0);
  ck_assert_int_eq(sa_net_add_population(net, "b", "lif_exp", nb, NULL), 0);
  return net;
}

static const sa_dist W1 = {SA_DIST_CONST, 1.0, 0}, D1 = {SA_DIST_CONST, 1.0, 0};

START_TEST(fixed_indegree_exact) {
  for (int multi = 0; multi < 2; multi++)
    for (int autap = 0; autap < 2; autap++) {
      sa_net *net = pair(5, 200, 150);
      sa_connector c = {.type = SA_CONN_FIXED_INDEGREE, .k = 37,
                        .allow_autapses = autap, .allow_multapses = multi};
      int pj;
      /* a -> a exercises autapse exclusion, a -> b the plain case. */
      ck_assert_int_eq(sa_net_add_projection(net, "aa", 0, 0, &c, &W1, &D1,
                                             0, &pj), 0);
      ck_assert_int_eq(sa_net_add_projection(net, "ab", 0, 1, &c, &W1, &D1,
                                             0, NULL), 0);
      syn x = get(net, pj);
      ck_assert_uint_eq(x.n, 200 * 37);
      int indeg[200] = {0};
      static unsigned char seen[200][200];
      memset(seen, 0, sizeof seen);
      int dup = 0;
      for (uint64_t q = 0; q < x.n; q++) {
        indeg[x.t[q]]++;
        if (!autap) ck_assert_uint_ne(x.s[q], x.t[q]);
        dup += seen[x.s[q]][x.t[q]]++ > 0;
      }
      for (int j = 0; j < 200; j++) ck_assert_int_eq(indeg[j], 37);
      if (!multi) ck_assert_int_eq(dup, 0);
      ck_assert_uint_eq(sa_net_proj_size(net, 1), 150 * 37);
      syn_free(&x);
      sa_net_destroy(net);
    }
  /* k larger than the candidates without multapses is refused. */
  sa_net *net = pair(5, 10, 10);
  sa_connector c = {.type = SA_CONN_FIXED_INDEGREE, .k = 10,
                    .allow_autapses = 0, .allow_multapses = 0};
  ck_assert_int_eq(sa_net_add_projection(net, "aa", 0, 0, &c, &W1, &D1, 0,
                                         NULL), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(sa_net_errmsg(net), "k = 10"));
  c.allow_autapses = 1;
  ck_assert_int_eq(sa_net_add_projection(net, "aa", 0, 0, &c, &W1, &D1, 0,
                                         NULL), 0);
  ck_assert_uint_eq(sa_net_proj_size(net, 0), 100);
  sa_net_destroy(net);
}
END_TEST

START_TEST(fixed_outdegree_exact) {
  sa_net *net = pair(9, 120, 300);
  sa_connector c = {.type = SA_CONN_FIXED_OUTDEGREE, .k = 25,
                    .allow_autapses = 1, .allow_multapses = 0};
  ck_assert_int_eq(sa_net_add_projection(net, "ab", 0, 1, &c, &W1, &D1, 0,
                                         NULL), 0);
  syn x = get(net, 0);
  ck_assert_uint_eq(x.n, 120 * 25);
  int out[120] = {0};
  for (uint64_t q = 0; q < x.n; q++) {
    out[x.s[q]]++;
    ck_assert_uint_lt(x.t[q], 300);
  }
  for (int i = 0; i < 120; i++) ck_assert_int_eq(out[i], 25);
  syn_free(&x);
  sa_net_destroy(net);
}
END_TEST

START_TEST(fixed_probability_count) {
  /* n*m*p expected, binomial sd sqrt(n m p (1-p)); within 4 sd. */
  const double ps[] = {0.02, 0.1, 0.5};
  for (int i = 0; i < 3; i++) {
    sa_net *net = pair(11 + i, 1000, 800);
    sa_connector c = {.type = SA_CONN_FIXED_PROBABILITY, .p = ps[i],
                      .allow_autapses = 1, .allow_multapses = 1};
    ck_assert_int_eq(sa_net_add_projection(net, "ab", 0, 1, &c, &W1, &D1, 0,
                                           NULL), 0);
    double mean = 1000.0 * 800 * ps[i];
    double sd = sqrt(mean * (1 - ps[i]));
    double n = (double)sa_net_proj_size(net, 0);
    ck_assert_msg(fabs(n - mean) < 4 * sd, "p=%g: %g synapses, want %g+-%g",
                  ps[i], n, mean, 4 * sd);
    sa_net_destroy(net);
  }
  sa_net *net = pair(1, 50, 50);
  sa_connector c = {.type = SA_CONN_FIXED_PROBABILITY, .p = 1.0,
                    .allow_autapses = 0};
  ck_assert_int_eq(sa_net_add_projection(net, "aa", 0, 0, &c, &W1, &D1, 0,
                                         NULL), 0);
  ck_assert_uint_eq(sa_net_proj_size(net, 0), 50 * 49);
  c.p = 1.5;
  ck_assert_int_eq(sa_net_add_projection(net, "x", 0, 1, &c, &W1, &D1, 0,
                                         NULL), SA_EINVAL);
  c.p = 0.0;
  ck_assert_int_eq(sa_net_add_projection(net, "z", 0, 1, &c, &W1, &D1, 0,
                                         NULL), 0);
  ck_assert_uint_eq(sa_net_proj_size(net, 1), 0);
  sa_net_destroy(net);
}
END_TEST

START_TEST(one_to_one_and_all_to_all) {
  sa_net *net = pair(1, 30, 30);
  int extra;
  sa_net_add_population(net, "c", "lif_delta", 31, &extra);
  sa_connector o = {.type = SA_CONN_ONE_TO_ONE};
  ck_assert_int_eq(sa_net_add_projection(net, "ab", 0, 1, &o, &W1, &D1, 0,
                                         NULL), 0);
  syn x = get(net, 0);
  ck_assert_uint_eq(x.n, 30);
  for (uint64_t q = 0; q < 30; q++) {
    ck_assert_uint_eq(x.s[q], q);
    ck_assert_uint_eq(x.t[q], q);
  }
  syn_free(&x);
  ck_assert_int_eq(sa_net_add_projection(net, "ac", 0, extra, &o, &W1, &D1,
                                         0, NULL), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(sa_net_errmsg(net), "one_to_one"));
  sa_connector a = {.type = SA_CONN_ALL_TO_ALL, .allow_autapses = 1};
  ck_assert_int_eq(sa_net_add_projection(net, "ac", 0, extra, &a, &W1, &D1,
                                         0, NULL), 0);
  ck_assert_uint_eq(sa_net_proj_size(net, 1), 30 * 31);
  a.allow_autapses = 0;
  ck_assert_int_eq(sa_net_add_projection(net, "aa", 0, 0, &a, &W1, &D1, 0,
                                         NULL), 0);
  ck_assert_uint_eq(sa_net_proj_size(net, 2), 30 * 29);
  sa_net_destroy(net);
}
END_TEST

START_TEST(list_connector) {
  sa_net *net = pair(1, 4, 3);
  uint32_t s[] = {0, 3, 1, 0}, t[] = {2, 0, 1, 0};
  double w[] = {5.0, -7.5, 2.0, 1.0}, d[] = {0.1, 2.3, 1.0, 0.5};
  sa_connector c = {.type = SA_CONN_LIST, .n = 4, .source = s, .target = t,
                    .weight = w, .delay = d};
  ck_assert_int_eq(sa_net_add_projection(net, "ab", 0, 1, &c, &W1, &D1, 0,
                                         NULL), 0);
  syn x = get(net, 0);
  ck_assert_uint_eq(x.n, 4);
  /* CSR by source, rows by target: (0->0), (0->2), (1->1), (3->0). */
  uint32_t es[] = {0, 0, 1, 3}, et[] = {0, 2, 1, 0};
  float ew[] = {1.0f, 5.0f, 2.0f, -7.5f};
  uint16_t ed[] = {5, 1, 10, 23};
  for (int q = 0; q < 4; q++) {
    ck_assert_uint_eq(x.s[q], es[q]);
    ck_assert_uint_eq(x.t[q], et[q]);
    ck_assert_float_eq(x.w[q], ew[q]);
    ck_assert_uint_eq(x.d[q], ed[q]);
  }
  syn_free(&x);
  t[1] = 3;
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, 1, &c, &W1, &D1, 0,
                                         NULL), SA_EINVAL);
  t[1] = 0;
  d[0] = 0.04;
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, 1, &c, &W1, &D1, 0,
                                         NULL), SA_EINVAL);
  d[0] = 6.7e30;   /* beyond long long in ticks (fuzz_config found it) */
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, 1, &c, &W1, &D1, 0,
                                         NULL), SA_EINVAL);
  d[0] = 0.1;
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, 1, &c, &W1, &D1,
                                         SA_RECEPTOR_EXCITATORY, NULL),
                   SA_EINVAL);
  sa_net_destroy(net);
}
END_TEST

START_TEST(weights_delays_and_signs) {
  sa_net *net = pair(3, 300, 300);
  sa_connector c = {.type = SA_CONN_FIXED_INDEGREE, .k = 50,
                    .allow_autapses = 1, .allow_multapses = 1};
  sa_dist wn = {SA_DIST_NORMAL, 1.0, 2.0}, du = {SA_DIST_UNIFORM, 0.1, 5.0};
  ck_assert_int_eq(sa_net_add_projection(net, "ex", 0, 1, &c, &wn, &du,
                                         SA_RECEPTOR_EXCITATORY, NULL), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "in", 0, 1, &c, &wn, &du,
                                         SA_RECEPTOR_INHIBITORY, NULL), 0);
  sa_dist wu = {SA_DIST_UNIFORM, 10.0, 20.0};
  ck_assert_int_eq(sa_net_add_projection(net, "u", 0, 1, &c, &wu, &D1, 0,
                                         NULL), 0);
  syn e = get(net, 0), i = get(net, 1), u = get(net, 2);
  int zeros = 0;
  uint16_t dmin = 999, dmax = 0;
  for (uint64_t q = 0; q < e.n; q++) {
    ck_assert(e.w[q] >= 0);
    ck_assert(i.w[q] <= 0);
    zeros += e.w[q] == 0;
    if (e.d[q] < dmin) dmin = e.d[q];
    if (e.d[q] > dmax) dmax = e.d[q];
  }
  /* N(1, 2) is negative with probability 0.3085: those are clipped to 0. */
  ck_assert(fabs(zeros / (double)e.n - 0.3085) < 0.02);
  ck_assert_uint_eq(dmin, 1);
  ck_assert_uint_eq(dmax, 50);
  double sum = 0;
  for (uint64_t q = 0; q < u.n; q++) {
    ck_assert(u.w[q] >= 10.0f && u.w[q] <= 20.0f);
    ck_assert_uint_eq(u.d[q], 10);
    sum += u.w[q];
  }
  /* Mean 15, sd of the mean 2.887 / sqrt(15000) = 0.0236. */
  ck_assert(fabs(sum / u.n - 15.0) < 4 * 0.0236);
  syn_free(&e), syn_free(&i), syn_free(&u);
  sa_dist neg = {SA_DIST_CONST, -1.0, 0};
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, 1, &c, &neg, &D1,
                                         SA_RECEPTOR_EXCITATORY, NULL),
                   SA_EINVAL);
  sa_dist tiny = {SA_DIST_CONST, 0.05, 0};
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, 1, &c, &W1, &tiny,
                                         0, NULL), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(sa_net_errmsg(net), "below one tick"));
  int src;
  sa_net_add_population(net, "p", "poisson", 10, &src);
  ck_assert_int_eq(sa_net_add_projection(net, "bad", 0, src, &c, &W1, &D1,
                                         0, NULL), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(sa_net_errmsg(net), "cannot receive"));
  sa_net_destroy(net);
}
END_TEST

START_TEST(seed_determinism) {
  syn x[3];
  sa_net *nets[3];
  const uint64_t seeds[] = {42, 42, 43};
  for (int v = 0; v < 3; v++) {
    nets[v] = pair(seeds[v], 500, 400);
    sa_connector c = {.type = SA_CONN_FIXED_PROBABILITY, .p = 0.05,
                      .allow_autapses = 1};
    sa_dist w = {SA_DIST_NORMAL, 5, 1}, d = {SA_DIST_UNIFORM, 0.1, 3};
    ck_assert_int_eq(sa_net_add_projection(nets[v], "ab", 0, 1, &c, &w, &d,
                                           0, NULL), 0);
    x[v] = get(nets[v], 0);
  }
  ck_assert_uint_eq(x[0].n, x[1].n);
  ck_assert_mem_eq(x[0].t, x[1].t, x[0].n * sizeof *x[0].t);
  ck_assert_mem_eq(x[0].w, x[1].w, x[0].n * sizeof *x[0].w);
  ck_assert_mem_eq(x[0].d, x[1].d, x[0].n * sizeof *x[0].d);
  ck_assert(x[0].n != x[2].n ||
            memcmp(x[0].t, x[2].t, x[0].n * sizeof *x[0].t) != 0);
  for (int v = 0; v < 3; v++) {
    syn_free(&x[v]);
    sa_net_destroy(nets[v]);
  }
}
END_TEST

/* Rows drawn by source and list rows are sorted by target after the
 * fill: stably (a list's repeated pairs keep their order), and the
 * per-thread parts of the first run read back in the same order. */
START_TEST(rows_sorted_stable_and_split) {
  sa_net *net = pair(3, 60, 50);
  sa_connector o = {.type = SA_CONN_FIXED_OUTDEGREE, .k = 200,
                    .allow_autapses = 1, .allow_multapses = 1};
  sa_dist w = {SA_DIST_NORMAL, 5, 1}, d = {SA_DIST_UNIFORM, 0.1, 3};
  ck_assert_int_eq(sa_net_add_projection(net, "out", 0, 1, &o, &w, &d, 0,
                                         NULL), 0);
  enum { L = 3000 };
  uint32_t *s = malloc(L * sizeof *s), *t = malloc(L * sizeof *t);
  double *lw = malloc(L * sizeof *lw);
  for (uint32_t i = 0; i < L; i++) {
    s[i] = (i * 7919u) % 60;
    t[i] = (i * 104729u) % 50;
    lw[i] = i;           /* the list position, to check stability */
  }
  sa_connector l = {.type = SA_CONN_LIST, .n = L, .source = s, .target = t,
                    .weight = lw};
  ck_assert_int_eq(sa_net_add_projection(net, "list", 0, 1, &l, &W1, &d, 0,
                                         NULL), 0);
  syn x[2] = {get(net, 0), get(net, 1)};
  ck_assert_uint_eq(x[0].n, 60 * 200);
  ck_assert_uint_eq(x[1].n, L);
  for (int v = 0; v < 2; v++)
    for (uint64_t q = 1; q < x[v].n; q++) {
      ck_assert_uint_le(x[v].s[q - 1], x[v].s[q]);
      if (x[v].s[q - 1] != x[v].s[q]) continue;
      ck_assert_uint_le(x[v].t[q - 1], x[v].t[q]);
      if (v == 1 && x[v].t[q - 1] == x[v].t[q])
        ck_assert_float_lt(x[v].w[q - 1], x[v].w[q]);
    }
  ck_assert_int_eq(sa_net_set_threads(net, 3), 0);
  ck_assert_int_eq(sa_net_run(net, 1, NULL), 0);
  for (int v = 0; v < 2; v++) {
    syn y = get(net, v);
    ck_assert_uint_eq(y.n, x[v].n);
    ck_assert_mem_eq(y.s, x[v].s, y.n * sizeof *y.s);
    ck_assert_mem_eq(y.t, x[v].t, y.n * sizeof *y.t);
    ck_assert_mem_eq(y.w, x[v].w, y.n * sizeof *y.w);
    ck_assert_mem_eq(y.d, x[v].d, y.n * sizeof *y.d);
    syn_free(&y);
    syn_free(&x[v]);
  }
  free(s), free(t), free(lw);
  sa_net_destroy(net);
}
END_TEST

/* ---- projections of one weight (hom) -------------------------------- */

/* Order-sensitive digest of every spike, from a subscriber. */
static void digest(void *ud, int pop, const sa_tick *stamp,
                   const uint32_t *id, size_t n) {
  uint64_t *h = ud;
  for (size_t s = 0; s < n; s++)
    h[0] = (h[0] ^ ((uint64_t)pop << 56 ^ (uint64_t)stamp[s] << 20 ^ id[s])) *
           0x100000001b3ull;
  h[1] += n;
}

/* Poisson drive -> 400 lif_exp, recurrent exc and inh, a rule on "ee" if
 * asked. hom: constant weights; otherwise N(w, 0), which draws the same
 * partners and weights but is stored per synapse. */
static sa_net *homnet(int hom, int rule, int threads, uint64_t *h) {
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 9), 0);
  int p, b;
  ck_assert_int_eq(sa_net_add_population(net, "p", "poisson", 100, &p), 0);
  ck_assert_int_eq(sa_pop_set_param(net, p, "rate", 40.0), 0);
  ck_assert_int_eq(sa_net_add_population(net, "b", "lif_exp", 400, &b), 0);
  sa_connector in = {.type = SA_CONN_FIXED_INDEGREE, .k = 50},
               rec = {.type = SA_CONN_FIXED_PROBABILITY, .p = 0.1};
  sa_dist we = {hom ? SA_DIST_CONST : SA_DIST_NORMAL, 60.0, 0},
          wi = {hom ? SA_DIST_CONST : SA_DIST_NORMAL, -90.0, 0},
          wa = {hom ? SA_DIST_CONST : SA_DIST_NORMAL, 150.0, 0},
          d2 = {SA_DIST_CONST, 0.2, 0};
  int ee;
  ck_assert_int_eq(sa_net_add_projection(net, "pe", p, b, &in, &wa, &D1, 0,
                                         NULL), 0);
  ck_assert_int_eq(sa_net_add_projection(net, "ee", b, b, &rec, &we, &d2,
                                         SA_RECEPTOR_EXCITATORY, &ee), 0);
  /* Delays that vary, from a list: a weight distribution that draws would
   * move the delays' draws in the stream. */
  enum { NL = 16000 };
  static uint32_t ls[NL], lt[NL];
  static double ld[NL];
  for (uint32_t i = 0; i < NL; i++) {
    ls[i] = (i * 7919u) % 400;
    lt[i] = (i * 104729u + i / 400) % 400;
    ld[i] = 0.1 * (1 + i % 15);
  }
  sa_connector lst = {.type = SA_CONN_LIST, .n = NL, .source = ls,
                      .target = lt, .delay = ld};
  ck_assert_int_eq(sa_net_add_projection(net, "ie", b, b, &lst, &wi, &D1,
                                         SA_RECEPTOR_INHIBITORY, NULL), 0);
  if (rule) {
    int r;
    ck_assert_int_eq(sa_net_add_rule(net, ee, "stdp", &r), 0);
    ck_assert_int_eq(sa_rule_set_param(net, ee, r, "Wmax", 100.0), 0);
  }
  ck_assert_int_eq(sa_net_set_threads(net, threads), 0);
  h[0] = 0xcbf29ce484222325ull;
  h[1] = 0;
  ck_assert_int_eq(sa_net_subscribe(net, digest, h), 0);
  return net;
}

static double *weights(sa_net *net, int pj) {
  uint64_t n = sa_net_proj_size(net, pj);
  double *w = malloc((n + 1) * sizeof *w);
  ck_assert_int_eq(sa_net_proj_weights(net, pj, w), 0);
  return w;
}

/* A constant weight is stored once: what is reported, and every spike
 * for 1 and 3 threads, is what per-synapse weights of the same values
 * give; with a rule (the weights become per synapse at the first run)
 * too. */
START_TEST(hom_same_as_per_synapse) {
  for (int rule = 0; rule < 2; rule++)
    for (int threads = 1; threads <= 3; threads += 2) {
      uint64_t h[2][2];
      sa_net *net[2];
      for (int v = 0; v < 2; v++) {
        net[v] = homnet(v == 0, rule, threads, h[v]);
        for (int pj = 0; pj < 3; pj++) {
          syn x = get(net[v], pj);
          for (uint64_t q = 0; q < x.n; q++)
            ck_assert_float_eq(x.w[q], pj == 0 ? 150.0f
                                       : pj == 1 ? 60.0f : -90.0f);
          syn_free(&x);
        }
        ck_assert_int_eq(sa_net_run(net[v], 3000, NULL), 0);
      }
      ck_assert_uint_gt(sa_net_pop_spikes(net[0], 1), 1000);
      ck_assert_uint_eq(h[0][1], h[1][1]);
      ck_assert_uint_eq(h[0][0], h[1][0]);
      for (int pj = 0; pj < 3; pj++) {
        uint64_t n = sa_net_proj_size(net[0], pj);
        ck_assert_uint_eq(n, sa_net_proj_size(net[1], pj));
        double *a = weights(net[0], pj), *b = weights(net[1], pj);
        ck_assert_mem_eq(a, b, n * sizeof *a);
        int moved = 0;
        for (uint64_t q = 0; q < n; q++) moved |= a[q] != a[0];
        ck_assert_int_eq(moved, rule && pj == 1);   /* stdp on "ee" only */
        free(a), free(b);
      }
      for (int v = 0; v < 2; v++) sa_net_destroy(net[v]);
    }
}
END_TEST

/* A list of equal weights is held as one weight, a list of unequal ones
 * per synapse; both report what they were given. */
START_TEST(hom_list_equal_unequal) {
  sa_net *net = pair(1, 4, 3);
  uint32_t s[] = {0, 3, 1, 0}, t[] = {2, 0, 1, 0};
  double eq[] = {2.5, 2.5, 2.5, 2.5}, ne[] = {2.5, 2.5, 2.5, 3.0},
         z[] = {0.0, -0.0, 0.0, 0.0};
  const double *ws[] = {eq, ne, z};
  for (int v = 0; v < 3; v++) {
    sa_connector c = {.type = SA_CONN_LIST, .n = 4, .source = s,
                      .target = t, .weight = ws[v]};
    int pj;
    char name[8] = "l0";
    name[1] = (char)('0' + v);
    ck_assert_int_eq(sa_net_add_projection(net, name, 0, 1, &c, &W1, &D1, 0,
                                           &pj), 0);
    syn x = get(net, pj);
    double *w = weights(net, pj);
    /* CSR by source, rows by target: list entries 3, 0, 2, 1. */
    const int from[] = {3, 0, 2, 1};
    for (int q = 0; q < 4; q++) {
      float f = (float)ws[v][from[q]];
      ck_assert_mem_eq(&x.w[q], &f, sizeof f);   /* -0 stays -0 */
      ck_assert(w[q] == ws[v][from[q]] &&
                signbit(w[q]) == signbit(ws[v][from[q]]));
    }
    free(w);
    syn_free(&x);
  }
  sa_net_destroy(net);
}
END_TEST

/* Weights set on a projection of one weight: equal ones keep it so (with
 * the new weight), unequal ones give it per-synapse weights; either way
 * the spikes are those of the same weights set on per-synapse storage, and
 * a wrong sign is still refused. */
START_TEST(hom_set_weights) {
  uint64_t h[2][2];
  sa_net *net[2];
  for (int v = 0; v < 2; v++) {
    net[v] = homnet(v == 0, 0, 2, h[v]);
    ck_assert_int_eq(sa_net_run(net[v], 1000, NULL), 0);
    uint64_t n = sa_net_proj_size(net[v], 1);
    double *w = malloc(n * sizeof *w);
    for (uint64_t q = 0; q < n; q++) w[q] = 55.0;
    ck_assert_int_eq(sa_net_proj_set_weights(net[v], 1, w), 0);
    double *r = weights(net[v], 1);
    for (uint64_t q = 0; q < n; q++) ck_assert(r[q] == (double)55.0f);
    free(r);
    ck_assert_int_eq(sa_net_run(net[v], 1000, NULL), 0);
    w[n / 2] = -1.0;
    ck_assert_int_eq(sa_net_proj_set_weights(net[v], 1, w), SA_EINVAL);
    for (uint64_t q = 0; q < n; q++) w[q] = 30.0 + (double)(q % 7) * 10.0;
    ck_assert_int_eq(sa_net_proj_set_weights(net[v], 1, w), 0);
    r = weights(net[v], 1);
    for (uint64_t q = 0; q < n; q++) ck_assert(r[q] == (double)(float)w[q]);
    free(r);
    free(w);
    ck_assert_int_eq(sa_net_run(net[v], 1000, NULL), 0);
  }
  ck_assert_uint_gt(sa_net_pop_spikes(net[0], 1), 1000);
  ck_assert_uint_eq(h[0][1], h[1][1]);
  ck_assert_uint_eq(h[0][0], h[1][0]);
  for (int v = 0; v < 2; v++) sa_net_destroy(net[v]);
}
END_TEST

/* A checkpoint of a network with projections of one weight, loaded into a
 * fresh copy: the rest of the run and the weights are those of the
 * uninterrupted run; also with stdp on one projection, whose targets are
 * not all firing by then (an empty post history is saved and loaded). */
START_TEST(hom_checkpoint) {
  for (int rule = 0; rule < 2; rule++) {
    uint64_t h[2][2];
    sa_net *net[2];
    for (int v = 0; v < 2; v++) net[v] = homnet(1, rule, 2, h[v]);
    ck_assert_int_eq(sa_net_run(net[0], 1500, NULL), 0);
    sa_memck *m;
    ck_assert_int_eq(sa_memck_create(&m), 0);
    ck_assert_int_eq(sa_net_save(net[0], sa_memck_ckpt(m)), 0);
    ck_assert_int_eq(sa_net_run(net[1], 0, NULL), 0);
    ck_assert_int_eq(sa_net_load(net[1], sa_memck_ckpt(m)), 0);
    sa_memck_destroy(m);
    for (int v = 0; v < 2; v++) {
      h[v][0] = 0;
      h[v][1] = 0;
      ck_assert_int_eq(sa_net_run(net[v], 1500, NULL), 0);
    }
    ck_assert_uint_gt(h[0][1], 500);
    ck_assert_uint_eq(h[0][1], h[1][1]);
    ck_assert_uint_eq(h[0][0], h[1][0]);
    for (int pj = 0; pj < 3; pj++) {
      uint64_t n = sa_net_proj_size(net[0], pj);
      double *a = weights(net[0], pj), *b = weights(net[1], pj);
      ck_assert_mem_eq(a, b, n * sizeof *a);
      free(a), free(b);
    }
    for (int v = 0; v < 2; v++) sa_net_destroy(net[v]);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("connect");
  TCase *tc = tcase_create("connectors");
  tcase_add_test(tc, fixed_indegree_exact);
  tcase_add_test(tc, fixed_outdegree_exact);
  tcase_add_test(tc, fixed_probability_count);
  tcase_add_test(tc, one_to_one_and_all_to_all);
  tcase_add_test(tc, list_connector);
  tcase_add_test(tc, weights_delays_and_signs);
  tcase_add_test(tc, seed_determinism);
  tcase_add_test(tc, rows_sorted_stable_and_split);
  tcase_add_test(tc, hom_same_as_per_synapse);
  tcase_add_test(tc, hom_list_equal_unequal);
  tcase_add_test(tc, hom_set_weights);
  tcase_add_test(tc, hom_checkpoint);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
