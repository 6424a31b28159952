/* fb_gait.c: GAIT-prop (Ahmad, van Gerven, Ambrogioni 2020;
 * ALGORITHMS.md §5).
 * SPDX-License-Identifier: MIT
 *
 * Square invertible layers y_l = f(W_l y_{l-1} + b_l), f leaky-ReLU (slope
 * 0.1) or linear, mse loss. The output target is the one-hot label on the
 * class units and the unit's own activity elsewhere. Sweeping down with
 * gamma and s_L = 1:
 *   e_l = s_l (y_l - t_l),  D_l = f'(z_l),  dW_l ~ -(e_l o D_l) y_{l-1}^T
 *   t_{l-1} = g_l((1 - gamma D_l^2) o y_l + gamma D_l^2 o t_l),
 *   s_{l-1} = s_l / gamma,  g_l(v) = W_l^{-1} (f^{-1}(v) - b_l).
 * We propagate the scaled displacement e_l rather than the target itself:
 * with an exact inverse, y_{l-1} - t_{l-1} = W_l^{-1} (f^{-1}(y_l) -
 * f^{-1}(y_l - c)) with c = gamma D_l^2 (y_l - t_l), and
 *   e_{l-1} = W_l^{-1} r,  r = (f^{-1}(y_l) - f^{-1}(y_l - c)) s_l / gamma.
 * Where y_l and y_l - c lie on the same linear piece of f, r = D_l o e_l
 * exactly; only units whose target step crosses the kink differ, and those
 * are evaluated in double. Forming t_{l-1} and subtracting in float would
 * lose log10(1/gamma^k) digits at depth k -- all of them in a 4-layer net.
 * W_l^{-1} is applied through an LU factorisation of W_l, redone after
 * every update (the reference inverts exactly after every update too). */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLOPE 0.1

typedef struct gait_state {
  float *LU[MAXL + 1];
  int *ipiv[MAXL + 1];
  uint64_t lu_ver[MAXL + 1];
  float *E, *R;                 /* cap x n */
} gait_state;

static int invertible(int act)
{
  return act == SA_ACT_LEAKY_RELU || act == SA_ACT_LINEAR;
}

static int gait_check(const sa_mlp *net, char *err, size_t errlen)
{
  for (int l = 1; l <= net->L; l++)
    if (net->n[l] != net->n[0]) {
      sa__errf(err, errlen, "needs square layers (all sizes equal, "
               "e.g. 784,784,784); size %d is %d, the input %d", l,
               net->n[l], net->n[0]);
      return SA_EINVAL;
    }
  if (net->cfg.loss != SA_LOSS_MSE || !invertible(net->cfg.act) ||
      !invertible(net->out_act)) {
    sa__errf(err, errlen, "needs the mse loss and invertible "
             "activations (leaky-relu or linear)");
    return SA_EINVAL;
  }
  return 0;
}

static int gait_init(sa_mlp *net)
{
  gait_state *s = calloc(1, sizeof *s);
  if (s == NULL)
    return SA_ENOMEM;
  net->fbs = s;
  int n = net->n[0];
  for (int l = 1; l <= net->L; l++) {
    s->LU[l] = malloc((size_t)n * n * sizeof(float));
    s->ipiv[l] = malloc((size_t)n * sizeof(int));
    if (s->LU[l] == NULL || s->ipiv[l] == NULL)
      return SA_ENOMEM;
  }
  s->E = malloc((size_t)net->cap * n * sizeof(float));
  s->R = malloc((size_t)net->cap * n * sizeof(float));
  return s->E != NULL && s->R != NULL ? 0 : SA_ENOMEM;
}

static void gait_destroy(sa_mlp *net)
{
  gait_state *s = net->fbs;
  if (s == NULL)
    return;
  for (int l = 0; l <= MAXL; l++) {
    free(s->LU[l]);
    free(s->ipiv[l]);
  }
  free(s->E);
  free(s->R);
  free(s);
  net->fbs = NULL;
}

