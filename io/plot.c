/* plot.c: figures of spike files, weight reports, alignment metrics and
 * learning curves, drawn with cairo into PNG or SVG.
 * SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>
#include <cairo-svg.h>
#include <hdf5.h>

#include "sa_io.h"
#include "sa_view.h"

enum {
  DOT_LIMIT = 30000,    /* more spikes in view: density shading */
  MAX_PANELS = 6,
  MAX_ROWS = 800,       /* report frames drawn; more are subsampled */
  FINE_BINS = 1024,     /* weight histogram for percentiles */
  SHADE_BINS = 100      /* weight histogram drawn */
};

/* ---- small helpers ------------------------------------------------------ */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
  if (err == NULL || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

typedef struct rgb {
  double r, g, b;
} rgb;

/* The live page's colours: distinct for the common colour-vision
 * deficiencies, and in the same order, so a population keeps its colour. */
static rgb color(int i)
{
  static const unsigned hex[] = {0x3b6fd8, 0xd8553b, 0x2a9d6f, 0x9b59b6,
                                 0xc9a227, 0x17a2b8, 0xe67e22, 0x7f8c8d};
  unsigned h = hex[i % 8];
  rgb c = {((h >> 16) & 255) / 255.0, ((h >> 8) & 255) / 255.0,
           (h & 255) / 255.0};
  return c;
}

static const char *base_name(const char *path)
{
  const char *s = strrchr(path, '/');
  return s != NULL ? s + 1 : path;
}

int sa_plot_kind(const char *name)
{
  static const char *const kinds[] = {"raster", "rates", "weights",
                                      "alignment", "curves"};
  for (int i = 0; name != NULL && i < 5; i++)
    if (strcmp(name, kinds[i]) == 0)
      return i;
  return -1;
}

/* ---- figure ------------------------------------------------------------- */

typedef struct fig {
  cairo_surface_t *s;
  cairo_t *cr;
  int svg;
  double w, h;
  const char *out;
} fig;

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  if (n < m)
    return 0;
  for (size_t i = 0; i < m; i++)
    if (tolower((unsigned char)s[n - m + i]) != suffix[i])
      return 0;
  return 1;
}

static int fig_open(fig *f, const char *out, int w, int h, char *err,
                    size_t errlen)
{
  memset(f, 0, sizeof *f);
  f->out = out;
  f->w = w > 0 ? w : 900;
  f->h = h > 0 ? h : 560;
  if (ends_with(out, ".svg")) {
    f->svg = 1;
    f->s = cairo_svg_surface_create(out, f->w, f->h);
  } else if (ends_with(out, ".png")) {
    f->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)f->w,
                                      (int)f->h);
  } else {
    set_err(err, errlen, "%s: the output must end in .png or .svg", out);
    return SA_EINVAL;
  }
  if (cairo_surface_status(f->s) != CAIRO_STATUS_SUCCESS) {
    cairo_status_t st = cairo_surface_status(f->s);
    set_err(err, errlen, "%s: cannot create the figure: %s", out,
            f->svg && errno ? strerror(errno) : cairo_status_to_string(st));
    cairo_surface_destroy(f->s);
    f->s = NULL;
    return SA_EIO;
  }
  f->cr = cairo_create(f->s);
  cairo_set_source_rgb(f->cr, 1, 1, 1);
  cairo_paint(f->cr);
  cairo_select_font_face(f->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_NORMAL);
  return 0;
}

/* Write and free. An SVG is written as it is drawn; finishing flushes it. */
static int fig_close(fig *f, int keep, char *err, size_t errlen)
{
  int rc = 0;
  if (f->cr != NULL) {
    if (keep && cairo_status(f->cr) != CAIRO_STATUS_SUCCESS) {
      set_err(err, errlen, "%s: drawing failed: %s", f->out,
              cairo_status_to_string(cairo_status(f->cr)));
      rc = SA_EIO;
    }
    cairo_destroy(f->cr);
  }
  if (f->s != NULL) {
    if (keep && rc == 0 && !f->svg) {
      cairo_status_t st = cairo_surface_write_to_png(f->s, f->out);
      if (st != CAIRO_STATUS_SUCCESS) {
        set_err(err, errlen, "%s: cannot write the PNG: %s", f->out,
                cairo_status_to_string(st));
        rc = SA_EIO;
      }
    }
    cairo_surface_finish(f->s);
    if (keep && rc == 0 && cairo_surface_status(f->s) != CAIRO_STATUS_SUCCESS) {
      set_err(err, errlen, "%s: cannot write the SVG: %s", f->out,
              cairo_status_to_string(cairo_surface_status(f->s)));
      rc = SA_EIO;
    }
    cairo_surface_destroy(f->s);
  }
  if (!keep || rc != 0)
    remove(f->out);   /* no half-drawn figure left behind */
  memset(f, 0, sizeof *f);
  return rc;
}

/* Text anchored at (x, y): ha/va 0 = left/top, 0.5 = centre, 1 =
 * right/bottom; rotated by angle (radians) around the anchor. */
static void text(fig *f, double x, double y, const char *s, double size,
                 double ha, double va, double angle)
{
  cairo_t *cr = f->cr;
  cairo_save(cr);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  double h = fe.ascent * 0.75;   /* cap height, roughly */
  cairo_move_to(cr, -ha * e.x_advance, -va * h + h);
  cairo_show_text(cr, s);
  cairo_restore(cr);
}

