/* cli.h: what the subcommands of the synalign program share.
 * SPDX-License-Identifier: MIT */
#ifndef SA_CLI_H
#define SA_CLI_H
#include "synalign.h"
#include <stdint.h>

/* Exit status for bad input: options, network files, existing outputs. */
#define SA_EXIT_USAGE 2

/* One subcommand each; argv[0] is the command's name. */
int sa_cmd_run(int argc, char **argv);
int sa_cmd_resume(int argc, char **argv);
int sa_cmd_info(int argc, char **argv);
int sa_cmd_train(int argc, char **argv), sa_cmd_compare(int argc, char **argv);
int sa_cmd_weights(int argc, char **argv);
int sa_cmd_plot(int argc, char **argv);   /* cli/plot.c */
int sa_cmd_align(int argc, char **argv);  /* cli/align.c */

/* Monotonic wall clock in seconds. */
double sa_cli_now(void);
/* Parse an unsigned decimal / a positive finite number; -1 if malformed. */
int sa_cli_parse_u64(const char *s, uint64_t *out);
int sa_cli_parse_pos(const char *s, double *out);
/* Print "synalign CMD: <fmt with arg> (see 'synalign CMD --help')" on
 * stderr and return SA_EXIT_USAGE. */
int sa_cli_usage(const char *cmd, const char *fmt, const char *arg);
#endif
