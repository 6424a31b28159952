/* view.h: the options of `synalign run` that show a run while it goes
 * (progress line, live view, stream); shared by cli/run.c and cli/view.c.
 * SPDX-License-Identifier: MIT */
#ifndef SA_CLI_VIEW_H
#define SA_CLI_VIEW_H
#include "cli.h"
#include "sa_view.h"

/* Lines for the usage text of `run`. */
#define SA_CLI_VIEW_USAGE                                                  \
  "  --progress             show the progress line on stderr even when\n"  \
  "                         it is not a terminal (--quiet hides it)\n"     \
  "  --serve HOST:PORT      live view in a browser at http://HOST:PORT/\n"  \
  "                         (port 0: any free port; docs/viewing.md)\n"    \
  "  --stream tcp://HOST:PORT  binary spike stream (AER) for tools\n"      \
  "  --stream-wait          start only once a stream client is connected\n" \
  "  --serve-public         allow --serve/--stream on a non-loopback\n"    \
  "                         address (everyone who can reach it sees it)\n" \
  "  --serve-linger S       keep serving S seconds after the run ends\n"   \
  "                         (Ctrl-C ends it sooner)\n"

typedef struct sa_cli_view {
  int progress;          /* 1: --progress */
  const char *serve, *stream;
  int serve_public, stream_wait;
  double linger_s;
  sa_progress *prog;
  sa_serve *srv;
} sa_cli_view;

/* If argv[*i] is one of the options above, take it (and its value:
 * *i advances) and return 1; 0 if it is not one; SA_EXIT_USAGE, after
 * printing why, for a bad value. */
int sa_cli_view_option(sa_cli_view *v, int argc, char **argv, int *i);
/* Before the run of `steps` ticks: start the progress line (stderr a
 * terminal or --progress, not quiet) and the server. 0, or an exit status
 * after printing why. */
int sa_cli_view_start(sa_cli_view *v, sa_net *net, sa_tick steps, int quiet);
/* Right after the run: end the progress line, tell clients the run ended. */
void sa_cli_view_end(sa_cli_view *v, sa_net *net);
/* After the output file is closed: linger if asked (and not interrupted),
 * then stop the server and free everything. Safe to call twice. */
void sa_cli_view_stop(sa_cli_view *v, int interrupted);
#endif
