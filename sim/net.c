/* net.c: networks, populations and their parameters, plasticity set-up,
 * introspection. Connectivity is in connect.c, the run loop in run.c.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include "rng.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sa__seterr(sa_net *net, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(net->err, sizeof net->err, fmt, ap);
  va_end(ap);
  return rc;
}

char *sa__dupstr(const char *s) {
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
  net->threads = net->threads_asked = 1;
  sa__dist_attach(net);   /* rank and rank count (sim/mpi.c) */
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
  free(p->ring_ex);   /* ring_in points into it */
  free(p->src_stamp);
  free(p->src_id);
  for (int t = 0; p->tb && t < p->ntb; t++) {
    free(p->tb[t].stamp);
    free(p->tb[t].id);
  }
  free(p->tb);
  for (int t = 0; p->blk && t < p->ntb; t++) {
    free(p->blk[t].ats);
    free(p->blk[t].nas);
    free(p->blk[t].cross);
    free(p->blk[t].rf);
  }
  free(p->blk);
  free(p);
}

void sa_net_destroy(sa_net *net) {
  if (!net) return;
  sa__pool_stop(net);
  for (int i = 0; i < net->npops; i++) pop_free(net->pops[i]);
  for (int i = 0; i < net->nprojs; i++) sa__proj_free(&net->projs[i]);
  free(net->pops);
  free(net->projs);
  free(net->subs);
  free(net->obs);
  sa__dist_free(net);
  free(net);
}

const char *sa_net_errmsg(const sa_net *net) { return net->err; }

