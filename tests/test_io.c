/* test_io.c: Check suite for io/ (spike writer, reader, signal watcher).
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "synalign.h"

/* ---- fixtures ------------------------------------------------------------ */

/* Each test runs in its own forked process (Check's default), so one
 * scratch folder per process is enough. */
static char tmpdir[64];

static void setup(void)
{
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sa_test_io.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tpath(const char *name)
{
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Network: "zeta" (1000 nodes), "alpha" (7), "off" (5, not recorded).
 * Creation order differs from name order on purpose. */
static sa_net *make_net(double dt)
{
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, dt, 1), 0);
  ck_assert_int_eq(sa_net_add_population(net, "zeta", "spike_source", 1000,
                                         NULL), 0);
  ck_assert_int_eq(sa_net_add_population(net, "alpha", "spike_source", 7,
                                         NULL), 0);
  ck_assert_int_eq(sa_net_add_population(net, "off", "spike_source", 5,
                                         NULL), 0);
  return net;
}

static const unsigned char rec3[3] = {1, 1, 0};
static const sa_provenance prov = {"{\"dt\": 0.1}", "net.json", 42, 0.1,
                                   1000.0};

static sa_writer *open_writer(const char *path, sa_net *net, double flush_ms)
{
  sa_writer *w = NULL;
  char err[512] = "";
  int rc = sa_writer_open(&w, path, net, rec3, &prov, 0, flush_ms, err,
                          sizeof err);
  ck_assert_msg(rc == 0, "open failed: %d %s", rc, err);
  ck_assert_ptr_nonnull(w);
  return w;
}

/* The deterministic spike stream used by several tests: spike k of
 * population p has stamp k / 5 + 1 (five spikes per tick) and a scrambled
 * id. Stamps never decrease, as from the simulator. */
static sa_tick gen_stamp(size_t k) { return (sa_tick)(k / 5 + 1); }
static uint32_t gen_id(int pop, size_t k)
{
  uint32_t n = pop == 0 ? 1000 : 7;
  return (uint32_t)((k * 2654435761u + (size_t)pop) % n);
}

/* Push spikes [from, to) of pop in slices of `slice` spikes, like the
 * simulator's per-slice callback. */
static void push(sa_writer *w, int pop, size_t from, size_t to,
                 size_t slice)
{
  sa_tick st[512];
  uint32_t id[512];
  ck_assert_uint_le(slice, 512);
  for (size_t k = from; k < to;) {
    size_t n = to - k < slice ? to - k : slice;
    for (size_t i = 0; i < n; i++) {
      st[i] = gen_stamp(k + i);
      id[i] = gen_id(pop, k + i);
    }
    sa_writer_spikes(w, pop, st, id, n);
    k += n;
  }
}

/* Read pop back and compare with spikes [0, n) of the generator. */
static void check_prefix(const char *path, int pop, const char *name,
                         size_t min_n, size_t max_n)
{
  double *t;
  uint64_t *id;
  size_t n;
  char err[512] = "";
  int rc = sa_spikefile_read(path, name, &t, &id, &n, err, sizeof err);
  ck_assert_msg(rc == 0, "read %s: %d %s", name, rc, err);
  ck_assert_uint_ge(n, min_n);
  ck_assert_uint_le(n, max_n);
  for (size_t k = 0; k < n; k++) {
    /* dt = 0.1 = 1/10: times are stamp / 10 exactly (NEST's decimals). */
    double want = (double)gen_stamp(k) / 10.0;
    if (t[k] != want || id[k] != gen_id(pop, k))
      ck_abort_msg("%s[%zu]: got (%.17g, %llu), want (%.17g, %u)", name, k,
                   t[k], (unsigned long long)id[k], want, gen_id(pop, k));
  }
  free(t);
  free(id);
}

/* ---- round trip ---------------------------------------------------------- */