static double text_width(fig *f, const char *s, double size)
{
  cairo_save(f->cr);
  cairo_set_font_size(f->cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(f->cr, s, &e);
  cairo_restore(f->cr);
  return e.x_advance;
}

static void set_rgb(fig *f, rgb c, double a)
{
  cairo_set_source_rgba(f->cr, c.r, c.g, c.b, a);
}

static void set_gray(fig *f, double v)
{
  cairo_set_source_rgb(f->cr, v, v, v);
}

/* ---- axes --------------------------------------------------------------- */

typedef struct axes {
  double x0, y0, x1, y1;       /* plot area, figure units; y0 is the top */
  double xlo, xhi, ylo, yhi;   /* data range */
} axes;

static double ax_x(const axes *a, double v)
{
  return a->x0 + (v - a->xlo) / (a->xhi - a->xlo) * (a->x1 - a->x0);
}

static double ax_y(const axes *a, double v)
{
  return a->y1 - (v - a->ylo) / (a->yhi - a->ylo) * (a->y1 - a->y0);
}

/* 1, 2 or 5 times a power of ten, giving at most about n ticks. */
static double nice_step(double span, int n)
{
  if (!(span > 0) || !isfinite(span))
    return 1;
  double raw = span / n, p = pow(10, floor(log10(raw)));
  double m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void fmt_tick(char *buf, size_t n, double v, double step)
{
  int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  if (dec > 6)
    dec = 6;
  if (fabs(v) < step * 1e-6)
    v = 0;   /* no "-0" */
  snprintf(buf, n, "%.*f", dec, v);
}

/* Give a range some room and round it outwards to ticks. */
static void nice_range(double *lo, double *hi, int n, int from_zero)
{
  if (!isfinite(*lo) || !isfinite(*hi)) {
    *lo = 0, *hi = 1;
    return;
  }
  if (from_zero && *lo > 0)
    *lo = 0;
  if (*hi - *lo < 1e-12 * (fabs(*hi) + 1)) {
    double d = fabs(*hi) > 0 ? fabs(*hi) * 0.1 : 1;
    *lo -= d, *hi += d;
  }
  double pad = (*hi - *lo) * 0.04;
  if (!(from_zero && *lo == 0))
    *lo -= pad;
  *hi += pad;
  /* Round outwards to a finer step than the ticks': the data fill the
   * axis, and tick labels still fall on round values. */
  double st = nice_step(*hi - *lo, 2 * n);
  *lo = floor(*lo / st) * st;
  *hi = ceil(*hi / st) * st;
}

enum { AX_XTICKS = 1, AX_XLABEL = 2, AX_YTICKS = 4, AX_XINT = 8 };

static void draw_axes(fig *f, const axes *a, const char *xlabel,
                      const char *ylabel, int flags)
{
  cairo_t *cr = f->cr;
  char buf[64];
  cairo_set_line_width(cr, 1);
  /* Light grid at the y ticks, then the frame. */
  if (flags & AX_YTICKS) {
    double st = nice_step(a->yhi - a->ylo, 5);
    for (double v = ceil(a->ylo / st - 1e-9) * st; v <= a->yhi + st * 1e-9;
         v += st) {
      double y = ax_y(a, v);
      cairo_set_source_rgba(cr, 0, 0, 0, 0.08);
      cairo_move_to(cr, a->x0, y);
      cairo_line_to(cr, a->x1, y);
      cairo_stroke(cr);
      set_gray(f, 0.2);
      cairo_move_to(cr, a->x0 - 5, y);
      cairo_line_to(cr, a->x0, y);
      cairo_stroke(cr);
      fmt_tick(buf, sizeof buf, v, st);
      text(f, a->x0 - 8, y, buf, 11, 1, 0.5, 0);
    }
  }
  double xst = nice_step(a->xhi - a->xlo, 8);
  if ((flags & AX_XINT) && xst < 1)
    xst = 1;   /* epochs: no tick between two */
  set_gray(f, 0.2);
  for (double v = ceil(a->xlo / xst - 1e-9) * xst; v <= a->xhi + xst * 1e-9;
       v += xst) {
    double x = ax_x(a, v);
    cairo_move_to(cr, x, a->y1);
    cairo_line_to(cr, x, a->y1 + 5);
    cairo_stroke(cr);
    if (flags & AX_XTICKS) {
      fmt_tick(buf, sizeof buf, v, xst);
      text(f, x, a->y1 + 8, buf, 11, 0.5, 0, 0);
    }
  }
  set_gray(f, 0.2);
  cairo_rectangle(cr, a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0);
  cairo_stroke(cr);
  if ((flags & AX_XLABEL) && xlabel != NULL)
    text(f, (a->x0 + a->x1) / 2, a->y1 + 28, xlabel, 12, 0.5, 0, 0);
  if (ylabel != NULL)
    text(f, a->x0 - 52, (a->y0 + a->y1) / 2, ylabel, 12, 0.5, 0.5,
         -M_PI / 2);
}

typedef struct entry {
  char label[160];
  rgb c;
  int style;   /* 0 line, 1 square, 2 dashed line, 3 light band */
} entry;

/* A legend box in the top-right corner of the plot area. */
static void legend(fig *f, const axes *a, const entry *e, int n)
{
  if (n == 0)
    return;
  cairo_t *cr = f->cr;
  double w = 0;
  for (int i = 0; i < n; i++) {
    double tw = text_width(f, e[i].label, 11);
    if (tw > w)
      w = tw;
  }
  double bw = w + 40, bh = 8 + 17 * n;
  double x = a->x1 - bw - 8, y = a->y0 + 8;
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, x, y, bw, bh);
  cairo_fill_preserve(cr);
  cairo_set_source_rgba(cr, 0, 0, 0, 0.25);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (int i = 0; i < n; i++) {
    double yy = y + 12 + 17 * i;
    set_rgb(f, e[i].c, 1);
    if (e[i].style == 1) {
      cairo_rectangle(cr, x + 8, yy - 5, 14, 10);
      cairo_fill(cr);
    } else if (e[i].style == 3) {
      set_rgb(f, e[i].c, 0.3);
      cairo_rectangle(cr, x + 8, yy - 5, 18, 10);
      cairo_fill(cr);
    } else {
      double dash[] = {4, 3};
      cairo_set_dash(cr, dash, e[i].style == 2 ? 2 : 0, 0);
      cairo_set_line_width(cr, 2);
      cairo_move_to(cr, x + 8, yy);
      cairo_line_to(cr, x + 26, yy);
      cairo_stroke(cr);
      cairo_set_dash(cr, NULL, 0, 0);
    }
    set_gray(f, 0.1);
    text(f, x + 32, yy, e[i].label, 11, 0, 0.5, 0);
  }
}

static void title(fig *f, const char *s)
{
  set_gray(f, 0.05);
  cairo_select_font_face(f->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_BOLD);
  text(f, f->w / 2, 14, s, 14, 0.5, 0, 0);
  cairo_select_font_face(f->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_NORMAL);
}

static void note(fig *f, const char *s)
{
  set_gray(f, 0.4);
  text(f, 10, f->h - 8, s, 10, 0, 1, 0);
}

/* ---- spikes: raster and rates ------------------------------------------- */

typedef struct spop {
  const char *name;
  int index;       /* in the file: its colour, whatever is selected */
  uint64_t n_nodes;
  double *t;
  uint64_t *id;
  size_t n;        /* spikes read */
  size_t in_view;
} spop;

typedef struct spikes {
  sa_spikefile info;
  spop *pops;
  int n;
  double from, to, dt;
} spikes;

static void spikes_free(spikes *s)
{
  for (int i = 0; i < s->n; i++) {
    free(s->pops[i].t);
    free(s->pops[i].id);
  }
  free(s->pops);
  sa_spikefile_free(&s->info);
}

static int spikes_load(spikes *s, const char *in, const sa_plot_opts *o,
                       char *err, size_t errlen)
{
  memset(s, 0, sizeof *s);
  int rc = sa_spikefile_info(in, &s->info, err, errlen);
  if (rc)
    return rc;
  s->pops = calloc((size_t)s->info.n_pops + 1, sizeof *s->pops);
  if (s->pops == NULL) {
    set_err(err, errlen, "%s: out of memory", in);
    return SA_ENOMEM;
  }
  double tmin = INFINITY, tmax = -INFINITY;
  for (int i = 0; i < s->info.n_pops; i++) {
    sa_spikefile_pop *p = &s->info.pops[i];
    if (o->population != NULL && strcmp(o->population, p->name) != 0)
      continue;
    spop *sp = &s->pops[s->n++];
    sp->name = p->name;
    sp->index = i;
    sp->n_nodes = p->n_nodes;
    rc = sa_spikefile_read(in, p->name, &sp->t, &sp->id, &sp->n, err, errlen);
    if (rc)
      return rc;
    for (size_t k = 0; k < sp->n; k++) {
      if (sp->t[k] < tmin)
        tmin = sp->t[k];
      if (sp->t[k] > tmax)
        tmax = sp->t[k];
      if (sp->id[k] + 1 > sp->n_nodes)
        sp->n_nodes = sp->id[k] + 1;   /* foreign files may not say */
    }
    if (sp->n_nodes == 0)
      sp->n_nodes = 1;
  }
  if (s->n == 0) {
    if (o->population != NULL) {
      char have[512] = "";
      for (int i = 0; i < s->info.n_pops; i++) {
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%s", i ? ", " : "",
                 s->info.pops[i].name);
      }
      set_err(err, errlen, "%s: no population '%s' (the file has: %s)", in,
              o->population, s->info.n_pops ? have : "none");
    } else {
      set_err(err, errlen, "%s: no spike populations", in);
    }
    return SA_ENOENT;
  }
  s->dt = s->info.dt > 0 ? s->info.dt : 0.1;
  /* Our files know the run's span; foreign ones give the spikes'. */
  double lo = s->info.tstop > 0 ? 0 : (isfinite(tmin) ? tmin : 0);
  double hi = s->info.tstop > 0 ? s->info.tstop
                                : (isfinite(tmax) ? tmax + s->dt : 1);
  s->from = isnan(o->from_ms) ? lo : o->from_ms;
  s->to = isnan(o->to_ms) ? hi : o->to_ms;
  if (!(s->to > s->from)) {
    set_err(err, errlen, "%s: empty time window (%g to %g ms)", in, s->from,
            s->to);
    return SA_EINVAL;
  }
  return 0;
}

