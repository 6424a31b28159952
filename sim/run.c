/* run.c: preparing a network, the worker pool and the run loop.
 * SPDX-License-Identifier: MIT
 *
 * One slice (min_delay ticks) on T threads:
 *   -- the go (a barrier; carries the command) --
 *   C  every thread delivers the last slice's spikes through its own part
 *      of each projection, which holds exactly the synapses onto its
 *      block, so no two threads write the same ring cell; plastic parts
 *      run their rule on the same events;
 *   A  every thread advances its block of every neuron population over
 *      the whole slice (inputs all arrived in earlier slices, so blocks
 *      need no communication); thread 0 also advances the sources;
 *   -- barrier --
 *   B  thread 0 merges the threads' spikes per population into one list
 *      ordered by (stamp, node), and moves time on;
 *   D  thread 0 gives the next go, then calls the subscribers and the
 *      observers with this slice's spikes while the workers run the next
 *      slice: both read only the merged spikes, which change in B behind
 *      the next barrier (at N = 64000 on 2 threads the workers' wait at
 *      the go fell from ~3.2 to ~1.5 us a tick when D moved behind it).
 * A thread needs no barrier between its C and its A: the ring rows it
 * fills in C belong to its own block, which only it reads in A, and the
 * spike lists C reads change only in B, behind the barrier. That holds
 * unless a rule reads population state in C (sa_rule.h: only while no
 * thread writes it): with a rule, a barrier separates C and A. So a slice
 * costs two barriers, three with rules. Before sa_net_run returns, the
 * last slice's C runs, and an idle go waits for it. The pool is used only
 * when it pays ("choosing the thread count"); otherwise thread 0 runs the
 * phases of every block itself, with no barrier.
 * A target's inputs are summed in the same order for every T (projection
 * order, spike order, row order), and every random stream is keyed by
 * node, so a run is bit-identical whatever the thread count. */
#include "internal.h"
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- plastic parts ------------------------------------------------- */

sa_syn_view sa__view(const sa_net *net, proj *j, int t) {
  part *p = &j->parts[t];
  sa_syn_view v = {net->pops[j->src]->n, net->pops[j->tgt]->n, p->nsyn,
                   p->row, p->target, p->delay, j->dconst, j->dmax, p->wd,
                   j->sign, net->dt, net->pops[j->src], net->pops[j->tgt]};
  return v;
}

/* A projection's rule parameters, and the one sign its weights keep. */
static int check_plastic(sa_net *net, proj *j) {
  char msg[256] = "";
  for (int r = 0; r < j->nrules; r++) {
    int rc = j->rules[r]->check(j->rparams[r], msg, sizeof msg);
    if (rc)
      return sa__seterr(net, rc, "projection '%s' (%s): %s", j->name,
                        j->rules[r]->name, msg);
  }
  /* After the first run the sign is settled (sa_net_proj_set_weights
   * keeps it up to date) and plastic weights live in wd, not w. */
  if (net->frozen) return 0;
  if (j->receptor == SA_RECEPTOR_INHIBITORY) {
    j->sign = -1;
  } else if (j->receptor == SA_RECEPTOR_EXCITATORY) {
    j->sign = 1;
  } else {
    int pos = 0, neg = 0, plastic = 0;
    for (int t = 0; t < j->nparts; t++)
      for (uint64_t q = 0; q < j->parts[t].nsyn; q++) {
        double wq = sa__weight(j, &j->parts[t], q);
        pos |= wq > 0;
        neg |= wq < 0;
      }
    pos = sa__dist_any(net, pos);   /* MPI: over all ranks' synapses */
    neg = sa__dist_any(net, neg);
    for (int r = 0; r < j->nrules; r++)
      plastic |= j->rules[r]->kind == SA_RULE_PLASTIC;
    if (pos && neg && plastic)
      return sa__seterr(net, SA_EINVAL,
                        "projection '%s': a projection with a rule needs "
                        "weights of one sign (set its receptor)", j->name);
    /* Estimators leave the weights alone: mixed signs keep NEST's routing
     * by sign (sign 0). */
    j->sign = pos && neg ? 0 : neg ? -1 : 1;
  }
  return 0;
}

/* At the first run: double weights and each rule's state, per part. The
 * float weights are widened in place, last first (double q covers floats
 * 2q and 2q + 1, already read), through memcpy since the two types share
 * the block; growing a large block moves its pages without copying them,
 * so no second weight array is resident meanwhile. A projection of one
 * weight (hom) gets its per-synapse array here. */
static int make_plastic(sa_net *net, proj *j) {
  for (int t = 0; t < j->nparts; t++) {
    part *p = &j->parts[t];
    char *b = realloc(p->w, (p->nsyn ? p->nsyn : 1) * sizeof *p->wd);
    if (!b) return sa__seterr(net, SA_ENOMEM, "out of memory");
    for (uint64_t q = p->nsyn; q-- > 0;) {
      float f = j->whom;
      if (!j->hom) memcpy(&f, b + q * sizeof f, sizeof f);
      double d = f;
      memcpy(b + q * sizeof d, &d, sizeof d);
    }
    p->wd = (double *)(void *)b;
    p->w = NULL;
    /* (each part has its own array now; the flag goes after the last) */
    if (t == j->nparts - 1) j->hom = 0;
    sa_syn_view v = sa__view(net, j, t);
    for (int r = 0; r < j->nrules; r++) {
      int rc = j->rules[r]->create(&p->rstate[r], j->rparams[r], &v);
      if (rc) return sa__seterr(net, rc, "out of memory for rule state");
    }
  }
  return 0;
}

/* ---- prepare ------------------------------------------------------- */

typedef struct srcev { sa_tick stamp; uint32_t id; size_t seq; } srcev;

