/* sa_model.h: the neuron/source model interface (a small vtable per model).
 * SPDX-License-Identifier: MIT
 *
 * A model is one file exporting one `const sa_model_vt`; models/registry.c
 * lists them. The core calls, in order: init (allocate state for n nodes,
 * set state to the resting values), set_init (per-node initial values drawn
 * by the core), prepare (derive propagators from params and dt; called
 * before every run segment), then update once per tick. */
#ifndef SA_MODEL_H
#define SA_MODEL_H
#include <stddef.h>
#include <stdint.h>
#include "sa_sim.h"

typedef struct sa_pop sa_pop;

/* At most this many state variables per model take initial values. */
#define SA_MAX_INIT_VARS 8

typedef struct sa_param_desc {
  const char *name;
  const char *unit;
  double def;          /* NEST's default */
  size_t offset;       /* of a double in the model's params struct */
} sa_param_desc;

enum { SA_MODEL_NEURON = 1, SA_MODEL_SOURCE = 2 };

/* Spikes emitted during an update: one buffer per worker thread and
 * population (amortised growth, no per-event allocation once it has
 * grown). */
typedef struct sa_spikebuf {
  sa_tick *stamp;
  uint32_t *id;
  size_t n, cap;
} sa_spikebuf;
int sa__emit(sa_spikebuf *b, sa_tick stamp, uint32_t id);

/* A node in its refractory period: held at V = v by the updates of ticks
 * before `until`. */
typedef struct sa_refr {
  sa_tick until;
  double v;
  uint32_t id;
} sa_refr;

/* Where cell c of an input ring lies from its ring_ex / ring_in (sa_pop)
 * or a block's ex / in (sa_block): a node's excitatory and inhibitory
 * cells are side by side, so cell c is the double at 2 c. A ring's cells
 * are numbered slot * n + node, a block row's by node. */
static inline size_t sa__cell(size_t c) { return 2 * c; }

/* One thread's block [lo, hi) of a neuron population: what its update
 * reads besides the model's state. The core sets ex, in, at and na before
 * each update; rf is the LIF models' (models/lif_common.h). */
typedef struct sa_block {
  uint32_t lo, hi;
  /* The ring rows of the inputs arriving at k+1 (pA, mV or nS), node i's
   * cells at ex[sa__cell(i)] and in[sa__cell(i)] (in = ex + 1: a node's
   * two cells share a cache line, so taking them is one miss, not two),
   * and which of them
   * may be non-zero: the na nodes at[0..na), a node any number of times
   * (at most 2.5 entries a node in all, sa__inbox_cap) and possibly with
   * both cells 0; the rest are zero. The update adds the inputs, zeroes the cells
   * and sets na to 0, so the row is clean for its next use; taking a
   * node's cells again, zeroed, must change nothing. Only ~5 % of the
   * nodes receive input in a tick of a typical network, so reading the
   * rows densely would cost more than the neurons. */
  double *ex, *in;
  uint32_t *at;
  size_t *na;
  /* The core's: per ring slot, sa__inbox_cap list entries and the
   * list's length. nw is the number of SA_LIF_CHUNK chunks. */
  uint32_t *ats;
  size_t *nas;
  size_t nw;
  int32_t *cross;       /* nw counts, the update's scratch */
  /* The block's refractory nodes: a ring of cap entries (0 or a power of
   * two), nrf of them from rf[rf0] on, in the order they end (ascending
   * until, then id), so those that end leave from the front and new
   * spikes join at the back. */
  sa_refr *rf;
  size_t rf0, nrf, cap;
} sa_block;

