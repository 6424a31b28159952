/* test_crosssim.c: synalign's lif_exp network against a Brian2 reference.
 *
 * tests/data/crosssim.json is a small deterministic network (5 lif_exp
 * populations, 8 neurons, list projections with excitatory and inhibitory
 * weights and delays 0.1 .. 3.7 ms); tests/data/crosssim_brian2.txt holds
 * the spikes Brian2 produces for it under NEST's grid semantics. Both files
 * are written by tools/brian2_reference.py, which documents the mapping
 * between Brian2's schedule and NEST's and checks it against known NEST
 * results. The spike lists must be equal tick for tick.
 *
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_io.h"
#include "sa_sim.h"

#define NAME_MAX_LEN 64

typedef struct spike {
  char name[NAME_MAX_LEN];
  uint32_t node;
  sa_tick tick;
} spike;

typedef struct spikes {
  spike *v;
  size_t n, cap;
} spikes;

typedef struct collector {
  const sa_net *net;
  spikes s;
  int order_ok;      /* stamps ascending, ids ascending within a stamp */
} collector;

static void spikes_push(spikes *s, const char *name, uint32_t node,
                        sa_tick tick) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    spike *v = realloc(s->v, cap * sizeof *v);
    ck_assert_ptr_nonnull(v);
    s->v = v;
    s->cap = cap;
  }
  spike *e = &s->v[s->n++];
  snprintf(e->name, sizeof e->name, "%s", name);
  e->node = node;
  e->tick = tick;
}

static int spike_cmp(const void *pa, const void *pb) {
  const spike *a = pa, *b = pb;
  if (a->tick != b->tick) return a->tick < b->tick ? -1 : 1;
  int c = strcmp(a->name, b->name);
  if (c) return c;
  return a->node < b->node ? -1 : a->node > b->node;
}

static void collect(void *ud, int pop, const sa_tick *stamp,
                    const uint32_t *id, size_t n) {
  collector *c = ud;
  const char *name = sa_net_pop_name(c->net, pop);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (stamp[i] < stamp[i - 1] ||
                  (stamp[i] == stamp[i - 1] && id[i] <= id[i - 1])))
      c->order_ok = 0;
    spikes_push(&c->s, name ? name : "?", id[i], stamp[i]);
  }
}

static char *data_path(const char *file) {
  const char *dir = getenv("SA_SRCDIR");
  if (!dir || !*dir) dir = ".";
  size_t len = strlen(dir) + strlen(file) + 16;
  char *p = malloc(len);
  ck_assert_ptr_nonnull(p);
  snprintf(p, len, "%s/tests/data/%s", dir, file);
  return p;
}

/* "population node_id time_ms" per line; blank lines and '#' skipped. */
static void load_reference(spikes *ref) {
  char *path = data_path("crosssim_brian2.txt");
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  char line[256];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '\n' || line[0] == '#') continue;
    char name[NAME_MAX_LEN];
    unsigned long node;
    double t;
    int k = sscanf(line, "%63s %lu %lf", name, &node, &t);
    ck_assert_msg(k == 3, "%s:%d: expected 'population node time'", path,
                  lineno);
    spikes_push(ref, name, (uint32_t)node, (sa_tick)llround(t / 0.1));
  }
  fclose(f);
  free(path);
  qsort(ref->v, ref->n, sizeof *ref->v, spike_cmp);
}

/* Load and build the network, run it for the file's duration, and return
 * the sorted spikes. */
static void run_network(spikes *out, sa_net **net_out, double *dt_out) {
  char err[512] = "";
  char *path = data_path("crosssim.json");
  sa_config *cfg = NULL;
  int rc = sa_config_load(&cfg, path, err, sizeof err);
  ck_assert_msg(rc == 0, "sa_config_load(%s): %s (%s)", path,
                sa_strerror(rc), err);
  free(path);
  sa_net *net = NULL;
  rc = sa_config_build(cfg, sa_config_seed(cfg), &net, err, sizeof err);
  ck_assert_msg(rc == 0, "sa_config_build: %s (%s)", sa_strerror(rc), err);
  double dt = sa_config_dt(cfg);
  double duration = sa_config_duration(cfg);
  ck_assert_double_eq_tol(dt, 0.1, 1e-12);
  sa_config_destroy(cfg);

  collector c = {.net = net, .order_ok = 1};
  rc = sa_net_subscribe(net, collect, &c);
  ck_assert_int_eq(rc, 0);
  sa_tick nsteps = (sa_tick)llround(duration / dt);
  rc = sa_net_run(net, nsteps, NULL);
  ck_assert_msg(rc == 0, "sa_net_run: %s (%s)", sa_strerror(rc),
                sa_net_errmsg(net));
  ck_assert_int_eq(sa_net_now(net), nsteps);
  ck_assert_msg(c.order_ok, "subscriber saw stamps/ids out of order");
  qsort(c.s.v, c.s.n, sizeof *c.s.v, spike_cmp);
  *out = c.s;
  *dt_out = dt;
  if (net_out)
    *net_out = net;
  else
    sa_net_destroy(net);
}

START_TEST(test_spikes_equal_brian2) {
  spikes ref = {0}, got = {0};
  double dt;
  load_reference(&ref);
  ck_assert_msg(ref.n > 0, "empty reference");
  run_network(&got, NULL, &dt);

  ck_assert_msg(got.n == ref.n, "spike count: synalign %zu, Brian2 %zu",
                got.n, ref.n);
  for (size_t i = 0; i < ref.n; i++) {
    const spike *a = &got.v[i], *b = &ref.v[i];
    ck_assert_msg(a->tick == b->tick && a->node == b->node &&
                      strcmp(a->name, b->name) == 0,
                  "first mismatch at spike %zu: synalign %s %u %.1f ms, "
                  "Brian2 %s %u %.1f ms",
                  i, a->name, a->node, (double)a->tick * dt, b->name,
                  b->node, (double)b->tick * dt);
  }
  free(ref.v);
  free(got.v);
}
END_TEST

/* The per-population counters agree with what the subscriber saw. */
START_TEST(test_counters_match_subscriber) {
  spikes got = {0};
  sa_net *net = NULL;
  double dt;
  run_network(&got, &net, &dt);
  uint64_t total = 0;
  for (int p = 0; p < sa_net_pop_count(net); p++) {
    uint64_t seen = 0;
    for (size_t i = 0; i < got.n; i++)
      if (strcmp(got.v[i].name, sa_net_pop_name(net, p)) == 0) seen++;
    ck_assert_msg(sa_net_pop_spikes(net, p) == seen,
                  "population %s: counter %llu, subscriber %llu",
                  sa_net_pop_name(net, p),
                  (unsigned long long)sa_net_pop_spikes(net, p),
                  (unsigned long long)seen);
    total += seen;
  }
  ck_assert_uint_eq(total, got.n);
  sa_net_destroy(net);
  free(got.v);
}
END_TEST

static Suite *crosssim_suite(void) {
  Suite *s = suite_create("crosssim");
  TCase *tc = tcase_create("brian2");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_spikes_equal_brian2);
  tcase_add_test(tc, test_counters_match_subscriber);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(crosssim_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
