/* net.c: networks, connectivity (CSR by source) and the run loop.
 * SPDX-License-Identifier: MIT */
#include "sa_sim.h"
#include "rng.h"
#include "../models/sa_model.h"
#include "../rules/sa_rule.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DELAY_TICKS 65535u
#define DEFAULT_SLICE_MS 1.0

/* A projection keeps its synapses in CSR by source: the synapses of source
 * node i are [row[i], row[i+1]) of tgt/w (and delay, unless all delays are
 * equal, then delay is NULL and dconst holds it). That is 8 bytes a synapse
 * for the common constant-delay case. Within a row synapses are in
 * ascending target order (the order they were drawn in). */
typedef struct proj {
  char *name;
  int src, tgt;
  int receptor;
  uint64_t nsyn;
  uint64_t *row;
  uint32_t *target;
  float *w;
  uint16_t *delay;
  uint16_t dconst, dmin, dmax;
  /* Plastic projections keep double weights (wd, w is freed) next to the
   * rule's own state; 12 bytes a synapse with constant delays. */
  const sa_rule_vt *rule;
  void *rparams, *rstate;
  double *wd;
  double sign;
} proj;

typedef struct sub { sa_spike_cb cb; void *ud; } sub;
typedef struct obs { sa_slice_cb cb; void *ud; } obs;

struct sa_net {
  double dt;
  uint64_t seed;
  sa_tick now;
  int threads;
  int prepared, frozen;
  sa_pop **pops;
  int npops;
  proj *projs;
  int nprojs;
  sub *subs;
  int nsubs;
  obs *obs;
  int nobs;
  sa_tick min_delay;
  int nslots;
  char err[512];
};

static int seterr(sa_net *net, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(net->err, sizeof net->err, fmt, ap);
  va_end(ap);
  return rc;
}

static char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

uint64_t sa__net_seed(const sa_net *net) { return net->seed; }

int sa_net_create(sa_net **out, double dt, uint64_t seed) {
  *out = NULL;
  if (!(dt > 0) || !isfinite(dt)) return SA_EINVAL;
  sa_net *net = calloc(1, sizeof *net);
  if (!net) return SA_ENOMEM;
  net->dt = dt;
  net->seed = seed;
  net->threads = 1;
  *out = net;
  return 0;
}

static void pop_free(sa_pop *p) {
  if (!p) return;
  if (p->vt && p->vt->fini) p->vt->fini(p);
  free(p->name);
  free(p->params);
  free(p->sp_stamp);
  free(p->sp_id);
  free(p->ring_ex);
  free(p->ring_in);
  free(p->src_stamp);
  free(p->src_id);
  free(p);
}

static void proj_free(proj *j) {
  if (j->rule && j->rstate) j->rule->destroy(j->rstate);
  free(j->rparams);
  free(j->wd);
  free(j->name);
  free(j->row);
  free(j->target);
  free(j->w);
  free(j->delay);
}

void sa_net_destroy(sa_net *net) {
  if (!net) return;
  for (int i = 0; i < net->npops; i++) pop_free(net->pops[i]);
  for (int i = 0; i < net->nprojs; i++) proj_free(&net->projs[i]);
  free(net->pops);
  free(net->projs);
  free(net->subs);
  free(net->obs);
  free(net);
}

const char *sa_net_errmsg(const sa_net *net) { return net->err; }

int sa_net_set_threads(sa_net *net, int n) {
  if (n < 1) return seterr(net, SA_EINVAL, "threads must be at least 1");
  if (n > 1)
    return seterr(net, SA_ENOTSUP,
                  "threads: only 1 thread is implemented in this version "
                  "(asked for %d)", n);
  net->threads = n;
  return 0;
}

/* ---- populations ---------------------------------------------------- */

int sa_net_pop_find(const sa_net *net, const char *name) {
  for (int i = 0; i < net->npops; i++)
    if (!strcmp(net->pops[i]->name, name)) return i;
  return -1;
}

