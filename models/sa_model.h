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
  /* Advance nodes [lo, hi) from tick k to k+1. in_ex/in_in are the ring
   * rows of inputs arriving at k+1, indexed by node (pA, mV or nS; NULL
   * for sources): the model consumes [lo, hi) of them, leaving zeros
   * behind, so the row is clean for its next use without a separate pass.
   * Spikes go to `out` with stamp k+1, ids ascending. Neuron models are
   * called on disjoint ranges from several threads at once and must touch
   * only their nodes' state; sources are always called on [0, n) from one
   * thread. Returns 0 or an SA_E* code (only allocation can fail). */
  int (*update)(sa_pop *p, sa_tick k, uint32_t lo, uint32_t hi,
                double *in_ex, double *in_in, sa_spikebuf *out);
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

/* LIF updates run their vectorised first pass over chunks of this many
 * nodes and the threshold pass only over chunks where a node crossed. */
#define SA_LIF_CHUNK 64u

/* The threshold pass of a LIF update, after the branch-free first pass has
 * counted `crossed` nodes at or above theta in [lo, hi): each of them
 * spikes with stamp k+1, is reset and made refractory for ref steps. */
static inline int sa__lif_fire(double *V, int64_t *r, uint32_t lo,
                               uint32_t hi, int64_t crossed, double theta,
                               double v_reset, int64_t ref, sa_tick k,
                               sa_spikebuf *out) {
  for (uint32_t i = lo; crossed && i < hi; i++) {
    if (V[i] >= theta) {
      crossed--;
      r[i] = ref;
      V[i] = v_reset;
      int rc = sa__emit(out, k + 1, i);
      if (rc) return rc;
    }
  }
  return 0;
}

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
  /* Input ring buffers: nslots rows of n doubles, row = tick % nslots. */
  double *ring_ex, *ring_in;
  int nslots;
  /* spike_source: all (stamp, id) sorted by stamp then id. */
  sa_tick *src_stamp;
  uint32_t *src_id;
  size_t src_n, src_cap, src_next;
  int src_sorted;
  /* Initial values (only V_m so far), drawn at first prepare. */
  int has_init;
  sa_dist init_V;
  int initialised;
};

uint64_t sa__net_seed(const sa_net *net);
#endif
