/* fb_sign.c: sign-symmetric feedback (ALGORITHMS.md §4a).
 * SPDX-License-Identifier: MIT
 *
 * B_l = M_l o sign(W_l)^T, rebuilt from the current W before every batch:
 *   usf:  M = s, the init law's standard deviation (Liao et al. 2016);
 *   frsf: M = |R0|, R0 drawn once from W's init law (Moskovitz et al.);
 *   brsf: M = |R| redrawn for every batch, uniform on (0, sqrt(3) s) --
 *         the magnitude law of BioTorch's Xavier-uniform draw, and cheap
 *         enough to redraw 4e5 values per step (a normal draw costs ~10x).
 * sign(0) = 0. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>

enum { USF, FRSF, BRSF };

typedef struct sign_state {
  int kind;
  float *R0[MAXL + 1];          /* frsf: |R0| */
  uint64_t built_ver, built_step;
} sign_state;

static int sign_batch_begin(sa_mlp *net);

static int sign_init(sa_mlp *net, int kind)
{
  sign_state *s = calloc(1, sizeof *s);
  if (s == NULL)
    return SA_ENOMEM;
  net->fbs = s;
  s->kind = kind;
  s->built_step = UINT64_MAX;
  for (int l = 1; l <= net->L; l++) {
    size_t nw = (size_t)net->n[l] * net->n[l - 1];
    if (l >= 2) {   /* B_1 is only ever built on demand, for metrics */
      net->Bt[l] = malloc(nw * sizeof(float));
      if (net->Bt[l] == NULL)
        return SA_ENOMEM;
    }
    if (kind == FRSF) {
      s->R0[l] = malloc(nw * sizeof(float));
      if (s->R0[l] == NULL)
        return SA_ENOMEM;
      sa__draw_matrix(s->R0[l], net->n[l], net->n[l - 1], net->init_std[l],
                      net->cfg.init == SA_INIT_XAVIER, net->cfg.seed,
                      SA_LRNG_B, l, 0);
      for (size_t i = 0; i < nw; i++)
        s->R0[l][i] = fabsf(s->R0[l][i]);
    }
  }
  return sign_batch_begin(net);
}

static int usf_init(sa_mlp *net) { return sign_init(net, USF); }
static int frsf_init(sa_mlp *net) { return sign_init(net, FRSF); }
static int brsf_init(sa_mlp *net) { return sign_init(net, BRSF); }

static void sign_destroy(sa_mlp *net)
{
  sign_state *s = net->fbs;
  if (s == NULL)
    return;
  for (int l = 0; l <= MAXL; l++)
    free(s->R0[l]);
  free(s);
  net->fbs = NULL;
}

static inline float sgn(float w)
{
  return w > 0.0f ? 1.0f : w < 0.0f ? -1.0f : 0.0f;
}

/* B_l for layer l into bt (W's shape). brsf's draw is keyed by (layer,
 * step), so a metrics probe between steps sees the magnitudes the next
 * training batch will use. */
static void build(sa_mlp *net, int l, float *bt)
{
  sign_state *s = net->fbs;
  size_t nw = (size_t)net->n[l] * net->n[l - 1];
  const float *w = net->W[l];
  if (s->kind == USF) {
    float m = (float)net->init_std[l];
    for (size_t i = 0; i < nw; i++)
      bt[i] = m * sgn(w[i]);
  } else if (s->kind == FRSF) {
    const float *r = s->R0[l];
    for (size_t i = 0; i < nw; i++)
      bt[i] = r[i] * sgn(w[i]);
  } else {
    sa_rng r;
    sa_rng_seed(&r, net->cfg.seed, SA_RNG_KEY(SA_LRNG_BRSF, l), net->step);
    float a = (float)(net->init_std[l] * sqrt(3.0));
    for (size_t i = 0; i < nw; i += 2) {
      uint64_t u = sa_rng_u64(&r);
      bt[i] = a * sa__u01_hi(u) * sgn(w[i]);
      if (i + 1 < nw)
        bt[i + 1] = a * sa__u01_lo(u) * sgn(w[i + 1]);
    }
  }
}

/* Before a batch: rebuild the B_l training uses (l >= 2; B_1 never feeds
 * anything, and at 784 x 500 it would be most of the work) when W changed
 * or, for brsf, a new step began. */
static int sign_batch_begin(sa_mlp *net)
{
  sign_state *s = net->fbs;
  if (s->built_ver == net->wver && s->built_step == net->step)
    return 0;
  for (int l = 2; l <= net->L; l++)
    build(net, l, net->Bt[l]);
  s->built_ver = net->wver;
  s->built_step = net->step;
  return 0;
}

/* For metrics and sa_mlp_get_feedback: every layer, B_1 included. */
static int sign_feedback(sa_mlp *net, int l, float *bt)
{
  int rc = sign_batch_begin(net);
  if (rc < 0)
    return rc;
  build(net, l, bt);
  return 1;
}

const sa_fb_vt sa__fb_usf = {
  .name = "usf", .abi = 1,
  .summary = "uniform sign-concordant feedback: B = s sign(W)^T",
  .default_lr = 0.2,
  .init = usf_init, .destroy = sign_destroy,
  .batch_begin = sign_batch_begin, .feedback = sign_feedback,
};

const sa_fb_vt sa__fb_frsf = {
  .name = "frsf", .abi = 1,
  .summary = "fixed random-magnitude sign feedback: B = |R0| o sign(W)^T",
  .default_lr = 0.2,
  .init = frsf_init, .destroy = sign_destroy,
  .batch_begin = sign_batch_begin, .feedback = sign_feedback,
};

const sa_fb_vt sa__fb_brsf = {
  .name = "brsf", .abi = 1,
  .summary = "batchwise random-magnitude sign feedback, |R| redrawn per "
             "batch",
  .default_lr = 0.2,
  .init = brsf_init, .destroy = sign_destroy,
  .batch_begin = sign_batch_begin, .feedback = sign_feedback,
};