static int cmp_src(const void *a, const void *b) {
  const srcev *x = a, *y = b;
  if (x->stamp != y->stamp) return x->stamp < y->stamp ? -1 : 1;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* spike_source times in (stamp, node) order; ties keep insertion order. */
static int sort_sources(sa_pop *p) {
  if (p->src_sorted || p->src_n < 2) {
    p->src_sorted = 1;
    return 0;
  }
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
  p->src_sorted = 1;
  return 0;
}

static int threads_that_pay(const sa_net *net);

/* At the first run: the ring size, per-thread parts and buffers, plastic
 * state. After it the network's shape and thread count are fixed. */
static int freeze(sa_net *net) {
  int dmax = 1;
  sa_tick dmin = -1;
  for (int i = 0; i < net->nprojs; i++) {
    if (net->projs[i].nsyn == 0) continue;
    if (net->projs[i].dmax > dmax) dmax = net->projs[i].dmax;
    if (dmin < 0 || net->projs[i].dmin < dmin) dmin = net->projs[i].dmin;
  }
  dmin = sa__dist_min_delay(net, dmin);   /* the same slices on all ranks */
  if (dmin < 0) {
    dmin = llround(DEFAULT_SLICE_MS / net->dt);
    if (dmin < 1) dmin = 1;
  }
  net->min_delay = dmin;
  /* At a delivery (time T) the rows in use are those of ticks T+1 ..
   * T+dmax: anything earlier was read and zeroed by the updates up to T
   * and anything later cannot have arrived, so dmax rows suffice. */
  net->nslots = dmax;
  if (!net->keep_threads) net->threads = threads_that_pay(net);
  int rc = sa__split_parts(net);
  if (rc) return rc;
  for (int i = 0; i < net->nprojs; i++) {
    if (!net->projs[i].nrules) continue;
    if ((rc = make_plastic(net, &net->projs[i]))) return rc;
  }
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    /* (tb first: ntb also counts blk, for pop_free) */
    p->tb = calloc((size_t)net->threads, sizeof *p->tb);
    if (!p->tb) return sa__seterr(net, SA_ENOMEM, "out of memory");
    p->ntb = net->threads;
    if (p->vt->kind == SA_MODEL_NEURON) {
      size_t cells = (size_t)net->nslots * p->n;
      /* The two cells of a node and slot side by side (sa_pop). */
      p->ring_ex = calloc(sa__cell(cells), sizeof *p->ring_ex);
      p->ring_in = p->ring_ex ? p->ring_ex + 1 : NULL;
      p->blk = calloc((size_t)net->threads, sizeof *p->blk);
      int bad = !p->ring_ex || !p->blk;
      for (int t = 0; !bad && t < net->threads; t++) {
        sa_block *b = &p->blk[t];
        b->lo = sa__wblock(net, p->n, t);
        b->hi = sa__wblock(net, p->n, t + 1);
        b->nw = (b->hi - b->lo + 63u) / 64u;
        b->ats = malloc((size_t)net->nslots * sa__inbox_cap(b) *
                        sizeof *b->ats);
        b->nas = calloc((size_t)net->nslots, sizeof *b->nas);
        b->cross = calloc(b->nw + 1, sizeof *b->cross);
        bad = !b->ats || !b->nas || !b->cross;
      }
      if (bad)
        return sa__seterr(net, SA_ENOMEM,
                          "out of memory for the input buffers of '%s'",
                          p->name);
      p->nslots = net->nslots;
    }
  }
  net->frozen = 1;
#ifdef __GLIBC__
  /* The one-thread arrays that the split into parts copied are freed, but
   * glibc keeps such memory for reuse; hand it back so that the resident
   * size during the run is the network's (bench/README.md). */
  malloc_trim(0);
#endif
  return 0;
}

int sa_net_prepare(sa_net *net) {
  char msg[256];
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    msg[0] = 0;
    int rc = p->vt->check(p->params, msg, sizeof msg);
    if (rc)
      return sa__seterr(net, rc, "population '%s' (%s): %s", p->name,
                        p->vt->name, msg);
  }
  for (int i = 0; i < net->nprojs; i++) {
    if (!net->projs[i].nrules) continue;
    int rc = check_plastic(net, &net->projs[i]);
    if (rc) return rc;
  }
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    if (!p->initialised) {
      if (p->init_mask) sa__apply_init(net, p);
      p->initialised = 1;
    }
    if (sort_sources(p)) return sa__seterr(net, SA_ENOMEM, "out of memory");
    int rc = p->vt->prepare(p, net->dt);
    if (rc == SA_ERANGE)
      return sa__seterr(net, rc, "population '%s' (%s): rate * dt exceeds 1",
                        p->name, p->vt->name);
    if (rc)
      return sa__seterr(net, rc, "population '%s': prepare failed", p->name);
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

/* ---- barrier and pool ---------------------------------------------- */

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* The last thread to arrive flips the sense and, if anyone sleeps, wakes
 * them under the mutex. A sleeper counts itself, then re-checks the sense
 * under the mutex: with sequentially consistent atomics either the last
 * arriver sees the count or the sleeper sees the flip, so no wake-up is
 * lost. The spin reads the clock every 64 rounds only. */
static void barrier_wait(sa_barrier *b, int *sense) {
  int s = !*sense;
  *sense = s;
  if (atomic_fetch_add(&b->count, 1) == b->n - 1) {
    atomic_store(&b->count, 0);
    atomic_store(&b->sense, s);
    if (atomic_load(&b->sleepers) > 0) {
      pthread_mutex_lock(&b->mu);
      pthread_cond_broadcast(&b->cv);
      pthread_mutex_unlock(&b->mu);
    }
    return;
  }
  const long long budget = atomic_load_explicit(&b->spin_ns,
                                                memory_order_relaxed);
  const int yield = atomic_load_explicit(&b->yield, memory_order_relaxed);
  long long t0 = 0;
  for (unsigned spins = 0;; spins++) {
    if (atomic_load(&b->sense) == s) return;
    if ((spins & 63) == 63) {
      long long t = now_ns();
      if (!t0) t0 = t;
      else if (t - t0 >= budget) break;
      if (yield) sched_yield();
    }
    cpu_relax();
  }
  pthread_mutex_lock(&b->mu);
  atomic_fetch_add(&b->sleepers, 1);
  while (atomic_load(&b->sense) != s) pthread_cond_wait(&b->cv, &b->mu);
  atomic_fetch_sub(&b->sleepers, 1);
  pthread_mutex_unlock(&b->mu);
}

