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
  size_t cap = b->cap2 ? b->cap2 : 64;
  while (cap < need) cap *= 2;
  sa_refr *n = realloc(b->rf2, cap * sizeof *n);
  if (!n) return SA_ENOMEM;
  b->rf2 = n;
  b->cap2 = cap;
  return 0;
}

/* Refractory steps left at the next update (tick now): until - now. */
int sa__lif_save_refr(const sa_pop *p, const sa_ckpt *ck, const char *pre) {
  int64_t *r = calloc(p->n ? p->n : 1, sizeof *r);
  if (!r) return SA_ENOMEM;
  const sa_tick now = sa_net_now(p->net);
  for (int t = 0; p->blk && t < p->ntb; t++)
    for (size_t q = 0; q < p->blk[t].nrf; q++)
      r[p->blk[t].rf[q].id] = p->blk[t].rf[q].until - now;
  int rc = sa__ck_put(ck, pre, "r", SA_CK_I64, r, p->n);
  free(r);
  return rc;
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
    if (n > b->cap2 && (rc = sa__refr_reserve(b, n))) break;
    n = 0;
    for (uint32_t i = b->lo; i < b->hi; i++)
      if (r[i] > 0) b->rf2[n++] = (sa_refr){now + r[i], V[i], i};
    sa__refr_swap(b, n);
  }
  free(r);
  return rc;
}
