/* test_config.c: JSON network files (io/config.c) -- loading, building,
 * and one case per kind of mistake, each checked for its code and path.
 * SPDX-License-Identifier: MIT */
#include "sa_io.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a fresh temporary file and returns its malloc'd path.
 * Single quotes become double quotes, so the JSON below stays readable. */
static char *tmpcfg(const char *text) {
  const char *dir = getenv("TMPDIR");
  char *path = malloc(4096);
  ck_assert_ptr_nonnull(path);
  snprintf(path, 4096, "%s/sa_cfg_XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  size_t n = strlen(text);
  char *buf = malloc(n + 1);
  ck_assert_ptr_nonnull(buf);
  for (size_t i = 0; i <= n; i++) buf[i] = text[i] == '\'' ? '"' : text[i];
  ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
  ck_assert_int_eq(close(fd), 0);
  free(buf);
  return path;
}

static void rmcfg(char *path) {
  unlink(path);
  free(path);
}

/* ---- a good network ------------------------------------------------- */

static const char good[] =
    "{'description': 'every feature once',\n"
    " 'dt': 0.1, 'duration': 50.0, 'seed': 42,\n"
    " 'populations': {\n"
    "  'exc': {'model': 'lif_exp', 'n': 4,\n"
    "          'params': {'tau_m': 15.0, 'V_th': -50},\n"
    "          'init': {'V_m': {'uniform': [-70.0, -60.0]}}},\n"
    "  'inh': {'model': 'lif_delta', 'n': 2.0,\n"
    "          'init': {'V_m': -65.0}},\n"
    "  'noise': {'model': 'poisson', 'n': 3, 'params': {'rate': 100.0}},\n"
    "  'stim': {'model': 'spike_source', 'n': 2,\n"
    "           'spike_times': [[1.0, 2.5], []]}},\n"
    " 'projections': [\n"
    "  {'source': 'exc', 'target': 'exc',\n"
    "   'connector': {'type': 'one_to_one'}, 'weight': 16.2},\n"
    "  {'source': 'inh', 'target': 'exc', 'receptor': 'inhibitory',\n"
    "   'connector': {'type': 'all_to_all', 'allow_autapses': false},\n"
    "   'weight': {'normal': [-2.0, 0.5]}, 'delay': {'uniform': [0.5, 2]}},\n"
    "  {'name': 'drive', 'source': 'noise', 'target': 'inh',\n"
    "   'connector': {'type': 'fixed_indegree', 'k': 2}},\n"
    "  {'source': 'stim', 'target': 'exc',\n"
    "   'connector': {'type': 'list', 'source': [0, 1, 1],\n"
    "                 'target': [3, 2, 0], 'weight': [1, 2, 3],\n"
    "                 'delay': [0.1, 0.2, 5.0]}},\n"
    "  {'source': 'exc', 'target': 'inh',\n"
    "   'connector': {'type': 'fixed_outdegree', 'k': 1,\n"
    "                 'allow_multapses': false}},\n"
    "  {'name': 'dense', 'source': 'exc', 'target': 'exc',\n"
    "   'connector': {'type': 'fixed_probability', 'p': 1.0},\n"
    "   'receptor': 'excitatory', 'delay': 0.8}],\n"
    " 'record': {'spikes': ['exc', 'stim']}}\n";

START_TEST(test_good_loads_and_builds) {
  char *path = tmpcfg(good);
  char err[512] = "untouched";
  sa_config *cfg = NULL;
  ck_assert_int_eq(sa_config_load(&cfg, path, err, sizeof err), 0);
  ck_assert_str_eq(err, "");
  ck_assert_double_eq(sa_config_dt(cfg), 0.1);
  ck_assert_double_eq(sa_config_duration(cfg), 50.0);
  ck_assert_uint_eq(sa_config_seed(cfg), 42);
  ck_assert_str_eq(sa_config_path(cfg), path);
  ck_assert_ptr_nonnull(strstr(sa_config_text(cfg), "every feature once"));
  ck_assert_uint_eq(sa_config_record_count(cfg), 2);
  ck_assert_str_eq(sa_config_record_name(cfg, 0), "exc");
  ck_assert_str_eq(sa_config_record_name(cfg, 1), "stim");
  ck_assert_ptr_null(sa_config_record_name(cfg, 2));

  sa_net *net = NULL;
  ck_assert_int_eq(sa_config_build(cfg, 99, &net, err, sizeof err), 0);
  ck_assert_ptr_nonnull(net);
  ck_assert_uint_eq(sa_net_seed(net), 99);   /* the argument wins */
  ck_assert_double_eq(sa_net_dt(net), 0.1);

  /* Populations keep the file's order. */
  ck_assert_int_eq(sa_net_pop_count(net), 4);
  static const char *const names[] = {"exc", "inh", "noise", "stim"};
  static const uint32_t sizes[] = {4, 2, 3, 2};
  for (int i = 0; i < 4; i++) {
    ck_assert_str_eq(sa_net_pop_name(net, i), names[i]);
    ck_assert_uint_eq(sa_net_pop_size(net, i), sizes[i]);
  }
  ck_assert_str_eq(sa_net_pop_model(net, 1), "lif_delta");
  double v;
  ck_assert_int_eq(sa_pop_get_param(net, 0, "tau_m", &v), 0);
  ck_assert_double_eq(v, 15.0);
  ck_assert_int_eq(sa_pop_get_param(net, 0, "V_th", &v), 0);
  ck_assert_double_eq(v, -50.0);
  ck_assert_int_eq(sa_pop_get_param(net, 2, "rate", &v), 0);
  ck_assert_double_eq(v, 100.0);
  /* Initial values are drawn at prepare, which build has done. */
  for (uint32_t i = 0; i < 4; i++) {
    ck_assert_int_eq(sa_pop_get_state(net, 0, "V_m", i, &v), 0);
    ck_assert(v >= -70.0 && v <= -60.0);
  }
  ck_assert_int_eq(sa_pop_get_state(net, 1, "V_m", 1, &v), 0);
  ck_assert_double_eq(v, -65.0);

  ck_assert_int_eq(sa_net_proj_count(net), 6);
  static const char *const pnames[] = {"exc_exc", "inh_exc", "drive",
                                       "stim_exc", "exc_inh", "dense"};
  static const uint64_t psizes[] = {4, 2 * 4, 2 * 2, 3, 4 * 1, 4 * 4};
  for (int i = 0; i < 6; i++) {
    ck_assert_str_eq(sa_net_proj_name(net, i), pnames[i]);
    ck_assert_uint_eq(sa_net_proj_size(net, i), psizes[i]);
  }
  /* one_to_one: i -> i, weight 16.2, default delay 1 ms = 10 ticks. */
  uint32_t s[16], t[16];
  float w[16];
  uint16_t d[16];
  sa_net_proj_get(net, 0, s, t, w, d);
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_eq(s[i], (uint32_t)i);
    ck_assert_uint_eq(t[i], (uint32_t)i);
    ck_assert_float_eq_tol(w[i], 16.2f, 1e-6f);   /* stored as float */
    ck_assert_uint_eq(d[i], 10);
  }
  /* list: CSR order is by source, then by target (file order among equal
   * endpoints); delays in ticks. */
  sa_net_proj_get(net, 3, s, t, w, d);
  ck_assert_uint_eq(s[0], 0);
  ck_assert_uint_eq(t[0], 3);
  ck_assert_uint_eq(d[0], 1);
  ck_assert_uint_eq(s[1], 1);
  ck_assert_uint_eq(t[1], 0);
  ck_assert_float_eq(w[1], 3.0f);
  ck_assert_uint_eq(d[1], 50);
  ck_assert_uint_eq(s[2], 1);
  ck_assert_uint_eq(t[2], 2);
  ck_assert_uint_eq(d[2], 2);
  /* constant delay 0.8 ms */
  sa_net_proj_get(net, 5, NULL, NULL, NULL, d);
  ck_assert_uint_eq(d[0], 8);

  /* The built network runs. */
  ck_assert_int_eq(sa_net_run(net, 100, NULL), 0);
  sa_net_destroy(net);
  sa_config_destroy(cfg);
  rmcfg(path);
}
END_TEST

