/* sa_view.h: seeing a run: the progress line, the live view server (page,
 * Server-Sent Events, binary AER stream), plots (cairo), and SONATA
 * circuits as input. docs/viewing.md is the user's side of this header.
 * SPDX-License-Identifier: MIT */
#ifndef SA_VIEW_H
#define SA_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sa_sim.h"

/* ---- Progress line --------------------------------------------------- */

typedef struct sa_progress sa_progress;

typedef struct sa_progress_opts {
  FILE *out;          /* keeps; the CLI passes stderr */
  int tty;            /* 1: redraw one line in place; 0: a line per update */
  double interval_s;  /* least wall time between two updates; <= 0: 0.25 */
  const char *unit;   /* what done/total count: "ms" (simulated time; the
                         line then shows the real-time factor), "epoch" ...
                         NULL means "ms". Keeps. */
} sa_progress_opts;

/* Fails with: SA_EINVAL (no output), SA_ENOMEM. */
int sa_progress_create(sa_progress **out, const sa_progress_opts *o);
/* Show done of total (in the unit) and a count of events (spikes) so far;
 * does nothing when the last update is younger than the interval, so it
 * may be called as often as wanted. Never fails. */
void sa_progress_update(sa_progress *p, double done, double total,
                        uint64_t events);
/* Drive the line from a network: a slice observer (sa_net_on_slice)
 * updates it with the simulated time reached, out of total_ticks, and the
 * spikes emitted so far. The progress object must outlive the network's
 * runs (there is no unsubscribe). Fails with: SA_ENOMEM. */
int sa_progress_watch(sa_progress *p, sa_net *net, sa_tick total_ticks);
/* End the line: erase it (tty) or print a last one (not a tty). Further
 * updates are ignored. Never fails. */
void sa_progress_finish(sa_progress *p);
/* NULL is a no-op. */
void sa_progress_destroy(sa_progress *p);
/* The text of one line, without line control: "simulated 1.20 / 10.00 s
 * (12.0 %)  8.4x real time  23 127 spikes  ETA 1 s". Returns the length
 * (like snprintf). Never fails. */
int sa_progress_format(char *buf, size_t n, const char *unit, double done,
                       double total, uint64_t events, double wall_s);

/* ---- Live view: HTTP page + Server-Sent Events, binary AER stream ------ */

typedef struct sa_serve sa_serve;

typedef struct sa_serve_opts {
  const char *http;     /* "HOST:PORT" for / and /events, or NULL. Port 0
                           picks a free port (see sa_serve_http_addr). */
  const char *stream;   /* "tcp://HOST:PORT" for the AER stream, or NULL */
  int allow_public;     /* 0: refuse addresses that are not loopback */
  double frame_ms;      /* least wall time between frames; <= 0: 50 */
  double history_ms;    /* simulated time replayed to a page that connects
                           late; <= 0: 5000 */
} sa_serve_opts;

/* Bind and listen (on the calling thread, so address errors come back
 * here) and start the server's own libuv loop in a thread. The network is
 * borrowed for its population names and sizes only. total_ticks is the
 * run's length, for the progress shown on the page. The caller then
 * registers sa_serve_spikes (sa_net_subscribe) and sa_serve_slice
 * (sa_net_on_slice) with the server as user data; the server must outlive
 * the network's runs. The simulation thread never waits for the server:
 * frames go through a bounded queue and are dropped when it is full, and
 * each client has a bounded backlog beyond which its frames are dropped.
 * Fails with: SA_EINVAL (malformed address, non-loopback address without
 * allow_public, no address at all), SA_EIO (bind/listen failed: in use,
 * not permitted; err says which), SA_ENOMEM. */
int sa_serve_start(sa_serve **out, sa_net *net, sa_tick total_ticks,
                   const sa_serve_opts *o, char *err, size_t errlen);
/* An sa_spike_cb and an sa_slice_cb (user data: the server). They copy
 * the slice's spikes into the current frame and hand a frame over at most
 * every frame_ms of wall time; no system call but the clock, no waiting. */
void sa_serve_spikes(void *srv, int pop, const sa_tick *stamp,
                     const uint32_t *id, size_t n);
void sa_serve_slice(void *srv, sa_tick now);
/* The bound addresses, "127.0.0.1:43121" (the real port when 0 was asked
 * for); NULL when not serving that. Borrowed from the server. */
const char *sa_serve_http_addr(const sa_serve *s);
const char *sa_serve_stream_addr(const sa_serve *s);
/* Tell clients the run is over at tick `now` (the page keeps showing the
 * last window; stream clients get the end record). The server keeps
 * answering (the page, history) until sa_serve_stop. Never fails. */