static int plot_raster(fig *f, spikes *s, const char *ttl)
{
  axes a = {80, 40, f->w - 20, f->h - 58, s->from, s->to, 0, 0};
  uint64_t total_nodes = 0;
  size_t in_view = 0;
  for (int i = 0; i < s->n; i++) {
    spop *p = &s->pops[i];
    total_nodes += p->n_nodes;
    p->in_view = 0;
    for (size_t k = 0; k < p->n; k++)
      p->in_view += p->t[k] >= s->from && p->t[k] <= s->to;
    in_view += p->in_view;
  }
  a.yhi = (double)total_nodes;
  title(f, ttl);
  int pw = (int)(a.x1 - a.x0), ph = (int)(a.y1 - a.y0);
  int density = in_view > DOT_LIMIT;
  uint64_t off = 0;
  if (!density) {
    /* Dots: one small square per spike, at least a pixel tall. */
    double dh = (a.y1 - a.y0) / (double)total_nodes;
    double sz = dh < 1.2 ? 1.2 : dh > 3 ? 3 : dh;
    for (int i = 0; i < s->n; i++) {
      spop *p = &s->pops[i];
      set_rgb(f, color(p->index), 0.9);
      for (size_t k = 0; k < p->n; k++) {
        if (p->t[k] < s->from || p->t[k] > s->to)
          continue;
        double x = ax_x(&a, p->t[k]);
        double y = ax_y(&a, (double)(off + p->id[k]) + 0.5);
        cairo_rectangle(f->cr, x - sz / 2, y - sz / 2, sz, sz);
      }
      cairo_fill(f->cr);
      off += p->n_nodes;
    }
  } else {
    /* Density: spikes per pixel, shaded on a log scale, one colour per
     * population band (bands never overlap). */
    uint32_t *cnt = calloc((size_t)pw * ph, sizeof *cnt);
    int8_t *who = calloc((size_t)pw * ph, 1);
    cairo_surface_t *img =
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
    if (cnt == NULL || who == NULL ||
        cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
      cairo_surface_destroy(img);
      free(cnt);
      free(who);
      return SA_ENOMEM;
    }
    {
      uint32_t cmax = 1;
      for (int i = 0; i < s->n; i++) {
        spop *p = &s->pops[i];
        for (size_t k = 0; k < p->n; k++) {
          if (p->t[k] < s->from || p->t[k] > s->to)
            continue;
          int x = (int)((p->t[k] - s->from) / (s->to - s->from) * pw);
          int y = ph - 1 - (int)((double)(off + p->id[k]) /
                                 (double)total_nodes * ph);
          x = x < 0 ? 0 : x >= pw ? pw - 1 : x;
          y = y < 0 ? 0 : y >= ph ? ph - 1 : y;
          size_t c = (size_t)y * pw + x;
          if (++cnt[c] > cmax)
            cmax = cnt[c];
          who[c] = (int8_t)(p->index % 8);
        }
        off += p->n_nodes;
      }
      cairo_surface_flush(img);
      unsigned char *px = cairo_image_surface_get_data(img);
      int stride = cairo_image_surface_get_stride(img);
      double lmax = log1p((double)cmax);
      for (int y = 0; y < ph; y++) {
        uint32_t *row = (uint32_t *)(px + (size_t)y * stride);
        for (int x = 0; x < pw; x++) {
          uint32_t c = cnt[(size_t)y * pw + x];
          if (c == 0) {
            row[x] = 0;
            continue;
          }
          double al = 0.3 + 0.7 * log1p((double)c) / lmax;
          rgb col = color(who[(size_t)y * pw + x]);
          /* ARGB32 is premultiplied. */
          uint32_t A = (uint32_t)lround(255 * al);
          uint32_t R = (uint32_t)lround(255 * col.r * al);
          uint32_t G = (uint32_t)lround(255 * col.g * al);
          uint32_t B = (uint32_t)lround(255 * col.b * al);
          row[x] = A << 24 | R << 16 | G << 8 | B;
        }
      }
      cairo_surface_mark_dirty(img);
      cairo_save(f->cr);
      cairo_set_source_surface(f->cr, img, a.x0, a.y0);
      cairo_pattern_set_filter(cairo_get_source(f->cr), CAIRO_FILTER_NEAREST);
      cairo_paint(f->cr);
      cairo_restore(f->cr);
    }
    cairo_surface_destroy(img);
    free(cnt);
    free(who);
  }
  /* Separators between population bands. */
  off = 0;
  cairo_set_line_width(f->cr, 1);
  for (int i = 0; i + 1 < s->n; i++) {
    off += s->pops[i].n_nodes;
    double y = ax_y(&a, (double)off);
    cairo_set_source_rgba(f->cr, 0, 0, 0, 0.3);
    cairo_move_to(f->cr, a.x0, y);
    cairo_line_to(f->cr, a.x1, y);
    cairo_stroke(f->cr);
  }
  draw_axes(f, &a, "time (ms)", "neuron (stacked by population)",
            AX_XTICKS | AX_XLABEL | AX_YTICKS);
  entry e[8];
  int ne = 0;
  double span_s = (s->to - s->from) * 1e-3;
  for (int i = 0; i < s->n && ne < 8; i++) {
    spop *p = &s->pops[i];
    snprintf(e[ne].label, sizeof e[ne].label, "%s: %zu spikes, %.2f Hz",
             p->name, p->in_view,
             (double)p->in_view / (double)p->n_nodes / span_s);
    e[ne].c = color(p->index);
    e[ne].style = 1;
    ne++;
  }
  legend(f, &a, e, ne);
  char buf[160];
  snprintf(buf, sizeof buf, density
           ? "%zu spikes; shading: spikes per pixel, log scale"
           : "%zu spikes, one dot each", in_view);
  note(f, buf);
  return 0;
}

static int plot_rates(fig *f, spikes *s, const char *ttl)
{
  /* Bins: a round width giving about 200 across the window, at least one
   * tick of the simulation. */
  double bw = nice_step(s->to - s->from, 200);
  if (bw < s->dt)
    bw = s->dt;
  int nb = (int)ceil((s->to - s->from) / bw);
  if (nb < 1)
    nb = 1;
  double *rate = calloc((size_t)nb * s->n, sizeof *rate);
  if (rate == NULL)
    return SA_ENOMEM;
  double top = 0;
  for (int i = 0; i < s->n; i++) {
    spop *p = &s->pops[i];
    double *r = rate + (size_t)i * nb;
    for (size_t k = 0; k < p->n; k++) {
      if (p->t[k] < s->from || p->t[k] > s->to)
        continue;
      int b = (int)((p->t[k] - s->from) / bw);
      r[b >= nb ? nb - 1 : b] += 1;
    }
    for (int b = 0; b < nb; b++) {
      double w = b == nb - 1 ? (s->to - s->from) - bw * (nb - 1) : bw;
      r[b] /= (double)p->n_nodes * (w > 0 ? w : bw) * 1e-3;
      if (r[b] > top)
        top = r[b];
    }
  }
  axes a = {80, 40, f->w - 20, f->h - 58, s->from, s->to, 0, top};
  nice_range(&a.ylo, &a.yhi, 5, 1);
  title(f, ttl);
  cairo_save(f->cr);
  cairo_rectangle(f->cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
  cairo_clip(f->cr);
  cairo_set_line_width(f->cr, 1.5);
  cairo_set_line_join(f->cr, CAIRO_LINE_JOIN_ROUND);
  for (int i = 0; i < s->n; i++) {
    double *r = rate + (size_t)i * nb;
    set_rgb(f, color(s->pops[i].index), 1);
    for (int b = 0; b < nb; b++) {
      /* Steps: a bin's rate holds over the whole bin. */
      double x0 = ax_x(&a, s->from + b * bw);
      double x1 = ax_x(&a, fmin(s->to, s->from + (b + 1) * bw));
      double y = ax_y(&a, r[b]);
      if (b == 0)
        cairo_move_to(f->cr, x0, y);
      else
        cairo_line_to(f->cr, x0, y);
      cairo_line_to(f->cr, x1, y);
    }
    cairo_stroke(f->cr);
  }
  cairo_restore(f->cr);
  draw_axes(f, &a, "time (ms)", "rate (Hz)",
            AX_XTICKS | AX_XLABEL | AX_YTICKS);
  entry e[8];
  int ne = 0;
  double span_s = (s->to - s->from) * 1e-3;
  for (int i = 0; i < s->n && ne < 8; i++) {
    spop *p = &s->pops[i];
    size_t cnt = 0;
    for (size_t k = 0; k < p->n; k++)
      cnt += p->t[k] >= s->from && p->t[k] <= s->to;
    snprintf(e[ne].label, sizeof e[ne].label, "%s (mean %.2f Hz)", p->name,
             (double)cnt / (double)p->n_nodes / span_s);
    e[ne].c = color(p->index);
    e[ne].style = 0;
    ne++;
  }
  legend(f, &a, e, ne);
  char buf[96];
  snprintf(buf, sizeof buf, "bins of %g ms; rate = spikes / (neurons x bin)",
           bw);
  note(f, buf);
  free(rate);
  return 0;
}

/* ---- HDF5 series: weight reports and alignment metrics ------------------ */

typedef struct series {
  char name[128];      /* report / projection, or projection/rule */
  char units[32];
  hid_t data;          /* float [T x M] or [T] */
  hsize_t T, M;
  double *t;           /* T times, ms */
  char **cols;         /* M metric names (alignment) */
} series;

typedef struct serlist {
  series *s;
  int n, cap;
  const char *filter;
  int depth_ok;        /* 1: alignment (nested groups) */
} serlist;

static void serlist_free(serlist *l)
{
  for (int i = 0; i < l->n; i++) {
    series *s = &l->s[i];
    if (s->data >= 0)
      H5Dclose(s->data);
    free(s->t);
    if (s->cols != NULL)
      for (hsize_t k = 0; k < s->M; k++)
        free(s->cols[k]);
    free(s->cols);
  }
  free(l->s);
}

/* A string attribute (fixed or variable) into buf; 0 on success. String
 * memory types take the file's character set throughout: HDF5 does not
 * convert UTF-8 (what h5py and our writer use) to ASCII. */
static int attr_text(hid_t loc, const char *name, char *buf, size_t n)
{
  buf[0] = '\0';
  if (H5Aexists(loc, name) <= 0)
    return -1;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0)
    return -1;
  hid_t t = H5Aget_type(a);
  int rc = -1;
  if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
    if (H5Tis_variable_str(t) > 0) {
      char *v = NULL;
      hid_t mt = H5Tcopy(H5T_C_S1);
      H5Tset_cset(mt, H5Tget_cset(t));
      H5Tset_size(mt, H5T_VARIABLE);
      if (H5Aread(a, mt, &v) >= 0 && v != NULL) {
        snprintf(buf, n, "%s", v);
        H5free_memory(v);
        rc = 0;
      }
      H5Tclose(mt);
    } else {
      size_t sz = H5Tget_size(t);
      char *v = calloc(sz + 1, 1);
      hid_t mt = H5Tcopy(H5T_C_S1);
      H5Tset_cset(mt, H5Tget_cset(t));
      H5Tset_size(mt, sz + 1);
      if (v != NULL && H5Aread(a, mt, v) >= 0) {
        snprintf(buf, n, "%s", v);
        rc = 0;
      }
      H5Tclose(mt);
      free(v);
    }
  }
  if (t >= 0)
    H5Tclose(t);
  H5Aclose(a);
  return rc;
}

