/* sa_io.h: network files (JSON), SONATA spike files (HDF5), signals.
 * SPDX-License-Identifier: MIT */
#ifndef SA_IO_H
#define SA_IO_H

#include <stddef.h>
#include <stdint.h>
#include "sa_sim.h"

/* ---- Network files -------------------------------------------------- */

typedef struct sa_config sa_config;

/* Parse and validate a JSON network file. On failure returns a negative
 * SA_E* code and writes one line "FILE: JSON.PATH: what was expected" into
 * err. Fails with: SA_ENOENT (missing file), SA_EINVAL (syntax, unknown
 * keys, wrong types, bad values), SA_ENOMEM. */
int sa_config_load(sa_config **out, const char *path, char *err, size_t errlen);
/* The same from the file's text (as kept in spike files and checkpoints);
 * name stands for the file in messages. */
int sa_config_load_text(sa_config **out, const char *text, const char *name,
                        char *err, size_t errlen);
void sa_config_destroy(sa_config *cfg);
double sa_config_dt(const sa_config *cfg);          /* ms */
double sa_config_duration(const sa_config *cfg);    /* ms */
uint64_t sa_config_seed(const sa_config *cfg);
const char *sa_config_text(const sa_config *cfg);   /* the file's bytes */
const char *sa_config_path(const sa_config *cfg);
/* Build the network; seed overrides the file's. Errors name the JSON path
 * like sa_config_load. Fails with: SA_EINVAL, SA_ENOENT, SA_ENOMEM. */
int sa_config_build(const sa_config *cfg, uint64_t seed, sa_net **out,
                    char *err, size_t errlen);
/* Names of the populations whose spikes are recorded ("record.spikes"). */
size_t sa_config_record_count(const sa_config *cfg);
const char *sa_config_record_name(const sa_config *cfg, size_t i);
/* Weight reports ("record.weights"): projection name and interval (ms; the
 * run's duration when the file gives none). */
size_t sa_config_weight_count(const sa_config *cfg);
const char *sa_config_weight_name(const sa_config *cfg, size_t i);
double sa_config_weight_interval(const sa_config *cfg, size_t i);

/* ---- SONATA spike writer -------------------------------------------- */

typedef struct sa_writer sa_writer;

typedef struct sa_provenance {
  const char *config_text;   /* stored as root attribute "config" */
  const char *config_path;
  uint64_t seed;
  double dt, tstop;          /* ms */
} sa_provenance;

/* Create path (refuses an existing file unless overwrite) with the SONATA
 * layout for the populations flagged in record[pop], start the writer
 * thread, switch to SWMR. Spikes are appended in batches and flushed at
 * least every flush_ms of wall time. Fails with: SA_EEXIST, SA_EIO (HDF5 or
 * file system; err says why), SA_ENOMEM. */
int sa_writer_open(sa_writer **out, const char *path, const sa_net *net,
                   const unsigned char *record, const sa_provenance *prov,
                   int overwrite, double flush_ms, char *err, size_t errlen);
/* The same in steps, to add weight reports: sa_writer_create makes the
 * file and the spike layout; sa_writer_add_weights adds a projection's
 * report (SONATA frame layout under /report/<projection>/, columns grouped
 * by target node, mapping/source_ids and target_ids give each column's
 * endpoints); sa_writer_start switches to SWMR and starts the writer
 * thread, after which nothing can be added. A writer that is never started
 * is discarded, file and all, by sa_writer_close. Fail with: as
 * sa_writer_open; add_weights also SA_EINVAL (started, bad projection,
 * empty projection, reported twice). */
int sa_writer_create(sa_writer **out, const char *path, const sa_net *net,
                     const unsigned char *record, const sa_provenance *prov,
                     int overwrite, double flush_ms, char *err,
                     size_t errlen);
int sa_writer_add_weights(sa_writer *w, sa_net *net, int proj,
                          double interval_ms, char *err, size_t errlen);
