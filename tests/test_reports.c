/* test_reports.c: weight reports written during a plastic run read back
 * equal to the weights the core held at those times.
 * SPDX-License-Identifier: MIT */
#include "synalign.h"
#include <check.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { NIN = 60, NOUT = 8, FRAMES = 6 };

static sa_net *plastic_net(void) {
  sa_net *net;
  ck_assert_int_eq(sa_net_create(&net, 0.1, 5), 0);
  ck_assert_int_eq(sa_net_add_population(net, "in", "poisson", NIN, NULL), 0);
  ck_assert_int_eq(sa_net_add_population(net, "out", "lif_exp", NOUT, NULL),
                   0);
  sa_pop_set_param(net, 0, "rate", 40.0);
  sa_connector c = {.type = SA_CONN_ALL_TO_ALL};
  sa_dist w = {SA_DIST_UNIFORM, 100.0, 400.0}, d = {SA_DIST_UNIFORM, 0.5, 3};
  ck_assert_int_eq(sa_net_add_projection(net, "in_out", 0, 1, &c, &w, &d,
                                         0, NULL), 0);
  sa_dist ws = {SA_DIST_CONST, -50.0, 0};
  ck_assert_int_eq(sa_net_add_projection(net, "static", 1, 1, &c, &ws, &d,
                                         0, NULL), 0);
  ck_assert_int_eq(sa_net_add_rule(net, 0, "stdp", NULL), 0);
  sa_rule_set_param(net, 0, 0, "lambda", 0.05);
  sa_rule_set_param(net, 0, 0, "Wmax", 500.0);
  sa_rule_set_param(net, 0, 0, "alpha", 1.1);
  return net;
}

