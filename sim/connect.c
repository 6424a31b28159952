/* connect.c: connectors, drawn from keyed streams into CSR by source,
 * and the split of a projection into per-thread parts.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Synapses as drawn, before the CSR transpose. */
typedef struct edges {
  uint32_t *s, *t;
  float *w;
  uint16_t *d;
  size_t n, cap;
} edges;

static int edges_push(edges *e, uint32_t s, uint32_t t, float w,
                      uint16_t d) {
  if (e->n == e->cap) {
    size_t cap = e->cap ? 2 * e->cap : 1024;
    uint32_t *ns = realloc(e->s, cap * sizeof *ns);
    if (!ns) return SA_ENOMEM;
    e->s = ns;
    uint32_t *nt = realloc(e->t, cap * sizeof *nt);
    if (!nt) return SA_ENOMEM;
    e->t = nt;
    float *nw = realloc(e->w, cap * sizeof *nw);
    if (!nw) return SA_ENOMEM;
    e->w = nw;
    uint16_t *nd = realloc(e->d, cap * sizeof *nd);
    if (!nd) return SA_ENOMEM;
    e->d = nd;
    e->cap = cap;
  }
  e->s[e->n] = s;
  e->t[e->n] = t;
  e->w[e->n] = w;
  e->d[e->n++] = d;
  return 0;
}

static void edges_free(edges *e) {
  free(e->s);
  free(e->t);
  free(e->w);
  free(e->d);
}

typedef struct drawctx {
  sa_net *net;
  const sa_dist *weight, *delay;
  int receptor;
} drawctx;

/* Weight and delay of one synapse from the row's stream. Distributions are
 * clipped where the receptor fixes the sign and at one tick for delays. */
static int draw_syn(const drawctx *c, sa_rng *r, float *w, uint16_t *d) {
  double wv = sa__draw(c->weight, r);
  if (c->receptor == SA_RECEPTOR_EXCITATORY && wv < 0) wv = 0;
  if (c->receptor == SA_RECEPTOR_INHIBITORY && wv > 0) wv = 0;
  double dv = sa__draw(c->delay, r);
  long long ticks = llround(dv / c->net->dt);
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

static int build_edges(sa_net *net, int pidx, const sa_connector *c,
                       const drawctx *dc, const sa_pop *sp, const sa_pop *tp,
                       edges *e) {
  int same = sp == tp;
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
            llround(dv / net->dt) > (long long)MAX_DELAY_TICKS)
          return sa__seterr(net, SA_EINVAL,
                        "list delay %zu (%g ms) is below one tick (%g ms) "
                        "or above the maximum", i, dv, net->dt);
        d = (uint16_t)llround(dv / net->dt);
      }
      /* One stream for the whole list: draw every entry, keep ours. */
      if (!sa__owns(net, tp->n, c->target[i])) continue;
      int rc2 = edges_push(e, c->source[i], c->target[i], w, d);
      if (rc2) return rc2;
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
      uint16_t d = 1;
      int rc = draw_syn(dc, &r, &w, &d);
      if (!rc) rc = edges_push(e, j, j, w, d);
      if (rc) return rc;
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
      uint16_t d = 1;
      rc = draw_syn(dc, &r, &w, &d);
      if (!rc && out && !sa__owns(net, tp->n, scratch[i])) continue;
      if (!rc)
        rc = out ? edges_push(e, j, scratch[i], w, d)
                 : edges_push(e, scratch[i], j, w, d);
    }
  }
  free(scratch);
  free(marks);
  return rc;
}

/* The drawn edges into CSR by source with each row sorted by target:
 * two stable counting sorts (by target, then by source), so synapses with
 * the same endpoints keep their drawing order. Sorting rows changes no
 * result -- a target's inputs arrive in spike order, and within one row
 * the synapses onto one target keep their order -- but it makes the
 * per-thread parts concatenate back to the one-thread rows. */