/* A 1-D string array (dataset or attribute) of m entries into names. */
static int read_names(hid_t obj, int is_attr, hsize_t m, char **names)
{
  hid_t sp = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
  hid_t t = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
  int rc = -1;
  hssize_t len = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  if (t >= 0 && H5Tget_class(t) == H5T_STRING && len == (hssize_t)m) {
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mt, H5Tget_cset(t));
    H5Tset_size(mt, H5T_VARIABLE);
    char **v = calloc(m + 1, sizeof *v);
    if (v != NULL) {
      herr_t r;
      if (H5Tis_variable_str(t) > 0) {
        r = is_attr ? H5Aread(obj, mt, v) : H5Dread(obj, mt, H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, v);
      } else {
        /* Fixed-size strings: read raw and split. */
        size_t sz = H5Tget_size(t);
        char *raw = calloc(m, sz + 1);
        hid_t ft = H5Tcopy(H5T_C_S1);
        H5Tset_cset(ft, H5Tget_cset(t));
        H5Tset_size(ft, sz + 1);
        r = raw != NULL ? (is_attr ? H5Aread(obj, ft, raw)
                                   : H5Dread(obj, ft, H5S_ALL, H5S_ALL,
                                             H5P_DEFAULT, raw))
                        : -1;
        for (hsize_t k = 0; r >= 0 && k < m; k++) {
          size_t l = strnlen(raw + k * (sz + 1), sz + 1);
          v[k] = malloc(l + 1);
          if (v[k] != NULL) {
            memcpy(v[k], raw + k * (sz + 1), l);
            v[k][l] = '\0';
          }
        }
        H5Tclose(ft);
        free(raw);
      }
      if (r >= 0) {
        for (hsize_t k = 0; k < m; k++) {
          names[k] = v[k] != NULL ? strdup(v[k]) : NULL;
          if (H5Tis_variable_str(t) > 0)
            H5free_memory(v[k]);
          else
            free(v[k]);
        }
        rc = 0;
      }
      free(v);
    }
    H5Tclose(mt);
  }
  if (t >= 0)
    H5Tclose(t);
  if (sp >= 0)
    H5Sclose(sp);
  return rc;
}

/* Metric names of an alignment series: an attribute "metrics" (string
 * array, or one string with commas) on data or its group, or a dataset
 * mapping/metrics; else "metric 1" ... */
static int series_cols(hid_t g, series *s)
{
  s->cols = calloc(s->M, sizeof *s->cols);
  if (s->cols == NULL)
    return -1;
  int ok = 0;
  const char *attrs[] = {"metrics", "columns", "names"};
  hid_t locs[2] = {s->data, g};
  for (int li = 0; li < 2 && !ok; li++)
    for (int ai = 0; ai < 3 && !ok; ai++) {
      if (H5Aexists(locs[li], attrs[ai]) <= 0)
        continue;
      hid_t a = H5Aopen(locs[li], attrs[ai], H5P_DEFAULT);
      if (a < 0)
        continue;
      ok = read_names(a, 1, s->M, s->cols) == 0;
      if (!ok) {
        char one[512];
        H5Aclose(a);
        if (attr_text(locs[li], attrs[ai], one, sizeof one) == 0) {
          /* "r,sign_agreement,angle" */
          char *save = NULL, *tok = strtok_r(one, ",", &save);
          hsize_t k = 0;
          while (tok != NULL && k < s->M) {
            while (*tok == ' ')
              tok++;
            s->cols[k++] = strdup(tok);
            tok = strtok_r(NULL, ",", &save);
          }
          ok = k == s->M && tok == NULL;
        }
      } else {
        H5Aclose(a);
      }
    }
  if (!ok && H5Lexists(g, "mapping", H5P_DEFAULT) > 0 &&
      H5Lexists(g, "mapping/metrics", H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(g, "mapping/metrics", H5P_DEFAULT);
    if (d >= 0) {
      ok = read_names(d, 0, s->M, s->cols) == 0;
      H5Dclose(d);
    }
  }
  for (hsize_t k = 0; k < s->M; k++) {
    if (!ok || s->cols[k] == NULL) {
      free(s->cols[k]);
      char buf[32];
      snprintf(buf, sizeof buf, s->M == 1 ? "value" : "metric %llu",
               (unsigned long long)k + 1);
      s->cols[k] = strdup(buf);
      if (s->cols[k] == NULL)
        return -1;   /* names that failed above got here too */
    }
  }
  return 0;
}

/* Frame times: mapping/times (each frame's exact time) if it has T
 * entries, else mapping/time = (start, stop, step). */
static int series_times(hid_t g, series *s)
{
  s->t = malloc((s->T > 0 ? s->T : 1) * sizeof *s->t);
  if (s->t == NULL)
    return SA_ENOMEM;
  int done = 0;
  if (H5Lexists(g, "mapping", H5P_DEFAULT) > 0 &&
      H5Lexists(g, "mapping/times", H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(g, "mapping/times", H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (n >= (hssize_t)s->T && s->T > 0) {
      hsize_t start = 0, count = s->T;
      hid_t ms = H5Screate_simple(1, &count, NULL);
      done = H5Sselect_hyperslab(sp, H5S_SELECT_SET, &start, NULL, &count,
                                 NULL) >= 0 &&
             H5Dread(d, H5T_NATIVE_DOUBLE, ms, sp, H5P_DEFAULT, s->t) >= 0;
      H5Sclose(ms);
    }
    if (sp >= 0)
      H5Sclose(sp);
    if (d >= 0)
      H5Dclose(d);
  }
  if (!done) {
    double t3[3] = {0, 0, 1};
    hid_t d = -1;
    if (H5Lexists(g, "mapping", H5P_DEFAULT) > 0 &&
        H5Lexists(g, "mapping/time", H5P_DEFAULT) > 0)
      d = H5Dopen2(g, "mapping/time", H5P_DEFAULT);
    if (d < 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                         t3) < 0) {
      if (d >= 0)
        H5Dclose(d);
      return SA_EIO;
    }
    H5Dclose(d);
    double step = t3[2] > 0 ? t3[2] : 1;
    for (hsize_t i = 0; i < s->T; i++)
      s->t[i] = t3[0] + (double)i * step;
  }
  return 0;
}

/* Iteration over /report (depth 1) or /metrics/alignment (any depth). */
typedef struct walk {
  serlist *l;
  char prefix[128];
  int oom;
} walk;

static void visit_all(hid_t g, walk *w);

static void visit_group(hid_t parent, const char *name, walk *w)
{
  hid_t g = H5Gopen2(parent, name, H5P_DEFAULT);
  if (g < 0)
    return;
  char path[128];
  if ((size_t)snprintf(path, sizeof path, "%s%s%s", w->prefix,
                       w->prefix[0] ? "/" : "", name) >= sizeof path) {
    H5Gclose(g);
    return;   /* nesting deeper than any name we would print */
  }
  serlist *l = w->l;
  int is_series = H5Lexists(g, "data", H5P_DEFAULT) > 0;
  hid_t d = is_series ? H5Dopen2(g, "data", H5P_DEFAULT) : -1;
  if (d >= 0) {
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[2] = {0, 1};
    if (rank == 1 || rank == 2)
      H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0)
      H5Sclose(sp);
    const char *top = path;
    size_t toplen = strcspn(path, "/");
    int match = l->filter == NULL || (strlen(l->filter) == toplen &&
                                      strncmp(l->filter, top, toplen) == 0);
    if ((rank == 1 || rank == 2) && match) {
      if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        series *ns = realloc(l->s, (size_t)cap * sizeof *ns);
        if (ns == NULL) {
          w->oom = 1;
          H5Dclose(d);
          H5Gclose(g);
          return;
        }
        l->s = ns;
        l->cap = cap;
      }
      series *s = &l->s[l->n++];
      memset(s, 0, sizeof *s);
      snprintf(s->name, sizeof s->name, "%s", path);
      s->data = d;
      d = -1;
      s->T = dims[0];
      s->M = rank == 2 ? dims[1] : 1;
      if (attr_text(s->data, "units", s->units, sizeof s->units) != 0)
        s->units[0] = '\0';
      if (series_times(g, s) != 0) {
        /* No usable time axis: frames are numbered instead. */
        if (s->t != NULL)
          for (hsize_t i = 0; i < s->T; i++)
            s->t[i] = (double)i;
      }
      if (l->depth_ok && series_cols(g, s) != 0)
        w->oom = 1;
    }
    if (d >= 0)
      H5Dclose(d);
  } else if (l->depth_ok) {
    walk sub = *w;
    snprintf(sub.prefix, sizeof sub.prefix, "%s", path);
    visit_all(g, &sub);
    w->oom |= sub.oom;
  }
  H5Gclose(g);
}

/* The subgroups of g in name order. By index rather than H5Literate,
 * whose callback type differs between HDF5 1.10 and 1.12. */
static void visit_all(hid_t g, walk *w)
{
  H5G_info_t gi;
  if (H5Gget_info(g, &gi) < 0)
    return;
  for (hsize_t i = 0; i < gi.nlinks && !w->oom; i++) {
    char name[128];
    ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                                   name, sizeof name, H5P_DEFAULT);
    if (n <= 0 || (size_t)n >= sizeof name)
      continue;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o < 0)
      continue;
    int is_group = H5Iget_type(o) == H5I_GROUP;
    H5Oclose(o);
    if (is_group)
      visit_group(g, name, w);
  }
}