/* A barrier among the threads that run the slice (a of them). */
static void sync_all(sa_net *net, int k, int a) {
  if (a > 1) barrier_wait(&net->bar, &net->wk[k].sense);
}

/* ---- one slice ----------------------------------------------------- */

static void fail(sa_net *net, int rc) {
  int zero = 0;
  atomic_compare_exchange_strong(&net->werr, &zero, rc);
}

/* Phase A for thread t. */
static void advance(sa_net *net, int t, sa_tick m) {
  const sa_tick t0 = net->now;
  for (sa_tick k = t0; k < t0 + m; k++)
    for (int i = 0; i < net->npops; i++) {
      sa_pop *p = net->pops[i];
      int rc = 0;
      if (p->blk) {
        sa_block *b = &p->blk[t];
        size_t slot = (size_t)((k + 1) % p->nslots);
        b->ex = p->ring_ex + sa__cell(slot * p->n);
        b->in = b->ex + 1;
        b->at = b->ats + slot * sa__inbox_cap(b);
        b->na = b->nas + slot;
        rc = p->vt->update(p, k, b, &p->tb[t]);
      } else if (t == 0) {
        rc = p->vt->update(p, k, NULL, &p->tb[0]);
      }
      if (rc) fail(net, rc);
    }
}

/* Phase B: the threads' buffers hold ascending ids of consecutive blocks,
 * each in stamp order, so taking, stamp by stamp, the threads in order
 * gives (stamp, node) order. */
static int merge(sa_net *net) {
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    size_t total = 0;
    for (int t = 0; t < p->ntb; t++) total += p->tb[t].n;
    if (total > p->sp_cap) {
      size_t cap = p->sp_cap ? p->sp_cap : 256;
      while (cap < total) cap *= 2;
      sa_tick *s = realloc(p->sp_stamp, cap * sizeof *s);
      if (!s) return SA_ENOMEM;
      p->sp_stamp = s;
      uint32_t *id = realloc(p->sp_id, cap * sizeof *id);
      if (!id) return SA_ENOMEM;
      p->sp_id = id;
      p->sp_cap = cap;
    }
    p->sp_n = 0;
    if (total == 0) {
      /* nothing (and the buffers may not exist yet) */
    } else if (p->ntb == 1) {
      memcpy(p->sp_stamp, p->tb[0].stamp, total * sizeof *p->sp_stamp);
      memcpy(p->sp_id, p->tb[0].id, total * sizeof *p->sp_id);
      p->sp_n = total;
    } else {
      size_t at[64] = {0}, *pos = p->ntb <= 64 ? at
                                               : calloc(p->ntb, sizeof *pos);
      if (!pos) return SA_ENOMEM;
      while (p->sp_n < total) {
        sa_tick next = INT64_MAX;
        for (int t = 0; t < p->ntb; t++)
          if (pos[t] < p->tb[t].n && p->tb[t].stamp[pos[t]] < next)
            next = p->tb[t].stamp[pos[t]];
        for (int t = 0; t < p->ntb; t++)
          while (pos[t] < p->tb[t].n && p->tb[t].stamp[pos[t]] == next) {
            p->sp_stamp[p->sp_n] = next;
            p->sp_id[p->sp_n++] = p->tb[t].id[pos[t]++];
          }
      }
      if (pos != at) free(pos);
    }
    for (int t = 0; t < p->ntb; t++) p->tb[t].n = 0;
  }
  return 0;
}

/* The target's spikes in [lo, hi), for a plastic part's rule. */
static int own_posts(worker *w, const sa_pop *tp, uint32_t lo, uint32_t hi,
                     size_t *n) {
  *n = 0;
  if (tp->sp_n > w->pcap) {
    sa_tick *s = realloc(w->pstamp, tp->sp_n * sizeof *s);
    if (!s) return SA_ENOMEM;
    w->pstamp = s;
    uint32_t *id = realloc(w->pid, tp->sp_n * sizeof *id);
    if (!id) return SA_ENOMEM;
    w->pid = id;
    w->pcap = tp->sp_n;
  }
  for (size_t s = 0; s < tp->sp_n; s++)
    if (tp->sp_id[s] >= lo && tp->sp_id[s] < hi) {
      w->pstamp[*n] = tp->sp_stamp[s];
      w->pid[(*n)++] = tp->sp_id[s];
    }
  return 0;
}

/* The inputs of block b arriving in ring slot `slot`, while a row of
 * synapses is delivered: the nodes whose cells may be non-zero are listed
 * (sa_block). While the list has room for an entry per synapse of the
 * row within its first lim entries (half an entry a node: CUBA lists
 * about 0.05), every synapse lists its target (inbox_put): the entry's
 * place does not depend on the cell's old value, so the loop does not
 * wait for it, and the update takes a node listed again as if it had
 * cells of 0. Beyond, only a cell that turns from 0 to non-zero lists
 * its node (inbox_addz): each cell of a ring only ever takes weights of
 * one sign (a receptor's weights have its sign, auto routes by sign, a
 * plastic projection keeps its sign), so a sum never returns to 0 before
 * the update reads it, and that lists a node at most twice more
 * (sa__inbox_cap). CUBA N = 4000, with the update's take no longer
 * testing for a zeroed node (lif_common.h): 0.484 -> 0.467 s for 10 s;
 * COBA 0.645 -> 0.629 s for 2 s. A local copy, so that the compiler
 * keeps it in registers. */