int sa_net_add_population(sa_net *net, const char *name, const char *model,
                          uint32_t n, int *out_index) {
  if (net->frozen)
    return seterr(net, SA_EBUSY, "cannot add a population after a run");
  if (!name || !*name)
    return seterr(net, SA_EINVAL, "a population needs a non-empty name");
  if (sa_net_pop_find(net, name) >= 0)
    return seterr(net, SA_EINVAL, "population '%s' is defined twice", name);
  const sa_model_vt *vt = sa__model_find(model);
  if (!vt)
    return seterr(net, SA_ENOENT,
                  "unknown model '%s' (known: lif_delta, lif_exp, poisson, "
                  "spike_source)", model);
  if (n == 0)
    return seterr(net, SA_EINVAL, "population '%s' must have n >= 1", name);
  if (n > (1u << 31))
    return seterr(net, SA_ERANGE, "population '%s': n = %u exceeds 2^31",
                  name, n);
  sa_pop **pops = realloc(net->pops, (net->npops + 1) * sizeof *pops);
  if (!pops) return SA_ENOMEM;
  net->pops = pops;
  sa_pop *p = calloc(1, sizeof *p);
  if (!p) return SA_ENOMEM;
  p->name = dupstr(name);
  p->params = calloc(1, vt->params_size);
  p->vt = vt;
  p->n = n;
  p->net = net;
  p->index = net->npops;
  if (!p->name || !p->params) {
    pop_free(p);
    return SA_ENOMEM;
  }
  for (const sa_param_desc *d = vt->params; d->name; d++)
    *(double *)((char *)p->params + d->offset) = d->def;
  int rc = vt->init(p);
  if (rc) {
    pop_free(p);
    return rc;
  }
  net->pops[net->npops++] = p;
  if (out_index) *out_index = p->index;
  return 0;
}

static const sa_param_desc *param_find(const sa_model_vt *vt,
                                       const char *name) {
  for (const sa_param_desc *d = vt->params; d->name; d++)
    if (!strcmp(d->name, name)) return d;
  return NULL;
}

int sa_pop_set_param(sa_net *net, int pop, const char *name, double value) {
  if (pop < 0 || pop >= net->npops)
    return seterr(net, SA_EINVAL, "no population %d", pop);
  sa_pop *p = net->pops[pop];
  const sa_param_desc *d = param_find(p->vt, name);
  if (!d)
    return seterr(net, SA_ENOENT, "unknown parameter '%s' of model %s",
                  name, p->vt->name);
  if (!isfinite(value))
    return seterr(net, SA_EINVAL, "parameter '%s' must be finite", name);
  *(double *)((char *)p->params + d->offset) = value;
  net->prepared = 0;
  return 0;
}

int sa_pop_get_param(const sa_net *net, int pop, const char *name,
                     double *value) {
  if (pop < 0 || pop >= net->npops) return SA_EINVAL;
  const sa_pop *p = net->pops[pop];
  const sa_param_desc *d = param_find(p->vt, name);
  if (!d) return SA_ENOENT;
  *value = *(const double *)((const char *)p->params + d->offset);
  return 0;
}

static double draw(const sa_dist *d, sa_rng *r) {
  switch (d->kind) {
  case SA_DIST_UNIFORM: return d->a + (d->b - d->a) * sa_rng_uniform(r);
  case SA_DIST_NORMAL: return d->a + d->b * sa_rng_normal(r);
  default: return d->a;
  }
}

static int dist_ok(const sa_dist *d) {
  if (!isfinite(d->a) || !isfinite(d->b)) return 0;
  if (d->kind == SA_DIST_UNIFORM) return d->a <= d->b;
  if (d->kind == SA_DIST_NORMAL) return d->b >= 0;
  return d->kind == SA_DIST_CONST;
}

static void apply_init(sa_net *net, sa_pop *p) {
  sa_rng r;
  for (uint32_t i = 0; i < p->n; i++) {
    sa_rng_seed(&r, net->seed, SA_RNG_KEY(SA_RNG_INIT, p->index), i);
    p->vt->set_init(p, "V_m", i, draw(&p->init_V, &r));
  }
}

int sa_pop_set_init(sa_net *net, int pop, const char *var, const sa_dist *d) {
  if (pop < 0 || pop >= net->npops)
    return seterr(net, SA_EINVAL, "no population %d", pop);
  sa_pop *p = net->pops[pop];
  int found = 0;
  for (const char *const *v = p->vt->state_vars; *v; v++)
    found |= !strcmp(*v, var);
  if (!found || strcmp(var, "V_m"))
    return seterr(net, SA_ENOENT, "model %s has no initial value '%s'",
                  p->vt->name, var);
  if (!dist_ok(d))
    return seterr(net, SA_EINVAL, "bad distribution for '%s'", var);
  p->init_V = *d;
  p->has_init = 1;
  if (p->initialised) apply_init(net, p);
  return 0;
}

