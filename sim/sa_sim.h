/* sa_sim.h: the simulation core's public interface (networks, runs, errors).
 * SPDX-License-Identifier: MIT */
#ifndef SA_SIM_H
#define SA_SIM_H

#include <stddef.h>
#include <stdint.h>

#define SA_VERSION "0.1.0"

/* Error codes: 0 is success, every failure is a negative SA_E* constant.
 * One table yields the enum, sa_err_name() and sa_strerror(). */
#define SA_ERRNO_MAP(XX)                                   \
  XX(EINVAL, -1, "invalid argument")                        \
  XX(ENOMEM, -2, "out of memory")                           \
  XX(EIO, -3, "input/output error")                         \
  XX(ENOENT, -4, "no such file or object")                  \
  XX(EEXIST, -5, "already exists")                          \
  XX(ENOTSUP, -6, "not supported")                          \
  XX(EINTR, -7, "interrupted")                              \
  XX(ERANGE, -8, "value out of range")                      \
  XX(EBUSY, -9, "resource busy")

enum {
#define XX(name, code, msg) SA_##name = code,
  SA_ERRNO_MAP(XX)
#undef XX
};

const char *sa_strerror(int err);
const char *sa_err_name(int err);

/* Time is an integer count of ticks of length dt (ms). A spike emitted
 * during the update step k -> k+1 carries the stamp k+1 (NEST's convention:
 * a neuron crossing threshold between 4.7 and 4.8 ms spikes "at 4.8"). */
typedef int64_t sa_tick;

typedef struct sa_net sa_net;

/* Distributions of a per-element value (weights, delays, initial V_m). */
enum { SA_DIST_CONST = 0, SA_DIST_UNIFORM, SA_DIST_NORMAL };
typedef struct sa_dist {
  int kind;
  double a;      /* const: value; uniform: low; normal: mean */
  double b;      /* uniform: high; normal: standard deviation */
} sa_dist;

enum {
  SA_CONN_ALL_TO_ALL = 0,
  SA_CONN_ONE_TO_ONE,
  SA_CONN_FIXED_PROBABILITY,
  SA_CONN_FIXED_INDEGREE,
  SA_CONN_FIXED_OUTDEGREE,
  SA_CONN_LIST
};

typedef struct sa_connector {
  int type;
  double p;               /* fixed_probability */
  uint32_t k;             /* fixed_indegree / fixed_outdegree */
  int allow_autapses;     /* NEST default: 1 */
  int allow_multapses;    /* NEST default: 1 */
  /* list: n explicit synapses; weight/delay arrays may be NULL, then the
   * projection's weight/delay distributions apply. Borrowed. */
  size_t n;
  const uint32_t *source, *target;
  const double *weight;   /* pA (lif_exp) or mV (lif_delta) */
  const double *delay;    /* ms */
} sa_connector;

/* Receptor: AUTO routes by the sign of each weight (NEST); EXCITATORY and
 * INHIBITORY require weights >= 0 and <= 0 respectively (distributions are
 * clipped at 0, constants of the wrong sign are refused). */
enum { SA_RECEPTOR_AUTO = 0, SA_RECEPTOR_EXCITATORY, SA_RECEPTOR_INHIBITORY };

/* Create an empty network with resolution dt (ms) and RNG seed.
 * Fails with: SA_EINVAL (dt <= 0 or not finite), SA_ENOMEM. */
int sa_net_create(sa_net **out, double dt, uint64_t seed);
/* Frees everything the network owns; NULL is a no-op. */
void sa_net_destroy(sa_net *net);
/* The last error's full sentence (empty when none). The buffer belongs to
 * the network. */
const char *sa_net_errmsg(const sa_net *net);

/* Worker threads for the runs (default 1), at most: the first run splits
 * the network into n blocks, or fewer when a slice's work does not pay
 * for n (sa_net_threads then says how many). Results are bit-identical
 * for every thread count. Set it before the first run. Fails with:
 * SA_EINVAL (n < 1 or n > 1024), SA_EBUSY (another n after the first
 * run). */
int sa_net_set_threads(sa_net *net, int n);

