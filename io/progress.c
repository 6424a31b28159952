/* progress.c: the progress line on stderr, rate-limited by the wall clock
 * and driven by the network's slice observers (no thread of its own).
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sa_view.h"

struct sa_progress {
  FILE *out;
  int tty;
  double interval;   /* s */
  const char *unit;
  double t_start;    /* s, monotonic */
  double t_last;     /* s, last update shown; -inf before the first */
  int finished;
  int shown;         /* something is on the line (tty) */
  /* Last values seen, for the final line. */
  double done, total;
  uint64_t events;
  /* sa_progress_watch */
  sa_net *net;
  sa_tick total_ticks;
};

static double mono_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sa_progress_create(sa_progress **out, const sa_progress_opts *o)
{
  if (out == NULL)
    return SA_EINVAL;
  *out = NULL;
  if (o == NULL || o->out == NULL)
    return SA_EINVAL;
  sa_progress *p = calloc(1, sizeof *p);
  if (p == NULL)
    return SA_ENOMEM;
  p->out = o->out;
  p->tty = o->tty;
  p->interval = o->interval_s > 0 ? o->interval_s : 0.25;
  p->unit = o->unit != NULL ? o->unit : "ms";
  p->t_start = mono_s();
  p->t_last = -INFINITY;
  *out = p;
  return 0;
}

/* "12 345 678": thin groups are easier to read at a glance than a bare
 * count, and a space is unambiguous in every locale. */
static void group_digits(char *buf, size_t n, uint64_t v)
{
  char raw[32];
  int len = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v);
  size_t k = 0;
  for (int i = 0; i < len && k + 2 < n; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      buf[k++] = ' ';
    buf[k++] = raw[i];
  }
  buf[k < n ? k : n - 1] = '\0';
}

static void format_eta(char *buf, size_t n, double s)
{
  if (!isfinite(s) || s < 0) {
    snprintf(buf, n, "?");
  } else if (s < 60) {
    snprintf(buf, n, "%.0f s", ceil(s));
  } else if (s < 3600) {
    long m = (long)(s / 60);
    snprintf(buf, n, "%ld min %02ld s", m, (long)s - 60 * m);
  } else {
    long h = (long)(s / 3600);
    snprintf(buf, n, "%ld h %02ld min", h, (long)(s - 3600.0 * h) / 60);
  }
}

int sa_progress_format(char *buf, size_t n, const char *unit, double done,
                       double total, uint64_t events, double wall_s)
{
  if (unit == NULL)
    unit = "ms";
  double frac = total > 0 ? done / total : 0;
  if (frac > 1)
    frac = 1;
  char ev[40], eta[40];
  group_digits(ev, sizeof ev, events);
  double left = done > 0 && wall_s > 0 ? (total - done) * wall_s / done
                                       : NAN;
  format_eta(eta, sizeof eta, left);
  if (strcmp(unit, "ms") == 0) {
    /* Simulated seconds per wall second: > 1 is faster than real time. */
    double rtf = wall_s > 0 ? done * 1e-3 / wall_s : 0;
    return snprintf(buf, n,
                    "simulated %.2f / %.2f s (%.1f %%)  %.3gx real time  "
                    "%s spikes  ETA %s",
                    done * 1e-3, total * 1e-3, 100 * frac, rtf, ev, eta);
  }
  return snprintf(buf, n, "%s %.0f / %.0f (%.1f %%)  %s spikes  ETA %s",
                  unit, done, total, 100 * frac, ev, eta);
}

static void show(sa_progress *p, double now)
{
  char line[256];
  sa_progress_format(line, sizeof line, p->unit, p->done, p->total,
                     p->events, now - p->t_start);
  if (p->tty) {
    /* Carriage return, the line, then erase whatever a longer previous
     * line left to the right. */
    fprintf(p->out, "\r%s\033[K", line);
    p->shown = 1;
  } else {
    fprintf(p->out, "%s\n", line);
  }
  fflush(p->out);
}

void sa_progress_update(sa_progress *p, double done, double total,
                        uint64_t events)
{
  if (p == NULL || p->finished)
    return;
  p->done = done;
  p->total = total;
  p->events = events;
  double now = mono_s();
  if (now - p->t_last < p->interval)
    return;
  p->t_last = now;
  show(p, now);
}

static void on_slice(void *ud, sa_tick now)
{
  sa_progress *p = ud;
  if (p->finished)
    return;
  /* The clock is read on every slice (a vDSO call, tens of ns); the spike
   * total, a loop over populations, only when a line is due. */
  double t = mono_s();
  if (t - p->t_last < p->interval)
    return;
  uint64_t ev = 0;
  for (int i = 0; i < sa_net_pop_count(p->net); i++)
    ev += sa_net_pop_spikes(p->net, i);
  double dt = sa_net_dt(p->net);
  p->done = (double)now * dt;
  p->total = (double)p->total_ticks * dt;
  p->events = ev;
  p->t_last = t;
  show(p, t);
}

int sa_progress_watch(sa_progress *p, sa_net *net, sa_tick total_ticks)
{
  if (p == NULL || net == NULL)
    return SA_EINVAL;
  p->net = net;
  p->total_ticks = total_ticks;
  /* The first line waits one interval: short runs print nothing. */
  p->t_last = mono_s();
  return sa_net_on_slice(net, on_slice, p);
}

void sa_progress_finish(sa_progress *p)
{
  if (p == NULL || p->finished)
    return;
  p->finished = 1;
  if (p->tty) {
    if (p->shown) {
      fputs("\r\033[K", p->out);
      fflush(p->out);
    }
    return;
  }
  if (p->net != NULL) {
    uint64_t ev = 0;
    for (int i = 0; i < sa_net_pop_count(p->net); i++)
      ev += sa_net_pop_spikes(p->net, i);
    p->done = (double)sa_net_now(p->net) * sa_net_dt(p->net);
    p->total = (double)p->total_ticks * sa_net_dt(p->net);
    p->events = ev;
  }
  /* A log always ends with the final state, even for a short run. */
  show(p, mono_s());
}

void sa_progress_destroy(sa_progress *p)
{
  free(p);
}