int sa_net_set_threads(sa_net *net, int n) {
  if (n < 1 || n > 1024)
    return sa__seterr(net, SA_EINVAL, "threads must be in 1 ... 1024, not %d",
                      n);
  if (net->frozen && n != net->threads_asked)
    return sa__seterr(net, SA_EBUSY,
                      "the thread count is fixed once the network has run");
  net->threads = net->threads_asked = n;
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
    return sa__seterr(net, SA_EBUSY, "cannot add a population after a run");
  if (!name || !*name)
    return sa__seterr(net, SA_EINVAL, "a population needs a non-empty name");
  if (sa_net_pop_find(net, name) >= 0)
    return sa__seterr(net, SA_EINVAL, "population '%s' is defined twice", name);
  const sa_model_vt *vt = sa__model_find(model);
  if (!vt) {
    char known[256];
    sa__model_names(known, sizeof known);
    return sa__seterr(net, SA_ENOENT, "unknown model '%s' (known: %s)",
                      model, known);
  }
  if (n == 0)
    return sa__seterr(net, SA_EINVAL, "population '%s' must have n >= 1", name);
  if (n > (1u << 31))
    return sa__seterr(net, SA_ERANGE, "population '%s': n = %u exceeds 2^31",
                  name, n);
  sa_pop **pops = realloc(net->pops, (net->npops + 1) * sizeof *pops);
  if (!pops) return SA_ENOMEM;
  net->pops = pops;
  sa_pop *p = calloc(1, sizeof *p);
  if (!p) return SA_ENOMEM;
  p->name = sa__dupstr(name);
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

/* A parameter of a model's or a rule's table by name, or NULL. */
static const sa_param_desc *desc_find(const sa_param_desc *d,
                                      const char *name) {
  for (; d->name; d++)
    if (!strcmp(d->name, name)) return d;
  return NULL;
}

int sa_pop_set_param(sa_net *net, int pop, const char *name, double value) {
  if (pop < 0 || pop >= net->npops)
    return sa__seterr(net, SA_EINVAL, "no population %d", pop);
  sa_pop *p = net->pops[pop];
  const sa_param_desc *d = desc_find(p->vt->params, name);
  if (!d)
    return sa__seterr(net, SA_ENOENT, "unknown parameter '%s' of model %s",
                  name, p->vt->name);
  if (!isfinite(value))
    return sa__seterr(net, SA_EINVAL, "parameter '%s' must be finite", name);
  *(double *)((char *)p->params + d->offset) = value;
  net->prepared = 0;
  return 0;
}

int sa_pop_get_param(const sa_net *net, int pop, const char *name,
                     double *value) {
  if (pop < 0 || pop >= net->npops) return SA_EINVAL;
  const sa_pop *p = net->pops[pop];
  const sa_param_desc *d = desc_find(p->vt->params, name);
  if (!d) return SA_ENOENT;
  *value = *(const double *)((const char *)p->params + d->offset);
  return 0;
}

double sa__draw(const sa_dist *d, void *rng) {
  sa_rng *r = rng;
  switch (d->kind) {
  case SA_DIST_UNIFORM: return d->a + (d->b - d->a) * sa_rng_uniform(r);
  case SA_DIST_NORMAL: return d->a + d->b * sa_rng_normal(r);
  default: return d->a;
  }
}

int sa__dist_ok(const sa_dist *d) {
  if (!isfinite(d->a) || !isfinite(d->b)) return 0;
  if (d->kind == SA_DIST_UNIFORM) return d->a <= d->b;
  if (d->kind == SA_DIST_NORMAL) return d->b >= 0;
  return d->kind == SA_DIST_CONST;
}

/* Each variable has its own stream per node; the first (V_m) keeps the
 * key it had when it was the only one, so old networks draw the same. */
void sa__apply_init(sa_net *net, sa_pop *p) {
  sa_rng r;
  for (int v = 0; v < SA_MAX_INIT_VARS; v++) {
    if (!(p->init_mask >> v & 1)) continue;
    uint64_t key = SA_RNG_KEY(SA_RNG_INIT, (uint64_t)p->index |
                                               (uint64_t)v << 32);
    for (uint32_t i = 0; i < p->n; i++) {
      sa_rng_seed(&r, net->seed, key, i);
      p->vt->set_init(p, p->vt->state_vars[v], i, sa__draw(&p->init[v], &r));
    }
  }
}

int sa_pop_set_init(sa_net *net, int pop, const char *var, const sa_dist *d) {
  if (pop < 0 || pop >= net->npops)
    return sa__seterr(net, SA_EINVAL, "no population %d", pop);
  sa_pop *p = net->pops[pop];
  int v = 0;
  while (p->vt->state_vars[v] && strcmp(p->vt->state_vars[v], var)) v++;
  /* A variable the model cannot set refuses a probe that writes node 0's
   * present value back (the state is still at rest here). */
  double now = 0;
  if (!p->vt->state_vars[v] || v >= SA_MAX_INIT_VARS || p->n == 0 ||
      p->vt->get_state(p, var, 0, &now) ||
      p->vt->set_init(p, var, 0, now) == SA_ENOENT)
    return sa__seterr(net, SA_ENOENT, "model %s has no initial value '%s'",
                  p->vt->name, var);
  if (!sa__dist_ok(d))
    return sa__seterr(net, SA_EINVAL, "bad distribution for '%s'", var);
  p->init[v] = *d;
  p->init_mask |= 1u << v;
  if (p->initialised) sa__apply_init(net, p);
  return 0;
}

int sa_pop_set_spike_times(sa_net *net, int pop, uint32_t node,
                           const double *t, size_t n) {
  if (pop < 0 || pop >= net->npops)
    return sa__seterr(net, SA_EINVAL, "no population %d", pop);
  sa_pop *p = net->pops[pop];
  if (p->vt != sa__model_find("spike_source"))
    return sa__seterr(net, SA_EINVAL, "population '%s' is not a spike_source",
                  p->name);
  if (node >= p->n)
    return sa__seterr(net, SA_EINVAL, "population '%s' has no node %u",
                  p->name, node);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(t[i]) || t[i] < net->dt * 0.5)
      return sa__seterr(net, SA_EINVAL,
                    "spike time %g of node %u is not >= one tick", t[i],
                    node);
    if (i && t[i] < t[i - 1])
      return sa__seterr(net, SA_EINVAL,
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

int sa__emit(sa_spikebuf *b, sa_tick stamp, uint32_t id) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 256;
    sa_tick *s = realloc(b->stamp, cap * sizeof *s);
    if (!s) return SA_ENOMEM;
    b->stamp = s;
    uint32_t *i = realloc(b->id, cap * sizeof *i);
    if (!i) return SA_ENOMEM;
    b->id = i;
    b->cap = cap;
  }
  b->stamp[b->n] = stamp;
  b->id[b->n++] = id;
  return 0;
}

