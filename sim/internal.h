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
 * double weight (wd, w widened in place) and the rule's state for this
 * part. Delays are stored only when they differ within the projection
 * (then 10 bytes a synapse; with fewer than 2^(32-b) targets, b-bit delays
 * could ride in target's high bits, at a mask per synapse in delivery and
 * in the rules' views). A part is
 * built straight into this layout (sim/connect.c), with no edge list.
 * A static projection whose weights are all the same (a constant weight
 * distribution, or a list of equal weights: NEST's static_synapse_hom_w)
 * keeps no weight array at all (w and wd NULL, 4 bytes a synapse): its
 * one weight is proj.whom. */
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
  int hom;              /* parts hold no weights: every synapse has whom */
  float whom;
} proj;

/* Synapse q's weight in part p of projection j. */
static inline double sa__weight(const proj *j, const part *p, uint64_t q) {
  return p->wd ? p->wd[q] : p->w ? (double)p->w[q] : (double)j->whom;
}

typedef struct sub { sa_spike_cb cb; void *ud; } sub;
typedef struct obs { sa_slice_cb cb; void *ud; } obs;

/* Sense-reversing barrier: spins for up to spin_ns (slices are short and
 * an idle core answers in well under a microsecond, while a sleep and its
 * wake-up cost tens of microseconds on a virtual machine), yielding the
 * core while it spins when the machine has more runnable threads than
 * cores (yield), then sleeps on a condition variable. spin_ns and yield
 * are set by thread 0 while the others wait at the go, read by all. */
typedef struct sa_barrier {
  atomic_int count, sense, sleepers;
  atomic_int yield;
  atomic_llong spin_ns;
  int n;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} sa_barrier;

/* Thread 0's choice between running the slices on the pool and running
 * them alone (sim/run.c, "choosing the thread count"): wall time per tick
 * measured over windows of run time, for one thread (cost[0]) and for
 * the pool (cost[1]). */
typedef struct sa_tune {
  long long ns, len;    /* run time in this window; its planned length */
  long long hold;       /* length of the last hold (a probe that loses
                         * doubles it) */
  long long skip;       /* ns of this window still to leave uncounted */
  sa_tick ticks;        /* ticks simulated in this window */
  double cost[2];       /* ns per tick, alone and on the pool */
  int probing;          /* this window measures the other choice */
  int force;            /* SYNALIGN_POOL: 0 auto, POOL_ON, POOL_ALTERNATE */
} sa_tune;

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
  /* Blocks (and at most as many worker threads): the count asked for,
   * until freeze() lowers it to what a slice's work pays for (kept as
   * asked when a checkpoint is to be loaded: keep_threads). */
  int threads, threads_asked, keep_threads;
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
  /* Worker pool (threads > 1), started at the first run if the slices
   * hold enough work (sim/run.c). wk has one entry per thread, i.e. per
   * block, whether or not its thread exists: a thread that runs another
   * block's phases uses that block's entry. active: the threads that run
   * slices now, all of them (threads) or thread 0 alone (1), the others
   * then wait parked on park_cv until `parked` is cleared. pending: the
   * spikes merged at the end of the last slice are not yet delivered
   * (phase C runs at the start of the next slice, or before sa_net_run
   * returns). fence: some projection has a rule, which may read any
   * population's state in C, so C and A are kept apart by a barrier. */
  worker *wk;
  int pool_up;
  int active;
  int pending, fence;
  int parked;
  pthread_mutex_t park_mu;
  pthread_cond_t park_cv;
  sa_barrier bar;
  sa_tune tune;
  /* Commands to the workers, double-buffered by barrier parity: thread 0
   * writes cmd[next sense] before the go, a worker reads cmd[its sense]
   * after it; a slot is rewritten only after every worker has passed the
   * following barrier, so no command is overwritten before it is read. */
  struct { sa_tick m; int op, pend; } cmd[2];
  atomic_int werr;
  /* Distributed runs (sim/mpi.c): this process is rank `rank` of
   * `nranks` (0 of 1 without MPI), fixed at creation; xch is the spike
   * exchange's scratch. */
  int rank, nranks;
  struct sa__xch *xch;
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
/* Ranks x threads: worker t of rank r owns block r*T + t of R*T, so the
 * rank owns block r of R (floor(n rT / RT) = floor(n r / R)) and its
 * threads split that. One process: sa__block(n, T, t). */
static inline uint32_t sa__wblock(const sa_net *net, uint32_t n, int t) {
  return sa__block(n, net->nranks * net->threads,
                   net->rank * net->threads + t);
}
/* Entries of a block's input list per ring slot: half an entry a node
 * listed per synapse (lim), up to 2 a node listed when a cell turns
 * non-zero (sim/run.c, inbox), and the spare entry of the branch-free
 * append. */
static inline size_t sa__inbox_lim(const sa_block *b) {
  return (size_t)(b->hi - b->lo) / 2;
}
static inline size_t sa__inbox_cap(const sa_block *b) {
  return sa__inbox_lim(b) + 2 * (size_t)(b->hi - b->lo) + 1;
}
/* Whether this rank owns node i of a population of n. */
static inline int sa__owns(const sa_net *net, uint32_t n, uint32_t i) {
  return net->nranks == 1 ||
         (i >= sa__block(n, net->nranks, net->rank) &&
          i < sa__block(n, net->nranks, net->rank + 1));
}
/* sim/mpi.c; stubs without MPI. attach: rank and size at creation;
 * exchange: after merge, every rank gets all neuron spikes of the slice
 * in (stamp, node) order (rc: this rank's merge result; returns the
 * first failure of any rank); min_delay: the smallest over ranks of
 * their local dmin (< 0: none); stop: this rank's stop request, the
 * answer all ranks agree on (one slice later). */
void sa__dist_attach(sa_net *net);
void sa__dist_free(sa_net *net);
int sa__dist_exchange(sa_net *net, int rc);
sa_tick sa__dist_min_delay(sa_net *net, sa_tick dmin);
int sa__dist_stop(sa_net *net, int local);
/* Whether v is non-zero on any rank (collective). */
int sa__dist_any(sa_net *net, int v);
void sa__part_free(part *p);
void sa__proj_free(proj *j);
/* Split every projection into one part per thread (first prepare). */
int sa__split_parts(sa_net *net);
sa_syn_view sa__view(const sa_net *net, proj *j, int part);
void sa__apply_init(sa_net *net, sa_pop *p);
void sa__pool_stop(sa_net *net);
#endif