int sa_pop_set_spike_times(sa_net *net, int pop, uint32_t node,
                           const double *t, size_t n) {
  if (pop < 0 || pop >= net->npops)
    return seterr(net, SA_EINVAL, "no population %d", pop);
  sa_pop *p = net->pops[pop];
  if (p->vt != sa__model_find("spike_source"))
    return seterr(net, SA_EINVAL, "population '%s' is not a spike_source",
                  p->name);
  if (node >= p->n)
    return seterr(net, SA_EINVAL, "population '%s' has no node %u",
                  p->name, node);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(t[i]) || t[i] < net->dt * 0.5)
      return seterr(net, SA_EINVAL,
                    "spike time %g of node %u is not >= one tick", t[i],
                    node);
    if (i && t[i] < t[i - 1])
      return seterr(net, SA_EINVAL,
                    "spike times of node %u are not ascending", node);
  }
  if (p->src_n + n > p->src_cap) {
    size_t cap = p->src_cap ? p->src_cap : 64;
    while (cap < p->src_n + n) cap *= 2;
    sa_tick *s = realloc(p->src_stamp, cap * sizeof *s);
    if (!s) return SA_ENOMEM;
    p->src_stamp = s;
    uint32_t *id = realloc(p->src_id, cap * sizeof *id);
    if (!id) return SA_ENOMEM;
    p->src_id = id;
    p->src_cap = cap;
  }
  for (size_t i = 0; i < n; i++) {
    p->src_stamp[p->src_n] = llround(t[i] / net->dt);
    p->src_id[p->src_n++] = node;
  }
  p->src_sorted = 0;
  return 0;
}

int sa__emit(sa_pop *p, sa_tick stamp, uint32_t id) {
  if (p->sp_n == p->sp_cap) {
    size_t cap = p->sp_cap ? 2 * p->sp_cap : 256;
    sa_tick *s = realloc(p->sp_stamp, cap * sizeof *s);
    if (!s) return SA_ENOMEM;
    p->sp_stamp = s;
    uint32_t *i = realloc(p->sp_id, cap * sizeof *i);
    if (!i) return SA_ENOMEM;
    p->sp_id = i;
    p->sp_cap = cap;
  }
  p->sp_stamp[p->sp_n] = stamp;
  p->sp_id[p->sp_n++] = id;
  return 0;
}