typedef struct inbox {
  uint32_t *at;
  size_t n, lim;
} inbox;

static inline inbox inbox_open(const sa_block *b, size_t slot) {
  inbox x = {b->ats + slot * sa__inbox_cap(b), b->nas[slot],
             sa__inbox_lim(b)};
  return x;
}

/* The cell takes w and the node is listed. */
static inline void inbox_put(inbox *x, double *cell, uint32_t node,
                             double w) {
  *cell += w;
  x->at[x->n++] = node;
}

/* Branch-free: the entry is written in any case and counted only if the
 * cell was 0 and w is not (the list has one spare entry). */
static inline void inbox_addz(inbox *x, double *cell, uint32_t node,
                              double w) {
  const double old = *cell;
  *cell = old + w;
  x->at[x->n] = node;
  x->n += (old == 0) & (w != 0);
}

/* Asks for the cell that the synapse AHEAD places on in row [., b) will
 * write in ring row r. Targets are random, so a row's cells are cache
 * misses as soon as a ring row (16 B a node) is larger than L2, and the
 * loop cannot run ahead of them by itself: each entry's place in the
 * list depends on the value its previous cell held. CUBA N = 64000
 * (1 MB ring rows): loop 1.69 -> 1.43 s per simulated s. */
enum { AHEAD = 16 };
static inline void cell_ahead(const double *r, const uint32_t *target,
                              uint64_t q, uint64_t b) {
  if (q + AHEAD < b) __builtin_prefetch(&r[sa__cell(target[q + AHEAD])], 1);
}

/* The same for the first AHEAD synapses of row [a, b), before its loop. */
static inline void cells_first(const double *r, const uint32_t *target,
                               uint64_t a, uint64_t b) {
  for (uint64_t q = a; q < b && q < a + AHEAD; q++)
    __builtin_prefetch(&r[sa__cell(target[q])], 1);
}

/* The synapses [a, b) of a row into x's ring row: q's cell CELL and
 * weight W (expressions of q), prefetched from ring row r. */
#define DELIVER_ROW(x, r, target, a, b, q, CELL, W)                         \
  do {                                                                      \
    cells_first(r, target, a, b);                                           \
    if ((x).n + ((b) - (a)) <= (x).lim) {                                   \
      for (uint64_t q = (a); q < (b); q++) {                                \
        cell_ahead(r, target, q, b);                                        \
        inbox_put(&(x), CELL, target[q], W);                                \
      }                                                                     \
    } else {                                                                \
      for (uint64_t q = (a); q < (b); q++) {                                \
        cell_ahead(r, target, q, b);                                        \
        inbox_addz(&(x), CELL, target[q], W);                               \
      }                                                                     \
    }                                                                       \
  } while (0)

/* Asks for the cache lines of source src's targets in part pt (its row
 * bounds asked for earlier). */
static inline void targets_ahead(const part *pt, uint32_t src) {
  for (uint64_t q = pt->row[src], e = pt->row[src + 1]; q < e; q += 16)
    __builtin_prefetch(&pt->target[q]);
}

/* Before spike s's row: the row bounds of spike s + 2 and the targets of
 * spike s + 1 (sources are random, so each row starts with misses). */
static inline void rows_ahead(const part *pt, const sa_pop *sp, size_t s) {
  if (s + 2 < sp->sp_n) __builtin_prefetch(&pt->row[sp->sp_id[s + 2]]);
  if (s + 1 < sp->sp_n) targets_ahead(pt, sp->sp_id[s + 1]);
}

static inline void inbox_close(const sa_block *b, size_t slot,
                               const inbox *x) {
  b->nas[slot] = x->n;
}

/* Phase C for one part. A spike stamped s over a synapse of delay d
 * arrives at tick s + d, i.e. in ring row (s + d) % nslots, which the
 * target reads in its update from s+d-1 to s+d; since d >= min_delay every
 * arrival lies beyond the slice. A plastic part's rule sees the target's
 * spikes of the slice, then each source spike right before its delivery
 * (NEST's order: a spike carries the weight its own arrival produced). */
