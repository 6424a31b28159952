/* fb_dfa.c: direct feedback alignment (Nokland 2016; ALGORITHMS.md §4a).
 * SPDX-License-Identifier: MIT
 *
 * Every hidden layer gets the output error e = dL/dz_L through its own
 * fixed random matrix: delta_l = (D_l e) o f'(z_l), D_l n_l x n_L. For the
 * last hidden layer D_{L-1} has B_L's shape and plays its role exactly,
 * so it is kept in Bt[L] (angle and norm ratio are reported there); the
 * deeper D_l have no W-shaped counterpart and their angles are NaN. */
#include "internal.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

typedef struct dfa_state {
  float *Dt[MAXL + 1];          /* D_l^T, n_L x n_l, l = 1..L-2 */
} dfa_state;

static int dfa_init(sa_mlp *net)
{
  dfa_state *s = calloc(1, sizeof *s);
  if (s == NULL)
    return SA_ENOMEM;
  net->fbs = s;
  int L = net->L, no = net->n[L];
  /* Only Bt[L] is a DFA matrix; create() allocated and drew all Bt. */
  for (int l = 1; l < L; l++) {
    free(net->Bt[l]);
    net->Bt[l] = NULL;
  }
  for (int l = 1; l + 1 < L; l++) {
    s->Dt[l] = malloc((size_t)no * net->n[l] * sizeof(float));
    if (s->Dt[l] == NULL)
      return SA_ENOMEM;
    double sd = net->init_std[l + 1];
    sa__draw_matrix(s->Dt[l], no, net->n[l], sd,
                    net->cfg.init == SA_INIT_XAVIER, net->cfg.seed,
                    SA_LRNG_DFA, l, 0);
  }
  return 0;
}

static void dfa_destroy(sa_mlp *net)
{
  dfa_state *s = net->fbs;
  if (s == NULL)
    return;
  for (int l = 0; l <= MAXL; l++)
    free(s->Dt[l]);
  free(s);
  net->fbs = NULL;
}

static int dfa_backward(sa_mlp *net, int bs, float **D)
{
  dfa_state *s = net->fbs;
  int L = net->L, no = net->n[L];
  for (int l = L - 1; l >= 1; l--) {
    int n = net->n[l];
    const float *Dt = l == L - 1 ? net->Bt[L] : s->Dt[l];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, n, no, 1.0f,
                D[L], no, Dt, n, 0.0f, D[l], n);
    sa__act_grad_mul(sa__act_of_layer(net, l), D[l], net->Z[l], net->A[l],
                     (size_t)bs * n);
  }
  return 0;
}

static int dfa_feedback(sa_mlp *net, int l, float *Bt)
{
  if (l != net->L)
    return 0;
  memcpy(Bt, net->Bt[l], (size_t)net->n[l] * net->n[l - 1] * sizeof *Bt);
  return 1;
}

const sa_fb_vt sa__fb_dfa = {
  .name = "dfa", .abi = 1,
  .summary = "direct feedback alignment: output error to every layer",
  .default_lr = 0.2, .stores_b = 1,
  .init = dfa_init, .destroy = dfa_destroy,
  .backward = dfa_backward, .feedback = dfa_feedback,
};