/* ---- projections ---------------------------------------------------- */

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
  double wv = draw(c->weight, r);
  if (c->receptor == SA_RECEPTOR_EXCITATORY && wv < 0) wv = 0;
  if (c->receptor == SA_RECEPTOR_INHIBITORY && wv > 0) wv = 0;
  double dv = draw(c->delay, r);
  long long ticks = llround(dv / c->net->dt);
  if (ticks < 1) ticks = 1;
  if (ticks > (long long)MAX_DELAY_TICKS)
    return seterr(c->net, SA_EINVAL,
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
        return seterr(net, SA_EINVAL,
                      "list entry %zu (%u -> %u) is out of range (source "
                      "has %u nodes, target %u)", i, c->source[i],
                      c->target[i], sp->n, tp->n);
      float w;
      uint16_t d;
      int rc = draw_syn(dc, &r, &w, &d);
      if (rc) return rc;
      if (c->weight) {
        double wv = c->weight[i];
        if (!isfinite(wv) ||
            (dc->receptor == SA_RECEPTOR_EXCITATORY && wv < 0) ||
            (dc->receptor == SA_RECEPTOR_INHIBITORY && wv > 0))
          return seterr(net, SA_EINVAL,
                        "list weight %zu (%g) has the wrong sign for the "
                        "receptor", i, wv);
        w = (float)wv;
      }
      if (c->delay) {
        double dv = c->delay[i];
        if (!isfinite(dv) || dv < net->dt * (1 - 1e-9) ||
            llround(dv / net->dt) > (long long)MAX_DELAY_TICKS)
          return seterr(net, SA_EINVAL,
                        "list delay %zu (%g ms) is below one tick (%g ms) "
                        "or above the maximum", i, dv, net->dt);
        d = (uint16_t)llround(dv / net->dt);
      }
      int rc2 = edges_push(e, c->source[i], c->target[i], w, d);
      if (rc2) return rc2;
    }
    return 0;
  }
  if (c->type == SA_CONN_ONE_TO_ONE) {
    if (sp->n != tp->n)
      return seterr(net, SA_EINVAL,
                    "one_to_one needs equal sizes (source '%s' has %u "
                    "nodes, target '%s' %u)", sp->name, sp->n, tp->name,
                    tp->n);
    for (uint32_t j = 0; j < tp->n; j++) {
      sa_rng_seed(&r, net->seed, SA_RNG_KEY(SA_RNG_PROJECTION, pidx), j);
      float w;
      uint16_t d;
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
    return seterr(net, SA_EINVAL, "p = %g is outside [0, 1]", c->p);
  if ((c->type == SA_CONN_FIXED_INDEGREE || out) && !c->allow_multapses &&
      c->k > m)
    return seterr(net, SA_EINVAL,
                  "k = %u exceeds the %u possible partners without "
                  "multapses", c->k, m);
  if ((c->type == SA_CONN_FIXED_INDEGREE || out) && c->k > 0 && m == 0)
    return seterr(net, SA_EINVAL, "k = %u but there are no partners", c->k);
  size_t scap = c->type == SA_CONN_FIXED_INDEGREE || out ? c->k : nother;
  uint32_t *scratch = malloc((scap ? scap : 1) * sizeof *scratch);
  unsigned char *marks = calloc(nother ? nother : 1, 1);
  int rc = scratch && marks ? 0 : SA_ENOMEM;
  for (uint32_t j = 0; j < nrows && !rc; j++) {
    sa_rng_seed(&r, net->seed,
                SA_RNG_KEY(out ? SA_RNG_PROJECTION_OUT : SA_RNG_PROJECTION,
                           pidx), j);
    uint32_t k;
    rc = draw_row(c, &r, nother, excl ? (int64_t)j : -1, marks, scratch, &k);
    for (uint32_t i = 0; i < k && !rc; i++) {
      float w;
      uint16_t d;
      rc = draw_syn(dc, &r, &w, &d);
      if (!rc)
        rc = out ? edges_push(e, j, scratch[i], w, d)
                 : edges_push(e, scratch[i], j, w, d);
    }
  }
  free(scratch);
  free(marks);
  return rc;
}

/* Counting sort of the drawn edges into CSR by source; stable, so each
 * row keeps the drawing order. */
static int to_csr(proj *j, const edges *e, uint32_t nsrc) {
  j->nsyn = e->n;
  j->row = calloc((size_t)nsrc + 1, sizeof *j->row);
  j->target = malloc((e->n ? e->n : 1) * sizeof *j->target);
  j->w = malloc((e->n ? e->n : 1) * sizeof *j->w);
  if (!j->row || !j->target || !j->w) return SA_ENOMEM;
  uint16_t dmin = UINT16_MAX, dmax = 0;
  for (size_t i = 0; i < e->n; i++) {
    j->row[e->s[i] + 1]++;
    if (e->d[i] < dmin) dmin = e->d[i];
    if (e->d[i] > dmax) dmax = e->d[i];
  }
  if (!e->n) dmin = dmax = 1;
  for (uint32_t i = 0; i < nsrc; i++) j->row[i + 1] += j->row[i];
  j->dmin = dmin;
  j->dmax = dmax;
  j->dconst = dmin;
  if (dmin != dmax) {
    j->delay = malloc(e->n * sizeof *j->delay);
    if (!j->delay) return SA_ENOMEM;
  }
  uint64_t *fill = malloc((size_t)(nsrc ? nsrc : 1) * sizeof *fill);
  if (!fill) return SA_ENOMEM;
  memcpy(fill, j->row, nsrc * sizeof *fill);
  for (size_t i = 0; i < e->n; i++) {
    uint64_t at = fill[e->s[i]]++;
    j->target[at] = e->t[i];
    j->w[at] = e->w[i];
    if (j->delay) j->delay[at] = e->d[i];
  }
  free(fill);
  return 0;
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
    return seterr(net, SA_EBUSY, "cannot add a projection after a run");
  if (src < 0 || src >= net->npops || tgt < 0 || tgt >= net->npops)
    return seterr(net, SA_EINVAL, "no such source or target population");
  if (!name || !*name)
    return seterr(net, SA_EINVAL, "a projection needs a non-empty name");
  if (sa_net_proj_find(net, name) >= 0)
    return seterr(net, SA_EINVAL, "projection '%s' is defined twice", name);
  sa_pop *sp = net->pops[src], *tp = net->pops[tgt];
  if (tp->vt->kind != SA_MODEL_NEURON)
    return seterr(net, SA_EINVAL,
                  "target '%s' is a %s source and cannot receive synapses",
                  tp->name, tp->vt->name);
  if (!dist_ok(weight) || !dist_ok(delay))
    return seterr(net, SA_EINVAL, "bad weight or delay distribution");
  if (receptor < SA_RECEPTOR_AUTO || receptor > SA_RECEPTOR_INHIBITORY)
    return seterr(net, SA_EINVAL, "unknown receptor %d", receptor);
  int explicit_w = conn->type == SA_CONN_LIST && conn->weight;
  if (weight->kind == SA_DIST_CONST && !explicit_w &&
      ((receptor == SA_RECEPTOR_EXCITATORY && weight->a < 0) ||
       (receptor == SA_RECEPTOR_INHIBITORY && weight->a > 0)))
    return seterr(net, SA_EINVAL,
                  "weight %g has the wrong sign for an %s receptor",
                  weight->a, receptor == SA_RECEPTOR_EXCITATORY
                                 ? "excitatory" : "inhibitory");
  if (delay->kind == SA_DIST_CONST &&
      (delay->a < net->dt * (1 - 1e-9) ||
       llround(delay->a / net->dt) > (long long)MAX_DELAY_TICKS))
    return seterr(net, SA_EINVAL,
                  "delay %g ms is below one tick (dt = %g ms) or above the "
                  "maximum of %u ticks", delay->a, net->dt, MAX_DELAY_TICKS);
  if (conn->type < SA_CONN_ALL_TO_ALL || conn->type > SA_CONN_LIST)
    return seterr(net, SA_EINVAL, "unknown connector type %d", conn->type);
  proj *projs = realloc(net->projs, (net->nprojs + 1) * sizeof *projs);
  if (!projs) return SA_ENOMEM;
  net->projs = projs;
  proj *j = &net->projs[net->nprojs];
  memset(j, 0, sizeof *j);
  j->src = src;
  j->tgt = tgt;
  j->receptor = receptor;
  j->name = dupstr(name);
  edges e = {0};
  drawctx dc = {net, weight, delay, receptor};
  int rc = j->name ? 0 : SA_ENOMEM;
  if (!rc) rc = build_edges(net, net->nprojs, conn, &dc, sp, tp, &e);
  if (!rc) rc = to_csr(j, &e, sp->n);
  edges_free(&e);
  if (rc) {
    if (rc == SA_ENOMEM) seterr(net, rc, "out of memory building '%s'", name);
    proj_free(j);
    return rc;
  }
  if (out_index) *out_index = net->nprojs;
  net->nprojs++;
  net->prepared = 0;
  return 0;
}

/* ---- plasticity ----------------------------------------------------- */

static const sa_param_desc *desc_find(const sa_param_desc *d,
                                      const char *name) {
  for (; d->name; d++)
    if (!strcmp(d->name, name)) return d;
  return NULL;
}

static int proj_check(sa_net *net, int pj, int need_rule) {
  if (pj < 0 || pj >= net->nprojs)
    return seterr(net, SA_EINVAL, "no projection %d", pj);
  if (net->frozen)
    return seterr(net, SA_EBUSY, "cannot change plasticity after a run");
  if (need_rule && !net->projs[pj].rule)
    return seterr(net, SA_EINVAL, "projection '%s' has no rule",
                  net->projs[pj].name);
  return 0;
}

int sa_net_set_rule(sa_net *net, int pj, const char *name) {
  int rc = proj_check(net, pj, 0);
  if (rc) return rc;
  const sa_rule_vt *vt = sa__rule_find(name);
  if (!vt) return seterr(net, SA_ENOENT, "unknown rule '%s' (known: stdp)",
                         name);
  proj *j = &net->projs[pj];
  void *p = calloc(1, vt->params_size);
  if (!p) return SA_ENOMEM;
  for (const sa_param_desc *d = vt->params; d->name; d++)
    *(double *)((char *)p + d->offset) = d->def;
  free(j->rparams);
  j->rparams = p;
  j->rule = vt;
  net->prepared = 0;
  return 0;
}

int sa_proj_set_rule_param(sa_net *net, int pj, const char *name,
                           double value) {
  int rc = proj_check(net, pj, 1);
  if (rc) return rc;
  proj *j = &net->projs[pj];
  const sa_param_desc *d = desc_find(j->rule->params, name);
  if (!d) return seterr(net, SA_ENOENT, "unknown parameter '%s' of rule %s",
                        name, j->rule->name);
  if (!isfinite(value))
    return seterr(net, SA_EINVAL, "parameter '%s' must be finite", name);
  *(double *)((char *)j->rparams + d->offset) = value;
  return 0;
}

int sa_proj_set_rule_option(sa_net *net, int pj, const char *name,
                            const char *value) {
  int rc = proj_check(net, pj, 1);
  if (rc) return rc;
  proj *j = &net->projs[pj];
  char msg[200] = "";
  rc = j->rule->set_option ? j->rule->set_option(j->rparams, name, value,
                                                 msg, sizeof msg)
                           : SA_ENOENT;
  if (rc == SA_ENOENT)
    return seterr(net, rc, "unknown option '%s' of rule %s", name,
                  j->rule->name);
  if (rc) return seterr(net, rc, "%s", msg);
  return 0;
}

const char *sa_net_proj_rule(const sa_net *net, int pj) {
  return net->projs[pj].rule ? net->projs[pj].rule->name : NULL;
}

static sa_syn_view view_of(const sa_net *net, proj *j) {
  sa_syn_view v = {net->pops[j->src]->n, net->pops[j->tgt]->n, j->nsyn,
                   j->row, j->target, j->delay, j->dconst, j->dmax, j->wd,
                   j->sign, net->dt};
  return v;
}

/* First prepare of a plastic projection: one sign, double weights, the
 * rule's state. */
static int make_plastic(sa_net *net, proj *j) {
  char msg[256] = "";
  int rc = j->rule->check(j->rparams, msg, sizeof msg);
  if (rc)
    return seterr(net, rc, "projection '%s' (%s): %s", j->name,
                  j->rule->name, msg);
  if (j->receptor == SA_RECEPTOR_INHIBITORY) {
    j->sign = -1;
  } else if (j->receptor == SA_RECEPTOR_EXCITATORY) {
    j->sign = 1;
  } else {
    int pos = 0, neg = 0;
    for (uint64_t q = 0; q < j->nsyn; q++) {
      pos |= j->w[q] > 0;
      neg |= j->w[q] < 0;
    }
    if (pos && neg)
      return seterr(net, SA_EINVAL,
                    "projection '%s': a plastic projection needs weights "
                    "of one sign (set its receptor)", j->name);
    j->sign = neg ? -1 : 1;
  }
  j->wd = malloc((j->nsyn ? j->nsyn : 1) * sizeof *j->wd);
  if (!j->wd) return seterr(net, SA_ENOMEM, "out of memory");
  for (uint64_t q = 0; q < j->nsyn; q++) j->wd[q] = j->w[q];
  free(j->w);
  j->w = NULL;
  sa_syn_view v = view_of(net, j);
  rc = j->rule->create(&j->rstate, j->rparams, &v);
  if (rc) return seterr(net, rc, "out of memory for rule state");
  return 0;
}

/* ---- prepare and run ------------------------------------------------ */

typedef struct srcev { sa_tick stamp; uint32_t id; size_t seq; } srcev;

static int cmp_src(const void *a, const void *b) {
  const srcev *x = a, *y = b;
  if (x->stamp != y->stamp) return x->stamp < y->stamp ? -1 : 1;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int sa_net_prepare(sa_net *net) {
  char msg[256];
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    msg[0] = 0;
    int rc = p->vt->check(p->params, msg, sizeof msg);
    if (rc)
      return seterr(net, rc, "population '%s' (%s): %s", p->name,
                    p->vt->name, msg);
  }
  if (!net->frozen) {
    /* First prepare: fix the time grid's ring size, draw initial values,
     * sort spike_source times. */
    int dmax = 1;
    sa_tick dmin = -1;
    for (int i = 0; i < net->nprojs; i++) {
      if (net->projs[i].nsyn == 0) continue;
      if (net->projs[i].dmax > dmax) dmax = net->projs[i].dmax;
      if (dmin < 0 || net->projs[i].dmin < dmin) dmin = net->projs[i].dmin;
    }
    if (dmin < 0) {
      dmin = llround(DEFAULT_SLICE_MS / net->dt);
      if (dmin < 1) dmin = 1;
    }
    net->min_delay = dmin;
    net->nslots = dmax + 1;
    for (int i = 0; i < net->nprojs; i++) {
      if (!net->projs[i].rule) continue;
      int rc = make_plastic(net, &net->projs[i]);
      if (rc) return rc;
    }
    for (int i = 0; i < net->npops; i++) {
      sa_pop *p = net->pops[i];
      if (p->vt->kind == SA_MODEL_NEURON) {
        size_t cells = (size_t)net->nslots * p->n;
        p->ring_ex = calloc(cells, sizeof *p->ring_ex);
        p->ring_in = calloc(cells, sizeof *p->ring_in);
        if (!p->ring_ex || !p->ring_in)
          return seterr(net, SA_ENOMEM,
                        "out of memory for the input buffers of '%s'",
                        p->name);
        p->nslots = net->nslots;
      }
      if (p->has_init) apply_init(net, p);
      p->initialised = 1;
      if (!p->src_sorted && p->src_n > 1) {
        /* Order by (stamp, node); ties keep insertion order. */
        srcev *ev = malloc(p->src_n * sizeof *ev);
        if (!ev) return SA_ENOMEM;
        for (size_t k = 0; k < p->src_n; k++)
          ev[k] = (srcev){p->src_stamp[k], p->src_id[k], k};
        qsort(ev, p->src_n, sizeof *ev, cmp_src);
        for (size_t k = 0; k < p->src_n; k++) {
          p->src_stamp[k] = ev[k].stamp;
          p->src_id[k] = ev[k].id;
        }
        free(ev);
      }
      p->src_sorted = 1;
    }
    net->frozen = 1;
  }
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    int rc = p->vt->prepare(p, net->dt);
    if (rc == SA_ERANGE)
      return seterr(net, rc, "population '%s' (%s): rate * dt exceeds 1",
                    p->name, p->vt->name);
    if (rc) return seterr(net, rc, "population '%s': prepare failed",
                          p->name);
  }
  net->prepared = 1;
  return 0;
}

