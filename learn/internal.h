/* internal.h: what the files of learn/ share (never installed).
 * SPDX-License-Identifier: MIT
 *
 * Storage conventions. Minibatches are row-major, one sample per row:
 * activations A_l are bs x n_l. W_l is n_l x n_{l-1}. Feedback is stored
 * *transposed*, in W_l's shape (Bt_l = B_l^T), so that the backward product
 * is the same sgemm call whichever matrix feeds it: bp passes W_l, fa passes
 * Bt_l, and fa with Bt_l := W_l is bit-identical to bp by construction. */
#ifndef SA_LEARN_INTERNAL_H
#define SA_LEARN_INTERNAL_H

#include "sa_learn.h"
#include "../sim/rng.h"
#include <stdio.h>

#define MAXL SA_LEARN_MAX_LAYERS

/* RNG stream kinds of learn/ (object = SA_RNG_KEY(kind, layer)); far from
 * the simulator's kinds so the streams never coincide. */
enum {
  SA_LRNG_W = 0x4c00,      /* forward weights; index 0 */
  SA_LRNG_BIAS,            /* biases (akrout init) */
  SA_LRNG_B,               /* fixed feedback: fa, frsf, wm and kp init */
  SA_LRNG_DFA,             /* dfa projection matrices */
  SA_LRNG_BRSF,            /* brsf magnitudes; index: step */
  SA_LRNG_WM,              /* mirror noise; index: mirror step */
  SA_LRNG_SHUFFLE,         /* sample order; index: epoch */
  SA_LRNG_SPIKE            /* seed of layer l's spiking net (rdd, stdwi) */
};

typedef struct sa_fb_vt sa_fb_vt;

/* Element-wise hot loops are compiled for several instruction sets, the
 * best picked at load time (as models/sa_model.h does). ISO C mode turns
 * off FMA contraction, so every clone gives the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(__SANITIZE_THREAD__)
#define SA_LEARN_CLONES \
  __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define SA_LEARN_CLONES
#endif

/* Two uniform floats in [0, 1) from one 64-bit draw (24 bits each: all a
 * float holds), for noise where a double per value would cost more than
 * the matrix product it feeds. */
static inline float sa__u01_hi(uint64_t u)
{
  return (float)(u >> 40) * 0x1p-24f;
}
static inline float sa__u01_lo(uint64_t u)
{
  return (float)((u >> 16) & 0xFFFFFF) * 0x1p-24f;
}

struct sa_mlp {
  sa_learn_config cfg;
  const sa_fb_vt *fb;
  void *fbs;                    /* the strategy's own state */
  int L;                        /* weight layers */
  int n[MAXL + 1];              /* sizes n_0..n_L */
  int n_classes;
  int out_act;                  /* resolved output activation */
  float *W[MAXL + 1], *b[MAXL + 1];      /* 1..L */
  float *Bt[MAXL + 1];          /* stored feedback or NULL (1..L) */
  float *gW[MAXL + 1], *gb[MAXL + 1];    /* gradients */
  float *sW[MAXL + 1], *sb[MAXL + 1];    /* steps (optimiser output) */
  float *mW[MAXL + 1], *vW[MAXL + 1];    /* momentum / Adam moments */
  float *mb[MAXL + 1], *vb[MAXL + 1];
  double init_std[MAXL + 1];    /* std of the init law per layer */
  int cap;                      /* rows of the workspace */
  float *Z[MAXL + 1], *A[MAXL + 1];      /* pre-/post-activations */
  float *D[MAXL + 1];           /* deltas dL/dZ_l */
  float *D2[MAXL + 1];          /* second set (alignment probes) */
  float *EL;                    /* dL/dA_L (gaitprop's output error) */
  float *ortho_M;               /* W W^T scratch (orthogonality term) */
  float *xbuf;                  /* gathered inputs (shuffled order) */
  uint8_t *ybuf;
  float *scratch;               /* max n_l * n_{l-1} floats */
  /* Layer 1 on the batch's non-zero input columns only (mlp.c,
   * pack_input): set by every sa__forward, used by the weight gradient
   * that follows it when pk_src and pk_bs still match. */
  int pk_mode;                  /* SA__PACK_* */
  int pk_on;                    /* this forward pass was packed */
  const float *pk_src;          /* the x and bs it was packed for */
  int pk_bs;
  int pk_k, pk_nrun;            /* columns kept, runs of them */
  int *pk_run;                  /* (first column, length) per run */
  uint32_t *pk_nz;              /* n_0: OR of |x| bits over the batch */
  uint64_t pk_wver;             /* wver when pk_w got W_1's columns */
  float *pk_x;                  /* bs x pk_k: the kept columns of x */
  float *pk_w;                  /* n_1 x pk_k: W_1's kept columns in the
                                   forward pass, then dW_1's */
  uint64_t step;                /* optimiser steps taken */
  uint64_t wver;                /* bumped whenever any W changes */
  char err[256];
};

