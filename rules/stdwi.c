/* stdwi.c: spike-timing-dependent weight inference (Ahmad, Ambrogioni &
 * van Gerven 2021; ../shared/ALGORITHMS.md §2b), an estimator: it infers a
 * feedback weight B-hat for every synapse from the spikes alone and never
 * changes the forward weight.
 * SPDX-License-Identifier: MIT
 *
 * Every source j keeps two all-to-all traces of its own spikes, a fast x_f
 * (time constant tau_fast, jump a_fast) and a slow x_s (tau_slow, jump
 * a_fast tau_fast / tau_slow, so both have the same mean under stationary
 * firing and x_f - x_s has mean zero). On each spike of a target i, every
 * synapse j -> i gets
 *     B-hat <- B-hat + eta [ (x_f(j) - x_s(j)) - d B-hat ]
 * with the traces at the post spike's stamp, holding the source spikes of
 * strictly earlier stamps (a source spike of the same tick cannot have
 * caused it: every delay is at least one tick). Nothing changes between
 * post spikes. Fixed point B-hat = E[x_f - x_s | post spike] / d.
 *
 *   name      default  unit
 *   tau_fast  20       ms    final paper values (5a6871a); the notebook
 *   tau_slow  140      ms    used 10 / 200 / d 0.1 / eta 5e-4
 *   a_fast    1
 *   d         0.5            decay of B-hat per post spike
 *   eta       1.25e-4        learning rate
 *   init_amp  0.001          B-hat starts at init_amp (U(0,1) - 0.5)
 *   seed      42             of that initial draw
 *
 * Events of a slice are buffered and replayed in time order at slice_end
 * (posts before sources at equal stamps), so the result does not depend on
 * the min-delay slice. Traces are kept at the stamp of the source's last
 * spike and decayed on use (tabulated exponentials). */
#include "estimator.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
  double tau_fast, tau_slow, a_fast, d, eta, init_amp, seed;
} params;

#define P(name, unit, def) {#name, unit, def, offsetof(params, name)}
static const sa_param_desc descs[] = {
  P(tau_fast, "ms", 20.0), P(tau_slow, "ms", 140.0), P(a_fast, "", 1.0),
  P(d, "", 0.5), P(eta, "", 1.25e-4), P(init_amp, "", 0.001),
  P(seed, "", 42.0), {NULL, NULL, 0, 0}};
#undef P

typedef struct ev { sa_tick t; uint32_t id; } ev;

typedef struct evbuf { ev *e; size_t n, cap; } evbuf;

typedef struct state {
  params p;
  double a_slow;
  double *b;             /* per synapse */
  double *xf, *xs;       /* per source, just after its last spike */
  sa_tick *tlast;        /* per source, -1: none yet */
  sa_est_csc csc;
  sa_est_decay df, ds;
  evbuf pre, post;
} state;

static int check(const void *vp, char *err, size_t n) {
  const params *p = vp;
  if (!(p->tau_fast > 0) || !(p->tau_slow > 0)) {
    snprintf(err, n, "Time constants tau_fast and tau_slow must be strictly "
                     "positive.");
    return SA_EINVAL;
  }
  if (!(p->d >= 0) || !(p->eta >= 0) || !(p->init_amp >= 0)) {
    snprintf(err, n, "d, eta and init_amp must not be negative.");
    return SA_EINVAL;
  }
  if (!(p->seed >= 0) || p->seed != floor(p->seed)) {
    snprintf(err, n, "seed must be a non-negative integer.");
    return SA_EINVAL;
  }
  return 0;
}

static void destroy(void *vs) {
  state *s = vs;
  if (!s) return;
  free(s->b);
  free(s->xf);
  free(s->xs);
  free(s->tlast);
  sa__est_csc_free(&s->csc);
  free(s->pre.e);
  free(s->post.e);
  free(s);
}

static int create(void **out, const void *vp, const sa_syn_view *v) {
  state *s = calloc(1, sizeof *s);
  if (!s) return SA_ENOMEM;
  s->p = *(const params *)vp;
  s->a_slow = s->p.a_fast * s->p.tau_fast / s->p.tau_slow;
  size_t ns = v->n_src ? v->n_src : 1;
  s->b = malloc((v->nsyn ? v->nsyn : 1) * sizeof *s->b);
  s->xf = calloc(ns, sizeof *s->xf);
  s->xs = calloc(ns, sizeof *s->xs);
  s->tlast = malloc(ns * sizeof *s->tlast);
  if (!s->b || !s->xf || !s->xs || !s->tlast || sa__est_csc(&s->csc, v)) {
    destroy(s);
    return SA_ENOMEM;
  }
  for (uint32_t j = 0; j < v->n_src; j++) s->tlast[j] = -1;
  sa__est_init(s->b, v, (uint64_t)s->p.seed, s->p.init_amp);
  sa__est_decay_init(&s->df, v->dt, s->p.tau_fast);
  sa__est_decay_init(&s->ds, v->dt, s->p.tau_slow);
  *out = s;
  return 0;
}

