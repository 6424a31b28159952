/* estimator.c: helpers shared by the weight-transport estimators.
 * SPDX-License-Identifier: MIT */
#include "estimator.h"
#include "../sim/rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sa__est_csc(sa_est_csc *c, const sa_syn_view *v) {
  c->col = calloc((size_t)v->n_tgt + 1, sizeof *c->col);
  c->syn = malloc((v->nsyn ? v->nsyn : 1) * sizeof *c->syn);
  c->src = malloc((v->nsyn ? v->nsyn : 1) * sizeof *c->src);
  uint64_t *at = malloc(((size_t)v->n_tgt + 1) * sizeof *at);
  if (!c->col || !c->syn || !c->src || !at) {
    free(at);
    sa__est_csc_free(c);
    return SA_ENOMEM;
  }
  for (uint64_t q = 0; q < v->nsyn; q++) c->col[v->target[q] + 1]++;
  for (uint32_t i = 0; i < v->n_tgt; i++) c->col[i + 1] += c->col[i];
  memcpy(at, c->col, ((size_t)v->n_tgt + 1) * sizeof *at);
  for (uint32_t j = 0; j < v->n_src; j++)
    for (uint64_t q = v->row[j]; q < v->row[j + 1]; q++) {
      uint64_t k = at[v->target[q]]++;
      c->syn[k] = q;
      c->src[k] = j;
    }
  free(at);
  return 0;
}

void sa__est_csc_free(sa_est_csc *c) {
  free(c->col);
  free(c->syn);
  free(c->src);
  c->col = c->syn = NULL;
  c->src = NULL;
}

uint32_t *sa__est_sources(const sa_syn_view *v) {
  uint32_t *s = malloc((v->nsyn ? v->nsyn : 1) * sizeof *s);
  if (!s) return NULL;
  for (uint32_t j = 0; j < v->n_src; j++)
    for (uint64_t q = v->row[j]; q < v->row[j + 1]; q++) s[q] = j;
  return s;
}

void sa__est_init(double *b, const sa_syn_view *v, uint64_t seed,
                  double amp) {
  for (uint32_t j = 0; j < v->n_src; j++)
    for (uint64_t q = v->row[j]; q < v->row[j + 1]; q++) {
      if (amp == 0) {
        b[q] = 0;
        continue;
      }
      sa_rng r;
      sa_rng_seed(&r, seed, SA_RNG_KEY(SA_RNG_ESTIMATE, 0),
                  (uint64_t)j << 32 | v->target[q]);
      b[q] = amp * (sa_rng_uniform(&r) - 0.5);
    }
}

void sa__est_decay_init(sa_est_decay *d, double dt, double tau) {
  d->dt = dt;
  d->tau = tau;
  for (int n = 0; n < EST_NTAB; n++)
    d->tab[n] = exp((double)(-n) * dt / tau);
}

int sa__est_model_param(const sa_pop *p, const char *name, double *out) {
  for (const sa_param_desc *d = p->vt->params; d && d->name; d++)
    if (!strcmp(d->name, name)) {
      memcpy(out, (const char *)p->params + d->offset, sizeof *out);
      return 0;
    }
  return SA_ENOENT;
}

int sa__est_option(void *params, const char *name, const char *value,
                   char *err, size_t errlen) {
  (void)params;
  if (strcmp(name, "label") != 0) return SA_ENOENT;
  if (!value[0] || strchr(value, '/') || strchr(value, '.')) {
    snprintf(err, errlen, "label must be a non-empty name without '/' or "
             "'.'");
    return SA_EINVAL;
  }
  return 0;
}