int sa_writer_start(sa_writer *w, char *err, size_t errlen);
/* Once writing has failed for good (disk full, file size limit, HDF5
 * error), set *stop = 1 from the writer thread, so a run passing the same
 * flag to sa_net_run ends at its next slice instead of simulating spikes
 * that are dropped. Call before sa_writer_start; NULL turns it off. */
void sa_writer_stop_on_failure(sa_writer *w, volatile int *stop);
/* Queue a snapshot of report `report` (order of add_weights) taken at
 * t_ms; weights in the core's CSR order (sa_net_proj_weights). Copies
 * them; may wait while the writer is behind. Fails with: SA_EINVAL,
 * SA_ENOMEM. */
int sa_writer_weights(sa_writer *w, int report, double t_ms,
                      const double *weights);
/* An estimator's B-hat (rule `rule` of proj, sa_net_proj_estimate) as a
 * report of the same layout, /report/<proj>.<label>/, with attributes rule
 * (its name) and estimate_of (proj's name). Snapshots go through
 * sa_writer_weights(w, *index, ...). Fails with: as add_weights. */
int sa_writer_add_estimate(sa_writer *w, sa_net *net, int proj, int rule,
                           const char *label, double interval_ms, int *index,
                           char *err, size_t errlen);
/* A time series of ncols metrics in the SONATA report layout:
 * /metrics/alignment/<proj>/<label>/data float32 [frames x ncols] with
 * attribute "metrics" (the column names, comma-separated), mapping/time
 * (start, stop, step) and mapping/times (ms). Rows go through
 * sa_writer_weights(w, *index, t_ms, row). Fails with: SA_EINVAL (started,
 * empty names or names with '/', recorded twice), SA_EIO, SA_ENOMEM. */
int sa_writer_add_alignment(sa_writer *w, const char *proj,
                            const char *label, const char *const *cols,
                            int ncols, double interval_ms, int *index,
                            char *err, size_t errlen);

/* ---- Alignment metrics ------------------------------------------------ */

#define SA_ALIGN_MAXCOLS 16
typedef struct sa_align_series {
  char proj[64], label[64];     /* /metrics/alignment/<proj>/<label> */
  int ncols;
  char cols[SA_ALIGN_MAXCOLS][32];
  size_t T;                     /* frames */
  double *t;                    /* T times, ms */
  double *data;                 /* T x ncols, row-major */
} sa_align_series;

/* Every alignment series of a file (*out malloc'd, free with
 * sa_alignment_free; a file without any gives *n = 0, not an error).
 * Fails with: SA_ENOENT (no file), SA_EIO (not HDF5, unreadable series),
 * SA_ENOMEM. */
int sa_alignment_read(const char *path, sa_align_series **out, int *n,
                      char *err, size_t errlen);
void sa_alignment_free(sa_align_series *s, int n);

/* An sa_spike_cb: copies the spikes into the current batch (no HDF5 call
 * on the caller's thread). */
void sa_writer_spikes(void *writer, int pop, const sa_tick *stamp,
                      const uint32_t *id, size_t n);
/* Drain, flush and close; status "complete" or "interrupted" is written to
 * the root attribute "status". Always frees the writer. Fails with: SA_EIO. */
int sa_writer_close(sa_writer *w, int interrupted, char *err, size_t errlen);

/* ---- SONATA reader -------------------------------------------------- */

typedef struct sa_spikefile_pop {
  char name[64];
  uint64_t n_nodes, n_spikes;
  double t_first, t_last;   /* ms; 0 when no spikes */
} sa_spikefile_pop;

typedef struct sa_spikefile {
  char version[32], status[32];
  uint64_t seed;
  double dt, tstop;
  char *config;             /* owned */
  int n_pops;
  sa_spikefile_pop *pops;   /* owned */
} sa_spikefile;

/* Read what a synalign/SONATA spike file holds. Fails with: SA_ENOENT,
 * SA_EIO (not HDF5 or not SONATA: err says which), SA_ENOMEM. */
int sa_spikefile_info(const char *path, sa_spikefile *out, char *err,
                      size_t errlen);