START_TEST(test_roundtrip)
{
  sa_net *net = make_net(0.1);
  const char *path = tpath("rt.h5");
  sa_writer *w = open_writer(path, net, 20);
  /* 300k + 1000 spikes: several 64k batches, interleaved like slices. */
  const size_t n0 = 300000, n1 = 1000;
  for (size_t k = 0; k < n0; k += 3000) {
    push(w, 0, k, k + 3000, 500);
    if (k / 3000 < n1 / 10)
      push(w, 1, k / 3000 * 10, k / 3000 * 10 + 10, 10);
    push(w, 2, k, k + 100, 100);   /* not recorded: ignored */
    if (k == 150000)
      sleep_ms(60);   /* let the flush timer take a partial batch */
  }
  char err[512] = "";
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);

  check_prefix(path, 0, "zeta", n0, n0);
  check_prefix(path, 1, "alpha", n1, n1);

  sa_spikefile f;
  ck_assert_int_eq(sa_spikefile_info(path, &f, err, sizeof err), 0);
  ck_assert_int_eq(f.n_pops, 2);
  ck_assert_str_eq(f.pops[0].name, "zeta");   /* creation order */
  ck_assert_str_eq(f.pops[1].name, "alpha");
  ck_assert_uint_eq(f.pops[0].n_nodes, 1000);
  ck_assert_uint_eq(f.pops[1].n_nodes, 7);
  ck_assert_uint_eq(f.pops[0].n_spikes, n0);
  ck_assert_uint_eq(f.pops[1].n_spikes, n1);
  ck_assert(f.pops[0].t_first == 0.1);
  ck_assert(f.pops[0].t_last == (double)gen_stamp(n0 - 1) / 10.0);
  ck_assert(f.pops[1].t_last == (double)gen_stamp(n1 - 1) / 10.0);
  ck_assert_str_eq(f.version, SA_VERSION);
  ck_assert_str_eq(f.status, "complete");
  ck_assert_uint_eq(f.seed, 42);
  ck_assert(f.dt == 0.1);
  ck_assert(f.tstop == 1000.0);
  ck_assert_str_eq(f.config, "{\"dt\": 0.1}");
  sa_spikefile_free(&f);

  double *t;
  uint64_t *id;
  size_t n;
  ck_assert_int_eq(sa_spikefile_read(path, "off", &t, &id, &n, err,
                                     sizeof err), SA_ENOENT);
  ck_assert_ptr_nonnull(strstr(err, "off"));
  ck_assert_int_eq(sa_spikefile_read(path, "zeta/..", &t, &id, &n, err,
                                     sizeof err), SA_ENOENT);
  sa_net_destroy(net);
}
END_TEST

/* Spikes produced by the simulator itself, through the subscription. */
START_TEST(test_run_net)
{
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 1), 0);
  int a;
  ck_assert_int_eq(sa_net_add_population(net, "a", "spike_source", 3, &a),
                   0);
  const double t0[] = {1.0, 2.5}, t1[] = {0.5}, t2[] = {2.5, 3.0};
  ck_assert_int_eq(sa_pop_set_spike_times(net, a, 0, t0, 2), 0);
  ck_assert_int_eq(sa_pop_set_spike_times(net, a, 1, t1, 1), 0);
  ck_assert_int_eq(sa_pop_set_spike_times(net, a, 2, t2, 2), 0);
  const char *path = tpath("run.h5");
  sa_writer *w = NULL;
  char err[512] = "";
  ck_assert_int_eq(sa_writer_open(&w, path, net, NULL, NULL, 0, 1000, err,
                                  sizeof err), 0);
  ck_assert_int_eq(sa_net_subscribe(net, sa_writer_spikes, w), 0);
  ck_assert_int_eq(sa_net_run(net, 50, NULL), 0);
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);

  double *t;
  uint64_t *id;
  size_t n;
  ck_assert_int_eq(sa_spikefile_read(path, "a", &t, &id, &n, err,
                                     sizeof err), 0);
  const double want_t[] = {0.5, 1.0, 2.5, 2.5, 3.0};
  const uint64_t want_id[] = {1, 0, 0, 2, 2};
  ck_assert_uint_eq(n, 5);
  for (size_t i = 0; i < n; i++) {
    ck_assert_msg(t[i] == want_t[i], "t[%zu] = %.17g", i, t[i]);
    ck_assert_uint_eq(id[i], want_id[i]);
  }
  free(t);
  free(id);
  sa_spikefile f;
  ck_assert_int_eq(sa_spikefile_info(path, &f, err, sizeof err), 0);
  ck_assert_int_eq(f.n_pops, 1);
  ck_assert_uint_eq(f.pops[0].n_nodes, 3);
  ck_assert(f.pops[0].t_first == 0.5 && f.pops[0].t_last == 3.0);
  ck_assert_str_eq(f.status, "complete");
  ck_assert_ptr_nonnull(f.config);
  ck_assert_str_eq(f.config, "");   /* no provenance given */
  sa_spikefile_free(&f);
  sa_net_destroy(net);
}
END_TEST

