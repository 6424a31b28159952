/* fb_wm.c: weight mirror (Akrout et al. 2019; ALGORITHMS.md §3a).
 * SPDX-License-Identifier: MIT
 *
 * Mirror mode, per layer and independently: drive layer l-1 with white
 * noise X (bs x n_{l-1}, entries amplitude * (U(0,1) - 0.5)), propagate
 * Y = f_l(X W_l^T + b_l), and move B Hebbian-style:
 *   B_l^T <- (1 - decay) B_l^T + eta_m Y^T X      (summed over the batch).
 * For linear f and E[x x^T] = s^2 I, E[Y^T X] = s^2 W_l, so B_l follows
 * W_l^T up to scale; with a sigmoid the 0.5 offset averages out because X
 * has zero mean. Noise phases as in Akrout's reference: before training,
 * one epoch's worth of mirror steps (n_train / batch); then one mirror step
 * per layer after every training step. At a softmax output the mirror
 * uses the logits (no softmax across the noise batch). */
#include "internal.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

typedef struct wm_state {
  float *X, *Y;                 /* cap x max n */
  uint64_t mstep;               /* mirror steps taken */
} wm_state;

static int wm_init(sa_mlp *net)
{
  wm_state *s = calloc(1, sizeof *s);
  if (s == NULL)
    return SA_ENOMEM;
  net->fbs = s;
  int maxn = 0;
  for (int l = 0; l <= net->L; l++)
    maxn = net->n[l] > maxn ? net->n[l] : maxn;
  s->X = malloc((size_t)net->cfg.batch * maxn * sizeof(float));
  s->Y = malloc((size_t)net->cfg.batch * maxn * sizeof(float));
  return s->X != NULL && s->Y != NULL ? 0 : SA_ENOMEM;
}

static void wm_destroy(sa_mlp *net)
{
  wm_state *s = net->fbs;
  if (s == NULL)
    return;
  free(s->X);
  free(s->Y);
  free(s);
  net->fbs = NULL;
}

static void mirror_step(sa_mlp *net)
{
  wm_state *s = net->fbs;
  int bs = net->cfg.batch;
  float eta = (float)net->cfg.wm_lr;
  float keep = (float)(1.0 - net->cfg.wm_decay);
  float amp = (float)net->cfg.wm_noise;
  for (int l = 1; l <= net->L; l++) {
    int no = net->n[l], ni = net->n[l - 1];
    sa_rng r;
    sa_rng_seed(&r, net->cfg.seed, SA_RNG_KEY(SA_LRNG_WM, l), s->mstep);
    size_t nx = (size_t)bs * ni;
    for (size_t i = 0; i < nx; i += 2) {
      uint64_t u = sa_rng_u64(&r);
      s->X[i] = amp * (sa__u01_hi(u) - 0.5f);
      if (i + 1 < nx)
        s->X[i + 1] = amp * (sa__u01_lo(u) - 0.5f);
    }
    for (int k = 0; k < bs; k++)
      memcpy(s->Y + (size_t)k * no, net->b[l], (size_t)no * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, no, ni, 1.0f,
                s->X, ni, net->W[l], ni, 1.0f, s->Y, no);
    sa__act_apply(sa__act_of_layer(net, l), s->Y, s->Y, (size_t)bs * no);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, ni, bs, eta,
                s->Y, no, s->X, ni, keep, net->Bt[l], ni);
  }
  s->mstep++;
}

static int wm_steps(sa_mlp *net, int n)
{
  for (int i = 0; i < n; i++)
    mirror_step(net);
  return 0;
}

static int wm_epoch_begin(sa_mlp *net, int epoch, size_t n_train)
{
  if (epoch != 1)
    return 0;
  int pre = net->cfg.wm_pre_steps;
  if (pre < 0)
    pre = (int)(n_train / (size_t)net->cfg.batch);
  return wm_steps(net, pre);
}

static int wm_after_step(sa_mlp *net)
{
  mirror_step(net);
  return 0;
}

const sa_fb_vt sa__fb_wm = {
  .name = "wm", .abi = 1,
  .summary = "weight mirror: B learned from noise phases",
  .default_lr = 0.05, .stores_b = 1,
  .init = wm_init, .destroy = wm_destroy,
  .epoch_begin = wm_epoch_begin, .after_step = wm_after_step,
  .feedback_steps = wm_steps,
};