static int deliver(sa_net *net, proj *j, worker *w) {
  const int t = w->t;
  const sa_pop *sp = net->pops[j->src];
  sa_pop *tp = net->pops[j->tgt];
  part *pt = &j->parts[t];
  const size_t n = tp->n;
  const int nslots = net->nslots;
  double *ex = tp->ring_ex, *in = tp->ring_in;
  sa_syn_view v = {0};
  const int nr = j->nrules;
  if (nr) {
    size_t np;
    int rc = own_posts(w, tp, sa__wblock(net, tp->n, t),
                       sa__wblock(net, tp->n, t + 1), &np);
    if (rc) return rc;
    v = sa__view(net, j, t);
    for (int r = 0; r < nr; r++) {
      rc = j->rules[r]->post(pt->rstate[r], &v, w->pstamp, w->pid, np);
      if (rc) return rc;
    }
  }
  /* Every cell written is listed for its row (sa_block). */
  const sa_block *blk = &tp->blk[t];
  /* One weight of 0 adds nothing anywhere. */
  if (j->hom && j->whom == 0) return 0;
  for (size_t s = 0; s < sp->sp_n; s++) {
    uint32_t src = sp->sp_id[s];
    sa_tick stamp = sp->sp_stamp[s];
    uint64_t a = pt->row[src], b = pt->row[src + 1];
    rows_ahead(pt, sp, s);
    if (a == b) continue;
    if (nr) {
      for (int r = 0; r < nr; r++)
        j->rules[r]->pre(pt->rstate[r], &v, stamp, src);
      double *buf = j->sign > 0 ? ex : in;
      if (!pt->delay && j->sign != 0) {
        /* One delay and one sign (every plastic projection): one row. */
        const size_t slot = (size_t)((stamp + j->dconst) % nslots);
        double *to = buf + sa__cell(slot * n);
        inbox x = inbox_open(blk, slot);
        const uint32_t *tg = pt->target;
        DELIVER_ROW(x, to, tg, a, b, q, &to[sa__cell(tg[q])], pt->wd[q]);
        inbox_close(blk, slot, &x);
        continue;
      }
      for (uint64_t q = a; q < b; q++) {
        sa_tick d = pt->delay ? pt->delay[q] : j->dconst;
        double *to = j->sign == 0 && pt->wd[q] >= 0 ? ex : buf;
        size_t slot = (size_t)((stamp + d) % nslots);
        inbox x = inbox_open(blk, slot);
        inbox_addz(&x, &to[sa__cell(slot * n + pt->target[q])], pt->target[q],
                   pt->wd[q]);
        inbox_close(blk, slot, &x);
      }
    } else if (!pt->delay) {
      size_t slot = (size_t)((stamp + j->dconst) % nslots);
      double *rex = ex + sa__cell(slot * n), *rin = in + sa__cell(slot * n);
      inbox x = inbox_open(blk, slot);
      const uint32_t *tg = pt->target;
      const float *w = pt->w;
      if (j->hom) {
        /* One weight (not 0): the row is its targets only. */
        const float wh = j->whom;
        double *to = j->receptor == SA_RECEPTOR_EXCITATORY ||
                     (j->receptor == SA_RECEPTOR_AUTO && wh >= 0) ? rex : rin;
        DELIVER_ROW(x, to, tg, a, b, q, &to[sa__cell(tg[q])], wh);
      } else if (j->receptor == SA_RECEPTOR_EXCITATORY) {
        DELIVER_ROW(x, rex, tg, a, b, q, &rex[sa__cell(tg[q])], w[q]);
      } else if (j->receptor == SA_RECEPTOR_INHIBITORY) {
        DELIVER_ROW(x, rin, tg, a, b, q, &rin[sa__cell(tg[q])], w[q]);
      } else {
        DELIVER_ROW(x, rex, tg, a, b, q,
                    &(w[q] >= 0 ? rex : rin)[sa__cell(tg[q])], w[q]);
      }
      inbox_close(blk, slot, &x);
    } else {
      for (uint64_t q = a; q < b; q++) {
        size_t slot = (size_t)((stamp + pt->delay[q]) % nslots);
        float wq = pt->w ? pt->w[q] : j->whom;
        int exc = j->receptor == SA_RECEPTOR_EXCITATORY ||
                  (j->receptor == SA_RECEPTOR_AUTO && wq >= 0);
        inbox x = inbox_open(blk, slot);
        inbox_addz(&x, &(exc ? ex : in)[sa__cell(slot * n + pt->target[q])],
                   pt->target[q], wq);
        inbox_close(blk, slot, &x);
      }
    }
  }
  for (int r = 0; r < nr; r++)
    j->rules[r]->slice_end(pt->rstate[r], &v, net->now);
  return 0;
}

/* Before phase C of thread k: the row bounds of the first FIRST spikes of
 * every part it delivers, then their targets. rows_ahead runs ahead
 * within a part, a spike or two, so each part would start with those
 * misses one after the other, and within a part they would overlap with
 * little else than the cells; asked for all at once they overlap with
 * each other. rows_ahead still pays: without it (the same asked for
 * again at every FIRST-th spike instead) delivery took 104 -> 138 ms
 * per simulated s. CUBA N = 64000 (about 29 spikes of exc a tick),
 * interleaved runs of 1 s on a Zen 4 VM: FIRST = 2 against no such
 * pass, delivery 147 -> 131 ms per simulated s (1 thread), 107 -> 102
 * ms a thread (2 threads), 11 runs; 32 against 2, 151 -> 124 and 115 ->
 * 101, loop 0.482 -> 0.442 s and 0.440 -> 0.368 s (9 runs, a noisy
 * hour); N = 256000 2.50 -> 2.28 s and 1.69 -> 1.53 s (3 runs); N =
 * 4000 unchanged. */
enum { FIRST = 32 };
static void parts_ahead(const sa_net *net, int k, int a) {
  for (int pass = 0; pass < 2; pass++)
    for (int u = k; u < net->threads; u += a)
      for (int i = 0; i < net->nprojs; i++) {
        const proj *j = &net->projs[i];
        const sa_pop *sp = net->pops[j->src];
        const part *pt = &j->parts[u];
        for (size_t s = 0; s < sp->sp_n && s < FIRST; s++) {
          if (pass == 0) __builtin_prefetch(&pt->row[sp->sp_id[s]]);
          else targets_ahead(pt, sp->sp_id[s]);
        }
      }
}

/* Phase C for the blocks of thread k of the a that run the slices. */
static void deliver_blocks(sa_net *net, int k, int a) {
  parts_ahead(net, k, a);
  for (int u = k; u < net->threads; u += a)
    for (int i = 0; i < net->nprojs; i++) {
      proj *j = &net->projs[i];
      if (!j->nrules && !net->pops[j->src]->sp_n) continue;
      int rc = deliver(net, j, &net->wk[u]);
      if (rc) fail(net, rc);
    }
}

/* A slice of m ticks on thread k of a: C of the last slice's spikes if
 * they are pending, A, and on thread 0 B. */
static void slice(sa_net *net, int k, int a, sa_tick m, int pend) {
  if (pend) {
    deliver_blocks(net, k, a);
    if (net->fence) sync_all(net, k, a);
  }
  for (int u = k; u < net->threads; u += a) advance(net, u, m);
  sync_all(net, k, a);
  if (k == 0) {
    /* Under MPI every rank then has every neuron's spikes (sim/mpi.c). */
    int rc = sa__dist_exchange(net, merge(net));
    if (rc) fail(net, rc);
    net->now += m;
  }
}

