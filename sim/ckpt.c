/* ckpt.c: saving and loading a network's dynamic state through an
 * sa_ckpt (the storage is io/'s business).
 * SPDX-License-Identifier: MIT
 *
 * Names: net/... for time and shape, pop<i>/... per population, and
 * proj<i>/part<t>/... per part of a projection with rules (its weights and
 * rule<r>/... per rule). Static connectivity is not saved: it is rebuilt
 * from the network file and seed, and the shapes saved under net/ check
 * that it was. */
#include "internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *join(char *buf, size_t n, const char *prefix,
                        const char *name) {
  snprintf(buf, n, "%s/%s", prefix, name);
  return buf;
}

int sa__ck_put(const sa_ckpt *ck, const char *prefix, const char *name,
               int type, const void *data, size_t n) {
  char path[256];
  return ck->put(ck->ud, join(path, sizeof path, prefix, name), type, data,
                 n);
}

int sa__ck_get(const sa_ckpt *ck, const char *prefix, const char *name,
               int type, void *data, size_t n) {
  char path[256];
  return ck->get(ck->ud, join(path, sizeof path, prefix, name), type, data,
                 n);
}

long long sa__ck_len(const sa_ckpt *ck, const char *prefix,
                     const char *name) {
  char path[256];
  return ck->len(ck->ud, join(path, sizeof path, prefix, name));
}

int sa_net_threads(const sa_net *net) { return net->threads; }

/* The shape a checkpoint must match: sizes of populations, synapse counts
 * of projections, rule counts, thread count, ring size. */
static int shape(const sa_net *net, uint64_t **out, size_t *n) {
  *n = 4 + (size_t)net->npops + 2 * (size_t)net->nprojs;
  uint64_t *s = malloc(*n * sizeof *s);
  if (!s) return SA_ENOMEM;
  size_t k = 0;
  s[k++] = (uint64_t)net->npops;
  s[k++] = (uint64_t)net->nprojs;
  s[k++] = (uint64_t)net->threads;
  s[k++] = (uint64_t)net->nslots;
  for (int i = 0; i < net->npops; i++) s[k++] = net->pops[i]->n;
  for (int i = 0; i < net->nprojs; i++) {
    s[k++] = net->projs[i].nsyn;
    s[k++] = (uint64_t)net->projs[i].nrules;
  }
  *out = s;
  return 0;
}

/* After loading the rings: the lists of non-zero cells (sa_block). */
static void mark_inputs(sa_pop *p) {
  for (int t = 0; t < p->ntb; t++) {
    sa_block *b = &p->blk[t];
    for (int slot = 0; slot < p->nslots; slot++) {
      const size_t row = (size_t)slot * p->n;
      uint32_t *at = b->ats + (size_t)slot * sa__inbox_cap(b);
      size_t n = 0;
      for (uint32_t i = b->lo; i < b->hi; i++)
        if (p->ring_ex[sa__cell(row + i)] != 0 ||
            p->ring_in[sa__cell(row + i)] != 0)
          at[n++] = i;
      b->nas[slot] = n;
    }
  }
}

/* One of a population's rings (from its first cell, sa_pop) as
 * the dataset `name` of nslots x n values. A checkpoint may have `rows`
 * = nslots + 1 rows: before 2026-12-04 the rings had one more row than
 * they need. Its rows in use are those of ticks now+1 .. now+nslots, row
 * tick % rows; they move to row tick % nslots. The row of tick now is
 * clean in such a checkpoint; if it is not, the checkpoint is of a
 * network with a longer delay and does not fit. */
static int ring(sa_pop *p, const sa_ckpt *ck, const char *pre,
                const char *name, double *cell, int saving, int rows,
                sa_tick now) {
  const size_t n = p->n, cells = (size_t)rows * n;
  double *flat = malloc((cells ? cells : 1) * sizeof *flat);
  if (!flat) return SA_ENOMEM;
  int rc;
  if (saving) {
    for (size_t c = 0; c < cells; c++) flat[c] = cell[sa__cell(c)];
    rc = sa__ck_put(ck, pre, name, SA_CK_F64, flat, cells);
  } else {
    rc = sa__ck_get(ck, pre, name, SA_CK_F64, flat, cells);
    if (!rc && rows > p->nslots) {   /* the row left out must be clean */
      const size_t clean = (size_t)(now % rows) * n;
      for (size_t i = 0; !rc && i < n; i++)
        if (flat[clean + i] != 0) rc = SA_EINVAL;
    }
    for (sa_tick x = now + 1; !rc && x <= now + p->nslots; x++) {
      const size_t from = (size_t)(x % rows) * n;
      const size_t to = (size_t)(x % p->nslots) * n;
      for (size_t i = 0; i < n; i++) cell[sa__cell(to + i)] = flat[from + i];
    }
  }
  free(flat);
  return rc;
}

/* Walk everything once; save or load by `saving` (rows: the rings' rows
 * in the checkpoint, see ring()). */
