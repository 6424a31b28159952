/* view.c: `synalign run`'s progress line, live view and stream options.
 * SPDX-License-Identifier: MIT */
#include "view.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sa_cli_view_option(sa_cli_view *v, int argc, char **argv, int *i)
{
  const char *a = argv[*i];
  const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (!strcmp(a, "--progress")) {
    v->progress = 1;
    return 1;
  }
  if (!strcmp(a, "--serve-public")) {
    v->serve_public = 1;
    return 1;
  }
  if (!strcmp(a, "--stream-wait")) {
    v->stream_wait = 1;
    return 1;
  }
  if (!strcmp(a, "--serve") || !strcmp(a, "--stream")) {
    int is_stream = a[2] == 's' && a[3] == 't';
    if (val == NULL)
      return sa_cli_usage("run", "%s needs an address", a);
    if (is_stream && strncmp(val, "tcp://", 6) != 0)
      return sa_cli_usage("run", "--stream needs tcp://HOST:PORT, got '%s'",
                          val);
    if (sa_serve_addr_is_loopback(val) < 0)
      return sa_cli_usage("run", is_stream
                          ? "--stream needs tcp://HOST:PORT with a numeric "
                            "host or localhost, got '%s'"
                          : "--serve needs HOST:PORT with a numeric host or "
                            "localhost, got '%s'", val);
    if (is_stream)
      v->stream = val;
    else
      v->serve = val;
    (*i)++;
    return 1;
  }
  if (!strcmp(a, "--serve-linger")) {
    if (sa_cli_parse_pos(val, &v->linger_s))
      return sa_cli_usage("run", "--serve-linger needs a positive number of "
                          "seconds, got '%s'", val ? val : "");
    (*i)++;
    return 1;
  }
  return 0;
}

/* Port 0 cannot be guessed: always say which port was taken. */
static int asked_port0(const char *addr)
{
  size_t n = addr != NULL ? strlen(addr) : 0;
  return n >= 2 && !strcmp(addr + n - 2, ":0");
}

int sa_cli_view_start(sa_cli_view *v, sa_net *net, sa_tick steps, int quiet)
{
  if (v->stream_wait && v->stream == NULL)
    return sa_cli_usage("run", "%s", "--stream-wait needs --stream");
  /* Under MPI, rank 0 sees every spike (it writes the file too); the other
   * ranks show nothing and serve nothing. */
  if (sa_mpi_rank() != 0)
    return 0;
  if (!quiet && (v->progress || isatty(STDERR_FILENO))) {
    int tty = isatty(STDERR_FILENO);
    sa_progress_opts po = {stderr, tty, tty ? 0.25 : 1.0, "ms"};
    if (sa_progress_create(&v->prog, &po) == 0 &&
        sa_progress_watch(v->prog, net, steps) != 0) {
      /* Without the observer nothing would update it; without a line
       * the run is the same. */
      fprintf(stderr, "synalign run: warning: no progress line (out of "
              "memory)\n");
    }
  }
  if (v->serve == NULL && v->stream == NULL)
    return 0;
  sa_serve_opts so = {v->serve, v->stream, v->serve_public, 0, 0};
  char err[512] = "";
  int rc = sa_serve_start(&v->srv, net, steps, &so, err, sizeof err);
  if (rc) {
    fprintf(stderr, "synalign run: %s\n", err);
    return rc == SA_EINVAL || rc == SA_EIO ? SA_EXIT_USAGE : 1;
  }
  if (sa_net_subscribe(net, sa_serve_spikes, v->srv) ||
      sa_net_on_slice(net, sa_serve_slice, v->srv)) {
    fprintf(stderr, "synalign run: out of memory\n");
    return 1;
  }
  const char *h = sa_serve_http_addr(v->srv);
  const char *st = sa_serve_stream_addr(v->srv);
  int pub = (v->serve && sa_serve_addr_is_loopback(v->serve) == 0) ||
            (v->stream && sa_serve_addr_is_loopback(v->stream) == 0);
  if (pub)
    fprintf(stderr, "synalign run: warning: serving on a non-loopback "
            "address: anyone who can reach it can watch this run\n");
  if (h && (!quiet || asked_port0(v->serve)))
    fprintf(stderr, "live view: http://%s/\n", h);
  if (st && (!quiet || asked_port0(v->stream)))
    fprintf(stderr, "spike stream: tcp://%s\n", st);
  fflush(stderr);
  if (v->stream_wait) {
    volatile int stop = 0;
    sa_sigwatch *sw = NULL;
    sa_sigwatch_start(&sw, &stop);
    if (!quiet)
      fprintf(stderr, "waiting for a stream client (Ctrl-C gives up)\n");
    rc = sa_serve_wait_stream(v->srv, 0, &stop);
    int sig = sw ? sa_sigwatch_signal(sw) : 0;
    sa_sigwatch_stop(sw);
    if (rc) {
      fprintf(stderr, "synalign run: stopped while waiting for a stream "
              "client; nothing was run\n");
      return sig == SIGTERM ? 143 : 130;
    }
  }
  return 0;
}

void sa_cli_view_end(sa_cli_view *v, sa_net *net)
{
  sa_progress_finish(v->prog);
  if (v->srv != NULL)
    sa_serve_end(v->srv, sa_net_now(net));
}

void sa_cli_view_stop(sa_cli_view *v, int interrupted)
{
  if (v->srv != NULL && v->linger_s > 0 && !interrupted) {
    volatile int stop = 0;
    sa_sigwatch *sw = NULL;
    sa_sigwatch_start(&sw, &stop);
    fprintf(stderr, "live view: the run has ended; serving for %g s more "
            "(Ctrl-C ends it)\n", v->linger_s);
    double until = sa_cli_now() + v->linger_s;
    while (!stop && sa_cli_now() < until) {
      struct timespec ts = {0, 50 * 1000000L};
      nanosleep(&ts, NULL);
    }
    sa_sigwatch_stop(sw);
  }
  if (v->srv != NULL) {
    uint64_t lost = 0;
    sa_serve_stats(v->srv, &lost, NULL);
    if (lost > 0)
      fprintf(stderr, "live view: %llu spikes were not shown (the server "
              "fell behind)\n", (unsigned long long)lost);
  }
  sa_serve_stop(v->srv);
  v->srv = NULL;
  sa_progress_destroy(v->prog);
  v->prog = NULL;
}
