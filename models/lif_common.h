/* lif_common.h: the update loop the LIF models share (models/ only).
 * SPDX-License-Identifier: MIT
 *
 * A LIF model gives three small functions; sa__lif_step runs them over a
 * block in NEST's order:
 *   pass    the branch-free vector loop over the block: V from the state
 *           at t, then the synaptic variables decay as if no input arrived
 *           (each written as the full expression with the input 0.0, so
 *           that adding an input later gives the bits of the one-pass
 *           form: (x + 0.0) + in == x + in for every in the ring can hold,
 *           which is never -0; lif_exp keeps its currents scaled, so
 *           that their decay is in its factors and its pass writes only
 *           V: lif_exp.c). It stores, per chunk of SA_LIF_CHUNK
 *           nodes, how many are at or above theta (SA_LIF_ROWS below).
 *   take    one node's inputs arriving at t+h, for the nodes listed in
 *           the block (about 5 % in a typical network); returns the change in
 *           the count of nodes at or above theta (lif_delta adds its
 *           inputs to V).
 *   spiked  (optional) what a spike does besides the reset.
 * Refractory nodes are not marked per node (a counter per node was an 8
 * byte read and write per node and step for the ~1 % of nodes that need
 * it): the block keeps the queue of its nodes that fired in the last
 * round(t_ref/h) ticks, in the order their periods end, and after the
 * pass puts their V back to the held value, which is what NEST's clamp
 * computes. Then the threshold pass, only over chunks whose count is not
 * 0. All nodes of a population have the same t_ref, so a period that
 * starts later ends later: the ends leave from the front of the queue and
 * new spikes join at its back, O(1) each (the list sorted by id that
 * this replaced was merged anew every tick, ~1800 cycles a tick for
 * CUBA's ~45 entries). */
#ifndef SA_LIF_COMMON_H
#define SA_LIF_COMMON_H
#include "sa_model.h"

#define SA_LIF_CHUNK 64u
_Static_assert(SA_LIF_CHUNK == 64, "sa_block.nw counts chunks of 64 nodes");

/* The loop of a pass: AT, an expression that is 1 when node c + j ends the
 * step at or above theta and 0 otherwise, for every node of [lo, hi), in
 * chunks of SA_LIF_CHUNK starting at lo (c the chunk's first node, j
 * counting from 0 in it); cnt[w] gets chunk w's sum. The inner loop has a
 * constant trip count and indexes from the chunk's base pointers (write
 * AT as f(V + c, ..., j)), which GCC vectorises with no set-up per chunk:
 * with a variable bound and 32-bit indices c + j (which may wrap, as far
 * as it knows) the set-up cost as much as the work. The count is 64-bit,
 * the width of the double compares: a 32-bit one made GCC pack every
 * vector of compare results (vpermt2d), 5-6 % of CUBA's and COBA's
 * instructions. */
#define SA_LIF_ROWS(lo, hi, cnt, c, j, AT)                                  \
  do {                                                                      \
    uint32_t c = (lo), w_ = 0;                                              \
    for (; (hi) - c >= SA_LIF_CHUNK; c += SA_LIF_CHUNK, w_++) {             \
      int64_t n_ = 0;                                                       \
      for (uint32_t j = 0; j < SA_LIF_CHUNK; j++) n_ += (AT);               \
      (cnt)[w_] = (int32_t)n_;                                              \
    }                                                                       \
    if (c < (hi)) {                                                         \
      int64_t n_ = 0;                                                       \
      for (uint32_t j = 0; j < (hi) - c; j++) n_ += (AT);                   \
      (cnt)[w_] = (int32_t)n_;                                              \
    }                                                                       \
  } while (0)

/* Room for `need` entries in the queue b->rf (amortised growth; the
 * entries keep their order). */
int sa__refr_reserve(sa_block *b, size_t need);

/* The queue's q-th entry from the front. */
static inline sa_refr *sa__refr_at(const sa_block *b, size_t q) {
  return &b->rf[(b->rf0 + q) & (b->cap - 1)];
}

/* Appends a period to the queue, which must have room. A period that
 * ends before the last one (t_ref lowered between runs) moves forward to
 * its place, so the queue stays in order. */