enum { CMD_RUN = 0, CMD_DELIVER, CMD_IDLE, CMD_PARK, CMD_QUIT };

static void *worker_main(void *arg) {
  worker *w = arg;
  sa_net *net = w->net;
  for (;;) {
    barrier_wait(&net->bar, &w->sense);   /* the go */
    int op = net->cmd[w->sense].op;
    if (op == CMD_QUIT) break;
    if (op == CMD_RUN) {
      slice(net, w->t, net->threads, net->cmd[w->sense].m,
            net->cmd[w->sense].pend);
    } else if (op == CMD_DELIVER) {
      deliver_blocks(net, w->t, net->threads);
    } else if (op == CMD_PARK) {
      pthread_mutex_lock(&net->park_mu);
      while (net->parked) pthread_cond_wait(&net->park_cv, &net->park_mu);
      pthread_mutex_unlock(&net->park_mu);
    }
  }
  return NULL;
}

/* Thread 0: give the workers a command and pass the go with them. */
static void go(sa_net *net, int op, sa_tick m, int pend) {
  worker *w = &net->wk[0];
  net->cmd[!w->sense].op = op;
  net->cmd[!w->sense].m = m;
  net->cmd[!w->sense].pend = pend;
  barrier_wait(&net->bar, &w->sense);
}

/* Thread 0, between slices: run the slices alone (a = 1; the workers
 * park) or on the pool (a = threads; they come back to the go). */
static void set_active(sa_net *net, int a) {
  if (a == net->active) return;
  pthread_mutex_lock(&net->park_mu);
  net->parked = a == 1;
  if (a > 1) pthread_cond_broadcast(&net->park_cv);
  pthread_mutex_unlock(&net->park_mu);
  if (a == 1) go(net, CMD_PARK, 0, 0);
  net->active = a;
}

/* ---- choosing the thread count ------------------------------------- */

/* `threads` is an upper bound: it fixes the blocks (and so the parts and
 * the checkpoint's layout), but any thread may run any block, and as the
 * output does not depend on the thread count, neither does it on who runs
 * what. Two choices are made for speed alone:
 *  - the pool is started only if every thread gets at least POOL_MIN_WORK
 *    node-ticks (neurons of this rank x min_delay) a slice, about 5 us of
 *    updating (a lif_exp node-tick, with its share of CUBA's delivery,
 *    costs 1.2 ns on a 2.3 GHz Sapphire Rapids core): below that, the two
 *    barriers of a slice cost more than a second thread saves. CUBA with
 *    4000 neurons and a one-tick delay (4000 node-ticks) runs alone;
 *  - with a pool, thread 0 measures the wall time per tick of the pool
 *    and of itself alone, in turn: it starts on the pool and holds it for
 *    HOLD_NS of run time, then measures itself alone for PROBE_NS, holds
 *    the faster, measures the other, and so on; the pool must
 *    be 10 % faster to be chosen, as it costs more CPU time. Each probe
 *    that confirms the choice doubles the next hold, up to HOLD_MAX_NS
 *    (on a steady machine the probes then cost ~1 % instead of 9 % of the
 *    run spent on the slower choice); a probe that wins starts over at
 *    HOLD_NS. The first WARM_NS of every window are not counted: the
 *    first slices of a run pay for first touches, and a pool that comes
 *    back after thread 0 ran alone first moves the blocks' state back into
 *    its threads' caches (N = 64000: a 20 ms probe of the pool could
 *    measure it slower than one thread; warm, it is twice as fast).
 *    On a machine busy with other work a thread of the pool is often
 *    descheduled while the others wait at a barrier, and then one thread
 *    is faster.
 * The environment variable SYNALIGN_POOL overrides both, for tests and
 * benchmarks: "on" starts the pool whatever the work and always uses it;
 * "alternate" starts it too and switches between the pool and thread 0
 * alone every ALTERNATE slices, to test the hand-over. */
enum { POOL_MIN_WORK = 4096, POOL_ON = 1, POOL_ALTERNATE = 2, ALTERNATE = 3 };
#define PROBE_NS 20000000LL
#define HOLD_NS 200000000LL
#define HOLD_MAX_NS 3200000000LL
#define WARM_NS 10000000LL
#define SPIN_NS 100000LL

/* SYNALIGN_POOL: POOL_ON, POOL_ALTERNATE or 0. */
static int pool_forced(void) {
  const char *env = getenv("SYNALIGN_POOL");
  if (env && !strcmp(env, "on")) return POOL_ON;
  if (env && !strcmp(env, "alternate")) return POOL_ALTERNATE;
  return 0;
}

/* How many threads a slice's node-ticks (neurons of a rank x min_delay,
 * the same on every rank) pay for: POOL_MIN_WORK each, at least one. */
static long long threads_paid(const sa_net *net) {
  long long work = 0;
  for (int i = 0; i < net->npops; i++)
    if (net->pops[i]->vt->kind == SA_MODEL_NEURON) work += net->pops[i]->n;
  const long long t = work / net->nranks * net->min_delay / POOL_MIN_WORK;
  return t < 1 ? 1 : t;
}

static int pool_pays(const sa_net *net) {
  return net->tune.force || threads_paid(net) >= net->threads;
}

/* The blocks freeze() makes: as many as threads were asked for, but no
 * more than a slice's work pays for (threads_paid), unless SYNALIGN_POOL
 * forces the pool. Fewer blocks cost nothing in results (they do not
 * depend on the blocks) and save each block's share of every row start:
 * CUBA N = 4000 with --threads 2 ran two blocks on thread 0 alone, 0.022
 * s per simulated s against 0.019 with one. */