/* ---- SONATA layout, checked with raw HDF5 -------------------------------- */

static char *raw_attr_str(hid_t loc, const char *name)
{
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  ck_assert_int_ge(a, 0);
  hid_t ft = H5Aget_type(a);
  ck_assert_int_eq(H5Tget_class(ft), H5T_STRING);
  char *out;
  hid_t mt = H5Tcopy(H5T_C_S1);
  if (H5Tis_variable_str(ft) > 0) {
    char *v = NULL;
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft));
    ck_assert_int_ge(H5Aread(a, mt, &v), 0);
    out = strdup(v);
    H5free_memory(v);
  } else {
    size_t n = H5Tget_size(ft);
    out = calloc(n + 1, 1);
    H5Tset_size(mt, n);
    H5Tset_cset(mt, H5Tget_cset(ft));
    ck_assert_int_ge(H5Aread(a, mt, out), 0);
  }
  H5Tclose(mt);
  H5Tclose(ft);
  H5Aclose(a);
  return out;
}

static void check_dataset(hid_t g, const char *name, hid_t want_type,
                          hsize_t want_n)
{
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  ck_assert_int_ge(d, 0);
  hid_t t = H5Dget_type(d);
  ck_assert_msg(H5Tequal(t, want_type) > 0, "%s: wrong dtype", name);
  H5Tclose(t);
  hid_t s = H5Dget_space(d);
  hsize_t dims, maxdims;
  ck_assert_int_eq(H5Sget_simple_extent_dims(s, &dims, &maxdims), 1);
  ck_assert_uint_eq(dims, want_n);
  ck_assert(maxdims == H5S_UNLIMITED);
  H5Sclose(s);
  hid_t dcpl = H5Dget_create_plist(d);
  hsize_t chunk = 0;
  ck_assert_int_eq(H5Pget_layout(dcpl), H5D_CHUNKED);
  ck_assert_int_eq(H5Pget_chunk(dcpl, 1, &chunk), 1);
  ck_assert_uint_eq(chunk, 8192);
  H5Pclose(dcpl);
  H5Dclose(d);
}

