/* connect.c: connectors, drawn from keyed streams straight into CSR by
 * source, and the split of a projection into per-thread parts.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct drawctx {
  sa_net *net;
  const sa_dist *weight, *delay;
  int receptor;
  int dfixed;          /* a constant delay distribution, dfix ticks */
  uint16_t dfix;
} drawctx;

/* Weight and delay of one synapse from the row's stream. Distributions are
 * clipped where the receptor fixes the sign and at one tick for delays. */
static int draw_syn(const drawctx *c, sa_rng *r, float *w, uint16_t *d) {
  double wv = sa__draw(c->weight, r);
  if (c->receptor == SA_RECEPTOR_EXCITATORY && wv < 0) wv = 0;
  if (c->receptor == SA_RECEPTOR_INHIBITORY && wv > 0) wv = 0;
  double dv = sa__draw(c->delay, r);
  /* (compared as a double first: llround of a value beyond long long is
   * unspecified) */
  int big = !(dv / c->net->dt < MAX_DELAY_TICKS + 0.5);
  long long ticks = big ? MAX_DELAY_TICKS + 1LL : llround(dv / c->net->dt);
  if (ticks < 1) ticks = 1;
  if (ticks > (long long)MAX_DELAY_TICKS)
    return sa__seterr(c->net, SA_EINVAL,
                  "delay %g ms exceeds the maximum of %u ticks", dv,
                  MAX_DELAY_TICKS);
  *w = (float)wv;
  *d = (uint16_t)ticks;
  return 0;
}

/* Choose k distinct candidates out of m (Floyd's algorithm; marks is a
 * zeroed scratch array of m bytes, zeroed again on return). */
static void choose_distinct(sa_rng *r, uint32_t m, uint32_t k,
                            unsigned char *marks, uint32_t *out) {
  uint32_t c = 0;
  for (uint32_t j = m - k; j < m; j++) {
    uint32_t t = (uint32_t)sa_rng_below(r, (uint64_t)j + 1);
    if (marks[t]) t = j;
    marks[t] = 1;
    out[c++] = t;
  }
  for (uint32_t i = 0; i < k; i++) marks[out[i]] = 0;
}

/* Draw the partners of one row (a target, or a source for outdegree).
 * Candidates are the m nodes of the other side, minus `self` when
 * autapses are excluded; idx maps a candidate number to a node. */
static int draw_row(const sa_connector *c, sa_rng *r, uint32_t n_other,
                    int64_t self, unsigned char *marks, uint32_t *scratch,
                    uint32_t *count) {
  uint32_t m = n_other - (self >= 0 ? 1 : 0);
  uint32_t k = 0;
  switch (c->type) {
  case SA_CONN_ALL_TO_ALL:
    for (uint32_t i = 0; i < m; i++) scratch[k++] = i;
    break;
  case SA_CONN_FIXED_PROBABILITY:
    if (c->p >= 1.0) {
      for (uint32_t i = 0; i < m; i++) scratch[k++] = i;
    } else if (c->p > 0) {
      /* Geometric skips between successes: exact Bernoulli(p) per
       * candidate at a cost proportional to the successes. */
      double l = log1p(-c->p);
      double i = floor(log(sa_rng_uniform_pos(r)) / l);
      while (i < m) {
        scratch[k++] = (uint32_t)i;
        i += 1 + floor(log(sa_rng_uniform_pos(r)) / l);
      }
    }
    break;
  case SA_CONN_FIXED_INDEGREE:
  case SA_CONN_FIXED_OUTDEGREE:
    if (c->allow_multapses) {
      for (uint32_t i = 0; i < c->k; i++)
        scratch[k++] = (uint32_t)sa_rng_below(r, m);
    } else {
      choose_distinct(r, m, c->k, marks, scratch);
      k = c->k;
    }
    break;
  }
  if (self >= 0)
    for (uint32_t i = 0; i < k; i++)
      if (scratch[i] >= (uint32_t)self) scratch[i]++;
  *count = k;
  return 0;
}

/* Where a pass puts the synapses it draws. Counting: each source row's
 * size into row[s + 1], and the range of the delays. Filling: at row[s]++,
 * row[s] being the start of row s, moved on as the row fills. */
typedef struct sink {
  part *p;
  int fill;
  uint64_t n;
  uint16_t dmin, dmax;
} sink;

