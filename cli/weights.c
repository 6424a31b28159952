/* weights.c: synalign weights, one snapshot of a weight report.
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_weights[] =
  "usage: synalign weights FILE.h5 PROJECTION [--at MS] [--csv]\n"
  "\n"
  "Print one snapshot of a projection's weight report: the last one taken\n"
  "at or before --at (default: the last one). Without --csv: the time,\n"
  "count, mean, standard deviation, extremes and a 10-bin histogram; with\n"
  "--csv: one line per synapse, \"source,target,weight\" (node ids within\n"
  "their populations, weight in the target model's unit).\n";

int sa_cmd_weights(int argc, char **argv) {
  const char *path = NULL, *proj = NULL;
  double at = -1;
  int csv = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_weights, stdout);
      return 0;
    } else if (!strcmp(a, "--csv")) {
      csv = 1;
    } else if (!strcmp(a, "--at")) {
      char *end;
      if (i + 1 >= argc)
        return sa_cli_usage("weights", "%s needs a time in ms", a);
      at = strtod(argv[++i], &end);
      if (*end || !(at >= 0) || !isfinite(at))
        return sa_cli_usage("weights", "--at needs a time >= 0 ms, got '%s'",
                            argv[i]);
    } else if (a[0] == '-' && a[1]) {
      return sa_cli_usage("weights", "unknown option '%s'", a);
    } else if (!path) {
      path = a;
    } else if (!proj) {
      proj = a;
    } else {
      return sa_cli_usage("weights", "unexpected argument '%s'", a);
    }
  }
  if (!path || !proj)
    return sa_cli_usage("weights", "%s", "needs FILE.h5 and PROJECTION");
  sa_weightframe f;
  char err[1024] = "";
  if (sa_report_read(path, proj, at, &f, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return SA_EXIT_USAGE;
  }
  if (csv) {
    printf("source,target,weight\n");
    for (uint64_t q = 0; q < f.n; q++)
      printf("%" PRIu64 ",%" PRIu64 ",%.9g\n", f.source[q], f.target[q],
             (double)f.weight[q]);
    sa_weightframe_free(&f);
    return 0;
  }
  double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
  for (uint64_t q = 0; q < f.n; q++) {
    double w = f.weight[q];
    sum += w;
    sq += w * w;
    if (w < lo) lo = w;
    if (w > hi) hi = w;
  }
  double mean = sum / (double)f.n;
  double var = sq / (double)f.n - mean * mean;
  printf("projection %s (%s -> %s, %s), snapshot %" PRIu64 " of %" PRIu64
         " at %.1f ms\n", proj, f.info.source, f.info.target, f.info.rule,
         f.frame + 1, f.info.frames, f.t);
  printf("synapses   %" PRIu64 "\n", f.n);
  printf("weight     mean %.6g, sd %.6g, min %.6g, max %.6g %s\n", mean,
         var > 0 ? sqrt(var) : 0.0, lo, hi, f.info.units);
  uint64_t bins[10] = {0}, top = 0;
  double width = hi > lo ? (hi - lo) / 10 : 1;
  for (uint64_t q = 0; q < f.n; q++) {
    int b = (int)((f.weight[q] - lo) / width);
    if (b > 9) b = 9;
    if (b < 0) b = 0;
    if (++bins[b] > top) top = bins[b];
  }
  for (int b = 0; b < 10; b++) {
    int bar = top ? (int)(50.0 * (double)bins[b] / (double)top + 0.5) : 0;
    printf("  [%10.4g, %10.4g%c %8" PRIu64 " %.*s\n", lo + b * width,
           lo + (b + 1) * width, b == 9 ? ']' : ')', bins[b], bar,
           "##################################################");
  }
  sa_weightframe_free(&f);
  return 0;
}