START_TEST(test_layout)
{
  sa_net *net = make_net(0.1);
  const char *path = tpath("layout.h5");
  sa_writer *w = open_writer(path, net, 1000);
  push(w, 0, 0, 100, 50);
  char err[512] = "";
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);

  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  uint32_t magic = 0, version[2] = {9, 9};
  hid_t a = H5Aopen(f, "magic", H5P_DEFAULT);
  hid_t t = H5Aget_type(a);
  ck_assert(H5Tequal(t, H5T_STD_U32LE) > 0);
  H5Tclose(t);
  ck_assert_int_ge(H5Aread(a, H5T_NATIVE_UINT32, &magic), 0);
  H5Aclose(a);
  ck_assert_uint_eq(magic, 0x0A7A);
  a = H5Aopen(f, "version", H5P_DEFAULT);
  hid_t s = H5Aget_space(a);
  ck_assert_int_eq(H5Sget_simple_extent_npoints(s), 2);
  H5Sclose(s);
  ck_assert_int_ge(H5Aread(a, H5T_NATIVE_UINT32, version), 0);
  H5Aclose(a);
  ck_assert_uint_eq(version[0], 0);
  ck_assert_uint_eq(version[1], 1);

  /* status is a 16-byte fixed string, so it can be rewritten in place. */
  a = H5Aopen(f, "status", H5P_DEFAULT);
  t = H5Aget_type(a);
  ck_assert_int_eq(H5Tis_variable_str(t), 0);
  ck_assert_uint_eq(H5Tget_size(t), 16);
  H5Tclose(t);
  H5Aclose(a);
  char *str = raw_attr_str(f, "status");
  ck_assert_str_eq(str, "complete");
  free(str);
  str = raw_attr_str(f, "synalign_version");
  ck_assert_str_eq(str, SA_VERSION);
  free(str);
  str = raw_attr_str(f, "config_path");
  ck_assert_str_eq(str, "net.json");
  free(str);
  uint64_t seed = 0;
  double dt = 0, tstop = 0;
  a = H5Aopen(f, "seed", H5P_DEFAULT);
  ck_assert_int_ge(H5Aread(a, H5T_NATIVE_UINT64, &seed), 0);
  H5Aclose(a);
  a = H5Aopen(f, "dt", H5P_DEFAULT);
  ck_assert_int_ge(H5Aread(a, H5T_NATIVE_DOUBLE, &dt), 0);
  H5Aclose(a);
  a = H5Aopen(f, "tstop", H5P_DEFAULT);
  ck_assert_int_ge(H5Aread(a, H5T_NATIVE_DOUBLE, &tstop), 0);
  H5Aclose(a);
  ck_assert_uint_eq(seed, 42);
  ck_assert(dt == 0.1 && tstop == 1000.0);

  hid_t spikes = H5Gopen2(f, "spikes", H5P_DEFAULT);
  ck_assert_int_ge(spikes, 0);
  hid_t gcpl = H5Gget_create_plist(spikes);
  unsigned flags = 0;
  ck_assert_int_ge(H5Pget_link_creation_order(gcpl, &flags), 0);
  ck_assert(flags & H5P_CRT_ORDER_TRACKED);
  H5Pclose(gcpl);
  ck_assert_int_eq(H5Lexists(spikes, "off", H5P_DEFAULT), 0);

  hid_t g = H5Gopen2(spikes, "zeta", H5P_DEFAULT);
  ck_assert_int_ge(g, 0);
  a = H5Aopen(g, "sorting", H5P_DEFAULT);
  t = H5Aget_type(a);
  ck_assert_int_eq(H5Tget_class(t), H5T_ENUM);
  hid_t base = H5Tget_super(t);
  ck_assert(H5Tequal(base, H5T_STD_I8LE) > 0);
  H5Tclose(base);
  int8_t sorting = -1;
  ck_assert_int_ge(H5Aread(a, t, &sorting), 0);
  ck_assert_int_eq(sorting, 2);
  char ename[16];
  ck_assert_int_ge(H5Tenum_nameof(t, &sorting, ename, sizeof ename), 0);
  ck_assert_str_eq(ename, "by_time");
  int8_t v = 0;
  ck_assert_int_ge(H5Tenum_valueof(t, "none", &v), 0);
  ck_assert_int_eq(v, 0);
  ck_assert_int_ge(H5Tenum_valueof(t, "by_id", &v), 0);
  ck_assert_int_eq(v, 1);
  H5Tclose(t);
  H5Aclose(a);
  uint64_t n_nodes = 0;
  a = H5Aopen(g, "n_nodes", H5P_DEFAULT);
  t = H5Aget_type(a);
  ck_assert(H5Tequal(t, H5T_STD_U64LE) > 0);
  H5Tclose(t);
  ck_assert_int_ge(H5Aread(a, H5T_NATIVE_UINT64, &n_nodes), 0);
  H5Aclose(a);
  ck_assert_uint_eq(n_nodes, 1000);

  check_dataset(g, "timestamps", H5T_IEEE_F64LE, 100);
  check_dataset(g, "node_ids", H5T_STD_U64LE, 100);
  hid_t d = H5Dopen2(g, "timestamps", H5P_DEFAULT);
  str = raw_attr_str(d, "units");
  ck_assert_str_eq(str, "ms");
  free(str);
  H5Dclose(d);
  H5Gclose(g);

  /* A recorded population without spikes still has the full layout. */
  g = H5Gopen2(spikes, "alpha", H5P_DEFAULT);
  ck_assert_int_ge(g, 0);
  check_dataset(g, "timestamps", H5T_IEEE_F64LE, 0);
  check_dataset(g, "node_ids", H5T_STD_U64LE, 0);
  H5Gclose(g);
  H5Gclose(spikes);

  /* Latest format (required by SWMR). */
  hid_t fapl = H5Fget_access_plist(f);
  H5F_libver_t lo, hi;
  ck_assert_int_ge(H5Pget_libver_bounds(fapl, &lo, &hi), 0);
  ck_assert_int_eq(lo, H5F_LIBVER_LATEST);
  H5Pclose(fapl);
  H5Fclose(f);
  sa_net_destroy(net);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

