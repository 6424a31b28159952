/* run.c: synalign run.
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include "view.h"   /* progress, live view, SONATA circuits (issue 8) */
#include "align.h"  /* estimators' alignment reports (issue 5) */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
  "  --threads N            at most N worker threads (fewer when the work\n"
  "                         per slice is too small); the spikes do not\n"
  "                         depend on it\n"
  "  --checkpoint FILE      write the complete state to FILE (see\n"
  "                         'synalign resume'), at the end of the run and\n"
  "  --checkpoint-every MS  every MS of simulated time\n"
  "  --flush-interval S     write buffered spikes at least every S seconds\n"
  "                         of wall time (default 10)\n"
  "  --quiet                print nothing but errors\n"
  SA_CLI_VIEW_USAGE
  "  -h, --help             this text\n"
  "\n"
  "NET.json may also be a SONATA circuit or simulation config (keys\n"
  "\"networks\", \"manifest\", \"network\" or \"run\"); see docs/viewing.md.\n"
  "\n"
  "Exit status: 0 done, 1 run-time failure (I/O), 2 bad input, 130/143\n"
  "interrupted by SIGINT/SIGTERM (the file is closed readable).\n";

static const char usage_resume[] =
  "usage: synalign resume CHECKPOINT.h5 -o OUT.h5 [options]\n"
  "\n"
  "Continue a run from a checkpoint written by 'synalign run --checkpoint'.\n"
  "The network file, seed and thread count come from the checkpoint; the\n"
  "run goes on to the original duration (or --duration MS, counted from\n"
  "time 0) and writes the spikes from the checkpoint's time on to OUT.h5.\n"
  "Together with the spikes written before the checkpoint they are exactly\n"
  "those of one uninterrupted run. Options as for 'synalign run' (-o,\n"
  "--overwrite, --duration, --checkpoint, --checkpoint-every,\n"
  "--flush-interval, --quiet, ...).\n";

/* A checkpoint: the state saved in memory on the simulation thread, then
 * written by the writer thread (the only one using HDF5 while it runs). */
typedef struct ckjob {
  const char *path;
  sa_tick every, next;     /* every = 0: only at the end */
  sa_ckmeta meta;
  sa_memck *mem;
  char err[512];
} ckjob;

static int ck_write(void *arg) {
  ckjob *c = arg;
  return sa_ckfile_write(c->path, c->mem, &c->meta, c->err, sizeof c->err);
}

static int checkpoint(sa_net *net, sa_writer *w, ckjob *c) {
  int rc = sa_memck_create(&c->mem);
  if (rc) return rc;
  rc = sa_net_save(net, sa_memck_ckpt(c->mem));
  if (rc) {
    snprintf(c->err, sizeof c->err, "checkpoint: %s", sa_net_errmsg(net));
  } else {
    c->meta.now = (double)sa_net_now(net) * sa_net_dt(net);
    rc = w ? sa_writer_call(w, ck_write, c) : ck_write(c);
  }
  sa_memck_destroy(c->mem);
  c->mem = NULL;
  if (rc) fprintf(stderr, "synalign: %s\n", c->err);
  return rc;
}

/* Weight reports: snapshots at 0, interval, 2 interval ... and always one
 * at the end of the run. The run is cut at snapshot times (a plastic
 * projection's weights at t are only defined at a slice boundary, and
 * cutting a run never changes it). */
typedef struct wreport {
  int proj;
  sa_tick every, next;
  sa_cli_align *al;   /* estimators' alignment (cli/align.c), or NULL */
} wreport;

/* Under MPI every rank takes part in the gather; rank 0 writes. */
static int snapshot(sa_net *net, sa_writer *w, const wreport *r, int i,
                    double *buf) {
  sa_net_proj_gather(net, r->proj, NULL, NULL, buf);
  int arc = sa_cli_align_snapshot(r->al, r->proj, buf);
  if (arc) return arc;
  if (!w) return 0;
  return sa_writer_weights(w, i, (double)sa_net_now(net) * sa_net_dt(net),
                           buf);
}

