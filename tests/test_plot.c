/* test_plot.c: Check suite for io/plot.c: every plot kind renders a valid
 * PNG and SVG of non-trivial content; a million spikes render as density;
 * missing reports, populations and bad names fail with clear errors.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <hdf5.h>

#include "synalign.h"

static char tmpdir[64];

static void setup(void)
{
  snprintf(tmpdir, sizeof tmpdir, "/tmp/sa_test_plot.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
  /* cairo and fontconfig keep font caches for the process; release them so
   * LeakSanitizer sees only our own allocations. FcFini is looked up at
   * run time: fontconfig comes in with cairo, not as our dependency. */
  cairo_debug_reset_static_data();
  void (*fc_fini)(void);
  *(void **)&fc_fini = dlsym(RTLD_DEFAULT, "FcFini");   /* POSIX's idiom */
  if (fc_fini != NULL)
    fc_fini();
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

/* ---- writing test files with the HDF5 C API ----------------------------- */

static void attr_u32(hid_t loc, const char *name, const uint32_t *v, int n)
{
  hsize_t dims = (hsize_t)n;
  hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, NULL);
  hid_t a = H5Acreate2(loc, name, H5T_STD_U32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(a, 0);
  ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_UINT32, v), 0);
  H5Aclose(a);
  H5Sclose(sp);
}