START_TEST(test_exists)
{
  sa_net *net = make_net(0.1);
  const char *path = tpath("dup.h5");
  sa_writer *w = open_writer(path, net, 1000);
  push(w, 0, 0, 10, 10);
  char err[512] = "";
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);

  w = NULL;
  int rc = sa_writer_open(&w, path, net, rec3, &prov, 0, 1000, err,
                          sizeof err);
  ck_assert_int_eq(rc, SA_EEXIST);
  ck_assert_ptr_null(w);
  ck_assert_ptr_nonnull(strstr(err, path));
  ck_assert_ptr_nonnull(strstr(err, "--overwrite"));
  check_prefix(path, 0, "zeta", 10, 10);   /* untouched */

  rc = sa_writer_open(&w, path, net, rec3, &prov, 1, 1000, err, sizeof err);
  ck_assert_msg(rc == 0, "%s", err);
  push(w, 0, 0, 3, 3);
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);
  check_prefix(path, 0, "zeta", 3, 3);     /* replaced */

  /* A folder in the way is refused, overwrite or not. */
  ck_assert_int_eq(mkdir(tpath("adir"), 0755), 0);
  ck_assert_int_eq(sa_writer_open(&w, tpath("adir"), net, rec3, &prov, 1,
                                  1000, err, sizeof err), SA_EIO);
  sa_net_destroy(net);
}
END_TEST

START_TEST(test_bad_folder)
{
  sa_net *net = make_net(0.1);
  sa_writer *w = NULL;
  char err[512] = "";
  const char *path = tpath("missing/sub/out.h5");
  int rc = sa_writer_open(&w, path, net, rec3, &prov, 0, 1000, err,
                          sizeof err);
  ck_assert_int_eq(rc, SA_EIO);
  ck_assert_ptr_null(w);
  ck_assert_ptr_nonnull(strstr(err, "does not exist"));
  ck_assert_ptr_nonnull(strstr(err, "missing/sub"));
  /* Root ignores permission bits, so the read-only case needs a user. */
  if (geteuid() != 0) {
    ck_assert_int_eq(mkdir(tpath("ro"), 0555), 0);
    rc = sa_writer_open(&w, tpath("ro/out.h5"), net, rec3, &prov, 0, 1000,
                        err, sizeof err);
    ck_assert_int_eq(rc, SA_EIO);
    ck_assert_ptr_nonnull(strstr(err, "not writable"));
  }
  sa_net_destroy(net);
}
END_TEST

/* A file that is HDF5 but not what we want, made with raw HDF5. */
static void make_h5(const char *path, int with_magic, int with_spikes)
{
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  if (with_magic) {
    uint32_t magic = 0x0A7A;
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "magic", H5T_STD_U32LE, s, H5P_DEFAULT,
                         H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_UINT32, &magic);
    H5Aclose(a);
    H5Sclose(s);
  }
  if (with_spikes)
    H5Gclose(H5Gcreate2(f, "spikes", H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT));
  H5Fclose(f);
}