static int threads_that_pay(const sa_net *net) {
  const long long t = threads_paid(net);
  return pool_forced() || t >= net->threads ? net->threads : (int)t;
}

/* Spinning threads yield the core while the machine has more runnable
 * threads than cores (the one-minute load average, ours included). */
static void tune_load(sa_net *net) {
  double load;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int over = getloadavg(&load, 1) == 1 && ncpu > 0 && load > (double)ncpu;
  atomic_store_explicit(&net->bar.yield, over, memory_order_relaxed);
}

/* After a slice of m ticks that took ns of wall time. */
static void tune_step(sa_net *net, long long ns, sa_tick m) {
  sa_tune *u = &net->tune;
  if (u->force) {
    if (u->force == POOL_ALTERNATE && ++u->ticks % ALTERNATE == 0)
      set_active(net, net->active > 1 ? 1 : net->threads);
    return;
  }
  if (u->skip > 0) {           /* a new window's first WARM_NS */
    u->skip -= ns;
    return;
  }
  u->ns += ns;
  u->ticks += m;
  if (u->ns < u->len) return;
  int cur = net->active > 1, next;
  u->cost[cur] = (double)u->ns / (double)u->ticks;
  if (!u->probing) {
    next = !cur;
    u->len = PROBE_NS;
  } else {
    next = u->cost[1] < 0.9 * u->cost[0];
    /* next == !cur: the probe lost, back to the choice held before */
    u->hold = next != cur && u->hold ? u->hold * 2 : HOLD_NS;
    if (u->hold > HOLD_MAX_NS) u->hold = HOLD_MAX_NS;
    u->len = u->hold;
  }
  u->probing = !u->probing;
  u->skip = WARM_NS;
  u->ns = 0;
  u->ticks = 0;
  tune_load(net);
  set_active(net, next ? net->threads : 1);
}

static int pool_start(sa_net *net) {
  int T = net->threads;
  net->wk = calloc((size_t)T, sizeof *net->wk);
  if (!net->wk) return SA_ENOMEM;
  for (int t = 0; t < T; t++) net->wk[t] = (worker){.net = net, .t = t};
  net->active = 1;
  net->fence = 0;
  for (int i = 0; i < net->nprojs; i++) net->fence |= net->projs[i].nrules;
  /* The first window holds the pool: work enough for it to pay makes it
   * the likelier winner, and a probe of thread 0 alone at the start cost
   * 3 % of a 1 s run (N = 64000, 2 threads). */
  net->tune = (sa_tune){.len = HOLD_NS, .hold = HOLD_NS, .skip = WARM_NS,
                        .force = pool_forced()};
  if (T == 1 || !pool_pays(net)) return 0;
  atomic_init(&net->bar.count, 0);
  atomic_init(&net->bar.sense, 0);
  atomic_init(&net->bar.sleepers, 0);
  atomic_init(&net->bar.yield, 0);
  atomic_init(&net->bar.spin_ns, SPIN_NS);
  net->bar.n = T;
  net->parked = 0;
  if (pthread_mutex_init(&net->bar.mu, NULL)) return SA_ENOMEM;
  if (pthread_cond_init(&net->bar.cv, NULL)) {
    pthread_mutex_destroy(&net->bar.mu);
    return SA_ENOMEM;
  }
  if (pthread_mutex_init(&net->park_mu, NULL)) {
    pthread_cond_destroy(&net->bar.cv);
    pthread_mutex_destroy(&net->bar.mu);
    return SA_ENOMEM;
  }
  if (pthread_cond_init(&net->park_cv, NULL)) {
    pthread_mutex_destroy(&net->park_mu);
    pthread_cond_destroy(&net->bar.cv);
    pthread_mutex_destroy(&net->bar.mu);
    return SA_ENOMEM;
  }
  for (int t = 1; t < T; t++)
    if (pthread_create(&net->wk[t].tid, NULL, worker_main, &net->wk[t])) {
      /* Workers already started wait at the go barrier, which can no
       * longer fill: run without a pool is impossible, so stop them by
       * shrinking the barrier to those that exist. */
      net->bar.n = t;
      go(net, CMD_QUIT, 0, 0);
      for (int u = 1; u < t; u++) pthread_join(net->wk[u].tid, NULL);
      net->bar.n = T;
      pthread_cond_destroy(&net->park_cv);
      pthread_mutex_destroy(&net->park_mu);
      pthread_cond_destroy(&net->bar.cv);
      pthread_mutex_destroy(&net->bar.mu);
      return SA_ENOMEM;
    }
  net->active = T;
  tune_load(net);
  net->pool_up = 1;
  return 0;
}

void sa__pool_stop(sa_net *net) {
  if (net->pool_up) {
    set_active(net, net->threads);
    go(net, CMD_QUIT, 0, 0);
    for (int t = 1; t < net->threads; t++) pthread_join(net->wk[t].tid, NULL);
    pthread_cond_destroy(&net->park_cv);
    pthread_mutex_destroy(&net->park_mu);
    pthread_cond_destroy(&net->bar.cv);
    pthread_mutex_destroy(&net->bar.mu);
    net->pool_up = 0;
  }
  for (int t = 0; net->wk && t < net->threads; t++) {
    free(net->wk[t].pstamp);
    free(net->wk[t].pid);
  }
  free(net->wk);
  net->wk = NULL;
}

int sa_net_ready(sa_net *net) {
  if (!net->prepared) {
    int rc = sa_net_prepare(net);
    if (rc) return rc;
  }
  if (!net->frozen) {
    int rc = freeze(net);
    if (rc) return rc;
  }
  if (!net->wk && pool_start(net)) {
    free(net->wk);
    net->wk = NULL;
    return sa__seterr(net, SA_ENOMEM, "cannot start %d threads",
                      net->threads);
  }
  return 0;
}