START_TEST(frames_equal_memory) {
  char path[] = "/tmp/sa_reports_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  sa_net *net = plastic_net();
  sa_provenance prov = {"{}", "test", 5, 0.1, 600.0};
  sa_writer *w;
  char err[512];
  ck_assert_int_eq(sa_writer_create(&w, path, net, NULL, &prov, 1, 50.0,
                                    err, sizeof err), 0);
  ck_assert_int_eq(sa_writer_add_weights(w, net, 0, 100.0, err, sizeof err),
                   0);
  ck_assert_int_eq(sa_writer_add_weights(w, net, 1, 100.0, err, sizeof err),
                   0);
  ck_assert_int_eq(sa_writer_add_weights(w, net, 1, 100.0, err, sizeof err),
                   SA_EINVAL);
  ck_assert_int_eq(sa_writer_start(w, err, sizeof err), 0);
  ck_assert_int_eq(sa_writer_add_weights(w, net, 0, 1.0, err, sizeof err),
                   SA_EINVAL);
  sa_net_subscribe(net, sa_writer_spikes, w);
  uint64_t n = sa_net_proj_size(net, 0);
  ck_assert_uint_eq(n, NIN * NOUT);
  double *mem = malloc(FRAMES * n * sizeof *mem);
  double *stat = malloc(n * sizeof *stat);
  for (int f = 0; f < FRAMES; f++) {
    if (f) ck_assert_int_eq(sa_net_run(net, 1000, NULL), 0);
    ck_assert_int_eq(sa_net_proj_weights(net, 0, mem + f * n), 0);
    ck_assert_int_eq(sa_writer_weights(w, 0, 100.0 * f, mem + f * n), 0);
    ck_assert_int_eq(sa_net_proj_weights(net, 1, stat), 0);
    ck_assert_int_eq(sa_writer_weights(w, 1, 100.0 * f, stat), 0);
  }
  ck_assert_uint_gt(sa_net_pop_spikes(net, 1), 100);
  ck_assert_int_eq(sa_writer_close(w, 0, err, sizeof err), 0);
  /* The weights did move: STDP was at work between frames. */
  int moved = 0;
  for (uint64_t q = 0; q < n; q++) moved += mem[q] != mem[(FRAMES - 1) * n + q];
  ck_assert_int_gt(moved, (int)n / 2);

  uint32_t *src = malloc(n * sizeof *src), *tgt = malloc(n * sizeof *tgt);
  sa_net_proj_get(net, 0, src, tgt, NULL, NULL);
  /* all_to_all: (source, target) names a synapse uniquely. */
  uint64_t *at = malloc(NIN * NOUT * sizeof *at);
  for (uint64_t q = 0; q < n; q++) at[src[q] * NOUT + tgt[q]] = q;
  for (int f = 0; f < FRAMES; f++) {
    sa_weightframe fr;
    ck_assert_int_eq(sa_report_read(path, "in_out", 100.0 * f + 50.0, &fr,
                                    err, sizeof err), 0);
    ck_assert_uint_eq(fr.frame, f);
    ck_assert_double_eq(fr.t, 100.0 * f);
    ck_assert_uint_eq(fr.n, n);
    ck_assert_str_eq(fr.info.rule, "stdp");
    ck_assert_str_eq(fr.info.units, "pA");
    for (uint64_t c = 0; c < n; c++) {
      uint64_t q = at[fr.source[c] * NOUT + fr.target[c]];
      ck_assert_float_eq(fr.weight[c], (float)mem[f * n + q]);
      /* Columns are grouped by target node (SONATA). */
      if (c) ck_assert_uint_ge(fr.target[c], fr.target[c - 1]);
    }
    sa_weightframe_free(&fr);
  }
  sa_weightreport *list;
  int nl;
  ck_assert_int_eq(sa_report_list(path, &list, &nl, err, sizeof err), 0);
  ck_assert_int_eq(nl, 2);
  ck_assert_str_eq(list[1].name, "static");
  ck_assert_str_eq(list[1].rule, "static");
  ck_assert_uint_eq(list[1].frames, FRAMES);
  ck_assert_double_eq(list[0].interval, 100.0);
  free(list);

  /* SONATA mapping: index_pointers has N+1 entries and a hard-linked
   * twin, time is (start, stop, step). */
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ip = H5Dopen2(file, "/report/in_out/mapping/index_pointers",
                      H5P_DEFAULT);
  hid_t ip2 = H5Dopen2(file, "/report/in_out/mapping/index_pointer",
                       H5P_DEFAULT);
  ck_assert(ip >= 0 && ip2 >= 0);
  hid_t sp = H5Dget_space(ip);
  hsize_t len;
  H5Sget_simple_extent_dims(sp, &len, NULL);
  ck_assert_uint_eq(len, NOUT + 1);
  uint64_t ptr[NOUT + 1];
  H5Dread(ip, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptr);
  for (int j = 0; j <= NOUT; j++) ck_assert_uint_eq(ptr[j], (uint64_t)j * NIN);
  double t3[3];
  hid_t tm = H5Dopen2(file, "/report/in_out/mapping/time", H5P_DEFAULT);
  H5Dread(tm, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t3);
  ck_assert_double_eq(t3[0], 0.0);
  ck_assert_double_eq(t3[1], 600.0);
  ck_assert_double_eq(t3[2], 100.0);
  H5Dclose(tm), H5Sclose(sp), H5Dclose(ip), H5Dclose(ip2), H5Fclose(file);

  sa_weightframe fr;
  ck_assert_int_eq(sa_report_read(path, "nope", -1, &fr, err, sizeof err),
                   SA_ENOENT);
  ck_assert_ptr_nonnull(strstr(err, "no weight report 'nope'"));
  free(src), free(tgt), free(at), free(mem), free(stat);
  sa_net_destroy(net);
  unlink(path);
}
END_TEST

START_TEST(unstarted_writer_leaves_nothing) {
  char path[] = "/tmp/sa_reports_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  sa_net *net = plastic_net();
  sa_writer *w;
  char err[256];
  ck_assert_int_eq(sa_writer_create(&w, path, net, NULL, NULL, 1, 50.0, err,
                                    sizeof err), 0);
  ck_assert_int_eq(sa_writer_close(w, 1, err, sizeof err), 0);
  ck_assert_int_ne(access(path, F_OK), 0);
  sa_weightreport *list;
  int nl;
  ck_assert_int_eq(sa_report_list(path, &list, &nl, err, sizeof err),
                   SA_ENOENT);
  sa_net_destroy(net);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reports");
  TCase *tc = tcase_create("weights");
  tcase_add_test(tc, frames_equal_memory);
  tcase_add_test(tc, unstarted_writer_leaves_nothing);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