static void put(sink *k, uint32_t s, uint32_t t, float w, uint16_t d) {
  part *p = k->p;
  if (!k->fill) {
    p->row[s + 1]++;
    k->n++;
    if (d < k->dmin) k->dmin = d;
    if (d > k->dmax) k->dmax = d;
    return;
  }
  uint64_t at = p->row[s]++;
  p->target[at] = t;
  if (p->w) p->w[at] = w;
  if (p->delay) p->delay[at] = d;
}

/* One pass over the projection's streams, in drawing order. Counting
 * needs the partners only, which a row draws before its weights and
 * delays, so it skips those unless the delays vary (their range, and a
 * delay out of range is an error, reported as the drawing order meets
 * it); a list is one stream and is drawn whole in both passes. */
static int draw_pass(sa_net *net, int pidx, const sa_connector *c,
                     const drawctx *dc, const sa_pop *sp, const sa_pop *tp,
                     sink *sk) {
  int same = sp == tp;
  int draw = sk->fill || !dc->dfixed;
  sa_rng r;
  if (c->type == SA_CONN_LIST) {
    sa_rng_seed(&r, net->seed, SA_RNG_KEY(SA_RNG_PROJECTION, pidx), 0);
    for (size_t i = 0; i < c->n; i++) {
      if (c->source[i] >= sp->n || c->target[i] >= tp->n)
        return sa__seterr(net, SA_EINVAL,
                      "list entry %zu (%u -> %u) is out of range (source "
                      "has %u nodes, target %u)", i, c->source[i],
                      c->target[i], sp->n, tp->n);
      float w = 0;
      uint16_t d = 1;
      int rc = draw_syn(dc, &r, &w, &d);
      if (rc) return rc;
      if (c->weight) {
        double wv = c->weight[i];
        if (!isfinite(wv) ||
            (dc->receptor == SA_RECEPTOR_EXCITATORY && wv < 0) ||
            (dc->receptor == SA_RECEPTOR_INHIBITORY && wv > 0))
          return sa__seterr(net, SA_EINVAL,
                        "list weight %zu (%g) has the wrong sign for the "
                        "receptor", i, wv);
        w = (float)wv;
      }
      if (c->delay) {
        double dv = c->delay[i];
        if (!isfinite(dv) || dv < net->dt * (1 - 1e-9) ||
            !(dv / net->dt < MAX_DELAY_TICKS + 0.5))
          return sa__seterr(net, SA_EINVAL,
                        "list delay %zu (%g ms) is below one tick (%g ms) "
                        "or above the maximum", i, dv, net->dt);
        d = (uint16_t)llround(dv / net->dt);
      }
      /* One stream for the whole list: draw every entry, keep ours. */
      if (!sa__owns(net, tp->n, c->target[i])) continue;
      put(sk, c->source[i], c->target[i], w, d);
    }
    return 0;
  }
  if (c->type == SA_CONN_ONE_TO_ONE) {
    if (sp->n != tp->n)
      return sa__seterr(net, SA_EINVAL,
                    "one_to_one needs equal sizes (source '%s' has %u "
                    "nodes, target '%s' %u)", sp->name, sp->n, tp->name,
                    tp->n);
    for (uint32_t j = 0; j < tp->n; j++) {
      if (!sa__owns(net, tp->n, j)) continue;   /* another rank's target */
      sa_rng_seed(&r, net->seed, SA_RNG_KEY(SA_RNG_PROJECTION, pidx), j);
      float w = 0;
      uint16_t d = dc->dfix;
      int rc = draw ? draw_syn(dc, &r, &w, &d) : 0;
      if (rc) return rc;
      put(sk, j, j, w, d);
    }
    return 0;
  }
  int out = c->type == SA_CONN_FIXED_OUTDEGREE;
  uint32_t nrows = out ? sp->n : tp->n, nother = out ? tp->n : sp->n;
  int excl = same && !c->allow_autapses;
  uint32_t m = nother - (excl ? 1 : 0);
  if (c->type == SA_CONN_FIXED_PROBABILITY && !(c->p >= 0 && c->p <= 1))
    return sa__seterr(net, SA_EINVAL, "p = %g is outside [0, 1]", c->p);
  if ((c->type == SA_CONN_FIXED_INDEGREE || out) && !c->allow_multapses &&
      c->k > m)
    return sa__seterr(net, SA_EINVAL,
                  "k = %u exceeds the %u possible partners without "
                  "multapses", c->k, m);
  if ((c->type == SA_CONN_FIXED_INDEGREE || out) && c->k > 0 && m == 0)
    return sa__seterr(net, SA_EINVAL, "k = %u but there are no partners", c->k);
  size_t scap = c->type == SA_CONN_FIXED_INDEGREE || out ? c->k : nother;
  uint32_t *scratch = malloc((scap ? scap : 1) * sizeof *scratch);
  unsigned char *marks = calloc(nother ? nother : 1, 1);
  int rc = scratch && marks ? 0 : SA_ENOMEM;
  for (uint32_t j = 0; j < nrows && !rc; j++) {
    /* Rows keyed by target: skip other ranks' targets; rows by source
     * (outdegree): draw them all, keep the synapses onto ours. */
    if (!out && !sa__owns(net, tp->n, j)) continue;
    sa_rng_seed(&r, net->seed,
                SA_RNG_KEY(out ? SA_RNG_PROJECTION_OUT : SA_RNG_PROJECTION,
                           pidx), j);
    uint32_t k;
    rc = draw_row(c, &r, nother, excl ? (int64_t)j : -1, marks, scratch, &k);
    for (uint32_t i = 0; i < k && !rc; i++) {
      float w = 0;
      uint16_t d = dc->dfix;
      if (draw) rc = draw_syn(dc, &r, &w, &d);
      if (rc || (out && !sa__owns(net, tp->n, scratch[i]))) continue;
      if (out) put(sk, j, scratch[i], w, d);
      else put(sk, scratch[i], j, w, d);
    }
  }
  free(scratch);
  free(marks);
  return rc;
}