static hid_t open_h5(const char *path, char *err, size_t errlen, int *rc)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    set_err(err, errlen, "%s: %s", path,
            errno == ENOENT ? "no such file" : strerror(errno));
    *rc = errno == ENOENT ? SA_ENOENT : SA_EIO;
    return -1;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
  if (f < 0)
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    set_err(err, errlen, "%s: not a readable HDF5 file", path);
    *rc = SA_EIO;
  }
  return f;
}

static int load_series(hid_t f, const char *in, const sa_plot_opts *o,
                       serlist *l, char *err, size_t errlen)
{
  memset(l, 0, sizeof *l);
  l->filter = o->population;
  l->depth_ok = o->kind == SA_PLOT_ALIGNMENT;
  const char *root = l->depth_ok ? "metrics/alignment" : "report";
  const char *what = l->depth_ok ? "alignment metrics" : "weight reports";
  walk w = {l, "", 0};
  if (H5Lexists(f, l->depth_ok ? "metrics" : "report", H5P_DEFAULT) > 0 &&
      H5Lexists(f, root, H5P_DEFAULT) > 0) {
    hid_t g = H5Gopen2(f, root, H5P_DEFAULT);
    if (g >= 0) {
      visit_all(g, &w);
      H5Gclose(g);
    }
  }
  if (w.oom) {
    set_err(err, errlen, "%s: out of memory", in);
    return SA_ENOMEM;
  }
  if (l->n == 0) {
    if (o->population != NULL)
      set_err(err, errlen, "%s has no %s for '%s' (under /%s)", in, what,
              o->population, root);
    else
      set_err(err, errlen, "%s has no %s (nothing under /%s)", in, what,
              root);
    return SA_ENOENT;
  }
  return 0;
}

/* Frames of s inside [from, to], at most MAX_ROWS of them, evenly. */
static size_t pick_rows(const series *s, double from, double to,
                        hsize_t *rows)
{
  size_t n = 0;
  for (hsize_t i = 0; i < s->T; i++)
    n += s->t[i] >= from && s->t[i] <= to;
  size_t k = n > MAX_ROWS ? (n + MAX_ROWS - 1) / MAX_ROWS : 1, m = 0, j = 0;
  for (hsize_t i = 0; i < s->T; i++) {
    if (!(s->t[i] >= from && s->t[i] <= to))
      continue;
    if (j++ % k == 0 || (j == n && m < MAX_ROWS))
      rows[m++] = i;
  }
  return m;
}

static int read_row(const series *s, hsize_t row, float *buf)
{
  hid_t sp = H5Dget_space(s->data);
  if (sp < 0)
    return -1;
  hsize_t start[2] = {row, 0}, count[2] = {1, s->M};
  int rank = H5Sget_simple_extent_ndims(sp);
  hsize_t mc = s->M;
  hid_t ms = H5Screate_simple(1, &mc, NULL);
  int rc = -1;
  if (ms >= 0 &&
      (rank == 1 || rank == 2) &&
      H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
      H5Dread(s->data, H5T_NATIVE_FLOAT, ms, sp, H5P_DEFAULT, buf) >= 0)
    rc = 0;
  if (ms >= 0)
    H5Sclose(ms);
  H5Sclose(sp);
  return rc;
}

/* ---- weights ------------------------------------------------------------ */

static double pct(const double *cum, int nb, double lo, double w, double q)
{
  /* First bin whose cumulative share reaches q, linear inside it. */
  double prev = 0;
  for (int b = 0; b < nb; b++) {
    if (cum[b] >= q) {
      double in = cum[b] - prev;
      double fr = in > 0 ? (q - prev) / in : 0.5;
      return lo + (b + fr) * w;
    }
    prev = cum[b];
  }
  return lo + nb * w;
}