START_TEST(test_sonata_run_and_defaults) {
  char *path = tmpcfg(
      "{'run': {'tstop': 20.0, 'dt': 0.5, 'random_seed': 7},\n"
      " 'populations': {'a': {'model': 'lif_exp', 'n': 1e1},\n"
      "                 'b': {'model': 'lif_delta', 'n': 3}},\n"
      " 'projections': [{'source': 'b', 'target': 'a',\n"
      "                  'connector': {'type': 'all_to_all'}}],\n"
      " 'record': {'spikes': 'all'}}");
  char err[512];
  sa_config *cfg = NULL;
  ck_assert_int_eq(sa_config_load(&cfg, path, err, sizeof err), 0);
  ck_assert_double_eq(sa_config_dt(cfg), 0.5);
  ck_assert_double_eq(sa_config_duration(cfg), 20.0);
  ck_assert_uint_eq(sa_config_seed(cfg), 7);
  ck_assert_uint_eq(sa_config_record_count(cfg), 2);
  ck_assert_str_eq(sa_config_record_name(cfg, 1), "b");
  sa_net *net = NULL;
  ck_assert_int_eq(sa_config_build(cfg, sa_config_seed(cfg), &net, err,
                                   sizeof err), 0);
  ck_assert_uint_eq(sa_net_pop_size(net, 0), 10);
  ck_assert_uint_eq(sa_net_proj_size(net, 0), 3 * 10);
  float w[30];
  uint16_t d[30];
  sa_net_proj_get(net, 0, NULL, NULL, w, d);
  ck_assert_float_eq(w[0], 1.0f);   /* default weight */
  ck_assert_uint_eq(d[0], 2);       /* default delay 1 ms at dt 0.5 */
  sa_net_destroy(net);
  sa_config_destroy(cfg);
  rmcfg(path);

  path = tmpcfg("{'duration': 10, 'populations': {'a': {'model': "
                "'poisson', 'n': 1}}}");
  ck_assert_int_eq(sa_config_load(&cfg, path, err, sizeof err), 0);
  ck_assert_double_eq(sa_config_dt(cfg), 0.1);
  ck_assert_uint_eq(sa_config_seed(cfg), 1);
  ck_assert_uint_eq(sa_config_record_count(cfg), 0);
  sa_config_destroy(cfg);
  sa_config_destroy(NULL);   /* a no-op */
  rmcfg(path);
}
END_TEST