/* A synapse while its row is sorted. */
typedef struct syn {
  uint32_t t;
  float w;
  uint16_t d;
} syn;

/* Stable merge sort by target; tmp holds n / 2 elements. */
static void sort_syn(syn *a, syn *tmp, size_t n) {
  if (n <= 16) {
    for (size_t i = 1; i < n; i++) {
      syn x = a[i];
      size_t k = i;
      for (; k > 0 && a[k - 1].t > x.t; k--) a[k] = a[k - 1];
      a[k] = x;
    }
    return;
  }
  size_t h = n / 2, i = 0, r = h, o = 0;
  sort_syn(a, tmp, h);
  sort_syn(a + h, tmp, n - h);
  if (a[h - 1].t <= a[h].t) return;
  memcpy(tmp, a, h * sizeof *a);
  /* o < r throughout: the right half is read before it is overwritten. */
  while (i < h && r < n) a[o++] = a[r].t < tmp[i].t ? a[r++] : tmp[i++];
  while (i < h) a[o++] = tmp[i++];
}

/* Rows drawn by source (fixed_outdegree) and list rows come in drawing
 * order: sort each that is not yet sorted, in a scratch of its size. */
static int sort_rows(part *p, uint32_t nsrc) {
  syn *buf = NULL;
  size_t cap = 0;
  for (uint32_t i = 0; i < nsrc; i++) {
    uint64_t a = p->row[i], b = p->row[i + 1], q = a + 1;
    while (q < b && p->target[q - 1] <= p->target[q]) q++;
    if (q >= b) continue;
    size_t n = (size_t)(b - a);
    if (n + n / 2 > cap) {
      syn *nb = realloc(buf, (n + n / 2) * sizeof *nb);
      if (!nb) {
        free(buf);
        return SA_ENOMEM;
      }
      buf = nb;
      cap = n + n / 2;
    }
    for (size_t k = 0; k < n; k++)
      buf[k] = (syn){p->target[a + k], p->w ? p->w[a + k] : 0,
                     p->delay ? p->delay[a + k] : 0};
    sort_syn(buf, buf + n, n);
    for (size_t k = 0; k < n; k++) {
      p->target[a + k] = buf[k].t;
      if (p->w) p->w[a + k] = buf[k].w;
      if (p->delay) p->delay[a + k] = buf[k].d;
    }
  }
  free(buf);
  return 0;
}

