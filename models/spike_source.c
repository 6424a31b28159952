/* spike_source.c: nodes that spike at given times (NEST spike_generator
 * followed by a parrot). Times are rounded to the grid; a spike at t ms is
 * stamped round(t/dt) and reaches its targets at t + delay.
 * SPDX-License-Identifier: MIT
 *
 * The times live in the population (sa_pop_set_spike_times), merged into
 * one list sorted by (stamp, node) at prepare, so update is a cursor walk. */
#include "sa_model.h"
#include <stdlib.h>

typedef struct params { double unused; } params;
static const sa_param_desc descs[] = {{NULL, NULL, 0, 0}};
static const char *const vars[] = {NULL};

static int check(const void *vp, char *err, size_t n) {
  (void)vp, (void)err, (void)n;
  return 0;
}

static int init(sa_pop *p) {
  p->state = NULL;
  return 0;
}

static void fini(sa_pop *p) { (void)p; }

static int set_init(sa_pop *p, const char *var, uint32_t i, double v) {
  (void)p, (void)var, (void)i, (void)v;
  return SA_ENOENT;
}

static int get_state(const sa_pop *p, const char *var, uint32_t i,
                     double *v) {
  (void)p, (void)var, (void)i, (void)v;
  return SA_ENOENT;
}

static int prepare(sa_pop *p, double h) {
  (void)h;
  /* Skip what lies in the past (a spike stamped <= now was due already). */
  sa_tick now = sa_net_now(p->net);
  while (p->src_next < p->src_n && p->src_stamp[p->src_next] <= now)
    p->src_next++;
  return 0;
}

static int update(sa_pop *p, sa_tick k, sa_block *b, sa_spikebuf *out) {
  (void)b;
  while (p->src_next < p->src_n && p->src_stamp[p->src_next] == k + 1) {
    int rc = sa__emit(out, k + 1, p->src_id[p->src_next]);
    if (rc) return rc;
    p->src_next++;
  }
  return 0;
}

/* Its only dynamic state, the cursor, is the core's (sa_net_save). */
const sa_model_vt sa_model_spike_source = {
  "spike_source", 1, SA_MODEL_SOURCE, sizeof(params), descs, vars,
  check, init, fini, set_init, get_state, prepare, update, NULL, NULL, 1};
