/* fb_kp.c: Kolen-Pollack (Akrout et al. 2019; ALGORITHMS.md §3b).
 * SPDX-License-Identifier: MIT
 *
 * W_l and B_l^T take the same step S_l (whatever the optimiser made of the
 * gradient) and the same decay lambda:
 *   W_l <- lambda W_l + S_l,   B_l^T <- lambda B_l^T + S_l,
 * so W_l - B_l^T <- lambda (W_l - B_l^T) and the difference decays
 * geometrically. lambda = 1 (no decay) is what Akrout's reference code
 * runs; B then aligns only because W outgrows the initial difference. */
#include "internal.h"

static void kp_apply(sa_mlp *net, int l)
{
  size_t n = (size_t)net->n[l] * net->n[l - 1];
  float lam = (float)net->cfg.kp_decay;
  float *w = net->W[l], *bt = net->Bt[l];
  const float *s = net->sW[l];
  if (lam == 1.0f) {
    for (size_t i = 0; i < n; i++) {
      w[i] += s[i];
      bt[i] += s[i];
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      w[i] = lam * w[i] + s[i];
      bt[i] = lam * bt[i] + s[i];
    }
  }
  for (int k = 0; k < net->n[l]; k++)
    net->b[l][k] += net->sb[l][k];
}

const sa_fb_vt sa__fb_kp = {
  .name = "kp", .abi = 1,
  .summary = "Kolen-Pollack: B takes W's step and decay",
  .default_lr = 0.3, .stores_b = 1,
  .apply = kp_apply,
};