static int push(evbuf *b, sa_tick t, uint32_t id) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 64;
    ev *e = realloc(b->e, cap * sizeof *e);
    if (!e) return SA_ENOMEM;
    b->e = e;
    b->cap = cap;
  }
  b->e[b->n++] = (ev){t, id};
  return 0;
}

static int post(void *vs, const sa_syn_view *v, const sa_tick *stamp,
                const uint32_t *id, size_t n) {
  (void)v;
  state *s = vs;
  for (size_t k = 0; k < n; k++) {
    int rc = push(&s->post, stamp[k], id[k]);
    if (rc) return rc;
  }
  return 0;
}

/* pre() cannot fail; a source spike that finds no room (out of memory) is
 * applied at once, which is exact unless a post spike of the same slice
 * follows it. */
static void on_pre(state *s, sa_tick t, uint32_t j) {
  double xf = s->p.a_fast, xs = s->a_slow;
  if (s->tlast[j] >= 0) {
    sa_tick dt = t - s->tlast[j];
    xf += s->xf[j] * sa__est_decay(&s->df, dt);
    xs += s->xs[j] * sa__est_decay(&s->ds, dt);
  }
  s->xf[j] = xf;
  s->xs[j] = xs;
  s->tlast[j] = t;
}

static void on_post(state *s, sa_tick t, uint32_t i) {
  const double eta = s->p.eta, d = s->p.d;
  for (uint64_t k = s->csc.col[i]; k < s->csc.col[i + 1]; k++) {
    uint32_t j = s->csc.src[k];
    double x = 0;
    if (s->tlast[j] >= 0) {
      sa_tick dt = t - s->tlast[j];
      x = s->xf[j] * sa__est_decay(&s->df, dt) -
          s->xs[j] * sa__est_decay(&s->ds, dt);
    }
    double *b = &s->b[s->csc.syn[k]];
    *b += eta * (x - d * *b);
  }
}

static void pre(void *vs, sa_syn_view *v, sa_tick stamp, uint32_t src) {
  (void)v;
  state *s = vs;
  if (push(&s->pre, stamp, src)) on_pre(s, stamp, src);
}

static void materialize(void *vs, sa_syn_view *v, sa_tick now) {
  (void)vs, (void)v, (void)now;
}

static void slice_end(void *vs, sa_syn_view *v, sa_tick now) {
  (void)v, (void)now;
  state *s = vs;
  size_t a = 0, b = 0;
  while (a < s->pre.n || b < s->post.n) {
    if (b < s->post.n && (a == s->pre.n || s->post.e[b].t <= s->pre.e[a].t)) {
      on_post(s, s->post.e[b].t, s->post.e[b].id);
      b++;
    } else {
      on_pre(s, s->pre.e[a].t, s->pre.e[a].id);
      a++;
    }
  }
  s->pre.n = s->post.n = 0;
}

static void estimate(const void *vs, const sa_syn_view *v, double *out) {
  const state *s = vs;
  memcpy(out, s->b, v->nsyn * sizeof *out);
}

/* Checkpoints (between slices: the event buffers are empty then). */
static int save(const void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  const state *s = vs;
  int rc = sa__ck_put(ck, pre, "b", SA_CK_F64, s->b, v->nsyn);
  if (!rc) rc = sa__ck_put(ck, pre, "xf", SA_CK_F64, s->xf, v->n_src);
  if (!rc) rc = sa__ck_put(ck, pre, "xs", SA_CK_F64, s->xs, v->n_src);
  if (!rc) rc = sa__ck_put(ck, pre, "tlast", SA_CK_I64, s->tlast, v->n_src);
  return rc;
}

static int load(void *vs, const sa_syn_view *v, const sa_ckpt *ck,
                const char *pre) {
  state *s = vs;
  int rc = sa__ck_get(ck, pre, "b", SA_CK_F64, s->b, v->nsyn);
  if (!rc) rc = sa__ck_get(ck, pre, "xf", SA_CK_F64, s->xf, v->n_src);
  if (!rc) rc = sa__ck_get(ck, pre, "xs", SA_CK_F64, s->xs, v->n_src);
  if (!rc) rc = sa__ck_get(ck, pre, "tlast", SA_CK_I64, s->tlast, v->n_src);
  return rc;
}

const sa_rule_vt sa_rule_stdwi = {
  .name = "stdwi", .abi = 1, .kind = SA_RULE_ESTIMATOR,
  .params_size = sizeof(params), .params = descs, .set_option = sa__est_option,
  .check = check, .create = create, .destroy = destroy, .post = post,
  .pre = pre, .materialize = materialize, .slice_end = slice_end,
  .estimate = estimate, .save = save, .load = load};