/* Thread 0, after a slice: its merged spikes to the subscribers and the
 * counters, then the observers. */
static void publish(sa_net *net) {
  for (int i = 0; i < net->npops; i++) {
    sa_pop *p = net->pops[i];
    if (!p->sp_n) continue;
    for (int s = 0; s < net->nsubs; s++)
      net->subs[s].cb(net->subs[s].ud, i, p->sp_stamp, p->sp_id, p->sp_n);
    p->nspikes += p->sp_n;
  }
  for (int o = 0; o < net->nobs; o++)
    net->obs[o].cb(net->obs[o].ud, net->now);
}

int sa_net_run(sa_net *net, sa_tick nsteps, const volatile int *stop) {
  int rc0 = sa_net_ready(net);
  if (rc0) return rc0;
  atomic_store(&net->werr, 0);
  sa_tick end = net->now + nsteps;
  int rc = 0;
  long long t = now_ns();
  int unpublished = 0;
  while (net->now < end && !rc) {
    sa_tick m = net->min_delay;
    if (end - net->now < m) m = end - net->now;
    const int a = net->active, pend = net->pending;
    if (a > 1) go(net, CMD_RUN, m, pend);
    /* The last slice's spikes reach the subscribers and observers while
     * the workers run this one: the merged spikes change only in this
     * slice's B, behind its barrier, and neither reads neuron state. */
    if (unpublished) {
      publish(net);
      unpublished = 0;
    }
    slice(net, 0, a, m, pend);
    net->pending = 1;
    if ((rc = atomic_load(&net->werr))) break;
    unpublished = 1;
    if (net->pool_up) {
      long long t1 = now_ns();
      tune_step(net, t1 - t, m);
      t = t1;
    }
    /* The flag is set from other threads (signal watcher, writer):
     * an atomic read, so that ThreadSanitizer sees no race. */
    int stopped = stop && __atomic_load_n(stop, __ATOMIC_RELAXED);
    if (sa__dist_stop(net, stopped) && net->now < end) rc = SA_EINTR;
  }
  if (unpublished) publish(net);
  /* The last slice's C, also after an interruption (a checkpoint holds
   * the rings); the idle go waits for the workers' part of it. */
  if (net->pending) {
    if (net->active > 1) go(net, CMD_DELIVER, 0, 0);
    deliver_blocks(net, 0, net->active);
    if (net->active > 1) go(net, CMD_IDLE, 0, 0);
    net->pending = 0;
    if (!rc) rc = atomic_load(&net->werr);
  }
  if (rc == SA_EINTR)
    return sa__seterr(net, rc, "interrupted at %.3f ms",
                      (double)net->now * net->dt);
  if (rc) return sa__seterr(net, rc, "out of memory during the run");
  return 0;
}

int sa_net_proj_weights(sa_net *net, int pj, double *out) {
  if (pj < 0 || pj >= net->nprojs) return SA_EINVAL;
  proj *j = &net->projs[pj];
  for (int t = 0; t < j->nparts; t++)
    for (int r = 0; r < j->nrules; r++)
      if (j->parts[t].rstate[r]) {
        sa_syn_view v = sa__view(net, j, t);
        j->rules[r]->materialize(j->parts[t].rstate[r], &v, net->now);
      }
  uint32_t nsrc = net->pops[j->src]->n;
  uint64_t c = 0;
  for (uint32_t i = 0; i < nsrc; i++)
    for (int t = 0; t < j->nparts; t++) {
      const part *p = &j->parts[t];
      for (uint64_t q = p->row[i]; q < p->row[i + 1]; q++)
        out[c++] = sa__weight(j, p, q);
    }
  return 0;
}

/* Each part's estimate in its own order, placed at the canonical positions
 * of its synapses (by source, part, row). Rule state exists from the first
 * run on. */
int sa_net_proj_estimate(sa_net *net, int pj, int r, double *out) {
  if (pj < 0 || pj >= net->nprojs) return SA_EINVAL;
  proj *j = &net->projs[pj];
  if (r < 0 || r >= j->nrules) return SA_EINVAL;
  if (!j->rules[r]->estimate)
    return sa__seterr(net, SA_ENOTSUP, "rule %s keeps no estimate",
                      j->rules[r]->name);
  if (!net->frozen)
    return sa__seterr(net, SA_EINVAL, "no estimate before the first run");
  uint64_t most = 0;
  for (int t = 0; t < j->nparts; t++)
    if (j->parts[t].nsyn > most) most = j->parts[t].nsyn;
  double *buf = malloc((most ? most : 1) * sizeof *buf);
  if (!buf) return SA_ENOMEM;
  uint32_t nsrc = net->pops[j->src]->n;
  /* Row by row the parts interleave: place each part's values at the
   * canonical positions of its synapses. */
  uint64_t *base = malloc(((size_t)nsrc + 1) * sizeof *base);
  if (!base) {
    free(buf);
    return SA_ENOMEM;
  }
  base[0] = 0;
  for (uint32_t i = 0; i < nsrc; i++) {
    uint64_t n = 0;
    for (int t = 0; t < j->nparts; t++)
      n += j->parts[t].row[i + 1] - j->parts[t].row[i];
    base[i + 1] = base[i] + n;
  }
  uint64_t *off = calloc((size_t)nsrc + 1, sizeof *off);
  if (!off) {
    free(buf), free(base);
    return SA_ENOMEM;
  }
  for (int t = 0; t < j->nparts; t++) {
    part *p = &j->parts[t];
    sa_syn_view v = sa__view(net, j, t);
    j->rules[r]->estimate(p->rstate[r], &v, buf);
    for (uint32_t i = 0; i < nsrc; i++)
      for (uint64_t q = p->row[i]; q < p->row[i + 1]; q++)
        out[base[i] + off[i]++] = buf[q];
  }
  free(buf), free(base), free(off);
  return 0;
}