/* A projection straight into CSR by source with each row sorted by target
 * (stably: synapses with the same endpoints keep their drawing order).
 * Two passes over the same keyed streams: the first counts each row and
 * finds the range of the delays, the second fills arrays allocated at
 * their final size, so building needs only the network's own memory and
 * a few arrays per node (an edge list of the drawn synapses cost 14 bytes
 * a synapse more, and set the peak). Rows keyed by target fill in target
 * order; the others are sorted afterwards. Sorting rows changes no result
 * -- a target's inputs arrive in spike order, and within one row the
 * synapses onto one target keep their order -- but it makes the
 * per-thread parts concatenate back to the one-thread rows. */
static int build_csr(sa_net *net, proj *j, const sa_connector *c,
                     const drawctx *dc, const sa_pop *sp, const sa_pop *tp) {
  uint32_t nsrc = sp->n;
  part *p = calloc(1, sizeof *p);
  if (!p) return SA_ENOMEM;
  j->parts = p;
  j->nparts = 1;
  if (!(p->row = calloc((size_t)nsrc + 1, sizeof *p->row))) return SA_ENOMEM;
  sink k = {p, 0, 0, UINT16_MAX, 0};
  int rc = draw_pass(net, net->nprojs, c, dc, sp, tp, &k);
  if (rc) return rc;
  if (!k.n) k.dmin = k.dmax = 1;
  j->nsyn = p->nsyn = k.n;
  j->dmin = k.dmin;
  j->dmax = k.dmax;
  j->dconst = k.dmin;
  size_t n = k.n ? k.n : 1;
  p->target = malloc(n * sizeof *p->target);
  if (!j->hom) p->w = malloc(n * sizeof *p->w);
  if (!p->target || (!j->hom && !p->w)) return SA_ENOMEM;
  if (k.dmin != k.dmax && !(p->delay = malloc(n * sizeof *p->delay)))
    return SA_ENOMEM;
  for (uint32_t i = 0; i < nsrc; i++) p->row[i + 1] += p->row[i];
  k.fill = 1;
  if ((rc = draw_pass(net, net->nprojs, c, dc, sp, tp, &k))) return rc;
  /* Each row[s] has moved on to the start of row s + 1. */
  memmove(p->row + 1, p->row, (size_t)nsrc * sizeof *p->row);
  p->row[0] = 0;
  return sort_rows(p, nsrc);
}

void sa__part_free(part *p) {
  free(p->row);
  free(p->target);
  free(p->w);
  free(p->wd);
  free(p->delay);
}

void sa__proj_free(proj *j) {
  for (int t = 0; t < j->nparts; t++) {
    for (int r = 0; r < j->nrules; r++)
      if (j->parts[t].rstate[r]) j->rules[r]->destroy(j->parts[t].rstate[r]);
    sa__part_free(&j->parts[t]);
  }
  free(j->parts);
  for (int r = 0; r < j->nrules; r++) free(j->rparams[r]);
  free(j->name);
}

/* Whether every synapse of the projection gets the same weight, and
 * which: a constant distribution (clipped as draw_syn clips it), or a
 * list whose weights are all the same float (bit for bit, so that -0 and
 * 0 stay apart in what sa_net_proj_get reports). A list entry that
 * draw_pass will refuse makes the answer irrelevant. */
static int hom_weight(const sa_connector *c, const sa_dist *weight,
                      int receptor, float *w) {
  if (c->type == SA_CONN_LIST && c->weight) {
    float w0 = c->n ? (float)c->weight[0] : 0;
    for (size_t i = 1; i < c->n; i++) {
      float wi = (float)c->weight[i];
      if (memcmp(&wi, &w0, sizeof wi)) return 0;
    }
    *w = w0;
    return 1;
  }
  if (weight->kind != SA_DIST_CONST) return 0;
  double wv = weight->a;
  if (receptor == SA_RECEPTOR_EXCITATORY && wv < 0) wv = 0;
  if (receptor == SA_RECEPTOR_INHIBITORY && wv > 0) wv = 0;
  *w = (float)wv;
  return 1;
}

/* Synapses cut between two shrinks of the one-thread array (split). */
#define CUT_CHUNK ((uint64_t)1 << 20)

/* One per-synapse array of g (elements of `size` bytes) into the parts'
 * arrays: the synapses of a row onto part t's block are contiguous (rows
 * are sorted by target) and go to part t's row. Rows are taken last first
 * and g's array is shrunk every CUT_CHUNK synapses (glibc gives the tail
 * of a large block back at once), so the parts' pages, untouched until
 * written, replace g's as they fill. Frees g's array. */