/* Add a population of n nodes of a registered model ("lif_delta",
 * "lif_exp", "poisson", "spike_source"). Parameters start at the model's
 * (NEST) defaults. *out_index receives the population's index (may be NULL).
 * Fails with: SA_ENOENT (unknown model), SA_EINVAL (n == 0, empty or
 * duplicate name), SA_ERANGE (n too large), SA_ENOMEM. */
int sa_net_add_population(sa_net *net, const char *name, const char *model,
                          uint32_t n, int *out_index);
/* Set a parameter by its NEST name; checked for consistency (full NEST
 * sentences) in sa_net_prepare. Fails with: SA_ENOENT (unknown parameter
 * of that model), SA_EINVAL (bad population index or non-finite value). */
int sa_pop_set_param(sa_net *net, int pop, const char *name, double value);
/* Initial value of a state variable drawn per node, each variable from
 * its own stream: "V_m" for every neuron model, "I_syn_ex"/"I_syn_in"
 * (lif_exp), "g_ex"/"g_in" (lif_cond_exp). Fails with: SA_ENOENT (no such
 * state variable, or one the model cannot set), SA_EINVAL. */
int sa_pop_set_init(sa_net *net, int pop, const char *var, const sa_dist *d);
/* spike_source only: the spike times (ms, ascending) of one node; times are
 * rounded to the grid. Fails with: SA_EINVAL (not a spike_source, node out of
 * range, times not ascending or not > 0), SA_ENOMEM. */
int sa_pop_set_spike_times(sa_net *net, int pop, uint32_t node,
                           const double *t, size_t n);

/* Connect src -> tgt. weight in pA (lif_exp) or mV (lif_delta); delay in
 * ms, rounded to ticks, must be >= one tick. Synapses are drawn now, from
 * RNG streams keyed by (seed, projection index, target node).
 * Fails with: SA_EINVAL (bad indices, p outside [0,1], k too large for the
 * flags, one_to_one with unequal sizes, delay below one tick, weight of the
 * wrong sign for the receptor, list entries out of range), SA_ENOMEM. */
int sa_net_add_projection(sa_net *net, const char *name, int src, int tgt,
                          const sa_connector *conn, const sa_dist *weight,
                          const sa_dist *delay, int receptor, int *out_index);

/* Rules on a projection, added before the first run: plastic rules
 * ("stdp") change its weights, estimators infer a feedback weight B-hat per
 * synapse from the same spikes. All of a projection's rules see the same
 * events, in the order they were added. *rule receives the rule's index on
 * the projection (0, 1, ...); parameters start at the rule's defaults
 * (NEST's for stdp). Fails with: SA_ENOENT (unknown rule), SA_EINVAL (bad
 * index, too many rules), SA_EBUSY (after a run), SA_ENOMEM. */
int sa_net_add_rule(sa_net *net, int proj, const char *name, int *rule);
/* Numeric parameter by name / string option ("pairing") of rule `rule`.
 * Checked for consistency in sa_net_prepare. Fails with: SA_ENOENT
 * (unknown name), SA_EINVAL (no such rule, bad value), SA_EBUSY. */
int sa_rule_set_param(sa_net *net, int proj, int rule, const char *name,
                      double value);
int sa_rule_set_option(sa_net *net, int proj, int rule, const char *name,
                       const char *value);
int sa_net_proj_rule_count(const sa_net *net, int proj);
/* The rule's name, or NULL if the projection has no rule of that index. */
const char *sa_net_proj_rule(const sa_net *net, int proj, int rule);

/* Validate parameters (models and rules), compute propagators, draw the
 * initial values. Called by sa_net_run if needed; the first run then also
 * fixes the layout for the thread count. Fails with: SA_EINVAL (a check
 * failed: the message names the population or projection and the
 * parameter), SA_ERANGE (poisson rate * dt > 1), SA_ENOMEM. */
int sa_net_prepare(sa_net *net);

/* Subscribers see, at the end of each min-delay slice, the spikes of the
 * slice per population: stamps ascending, ids ascending within a stamp. */
typedef void (*sa_spike_cb)(void *ud, int pop, const sa_tick *stamp,
                            const uint32_t *id, size_t n);
