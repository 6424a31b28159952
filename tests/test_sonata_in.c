/* test_sonata_in.c: Check suite for io/sonata_in.c. A small SONATA circuit
 * (nodes, edges, type CSVs, dynamics params, a spike input, circuit and
 * simulation configs) is written with the HDF5 C API and must simulate
 * exactly like the equivalent synalign network file: the same spikes, tick
 * for tick. Unsupported features fail with SA_ENOTSUP and name the feature.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "synalign.h"

static char tmpdir[64];

static void setup(void)
{
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sa_test_sonata.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
  if (getenv("SA_KEEP_TMP") != NULL) {   /* to look at the circuit */
    fprintf(stderr, "kept %s\n", tmpdir);
    return;
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tpath(const char *name)
{
  static char buf[8][256];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* ---- the circuit -------------------------------------------------------- */

enum { N_IN = 20, N_EXC = 30, N_INH = 10, N_IE = 120 };

/* Variations that each exercise one refusal. */
enum {
  V_OK = 0,
  V_TEMPLATE,        /* nest:aeif_cond_alpha */
  V_BIOPHYSICAL,
  V_REPORTS,
  V_CLAMP,           /* a current_clamp input */
  V_WEIGHT_FN,
  V_MIXED,           /* two node types with different params in one pop */
  V_BAD_PARAM,       /* a dynamics param the model lacks */
  V_NO_NODES_FILE
};

static hid_t group(hid_t loc, const char *name)
{
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(g, 0);
  return g;
}

static hid_t dset(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                  size_t n, const void *buf)
{
  hsize_t dims = n;
  hid_t sp = H5Screate_simple(1, &dims, NULL);
  hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  ck_assert_int_ge(d, 0);
  ck_assert_int_ge(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
  H5Sclose(sp);
  return d;
}

static void put_u64(hid_t loc, const char *name, const uint64_t *v, size_t n)
{
  H5Dclose(dset(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, n, v));
}

static void put_f64(hid_t loc, const char *name, const double *v, size_t n)
{
  H5Dclose(dset(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, v));
}

static void attr_str(hid_t loc, const char *name, const char *v)
{
  hid_t t = H5Tcopy(H5T_C_S1);   /* as h5py writes str: vlen UTF-8 */
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(a, 0);
  H5Awrite(a, t, &v);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

/* A node population: n nodes of node types types[i], one group "0". */
static void node_pop(hid_t nodes, const char *name, size_t n,
                     const uint64_t *types, double I_e_per_node)
{
  hid_t g = group(nodes, name);
  uint64_t *zero = calloc(n, sizeof *zero), *idx = malloc(n * sizeof *idx);
  uint64_t *tid = malloc(n * sizeof *tid);
  for (size_t i = 0; i < n; i++) {
    idx[i] = i;
    tid[i] = types[i];
  }
  H5Dclose(dset(g, "node_type_id", H5T_STD_U32LE, H5T_NATIVE_UINT64, n, tid));
  H5Dclose(dset(g, "node_group_id", H5T_STD_U16LE, H5T_NATIVE_UINT64, n,
                zero));
  put_u64(g, "node_group_index", idx, n);
  put_u64(g, "node_id", idx, n);
  hid_t g0 = group(g, "0");
  double *xyz = malloc(n * sizeof *xyz);
  for (size_t i = 0; i < n; i++)
    xyz[i] = (double)i;
  put_f64(g0, "x", xyz, n);   /* positions: read past, they change nothing */
  if (I_e_per_node != 0) {
    hid_t dp = group(g0, "dynamics_params");
    for (size_t i = 0; i < n; i++)
      xyz[i] = I_e_per_node;
    put_f64(dp, "I_e", xyz, n);
    H5Gclose(dp);
  }
  H5Gclose(g0);
  H5Gclose(g);
  free(xyz);
  free(zero);
  free(idx);
  free(tid);
}

/* Deterministic "random" numbers for the test circuit. */
static uint64_t lcg = 88172645463325252ull;
static double uni(void)
{
  lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(lcg >> 11) / 9007199254740992.0;
}

typedef struct edges {
  size_t n;
  uint64_t s[N_EXC * N_INH + N_IE + 64], t[N_EXC * N_INH + N_IE + 64];
  double w[N_EXC * N_INH + N_IE + 64], d[N_EXC * N_INH + N_IE + 64];
  double nsyns[N_EXC * N_INH + N_IE + 64];
} edges;

static edges e_in, e_ei, e_ie;

/* One edge population; per-edge columns in group 0 only where given. */
static void edge_pop(hid_t root, const char *name, const char *src,
                     const char *tgt, const edges *e, uint64_t type,
                     int per_w, int per_d, int per_nsyns)
{
  hid_t g = group(root, name);
  hid_t d = dset(g, "source_node_id", H5T_STD_U64LE, H5T_NATIVE_UINT64, e->n,
                 e->s);
  attr_str(d, "node_population", src);
  H5Dclose(d);
  d = dset(g, "target_node_id", H5T_STD_U64LE, H5T_NATIVE_UINT64, e->n, e->t);
  attr_str(d, "node_population", tgt);
  H5Dclose(d);
  uint64_t *v = malloc(e->n * sizeof *v);
  for (size_t i = 0; i < e->n; i++)
    v[i] = type;
  H5Dclose(dset(g, "edge_type_id", H5T_STD_U32LE, H5T_NATIVE_UINT64, e->n, v));
  for (size_t i = 0; i < e->n; i++)
    v[i] = 0;
  H5Dclose(dset(g, "edge_group_id", H5T_STD_U16LE, H5T_NATIVE_UINT64, e->n,
                v));
  for (size_t i = 0; i < e->n; i++)
    v[i] = i;
  put_u64(g, "edge_group_index", v, e->n);
  hid_t g0 = group(g, "0");
  if (per_w)
    put_f64(g0, "syn_weight", e->w, e->n);
  if (per_d)
    put_f64(g0, "delay", e->d, e->n);
  if (per_nsyns) {
    for (size_t i = 0; i < e->n; i++)
      v[i] = (uint64_t)e->nsyns[i];
    H5Dclose(dset(g0, "nsyns", H5T_STD_U16LE, H5T_NATIVE_UINT64, e->n, v));
  }
  H5Gclose(g0);
  free(v);
  H5Gclose(g);
}

static void make_edges(void)
{
  lcg = 88172645463325252ull;
  /* input -> exc: per-edge weights, the type's delay 1.5 ms. */
  e_in.n = N_IE;
  for (size_t i = 0; i < e_in.n; i++) {
    e_in.s[i] = (uint64_t)(uni() * N_IN);
    e_in.t[i] = (uint64_t)(uni() * N_EXC);
    e_in.w[i] = 300 + 400 * uni();
    e_in.d[i] = 1.5;
    e_in.nsyns[i] = 1;
  }
  /* exc -> inh: the type's weight 1.5 mV times per-edge nsyns (1 to 3),
   * per-edge delays. */
  e_ei.n = 0;
  for (uint64_t s = 0; s < N_EXC; s++)
    for (uint64_t t = 0; t < N_INH; t++) {
      if (uni() > 0.3)
        continue;
      size_t k = e_ei.n++;
      e_ei.s[k] = s;
      e_ei.t[k] = t;
      e_ei.nsyns[k] = 1 + (int)(uni() * 3);
      e_ei.w[k] = 1.5;
      e_ei.d[k] = round((1.0 + 2.0 * uni()) * 10) / 10;
    }
  /* inh -> exc: all to all, the type's weight -60 pA and delay 0.8 ms. */
  e_ie.n = 0;
  for (uint64_t s = 0; s < N_INH; s++)
    for (uint64_t t = 0; t < N_EXC; t++) {
      size_t k = e_ie.n++;
      e_ie.s[k] = s;
      e_ie.t[k] = t;
      e_ie.w[k] = -60;
      e_ie.d[k] = 0.8;
      e_ie.nsyns[k] = 1;
    }
}

/* Input spikes: node k fires every 7 ms from 1 + 0.3 k ms. */
static int input_spikes(double *t, uint64_t *id, int cap)
{
  int n = 0;
  for (double time = 1.0; time < 200 && n < cap; time += 0.1) {
    for (int k = 0; k < N_IN && n < cap; k++) {
      double first = 1.0 + 0.3 * k;
      double phase = fmod(time - first + 1e-9, 7.0);
      if (time + 1e-9 >= first && phase < 0.05) {
        t[n] = round(time * 10) / 10;
        id[n] = (uint64_t)k;
        n++;
      }
    }
  }
  return n;
}

static void write_circuit(int variant)
{
  make_edges();
  char net[300], comp[300], neu[300], syn[300];
  snprintf(net, sizeof net, "%s/network", tmpdir);
  snprintf(comp, sizeof comp, "%s/components", tmpdir);
  snprintf(neu, sizeof neu, "%s/components/point_neuron_models", tmpdir);
  snprintf(syn, sizeof syn, "%s/components/synaptic_models", tmpdir);
  ck_assert_int_eq(mkdir(net, 0755), 0);
  ck_assert_int_eq(mkdir(comp, 0755), 0);
  ck_assert_int_eq(mkdir(neu, 0755), 0);
  ck_assert_int_eq(mkdir(syn, 0755), 0);

  /* Nodes: input (virtual, type 1), exc (types 100 and 101, the same model
   * and parameter file), inh (type 200, I_e per node in the group). */
  hid_t f = H5Fcreate(tpath("network/nodes.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                      H5P_DEFAULT);
  hid_t nodes = group(f, "nodes");
  uint64_t types[N_EXC];
  for (int i = 0; i < N_IN; i++)
    types[i] = 1;
  node_pop(nodes, "input", N_IN, types, 0);
  for (int i = 0; i < N_EXC; i++)
    types[i] = i < 20 ? 100 : 101;
  node_pop(nodes, "exc", N_EXC, types, 0);
  for (int i = 0; i < N_INH; i++)
    types[i] = 200;
  node_pop(nodes, "inh", N_INH, types, 250.0);
  H5Gclose(nodes);
  H5Fclose(f);
  const char *exc_tmpl = variant == V_TEMPLATE ? "nest:aeif_cond_alpha"
                                               : "nest:iaf_psc_exp";
  const char *exc_type = variant == V_BIOPHYSICAL ? "biophysical"
                                                  : "point_neuron";
  char csv[1024];
  snprintf(csv, sizeof csv,
           "node_type_id model_type model_template dynamics_params pop_name\n"
           "1 virtual NULL NULL input\n"
           "100 %s %s exc.json \"exc a\"\n"
           "101 %s %s %s \"exc b\"\n"
           "200 point_neuron nest:iaf_psc_delta inh.json inh\n",
           exc_type, exc_tmpl, exc_type, exc_tmpl,
           variant == V_MIXED ? "exc2.json" : "exc.json");
  write_text(tpath("network/node_types.csv"), csv);
  write_text(tpath("components/point_neuron_models/exc.json"),
             variant == V_BAD_PARAM
                 ? "{\"tau_m\": 15.0, \"tau_foo\": 1.0}\n"
                 : "{\"I_e\": 150.0, \"tau_m\": 15.0, \"V_th\": -55.0,\n"
                   " \"V_reset\": -68.0, \"t_ref\": 2.0, \"tau_syn_ex\": 2.5,\n"
                   " \"tau_syn_in\": 4.0, \"C_m\": 200.0, \"V_m\": -62.0}\n");
  write_text(tpath("components/point_neuron_models/exc2.json"),
             "{\"tau_m\": 25.0}\n");
  write_text(tpath("components/point_neuron_models/inh.json"),
             "{\"tau_m\": 8.0, \"V_th\": -56.0, \"t_ref\": 1.0}\n");
  write_text(tpath("components/synaptic_models/static.json"),
             "{\"level_of_detail\": \"static_synapse\"}\n");

  /* Edges. */
  f = H5Fcreate(tpath("network/edges.h5"), H5F_ACC_TRUNC, H5P_DEFAULT,
                H5P_DEFAULT);
  hid_t edges = group(f, "edges");
  edge_pop(edges, "input_to_exc", "input", "exc", &e_in, 10, 1, 0, 0);
  edge_pop(edges, "exc_to_inh", "exc", "inh", &e_ei, 20, 0, 1, 1);
  edge_pop(edges, "inh_to_exc", "inh", "exc", &e_ie, 30, 0, 0, 0);
  H5Gclose(edges);
  H5Fclose(f);
  snprintf(csv, sizeof csv,
           "edge_type_id target_query source_query syn_weight delay "
           "dynamics_params model_template weight_function\n"
           "10 * * NULL 1.5 static.json static_synapse NULL\n"
           "20 * * 1.5 NULL NULL static_synapse %s\n"
           "30 * * -60.0 0.8 NULL NULL NULL\n",
           variant == V_WEIGHT_FN ? "gaussianLL" : "NULL");
  write_text(tpath("network/edge_types.csv"), csv);

  /* Input spikes, SONATA layout. */
  double t[4096];
  uint64_t id[4096];
  int n = input_spikes(t, id, 4096);
  ck_assert_int_gt(n, 100);
  f = H5Fcreate(tpath("inputs.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t sp = group(f, "spikes");
  hid_t g = group(sp, "input");
  put_f64(g, "timestamps", t, (size_t)n);
  put_u64(g, "node_ids", id, (size_t)n);
  H5Gclose(g);
  H5Gclose(sp);
  H5Fclose(f);

  /* Circuit config with a manifest, and a simulation config naming it. */
  write_text(tpath("circuit_config.json"),
             variant == V_NO_NODES_FILE
             ? "{\"manifest\": {\"$BASE_DIR\": \"${configdir}\",\n"
               "  \"$NETWORK_DIR\": \"$BASE_DIR/network\"},\n"
               " \"networks\": {\"nodes\": [{\"nodes_file\": "
               "\"$NETWORK_DIR/missing.h5\", \"node_types_file\": "
               "\"$NETWORK_DIR/node_types.csv\"}]}}\n"
             : "{\"manifest\": {\"$BASE_DIR\": \"${configdir}\",\n"
               "  \"$NETWORK_DIR\": \"$BASE_DIR/network\",\n"
               "  \"$COMPONENTS_DIR\": \"$BASE_DIR/components\"},\n"
               " \"components\": {\n"
               "  \"point_neuron_models_dir\": "
               "\"$COMPONENTS_DIR/point_neuron_models\",\n"
               "  \"synaptic_models_dir\": "
               "\"$COMPONENTS_DIR/synaptic_models\"},\n"
               " \"networks\": {\n"
               "  \"nodes\": [{\"nodes_file\": \"$NETWORK_DIR/nodes.h5\",\n"
               "             \"node_types_file\": "
               "\"$NETWORK_DIR/node_types.csv\"}],\n"
               "  \"edges\": [{\"edges_file\": \"$NETWORK_DIR/edges.h5\",\n"
               "             \"edge_types_file\": "
               "\"$NETWORK_DIR/edge_types.csv\"}]}}\n");
  char sim[1024];
  snprintf(sim, sizeof sim,
           "{\"manifest\": {\"$BASE_DIR\": \".\"},\n"
           " \"target_simulator\": \"NEST\",\n"
           " \"run\": {\"tstop\": 200.0, \"dt\": 0.1, \"random_seed\": 7},\n"
           " \"network\": \"$BASE_DIR/circuit_config.json\",\n"
           " \"inputs\": {\"stim\": {\"input_type\": \"%s\", "
           "\"module\": \"sonata\", \"input_file\": \"$BASE_DIR/inputs.h5\", "
           "\"node_set\": \"input\"}},\n"
           " \"output\": {\"output_dir\": \"output\", "
           "\"spikes_file\": \"spikes.h5\"}%s}\n",
           variant == V_CLAMP ? "current_clamp" : "spikes",
           variant == V_REPORTS
               ? ",\n \"reports\": {\"membrane_potential\": {\"cells\": "
                 "\"exc\", \"variable_name\": \"V_m\"}}"
               : "");
  write_text(tpath("simulation_config.json"), sim);
}

/* The same network as a synalign network file. */
static void write_json_net(void)
{
  size_t cap = 1 << 20, o = 0;
  char *j = malloc(cap);
#define P(...) o += (size_t)snprintf(j + o, cap - o, __VA_ARGS__)
  P("{\"dt\": 0.1, \"duration\": 200.0, \"seed\": 7,\n \"populations\": {\n");
  P("  \"exc\": {\"model\": \"lif_exp\", \"n\": %d, \"params\": {\"I_e\": "
    "150.0, \"tau_m\": 15.0, \"V_th\": -55.0, \"V_reset\": -68.0, \"t_ref\": "
    "2.0, \"tau_syn_ex\": 2.5, \"tau_syn_in\": 4.0, \"C_m\": 200.0}, "
    "\"init\": {\"V_m\": -62.0}},\n", N_EXC);
  P("  \"inh\": {\"model\": \"lif_delta\", \"n\": %d, \"params\": {\"I_e\": "
    "250.0, \"tau_m\": 8.0, \"V_th\": -56.0, \"t_ref\": 1.0}},\n", N_INH);
  P("  \"input\": {\"model\": \"spike_source\", \"n\": %d, \"spike_times\": [",
    N_IN);
  double t[4096];
  uint64_t id[4096];
  int n = input_spikes(t, id, 4096);
  for (int k = 0; k < N_IN; k++) {
    P("%s[", k ? "," : "");
    int first = 1;
    for (int i = 0; i < n; i++)
      if (id[i] == (uint64_t)k) {
        P("%s%.1f", first ? "" : ",", t[i]);
        first = 0;
      }
    P("]");
  }
  P("]}},\n");
  P(" \"projections\": [\n");
  /* Populations and projections in the order the SONATA reader yields
   * them (by name), so both networks are built alike. */
  const edges *es[3] = {&e_ei, &e_ie, &e_in};
  const char *names[3] = {"exc_to_inh", "inh_to_exc", "input_to_exc"};
  const char *src[3] = {"exc", "inh", "input"}, *tgt[3] = {"inh", "exc", "exc"};
  for (int p = 0; p < 3; p++) {
    const edges *e = es[p];
    P("  {\"name\": \"%s\", \"source\": \"%s\", \"target\": \"%s\", "
      "\"connector\": {\"type\": \"list\", \"source\": [", names[p], src[p],
      tgt[p]);
    for (size_t i = 0; i < e->n; i++)
      P("%s%llu", i ? "," : "", (unsigned long long)e->s[i]);
    P("], \"target\": [");
    for (size_t i = 0; i < e->n; i++)
      P("%s%llu", i ? "," : "", (unsigned long long)e->t[i]);
    P("], \"weight\": [");
    for (size_t i = 0; i < e->n; i++)
      P("%s%.17g", i ? "," : "", e->w[i] * e->nsyns[i]);
    P("], \"delay\": [");
    for (size_t i = 0; i < e->n; i++)
      P("%s%.17g", i ? "," : "", e->d[i]);
    P("]}}%s\n", p < 2 ? "," : "");
  }
  P(" ],\n \"record\": {\"spikes\": [\"exc\", \"inh\"]}}\n");
#undef P
  ck_assert_uint_lt(o, cap);
  write_text(tpath("net.json"), j);
  free(j);
}

/* ---- running ------------------------------------------------------------ */

typedef struct rec {
  size_t n, cap;
  int *pop;
  sa_tick *t;
  uint32_t *id;
  uint64_t per_pop[8];
} rec;

static void on_spikes(void *ud, int pop, const sa_tick *stamp,
                      const uint32_t *id, size_t n)
{
  rec *r = ud;
  for (size_t i = 0; i < n; i++) {
    if (r->n == r->cap) {
      r->cap = r->cap ? r->cap * 2 : 1024;
      r->pop = realloc(r->pop, r->cap * sizeof *r->pop);
      r->t = realloc(r->t, r->cap * sizeof *r->t);
      r->id = realloc(r->id, r->cap * sizeof *r->id);
    }
    r->pop[r->n] = pop;
    r->t[r->n] = stamp[i];
    r->id[r->n] = id[i];
    r->n++;
    if (pop < 8)
      r->per_pop[pop]++;
  }
}

static void run(sa_net *net, sa_tick steps, rec *r)
{
  memset(r, 0, sizeof *r);
  ck_assert_int_eq(sa_net_subscribe(net, on_spikes, r), 0);
  ck_assert_int_eq(sa_net_run(net, steps, NULL), 0);
}

static void rec_free(rec *r)
{
  free(r->pop);
  free(r->t);
  free(r->id);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_detect)
{
  write_circuit(V_OK);
  write_json_net();
  ck_assert_int_eq(sa_sonata_detect(tpath("simulation_config.json")), 1);
  ck_assert_int_eq(sa_sonata_detect(tpath("circuit_config.json")), 1);
  ck_assert_int_eq(sa_sonata_detect(tpath("net.json")), 0);
  ck_assert_int_eq(sa_sonata_detect(tpath("missing.json")), 0);
  write_text(tpath("run_only.json"), "{\"run\": {\"tstop\": 10}}");
  ck_assert_int_eq(sa_sonata_detect(tpath("run_only.json")), 1);
  write_text(tpath("ours_with_run.json"),
             "{\"run\": {\"tstop\": 10}, \"populations\": {}}");
  ck_assert_int_eq(sa_sonata_detect(tpath("ours_with_run.json")), 0);
}
END_TEST

START_TEST(test_same_spikes)
{
  write_circuit(V_OK);
  write_json_net();
  char err[1024] = "";
  sa_sonata *s = NULL;
  int rc = sa_sonata_load(&s, tpath("simulation_config.json"), err,
                          sizeof err);
  ck_assert_msg(rc == 0, "load: %s", err);
  ck_assert_double_eq(sa_sonata_dt(s), 0.1);
  ck_assert_double_eq(sa_sonata_duration(s), 200.0);
  ck_assert_uint_eq(sa_sonata_seed(s), 7);
  ck_assert_uint_eq(sa_sonata_record_count(s), 2);
  ck_assert_str_eq(sa_sonata_record_name(s, 0), "exc");
  ck_assert_str_eq(sa_sonata_record_name(s, 1), "inh");
  ck_assert_ptr_nonnull(strstr(sa_sonata_text(s), "circuit_config.json"));
  sa_net *a = NULL;
  rc = sa_sonata_build(s, sa_sonata_seed(s), &a, err, sizeof err);
  ck_assert_msg(rc == 0, "build: %s", err);

  sa_config *cfg = NULL;
  rc = sa_config_load(&cfg, tpath("net.json"), err, sizeof err);
  ck_assert_msg(rc == 0, "json: %s", err);
  sa_net *b = NULL;
  rc = sa_config_build(cfg, sa_config_seed(cfg), &b, err, sizeof err);
  ck_assert_msg(rc == 0, "json build: %s", err);

  /* Same structure: populations by name and size, projections by size. */
  ck_assert_int_eq(sa_net_pop_count(a), 3);
  ck_assert_int_eq(sa_net_pop_count(b), 3);
  const char *pops[3] = {"exc", "inh", "input"};
  for (int i = 0; i < 3; i++) {
    int pa = sa_net_pop_find(a, pops[i]), pb = sa_net_pop_find(b, pops[i]);
    ck_assert_int_ge(pa, 0);
    ck_assert_int_ge(pb, 0);
    ck_assert_uint_eq(sa_net_pop_size(a, pa), sa_net_pop_size(b, pb));
    ck_assert_str_eq(sa_net_pop_model(a, pa), sa_net_pop_model(b, pb));
  }
  double v;
  int pe = sa_net_pop_find(a, "exc"), pi = sa_net_pop_find(a, "inh");
  ck_assert_int_eq(sa_pop_get_param(a, pe, "tau_syn_in", &v), 0);
  ck_assert_double_eq(v, 4.0);
  ck_assert_int_eq(sa_pop_get_param(a, pi, "I_e", &v), 0);
  ck_assert_double_eq(v, 250.0);   /* from the node group, per node */
  ck_assert_int_eq(sa_net_proj_count(a), 3);
  for (int j = 0; j < 3; j++) {
    const char *name = sa_net_proj_name(b, j);
    int ja = sa_net_proj_find(a, name);
    ck_assert_msg(ja >= 0, "no projection %s", name);
    ck_assert_uint_eq(sa_net_proj_size(a, ja), sa_net_proj_size(b, j));
  }

  rec ra, rb;
  run(a, 2000, &ra);
  run(b, 2000, &rb);
  /* By name: population indices may differ between the two builds. */
  int map[3];
  for (int i = 0; i < 3; i++)
    map[sa_net_pop_find(a, pops[i])] = sa_net_pop_find(b, pops[i]);
  ck_assert_uint_eq(ra.n, rb.n);
  ck_assert_uint_gt(ra.per_pop[pe], 20);   /* both populations spike */
  ck_assert_uint_gt(ra.per_pop[pi], 5);
  /* Within a slice the order is by population index; compare as sets of
   * (tick, population, node) by sorting both. */
  for (size_t i = 0; i < ra.n; i++)
    ra.pop[i] = map[ra.pop[i]];
  for (int side = 0; side < 2; side++) {
    rec *r = side ? &rb : &ra;
    for (size_t i = 1; i < r->n; i++)   /* insertion sort: nearly sorted */
      for (size_t k = i; k > 0; k--) {
        int swap = r->t[k - 1] > r->t[k] ||
                   (r->t[k - 1] == r->t[k] &&
                    (r->pop[k - 1] > r->pop[k] ||
                     (r->pop[k - 1] == r->pop[k] && r->id[k - 1] > r->id[k])));
        if (!swap)
          break;
        sa_tick t = r->t[k]; r->t[k] = r->t[k - 1]; r->t[k - 1] = t;
        int p = r->pop[k]; r->pop[k] = r->pop[k - 1]; r->pop[k - 1] = p;
        uint32_t d = r->id[k]; r->id[k] = r->id[k - 1]; r->id[k - 1] = d;
      }
  }
  for (size_t i = 0; i < ra.n; i++) {
    ck_assert_msg(ra.t[i] == rb.t[i] && ra.pop[i] == rb.pop[i] &&
                  ra.id[i] == rb.id[i],
                  "spike %zu differs: SONATA (%lld, %d, %u), JSON (%lld, %d, "
                  "%u)", i, (long long)ra.t[i], ra.pop[i], ra.id[i],
                  (long long)rb.t[i], rb.pop[i], rb.id[i]);
  }
  rec_free(&ra);
  rec_free(&rb);
  sa_net_destroy(a);
  sa_net_destroy(b);
  sa_config_destroy(cfg);
  sa_sonata_destroy(s);
}
END_TEST

/* Load (and build) a variant; expect rc and a message naming `what`. */
static void refused(int variant, int want_rc, const char *what)
{
  write_circuit(variant);
  char err[1024] = "";
  sa_sonata *s = NULL;
  int rc = sa_sonata_load(&s, tpath("simulation_config.json"), err,
                          sizeof err);
  if (rc == 0) {
    sa_net *net = NULL;
    rc = sa_sonata_build(s, 1, &net, err, sizeof err);
    sa_net_destroy(net);
    sa_sonata_destroy(s);
  } else {
    ck_assert_ptr_null(s);
  }
  ck_assert_msg(rc == want_rc, "variant %d: rc %d (%s), want %d", variant,
                rc, err, want_rc);
  ck_assert_msg(strstr(err, what) != NULL, "variant %d: '%s' does not name "
                "'%s'", variant, err, what);
}

START_TEST(test_unsupported_template)
{
  refused(V_TEMPLATE, SA_ENOTSUP, "nest:aeif_cond_alpha");
}
END_TEST

START_TEST(test_biophysical)
{
  refused(V_BIOPHYSICAL, SA_ENOTSUP, "biophysical");
}
END_TEST

START_TEST(test_reports)
{
  refused(V_REPORTS, SA_ENOTSUP, "reports");
}
END_TEST

START_TEST(test_current_clamp)
{
  refused(V_CLAMP, SA_ENOTSUP, "current_clamp");
}
END_TEST

START_TEST(test_weight_function)
{
  refused(V_WEIGHT_FN, SA_ENOTSUP, "weight_function");
}
END_TEST

START_TEST(test_mixed_types)
{
  refused(V_MIXED, SA_ENOTSUP, "mixes node types");
}
END_TEST

START_TEST(test_bad_param)
{
  refused(V_BAD_PARAM, SA_ENOTSUP, "tau_foo");
}
END_TEST

START_TEST(test_missing_file)
{
  refused(V_NO_NODES_FILE, SA_ENOENT, "missing.h5");
}
END_TEST

static Suite *sonata_suite(void)
{
  Suite *s = suite_create("sonata_in");
  TCase *tc = tcase_create("circuit");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_detect);
  tcase_add_test(tc, test_same_spikes);
  suite_add_tcase(s, tc);
  tc = tcase_create("refusals");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_unsupported_template);
  tcase_add_test(tc, test_biophysical);
  tcase_add_test(tc, test_reports);
  tcase_add_test(tc, test_current_clamp);
  tcase_add_test(tc, test_weight_function);
  tcase_add_test(tc, test_mixed_types);
  tcase_add_test(tc, test_bad_param);
  tcase_add_test(tc, test_missing_file);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  SRunner *sr = srunner_create(sonata_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