static int plot_weights(fig *f, serlist *l, double from, double to,
                        const char *ttl, char *err, size_t errlen,
                        const char *in)
{
  int np = l->n > MAX_PANELS ? MAX_PANELS : l->n;
  double top = 40, bottom = 58, gap = 24;
  double ph = (f->h - top - bottom - gap * (np - 1)) / np;
  title(f, ttl);
  for (int pi = 0; pi < np; pi++) {
    series *s = &l->s[pi];
    double lo_t = isnan(from) ? (s->T ? s->t[0] : 0) : from;
    double hi_t = isnan(to) ? (s->T ? s->t[s->T - 1] : 1) : to;
    if (s->M == 0 || s->T == 0) {
      set_err(err, errlen, "%s: weight report '%s' is empty", in, s->name);
      return SA_ENOENT;
    }
    hsize_t *rows = malloc(MAX_ROWS * sizeof *rows);
    float *buf = malloc(s->M * sizeof *buf);
    size_t nr = rows != NULL ? pick_rows(s, lo_t, hi_t, rows) : 0;
    double *hist = calloc((size_t)(nr ? nr : 1) * FINE_BINS, sizeof *hist);
    double *stats = calloc((size_t)(nr ? nr : 1) * 4, sizeof *stats);
    if (rows == NULL || buf == NULL || hist == NULL || stats == NULL) {
      free(rows), free(buf), free(hist), free(stats);
      set_err(err, errlen, "%s: out of memory", in);
      return SA_ENOMEM;
    }
    /* Pass 1: the weights' range; pass 2: a fine histogram per frame, for
     * the percentiles and the shading. */
    double wlo = INFINITY, whi = -INFINITY;
    int bad = 0;
    for (size_t r = 0; r < nr && !bad; r++) {
      bad = read_row(s, rows[r], buf) < 0;
      for (hsize_t k = 0; !bad && k < s->M; k++) {
        if (buf[k] < wlo)
          wlo = buf[k];
        if (buf[k] > whi)
          whi = buf[k];
      }
    }
    if (!isfinite(wlo)) {
      wlo = 0;
      whi = 1;
    }
    if (whi - wlo < 1e-12)
      whi = wlo + (fabs(wlo) > 0 ? fabs(wlo) * 0.01 : 1e-3);
    double bw = (whi - wlo) / FINE_BINS;
    for (size_t r = 0; r < nr && !bad; r++) {
      bad = read_row(s, rows[r], buf) < 0;
      double *h = hist + r * FINE_BINS, sum = 0;
      hsize_t nv = 0;
      for (hsize_t k = 0; !bad && k < s->M; k++) {
        if (!isfinite(buf[k]))
          continue;
        int b = (int)((buf[k] - wlo) / bw);
        h[b < 0 ? 0 : b >= FINE_BINS ? FINE_BINS - 1 : b] += 1;
        sum += buf[k];
        nv++;
      }
      double cum = 0;
      double *c = malloc(FINE_BINS * sizeof *c);
      if (c == NULL) {
        bad = 1;
        break;
      }
      for (int b = 0; b < FINE_BINS; b++) {
        h[b] /= nv > 0 ? (double)nv : 1;
        cum += h[b];
        c[b] = cum;
      }
      stats[r * 4 + 0] = pct(c, FINE_BINS, wlo, bw, 0.05);
      stats[r * 4 + 1] = pct(c, FINE_BINS, wlo, bw, 0.5);
      stats[r * 4 + 2] = pct(c, FINE_BINS, wlo, bw, 0.95);
      stats[r * 4 + 3] = nv > 0 ? sum / (double)nv : NAN;
      free(c);
    }
    if (bad) {
      free(rows), free(buf), free(hist), free(stats);
      set_err(err, errlen, "%s: reading /report/%s/data failed", in,
              s->name);
      return SA_EIO;
    }
    axes a = {80, top + pi * (ph + gap), f->w - 20, top + pi * (ph + gap) + ph,
              lo_t, hi_t, wlo, whi};
    if (!(a.xhi > a.xlo)) {
      a.xlo -= 1;
      a.xhi += 1;
    }
    nice_range(&a.ylo, &a.yhi, 4, 0);
    rgb col = color(pi);
    /* Shading: the share of synapses in each weight bin, frame by frame;
     * a frame holds until the next one. */
    int pw = (int)(a.x1 - a.x0), phh = (int)(a.y1 - a.y0);
    cairo_surface_t *img =
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, phh);
    if (nr > 0 && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
      unsigned char *px = cairo_image_surface_get_data(img);
      int stride = cairo_image_surface_get_stride(img);
      double *shade = calloc((size_t)nr * SHADE_BINS, sizeof *shade);
      double smax = 1e-12;
      int per = FINE_BINS / SHADE_BINS;
      for (size_t r = 0; shade != NULL && r < nr; r++)
        for (int b = 0; b < FINE_BINS; b++) {
          int sb = b / per >= SHADE_BINS ? SHADE_BINS - 1 : b / per;
          double v = shade[r * SHADE_BINS + sb] += hist[r * FINE_BINS + b];
          if (v > smax)
            smax = v;
        }
      cairo_surface_flush(img);
      size_t r = 0;
      for (int x = 0; shade != NULL && x < pw; x++) {
        double t = a.xlo + (x + 0.5) / pw * (a.xhi - a.xlo);
        while (r + 1 < nr && s->t[rows[r + 1]] <= t)
          r++;
        double tr = s->t[rows[r]];
        if (t < tr && r == 0 && nr > 1)
          continue;
        for (int y = 0; y < phh; y++) {
          double v = a.yhi - (y + 0.5) / phh * (a.yhi - a.ylo);
          int b = (int)floor((v - wlo) / (whi - wlo) * SHADE_BINS);
          uint32_t *row = (uint32_t *)(px + (size_t)y * stride);
          if (b < 0 || b >= SHADE_BINS) {
            row[x] = 0;
            continue;
          }
          double sh = shade[r * SHADE_BINS + b];
          if (sh <= 0) {
            row[x] = 0;
            continue;
          }
          double al = 0.08 + 0.62 * sqrt(sh / smax);
          row[x] = (uint32_t)lround(255 * al) << 24 |
                   (uint32_t)lround(255 * col.r * al) << 16 |
                   (uint32_t)lround(255 * col.g * al) << 8 |
                   (uint32_t)lround(255 * col.b * al);
        }
      }
      cairo_surface_mark_dirty(img);
      cairo_save(f->cr);
      cairo_set_source_surface(f->cr, img, a.x0, a.y0);
      cairo_pattern_set_filter(cairo_get_source(f->cr), CAIRO_FILTER_NEAREST);
      cairo_paint(f->cr);
      cairo_restore(f->cr);
      free(shade);
    }
    cairo_surface_destroy(img);
    /* Median (solid), 5th and 95th percentiles (dashed). */
    cairo_save(f->cr);
    cairo_rectangle(f->cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
    cairo_clip(f->cr);
    for (int q = 0; q < 3; q++) {
      double dash[] = {5, 3};
      cairo_set_dash(f->cr, dash, q == 1 ? 0 : 2, 0);
      cairo_set_line_width(f->cr, q == 1 ? 2 : 1.2);
      set_rgb(f, col, 1);
      for (size_t r = 0; r < nr; r++) {
        double x = ax_x(&a, s->t[rows[r]]), y = ax_y(&a, stats[r * 4 + q]);
        if (r == 0)
          cairo_move_to(f->cr, x, y);
        else
          cairo_line_to(f->cr, x, y);
      }
      if (nr == 1) {
        cairo_rel_line_to(f->cr, 0.01, 0);
        cairo_set_line_cap(f->cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_line_width(f->cr, 6);
      }
      cairo_stroke(f->cr);
    }
    cairo_set_dash(f->cr, NULL, 0, 0);
    cairo_restore(f->cr);
    char ylab[64];
    snprintf(ylab, sizeof ylab, "weight (%s)", s->units[0] ? s->units : "a.u.");
    draw_axes(f, &a, "time (ms)", ylab,
              AX_YTICKS | (pi == np - 1 ? AX_XTICKS | AX_XLABEL : 0));
    set_gray(f, 0.1);
    char lab[200];
    snprintf(lab, sizeof lab, "%s: %llu synapses, %zu frames shown", s->name,
             (unsigned long long)s->M, nr);
    text(f, a.x0 + 6, a.y0 + 6, lab, 11, 0, 0, 0);
    entry e[3];
    snprintf(e[0].label, sizeof e[0].label, "median");
    snprintf(e[1].label, sizeof e[1].label, "5th / 95th percentile");
    snprintf(e[2].label, sizeof e[2].label, "share of synapses");
    e[0].c = e[1].c = e[2].c = col;
    e[0].style = 0, e[1].style = 2, e[2].style = 3;
    legend(f, &a, e, 3);
    free(rows), free(buf), free(hist), free(stats);
  }
  if (l->n > np) {
    char buf[128];
    snprintf(buf, sizeof buf, "%d of %d weight reports shown; pick one "
             "with --population", np, l->n);
    note(f, buf);
  }
  return 0;
}

/* ---- alignment ---------------------------------------------------------- */

static int plot_alignment(fig *f, serlist *l, double from, double to,
                          const char *ttl, char *err, size_t errlen,
                          const char *in)
{
  /* Panels: one per metric name, in order of first appearance. */
  const char *names[MAX_PANELS];
  int np = 0, more = 0;
  double lo_t = INFINITY, hi_t = -INFINITY;
  for (int i = 0; i < l->n; i++) {
    series *s = &l->s[i];
    for (hsize_t k = 0; k < s->M; k++) {
      int found = 0;
      for (int p = 0; p < np && !found; p++)
        found = strcmp(names[p], s->cols[k]) == 0;
      if (!found && np < MAX_PANELS)
        names[np++] = s->cols[k];
      else if (!found)
        more = 1;
    }
    if (s->T > 0) {
      lo_t = fmin(lo_t, s->t[0]);
      hi_t = fmax(hi_t, s->t[s->T - 1]);
    }
  }
  if (!isnan(from))
    lo_t = from;
  if (!isnan(to))
    hi_t = to;
  if (!isfinite(lo_t) || !isfinite(hi_t)) {
    set_err(err, errlen, "%s: the alignment metrics hold no frames", in);
    return SA_ENOENT;
  }
  if (!(hi_t > lo_t)) {
    lo_t -= 1;
    hi_t += 1;
  }
  title(f, ttl);
  double top = 40, bottom = 58, gap = 18;
  double ph = (f->h - top - bottom - gap * (np - 1)) / np;
  for (int p = 0; p < np; p++) {
    /* Range over every series' values of this metric in the window. */
    double vlo = INFINITY, vhi = -INFINITY;
    for (int i = 0; i < l->n; i++) {
      series *s = &l->s[i];
      float *buf = malloc(s->M * sizeof *buf);
      if (buf == NULL)
        return SA_ENOMEM;
      for (hsize_t k = 0; k < s->M; k++) {
        if (strcmp(s->cols[k], names[p]) != 0)
          continue;
        for (hsize_t r = 0; r < s->T; r++) {
          if (s->t[r] < lo_t || s->t[r] > hi_t || read_row(s, r, buf) < 0)
            continue;
          if (isfinite(buf[k])) {
            vlo = fmin(vlo, buf[k]);
            vhi = fmax(vhi, buf[k]);
          }
        }
      }
      free(buf);
    }
    axes a = {80, top + p * (ph + gap), f->w - 20, top + p * (ph + gap) + ph,
              lo_t, hi_t, vlo, vhi};
    nice_range(&a.ylo, &a.yhi, 4, 0);
    cairo_save(f->cr);
    cairo_rectangle(f->cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
    cairo_clip(f->cr);
    entry e[8];
    int ne = 0;
    for (int i = 0; i < l->n; i++) {
      series *s = &l->s[i];
      float *buf = malloc(s->M * sizeof *buf);
      if (buf == NULL) {
        cairo_restore(f->cr);
        return SA_ENOMEM;
      }
      for (hsize_t k = 0; k < s->M; k++) {
        if (strcmp(s->cols[k], names[p]) != 0)
          continue;
        set_rgb(f, color(i), 1);
        cairo_set_line_width(f->cr, 1.8);
        int started = 0;
        size_t pts = 0;
        for (hsize_t r = 0; r < s->T; r++) {
          if (s->t[r] < lo_t || s->t[r] > hi_t || read_row(s, r, buf) < 0 ||
              !isfinite(buf[k])) {
            started = 0;
            continue;
          }
          double x = ax_x(&a, s->t[r]), y = ax_y(&a, buf[k]);
          if (started)
            cairo_line_to(f->cr, x, y);
          else
            cairo_move_to(f->cr, x, y);
          started = 1;
          pts++;
        }
        cairo_stroke(f->cr);
        /* Markers when frames are few. */
        if (pts <= 60) {
          for (hsize_t r = 0; r < s->T; r++) {
            if (s->t[r] < lo_t || s->t[r] > hi_t || read_row(s, r, buf) < 0 ||
                !isfinite(buf[k]))
              continue;
            cairo_arc(f->cr, ax_x(&a, s->t[r]), ax_y(&a, buf[k]), 2.5, 0,
                      2 * M_PI);
            cairo_fill(f->cr);
          }
        }
        if (ne < 8) {
          snprintf(e[ne].label, sizeof e[ne].label, "%s", s->name);
          e[ne].c = color(i);
          e[ne].style = 0;
          ne++;
        }
      }
      free(buf);
    }
    cairo_restore(f->cr);
    draw_axes(f, &a, "time (ms)", names[p],
              AX_YTICKS | (p == np - 1 ? AX_XTICKS | AX_XLABEL : 0));
    legend(f, &a, e, ne);
  }
  if (more)
    note(f, "more metrics than panels: only the first six are drawn");
  return 0;
}

/* ---- learning curves ---------------------------------------------------- */

/* One run of a learning results file: /metrics/<algo>/<seed>/ as
 * learn/results.c writes it (layout in docs/learning.md). */
typedef struct lrun {
  hsize_t E;            /* epochs */
  hsize_t L;            /* weight layers: columns of weight_angle */
  double *epoch, *acc;  /* E each */
  double *ang;          /* E x L, degrees, NaN where there is no B_l */
} lrun;

typedef struct lalgo {
  char name[64];
  int index;   /* among all the file's algorithms: its colour */
  lrun *run;
  int n;
} lalgo;

typedef struct lfile {
  lalgo *a;
  int n;
  char task[64];
} lfile;

static void lfile_free(lfile *lf)
{
  for (int i = 0; i < lf->n; i++) {
    for (int r = 0; r < lf->a[i].n; r++) {
      free(lf->a[i].run[r].epoch);
      free(lf->a[i].run[r].acc);
      free(lf->a[i].run[r].ang);
    }
    free(lf->a[i].run);
  }
  free(lf->a);
  memset(lf, 0, sizeof *lf);
}

/* A rank-1 (E) or rank-2 (E x cols) numeric dataset of g as doubles.
 * SA_ENOENT: missing or of another rank or type. */
static int read_f64(hid_t g, const char *name, int rank, hsize_t *dims,
                    double **out)
{
  *out = NULL;
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
    return SA_ENOENT;
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0)
    return SA_ENOENT;
  int rc = SA_ENOENT;
  hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
  hsize_t dd[2] = {0, 1};
  H5T_class_t cl = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
  if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
      H5Sget_simple_extent_dims(sp, dd, NULL) == rank &&
      (cl == H5T_FLOAT || cl == H5T_INTEGER)) {
    size_t n = (size_t)dd[0] * (size_t)dd[1];
    *out = malloc((n > 0 ? n : 1) * sizeof **out);
    rc = *out == NULL ? SA_ENOMEM : 0;
    if (rc == 0 && n > 0 &&
        H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) <
            0) {
      free(*out);
      *out = NULL;
      rc = SA_EIO;
    }
  }
  if (t >= 0)
    H5Tclose(t);
  if (sp >= 0)
    H5Sclose(sp);
  H5Dclose(d);
  dims[0] = dd[0], dims[1] = dd[1];
  return rc;
}

