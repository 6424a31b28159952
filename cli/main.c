/* main.c: the synalign program (run, info).
 * SPDX-License-Identifier: MIT */
#include "synalign.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_USAGE 2

static const char usage_main[] =
  "usage: synalign <command> [options]\n"
  "\n"
  "commands:\n"
  "  run NET.json -o OUT.h5   simulate a network, write spikes (SONATA)\n"
  "  info FILE.h5             what a spike file holds\n"
  "\n"
  "  synalign --version       print the version\n"
  "  synalign COMMAND --help  help on one command\n";

static const char usage_run[] =
  "usage: synalign run NET.json [-o OUT.h5] [options]\n"
  "\n"
  "Simulate the network described by NET.json (docs/config.md) and write\n"
  "the spikes of the populations in its \"record\" section to OUT.h5 in the\n"
  "SONATA spike layout. Without -o nothing is written.\n"
  "\n"
  "options:\n"
  "  -o, --output FILE      spike file to create (refused if it exists)\n"
  "  --overwrite            replace an existing output file\n"
  "  --seed N               RNG seed (overrides the file's \"seed\")\n"
  "  --duration MS          simulated time in ms (overrides \"duration\")\n"
  "  --threads N            worker threads (only 1 is implemented yet)\n"
  "  --flush-interval S     write buffered spikes at least every S seconds\n"
  "                         of wall time (default 10)\n"
  "  --quiet                print nothing but errors\n"
  "  -h, --help             this text\n"
  "\n"
  "Exit status: 0 done, 1 run-time failure (I/O), 2 bad input, 130/143\n"
  "interrupted by SIGINT/SIGTERM (the file is closed readable).\n";

static const char usage_info[] =
  "usage: synalign info FILE.h5\n"
  "\n"
  "Print what a SONATA spike file holds: provenance (synalign version,\n"
  "seed, dt, duration, status) and, per population, nodes, spikes, mean\n"
  "rate and the first and last spike time.\n";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!s || *s == '-' || !*s) return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

static int parse_pos(const char *s, double *out) {
  char *end;
  if (!s || !*s) return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !(v > 0) || v > 1e15) return -1;
  *out = v;
  return 0;
}

static int bad_usage(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "synalign %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see 'synalign %s --help')\n", cmd);
  return EXIT_USAGE;
}

typedef struct run_opts {
  const char *net, *out;
  uint64_t seed;
  int has_seed, overwrite, quiet;
  double duration, flush_s;
  int threads;
} run_opts;

static int parse_run(int argc, char **argv, run_opts *o) {
  memset(o, 0, sizeof *o);
  o->threads = 1;
  o->flush_s = 10.0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_run, stdout);
      exit(0);
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
      if (!v) return bad_usage("run", "%s needs a file name", a);
      o->out = v, i++;
    } else if (!strcmp(a, "--seed")) {
      if (parse_u64(v, &o->seed))
        return bad_usage("run", "--seed needs an unsigned integer, got '%s'",
                         v ? v : "");
      o->has_seed = 1, i++;
    } else if (!strcmp(a, "--duration")) {
      if (parse_pos(v, &o->duration))
        return bad_usage("run", "--duration needs a positive number of ms, "
                         "got '%s'", v ? v : "");
      i++;
    } else if (!strcmp(a, "--flush-interval")) {
      if (parse_pos(v, &o->flush_s))
        return bad_usage("run", "--flush-interval needs a positive number "
                         "of seconds, got '%s'", v ? v : "");
      i++;
    } else if (!strcmp(a, "--threads")) {
      uint64_t t;
      if (parse_u64(v, &t) || t < 1 || t > 4096)
        return bad_usage("run", "--threads needs an integer >= 1, got '%s'",
                         v ? v : "");
      o->threads = (int)t, i++;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      o->quiet = 1;
    } else if (!strcmp(a, "--overwrite")) {
      o->overwrite = 1;
    } else if (a[0] == '-' && a[1]) {
      return bad_usage("run", "unknown option '%s'", a);
    } else if (!o->net) {
      o->net = a;
    } else {
      return bad_usage("run", "unexpected argument '%s'", a);
    }
  }
  if (!o->net) return bad_usage("run", "%s", "missing the network file");
  return 0;
}

