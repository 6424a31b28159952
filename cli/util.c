/* util.c: helpers shared by the subcommands.
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

double sa_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sa_cli_parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!s || *s == '-' || !*s) return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int sa_cli_parse_pos(const char *s, double *out) {
  char *end;
  if (!s || !*s) return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !(v > 0) || v > 1e15) return -1;
  *out = v;
  return 0;
}

int sa_cli_usage(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "synalign %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see 'synalign %s --help')\n", cmd);
  return SA_EXIT_USAGE;
}