void sa_spikefile_free(sa_spikefile *f);
/* Read one population's spikes; *t and *id are malloc'd, caller frees.
 * Fails with: SA_ENOENT (no such population), SA_EIO, SA_ENOMEM. */
int sa_spikefile_read(const char *path, const char *pop, double **t,
                      uint64_t **id, size_t *n, char *err, size_t errlen);

/* ---- Weight reports ------------------------------------------------ */

typedef struct sa_weightreport {
  char name[64], source[64], target[64], rule[32], units[16];
  uint64_t nsyn, frames;
  double interval;          /* ms */
} sa_weightreport;

/* The weight reports a file holds (*out malloc'd, caller frees; none is
 * not an error). Fails with: SA_ENOENT (no file), SA_EIO, SA_ENOMEM. */
int sa_report_list(const char *path, sa_weightreport **out, int *n,
                   char *err, size_t errlen);

typedef struct sa_weightframe {
  sa_weightreport info;
  uint64_t frame, n;
  double t;                 /* ms */
  uint64_t *source, *target;/* node ids within their populations */
  float *weight;            /* owned; free with sa_weightframe_free */
} sa_weightframe;

/* The snapshot of projection `name` taken last at or before at_ms (the
 * last one when at_ms < 0). Fails with: SA_ENOENT (no such report or no
 * snapshot yet), SA_EIO, SA_ENOMEM. */
int sa_report_read(const char *path, const char *name, double at_ms,
                   sa_weightframe *out, char *err, size_t errlen);
void sa_weightframe_free(sa_weightframe *f);

/* ---- Checkpoints --------------------------------------------------- */

/* A checkpoint in memory (sa_net_save writes into its sa_ckpt). */
typedef struct sa_memck sa_memck;
int sa_memck_create(sa_memck **out);            /* Fails with: SA_ENOMEM */
const sa_ckpt *sa_memck_ckpt(sa_memck *m);
void sa_memck_destroy(sa_memck *m);

typedef struct sa_ckmeta {
  const char *config_text, *config_path;
  uint64_t seed;
  int threads;
  double dt, tstop, now;       /* ms */
} sa_ckmeta;

/* Write m as an HDF5 checkpoint file: PATH.tmp first, synced, then renamed
 * over PATH, so an earlier checkpoint survives a crash during this one.
 * Not thread-safe with other HDF5 use: with a writer running, call it
 * through sa_writer_call. Fails with: SA_EIO, SA_EINVAL. */
int sa_ckfile_write(const char *path, const sa_memck *m,
                    const sa_ckmeta *meta, char *err, size_t errlen);
/* Open a checkpoint file for sa_net_load (read-only sa_ckpt) and its
 * metadata. Fails with: SA_ENOENT, SA_EIO (not HDF5, not a checkpoint,
 * incomplete), SA_ENOMEM. */
typedef struct sa_ckfile sa_ckfile;
int sa_ckfile_open(sa_ckfile **out, const char *path, char *err,
                   size_t errlen);
const sa_ckpt *sa_ckfile_ckpt(sa_ckfile *f);
const sa_ckmeta *sa_ckfile_meta(const sa_ckfile *f);
void sa_ckfile_close(sa_ckfile *f);

/* Run fn(arg) on the writer thread once everything queued before has been
 * written, and return its result (HDF5 is used by one thread at a time).
 * Fails with: SA_EINVAL (writer not started). */
int sa_writer_call(sa_writer *w, int (*fn)(void *), void *arg);

/* ---- Signals -------------------------------------------------------- */

typedef struct sa_sigwatch sa_sigwatch;
/* Watch SIGINT and SIGTERM on a libuv loop in a background thread; when
 * one arrives, *stop is set to 1 (the run ends at the end of the slice).
 * Fails with: SA_EIO, SA_ENOMEM. */
int sa_sigwatch_start(sa_sigwatch **out, volatile int *stop);
/* The signal number caught, or 0. */
int sa_sigwatch_signal(const sa_sigwatch *s);
void sa_sigwatch_stop(sa_sigwatch *s);

#endif
