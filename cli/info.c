/* info.c: synalign info.
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_info[] =
  "usage: synalign info FILE.h5\n"
  "\n"
  "Print what a SONATA spike file holds: provenance (synalign version,\n"
  "seed, dt, duration, status), per population nodes, spikes, mean rate\n"
  "and the first and last spike time, and the weight reports it holds\n"
  "(see 'synalign weights').\n";

int sa_cmd_info(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_info, stdout);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return sa_cli_usage("info", "unknown option '%s'", argv[i]);
    } else if (!path) {
      path = argv[i];
    } else {
      return sa_cli_usage("info", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!path) return sa_cli_usage("info", "%s", "missing the file name");
  sa_spikefile f;
  char err[1024] = "";
  if (sa_spikefile_info(path, &f, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return SA_EXIT_USAGE;
  }
  printf("file       %s\n", path);
  printf("written by %s\n", f.version[0] ? f.version : "(unknown)");
  printf("status     %s\n", f.status[0] ? f.status : "(unknown)");
  printf("seed       %" PRIu64 "\n", f.seed);
  printf("dt         %g ms\n", f.dt);
  printf("duration   %g ms\n", f.tstop);
  /* A run that did not complete covers only up to its last spike: rates
   * over the planned duration would be wrong. */
  double span = f.tstop;
  int complete = !strcmp(f.status, "complete") || !f.status[0];
  if (!complete) {
    span = 0;
    for (int i = 0; i < f.n_pops; i++)
      if (f.pops[i].t_last > span) span = f.pops[i].t_last;
    printf("note       the run did not complete: rates are over the first "
           "%.1f ms (the last spike)\n", span);
  }
  printf("\n%-16s %10s %12s %10s %12s %12s\n", "population", "nodes",
         "spikes", "rate (Hz)", "first (ms)", "last (ms)");
  for (int i = 0; i < f.n_pops; i++) {
    const sa_spikefile_pop *p = &f.pops[i];
    double rate = span > 0 && p->n_nodes
                      ? (double)p->n_spikes / (double)p->n_nodes /
                            (span * 1e-3)
                      : 0.0;
    printf("%-16s %10" PRIu64 " %12" PRIu64 " %10.3f %12.1f %12.1f\n",
           p->name, p->n_nodes, p->n_spikes, rate, p->t_first, p->t_last);
  }
  sa_spikefile_free(&f);
  sa_weightreport *reps = NULL;
  int nrep = 0;
  if (sa_report_list(path, &reps, &nrep, err, sizeof err) == 0 && nrep > 0) {
    printf("\n%-16s %-20s %-8s %10s %8s %10s %6s\n", "weight report",
           "source -> target", "rule", "synapses", "frames", "every (ms)",
           "units");
    for (int i = 0; i < nrep; i++) {
      char ends[140];
      snprintf(ends, sizeof ends, "%s -> %s", reps[i].source,
               reps[i].target);
      printf("%-16s %-20s %-8s %10" PRIu64 " %8" PRIu64 " %10g %6s\n",
             reps[i].name, ends, reps[i].rule, reps[i].nsyn, reps[i].frames,
             reps[i].interval, reps[i].units);
    }
  }
  free(reps);
  return 0;
}