static inline void sa__refr_push(sa_block *b, sa_refr e) {
  const size_t mask = b->cap - 1;
  size_t q = (b->rf0 + b->nrf++) & mask;
  for (size_t n = b->nrf - 1; n > 0; n--) {
    size_t p = (q - 1) & mask;
    if (b->rf[p].until <= e.until) break;
    b->rf[q] = b->rf[p];
    q = p;
  }
  b->rf[q] = e;
}

/* Checkpoints keep NEST's per-node counter, "r" (refractory steps left),
 * derived from and turned back into the blocks' lists; load after V (the
 * held value is V's). */
int sa__lif_save_refr(const sa_pop *p, const sa_ckpt *ck, const char *pre);
int sa__lif_load_refr(sa_pop *p, const sa_ckpt *ck, const char *pre,
                      const double *V);


/* For a model's step, pass, take and spiked: they must be inlined into
 * its update, which alone is compiled once per SA_VECTOR_CLONES target; a
 * hook GCC leaves out of line (lif_cond_exp's pass, too big for its
 * heuristics) runs the baseline SSE2 code, 4x slower there. */
#if defined(__GNUC__)
#define SA_LIF_INLINE static inline __attribute__((always_inline))
#else
#define SA_LIF_INLINE static inline
#endif

typedef void (*sa_lif_pass)(void *m, uint32_t lo, uint32_t hi, int32_t *cnt);
typedef int (*sa_lif_take)(void *m, uint32_t i, double ex, double in);
typedef void (*sa_lif_spiked)(void *m, uint32_t i);

/* Inlined into each model's update (and so into each of its
 * SA_VECTOR_CLONES), where the function arguments are constants and are
 * inlined in turn: no indirect calls. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int sa__lif_step(sa_block *b, sa_tick k, sa_spikebuf *out,
                               void *m, double *V, double theta,
                               double v_reset, int64_t ref, sa_lif_pass pass,
                               sa_lif_take take, sa_lif_spiked spiked) {
  const uint32_t lo = b->lo, hi = b->hi;
  int32_t *cnt = b->cross;
  pass(m, lo, hi, cnt);
  double *ex = b->ex, *in = b->in;
  for (size_t q = 0, na = *b->na; q < na; q++) {
    const uint32_t i = b->at[q], w = (i - lo) / SA_LIF_CHUNK;
    const size_t c = sa__cell(i);
    /* Without a test for a node listed again (its cells were taken and
     * zeroed at its first entry) or for a weight of 0: taking 0 and 0 adds
     * nothing (a current, conductance or V of -0 may turn +0, which
     * changes nothing else), and a test was a mispredicted branch for
     * each such entry (8 % of COBA's). */
    cnt[w] += take(m, i, ex[c], in[c]);
    ex[c] = 0;
    in[c] = 0;
  }
  *b->na = 0;
  /* Refractory nodes hold V (counted if the held value is at or above
   * theta, as NEST would; a count too high only lengthens the scan). In
   * queue order, so that a node listed twice (only if V_reset changed
   * between runs) ends at its newer value. */
  for (size_t r = 0; r < b->nrf; r++) {
    const sa_refr *e = sa__refr_at(b, r);
    V[e->id] = e->v;
    cnt[(e->id - lo) / SA_LIF_CHUNK] += e->v >= theta;
  }
  /* Periods that end at k+1 leave; the new spikes join. */
  while (b->nrf > 0 && sa__refr_at(b, 0)->until <= k + 1) {
    b->rf0 = (b->rf0 + 1) & (b->cap - 1);
    b->nrf--;
  }
  for (size_t w = 0; w < b->nw; w++) {
    int32_t crossed = cnt[w];
    if (crossed <= 0) continue;
    const uint32_t c = lo + (uint32_t)w * SA_LIF_CHUNK;
    const uint32_t e = hi - c < SA_LIF_CHUNK ? hi : c + SA_LIF_CHUNK;
    if (ref > 0 && b->nrf + (size_t)crossed > b->cap &&
        sa__refr_reserve(b, b->nrf + (size_t)crossed))
      return SA_ENOMEM;
    for (uint32_t i = c; crossed > 0 && i < e; i++) {
      if (!(V[i] >= theta)) continue;
      crossed--;
      V[i] = v_reset;
      int rc = sa__emit(out, k + 1, i);
      if (rc) return rc;
      if (spiked) spiked(m, i);
      if (ref > 0) sa__refr_push(b, (sa_refr){k + 1 + ref, v_reset, i});
    }
  }
  return 0;
}
#endif