/* LU of the column-major view of row-major W_l, i.e. of W_l^T. */
static int factor(sa_mlp *net, int l)
{
  gait_state *s = net->fbs;
  if (s->lu_ver[l] == net->wver)
    return 0;
  int n = net->n[l], info = 0;
  memcpy(s->LU[l], net->W[l], (size_t)n * n * sizeof(float));
  sgetrf_(&n, &n, s->LU[l], &n, s->ipiv[l], &info);
  if (info != 0) {
    s->lu_ver[l] = 0;
    return sa__set_err(net, SA_ERANGE, "gaitprop: W_%d is singular (LU "
                       "pivot %d is zero); it cannot be inverted", l, info);
  }
  s->lu_ver[l] = net->wver;
  return 0;
}

/* Solve W_l X = R for the bs rows of R (row-major bs x n = column-major
 * n x bs): with the LU of W_l^T that is the transposed solve. */
static int solve(sa_mlp *net, int l, float *R, int nrhs)
{
  gait_state *s = net->fbs;
  int rc = factor(net, l);
  if (rc < 0)
    return rc;
  int n = net->n[l], info = 0;
  sgetrs_("T", &n, &nrhs, s->LU[l], &n, s->ipiv[l], R, &n, &info);
  return info == 0 ? 0 : sa__set_err(net, SA_EINVAL, "sgetrs failed (%d)",
                                     info);
}

static double finv(int act, double y)
{
  return act == SA_ACT_LEAKY_RELU && y < 0 ? y / SLOPE : y;
}

static int gait_backward(sa_mlp *net, int bs, float **D)
{
  gait_state *s = net->fbs;
  int L = net->L, n = net->n[L];
  size_t m = (size_t)bs * n;
  double gamma = net->cfg.gait_gamma, g = gamma;   /* g = gamma / s_l */
  memcpy(s->E, net->EL, m * sizeof(float));
  for (int l = L; l >= 2; l--) {
    int act = sa__act_of_layer(net, l);
    const float *y = net->A[l], *z = net->Z[l];
    for (size_t i = 0; i < m; i++) {
      float e = s->E[i];
      float dz = act == SA_ACT_LEAKY_RELU && z[i] < 0.0f ? (float)SLOPE
                                                          : 1.0f;
      double yy = y[i], u = yy - g * dz * dz * e;
      if (act != SA_ACT_LEAKY_RELU || (yy >= 0) == (u >= 0))
        s->R[i] = dz * e;
      else
        s->R[i] = (float)((finv(act, yy) - finv(act, u)) / g);
    }
    int rc = solve(net, l, s->R, bs);
    if (rc < 0)
      return rc;
    memcpy(s->E, s->R, m * sizeof(float));
    memcpy(D[l - 1], s->R, m * sizeof(float));
    sa__act_grad_mul(sa__act_of_layer(net, l - 1), D[l - 1], net->Z[l - 1],
                     net->A[l - 1], m);
    g *= gamma;
  }
  return 0;
}

/* B_l = W_l^{-1}; in W's shape that is W_l^{-T}: solving W_l Y = I gives
 * Y = W_l^{-1} column-major, which read row-major is W_l^{-T}. */
static int gait_feedback(sa_mlp *net, int l, float *Bt)
{
  int n = net->n[l];
  memset(Bt, 0, (size_t)n * n * sizeof *Bt);
  for (int i = 0; i < n; i++)
    Bt[(size_t)i * n + i] = 1.0f;
  int rc = solve(net, l, Bt, n);
  return rc < 0 ? rc : 1;
}

const sa_fb_vt sa__fb_gaitprop = {
  .name = "gaitprop", .abi = 1,
  .summary = "GAIT-prop: gamma-targets through exact inverses (square "
             "nets)",
  .default_lr = 1e-4,
  .check = gait_check, .init = gait_init, .destroy = gait_destroy,
  .backward = gait_backward, .feedback = gait_feedback,
};