/* ---- every kind of mistake ------------------------------------------ */

enum { AT_LOAD = 0, AT_BUILD = 1 };

typedef struct bad_case {
  const char *json;
  int stage;
  int code;
  const char *frag;   /* must appear in the error line */
} bad_case;

#define POPS "'populations': {'a': {'model': 'lif_exp', 'n': 4}, " \
             "'b': {'model': 'lif_exp', 'n': 2}}"
#define NET(extra) "{'duration': 100, " POPS extra "}"
#define PROJ(body) NET(", 'projections': [" body "]")

static const bad_case bad[] = {
  /* 0: unknown top-level key */
  {NET(", 'projection': []"), AT_LOAD, SA_EINVAL,
   ": projection: unknown key"},
  /* 1: unknown population key */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1, "
   "'size': 3}}}", AT_LOAD, SA_EINVAL, ": populations.a.size: unknown key"},
  /* 2-5: sizes that are not integers >= 1 */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 0}}}",
   AT_LOAD, SA_EINVAL, "populations.a.n: expected an integer >= 1, got 0"},
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': -5}}}",
   AT_LOAD, SA_EINVAL, "populations.a.n: expected an integer >= 1, got -5"},
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 2.5}}}",
   AT_LOAD, SA_EINVAL, "populations.a.n: expected an integer >= 1, got 2.5"},
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': '4'}}}",
   AT_LOAD, SA_EINVAL, "populations.a.n: expected an integer >= 1, got \"4\""},
  /* 6: unknown model (the core's registry decides) */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_foo', 'n': 1}}}",
   AT_BUILD, SA_ENOENT, "populations.a.model: unknown model 'lif_foo'"},
  /* 7: unknown parameter */
  {"{'duration': 1, 'populations': {'exc': {'model': 'lif_exp', 'n': 1, "
   "'params': {'tau_mm': 20}}}}", AT_BUILD, SA_ENOENT,
   "populations.exc.params.tau_mm: unknown parameter of model lif_exp"},
  /* 8: p outside [0, 1] */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'fixed_probability', 'p': 1.5}}"), AT_LOAD, SA_EINVAL,
   "projections[0].connector.p: expected a number in [0, 1], got 1.5"},
  /* 9: negative k */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'fixed_indegree', 'k': -1}}"), AT_LOAD, SA_EINVAL,
   "projections[0].connector.k: expected an integer >= 0, got -1"},
  /* 10: missing duration */
  {"{" POPS "}", AT_LOAD, SA_EINVAL, ": duration: missing"},
  /* 11: negative duration */
  {"{'duration': -3, " POPS "}", AT_LOAD, SA_EINVAL,
   ": duration: expected a number > 0, got -3"},
  /* 12: delay below one tick */
  {"{'dt': 0.1, 'duration': 100, " POPS ", 'projections': [{'source': 'a',"
   " 'target': 'b', 'connector': {'type': 'all_to_all'}, 'delay': 0.01}]}",
   AT_LOAD, SA_EINVAL, "projections[0].delay: expected a delay >= dt"},
  /* 13: source names no population */
  {PROJ("{'source': 'x', 'target': 'b', 'connector': "
        "{'type': 'all_to_all'}}"), AT_LOAD, SA_EINVAL,
   "projections[0].source: no population named \"x\""},
  /* 14: record names no population */
  {NET(", 'record': {'spikes': ['a', 'c']}"), AT_LOAD, SA_EINVAL,
   "record.spikes[1]: no population named \"c\""},
  /* 15: duplicate projection name (the second one's default name) */
  {PROJ("{'name': 'a_b', 'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'all_to_all'}}, {'source': 'a', 'target': 'b', "
        "'connector': {'type': 'one_to_one'}}"), AT_LOAD, SA_EINVAL,
   ": projections[1]: duplicate projection name \"a_b\""},
  /* 16: one_to_one with unequal sizes (the core refuses) */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'one_to_one'}}"), AT_BUILD, SA_EINVAL,
   ": projections[0]: one_to_one needs equal sizes"},
  /* 17: list with unequal source/target lengths */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'list', 'source': [0, 1], 'target': [1]}}"), AT_LOAD,
   SA_EINVAL, "projections[0].connector.target: expected 2 entries"},
  /* 18: spike_times length != n */
  {"{'duration': 1, 'populations': {'s': {'model': 'spike_source', 'n': 3,"
   " 'spike_times': [[1.0], [2.0]]}}}", AT_LOAD, SA_EINVAL,
   "populations.s.spike_times: expected one array of times per node (3), "
   "got 2"},
  /* 19: syntax error, reported as FILE:LINE:COL */
  {"{\n  'duration': 100,\n  'populations': {,\n}}\n", AT_LOAD, SA_EINVAL,
   ":3:"},
  /* 20: both spellings of the duration */
  {"{'duration': 100, 'run': {'tstop': 100}, " POPS "}", AT_LOAD, SA_EINVAL,
   ": run.tstop: given twice"},
  /* 21: unknown receptor */
  {PROJ("{'source': 'a', 'target': 'b', 'receptor': 'foo', 'connector': "
        "{'type': 'all_to_all'}}"), AT_LOAD, SA_EINVAL,
   "projections[0].receptor: expected \"excitatory\", \"inhibitory\" or "
   "\"auto\", got \"foo\""},
  /* 22: uniform with one number */
  {PROJ("{'source': 'a', 'target': 'b', 'weight': {'uniform': [1]}, "
        "'connector': {'type': 'all_to_all'}}"), AT_LOAD, SA_EINVAL,
   "projections[0].weight.uniform: expected [low, high] (2 numbers), "
   "got 1 number(s)"},
  /* 23: a source model as target (the core refuses) */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1}, "
   "'p': {'model': 'poisson', 'n': 1}}, 'projections': [{'source': 'a', "
   "'target': 'p', 'connector': {'type': 'all_to_all'}}]}", AT_BUILD,
   SA_EINVAL, ": projections[0]: target 'p'"},
  /* 24: parameters inconsistent (the core's check in prepare) */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1, "
   "'params': {'V_reset': -50, 'V_th': -55}}}}", AT_BUILD, SA_EINVAL,
   ": populations.a.params: population 'a' (lif_exp): Reset potential"},
  /* 25: a key that this connector type does not take */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'all_to_all', 'p': 0.5}}"), AT_LOAD, SA_EINVAL,
   "projections[0].connector.p: unknown key for connector type all_to_all"},
  /* 26: duplicate JSON key */
  {"{'duration': 1, 'duration': 2, " POPS "}", AT_LOAD, SA_EINVAL,
   "syntax error: duplicate object key"},
  /* 27: top level not an object */
  {"[1, 2]", AT_LOAD, SA_EINVAL, "expected a JSON object at the top level"},
  /* 28: list index out of range */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': "
        "{'type': 'list', 'source': [0, 4], 'target': [0, 1]}}"), AT_LOAD,
   SA_EINVAL, "projections[0].connector.source[1]: expected an integer <= 3"},
  /* 29: spike_times on a neuron */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1, "
   "'spike_times': [[1]]}}}", AT_LOAD, SA_EINVAL,
   "populations.a.spike_times: only a spike_source"},
  /* 30: spike times not ascending */
  {"{'duration': 1, 'populations': {'s': {'model': 'spike_source', 'n': 1,"
   " 'spike_times': [[2.0, 1.0]]}}}", AT_LOAD, SA_EINVAL,
   "populations.s.spike_times[0][1]: spike times must be ascending"},
  /* 31: record with a bad shape */
  {NET(", 'record': {'spikes': 'some'}"), AT_LOAD, SA_EINVAL,
   "record.spikes: expected \"all\" or an array"},
  /* 32: negative seed */
  {"{'duration': 1, 'seed': -1, " POPS "}", AT_LOAD, SA_EINVAL,
   ": seed: expected an integer >= 0"},
  /* 33: uniform with low > high */
  {PROJ("{'source': 'a', 'target': 'b', 'delay': {'uniform': [2, 1]}, "
        "'connector': {'type': 'all_to_all'}}"), AT_LOAD, SA_EINVAL,
   "projections[0].delay.uniform: expected low <= high"},
  /* 34: missing connector */
  {PROJ("{'source': 'a', 'target': 'b'}"), AT_LOAD, SA_EINVAL,
   "projections[0].connector: missing"},
  /* 35: unknown connector type */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': {'type': 'random'}}"),
   AT_LOAD, SA_EINVAL, "projections[0].connector.type: expected one of"},
  /* 36: no populations */
  {"{'duration': 1, 'populations': {}}", AT_LOAD, SA_EINVAL,
   ": populations: expected at least one population"},
  /* 37: unknown initial value (the core decides) */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1, "
   "'init': {'U_m': 1}}}}", AT_BUILD, SA_ENOENT, "populations.a.init.U_m: "},
  /* 38: a SONATA run key we do not take */
  {"{'run': {'tstop': 10, 'tstart': 0}, " POPS "}", AT_LOAD, SA_EINVAL,
   ": run.tstart: unknown key"},
  /* 39: normal with negative sd */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1, "
   "'init': {'V_m': {'normal': [-65, -1]}}}}}", AT_LOAD, SA_EINVAL,
   "populations.a.init.V_m.normal: expected sd >= 0"},
  /* 40: per-synapse and projection-wide weights together */
  {PROJ("{'source': 'a', 'target': 'b', 'weight': 2, 'connector': "
        "{'type': 'list', 'source': [0], 'target': [0], 'weight': [1]}}"),
   AT_LOAD, SA_EINVAL, "projections[0].weight: not allowed together"},
  /* 41: k too large without multapses (the core refuses) */
  {PROJ("{'source': 'b', 'target': 'a', 'connector': {'type': "
        "'fixed_indegree', 'k': 3, 'allow_multapses': false}}"), AT_BUILD,
   SA_EINVAL, ": projections[0]: k = 3"},
  /* 42: negative weight on an excitatory receptor (the core refuses) */
  {PROJ("{'source': 'a', 'target': 'b', 'weight': -1, 'receptor': "
        "'excitatory', 'connector': {'type': 'all_to_all'}}"), AT_BUILD,
   SA_EINVAL, ": projections[0]: weight -1 has the wrong sign"},
  /* 43: a flag that is not a boolean */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': {'type': "
        "'all_to_all', 'allow_autapses': 'yes'}}"), AT_LOAD, SA_EINVAL,
   "projections[0].connector.allow_autapses: expected true or false"},
  /* 44: a list delay below one tick */
  {PROJ("{'source': 'a', 'target': 'b', 'connector': {'type': 'list', "
        "'source': [0, 1], 'target': [0, 1], 'delay': [1.0, 0.05]}}"),
   AT_LOAD, SA_EINVAL, "projections[0].connector.delay[1]: expected a delay"},
  /* 45: dt of zero */
  {"{'dt': 0, 'duration': 1, " POPS "}", AT_LOAD, SA_EINVAL,
   ": dt: expected a number > 0, got 0"},
  /* 46: model missing */
  {"{'duration': 1, 'populations': {'a': {'n': 1}}}", AT_LOAD, SA_EINVAL,
   "populations.a.model: missing"},
  /* 47: n too large */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', "
   "'n': 3000000000}}}", AT_LOAD, SA_EINVAL,
   "populations.a.n: expected an integer <= 2147483648"},
  /* 48: a parameter that is not a number */
  {"{'duration': 1, 'populations': {'a': {'model': 'lif_exp', 'n': 1, "
   "'params': {'tau_m': '20'}}}}", AT_LOAD, SA_EINVAL,
   "populations.a.params.tau_m: expected a number, got \"20\""},
  /* 49: an empty file */
  {"", AT_LOAD, SA_EINVAL, ":1:0: syntax error"},
};