static int run_with_reports(sa_net *net, sa_tick steps, volatile int *stop,
                            sa_writer *w, wreport *r, int nr, ckjob *ck) {
  size_t most = 0;
  for (int i = 0; i < nr; i++) {
    size_t n = sa_net_proj_total(net, r[i].proj);   /* all ranks */
    if (n > most) most = n;
  }
  double *buf = nr ? malloc((most ? most : 1) * sizeof *buf) : NULL;
  if (nr && !buf) return SA_ENOMEM;
  sa_tick end = sa_net_now(net) + steps;
  int rc = 0;
  for (;;) {
    for (int i = 0; i < nr; i++)
      if (sa_net_now(net) >= r[i].next) {
        if (!rc) rc = snapshot(net, w, &r[i], i, buf);
        r[i].next = sa_net_now(net) + r[i].every;
      }
    if (!rc && ck && ck->every && sa_net_now(net) >= ck->next) {
      if (sa_net_now(net) > ck->next - ck->every && sa_net_now(net) < end)
        rc = checkpoint(net, w, ck);
      ck->next = sa_net_now(net) + ck->every;
    }
    if (rc || sa_net_now(net) >= end) break;
    sa_tick until = end;
    for (int i = 0; i < nr; i++)
      if (r[i].next < until) until = r[i].next;
    if (ck && ck->every && ck->next < until) until = ck->next;
    rc = sa_net_run(net, until - sa_net_now(net), stop);
    if (rc) break;
  }
  /* The final snapshot, also after an interruption. */
  for (int i = 0; i < nr && (!rc || rc == SA_EINTR); i++)
    if (r[i].next - r[i].every != sa_net_now(net))
      snapshot(net, w, &r[i], i, buf);
  /* And a checkpoint at the end, also after an interruption: a killed
   * sweep resumes from there. */
  if (ck && (!rc || rc == SA_EINTR)) {
    int crc = checkpoint(net, w, ck);
    if (!rc) rc = crc;
  }
  free(buf);
  return rc;
}

typedef struct run_opts {
  const char *net, *out;
  const char *ckpt;      /* --checkpoint */
  double ck_every;       /* --checkpoint-every, ms; 0 = at the end only */
  int resume, has_threads;
  uint64_t seed;
  int has_seed, overwrite, quiet;
  double duration, flush_s;
  int threads;
  sa_cli_view view;   /* --progress, --serve, --stream ... (cli/view.c) */
} run_opts;

static int parse_run(int argc, char **argv, run_opts *o, int resume) {
  const char *cmd = resume ? "resume" : "run";
  memset(o, 0, sizeof *o);
  o->resume = resume;
  o->threads = 1;
  o->flush_s = 10.0;
  int vrc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(resume ? usage_resume : usage_run, stdout);
      exit(0);
    } else if (!strcmp(a, "--checkpoint")) {
      if (!v) return sa_cli_usage(cmd, "%s needs a file name", a);
      o->ckpt = v, i++;
    } else if (!strcmp(a, "--checkpoint-every")) {
      if (sa_cli_parse_pos(v, &o->ck_every))
        return sa_cli_usage(cmd, "--checkpoint-every needs a positive number "
                            "of ms, got '%s'", v ? v : "");
      i++;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
      if (!v) return sa_cli_usage("run", "%s needs a file name", a);
      o->out = v, i++;
    } else if (!strcmp(a, "--seed")) {
      if (sa_cli_parse_u64(v, &o->seed))
        return sa_cli_usage("run", "--seed needs an unsigned integer, got '%s'",
                         v ? v : "");
      o->has_seed = 1, i++;
    } else if (!strcmp(a, "--duration")) {
      if (sa_cli_parse_pos(v, &o->duration))
        return sa_cli_usage("run", "--duration needs a positive number of ms, "
                         "got '%s'", v ? v : "");
      i++;
    } else if (!strcmp(a, "--flush-interval")) {
      if (sa_cli_parse_pos(v, &o->flush_s))
        return sa_cli_usage("run", "--flush-interval needs a positive number "
                         "of seconds, got '%s'", v ? v : "");
      i++;
    } else if (!strcmp(a, "--threads")) {
      uint64_t t;
      if (sa_cli_parse_u64(v, &t) || t < 1 || t > 4096)
        return sa_cli_usage("run", "--threads needs an integer >= 1, got '%s'",
                         v ? v : "");
      o->threads = (int)t, i++;
      o->has_threads = 1;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      o->quiet = 1;
    } else if (!strcmp(a, "--overwrite")) {
      o->overwrite = 1;
    } else if ((vrc = sa_cli_view_option(&o->view, argc, argv, &i)) != 0) {
      if (vrc != 1) return vrc;
    } else if (a[0] == '-' && a[1]) {
      return sa_cli_usage("run", "unknown option '%s'", a);
    } else if (!o->net) {
      o->net = a;
    } else {
      return sa_cli_usage("run", "unexpected argument '%s'", a);
    }
  }
  if (!o->net)
    return sa_cli_usage(cmd, "%s", resume ? "missing the checkpoint file"
                                          : "missing the network file");
  if (o->ck_every > 0 && !o->ckpt)
    return sa_cli_usage(cmd, "%s", "--checkpoint-every needs --checkpoint");
  if (resume && o->has_seed)
    return sa_cli_usage(cmd, "%s", "the seed comes from the checkpoint");
  return 0;
}

