/* align.h: the alignment reports of synalign run (cli/align.c).
 * SPDX-License-Identifier: MIT */
#ifndef SA_CLI_ALIGN_H
#define SA_CLI_ALIGN_H
#include "cli.h"

typedef struct sa_cli_align sa_cli_align;

/* For every weight report ("record.weights") of a projection with
 * estimator rules: one entry per estimator. Runs the network for 0 steps
 * (rule state exists from the first run on). *out stays NULL when there is
 * nothing to report (no estimators, a SONATA circuit, several MPI ranks).
 * Fails with: those of sa_net_run, SA_ENOMEM. */
int sa_cli_align_setup(sa_cli_align **out, sa_net *net, const sa_config *cfg,
                       int quiet, char *err, size_t errlen);
/* Before sa_writer_start: each estimator's B-hat report and alignment
 * series. NULL a or w: nothing. Fails with: those of the writer. */
int sa_cli_align_files(sa_cli_align *a, sa_writer *w, char *err,
                       size_t errlen);
/* At a weight report of proj (W: its weights in the canonical order):
 * compute, print (unless quiet), write. Returns the writer's code. */
int sa_cli_align_snapshot(sa_cli_align *a, int proj, const double *W);
/* The final table (unless quiet). */
void sa_cli_align_final(sa_cli_align *a);
void sa_cli_align_free(sa_cli_align *a);
#endif