static void cut(const part *g, const part *ps, int T, uint32_t nsrc,
                void *from, size_t size, void *const *to) {
  char *f = from;
  uint64_t kept = g->nsyn;
  for (uint32_t i = nsrc; i-- > 0;) {
    uint64_t q = g->row[i];
    for (int t = 0; t < T; t++) {
      uint64_t n = ps[t].row[i + 1] - ps[t].row[i];
      memcpy((char *)to[t] + ps[t].row[i] * size, f + q * size, n * size);
      q += n;
    }
    if (g->row[i] > 0 && kept - g->row[i] >= CUT_CHUNK) {
      char *nf = realloc(f, g->row[i] * size);
      if (nf) f = nf;      /* a shrink that fails leaves the block whole */
      kept = g->row[i];
    }
  }
  free(f);
}

/* Part t keeps the synapses onto targets [block(t), block(t+1)) (with
 * MPI: of this rank's block, sa__wblock). Everything is allocated first,
 * so a failure leaves the projection as it was; then the arrays are cut
 * one at a time, and the split needs little memory beyond the network. */
static int split(const sa_net *net, proj *j, uint32_t nsrc, uint32_t ntgt,
                 int T) {
  part *g = &j->parts[0];
  part *ps = calloc((size_t)T, sizeof *ps);
  void **to = calloc((size_t)T, sizeof *to);
  int rc = ps && to ? 0 : SA_ENOMEM;
  for (int t = 0; t < T && !rc; t++) {
    uint32_t lo = sa__wblock(net, ntgt, t), hi = sa__wblock(net, ntgt, t + 1);
    part *p = &ps[t];
    p->row = calloc((size_t)nsrc + 1, sizeof *p->row);
    if (!p->row) {
      rc = SA_ENOMEM;
      break;
    }
    for (uint32_t i = 0; i < nsrc; i++) {
      uint64_t c = 0;
      for (uint64_t q = g->row[i]; q < g->row[i + 1]; q++)
        c += g->target[q] >= lo && g->target[q] < hi;
      p->row[i + 1] = p->row[i] + c;
    }
    p->nsyn = p->row[nsrc];
    size_t n = p->nsyn ? p->nsyn : 1;
    p->target = malloc(n * sizeof *p->target);
    if (g->w) p->w = malloc(n * sizeof *p->w);
    if (g->delay) p->delay = malloc(n * sizeof *p->delay);
    if (!p->target || (g->w && !p->w) || (g->delay && !p->delay))
      rc = SA_ENOMEM;
  }
  if (rc) {
    for (int t = 0; ps && t < T; t++) sa__part_free(&ps[t]);
    free(ps);
    free(to);
    return rc;
  }
  for (int t = 0; t < T; t++) to[t] = ps[t].target;
  cut(g, ps, T, nsrc, g->target, sizeof *g->target, to);
  g->target = NULL;
  if (g->w) {
    for (int t = 0; t < T; t++) to[t] = ps[t].w;
    cut(g, ps, T, nsrc, g->w, sizeof *g->w, to);
    g->w = NULL;
  }
  if (g->delay) {
    for (int t = 0; t < T; t++) to[t] = ps[t].delay;
    cut(g, ps, T, nsrc, g->delay, sizeof *g->delay, to);
    g->delay = NULL;
  }
  free(to);
  sa__part_free(g);
  free(j->parts);
  j->parts = ps;
  j->nparts = T;
  return 0;
}

int sa__split_parts(sa_net *net) {
  if (net->threads <= 1) return 0;
  for (int i = 0; i < net->nprojs; i++) {
    proj *j = &net->projs[i];
    if (j->nparts == net->threads) continue;
    int rc = split(net, j, net->pops[j->src]->n, net->pops[j->tgt]->n,
                   net->threads);
    if (rc) return sa__seterr(net, rc, "out of memory splitting '%s'",
                              j->name);
  }
  return 0;
}

/* Visit the synapses in canonical order: by source, then part, then row. */
void sa_net_proj_get(const sa_net *net, int pj, uint32_t *source,
                     uint32_t *target, float *weight, uint16_t *delay) {
  const proj *j = &net->projs[pj];
  uint32_t nsrc = net->pops[j->src]->n;
  uint64_t c = 0;
  for (uint32_t i = 0; i < nsrc; i++)
    for (int t = 0; t < j->nparts; t++) {
      const part *p = &j->parts[t];
      for (uint64_t q = p->row[i]; q < p->row[i + 1]; q++, c++) {
        if (source) source[c] = i;
        if (target) target[c] = p->target[q];
        if (weight) weight[c] = (float)sa__weight(j, p, q);
        if (delay) delay[c] = p->delay ? p->delay[q] : j->dconst;
      }
    }
}