static int cmd_run(int argc, char **argv) {
  run_opts o;
  int rc = parse_run(argc, argv, &o);
  if (rc) return rc;
  char err[1024] = "";
  double t0 = now_s();
  sa_config *cfg = NULL;
  if (sa_config_load(&cfg, o.net, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return EXIT_USAGE;
  }
  uint64_t seed = o.has_seed ? o.seed : sa_config_seed(cfg);
  double duration = o.duration > 0 ? o.duration : sa_config_duration(cfg);
  sa_net *net = NULL;
  if (sa_config_build(cfg, seed, &net, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    sa_config_destroy(cfg);
    return EXIT_USAGE;
  }
  if (sa_net_set_threads(net, o.threads)) {
    fprintf(stderr, "synalign run: %s\n", sa_net_errmsg(net));
    sa_net_destroy(net);
    sa_config_destroy(cfg);
    return EXIT_USAGE;
  }
  int npops = sa_net_pop_count(net);
  unsigned char *record = calloc((size_t)npops, 1);
  if (!record) {
    fprintf(stderr, "synalign run: out of memory\n");
    sa_net_destroy(net);
    sa_config_destroy(cfg);
    return 1;
  }
  for (size_t i = 0; i < sa_config_record_count(cfg); i++) {
    int p = sa_net_pop_find(net, sa_config_record_name(cfg, i));
    if (p >= 0) record[p] = 1;
  }
  sa_writer *w = NULL;
  int status = 0;
  if (o.out) {
    sa_provenance prov = {sa_config_text(cfg), sa_config_path(cfg), seed,
                          sa_net_dt(net), duration};
    int wrc = sa_writer_open(&w, o.out, net, record, &prov, o.overwrite,
                             o.flush_s * 1e3, err, sizeof err);
    if (wrc) {
      fprintf(stderr, "%s\n", err);
      status = wrc == SA_EEXIST || wrc == SA_EIO ? EXIT_USAGE : 1;
      goto done;
    }
    sa_net_subscribe(net, sa_writer_spikes, w);
  }
  volatile int stop = 0;
  sa_sigwatch *sw = NULL;
  if (sa_sigwatch_start(&sw, &stop))
    fprintf(stderr, "synalign run: warning: cannot watch signals\n");
  double t_build = now_s() - t0;
  double t1 = now_s();
  sa_tick steps = llround(duration / sa_net_dt(net));
  int run_rc = sa_net_run(net, steps, &stop);
  double t_loop = now_s() - t1;
  int sig = sw ? sa_sigwatch_signal(sw) : 0;
  sa_sigwatch_stop(sw);
  if (run_rc && run_rc != SA_EINTR) {
    fprintf(stderr, "synalign run: %s\n", sa_net_errmsg(net));
    status = 1;
  }
  if (w && sa_writer_close(w, run_rc == SA_EINTR, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    status = 1;
  }
  w = NULL;
  double sim_ms = (double)sa_net_now(net) * sa_net_dt(net);
  if (run_rc == SA_EINTR) {
    fprintf(stderr,
            "synalign run: interrupted by %s at %.1f ms of %.1f ms; %s\n",
            sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal",
            sim_ms, duration,
            o.out ? "the spike file is closed and readable"
                  : "nothing was written");
    status = sig == SIGTERM ? 143 : 130;
  }
  if (!o.quiet && status != 1) {
    printf("%-16s %-12s %10s %12s %10s\n", "population", "model", "neurons",
           "spikes", "rate (Hz)");
    for (int p = 0; p < npops; p++) {
      uint64_t ns = sa_net_pop_spikes(net, p);
      uint32_t n = sa_net_pop_size(net, p);
      printf("%-16s %-12s %10" PRIu32 " %12" PRIu64 " %10.3f%s\n",
             sa_net_pop_name(net, p), sa_net_pop_model(net, p), n, ns,
             sim_ms > 0 ? (double)ns / n / (sim_ms * 1e-3) : 0.0,
             record[p] && o.out ? "  (recorded)" : "");
    }
    printf("simulated %.1f ms in %.3f s wall (build %.3f s); "
           "%.3f s per simulated s\n", sim_ms, t_loop, t_build,
           sim_ms > 0 ? t_loop / (sim_ms * 1e-3) : 0.0);
    if (o.out) printf("spikes written to %s\n", o.out);
  }
done:
  if (w) sa_writer_close(w, 1, err, sizeof err);
  free(record);
  sa_net_destroy(net);
  sa_config_destroy(cfg);
  return status;
}

static int cmd_info(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage_info, stdout);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return bad_usage("info", "unknown option '%s'", argv[i]);
    } else if (!path) {
      path = argv[i];
    } else {
      return bad_usage("info", "unexpected argument '%s'", argv[i]);
    }
  }
  if (!path) return bad_usage("info", "%s", "missing the file name");
  sa_spikefile f;
  char err[1024] = "";
  if (sa_spikefile_info(path, &f, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return EXIT_USAGE;
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
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_main, stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("synalign %s\n", SA_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    fputs(usage_main, stdout);
    return 0;
  }
  if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
  fprintf(stderr, "synalign: unknown command '%s'\n\n%s", cmd, usage_main);
  return EXIT_USAGE;
}