static int walk(sa_net *net, const sa_ckpt *ck, int saving, int rows) {
  char pre[128], sub[160];
  int rc = 0;
  for (int i = 0; i < net->npops && !rc; i++) {
    sa_pop *p = net->pops[i];
    snprintf(pre, sizeof pre, "pop%d", i);
    uint64_t cur = p->src_next;
    if (!p->vt->stateless && (saving ? !p->vt->save : !p->vt->load))
      return sa__seterr(net, SA_ENOTSUP, "model %s cannot be checkpointed",
                        p->vt->name);
    if (saving) {
      rc = sa__ck_put(ck, pre, "nspikes", SA_CK_U64, &p->nspikes, 1);
      if (!rc) rc = sa__ck_put(ck, pre, "src_next", SA_CK_U64, &cur, 1);
    } else {
      rc = sa__ck_get(ck, pre, "nspikes", SA_CK_U64, &p->nspikes, 1);
      if (!rc) rc = sa__ck_get(ck, pre, "src_next", SA_CK_U64, &cur, 1);
      if (!rc && cur > p->src_n) rc = SA_EINVAL;
      p->src_next = cur;
    }
    if (!rc && p->ring_ex) {
      rc = ring(p, ck, pre, "ring_ex", p->ring_ex, saving, rows, net->now);
      if (!rc)
        rc = ring(p, ck, pre, "ring_in", p->ring_in, saving, rows, net->now);
      if (!rc && !saving) mark_inputs(p);
    }
    if (!rc && !p->vt->stateless) {
      snprintf(sub, sizeof sub, "%s/state", pre);
      rc = saving ? p->vt->save(p, ck, sub) : p->vt->load(p, ck, sub);
    }
  }
  for (int i = 0; i < net->nprojs && !rc; i++) {
    proj *j = &net->projs[i];
    for (int t = 0; t < j->nparts && j->nrules && !rc; t++) {
      part *pt = &j->parts[t];
      snprintf(pre, sizeof pre, "proj%d/part%d", i, t);
      rc = saving ? sa__ck_put(ck, pre, "w", SA_CK_F64, pt->wd, pt->nsyn)
                  : sa__ck_get(ck, pre, "w", SA_CK_F64, pt->wd, pt->nsyn);
      sa_syn_view v = sa__view(net, j, t);
      for (int r = 0; r < j->nrules && !rc; r++) {
        const sa_rule_vt *vt = j->rules[r];
        if (saving ? !vt->save : !vt->load)
          return sa__seterr(net, SA_ENOTSUP,
                            "rule %s cannot be checkpointed", vt->name);
        snprintf(sub, sizeof sub, "%s/rule%d", pre, r);
        rc = saving ? vt->save(pt->rstate[r], &v, ck, sub)
                    : vt->load(pt->rstate[r], &v, ck, sub);
      }
    }
  }
  return rc;
}

int sa_net_save(sa_net *net, const sa_ckpt *ck) {
  if (!net->frozen)
    return sa__seterr(net, SA_EINVAL, "nothing to save before a run");
  uint64_t *s;
  size_t n;
  int rc = shape(net, &s, &n);
  if (rc) return rc;
  rc = ck->put(ck->ud, "net/shape", SA_CK_U64, s, n);
  free(s);
  if (!rc) rc = ck->put(ck->ud, "net/now", SA_CK_I64, &net->now, 1);
  if (!rc) rc = ck->put(ck->ud, "net/seed", SA_CK_U64, &net->seed, 1);
  if (!rc) rc = walk(net, ck, 1, net->nslots);
  if (rc && rc != SA_ENOTSUP)
    return sa__seterr(net, rc, "saving the network state failed");
  return rc;
}

int sa_net_load(sa_net *net, const sa_ckpt *ck) {
  /* The checkpoint's shape first: a network not yet run takes its blocks,
   * which freeze() may have made fewer than the threads asked for (and
   * earlier versions did not). */
  long long len = ck->len(ck->ud, "net/shape");
  uint64_t *theirs = NULL, *mine, seed;
  if (len > 3 && !(theirs = malloc((size_t)len * sizeof *theirs)))
    return SA_ENOMEM;
  const int got = theirs && !ck->get(ck->ud, "net/shape", SA_CK_U64, theirs,
                                     (size_t)len);
  int rc = 0;
  if (!net->frozen) {
    if (got && theirs[2] >= 1 && theirs[2] <= (uint64_t)net->threads_asked)
      net->threads = (int)theirs[2];
    net->keep_threads = 1;
    rc = sa_net_run(net, 0, NULL);
  }
  size_t n;
  if (rc || (rc = shape(net, &mine, &n))) {
    free(theirs);
    return rc;
  }
  int same = got && len == (long long)n;
  /* The ring's rows (shape[3]) may be one more (ring()). */
  int rows = net->nslots;
  if (same && theirs[3] == mine[3] + 1) {
    rows = net->nslots + 1;
    theirs[3] = mine[3];
  }
  if (!same || memcmp(mine, theirs, n * sizeof *mine) ||
      ck->get(ck->ud, "net/seed", SA_CK_U64, &seed, 1) || seed != net->seed)
    rc = sa__seterr(net, SA_EINVAL,
                    "the checkpoint is of another network (sizes, thread "
                    "count or seed differ)");
  free(mine);
  free(theirs);
  if (rc) return rc;
  sa_tick now;
  if (ck->get(ck->ud, "net/now", SA_CK_I64, &now, 1))
    return sa__seterr(net, SA_EIO, "the checkpoint has no time");
  /* The models see the checkpoint's time while loading (refractory
   * periods are kept as ticks left). */
  const sa_tick was = net->now;
  net->now = now;
  rc = walk(net, ck, 0, rows);
  if (rc) net->now = was;
  if (rc == SA_ENOTSUP) return rc;
  if (rc)
    return sa__seterr(net, rc == SA_ENOMEM ? rc : SA_EINVAL,
                      "the checkpoint's state does not fit this network");
  return 0;
}