START_TEST(test_info_errors)
{
  sa_spikefile f;
  char err[512] = "";
  ck_assert_int_eq(sa_spikefile_info(tpath("nope.h5"), &f, err, sizeof err),
                   SA_ENOENT);
  ck_assert_ptr_nonnull(strstr(err, "nope.h5"));
  double *t;
  uint64_t *id;
  size_t n;
  ck_assert_int_eq(sa_spikefile_read(tpath("nope.h5"), "a", &t, &id, &n,
                                     err, sizeof err), SA_ENOENT);

  FILE *fp = fopen(tpath("text.h5"), "w");
  ck_assert_ptr_nonnull(fp);
  fputs("{\"this is\": \"json, not HDF5\"}\n", fp);
  fclose(fp);
  ck_assert_int_eq(sa_spikefile_info(tpath("text.h5"), &f, err, sizeof err),
                   SA_EIO);
  ck_assert_ptr_nonnull(strstr(err, "not an HDF5 file"));
  fp = fopen(tpath("empty.h5"), "w");
  ck_assert_ptr_nonnull(fp);
  fclose(fp);
  ck_assert_int_eq(sa_spikefile_info(tpath("empty.h5"), &f, err,
                                     sizeof err), SA_EIO);
  ck_assert_ptr_nonnull(strstr(err, "not an HDF5 file"));

  make_h5(tpath("nomagic.h5"), 0, 1);
  ck_assert_int_eq(sa_spikefile_info(tpath("nomagic.h5"), &f, err,
                                     sizeof err), SA_EIO);
  ck_assert_ptr_nonnull(strstr(err, "magic"));
  make_h5(tpath("nospikes.h5"), 1, 0);
  ck_assert_int_eq(sa_spikefile_info(tpath("nospikes.h5"), &f, err,
                                     sizeof err), SA_EIO);
  ck_assert_ptr_nonnull(strstr(err, "not a SONATA spike file "
                                    "(no /spikes group)"));
  ck_assert_int_eq(sa_spikefile_read(tpath("nospikes.h5"), "a", &t, &id, &n,
                                     err, sizeof err), SA_EIO);
  /* An empty but valid spike file. */
  make_h5(tpath("nopops.h5"), 1, 1);
  ck_assert_int_eq(sa_spikefile_info(tpath("nopops.h5"), &f, err,
                                     sizeof err), 0);
  ck_assert_int_eq(f.n_pops, 0);
  ck_assert_str_eq(f.status, "");
  sa_spikefile_free(&f);
}
END_TEST

/* bmtk-style file: default (old) format, no creation order, sorting as a
 * string, no n_nodes, no provenance, unsorted times, float32 times. */
static void write_1d(hid_t g, const char *name, hid_t ftype, hid_t mtype,
                     hsize_t n, const void *buf)
{
  hid_t s = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(g, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  ck_assert_int_ge(d, 0);
  ck_assert_int_ge(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
                   0);
  H5Dclose(d);
  H5Sclose(s);
}

START_TEST(test_foreign)
{
  const char *path = tpath("bmtk.h5");
  make_h5(path, 1, 1);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  hid_t sp = H5Gopen2(f, "spikes", H5P_DEFAULT);
  const char *names[] = {"v1", "lgn"};
  for (int p = 0; p < 2; p++) {
    hid_t g = H5Gcreate2(sp, names[p], H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
    const float ts[] = {5.5f, 1.25f, 3.0f};
    const uint32_t ids[] = {4, 9, 2};
    write_1d(g, "timestamps", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, ts);
    write_1d(g, "node_ids", H5T_STD_U32LE, H5T_NATIVE_UINT32, 3, ids);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, H5T_VARIABLE);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, "sorting", st, s, H5P_DEFAULT, H5P_DEFAULT);
    const char *none = "none";
    H5Awrite(a, st, &none);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(st);
    H5Gclose(g);
  }
  H5Gclose(sp);
  H5Fclose(f);

  sa_spikefile info;
  char err[512] = "";
  ck_assert_msg(sa_spikefile_info(path, &info, err, sizeof err) == 0, "%s",
                err);
  ck_assert_int_eq(info.n_pops, 2);
  ck_assert_str_eq(info.pops[0].name, "lgn");   /* name order */
  ck_assert_str_eq(info.pops[1].name, "v1");
  ck_assert_uint_eq(info.pops[0].n_nodes, 10);  /* max id + 1 */
  ck_assert_uint_eq(info.pops[0].n_spikes, 3);
  ck_assert(info.pops[0].t_first == 1.25 && info.pops[0].t_last == 5.5);
  ck_assert_str_eq(info.version, "");
  ck_assert_str_eq(info.status, "");
  ck_assert_ptr_null(info.config);
  ck_assert_uint_eq(info.seed, 0);
  sa_spikefile_free(&info);

  double *t;
  uint64_t *id;
  size_t n;
  ck_assert_int_eq(sa_spikefile_read(path, "v1", &t, &id, &n, err,
                                     sizeof err), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert(t[0] == 5.5 && t[1] == 1.25 && t[2] == 3.0);
  ck_assert(id[0] == 4 && id[1] == 9 && id[2] == 2);
  free(t);
  free(id);
}
END_TEST

/* ---- status and crashes -------------------------------------------------- */

static void check_status(const char *path, const char *want)
{
  sa_spikefile f;
  char err[512] = "";
  ck_assert_msg(sa_spikefile_info(path, &f, err, sizeof err) == 0, "%s",
                err);
  ck_assert_str_eq(f.status, want);
  sa_spikefile_free(&f);
}

START_TEST(test_status)
{
  sa_net *net = make_net(0.1);
  char err[512] = "";
  sa_writer *w = open_writer(tpath("done.h5"), net, 1000);
  push(w, 0, 0, 70000, 500);
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);
  check_status(tpath("done.h5"), "complete");

  w = open_writer(tpath("intr.h5"), net, 1000);
  push(w, 1, 0, 123, 7);
  ck_assert_int_eq(sa_writer_close(w, 1, err, sizeof err), 0);
  check_status(tpath("intr.h5"), "interrupted");
  check_prefix(tpath("intr.h5"), 1, "alpha", 123, 123);

  /* While open the file is readable and says "running". */
  w = open_writer(tpath("live.h5"), net, 10);
  push(w, 1, 0, 50, 5);
  sleep_ms(200);
  check_status(tpath("live.h5"), "running");
  check_prefix(tpath("live.h5"), 1, "alpha", 50, 50);
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);
  check_status(tpath("live.h5"), "complete");
  sa_net_destroy(net);
}
END_TEST