START_TEST(test_bad) {
  const bad_case *b = &bad[_i];
  char *path = tmpcfg(b->json);
  char err[512] = "";
  sa_config *cfg = NULL;
  int rc = sa_config_load(&cfg, path, err, sizeof err);
  if (b->stage == AT_LOAD) {
    ck_assert_msg(rc == b->code, "case %d: load gave %d (%s), want %d", _i,
                  rc, err, b->code);
    ck_assert_ptr_null(cfg);
  } else {
    ck_assert_msg(rc == 0, "case %d: load failed: %s", _i, err);
    sa_net *net = (sa_net *)&rc;   /* must be reset to NULL */
    rc = sa_config_build(cfg, 1, &net, err, sizeof err);
    ck_assert_msg(rc == b->code, "case %d: build gave %d (%s), want %d", _i,
                  rc, err, b->code);
    ck_assert_ptr_null(net);
    sa_config_destroy(cfg);
  }
  ck_assert_msg(strstr(err, b->frag), "case %d: \"%s\" lacks \"%s\"", _i,
                err, b->frag);
  /* One line that starts with the file's name. */
  ck_assert_msg(!strchr(err, '\n'), "case %d: not one line: %s", _i, err);
  ck_assert_msg(!strncmp(err, path, strlen(path)), "case %d: %s", _i, err);
  rmcfg(path);
}
END_TEST

