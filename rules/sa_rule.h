/* sa_rule.h: the plasticity rule interface (a small vtable per rule).
 * SPDX-License-Identifier: MIT
 *
 * A rule is attached to one projection. At the end of every min-delay
 * slice the core calls, for each plastic projection: post() with the
 * target population's spikes of the slice, then pre() for each spike of
 * the source population in time order, each one right before that spike
 * is delivered (so a spike carries the weight the rule just gave it, as in
 * NEST). Rules see their projection only through sa_syn_view; they never
 * reach into the core. */
#ifndef SA_RULE_H
#define SA_RULE_H
#include <stddef.h>
#include <stdint.h>
#include "sa_sim.h"
#include "../models/sa_model.h"

/* What a rule sees of its projection: CSR by source. */
typedef struct sa_syn_view {
  uint32_t n_src, n_tgt;
  uint64_t nsyn;
  const uint64_t *row;       /* n_src + 1 */
  const uint32_t *target;    /* nsyn */
  const uint16_t *delay;     /* nsyn ticks, or NULL: all equal dconst */
  uint16_t dconst, dmax;
  double *w;                 /* nsyn; only plastic rules change them */
  double sign;               /* +1 excitatory, -1 inhibitory, 0 mixed
                                (estimators only: routed by sign) */
  double dt;                 /* ms */
  /* The endpoints, for rules that read membrane state (rdd): read with
   * vt->get_state in post/pre/slice_end, when no thread writes it. */
  const sa_pop *src_pop, *tgt_pop;
} sa_syn_view;

/* A plastic rule changes the weights it sees (stdp); an estimator leaves
 * them alone and keeps its own estimate B-hat of each synapse (the feedback
 * weight it infers), read through estimate(). */
enum { SA_RULE_PLASTIC = 1, SA_RULE_ESTIMATOR = 2 };

typedef struct sa_rule_vt {
  const char *name;
  int abi;                          /* 1 */
  int kind;                         /* SA_RULE_PLASTIC or _ESTIMATOR */
  size_t params_size;
  const sa_param_desc *params;      /* {NULL}-terminated, numbers */
  /* String-valued options ("pairing": "nearest"); SA_ENOENT if unknown
   * name, SA_EINVAL if the value is not allowed. May be NULL. */
  int (*set_option)(void *params, const char *name, const char *value,
                    char *err, size_t errlen);
  int (*check)(const void *params, char *err, size_t errlen);
  int (*create)(void **state, const void *params, const sa_syn_view *v);
  void (*destroy)(void *state);
  /* The target's spikes of the slice, stamps ascending. */
  int (*post)(void *state, const sa_syn_view *v, const sa_tick *stamp,
              const uint32_t *id, size_t n);
  /* One source spike, before its delivery: update the row's weights. */
  void (*pre)(void *state, sa_syn_view *v, sa_tick stamp, uint32_t src);
  /* Bring every pending update in up to tick `now` (weights then are what
   * they are at `now`); must not change what later updates compute. */
  void (*materialize)(void *state, sa_syn_view *v, sa_tick now);
  /* After the slice's deliveries (housekeeping, e.g. pruning). */
  void (*slice_end)(void *state, sa_syn_view *v, sa_tick now);
  /* Estimators: B-hat of the view's synapses, in the view's order. NULL
   * for plastic rules. */
  void (*estimate)(const void *state, const sa_syn_view *v, double *out);
  /* Checkpoints: the rule's state under prefix/<name> (sa__ck_put in
   * models/sa_model.h). A rule without them cannot be checkpointed. */
  int (*save)(const void *state, const sa_syn_view *v, const sa_ckpt *ck,
              const char *prefix);
  int (*load)(void *state, const sa_syn_view *v, const sa_ckpt *ck,
              const char *prefix);
} sa_rule_vt;

const sa_rule_vt *sa__rule_find(const char *name);
/* The registered names, comma-separated, into buf (for messages). */
void sa__rule_names(char *buf, size_t n);
#endif