/* A feedback strategy. Hooks may be NULL (no-op / generic behaviour). */
struct sa_fb_vt {
  const char *name;
  int abi;                      /* 1 */
  const char *summary;
  double default_lr;            /* SGD lr in Akrout's protocol */
  int stores_b;                 /* Bt_l stored and settable */
  /* Check the configuration (square layers ...). */
  int (*check)(const sa_mlp *net, char *err, size_t errlen);
  /* Allocate state and the initial feedback (after W is initialised). */
  int (*init)(sa_mlp *net);
  void (*destroy)(sa_mlp *net);
  /* Before epoch e (1-based) of a run over n_train samples. */
  int (*epoch_begin)(sa_mlp *net, int epoch, size_t n_train);
  /* Before each batch's forward pass (sign symmetry rebuilds B here). */
  int (*batch_begin)(sa_mlp *net);
  /* Fill D[l] for l = L-1..1 from D[L] (the forward pass is in Z, A).
   * NULL: the generic chain through Bt_l (or W_l when Bt_l is NULL). */
  int (*backward)(sa_mlp *net, int bs, float **D);
  /* Add regulariser terms to the gradients gW (gaitprop). */
  int (*grad_extra)(sa_mlp *net);
  /* Apply the optimiser's step sW[l] to layer l. NULL: W_l += step. */
  void (*apply)(sa_mlp *net, int l);
  /* After every optimiser step (weight mirror). */
  int (*after_step)(sa_mlp *net);
  /* Write the effective feedback of layer l in W's shape into Bt (n_l x
   * n_{l-1}); return 1 if it exists, 0 if not, < 0 on error. NULL: Bt_l,
   * or W_l when Bt_l is NULL. */
  int (*feedback)(sa_mlp *net, int l, float *Bt);
  /* Run n feedback-learning steps with W fixed (NULL: SA_ENOTSUP). */
  int (*feedback_steps)(sa_mlp *net, int n);
};

extern const sa_fb_vt sa__fb_bp, sa__fb_fa, sa__fb_dfa, sa__fb_usf,
  sa__fb_frsf, sa__fb_brsf, sa__fb_wm, sa__fb_kp, sa__fb_gaitprop,
  sa__fb_external, sa__fb_rdd, sa__fb_stdwi;
const sa_fb_vt *sa__fb_get(const char *name);

/* mlp.c helpers the strategies use. */
int sa__set_err(sa_mlp *net, int code, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
void sa__errf(char *err, size_t errlen, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
/* e^x to < 2e-7 relative, branch-free (vectorises); x clamped to
 * [-87, 88]. */
float sa__expf(float x);
/* Activation f(z) in place / derivative f'(z) from z and a = f(z). */
void sa__act_apply(int act, float *z_to_a, const float *z, size_t n);
void sa__act_grad_mul(int act, float *d, const float *z, const float *a,
                      size_t n);
int sa__act_of_layer(const sa_mlp *net, int l);
/* Fill x (rows x cols) from the layer's init law, keyed stream. */
void sa__draw_matrix(float *x, int rows, int cols, double std, int uniform,
                     uint64_t seed, int kind, int layer, uint64_t index);
/* The generic backward chain (Bt_l or W_l). */
int sa__backward_chain(sa_mlp *net, int bs, float **D);
void sa__forward(sa_mlp *net, const float *x, int bs);
/* When layer 1 multiplies only the input columns that are non-zero
 * somewhere in the batch: never, when at least 1/8 of them are zero (the
 * default), or always (tests compare it with the dense product). */
enum { SA__PACK_NEVER = 0, SA__PACK_AUTO, SA__PACK_ALWAYS };
void sa__mlp_set_packing(sa_mlp *net, int mode);
/* Columns the last forward pass kept, or -1 if it was dense. */
int sa__mlp_packed_columns(const sa_mlp *net);
/* Random orthogonal rows (rows <= cols) or columns (rows > cols). */
int sa__orthogonal(float *w, int rows, int cols, uint64_t seed, int kind,
                   int layer);

/* LAPACK (OpenBLAS ships it; Debian has no LAPACKE header with it). */
void sgetrf_(const int *m, const int *n, float *a, const int *lda, int *ipiv,
             int *info);
void sgetrs_(const char *trans, const int *n, const int *nrhs,
             const float *a, const int *lda, const int *ipiv, float *b,
             const int *ldb, int *info);

#endif