int sa_net_subscribe(sa_net *net, sa_spike_cb cb, void *ud) {
  sub *s = realloc(net->subs, (net->nsubs + 1) * sizeof *s);
  if (!s) return SA_ENOMEM;
  net->subs = s;
  net->subs[net->nsubs++] = (sub){cb, ud};
  return 0;
}

int sa_net_on_slice(sa_net *net, sa_slice_cb cb, void *ud) {
  obs *o = realloc(net->obs, (net->nobs + 1) * sizeof *o);
  if (!o) return SA_ENOMEM;
  net->obs = o;
  net->obs[net->nobs++] = (obs){cb, ud};
  return 0;
}

/* Fan the slice's spikes out into the targets' ring buffers. A spike
 * stamped s over a synapse of delay d arrives at tick s + d, i.e. in row
 * (s + d) % nslots, which the target reads in its update from s+d-1 to
 * s+d. Since d >= min_delay, every arrival lies beyond the slice. */
static void deliver(sa_net *net, const proj *j) {
  const sa_pop *sp = net->pops[j->src];
  sa_pop *tp = net->pops[j->tgt];
  const size_t n = tp->n;
  const int nslots = net->nslots;
  double *ex = tp->ring_ex, *in = tp->ring_in;
  for (size_t s = 0; s < sp->sp_n; s++) {
    uint32_t src = sp->sp_id[s];
    sa_tick stamp = sp->sp_stamp[s];
    uint64_t a = j->row[src], b = j->row[src + 1];
    if (!j->delay) {
      size_t off = (size_t)((stamp + j->dconst) % nslots) * n;
      double *rex = ex + off, *rin = in + off;
      if (j->receptor == SA_RECEPTOR_EXCITATORY) {
        for (uint64_t q = a; q < b; q++) rex[j->target[q]] += j->w[q];
      } else if (j->receptor == SA_RECEPTOR_INHIBITORY) {
        for (uint64_t q = a; q < b; q++) rin[j->target[q]] += j->w[q];
      } else {
        for (uint64_t q = a; q < b; q++) {
          float w = j->w[q];
          (w >= 0 ? rex : rin)[j->target[q]] += w;
        }
      }
    } else {
      for (uint64_t q = a; q < b; q++) {
        size_t off = (size_t)((stamp + j->delay[q]) % nslots) * n;
        float w = j->w[q];
        int exc = j->receptor == SA_RECEPTOR_EXCITATORY ||
                  (j->receptor == SA_RECEPTOR_AUTO && w >= 0);
        (exc ? ex : in)[off + j->target[q]] += w;
      }
    }
  }
}