static void attr_str(hid_t loc, const char *name, const char *v)
{
  hid_t t = H5Tcopy(H5T_C_S1);   /* as h5py writes str: vlen UTF-8 */
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(a, 0);
  ck_assert_int_ge(H5Awrite(a, t, &v), 0);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

static void attr_f64(hid_t loc, const char *name, double v)
{
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                       H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Sclose(sp);
}

static hid_t dset(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                  int rank, const hsize_t *dims, const void *buf)
{
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  ck_assert_int_ge(d, 0);
  ck_assert_int_ge(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
  H5Sclose(sp);
  return d;
}

static hid_t new_sonata(const char *path, double tstop)
{
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ck_assert_int_ge(f, 0);
  uint32_t magic = 0x0A7A, version[2] = {0, 1};
  attr_u32(f, "magic", &magic, 1);
  attr_u32(f, "version", version, 2);
  attr_f64(f, "dt", 0.1);
  attr_f64(f, "tstop", tstop);
  return f;
}

/* Spikes of one population: node i fires at a rate rising with i, times
 * on the 0.1 ms grid, sorted by time (as SONATA by_time). */
static void add_spikes(hid_t f, const char *pop, uint64_t n_nodes, size_t n,
                       double tstop, unsigned seed)
{
  hid_t sp = H5Lexists(f, "spikes", H5P_DEFAULT) > 0
                 ? H5Gopen2(f, "spikes", H5P_DEFAULT)
                 : H5Gcreate2(f, "spikes", H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
  hid_t g = H5Gcreate2(sp, pop, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double *t = malloc(n * sizeof *t);
  uint64_t *id = malloc(n * sizeof *id);
  ck_assert_ptr_nonnull(t);
  ck_assert_ptr_nonnull(id);
  uint64_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    t[i] = round((double)i / (double)n * tstop * 10) / 10;
    id[i] = (x >> 33) % n_nodes;
  }
  hsize_t dims = n;
  hid_t d = dset(g, "timestamps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dims,
                 t);
  attr_str(d, "units", "ms");
  H5Dclose(d);
  H5Dclose(dset(g, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &dims,
                id));
  uint64_t nn = n_nodes;
  hid_t s1 = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(g, "n_nodes", H5T_STD_U64LE, s1, H5P_DEFAULT,
                       H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_UINT64, &nn);
  H5Aclose(a);
  H5Sclose(s1);
  free(t);
  free(id);
  H5Gclose(g);
  H5Gclose(sp);
}

static void spike_file(const char *path, size_t n_exc, size_t n_inh)
{
  hid_t f = new_sonata(path, 1000);
  add_spikes(f, "exc", 400, n_exc, 1000, 1);
  add_spikes(f, "inh", 100, n_inh, 1000, 2);
  H5Fclose(f);
}

/* A weight report in the SONATA frame layout: T frames of E weights that
 * drift from one bump to two (what STDP competition does). */
static void add_report(hid_t f, const char *name, int T, int E, double step)
{
  hid_t r = H5Lexists(f, "report", H5P_DEFAULT) > 0
                ? H5Gopen2(f, "report", H5P_DEFAULT)
                : H5Gcreate2(f, "report", H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
  hid_t g = H5Gcreate2(r, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  float *w = malloc((size_t)T * E * sizeof *w);
  ck_assert_ptr_nonnull(w);
  uint64_t x = 12345;
  for (int t = 0; t < T; t++)
    for (int e = 0; e < E; e++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      double u = (double)(x >> 11) / 9007199254740992.0;
      double target = e % 2 ? 30.0 : 0.0, start = 15.0 + 4 * (u - 0.5);
      double a = (double)t / (T - 1);
      w[(size_t)t * E + e] = (float)(start + (target - start) * a);
    }
  hsize_t dims[2] = {(hsize_t)T, (hsize_t)E};
  hid_t d = dset(g, "data", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, w);
  attr_str(d, "units", "pA");
  H5Dclose(d);
  hid_t m = H5Gcreate2(g, "mapping", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double t3[3] = {0, T * step, step};
  hsize_t three = 3;
  d = dset(m, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &three, t3);
  attr_str(d, "units", "ms");
  H5Dclose(d);
  H5Gclose(m);
  free(w);
  H5Gclose(g);
  H5Gclose(r);
}

/* /metrics/alignment/<proj>/<rule>: data [T x 3]; the metric names once
 * as one comma-separated string, once as a string array. */
static void add_alignment(hid_t f, const char *proj, const char *rule,
                          int T, int names_as_array)
{
  char path[128];
  snprintf(path, sizeof path, "metrics/alignment/%s/%s", proj, rule);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t g = H5Gcreate2(f, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  ck_assert_int_ge(g, 0);
  double *v = malloc((size_t)T * 3 * sizeof *v);
  double speed = names_as_array ? 0.05 : 0.2;
  for (int t = 0; t < T; t++) {
    double r = 1 - exp(-speed * t);
    v[t * 3 + 0] = r;
    v[t * 3 + 1] = 0.5 + 0.45 * r;
    v[t * 3 + 2] = acos(r) * 180 / M_PI;
  }
  hsize_t dims[2] = {(hsize_t)T, 3};
  hid_t d = dset(g, "data", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, v);
  if (names_as_array) {
    const char *names[3] = {"r", "sign_agreement", "angle_deg"};
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t three = 3;
    hid_t sp = H5Screate_simple(1, &three, NULL);
    hid_t a = H5Acreate2(d, "metrics", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, names);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
  } else {
    attr_str(d, "metrics", "r,sign_agreement,angle_deg");
  }
  H5Dclose(d);
  hid_t m = H5Gcreate2(g, "mapping", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double t3[3] = {0, T * 100.0, 100.0};
  hsize_t three = 3;
  H5Dclose(dset(m, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &three, t3));
  H5Gclose(m);
  free(v);
  H5Gclose(g);
}

/* ---- checking figures --------------------------------------------------- */

typedef struct png_stats {
  int w, h;
  long ink;       /* pixels clearly not white */
  long blue, red; /* pixels close to the first two palette colours */
} png_stats;

static png_stats check_png(const char *path, int w, int h)
{
  png_stats st;
  memset(&st, 0, sizeof st);
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s was not written", path);
  unsigned char sig[8];
  ck_assert_int_eq(fread(sig, 1, 8, f), 8);
  fclose(f);
  static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G',
                                           '\r', '\n', 0x1a, '\n'};
  ck_assert_msg(memcmp(sig, png_sig, 8) == 0, "%s is not a PNG", path);
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  ck_assert_int_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
  st.w = cairo_image_surface_get_width(s);
  st.h = cairo_image_surface_get_height(s);
  ck_assert_int_eq(st.w, w);
  ck_assert_int_eq(st.h, h);
  unsigned char *px = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < st.h; y++)
    for (int x = 0; x < st.w; x++) {
      uint32_t p = *(uint32_t *)(px + (size_t)y * stride + 4 * x);
      int r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
      if (r + g + b < 3 * 235)
        st.ink++;
      if (b > r + 60 && b > g + 30)
        st.blue++;
      if (r > b + 60 && r > g + 40)
        st.red++;
    }
  cairo_surface_destroy(s);
  return st;
}

static char *slurp(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s was not written", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)len + 1);
  ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
  buf[len] = '\0';
  fclose(f);
  *n = (size_t)len;
  return buf;
}

static int count(const char *hay, const char *needle)
{
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* A valid SVG document with drawing in it (paths, or an embedded image for
 * density shading) and glyphs for the labels. */
static void check_svg(const char *path, int min_paths)
{
  size_t n;
  char *s = slurp(path, &n);
  ck_assert_msg(strncmp(s, "<?xml", 5) == 0, "%s: no XML declaration", path);
  ck_assert_ptr_nonnull(strstr(s, "<svg"));
  ck_assert_ptr_nonnull(strstr(s, "</svg>"));
  int paths = count(s, "<path") + count(s, "<image");
  ck_assert_msg(paths >= min_paths, "%s: %d paths, want >= %d", path, paths,
                min_paths);
  ck_assert_msg(count(s, "glyph") > 10, "%s: no text", path);
  free(s);
}

static sa_plot_opts opts(int kind)
{
  sa_plot_opts o = {kind, NULL, NAN, NAN, 640, 400, NULL};
  return o;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_kind_names)
{
  ck_assert_int_eq(sa_plot_kind("raster"), SA_PLOT_RASTER);
  ck_assert_int_eq(sa_plot_kind("rates"), SA_PLOT_RATES);
  ck_assert_int_eq(sa_plot_kind("weights"), SA_PLOT_WEIGHTS);
  ck_assert_int_eq(sa_plot_kind("alignment"), SA_PLOT_ALIGNMENT);
  ck_assert_int_eq(sa_plot_kind("histogram"), -1);
  ck_assert_int_eq(sa_plot_kind(NULL), -1);
}
END_TEST

START_TEST(test_raster_dots)
{
  spike_file(tpath("s.h5"), 3000, 800);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_RASTER);
  ck_assert_msg(sa_plot(tpath("s.h5"), tpath("r.png"), &o, err, sizeof err) ==
                0, "%s", err);
  png_stats st = check_png(tpath("r.png"), 640, 400);
  /* Dots of both populations, and not a figure drowned in ink. */
  ck_assert_int_gt(st.blue, 1500);
  ck_assert_int_gt(st.red, 400);
  ck_assert_int_lt(st.ink, 640 * 400 / 2);
  ck_assert_msg(sa_plot(tpath("s.h5"), tpath("r.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  check_svg(tpath("r.svg"), 5);
}
END_TEST

START_TEST(test_raster_million)
{
  /* 10^6 spikes: density shading, drawn in well under a few seconds. */
  spike_file(tpath("m.h5"), 800000, 200000);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_RASTER);
  o.width = 900, o.height = 560;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  ck_assert_msg(sa_plot(tpath("m.h5"), tpath("m.png"), &o, err, sizeof err) ==
                0, "%s", err);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double s = (double)(b.tv_sec - a.tv_sec) +
             1e-9 * (double)(b.tv_nsec - a.tv_nsec);
  ck_assert_msg(s < 20, "a million spikes took %.1f s", s);
  png_stats st = check_png(tpath("m.png"), 900, 560);
  /* The plot area (about 800 x 460) is shaded nearly everywhere. */
  ck_assert_int_gt(st.blue + st.red, 200000);
  ck_assert_msg(sa_plot(tpath("m.h5"), tpath("m.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  size_t n;
  char *svg = slurp(tpath("m.svg"), &n);
  ck_assert_ptr_nonnull(strstr(svg, "<image"));   /* shading, not 10^6 rects */
  ck_assert_uint_lt(n, 8u << 20);
  free(svg);
}
END_TEST

START_TEST(test_raster_window_population)
{
  spike_file(tpath("s.h5"), 3000, 800);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_RASTER);
  o.population = "inh";
  o.from_ms = 100;
  o.to_ms = 300;
  ck_assert_msg(sa_plot(tpath("s.h5"), tpath("w.png"), &o, err, sizeof err) ==
                0, "%s", err);
  png_stats st = check_png(tpath("w.png"), 640, 400);
  ck_assert_int_gt(st.red, 100);
  ck_assert_int_lt(st.blue, 50);   /* only inh is drawn */
}
END_TEST

START_TEST(test_rates)
{
  spike_file(tpath("s.h5"), 30000, 8000);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_RATES);
  ck_assert_msg(sa_plot(tpath("s.h5"), tpath("rt.png"), &o, err, sizeof err) ==
                0, "%s", err);
  png_stats st = check_png(tpath("rt.png"), 640, 400);
  ck_assert_int_gt(st.blue, 300);
  ck_assert_int_gt(st.red, 300);
  ck_assert_msg(sa_plot(tpath("s.h5"), tpath("rt.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  check_svg(tpath("rt.svg"), 5);
}
END_TEST

START_TEST(test_weights)
{
  hid_t f = new_sonata(tpath("w.h5"), 500);
  add_spikes(f, "exc", 10, 100, 500, 3);
  add_report(f, "in_exc", 51, 1000, 10.0);
  add_report(f, "exc_exc", 11, 200, 50.0);
  H5Fclose(f);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_WEIGHTS);
  ck_assert_msg(sa_plot(tpath("w.h5"), tpath("w.png"), &o, err, sizeof err) ==
                0, "%s", err);
  png_stats st = check_png(tpath("w.png"), 640, 400);
  ck_assert_int_gt(st.blue, 2000);   /* first panel: shading and lines */
  ck_assert_int_gt(st.red, 500);     /* second panel */
  o.population = "in_exc";
  ck_assert_msg(sa_plot(tpath("w.h5"), tpath("w.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  check_svg(tpath("w.svg"), 5);
  o.population = "nope";
  ck_assert_int_eq(sa_plot(tpath("w.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_ENOENT);
  ck_assert_ptr_nonnull(strstr(err, "nope"));
}
END_TEST

START_TEST(test_alignment)
{
  hid_t f = new_sonata(tpath("a.h5"), 5000);
  add_alignment(f, "fwd", "stdwi", 50, 0);
  add_alignment(f, "fwd", "rdd", 50, 1);
  H5Fclose(f);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_ALIGNMENT);
  o.height = 600;
  ck_assert_msg(sa_plot(tpath("a.h5"), tpath("a.png"), &o, err, sizeof err) ==
                0, "%s", err);
  png_stats st = check_png(tpath("a.png"), 640, 600);
  ck_assert_int_gt(st.blue, 300);
  ck_assert_int_gt(st.red, 300);
  ck_assert_msg(sa_plot(tpath("a.h5"), tpath("a.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  size_t n;
  char *svg = slurp(tpath("a.svg"), &n);
  ck_assert_int_ge(count(svg, "<path"), 6);   /* 2 series x 3 panels */
  free(svg);
}
END_TEST

START_TEST(test_errors)
{
  spike_file(tpath("s.h5"), 100, 10);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_WEIGHTS);
  ck_assert_int_eq(sa_plot(tpath("s.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_ENOENT);
  ck_assert_msg(strstr(err, "has no weight reports") != NULL, "%s", err);
  ck_assert_int_ne(access(tpath("x.png"), F_OK), 0);   /* nothing written */
  o = opts(SA_PLOT_ALIGNMENT);
  ck_assert_int_eq(sa_plot(tpath("s.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_ENOENT);
  ck_assert_msg(strstr(err, "has no alignment metrics") != NULL, "%s", err);
  o = opts(SA_PLOT_RASTER);
  o.population = "exc2";
  ck_assert_int_eq(sa_plot(tpath("s.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_ENOENT);
  ck_assert_msg(strstr(err, "exc2") && strstr(err, "exc, inh"), "%s", err);
  o.population = NULL;
  ck_assert_int_eq(sa_plot(tpath("s.h5"), tpath("x.pdf"), &o, err, sizeof err),
                   SA_EINVAL);
  ck_assert_int_eq(sa_plot(tpath("none.h5"), tpath("x.png"), &o, err,
                           sizeof err), SA_ENOENT);
  o.from_ms = 500, o.to_ms = 100;
  ck_assert_int_eq(sa_plot(tpath("s.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_EINVAL);
  o = opts(SA_PLOT_RASTER);
  ck_assert_int_eq(sa_plot(tpath("s.h5"), "/nonexistent/dir/x.png", &o, err,
                           sizeof err), SA_EIO);
}
END_TEST

/* ---- learning curves ----------------------------------------------------- */

/* A learning results file written by the library's own writer: bp with
 * seeds 1 and 2 (accuracy 80, 84, 85 and 90, 86, 95: the mean 85, 85, 90
 * is flat over the first two epochs, neither seed is; angles 10 and 20),
 * fa with seed 1 (weight angle of layer 2: 80, 70, 60). */
static void learning_file(const char *path)
{
  char err[256] = "";
  sa_lfile *lf;
  const uint64_t seeds[2] = {1, 2};
  ck_assert_msg(sa_lfile_create(&lf, path, 1, "test", "digits", seeds, 2, err,
                                sizeof err) == 0, "%s", err);
  static const double acc[3][3] = {{80, 84, 85}, {90, 86, 95}, {70, 75, 80}};
  for (int run = 0; run < 3; run++) {
    sa_learn_config c;
    sa_learn_config_default(&c);
    c.algo = run < 2 ? "bp" : "fa";
    c.seed = run < 2 ? seeds[run] : 1;
    sa_epoch_metrics m[3];
    memset(m, 0, sizeof m);
    for (int e = 0; e < 3; e++) {
      m[e].epoch = e + 1;
      m[e].test_accuracy = acc[run][e];
      m[e].weight_angle[0] = 89;
      m[e].weight_angle[1] = run < 2 ? 10 + 10 * run : 80 - 10 * e;
    }
    ck_assert_msg(sa_lfile_write_run(lf, &c, m, 3, 3, err, sizeof err) == 0,
                  "%s", err);
  }
  ck_assert_int_eq(sa_lfile_close(lf, 1, err, sizeof err), 0);
}

/* The first SVG path at or after p of a style: a mean line (stroke width
 * 1.8) or a seed band (fill opacity 0.18), in a colour of the palette
 * (cairo writes percent); NULL if none. */
static const char *svg_path(const char *p, const char *kind,
                            const char *rgbpct)
{
  for (p = strstr(p, "<path"); p; p = strstr(p + 1, "<path")) {
    const char *end = strchr(p, '>');
    char *tag = strndup(p, end ? (size_t)(end - p) : strlen(p));
    int hit = strstr(tag, kind) && strstr(tag, rgbpct);
    free(tag);
    if (hit)
      return p;
  }
  return NULL;
}

/* How many such paths there are; *first: the first. */
static int svg_paths(const char *svg, const char *kind, const char *rgbpct,
                     const char **first)
{
  int n = 0;
  *first = svg_path(svg, kind, rgbpct);
  for (const char *p = *first; p; p = svg_path(p + 1, kind, rgbpct))
    n++;
  return n;
}

/* The points "M x y L x y ..." of the path at p (at most 8); cairo drops
 * a point collinear with its neighbours. */
static int path_points(const char *p, double *x, double *y)
{
  const char *d = strstr(p, " d=\"");
  ck_assert_ptr_nonnull(d);
  d += 4;
  int n = 0, used;
  char op;
  while (n < 8 && sscanf(d, " %c %lf %lf%n", &op, &x[n], &y[n], &used) == 3 &&
         (op == 'M' || op == 'L')) {
    d += used;
    n++;
  }
  return n;
}

#define BLUE "rgb(23.137255%,43.529412%,84.705882%)"   /* colour 0: bp */
#define RED "rgb(84.705882%,33.333333%,23.137255%)"    /* colour 1: fa */

START_TEST(test_curves)
{
  learning_file(tpath("l.h5"));
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_CURVES);
  ck_assert_msg(sa_plot(tpath("l.h5"), tpath("c.png"), &o, err, sizeof err) ==
                0, "%s", err);
  png_stats st = check_png(tpath("c.png"), 640, 400);
  ck_assert_int_gt(st.blue, 300);
  ck_assert_int_gt(st.red, 300);
  ck_assert_msg(sa_plot(tpath("l.h5"), tpath("c.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  size_t n;
  char *svg = slurp(tpath("c.svg"), &n);
  const char *bp, *fa, *band;
  /* One mean line per algorithm and panel (accuracy, then layer 2's
   * angle); a band for bp's two seeds in each panel, none for fa's one. */
  ck_assert_int_eq(svg_paths(svg, "stroke-width:1.8", BLUE, &bp), 2);
  ck_assert_int_eq(svg_paths(svg, "stroke-width:1.8", RED, &fa), 2);
  ck_assert_int_eq(svg_paths(svg, "fill-opacity:0.18", BLUE, &band), 2);
  ck_assert_int_eq(svg_paths(svg, "fill-opacity:0.18", RED, &band), 0);
  double x[8], y[8];
  /* bp's accuracy: the mean over the seeds, 85, 85, 90. */
  ck_assert_int_eq(path_points(bp, x, y), 3);
  ck_assert_double_eq_tol(x[1] - x[0], x[2] - x[1], 1e-3);
  ck_assert_double_eq_tol(y[0], y[1], 1e-3);
  ck_assert(y[2] < y[1] - 10);
  fa = svg_path(fa + 1, "stroke-width:1.8", RED);
  ck_assert_ptr_nonnull(fa);
  /* fa's angle, 80 to 60 (a straight line: two points), downwards. */
  ck_assert_int_ge(path_points(fa, x, y), 2);
  ck_assert(y[1] > y[0] + 10);
  free(svg);
  /* One algorithm; it keeps its colour. */
  o.population = "fa";
  ck_assert_msg(sa_plot(tpath("l.h5"), tpath("f.svg"), &o, err, sizeof err) ==
                0, "%s", err);
  svg = slurp(tpath("f.svg"), &n);
  ck_assert_int_eq(svg_paths(svg, "stroke-width:1.8", RED, &fa), 2);
  ck_assert_int_eq(svg_paths(svg, "stroke-width:1.8", BLUE, &bp), 0);
  free(svg);
  o.population = "kp";
  ck_assert_int_eq(sa_plot(tpath("l.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_ENOENT);
  ck_assert_msg(strstr(err, "'kp'") != NULL, "%s", err);
}
END_TEST

START_TEST(test_curves_errors)
{
  /* A spike file, a text file: not learning results; nothing written. */
  spike_file(tpath("s.h5"), 100, 10);
  char err[512] = "";
  sa_plot_opts o = opts(SA_PLOT_CURVES);
  ck_assert_int_eq(sa_plot(tpath("s.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_EINVAL);
  ck_assert_msg(strstr(err, "is not a learning results file") != NULL, "%s",
                err);
  ck_assert_int_ne(access(tpath("x.png"), F_OK), 0);
  FILE *f = fopen(tpath("t.h5"), "w");
  fputs("not hdf5\n", f);
  fclose(f);
  ck_assert_int_eq(sa_plot(tpath("t.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_EINVAL);
  ck_assert_msg(strstr(err, "not an HDF5 file") != NULL, "%s", err);
  /* The right format but a run without its datasets. */
  learning_file(tpath("l.h5"));
  hid_t h = H5Fopen(tpath("l.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  ck_assert_int_ge(H5Ldelete(h, "metrics/fa/1/weight_angle", H5P_DEFAULT), 0);
  H5Fclose(h);
  ck_assert_int_eq(sa_plot(tpath("l.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_EINVAL);
  ck_assert_msg(strstr(err, "/metrics/fa/1") != NULL, "%s", err);
  o.from_ms = 0;   /* epochs, not times */
  ck_assert_int_eq(sa_plot(tpath("l.h5"), tpath("x.png"), &o, err, sizeof err),
                   SA_EINVAL);
  ck_assert_int_eq(sa_plot_kind("curves"), SA_PLOT_CURVES);
}
END_TEST

static Suite *plot_suite(void)
{
  Suite *s = suite_create("plot");
  TCase *tc = tcase_create("plot");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_kind_names);
  tcase_add_test(tc, test_raster_dots);
  tcase_add_test(tc, test_raster_million);
  tcase_add_test(tc, test_raster_window_population);
  tcase_add_test(tc, test_rates);
  tcase_add_test(tc, test_weights);
  tcase_add_test(tc, test_alignment);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_curves);
  tcase_add_test(tc, test_curves_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  SRunner *sr = srunner_create(plot_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
