/* estimator.h: what the weight-transport estimators (stdwi, rdd,
 * weight_mirror_rate) share; never installed.
 * SPDX-License-Identifier: MIT
 *
 * An estimator keeps B-hat per synapse of its part of a projection, in the
 * view's order. Everything per source node is a function of that source's
 * spike train or membrane alone, and everything per target of the target's,
 * so each thread's instance computes exactly the values a one-thread run
 * computes for the same synapses: results do not depend on the thread
 * count. */
#ifndef SA_RULES_ESTIMATOR_H
#define SA_RULES_ESTIMATOR_H
#include "sa_rule.h"
#include <math.h>

/* The view's synapses grouped by target: syn[col[i] .. col[i+1]) are the
 * synapses onto target i (view indices, ascending), src[] their sources in
 * the same order. */
typedef struct sa_est_csc {
  uint64_t *col;
  uint64_t *syn;
  uint32_t *src;
} sa_est_csc;

/* Fails with: SA_ENOMEM (nothing is left allocated). */
int sa__est_csc(sa_est_csc *c, const sa_syn_view *v);
void sa__est_csc_free(sa_est_csc *c);

/* The source of every synapse, in view order (n = nsyn, malloc'd; NULL if
 * out of memory). */
uint32_t *sa__est_sources(const sa_syn_view *v);

/* Initial B-hat: amp (U(0,1) - 0.5) per synapse, from the stream keyed
 * (seed, SA_RNG_ESTIMATE, source << 32 | target): the same value for a
 * synapse whatever the thread count (ALGORITHMS.md §2b: amp 0.001, seed
 * 42). */
void sa__est_init(double *b, const sa_syn_view *v, uint64_t seed, double amp);

/* e^(-n dt / tau) for n >= 0 ticks: a table of the first EST_NTAB values
 * (bit-identical to the exp() call it replaces), exp() beyond. */
enum { EST_NTAB = 4096 };
typedef struct sa_est_decay {
  double tab[EST_NTAB];
  double dt, tau;
} sa_est_decay;

void sa__est_decay_init(sa_est_decay *d, double dt, double tau);

static inline double sa__est_decay(const sa_est_decay *d, int64_t n) {
  return n < EST_NTAB ? d->tab[n] : exp((double)(-n) * d->dt / d->tau);
}

/* rdd.c: one class's line y ~ m x + c, x = u_max - theta: SGD state (m,
 * c) and least-squares sums. sa__rdd_step adds one window (SGD step with
 * rate eta, or the sums when lsq); sa__rdd_value is the line at x = 0. */
typedef struct sa_rdd_line {
  double m, c;
  double n, sx, sy, sxx, sxy;
} sa_rdd_line;
void sa__rdd_step(sa_rdd_line *l, int lsq, double eta, double x, double y);
double sa__rdd_value(const sa_rdd_line *l, int lsq);

/* weight_mirror_rate.c: the updates of one batch of K stimuli. rpre is
 * K x ns, rpost K x nt (row k: the rates, or spike counts, of stimulus
 * k); synapse q joins src[q] -> tgt[q]. Every stimulus in order gives
 * b[q] += eta ((rpost_i - mean_i)(rpre_j - mean_j) - lambda b[q]), the
 * means over the batch. mpre (ns) and mpost (nt) are scratch. */
void sa__wm_batch(double *b, uint64_t nsyn, const uint32_t *src,
                  const uint32_t *tgt, const double *rpre,
                  const double *rpost, int64_t K, uint32_t ns, uint32_t nt,
                  double eta, double lambda, double *mpre, double *mpost);

/* The options every estimator takes: "label" (a name for reports and
 * tables, read by the command line from the network file; ignored here).
 * SA_ENOENT for any other name. */
int sa__est_option(void *params, const char *name, const char *value,
                   char *err, size_t errlen);

/* A parameter of the population's model by name (its current value);
 * SA_ENOENT if the model has no such parameter. */
int sa__est_model_param(const sa_pop *p, const char *name, double *out);
#endif