void sa_serve_end(sa_serve *s, sa_tick now);
/* Block until a stream client has connected (so that it sees the run
 * from its first spike), *stop becomes non-zero, or timeout_s passes
 * (<= 0: no limit). Fails with: SA_EINVAL (no stream), SA_EINTR (stopped
 * or timed out). */
int sa_serve_wait_stream(sa_serve *s, double timeout_s,
                         const volatile int *stop);
/* Spikes the server could not pass on (queue full), and frames dropped for
 * slow clients, so far. Never fails. */
void sa_serve_stats(const sa_serve *s, uint64_t *spikes_dropped,
                    uint64_t *frames_dropped);
/* Close all connections (stream clients get up to a second to receive
 * what is queued), stop the thread, free. NULL is a no-op. */
void sa_serve_stop(sa_serve *s);
/* 1 if the "HOST:PORT" (or "tcp://HOST:PORT") names a loopback address,
 * 0 if another valid address, SA_EINVAL if malformed. */
int sa_serve_addr_is_loopback(const char *addr);

/* ---- Plots ------------------------------------------------------------ */

enum {
  SA_PLOT_RASTER = 0,   /* spikes: time x neuron, per population */
  SA_PLOT_RATES,        /* population rates (Hz) over time */
  SA_PLOT_WEIGHTS,      /* weight reports: distribution over time */
  SA_PLOT_ALIGNMENT,    /* alignment metrics over time */
  SA_PLOT_CURVES        /* learning results: accuracy and weight angle
                           per epoch and algorithm, mean over seeds */
};

typedef struct sa_plot_opts {
  int kind;                /* SA_PLOT_* */
  const char *population;  /* raster/rates: one population; weights and
                              alignment: one projection; curves: one
                              algorithm; NULL: all */
  double from_ms, to_ms;   /* time window; NaN: the file's extent */
  int width, height;       /* pixels (PNG) or points (SVG); 0: 900 x 560 */
  const char *title;       /* NULL: a title naming the file */
} sa_plot_opts;

/* The SA_PLOT_* of "raster", "rates", "weights", "alignment", "curves";
 * -1 if none. */
int sa_plot_kind(const char *name);
/* Render one figure of the file `in` to `out`; the format follows the
 * extension (.png or .svg). Borrows everything. Fails with: SA_EINVAL
 * (unknown extension or kind, empty time window, a time window for
 * curves, curves of a file that is not a learning results file or whose
 * runs are malformed), SA_ENOENT (missing file, population, projection
 * or algorithm; a file without weight reports, alignment metrics or
 * finished epochs: err names it), SA_EIO (HDF5, cairo or the output
 * file), SA_ENOMEM. */
int sa_plot(const char *in, const char *out, const sa_plot_opts *o,
            char *err, size_t errlen);

/* ---- SONATA circuits in ------------------------------------------------ */

typedef struct sa_sonata sa_sonata;

/* 1 if path is a JSON object with a SONATA circuit or simulation config's
 * keys ("networks", "manifest", "network", or "run" without
 * "populations"), else 0 (also when unreadable: the network-file loader
 * then reports why). Never fails. */
int sa_sonata_detect(const char *path);
/* Read the config (and the circuit config it names), resolve the manifest
 * and component folders, read node/edge type CSVs and check that every
 * feature used is supported. Fails with: SA_ENOENT (a missing file),
 * SA_EINVAL (malformed config or CSV), SA_ENOTSUP (a feature synalign
 * does not implement: err names it), SA_ENOMEM. */
int sa_sonata_load(sa_sonata **out, const char *path, char *err,
                   size_t errlen);
/* Build the network from the nodes and edges files: one population per
 * SONATA node population (same name, same node ids), one projection per
 * edge population and target/source pair. Fails with: those of
 * sa_sonata_load, SA_EIO (HDF5). */
int sa_sonata_build(const sa_sonata *s, uint64_t seed, sa_net **out,
                    char *err, size_t errlen);
double sa_sonata_dt(const sa_sonata *s);        /* ms; 0.1 if not given */
double sa_sonata_duration(const sa_sonata *s);  /* ms; 0 if not given */
uint64_t sa_sonata_seed(const sa_sonata *s);    /* 1 if not given */
/* The populations to record: every non-virtual node population. */
size_t sa_sonata_record_count(const sa_sonata *s);
const char *sa_sonata_record_name(const sa_sonata *s, size_t i);
const char *sa_sonata_text(const sa_sonata *s); /* the config file's text */
const char *sa_sonata_path(const sa_sonata *s);
/* NULL is a no-op. */
void sa_sonata_destroy(sa_sonata *s);

#endif