typedef struct sa_model_vt {
  const char *name;
  int abi;                      /* 1 */
  int kind;                     /* SA_MODEL_NEURON or SA_MODEL_SOURCE */
  size_t params_size;
  const sa_param_desc *params;  /* {NULL}-terminated */
  const char *const *state_vars;/* NULL-terminated, absolute units */
  /* Pure check of a params struct: full NEST sentence into err on
   * failure. */
  int (*check)(const void *params, char *err, size_t errlen);
  int (*init)(sa_pop *p);
  void (*fini)(sa_pop *p);
  int (*set_init)(sa_pop *p, const char *var, uint32_t i, double v);
  int (*get_state)(const sa_pop *p, const char *var, uint32_t i, double *v);
  int (*prepare)(sa_pop *p, double dt);
  /* Advance nodes from tick k to k+1: a neuron model the nodes of block b
   * (below), a source all its nodes (b is NULL). Spikes go to `out` with
   * stamp k+1, ids ascending. Neuron models are called on disjoint blocks
   * from several threads at once and must touch only their block's nodes;
   * sources are always called from one thread. Returns 0 or an SA_E* code
   * (only allocation can fail). */
  int (*update)(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out);
  /* Checkpoints: every dynamic state array under prefix/<name> (see
   * sa__ck_put). NULL for both means the model keeps no state of its own;
   * a model with state but without them cannot be checkpointed (the core
   * refuses rather than resume wrongly). */
  int (*save)(const sa_pop *p, const sa_ckpt *ck, const char *prefix);
  int (*load)(sa_pop *p, const sa_ckpt *ck, const char *prefix);
  int stateless;              /* 1: save/load are not needed */
} sa_model_vt;

/* The checks every LIF model shares, with NEST's sentences: V_reset below
 * V_th, C_m > 0. Returns 0 or SA_EINVAL with the sentence in err. */
int sa__lif_check(double V_reset, double V_th, double C_m, char *err,
                  size_t n);

/* put/get of prefix/name through a checkpoint. */
int sa__ck_put(const sa_ckpt *ck, const char *prefix, const char *name,
               int type, const void *data, size_t n);
int sa__ck_get(const sa_ckpt *ck, const char *prefix, const char *name,
               int type, void *data, size_t n);
long long sa__ck_len(const sa_ckpt *ck, const char *prefix,
                     const char *name);

const sa_model_vt *sa__model_find(const char *name);
/* The registered names, comma-separated, into buf (for messages). */
void sa__model_names(char *buf, size_t n);

/* Hot loops are compiled for several instruction sets and the best one is
 * picked at load time (GCC function multi-versioning), so one portable
 * binary still uses AVX2/AVX-512 where the processor has them. Results do
 * not depend on the clone: ISO C mode turns off FMA contraction. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(__SANITIZE_THREAD__)
/* (ThreadSanitizer cannot start a program whose ifunc resolvers run before
 * it is initialised, so TSan builds use the default clone only.) */
#define SA_VECTOR_CLONES \
  __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define SA_VECTOR_CLONES
#endif

/* What models may see of a population. */
struct sa_pop {
  char *name;
  const sa_model_vt *vt;
  int index;
  uint32_t n;
  void *params;          /* vt->params_size bytes */
  void *state;           /* the model's own SoA block */
  sa_net *net;
  /* Spikes of each worker thread in the current slice (ntb buffers). */
  sa_spikebuf *tb;
  int ntb;
  /* Spikes of the current slice, merged: stamps ascending, ids ascending
   * within a stamp. */
  sa_tick *sp_stamp;
  uint32_t *sp_id;
  size_t sp_n, sp_cap;
  uint64_t nspikes;
  /* Input ring buffers: nslots rows of n (ex, in) pairs, row = tick %
   * nslots, one allocation (ring_ex) with ring_in = ring_ex + 1: node i's
   * cells of slot r are ring_ex[sa__cell(r n + i)] and
   * ring_in[sa__cell(r n + i)]. Neuron populations only, as blk (one per
   * thread). */
  double *ring_ex, *ring_in;
  int nslots;
  sa_block *blk;
  /* spike_source: all (stamp, id) sorted by stamp then id. */
  sa_tick *src_stamp;
  uint32_t *src_id;
  size_t src_n, src_cap, src_next;
  int src_sorted;
  /* Initial values, drawn at first prepare: bit v of init_mask says that
   * state_vars[v] has the distribution init[v]. */
  uint32_t init_mask;
  sa_dist init[SA_MAX_INIT_VARS];
  int initialised;
};

uint64_t sa__net_seed(const sa_net *net);
#endif