/* ---- plasticity ----------------------------------------------------- */

static int proj_check(sa_net *net, int pj, int rule) {
  if (pj < 0 || pj >= net->nprojs)
    return sa__seterr(net, SA_EINVAL, "no projection %d", pj);
  if (net->frozen)
    return sa__seterr(net, SA_EBUSY, "cannot change plasticity after a run");
  if (rule >= net->projs[pj].nrules)
    return sa__seterr(net, SA_EINVAL, "projection '%s' has no rule %d",
                      net->projs[pj].name, rule);
  return 0;
}

int sa_net_add_rule(sa_net *net, int pj, const char *name, int *rule) {
  int rc = proj_check(net, pj, -1);
  if (rc) return rc;
  const sa_rule_vt *vt = sa__rule_find(name);
  if (!vt) {
    char known[256];
    sa__rule_names(known, sizeof known);
    return sa__seterr(net, SA_ENOENT, "unknown rule '%s' (known: %s)", name,
                      known);
  }
  proj *j = &net->projs[pj];
  if (j->nrules == SA_MAX_RULES)
    return sa__seterr(net, SA_EINVAL, "projection '%s' has %d rules already",
                      j->name, SA_MAX_RULES);
  void *p = calloc(1, vt->params_size ? vt->params_size : 1);
  if (!p) return SA_ENOMEM;
  for (const sa_param_desc *d = vt->params; d->name; d++)
    *(double *)((char *)p + d->offset) = d->def;
  j->rparams[j->nrules] = p;
  j->rules[j->nrules] = vt;
  if (rule) *rule = j->nrules;
  j->nrules++;
  net->prepared = 0;
  return 0;
}

int sa_rule_set_param(sa_net *net, int pj, int r, const char *name,
                      double value) {
  int rc = proj_check(net, pj, r);
  if (rc) return rc;
  proj *j = &net->projs[pj];
  if (r < 0) return sa__seterr(net, SA_EINVAL, "no rule %d", r);
  const sa_param_desc *d = desc_find(j->rules[r]->params, name);
  if (!d)
    return sa__seterr(net, SA_ENOENT, "unknown parameter '%s' of rule %s",
                      name, j->rules[r]->name);
  if (!isfinite(value))
    return sa__seterr(net, SA_EINVAL, "parameter '%s' must be finite", name);
  *(double *)((char *)j->rparams[r] + d->offset) = value;
  net->prepared = 0;
  return 0;
}

int sa_rule_set_option(sa_net *net, int pj, int r, const char *name,
                       const char *value) {
  int rc = proj_check(net, pj, r);
  if (rc) return rc;
  if (r < 0) return sa__seterr(net, SA_EINVAL, "no rule %d", r);
  proj *j = &net->projs[pj];
  char msg[200] = "";
  rc = j->rules[r]->set_option
           ? j->rules[r]->set_option(j->rparams[r], name, value, msg,
                                     sizeof msg)
           : SA_ENOENT;
  if (rc == SA_ENOENT)
    return sa__seterr(net, rc, "unknown option '%s' of rule %s", name,
                      j->rules[r]->name);
  if (rc) return sa__seterr(net, rc, "%s", msg);
  net->prepared = 0;
  return 0;
}

int sa_net_proj_rule_count(const sa_net *net, int pj) {
  return net->projs[pj].nrules;
}

const char *sa_net_proj_rule(const sa_net *net, int pj, int r) {
  const proj *j = &net->projs[pj];
  return r >= 0 && r < j->nrules ? j->rules[r]->name : NULL;
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

int sa_net_proj_source(const sa_net *net, int pj) {
  return net->projs[pj].src;
}

int sa_net_proj_target(const sa_net *net, int pj) {
  return net->projs[pj].tgt;
}

int sa_pop_get_state(const sa_net *net, int pop, const char *var,
                     uint32_t node, double *value) {
  if (pop < 0 || pop >= net->npops) return SA_EINVAL;
  const sa_pop *p = net->pops[pop];
  if (node >= p->n) return SA_EINVAL;
  return p->vt->get_state(p, var, node, value);
}