START_TEST(test_killed_writer)
{
  sa_net *net = make_net(0.1);
  const char *path = tpath("killed.h5");
  const size_t first = 70000, total = 90000;
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    sa_writer *w = NULL;
    char err[512];
    if (sa_writer_open(&w, path, net, rec3, &prov, 0, 50, err, sizeof err))
      _exit(3);
    push(w, 0, 0, first, 500);        /* > 64k: handed over at once */
    sleep_ms(500);                    /* well past flush_ms */
    push(w, 0, first, total, 500);    /* maybe flushed, maybe not */
    sleep_ms(20);
    raise(SIGKILL);
    _exit(4);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
                "child did not die by SIGKILL (status %d)", st);
  sa_spikefile f;
  char err[512] = "";
  ck_assert_msg(sa_spikefile_info(path, &f, err, sizeof err) == 0, "%s",
                err);
  ck_assert_str_eq(f.status, "running");
  ck_assert_int_eq(f.n_pops, 2);
  ck_assert_uint_ge(f.pops[0].n_spikes, first);
  sa_spikefile_free(&f);
  check_prefix(path, 0, "zeta", first, total);
  sa_net_destroy(net);
}
END_TEST

/* Kills from outside at random moments while the child writes flat out:
 * whatever the file holds must be an exact prefix. */
START_TEST(test_killed_random)
{
  sa_net *net = make_net(0.1);
  srand((unsigned)getpid());
  for (int trial = 0; trial < 6; trial++) {
    char name[32];
    snprintf(name, sizeof name, "rk%d.h5", trial);
    const char *path = tpath(name);
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
      close(fd[0]);
      sa_writer *w = NULL;
      char err[512];
      if (sa_writer_open(&w, path, net, rec3, &prov, 0, 5, err, sizeof err))
        _exit(3);
      if (write(fd[1], "k", 1) != 1)
        _exit(5);
      for (size_t k = 0;; k += 1000)
        push(w, 0, k, k + 1000, 250);
    }
    close(fd[1]);
    char c;
    ck_assert_int_eq(read(fd[0], &c, 1), 1);
    close(fd[0]);
    sleep_ms(20 + rand() % 300);
    kill(pid, SIGKILL);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st));
    check_prefix(path, 0, "zeta", 0, (size_t)-1);
    check_status(path, "running");
  }
  sa_net_destroy(net);
}
END_TEST