/* Fails with: SA_ENOMEM. */
int sa_net_subscribe(sa_net *net, sa_spike_cb cb, void *ud);

/* Slice observers run at the end of every min-delay slice, after the spike
 * subscribers, with the tick reached (progress, live views, snapshots).
 * Both run on the thread that called sa_net_run while the worker threads
 * may already simulate the next slice: they may read the spikes given
 * and the spike counts (sa_net_pop_spikes), not the neurons' state, and
 * must not change the network. Fails with: SA_ENOMEM. */
typedef void (*sa_slice_cb)(void *ud, sa_tick now);
int sa_net_on_slice(sa_net *net, sa_slice_cb cb, void *ud);

/* What the first sa_net_run does before it simulates: sa_net_prepare if
 * needed, then the layout for the thread count (ring buffers, the
 * connectivity split into per-thread parts, plastic state) and the worker
 * threads. Optional (sa_net_run calls it); call it to keep that work out
 * of the time of the first run. After it the network's shape is fixed,
 * as after a run. Fails with: those of sa_net_prepare, SA_ENOMEM. */
int sa_net_ready(sa_net *net);

/* Advance by nsteps ticks, one min-delay slice at a time. If *stop becomes
 * non-zero, the run ends at the end of the current slice and returns
 * SA_EINTR. Fails with: those of sa_net_ready, SA_EINTR. */
int sa_net_run(sa_net *net, sa_tick nsteps, const volatile int *stop);

/* Introspection. */
double sa_net_dt(const sa_net *net);
uint64_t sa_net_seed(const sa_net *net);
sa_tick sa_net_now(const sa_net *net);
sa_tick sa_net_min_delay(const sa_net *net);   /* ticks, after prepare */
int sa_net_pop_count(const sa_net *net);
int sa_net_pop_find(const sa_net *net, const char *name);  /* -1 if none */
const char *sa_net_pop_name(const sa_net *net, int pop);
const char *sa_net_pop_model(const sa_net *net, int pop);
uint32_t sa_net_pop_size(const sa_net *net, int pop);
uint64_t sa_net_pop_spikes(const sa_net *net, int pop); /* so far */
int sa_net_proj_count(const sa_net *net);
int sa_net_proj_find(const sa_net *net, const char *name);
const char *sa_net_proj_name(const sa_net *net, int proj);
uint64_t sa_net_proj_size(const sa_net *net, int proj);
/* Copy out synapses in CSR order (by source, then insertion). Any output
 * pointer may be NULL. Delays in ticks. */
void sa_net_proj_get(const sa_net *net, int proj, uint32_t *source,
                     uint32_t *target, float *weight, uint16_t *delay);
/* ---- Checkpoints --------------------------------------------------- */

/* Storage for a network's state, as named typed arrays; sim/ knows no file
 * format, io/ provides one (HDF5). put() copies; get() fills exactly n
 * elements and fails if the array is missing or has another type or
 * length; len() is -1 for a missing array. */
enum { SA_CK_F64 = 1, SA_CK_I64, SA_CK_U64, SA_CK_U32, SA_CK_F32, SA_CK_U16 };
typedef struct sa_ckpt {
  void *ud;
  int (*put)(void *ud, const char *name, int type, const void *data,
             size_t n);
  int (*get)(void *ud, const char *name, int type, void *data, size_t n);
  long long (*len)(void *ud, const char *name);
} sa_ckpt;

/* Save the complete dynamic state: time, neuron and source state, random
 * streams, ring buffers, plastic weights and rule state (static
 * connectivity is rebuilt from the network file and seed). The network
 * must have run (or been run for 0 steps). Fails with: SA_EINVAL (not
 * run yet), SA_ENOTSUP (a model or rule that cannot be saved), or the
 * storage's error. */
int sa_net_save(sa_net *net, const sa_ckpt *ck);
/* Load into a network built from the same file, seed and thread count,
 * not yet run (it takes the checkpoint's blocks) or run for 0 steps (its
 * blocks must then be the checkpoint's); afterwards it continues exactly
 * as the saved one would have. Fails with: SA_EINVAL (shapes differ:
 * another network), SA_ENOTSUP, SA_EIO (storage). */