/* A plastic projection: the rule sees the target's spikes of the slice,
 * then each source spike right before its delivery (NEST's order: a spike
 * carries the weight its own arrival produced). */
static int deliver_plastic(sa_net *net, proj *j) {
  const sa_pop *sp = net->pops[j->src], *tp = net->pops[j->tgt];
  sa_syn_view v = view_of(net, j);
  int rc = j->rule->post(j->rstate, &v, tp->sp_stamp, tp->sp_id, tp->sp_n);
  if (rc) return rc;
  const size_t n = tp->n;
  const int nslots = net->nslots;
  double *ex = tp->ring_ex, *in = tp->ring_in;
  double *buf = j->sign > 0 ? ex : in;
  for (size_t s = 0; s < sp->sp_n; s++) {
    uint32_t src = sp->sp_id[s];
    sa_tick stamp = sp->sp_stamp[s];
    j->rule->pre(j->rstate, &v, stamp, src);
    for (uint64_t q = j->row[src]; q < j->row[src + 1]; q++) {
      sa_tick d = j->delay ? j->delay[q] : j->dconst;
      buf[(size_t)((stamp + d) % nslots) * n + j->target[q]] += j->wd[q];
    }
  }
  j->rule->slice_end(j->rstate, &v, net->now);
  return 0;
}