START_TEST(test_missing_file) {
  char err[512];
  sa_config *cfg = (sa_config *)err;
  ck_assert_int_eq(sa_config_load(&cfg, "/nonexistent/net.json", err,
                                  sizeof err), SA_ENOENT);
  ck_assert_ptr_null(cfg);
  ck_assert_str_eq(err, "/nonexistent/net.json: cannot open: "
                        "No such file or directory");
}
END_TEST

START_TEST(test_syntax_line_col) {
  char *path = tmpcfg("{'duration': 1,\n 'populations': {\n"
                      "  'a': {'model': 'lif_exp' 'n': 1}}}\n");
  char err[512], want[600];
  sa_config *cfg = NULL;
  ck_assert_int_eq(sa_config_load(&cfg, path, err, sizeof err), SA_EINVAL);
  /* The stray "n" occupies columns 28-30 of line 3; jansson reports the
   * column where it stopped reading the offending token. */
  snprintf(want, sizeof want, "%s:3:30: syntax error: ", path);
  ck_assert_msg(!strncmp(err, want, strlen(want)), "%s", err);
  rmcfg(path);
}
END_TEST

START_TEST(test_small_err_buffer) {
  /* A short buffer is cut, never overrun, and stays terminated. */
  char *path = tmpcfg("{'duration': -1, " POPS "}");
  char err[12];
  memset(err, 'x', sizeof err);
  sa_config *cfg = NULL;
  ck_assert_int_eq(sa_config_load(&cfg, path, err, 8), SA_EINVAL);
  ck_assert_uint_eq(strlen(err), 7);
  ck_assert_int_eq(err[8], 'x');
  ck_assert_int_eq(sa_config_load(&cfg, path, NULL, 0), SA_EINVAL);
  rmcfg(path);
}
END_TEST

START_TEST(test_directory_is_not_a_file) {
  char err[512];
  sa_config *cfg = NULL;
  int rc = sa_config_load(&cfg, "/", err, sizeof err);
  ck_assert_int_lt(rc, 0);
  ck_assert_ptr_null(cfg);
  ck_assert_msg(!strncmp(err, "/: cannot ", 10), "%s", err);
}
END_TEST

static Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("good");
  tcase_add_test(tc, test_good_loads_and_builds);
  tcase_add_test(tc, test_sonata_run_and_defaults);
  suite_add_tcase(s, tc);
  tc = tcase_create("errors");
  tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_test(tc, test_missing_file);
  tcase_add_test(tc, test_syntax_line_col);
  tcase_add_test(tc, test_small_err_buffer);
  tcase_add_test(tc, test_directory_is_not_a_file);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(config_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