/* A full disk (here: the file size limit) stops the writing early, is
 * reported by close, never blocks the producer, and leaves a valid file
 * holding a prefix. */
START_TEST(test_write_error)
{
  sa_net *net = make_net(0.1);
  const char *path = tpath("full.h5");
  sa_writer *w = open_writer(path, net, 10);
  void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
  /* Only the soft limit moves, so it can be raised back afterwards. */
  struct rlimit old_rl, rl;
  ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old_rl), 0);
  rl = old_rl;
  rl.rlim_cur = 4 << 20;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
    rl.rlim_cur = rl.rlim_max;
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
  push(w, 0, 0, 8000000, 500);   /* 128 MB raw, far past the limit */
  char err[512] = "";
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), SA_EIO);
  ck_assert_ptr_nonnull(strstr(err, path));
  ck_assert_msg(strstr(err, "file size limit") != NULL, "%s", err);
  ck_assert_ptr_nonnull(strstr(err, "not written"));
  /* Undo, for CK_FORK=no runs where later tests share the process. */
  ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old_rl), 0);
  signal(SIGXFSZ, old_xfsz);
  check_status(path, "interrupted");
  check_prefix(path, 0, "zeta", 65536, 8000000 - 1);
  sa_net_destroy(net);
}
END_TEST

START_TEST(test_close_null)
{
  char err[64] = "";
  ck_assert_int_eq(sa_writer_close(NULL, 0, err, sizeof err), 0);
  sa_spikefile_free(NULL);
  sa_sigwatch_stop(NULL);
  ck_assert_int_eq(sa_sigwatch_signal(NULL), 0);
}
END_TEST

/* ---- signals ------------------------------------------------------------- */

/* Poll up to 2 s; atomic loads pair with the watcher's atomic store. */
static int wait_stop(volatile int *stop)
{
  for (int i = 0; i < 200 && !__atomic_load_n(stop, __ATOMIC_ACQUIRE); i++)
    sleep_ms(10);
  return __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

START_TEST(test_sigwatch)
{
  volatile int stop = 0;
  sa_sigwatch *s = NULL;
  ck_assert_int_eq(sa_sigwatch_start(&s, &stop), 0);
  ck_assert_int_eq(sa_sigwatch_signal(s), 0);
  ck_assert_int_eq(stop, 0);
  ck_assert_int_eq(kill(getpid(), SIGTERM), 0);
  ck_assert_int_eq(wait_stop(&stop), 1);
  ck_assert_int_eq(sa_sigwatch_signal(s), SIGTERM);
  sa_sigwatch_stop(s);

  stop = 0;
  ck_assert_int_eq(sa_sigwatch_start(&s, &stop), 0);
  ck_assert_int_eq(raise(SIGINT), 0);
  ck_assert_int_eq(wait_stop(&stop), 1);
  ck_assert_int_eq(sa_sigwatch_signal(s), SIGINT);
  sa_sigwatch_stop(s);

  /* Start and stop without a signal leaves stop untouched. */
  stop = 0;
  ck_assert_int_eq(sa_sigwatch_start(&s, &stop), 0);
  sa_sigwatch_stop(s);
  ck_assert_int_eq(stop, 0);
}
END_TEST

/* ---- runner -------------------------------------------------------------- */

static Suite *io_suite(void)
{
  Suite *s = suite_create("io");
  TCase *tc = tcase_create("writer");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_roundtrip);
  tcase_add_test(tc, test_run_net);
  tcase_add_test(tc, test_layout);
  tcase_add_test(tc, test_exists);
  tcase_add_test(tc, test_bad_folder);
  tcase_add_test(tc, test_status);
  tcase_add_test(tc, test_write_error);
  tcase_add_test(tc, test_close_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("reader");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_info_errors);
  tcase_add_test(tc, test_foreign);
  suite_add_tcase(s, tc);

  tc = tcase_create("crash");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_killed_writer);
  tcase_add_test(tc, test_killed_random);
  suite_add_tcase(s, tc);

  tc = tcase_create("signals");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_sigwatch);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  /* Tests that expect HDF5 failures must not spray its error stack. */
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  SRunner *sr = srunner_create(io_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