int sa_net_run(sa_net *net, sa_tick nsteps, const volatile int *stop) {
  if (!net->prepared) {
    int rc = sa_net_prepare(net);
    if (rc) return rc;
  }
  sa_tick end = net->now + nsteps;
  while (net->now < end) {
    sa_tick m = net->min_delay;
    if (end - net->now < m) m = end - net->now;
    for (sa_tick k = net->now; k < net->now + m; k++) {
      for (int i = 0; i < net->npops; i++) {
        sa_pop *p = net->pops[i];
        int rc;
        if (p->ring_ex) {
          size_t off = (size_t)((k + 1) % p->nslots) * p->n;
          double *rex = p->ring_ex + off, *rin = p->ring_in + off;
          rc = p->vt->update(p, k, rex, rin);
        } else {
          rc = p->vt->update(p, k, NULL, NULL);
        }
        if (rc) return seterr(net, rc, "out of memory for spikes");
      }
    }
    net->now += m;
    for (int i = 0; i < net->nprojs; i++) {
      proj *j = &net->projs[i];
      if (j->rule) {
        int rc = deliver_plastic(net, j);
        if (rc) return seterr(net, rc, "out of memory in rule of '%s'",
                              j->name);
      } else if (net->pops[j->src]->sp_n) {
        deliver(net, j);
      }
    }
    for (int i = 0; i < net->npops; i++) {
      sa_pop *p = net->pops[i];
      if (!p->sp_n) continue;
      for (int s = 0; s < net->nsubs; s++)
        net->subs[s].cb(net->subs[s].ud, i, p->sp_stamp, p->sp_id, p->sp_n);
      p->nspikes += p->sp_n;
      p->sp_n = 0;
    }
    for (int o = 0; o < net->nobs; o++)
      net->obs[o].cb(net->obs[o].ud, net->now);
    if (stop && *stop && net->now < end)
      return seterr(net, SA_EINTR, "interrupted at %.3f ms",
                    (double)net->now * net->dt);
  }
  return 0;
}

