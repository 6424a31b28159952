/* lif_common.h: the update loop the LIF models share (models/ only).
 * SPDX-License-Identifier: MIT
 *
 * A LIF model gives three small functions; sa__lif_step runs them over a
 * block in chunks of SA_LIF_CHUNK nodes, in NEST's order:
 *   pass    the branch-free vector loop over a chunk: V from the state at
 *           t, then the synaptic variables decay as if no input arrived
 *           (each written as the full expression with the input 0.0, so
 *           that adding an input later gives the bits of the one-pass
 *           form: (x + 0.0) + in == x + in for every in the ring can hold,
 *           which is never -0). Returns how many nodes are at or above
 *           theta.
 *   take    one node's inputs arriving at t+h, for the nodes whose hit bit
 *           is set (about 5 % in a typical network); returns the change in
 *           the count of nodes at or above theta (lif_delta adds its
 *           inputs to V).
 *   spiked  (optional) what a spike does besides the reset.
 * Refractory nodes are not marked per node (a counter per node was an 8
 * byte read and write per node and step for the ~1 % of nodes that need
 * it): the block keeps the list of its nodes that fired in the last
 * round(t_ref/h) ticks, ascending by id, and after the chunk's pass puts
 * their V back to the held value, which is what NEST's clamp computes.
 * Then the threshold pass, only over chunks where some node may be at or
 * above theta. */
#ifndef SA_LIF_COMMON_H
#define SA_LIF_COMMON_H
#include "sa_model.h"

/* Chunks are one word of the block's hit bitmap. */
#define SA_LIF_CHUNK 64u

/* Room for `need` entries in b->rf2 (amortised growth). */
int sa__refr_reserve(sa_block *b, size_t need);

/* Checkpoints keep NEST's per-node counter, "r" (refractory steps left),
 * derived from and turned back into the blocks' lists; load after V (the
 * held value is V's). */
int sa__lif_save_refr(const sa_pop *p, const sa_ckpt *ck, const char *pre);
int sa__lif_load_refr(sa_pop *p, const sa_ckpt *ck, const char *pre,
                      const double *V);

/* rf2, holding n entries, becomes the list; rf the scratch. */
static inline void sa__refr_swap(sa_block *b, size_t n) {
  sa_refr *t = b->rf;
  size_t tc = b->cap;
  b->rf = b->rf2;
  b->cap = b->cap2;
  b->rf2 = t;
  b->cap2 = tc;
  b->nrf = n;
}

typedef int64_t (*sa_lif_pass)(void *m, uint32_t c, uint32_t e);
typedef int (*sa_lif_take)(void *m, uint32_t i, double ex, double in);
typedef void (*sa_lif_spiked)(void *m, uint32_t i);

/* Inlined into each model's update (and so into each of its
 * SA_VECTOR_CLONES), where the function arguments are constants and are
 * inlined in turn: no indirect call per chunk. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int sa__lif_step(sa_block *b, sa_tick k, sa_spikebuf *out,
                               void *m, double *V, double theta,
                               double v_reset, int64_t ref, sa_lif_pass pass,
                               sa_lif_take take, sa_lif_spiked spiked) {
  const sa_refr *old = b->rf;
  const size_t nold = b->nrf;
  double *ex = b->ex, *in = b->in;
  uint64_t *hit = b->hit;
  size_t r = 0, nnew = 0;
  uint32_t w = 0;
  for (uint32_t c = b->lo; c < b->hi; c += SA_LIF_CHUNK, w++) {
    const uint32_t e = b->hi - c < SA_LIF_CHUNK ? b->hi : c + SA_LIF_CHUNK;
    int64_t crossed = pass(m, c, e);
    for (uint64_t bits = hit[w]; bits; bits &= bits - 1) {
      uint32_t i = c + (uint32_t)__builtin_ctzll(bits);
      crossed += take(m, i, ex[i], in[i]);
      ex[i] = 0;
      in[i] = 0;
    }
    hit[w] = 0;
    /* Refractory nodes hold V (counted if the held value is at or above
     * theta, as NEST would; a count too high only lengthens the scan). */
    const size_t r0 = r;
    for (; r < nold && old[r].id < e; r++) {
      V[old[r].id] = old[r].v;
      crossed += old[r].v >= theta;
    }
    if (!crossed && r == r0) continue;
    size_t need = nnew + (r - r0) + (crossed ? e - c : 0);
    if (need > b->cap2 && sa__refr_reserve(b, need)) return SA_ENOMEM;
    sa_refr *nl = b->rf2;
    /* The next list: this chunk's entries still refractory at k+1 and its
     * new spikes, merged by id. */
    size_t q = r0;
    for (uint32_t i = c; crossed && i < e; i++) {
      if (!(V[i] >= theta)) continue;
      crossed--;
      for (; q < r && old[q].id <= i; q++)
        if (old[q].id < i && k + 1 < old[q].until) nl[nnew++] = old[q];
      V[i] = v_reset;
      int rc = sa__emit(out, k + 1, i);
      if (rc) return rc;
      if (spiked) spiked(m, i);
      if (ref > 0) nl[nnew++] = (sa_refr){k + 1 + ref, v_reset, i};
    }
    for (; q < r; q++)
      if (k + 1 < old[q].until) nl[nnew++] = old[q];
  }
  sa__refr_swap(b, nnew);
  return 0;
}
#endif