int sa_net_proj_find(const sa_net *net, const char *name) {
  for (int i = 0; i < net->nprojs; i++)
    if (!strcmp(net->projs[i].name, name)) return i;
  return -1;
}

int sa_net_add_projection(sa_net *net, const char *name, int src, int tgt,
                          const sa_connector *conn, const sa_dist *weight,
                          const sa_dist *delay, int receptor,
                          int *out_index) {
  if (net->frozen)
    return sa__seterr(net, SA_EBUSY, "cannot add a projection after a run");
  if (src < 0 || src >= net->npops || tgt < 0 || tgt >= net->npops)
    return sa__seterr(net, SA_EINVAL, "no such source or target population");
  if (!name || !*name)
    return sa__seterr(net, SA_EINVAL, "a projection needs a non-empty name");
  if (sa_net_proj_find(net, name) >= 0)
    return sa__seterr(net, SA_EINVAL, "projection '%s' is defined twice", name);
  sa_pop *sp = net->pops[src], *tp = net->pops[tgt];
  if (tp->vt->kind != SA_MODEL_NEURON)
    return sa__seterr(net, SA_EINVAL,
                  "target '%s' is a %s source and cannot receive synapses",
                  tp->name, tp->vt->name);
  if (!sa__dist_ok(weight) || !sa__dist_ok(delay))
    return sa__seterr(net, SA_EINVAL, "bad weight or delay distribution");
  if (receptor < SA_RECEPTOR_AUTO || receptor > SA_RECEPTOR_INHIBITORY)
    return sa__seterr(net, SA_EINVAL, "unknown receptor %d", receptor);
  int explicit_w = conn->type == SA_CONN_LIST && conn->weight;
  if (weight->kind == SA_DIST_CONST && !explicit_w &&
      ((receptor == SA_RECEPTOR_EXCITATORY && weight->a < 0) ||
       (receptor == SA_RECEPTOR_INHIBITORY && weight->a > 0)))
    return sa__seterr(net, SA_EINVAL,
                  "weight %g has the wrong sign for an %s receptor",
                  weight->a, receptor == SA_RECEPTOR_EXCITATORY
                                 ? "excitatory" : "inhibitory");
  if (delay->kind == SA_DIST_CONST &&
      (delay->a < net->dt * (1 - 1e-9) ||
       !(delay->a / net->dt < MAX_DELAY_TICKS + 0.5)))
    return sa__seterr(net, SA_EINVAL,
                  "delay %g ms is below one tick (dt = %g ms) or above the "
                  "maximum of %u ticks", delay->a, net->dt, MAX_DELAY_TICKS);
  if (conn->type < SA_CONN_ALL_TO_ALL || conn->type > SA_CONN_LIST)
    return sa__seterr(net, SA_EINVAL, "unknown connector type %d", conn->type);
  proj *projs = realloc(net->projs, (net->nprojs + 1) * sizeof *projs);
  if (!projs) return SA_ENOMEM;
  net->projs = projs;
  proj *j = &net->projs[net->nprojs];
  memset(j, 0, sizeof *j);
  j->src = src;
  j->tgt = tgt;
  j->receptor = receptor;
  j->name = sa__dupstr(name);
  drawctx dc = {net, weight, delay, receptor, delay->kind == SA_DIST_CONST,
                1};
  if (dc.dfixed) {   /* in range: checked above */
    long long ticks = llround(delay->a / net->dt);
    dc.dfix = (uint16_t)(ticks < 1 ? 1 : ticks);
  }
  j->hom = hom_weight(conn, weight, receptor, &j->whom);
  int rc = j->name ? 0 : SA_ENOMEM;
  if (!rc) rc = build_csr(net, j, conn, &dc, sp, tp);
  if (rc) {
    if (rc == SA_ENOMEM)
      sa__seterr(net, rc, "out of memory building '%s'", name);
    sa__proj_free(j);
    return rc;
  }
  if (out_index) *out_index = net->nprojs;
  net->nprojs++;
  net->prepared = 0;
  return 0;
}