/* ---- introspection -------------------------------------------------- */

double sa_net_dt(const sa_net *net) { return net->dt; }
uint64_t sa_net_seed(const sa_net *net) { return net->seed; }
sa_tick sa_net_now(const sa_net *net) { return net->now; }
sa_tick sa_net_min_delay(const sa_net *net) { return net->min_delay; }
int sa_net_pop_count(const sa_net *net) { return net->npops; }
const char *sa_net_pop_name(const sa_net *net, int pop) {
  return net->pops[pop]->name;
}
const char *sa_net_pop_model(const sa_net *net, int pop) {
  return net->pops[pop]->vt->name;
}
uint32_t sa_net_pop_size(const sa_net *net, int pop) {
  return net->pops[pop]->n;
}
uint64_t sa_net_pop_spikes(const sa_net *net, int pop) {
  return net->pops[pop]->nspikes;
}
int sa_net_proj_count(const sa_net *net) { return net->nprojs; }
const char *sa_net_proj_name(const sa_net *net, int proj) {
  return net->projs[proj].name;
}
uint64_t sa_net_proj_size(const sa_net *net, int proj) {
  return net->projs[proj].nsyn;
}

void sa_net_proj_get(const sa_net *net, int pj, uint32_t *source,
                     uint32_t *target, float *weight, uint16_t *delay) {
  const proj *j = &net->projs[pj];
  uint32_t nsrc = net->pops[j->src]->n;
  for (uint32_t i = 0; i < nsrc; i++)
    for (uint64_t q = j->row[i]; q < j->row[i + 1]; q++) {
      if (source) source[q] = i;
      if (target) target[q] = j->target[q];
      if (weight) weight[q] = j->w ? j->w[q] : (float)j->wd[q];
      if (delay) delay[q] = j->delay ? j->delay[q] : j->dconst;
    }
}

int sa_net_proj_source(const sa_net *net, int pj) {
  return net->projs[pj].src;
}

int sa_net_proj_target(const sa_net *net, int pj) {
  return net->projs[pj].tgt;
}

int sa_net_proj_weights(sa_net *net, int pj, double *out) {
  if (pj < 0 || pj >= net->nprojs) return SA_EINVAL;
  proj *j = &net->projs[pj];
  if (j->rule && j->rstate) {
    sa_syn_view v = view_of(net, j);
    j->rule->materialize(j->rstate, &v, net->now);
  }
  for (uint64_t q = 0; q < j->nsyn; q++)
    out[q] = j->w ? j->w[q] : j->wd[q];
  return 0;
}

int sa_pop_get_state(const sa_net *net, int pop, const char *var,
                     uint32_t node, double *value) {
  if (pop < 0 || pop >= net->npops) return SA_EINVAL;
  const sa_pop *p = net->pops[pop];
  if (node >= p->n) return SA_EINVAL;
  return p->vt->get_state(p, var, node, value);
}