static int to_csr(proj *j, const edges *e, uint32_t nsrc, uint32_t ntgt) {
  part *p = calloc(1, sizeof *p);
  if (!p) return SA_ENOMEM;
  j->parts = p;
  j->nparts = 1;
  j->nsyn = p->nsyn = e->n;
  size_t n = e->n ? e->n : 1;
  p->row = calloc((size_t)nsrc + 1, sizeof *p->row);
  p->target = malloc(n * sizeof *p->target);
  p->w = malloc(n * sizeof *p->w);
  uint64_t *cnt = calloc((size_t)(nsrc > ntgt ? nsrc : ntgt) + 1,
                         sizeof *cnt);
  size_t *by_t = malloc(n * sizeof *by_t);
  if (!p->row || !p->target || !p->w || !cnt || !by_t) {
    free(cnt);
    free(by_t);
    return SA_ENOMEM;
  }
  uint16_t dmin = UINT16_MAX, dmax = 0;
  for (size_t i = 0; i < e->n; i++) {
    cnt[e->t[i] + 1]++;
    if (e->d[i] < dmin) dmin = e->d[i];
    if (e->d[i] > dmax) dmax = e->d[i];
  }
  if (!e->n) dmin = dmax = 1;
  for (uint32_t i = 0; i < ntgt; i++) cnt[i + 1] += cnt[i];
  for (size_t i = 0; i < e->n; i++) by_t[cnt[e->t[i]]++] = i;
  for (size_t i = 0; i < e->n; i++) p->row[e->s[i] + 1]++;
  for (uint32_t i = 0; i < nsrc; i++) p->row[i + 1] += p->row[i];
  j->dmin = dmin;
  j->dmax = dmax;
  j->dconst = dmin;
  if (dmin != dmax && !(p->delay = malloc(n * sizeof *p->delay))) {
    free(cnt);
    free(by_t);
    return SA_ENOMEM;
  }
  memcpy(cnt, p->row, nsrc * sizeof *cnt);
  for (size_t k = 0; k < e->n; k++) {
    size_t i = by_t[k];
    uint64_t at = cnt[e->s[i]]++;
    p->target[at] = e->t[i];
    p->w[at] = e->w[i];
    if (p->delay) p->delay[at] = e->d[i];
  }
  free(cnt);
  free(by_t);
  return 0;
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

/* Part t keeps the synapses onto targets [block(t), block(t+1)) (with
 * MPI: of this rank's block, sa__wblock). */
static int split(const sa_net *net, proj *j, uint32_t nsrc, uint32_t ntgt,
                 int T) {
  const part *g = &j->parts[0];
  part *ps = calloc((size_t)T, sizeof *ps);
  if (!ps) return SA_ENOMEM;
  int rc = 0;
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
    p->w = malloc(n * sizeof *p->w);
    if (g->delay) p->delay = malloc(n * sizeof *p->delay);
    if (!p->target || !p->w || (g->delay && !p->delay)) {
      rc = SA_ENOMEM;
      break;
    }
    uint64_t at = 0;
    for (uint64_t q = 0; q < g->nsyn; q++) {
      if (g->target[q] < lo || g->target[q] >= hi) continue;
      p->target[at] = g->target[q];
      p->w[at] = g->w[q];
      if (p->delay) p->delay[at] = g->delay[q];
      at++;
    }
  }
  if (rc) {
    for (int t = 0; t < T; t++) sa__part_free(&ps[t]);
    free(ps);
    return rc;
  }
  sa__part_free(&j->parts[0]);
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
        if (weight) weight[c] = p->w ? p->w[q] : (float)p->wd[q];
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
       llround(delay->a / net->dt) > (long long)MAX_DELAY_TICKS))
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
  edges e = {0};
  drawctx dc = {net, weight, delay, receptor};
  int rc = j->name ? 0 : SA_ENOMEM;
  if (!rc) rc = build_edges(net, net->nprojs, conn, &dc, sp, tp, &e);
  if (!rc) rc = to_csr(j, &e, sp->n, tp->n);
  edges_free(&e);
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