static int run_main(int argc, char **argv, int resume) {
  run_opts o;
  int rc = parse_run(argc, argv, &o, resume);
  if (rc) return rc;
  /* MPI ranks other than 0 print nothing and serve nothing. */
  if (sa_mpi_rank() > 0) {
    o.quiet = 1;
    o.view.progress = 0;
    o.view.serve = o.view.stream = NULL;
  }
  if (sa_mpi_size() > 1 && (resume || o.ckpt))
    return sa_cli_usage(resume ? "resume" : "run", "%s",
                        "checkpoints need a single process (no mpirun)");
  char err[1024] = "";
  double t0 = sa_cli_now();
  sa_config *cfg = NULL;
  /* A SONATA circuit or simulation config instead (io/sonata_in.c). */
  sa_sonata *son = NULL;
  /* Resuming: the network file, seed and thread count are the
   * checkpoint's. */
  sa_ckfile *ckf = NULL;
  if (resume) {
    if (sa_ckfile_open(&ckf, o.net, err, sizeof err) ||
        sa_config_load_text(&cfg, sa_ckfile_meta(ckf)->config_text,
                            sa_ckfile_meta(ckf)->config_path, err,
                            sizeof err)) {
      fprintf(stderr, "%s\n", err);
      sa_ckfile_close(ckf);
      return SA_EXIT_USAGE;
    }
    const sa_ckmeta *m = sa_ckfile_meta(ckf);
    if (o.has_threads && o.threads != m->threads) {
      fprintf(stderr, "synalign resume: the checkpoint was taken with %d "
              "threads; resume uses the same count\n", m->threads);
      sa_ckfile_close(ckf);
      sa_config_destroy(cfg);
      return SA_EXIT_USAGE;
    }
    o.threads = m->threads;
    o.seed = m->seed;
    o.has_seed = 1;
    if (!(o.duration > 0)) o.duration = m->tstop;
  } else if (sa_sonata_detect(o.net)) {
    if (sa_sonata_load(&son, o.net, err, sizeof err)) {
      fprintf(stderr, "%s\n", err);
      return SA_EXIT_USAGE;
    }
    if (!(o.duration > 0) && !(sa_sonata_duration(son) > 0)) {
      fprintf(stderr, "%s: no run.tstop; give --duration MS\n", o.net);
      sa_sonata_destroy(son);
      return SA_EXIT_USAGE;
    }
  } else if (sa_config_load(&cfg, o.net, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return SA_EXIT_USAGE;
  }
  uint64_t seed = o.has_seed ? o.seed
                  : son ? sa_sonata_seed(son) : sa_config_seed(cfg);
  double duration = o.duration > 0 ? o.duration
                    : son ? sa_sonata_duration(son) : sa_config_duration(cfg);
  sa_net *net = NULL;
  if (son ? sa_sonata_build(son, seed, &net, err, sizeof err)
          : sa_config_build(cfg, seed, &net, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    sa_config_destroy(cfg);
    sa_sonata_destroy(son);
    return SA_EXIT_USAGE;
  }
  if (sa_net_set_threads(net, o.threads) ||
      (ckf && sa_net_load(net, sa_ckfile_ckpt(ckf)))) {
    fprintf(stderr, "synalign %s: %s\n", resume ? "resume" : "run",
            sa_net_errmsg(net));
    sa_net_destroy(net);
    sa_config_destroy(cfg);
    sa_sonata_destroy(son);
    sa_ckfile_close(ckf);
    return SA_EXIT_USAGE;
  }
  sa_ckfile_close(ckf);
  if (resume && !o.quiet)
    printf("resumed at %.1f ms of %.1f ms\n",
           (double)sa_net_now(net) * sa_net_dt(net), duration);
  int npops = sa_net_pop_count(net);
  unsigned char *record = calloc((size_t)npops, 1);
  if (!record) {
    fprintf(stderr, "synalign run: out of memory\n");
    sa_net_destroy(net);
    sa_config_destroy(cfg);
    sa_sonata_destroy(son);
    return 1;
  }
  size_t nrec = son ? sa_sonata_record_count(son)
                    : sa_config_record_count(cfg);
  for (size_t i = 0; i < nrec; i++) {
    int p = sa_net_pop_find(net, son ? sa_sonata_record_name(son, i)
                                     : sa_config_record_name(cfg, i));
    if (p >= 0) record[p] = 1;
  }
  sa_writer *w = NULL;
  wreport *reps = NULL;
  sa_cli_align *al = NULL;
  int status = 0;
  /* Set by SIGINT/SIGTERM and by the writer when the disk fills. */
  volatile int stop = 0;
  /* Weight reports also drive the alignment table, so they are taken
   * without -o too (nothing is written then). */
  int nrep = cfg ? (int)sa_config_weight_count(cfg) : 0;
  reps = calloc((size_t)nrep + 1, sizeof *reps);
  if (!reps) {
    fprintf(stderr, "synalign run: out of memory\n");
    status = 1;
    goto done;
  }
  if (sa_cli_align_setup(&al, net, cfg, o.quiet, err, sizeof err)) {
    fprintf(stderr, "%s\n", err[0] ? err : "synalign run: out of memory");
    status = 1;
    goto done;
  }
  for (int i = 0; i < nrep; i++) {
    reps[i].proj = sa_net_proj_find(net, sa_config_weight_name(cfg, i));
    reps[i].every = llround(sa_config_weight_interval(cfg, i) /
                            sa_net_dt(net));
    if (reps[i].every < 1) reps[i].every = 1;
    reps[i].next = 0;
    reps[i].al = al;
  }
  /* Progress line, live view (cli/view.c): before the output file exists,
   * so that a bad or busy address leaves nothing behind. */
  status = sa_cli_view_start(&o.view, net,
                             llround(duration / sa_net_dt(net)), o.quiet);
  if (status) goto done;
  if (o.out && sa_mpi_rank() == 0) {
    sa_provenance prov = {son ? sa_sonata_text(son) : sa_config_text(cfg),
                          son ? sa_sonata_path(son) : sa_config_path(cfg),
                          seed, sa_net_dt(net), duration};
    int wrc = sa_writer_create(&w, o.out, net, record, &prov, o.overwrite,
                               o.flush_s * 1e3, err, sizeof err);
    for (int i = 0; !wrc && i < nrep; i++)
      wrc = sa_writer_add_weights(w, net, reps[i].proj,
                                  sa_config_weight_interval(cfg, i), err,
                                  sizeof err);
    if (!wrc) wrc = sa_cli_align_files(al, w, err, sizeof err);
    if (wrc && w) {
      sa_writer_close(w, 1, NULL, 0);   /* never started: discards it */
      w = NULL;
    } else if (!wrc) {
      sa_writer_stop_on_failure(w, &stop);
      if ((wrc = sa_writer_start(w, err, sizeof err)))
        w = NULL;                       /* a failed start discards it */
    }
    if (wrc) {
      fprintf(stderr, "%s\n", err);
      status = wrc == SA_EEXIST || wrc == SA_EIO || wrc == SA_EINVAL
                   ? SA_EXIT_USAGE : 1;
      goto done;
    }
    if (sa_net_subscribe(net, sa_writer_spikes, w)) {
      fprintf(stderr, "synalign run: out of memory\n");
      status = 1;
      goto done;
    }
  } else if (o.out) {
    /* MPI ranks > 0: the collectives of rank 0's sa_writer_add_weights
     * (if rank 0 failed above, sa_mpi_abort ends this rank). */
    for (int i = 0; i < nrep; i++)
      if (sa_net_proj_total(net, reps[i].proj))
        sa_net_proj_gather(net, reps[i].proj, NULL, NULL, NULL);
  }
  sa_sigwatch *sw = NULL;
  if (sa_sigwatch_start(&sw, &stop))
    fprintf(stderr, "synalign run: warning: cannot watch signals\n");
  /* Layout, per-thread parts and threads count as building, not as the
   * loop (with 2 threads at N = 64000 they take ~35 ms); a failure is
   * reported as one of the run. */
  int ready_rc = sa_net_ready(net);
  double t_build = sa_cli_now() - t0;
  double t1 = sa_cli_now();
  /* Resumed runs start at the checkpoint's time; duration counts from 0. */
  sa_tick steps = llround(duration / sa_net_dt(net)) - sa_net_now(net);
  if (steps < 0) steps = 0;
  const sa_tick start = sa_net_now(net);
  ckjob ck = {0};
  if (o.ckpt) {
    ck.path = o.ckpt;
    ck.every = o.ck_every > 0 ? llround(o.ck_every / sa_net_dt(net)) : 0;
    if (o.ck_every > 0 && ck.every < 1) ck.every = 1;
    ck.next = sa_net_now(net) + ck.every;
    ck.meta = (sa_ckmeta){sa_config_text(cfg), sa_config_path(cfg), seed,
                          o.threads, sa_net_dt(net), duration, 0};
  }
  int run_rc = ready_rc ? ready_rc
               : (!o.ckpt || cfg)
                   ? run_with_reports(net, steps, &stop, w, reps, nrep,
                                      o.ckpt ? &ck : NULL)
                   : SA_ENOTSUP;
  if (run_rc == SA_ENOTSUP)
    fprintf(stderr, "synalign run: checkpoints need a synalign network "
            "file (not a SONATA circuit)\n");
  double t_loop = sa_cli_now() - t1;
  int sig = sw ? sa_sigwatch_signal(sw) : 0;
  sa_sigwatch_stop(sw);
  sa_cli_view_end(&o.view, net);
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
  double ran_ms = (double)(sa_net_now(net) - start) * sa_net_dt(net);
  /* Stopped without a signal: the writer gave up (its error is printed
   * above and the status is already 1). */
  if (run_rc == SA_EINTR && sig) {
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
           ran_ms > 0 ? t_loop / (ran_ms * 1e-3) : 0.0);
    if (o.out) printf("spikes written to %s\n", o.out);
    sa_cli_align_final(al);
  }
done:
  if (w) sa_writer_close(w, 1, err, sizeof err);
  sa_cli_view_stop(&o.view, status != 0);   /* after the file is closed */
  free(reps);
  sa_cli_align_free(al);
  free(record);
  sa_net_destroy(net);
  sa_config_destroy(cfg);
  sa_sonata_destroy(son);
  return status;
}

/* Under mpirun: MPI around the run (sim/mpi.c). A failure on some ranks
 * only (the output file on rank 0, memory) would leave the others waiting
 * in a collective, so any failure ends the job; an interruption stops all
 * ranks at the same slice and they finish normally. */
static int mpi_main(int argc, char **argv, int resume) {
  int rc = sa_mpi_init(&argc, &argv);
  if (rc) {
    fprintf(stderr, "synalign: %s\n", rc == SA_ENOTSUP
            ? "started as one of several MPI processes, but this build has "
              "no MPI (meson -Dmpi=enabled)" : "MPI initialisation failed");
    return 1;
  }
  int status = run_main(argc, argv, resume);
  if (status != 0 && status != 130 && status != 143) sa_mpi_abort(status);
  sa_mpi_finalize();
  return status;
}

int sa_cmd_run(int argc, char **argv) { return mpi_main(argc, argv, 0); }

int sa_cmd_resume(int argc, char **argv) { return mpi_main(argc, argv, 1); }

