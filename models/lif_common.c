/* lif_common.c: what the LIF models share (see lif_common.h).
 * SPDX-License-Identifier: MIT */
#include "lif_common.h"
#include <stdio.h>
#include <stdlib.h>

int sa__lif_check(double V_reset, double V_th, double C_m, char *err,
                  size_t n) {
  if (V_reset >= V_th) {
    snprintf(err, n, "Reset potential must be smaller than threshold.");
    return SA_EINVAL;
  }
  if (C_m <= 0) {
    snprintf(err, n, "Capacitance must be strictly positive.");
    return SA_EINVAL;
  }
  return 0;
}

int sa__refr_reserve(sa_block *b, size_t need) {
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  sa_refr *n = malloc(cap * sizeof *n);
  if (!n) return SA_ENOMEM;
  for (size_t r = 0; r < b->nrf; r++) n[r] = *sa__refr_at(b, r);
  free(b->rf);
  b->rf = n;
  b->rf0 = 0;
  b->cap = cap;
  return 0;
}

/* Refractory steps left at the next update (tick now): until - now (of a
 * node's newer period where it has two, as the update holds it). */
int sa__lif_save_refr(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  int64_t *r = calloc(p->n ? p->n : 1, sizeof *r);
  if (!r) return SA_ENOMEM;
  const sa_tick now = sa_net_now(p->net);
  for (int t = 0; p->blk && t < p->ntb; t++) {
    const sa_block *b = &p->blk[t];
    for (size_t q = 0; q < b->nrf; q++) {
      const sa_refr *e = sa__refr_at(b, q);
      r[e->id] = e->until - now;
    }
  }
  int rc = sa__ck_put(ck, pre, "r", SA_CK_I64, r, p->n);
  free(r);
  return rc;
}

static int by_end(const void *a, const void *b) {
  const sa_refr *x = a, *y = b;
  if (x->until != y->until) return x->until < y->until ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

int sa__lif_load_refr(sa_pop *p, const sa_ckpt *ck, const char *pre,
                      const double *V) {
  int64_t *r = malloc((p->n ? p->n : 1) * sizeof *r);
  if (!r) return SA_ENOMEM;
  int rc = sa__ck_get(ck, pre, "r", SA_CK_I64, r, p->n);
  const sa_tick now = sa_net_now(p->net);
  for (int t = 0; !rc && p->blk && t < p->ntb; t++) {
    sa_block *b = &p->blk[t];
    size_t n = 0;
    for (uint32_t i = b->lo; i < b->hi; i++) n += r[i] > 0;
    b->nrf = 0;
    b->rf0 = 0;
    if ((rc = sa__refr_reserve(b, n))) break;
    for (uint32_t i = b->lo; i < b->hi; i++)
      if (r[i] > 0) b->rf[b->nrf++] = (sa_refr){now + r[i], V[i], i};
    if (b->nrf > 1) qsort(b->rf, b->nrf, sizeof *b->rf, by_end);
  }
  free(r);
  return rc;
}
