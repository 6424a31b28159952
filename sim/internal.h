/* internal.h: what the files of sim/ share; never installed.
 * SPDX-License-Identifier: MIT */
#ifndef SA_SIM_INTERNAL_H
#define SA_SIM_INTERNAL_H
#include "sa_sim.h"
#include "../models/sa_model.h"
#include "../rules/sa_rule.h"
#include <pthread.h>
#include <stdatomic.h>

#define MAX_DELAY_TICKS 65535u
#define DEFAULT_SLICE_MS 1.0

/* One thread's share of a projection: the synapses onto the targets of
 * that thread's block, in CSR by source (row has n_src + 1 entries). Each
 * row is sorted by target (stable), so the parts of a row, taken in thread
 * order, are the row of the one-thread CSR: the canonical synapse order
 * (sa_net_proj_get) is the same whatever the thread count. Static
 * synapses are 8 bytes (32-bit target, float weight); plastic ones keep a
 * double weight (wd, w is freed) and the rule's state for this part. Delays
 * are stored only when they differ within the projection. */
#define SA_MAX_RULES 8

typedef struct part {
  uint64_t nsyn;
  uint64_t *row;
  uint32_t *target;
  float *w;
  double *wd;
  uint16_t *delay;
  void *rstate[SA_MAX_RULES];
} part;

typedef struct proj {
  char *name;
  int src, tgt;
  int receptor;
  uint64_t nsyn;
  part *parts;          /* one, or one per thread once split */
  int nparts;
  uint16_t dconst, dmin, dmax;
  /* Rules see the same events in this order; with any rule the weights
   * are kept as doubles. */
  const sa_rule_vt *rules[SA_MAX_RULES];
  void *rparams[SA_MAX_RULES];
  int nrules;
  double sign;
} proj;

typedef struct sub { sa_spike_cb cb; void *ud; } sub;
typedef struct obs { sa_slice_cb cb; void *ud; } obs;

/* Sense-reversing barrier: spins briefly (slices are short and an idle
 * core answers in well under a microsecond), then sleeps on a condition
 * variable, so that a machine with more runnable threads than cores is
 * not turned into a scheduler benchmark. */
typedef struct sa_barrier {
  atomic_int count, sense, sleepers;
  int n;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} sa_barrier;

/* Per worker: its index, its barrier sense, scratch for the post spikes
 * of its target block. */
typedef struct worker {
  struct sa_net *net;
  int t;
  int sense;
  pthread_t tid;
  sa_tick *pstamp;
  uint32_t *pid;
  size_t pcap;
} worker;

struct sa_net {
  double dt;
  uint64_t seed;
  sa_tick now;
  int threads;
  int prepared, frozen;
  sa_pop **pops;
  int npops;
  proj *projs;
  int nprojs;
  sub *subs;
  int nsubs;
  obs *obs;
  int nobs;
  sa_tick min_delay;
  int nslots;
  /* Worker pool (threads > 1), started at the first run. */
  worker *wk;
  int pool_up;
  sa_barrier bar;
  /* Commands to the workers, double-buffered by barrier parity: thread 0
   * writes cmd[next sense] before the go, a worker reads cmd[its sense]
   * after it; a slot is rewritten only after every worker has passed the
   * following barrier, so no command is overwritten before it is read. */
  struct { sa_tick m; int op; } cmd[2];
  atomic_int werr;
  char err[512];
};

int sa__seterr(sa_net *net, int rc, const char *fmt, ...);
char *sa__dupstr(const char *s);
double sa__draw(const sa_dist *d, void *rng);
int sa__dist_ok(const sa_dist *d);
/* First node of thread t's block of n nodes (t = T gives n). */
static inline uint32_t sa__block(uint32_t n, int T, int t) {
  return (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)T);
}
void sa__part_free(part *p);
void sa__proj_free(proj *j);
/* Split every projection into one part per thread (first prepare). */
int sa__split_parts(sa_net *net);
sa_syn_view sa__view(const sa_net *net, proj *j, int part);
void sa__apply_init(sa_net *net, sa_pop *p);
void sa__pool_stop(sa_net *net);
#endif