/* The name of the i-th link of g (name order) if it is a group. */
static int subgroup_name(hid_t g, hsize_t i, char *name, size_t n)
{
  ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                                   name, n, H5P_DEFAULT);
  if (len <= 0 || (size_t)len >= n)
    return 0;
  hid_t o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0)
    return 0;
  int is_group = H5Iget_type(o) == H5I_GROUP;
  H5Oclose(o);
  return is_group;
}

static int load_run(hid_t g, const char *in, const char *algo,
                    const char *seed, lrun *r, char *err, size_t errlen)
{
  memset(r, 0, sizeof *r);
  hsize_t de[2], da[2], dw[2];
  int rc = read_f64(g, "epoch", 1, de, &r->epoch);
  if (rc == 0)
    rc = read_f64(g, "test_accuracy", 1, da, &r->acc);
  if (rc == 0)
    rc = read_f64(g, "weight_angle", 2, dw, &r->ang);
  if (rc == SA_ENOMEM) {
    set_err(err, errlen, "%s: out of memory", in);
    return rc;
  }
  if (rc != 0 || da[0] != de[0] || dw[0] != de[0] || dw[1] < 1) {
    set_err(err, errlen, "%s: /metrics/%s/%s is not a learning run (it "
            "needs epoch, test_accuracy and weight_angle of one length)", in,
            algo, seed);
    return SA_EINVAL;
  }
  r->E = de[0], r->L = dw[1];
  return 0;
}

/* Every run of every algorithm (or only `only`), in name order. A file
 * without the root attribute format = "synalign-learn ..." is refused. */
static int load_curves(hid_t f, const char *in, const char *only, lfile *lf,
                       char *err, size_t errlen)
{
  memset(lf, 0, sizeof *lf);
  char fmt[64];
  if (attr_text(f, "format", fmt, sizeof fmt) != 0 ||
      strncmp(fmt, "synalign-learn", 14) != 0 ||
      H5Lexists(f, "metrics", H5P_DEFAULT) <= 0) {
    set_err(err, errlen, "%s is not a learning results file (no root "
            "attribute format = \"synalign-learn 1\"; synalign train -o and "
            "synalign compare -o write them)", in);
    return SA_EINVAL;
  }
  attr_text(f, "task", lf->task, sizeof lf->task);
  hid_t m = H5Gopen2(f, "metrics", H5P_DEFAULT);
  H5G_info_t gi;
  if (m < 0 || H5Gget_info(m, &gi) < 0) {
    if (m >= 0)
      H5Gclose(m);
    set_err(err, errlen, "%s: cannot read /metrics", in);
    return SA_EIO;
  }
  int rc = 0;
  lf->a = calloc(gi.nlinks > 0 ? gi.nlinks : 1, sizeof *lf->a);
  if (lf->a == NULL)
    rc = SA_ENOMEM;
  int index = 0;
  for (hsize_t i = 0; rc == 0 && i < gi.nlinks; i++) {
    lalgo *A = &lf->a[lf->n];
    if (!subgroup_name(m, i, A->name, sizeof A->name))
      continue;
    A->index = index++;
    if (only != NULL && strcmp(only, A->name) != 0)
      continue;
    hid_t ga = H5Gopen2(m, A->name, H5P_DEFAULT);
    H5G_info_t si;
    if (ga < 0 || H5Gget_info(ga, &si) < 0) {
      if (ga >= 0)
        H5Gclose(ga);
      continue;
    }
    A->run = calloc(si.nlinks > 0 ? si.nlinks : 1, sizeof *A->run);
    if (A->run == NULL)
      rc = SA_ENOMEM;
    lf->n++;   /* owns A->run from here */
    for (hsize_t k = 0; rc == 0 && k < si.nlinks; k++) {
      char seed[64];
      if (!subgroup_name(ga, k, seed, sizeof seed))
        continue;
      hid_t gs = H5Gopen2(ga, seed, H5P_DEFAULT);
      if (gs < 0)
        continue;
      lrun *r = &A->run[A->n];
      rc = load_run(gs, in, A->name, seed, r, err, errlen);
      H5Gclose(gs);
      if (rc == 0 && r->E > 0)
        A->n++;
      else
        free(r->epoch), free(r->acc), free(r->ang);
    }
    H5Gclose(ga);
    if (rc == 0 && A->n == 0) {
      free(A->run);
      lf->n--;   /* no finished epoch: nothing to draw */
    }
  }
  H5Gclose(m);
  if (rc == SA_ENOMEM)
    set_err(err, errlen, "%s: out of memory", in);
  if (rc == 0 && lf->n == 0) {
    if (only != NULL)
      set_err(err, errlen, "%s has no finished epochs of '%s' (under "
              "/metrics)", in, only);
    else
      set_err(err, errlen, "%s has no finished epochs (nothing under "
              "/metrics)", in);
    rc = SA_ENOENT;
  }
  return rc;
}

/* Mean, min and max over the runs of A at epoch index i of the test
 * accuracy (col < 0) or of weight-angle column col; the epoch in *ep.
 * Returns how many runs have a finite value there. */
static int curve_at(const lalgo *A, int col, hsize_t i, double *ep,
                    double *mean, double *lo, double *hi)
{
  int n = 0;
  double sum = 0;
  *lo = INFINITY, *hi = -INFINITY;
  for (int r = 0; r < A->n; r++) {
    const lrun *R = &A->run[r];
    if (i >= R->E || (col >= 0 && (hsize_t)col >= R->L))
      continue;
    double v = col < 0 ? R->acc[i] : R->ang[i * R->L + (hsize_t)col];
    if (!isfinite(v))
      continue;
    *ep = R->epoch[i];
    sum += v, n++;
    *lo = fmin(*lo, v), *hi = fmax(*hi, v);
  }
  *mean = n > 0 ? sum / n : NAN;
  return n;
}

static hsize_t algo_epochs(const lalgo *A, hsize_t *L)
{
  hsize_t E = 0;
  *L = 0;
  for (int r = 0; r < A->n; r++) {
    E = A->run[r].E > E ? A->run[r].E : E;
    *L = A->run[r].L > *L ? A->run[r].L : *L;
  }
  return E;
}

/* One curve (col as in curve_at): the min-max band over seeds when there
 * are several, then the mean line, with markers when epochs are few. */
static void draw_curve(fig *f, const axes *a, const lalgo *A, int col,
                       rgb c, int dashed)
{
  cairo_t *cr = f->cr;
  hsize_t L, E = algo_epochs(A, &L);
  double ep, mean, lo, hi;
  if (A->n > 1) {
    int started = 0;
    for (hsize_t i = 0; i < E; i++)
      if (curve_at(A, col, i, &ep, &mean, &lo, &hi) > 0) {
        if (started)
          cairo_line_to(cr, ax_x(a, ep), ax_y(a, hi));
        else
          cairo_move_to(cr, ax_x(a, ep), ax_y(a, hi));
        started = 1;
      }
    for (hsize_t i = E; i-- > 0;)
      if (curve_at(A, col, i, &ep, &mean, &lo, &hi) > 0)
        cairo_line_to(cr, ax_x(a, ep), ax_y(a, lo));
    if (started) {
      cairo_close_path(cr);
      set_rgb(f, c, 0.18);
      cairo_fill(cr);
    }
  }
  set_rgb(f, c, 1);
  cairo_set_line_width(cr, 1.8);
  double dash[] = {5, 3};
  cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
  int started = 0;
  size_t pts = 0;
  for (hsize_t i = 0; i < E; i++) {
    if (curve_at(A, col, i, &ep, &mean, &lo, &hi) == 0) {
      started = 0;   /* a gap, not a line across it */
      continue;
    }
    if (started)
      cairo_line_to(cr, ax_x(a, ep), ax_y(a, mean));
    else
      cairo_move_to(cr, ax_x(a, ep), ax_y(a, mean));
    started = 1;
    pts++;
  }
  if (pts > 0)
    cairo_stroke(cr);
  cairo_set_dash(cr, NULL, 0, 0);
  if (pts > 60)
    return;
  for (hsize_t i = 0; i < E; i++)
    if (curve_at(A, col, i, &ep, &mean, &lo, &hi) > 0) {
      cairo_arc(cr, ax_x(a, ep), ax_y(a, mean), 2.5, 0, 2 * M_PI);
      cairo_fill(cr);
    }
}