int sa_net_load(sa_net *net, const sa_ckpt *ck);
/* The blocks (and most threads) of a network that has run; before, the
 * threads asked for. */
int sa_net_threads(const sa_net *net);

/* Source and target population of a projection. */
int sa_net_proj_source(const sa_net *net, int proj);
int sa_net_proj_target(const sa_net *net, int proj);
/* Weights as they are now (a rule's pending updates brought in first), in
 * CSR order, as doubles. Never fails for a valid index (SA_EINVAL
 * otherwise). */
int sa_net_proj_weights(sa_net *net, int proj, double *out);
/* An estimator's current B-hat per synapse, in the same order as
 * sa_net_proj_weights. Fails with: SA_EINVAL (bad index), SA_ENOTSUP (the
 * rule keeps no estimate, e.g. stdp). */
int sa_net_proj_estimate(sa_net *net, int proj, int rule, double *out);
/* Replace the weights (w: one per synapse, in the order of
 * sa_net_proj_weights), before or between runs (sim/proj_set.c).
 * Synapses, delays, neuron and rule state stay; spikes already in flight
 * keep their old weight. Under MPI each rank passes its own synapses, and
 * every rank calls it (collective). Fails with: SA_EINVAL (bad index, a
 * weight not finite or of the wrong sign for the receptor, mixed signs on
 * a projection with a plastic rule). */
int sa_net_proj_set_weights(sa_net *net, int proj, const double *w);
/* A state variable of one node ("V_m" in mV, "I_syn_ex" in pA ...), after
 * prepare. Fails with: SA_ENOENT, SA_EINVAL. */
int sa_pop_get_state(const sa_net *net, int pop, const char *var,
                     uint32_t node, double *value);
/* Parameter value (after defaults and sets). Fails with: SA_ENOENT. */
int sa_pop_get_param(const sa_net *net, int pop, const char *name,
                     double *value);

/* ---- Distributed runs (MPI; sim/mpi.c) ------------------------------ */

/* A network created while MPI is initialised is split across the ranks of
 * MPI_COMM_WORLD: each rank owns a contiguous block of every neuron
 * population (its threads split it further) and builds only the synapses
 * onto it; sources run whole on every rank. Every rank must make the same
 * calls in the same order (build, threads, runs, the collectives below).
 * Spikes are exchanged once per min-delay slice, so every rank's
 * subscribers see all spikes, as in one process: a run's spikes and
 * weights are bit-identical for any ranks x threads. Per rank only:
 * sa_net_proj_size/get/weights/estimate (its synapses), sa_pop_get_state
 * (its nodes are current). Checkpoints (sa_net_save/load) are per process
 * and not supported with several ranks. */

/* Initialise MPI (MPI_THREAD_FUNNELED: only the thread that runs the
 * network talks MPI) when built with MPI and started by a launcher
 * (mpirun, srun); otherwise do nothing: one rank. Fails with: SA_ENOTSUP
 * (started as one of several MPI processes but built without MPI, or no
 * FUNNELED support), SA_EIO (MPI_Init failed). */
int sa_mpi_init(int *argc, char ***argv);
/* MPI_Finalize, if sa_mpi_init initialised MPI. Never fails. */
void sa_mpi_finalize(void);
/* With several ranks, MPI_Abort(status): ends every rank (a failure on
 * some ranks would leave the others waiting in a collective). With one,
 * returns. */
void sa_mpi_abort(int status);
int sa_mpi_rank(void);   /* 0 without MPI */
int sa_mpi_size(void);   /* 1 without MPI */
/* Collective (every rank calls it; plain copies in one process): the
 * projection's synapse count over all ranks (0 for a bad index), and its
 * sources, targets and current weights on rank 0 in the canonical order
 * of sa_net_proj_get / sa_net_proj_weights (any output may be NULL; other
 * ranks' outputs are not used). Fails with: SA_EINVAL (bad index). Out of
 * memory with several ranks ends the job. */
uint64_t sa_net_proj_total(sa_net *net, int proj);
int sa_net_proj_gather(sa_net *net, int proj, uint32_t *source,
                       uint32_t *target, double *weight);

#endif