/* Weight-angle columns drawn: layers 2..L, whose B_l carries the error
 * (B_1 would only feed the input's gradient, which is never computed);
 * layer 1 alone for a one-layer network. */
static int first_angle_col(hsize_t L) { return L >= 2 ? 1 : 0; }

/* Test accuracy (top) and weight angle (bottom) against epoch, one colour
 * per algorithm: the mean over its seeds, a band from the lowest to the
 * highest seed where there are several. */
static int plot_curves(fig *f, const lfile *lf, const char *ttl)
{
  double elo = INFINITY, ehi = -INFINITY;
  double ylo[2] = {INFINITY, INFINITY}, yhi[2] = {-INFINITY, -INFINITY};
  int several = 0;
  hsize_t maxL = 0;
  for (int k = 0; k < lf->n; k++) {
    const lalgo *A = &lf->a[k];
    hsize_t L, E = algo_epochs(A, &L);
    several |= A->n > 1;
    maxL = L > maxL ? L : maxL;
    for (hsize_t i = 0; i < E; i++) {
      double ep, mean, lo, hi;
      for (int col = -1; col < (int)L; col++) {
        if (col >= 0 && col < first_angle_col(L))
          continue;
        if (curve_at(A, col, i, &ep, &mean, &lo, &hi) == 0)
          continue;
        int p = col >= 0;
        ylo[p] = fmin(ylo[p], lo), yhi[p] = fmax(yhi[p], hi);
        elo = fmin(elo, ep), ehi = fmax(ehi, ep);
      }
    }
  }
  if (!isfinite(elo))
    elo = 1, ehi = 1;
  if (!(ehi > elo))
    elo -= 1, ehi += 1;
  double pad = 0.03 * (ehi - elo);
  /* One legend for both panels, right of them: curves that end high and
   * low at once leave no free corner inside. */
  entry e[12];
  int ne = 0;
  rgb gray = {0.45, 0.45, 0.45};
  for (int k = 0; k < lf->n && ne < 8; k++, ne++) {
    const lalgo *A = &lf->a[k];
    snprintf(e[ne].label, sizeof e[ne].label, "%s (%d seed%s)", A->name,
             A->n, A->n == 1 ? "" : "s");
    e[ne].c = color(A->index), e[ne].style = 0;
  }
  if (several) {
    snprintf(e[ne].label, sizeof e[ne].label, "min-max over seeds");
    e[ne].c = gray, e[ne].style = 3;
    ne++;
  }
  if (maxL > 2) {
    snprintf(e[ne].label, sizeof e[ne].label, "angle, layer %d", (int)maxL);
    e[ne].c = gray, e[ne].style = 0;
    ne++;
    snprintf(e[ne].label, sizeof e[ne].label, "angle, layers 2-%d",
             (int)maxL - 1);
    e[ne].c = gray, e[ne].style = 2;
    ne++;
  }
  double lw = 0;
  for (int i = 0; i < ne; i++)
    lw = fmax(lw, text_width(f, e[i].label, 11) + 40);
  title(f, ttl);
  double top = 40, bottom = 58, gap = 18;
  double ph = (f->h - top - bottom - gap) / 2;
  double right = f->w - 20 - lw - 12;
  static const char *const ylabels[2] = {"test accuracy (%)",
                                         "weight angle (deg)"};
  for (int p = 0; p < 2; p++) {
    axes a = {80, top + p * (ph + gap), right, top + p * (ph + gap) + ph,
              elo - pad, ehi + pad, ylo[p], yhi[p]};
    nice_range(&a.ylo, &a.yhi, 4, p == 1);
    cairo_save(f->cr);
    cairo_rectangle(f->cr, a.x0, a.y0, a.x1 - a.x0, a.y1 - a.y0);
    cairo_clip(f->cr);
    for (int k = 0; k < lf->n; k++) {
      const lalgo *A = &lf->a[k];
      hsize_t L;
      algo_epochs(A, &L);
      if (p == 0)
        draw_curve(f, &a, A, -1, color(A->index), 0);
      else
        for (int col = first_angle_col(L); col < (int)L; col++)
          draw_curve(f, &a, A, col, color(A->index), col < (int)L - 1);
    }
    cairo_restore(f->cr);
    draw_axes(f, &a, "epoch", ylabels[p],
              AX_YTICKS | AX_XINT | (p == 1 ? AX_XTICKS | AX_XLABEL : 0));
  }
  /* legend() puts the box 8 units inside the top-right corner it is given. */
  axes la = {right, top - 8, f->w - 12, top - 8 + ph, 0, 1, 0, 1};
  legend(f, &la, e, ne);
  char buf[256];
  snprintf(buf, sizeof buf, "%s%s%slines: mean over seeds; angle between "
           "W_l^T and B_l, %s", lf->task[0] ? "task " : "", lf->task,
           lf->task[0] ? "; " : "",
           maxL > 2 ? "layers 2 and up" : maxL == 2 ? "layer 2" : "layer 1");
  note(f, buf);
  return 0;
}

/* ---- entry point -------------------------------------------------------- */

int sa_plot(const char *in, const char *out, const sa_plot_opts *o,
            char *err, size_t errlen)
{
  if (in == NULL || out == NULL || o == NULL || o->kind < 0 ||
      o->kind > SA_PLOT_CURVES) {
    set_err(err, errlen, "plot: bad arguments");
    return SA_EINVAL;
  }
  if (!ends_with(out, ".png") && !ends_with(out, ".svg")) {
    set_err(err, errlen, "%s: the output must end in .png or .svg", out);
    return SA_EINVAL;
  }
  if (!isnan(o->from_ms) && !isnan(o->to_ms) && !(o->from_ms < o->to_ms)) {
    set_err(err, errlen, "plot: empty time window (%g to %g ms)", o->from_ms,
            o->to_ms);
    return SA_EINVAL;
  }
  static const char *const kinds[] = {"raster", "rates", "weights",
                                      "alignment", "curves"};
  if (o->kind == SA_PLOT_CURVES && (!isnan(o->from_ms) || !isnan(o->to_ms))) {
    set_err(err, errlen, "plot curves: --from/--to select times in ms; "
            "learning curves are drawn over all their epochs");
    return SA_EINVAL;
  }
  char ttl[256];
  if (o->title != NULL)
    snprintf(ttl, sizeof ttl, "%s", o->title);
  else
    snprintf(ttl, sizeof ttl, "%s of %s%s%s", kinds[o->kind], base_name(in),
             o->population ? ", " : "", o->population ? o->population : "");
  fig f;
  int rc;
  if (o->kind == SA_PLOT_RASTER || o->kind == SA_PLOT_RATES) {
    spikes s;
    rc = spikes_load(&s, in, o, err, errlen);
    if (rc == 0)
      rc = fig_open(&f, out, o->width, o->height, err, errlen);
    if (rc == 0) {
      rc = o->kind == SA_PLOT_RASTER ? plot_raster(&f, &s, ttl)
                                     : plot_rates(&f, &s, ttl);
      if (rc)
        set_err(err, errlen, "%s: out of memory drawing the figure", out);
      int crc = fig_close(&f, rc == 0, err, errlen);
      if (rc == 0)
        rc = crc;
    }
    spikes_free(&s);
    return rc;
  }
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  rc = 0;
  hid_t file = open_h5(in, err, errlen, &rc);
  if (o->kind == SA_PLOT_CURVES) {
    lfile lf;
    memset(&lf, 0, sizeof lf);
    if (file < 0 && rc == SA_EIO && H5Fis_hdf5(in) == 0) {
      set_err(err, errlen, "%s is not a learning results file (not an "
              "HDF5 file)", in);
      rc = SA_EINVAL;
    }
    if (file >= 0) {
      rc = load_curves(file, in, o->population, &lf, err, errlen);
      if (rc == 0)
        rc = fig_open(&f, out, o->width, o->height, err, errlen);
      if (rc == 0) {
        rc = plot_curves(&f, &lf, ttl);
        int crc = fig_close(&f, rc == 0, err, errlen);
        if (rc == 0)
          rc = crc;
      }
      lfile_free(&lf);
      H5Fclose(file);
    }
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return rc;
  }
  serlist l;
  memset(&l, 0, sizeof l);
  if (file >= 0) {
    rc = load_series(file, in, o, &l, err, errlen);
    if (rc == 0)
      rc = fig_open(&f, out, o->width, o->height, err, errlen);
    if (rc == 0) {
      rc = o->kind == SA_PLOT_WEIGHTS
               ? plot_weights(&f, &l, o->from_ms, o->to_ms, ttl, err, errlen,
                              in)
               : plot_alignment(&f, &l, o->from_ms, o->to_ms, ttl, err,
                                errlen, in);
      int crc = fig_close(&f, rc == 0, err, errlen);
      if (rc == 0)
        rc = crc;
    }
    serlist_free(&l);
    H5Fclose(file);
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  return rc;
}
