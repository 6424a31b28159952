/* test_learn.c: learn/ -- IDX files, networks, feedback strategies.
 * SPDX-License-Identifier: MIT */
#include "sa_learn.h"
#include <check.h>
#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* ---- helpers ------------------------------------------------------------ */

static uint64_t lcg_state;
static double urand(void)   /* test-local data, deterministic */
{
  lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(lcg_state >> 11) * (1.0 / 9007199254740992.0);
}

static void fill_batch(float *x, uint8_t *y, int bs, int dim, int classes,
                       uint64_t seed)
{
  lcg_state = seed;
  for (int i = 0; i < bs * dim; i++)
    x[i] = (float)urand();
  for (int i = 0; i < bs; i++)
    y[i] = (uint8_t)(urand() * classes);
}

static void cfg_sizes(sa_learn_config *c, int n, const int *sizes)
{
  c->n_sizes = n;
  for (int i = 0; i < n; i++)
    c->sizes[i] = sizes[i];
}

static sa_mlp *make(const sa_learn_config *c)
{
  char err[256] = "";
  sa_mlp *net = NULL;
  int rc = sa_mlp_create(&net, c, err, sizeof err);
  ck_assert_msg(rc == 0, "sa_mlp_create(%s): %s", c->algo, err);
  return net;
}

static size_t wcount(const sa_mlp *net, int l)
{
  return (size_t)sa_mlp_size(net, l) * sa_mlp_size(net, l - 1);
}

static double angle(const float *a, const float *b, size_t n)
{
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; i++) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  double c = ab / sqrt(aa * bb);
  return acos(c > 1 ? 1 : c < -1 ? -1 : c) * 180.0 / M_PI;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
  const char *d = getenv("TMPDIR");
  snprintf(buf, len, "%s/sa_test_learn_%d_%s", d && *d ? d : "/tmp",
           (int)getpid(), name);
}

/* ---- the inline exponential --------------------------------------------- */

float sa__expf(float x);   /* learn/mlp.c: the sigmoid's exponential */

START_TEST(test_expf_accuracy)
{
  /* The sigmoid uses a branch-free e^x (vectorises); it must be as good
   * as float32 needs: within 3 ulp (< 2e-7 relative) of the exact value
   * (a wrong coefficient or range reduction shows as 1e-5 or worse). */
  double worst = 0;
  for (int i = -870000; i <= 870000; i++) {
    float x = (float)(i * 1e-4);
    double e = exp((double)x), got = sa__expf(x);
    double rel = fabs(got - e) / e;
    worst = rel > worst ? rel : worst;
  }
  ck_assert_msg(worst < 2e-7, "worst relative error %g", worst);
  ck_assert(sa__expf(-1000.0f) > 0 && sa__expf(-1000.0f) < 1e-37f);
  ck_assert(isfinite(sa__expf(1000.0f)));
}
END_TEST

/* ---- gradient check ----------------------------------------------------- */

/* Float64 reference of the loss the library defines (sum over outputs,
 * mean over the batch), on the library's own float32 weights. */
static double ref_loss(int L, const int *n, double **W, double **b,
                       int act, int loss, const float *x, const uint8_t *y,
                       int bs)
{
  double total = 0;
  double h[2][64];
  for (int r = 0; r < bs; r++) {
    for (int i = 0; i < n[0]; i++)
      h[0][i] = x[r * n[0] + i];
    int cur = 0;
    for (int l = 1; l <= L; l++) {
      double *in = h[cur], *out = h[1 - cur];
      for (int k = 0; k < n[l]; k++) {
        double z = b[l][k];
        for (int j = 0; j < n[l - 1]; j++)
          z += W[l][k * n[l - 1] + j] * in[j];
        int a = l < L ? act : loss == SA_LOSS_MSE ? act : -1;
        switch (a) {
        case SA_ACT_SIGMOID: z = 1 / (1 + exp(-z)); break;
        case SA_ACT_TANH: z = tanh(z); break;
        case SA_ACT_RELU: z = z > 0 ? z : 0; break;
        case SA_ACT_LEAKY_RELU: z = z >= 0 ? z : 0.1 * z; break;
        default: break;       /* logits for the CE losses */
        }
        out[k] = z;
      }
      cur = 1 - cur;
    }
    const double *o = h[cur];
    int no = n[L];
    if (loss == SA_LOSS_SIGMOID_CE) {
      for (int k = 0; k < no; k++) {
        double p = 1 / (1 + exp(-o[k])), t = k == y[r];
        total -= t * log(p) + (1 - t) * log(1 - p);
      }
    } else if (loss == SA_LOSS_SOFTMAX_CE) {
      double mx = o[0], den = 0;
      for (int k = 1; k < no; k++)
        mx = o[k] > mx ? o[k] : mx;
      for (int k = 0; k < no; k++)
        den += exp(o[k] - mx);
      total -= o[y[r]] - mx - log(den);
    } else {
      for (int k = 0; k < no; k++) {
        double d = o[k] - (k == y[r]);
        total += 0.5 * d * d;
      }
    }
  }
  return total / bs;
}

START_TEST(test_gradient_check)
{
  /* The library computes in float32; the reference differentiates a
   * float64 copy of the same function by central differences (h = 1e-6:
   * truncation ~h^2 = 1e-12, rounding ~1e-16/h = 1e-10), so what remains
   * is the float32 rounding of the analytic gradient: a few ulps of
   * sums of ~10 terms of O(1), < 1e-5 absolute. Tolerance 2e-5 + 1e-4 |g|
   * leaves a margin of ~5 and still catches any wrong term (O(1e-2)). */
  static const int sizes[4] = {5, 7, 6, 4};
  int acts[4] = {SA_ACT_SIGMOID, SA_ACT_TANH, SA_ACT_RELU,
                 SA_ACT_LEAKY_RELU};
  int checked = 0;
  for (int ai = 0; ai < 4; ai++)
    for (int loss = 0; loss < SA_LOSS_COUNT; loss++) {
      sa_learn_config c;
      sa_learn_config_default(&c);
      cfg_sizes(&c, 4, sizes);
      c.act = acts[ai];
      c.loss = loss;
      c.batch = 3;
      c.init = SA_INIT_XAVIER;
      c.seed = 7 + (uint64_t)ai;
      sa_mlp *net = make(&c);
      /* Random biases so ReLU units sit away from their kink. */
      float x[15];
      uint8_t y[3];
      fill_batch(x, y, 3, 5, 4, 99 + (uint64_t)loss);
      double *W[4] = {0}, *b[4] = {0};
      float *gW[3], *gb[3];
      for (int l = 1; l <= 3; l++) {
        size_t nw = wcount(net, l);
        float *wf = malloc(nw * sizeof *wf), *bf = malloc(sizes[l] * 4);
        ck_assert_int_eq(sa_mlp_get_weights(net, l, wf, bf), 0);
        for (int k = 0; k < sizes[l]; k++)
          bf[k] = (float)(0.3 * (urand() - 0.5));
        ck_assert_int_eq(sa_mlp_set_weights(net, l, NULL, bf), 0);
        W[l] = malloc(nw * sizeof(double));
        b[l] = malloc(sizes[l] * sizeof(double));
        for (size_t i = 0; i < nw; i++)
          W[l][i] = wf[i];
        for (int k = 0; k < sizes[l]; k++)
          b[l][k] = bf[k];
        free(wf);
        free(bf);
        gW[l - 1] = malloc(nw * sizeof(float));
        gb[l - 1] = malloc(sizes[l] * sizeof(float));
      }
      double lossv;
      ck_assert_int_eq(sa_mlp_gradients(net, x, y, 3, gW, gb, &lossv), 0);
      double l0 = ref_loss(3, sizes, W, b, c.act, loss, x, y, 3);
      ck_assert_msg(fabs(l0 - lossv) < 1e-5 * (1 + fabs(l0)),
                    "loss %g vs reference %g", lossv, l0);
      const double h = 1e-6;
      for (int l = 1; l <= 3; l++) {
        size_t nw = wcount(net, l);
        for (size_t i = 0; i < nw + (size_t)sizes[l]; i++) {
          double *p = i < nw ? &W[l][i] : &b[l][i - nw];
          double keep = *p;
          *p = keep + h;
          double up = ref_loss(3, sizes, W, b, c.act, loss, x, y, 3);
          *p = keep - h;
          double dn = ref_loss(3, sizes, W, b, c.act, loss, x, y, 3);
          *p = keep;
          double fd = (up - dn) / (2 * h);
          double g = i < nw ? gW[l - 1][i] : gb[l - 1][i - nw];
          ck_assert_msg(fabs(g - fd) <= 2e-5 + 1e-4 * fabs(fd),
                        "%s/%s layer %d param %zu: bp %.8g, finite "
                        "difference %.8g",
                        sa_learn_enum_name("act", c.act),
                        sa_learn_enum_name("loss", loss), l, i, g, fd);
          checked++;
        }
      }
      for (int l = 1; l <= 3; l++) {
        free(W[l]), free(b[l]), free(gW[l - 1]), free(gb[l - 1]);
      }
      sa_mlp_destroy(net);
    }
  ck_assert_int_gt(checked, 1000);
}
END_TEST

/* ---- layer 1 on the non-zero input columns (learn/mlp.c) ------------- */

void sa__mlp_set_packing(sa_mlp *net, int mode);   /* learn/internal.h */
int sa__mlp_packed_columns(const sa_mlp *net);
enum { PACK_NEVER = 0, PACK_AUTO, PACK_ALWAYS };

enum { PK_IN = 784, PK_HID = 100, PK_OUT = 10, PK_BS = 32, PK_ZCOLS = 100 };

/* An MNIST-like batch: ~70 % exact zeros. With zero_cols the first
 * PK_ZCOLS columns and every 7th after them are zero in every sample;
 * every other column gets one non-zero sample, so that no other column is
 * empty. Returns the number of non-zero columns. */
static int sparse_batch(float *x, uint8_t *y, int zero_cols, uint64_t seed)
{
  lcg_state = seed;
  for (int r = 0; r < PK_BS; r++) {
    y[r] = (uint8_t)(urand() * PK_OUT);
    for (int k = 0; k < PK_IN; k++) {
      double u = urand();
      x[r * PK_IN + k] = u < 0.7 ? 0.0f : (float)((u - 0.7) / 0.3);
    }
  }
  int kept = 0;
  for (int k = 0; k < PK_IN; k++) {
    int zero = zero_cols && (k < PK_ZCOLS || k % 7 == 0);
    if (zero) {
      for (int r = 0; r < PK_BS; r++)
        x[r * PK_IN + k] = 0.0f;
      continue;
    }
    x[(k % PK_BS) * PK_IN + k] = 0.5f;
    kept++;
  }
  return kept;
}

static sa_mlp *make_packing(sa_learn_config *c, int mode)
{
  sa_mlp *net = make(c);
  sa__mlp_set_packing(net, mode);
  return net;
}

/* Largest |a - b| over n values, relative to the largest |b|. */
static double rel_diff(const float *a, const float *b, size_t n)
{
  double d = 0, m = 0;
  for (size_t i = 0; i < n; i++) {
    d = fmax(d, fabs((double)a[i] - b[i]));
    m = fmax(m, fabs((double)b[i]));
  }
  return m > 0 ? d / m : d;
}

START_TEST(test_packed_input_is_dense)
{
  /* Tolerance. Packing drops only exact-zero products, so both paths sum
   * the same float32 terms, in the order OpenBLAS's blocking gives each K
   * (784 or fewer): the results differ by rounding only. A sum of K
   * products reordered moves by at most ~K eps sum|terms| and typically
   * sqrt(K) eps sum|terms| (eps = 6e-8, K = 784: 2e-6 relative); the
   * sigmoid and the second layer do not amplify it (slopes <= 1/4,
   * |W| ~ 0.1). 2e-5 relative to the layer's largest entry is ~10x what
   * that allows and ~1000x below any wrong term (an entry of dW is one
   * sum over the batch, so a dropped or misplaced column is O(1)
   * relative). */
  const double tol = 2e-5;
  float *x = malloc(PK_BS * PK_IN * sizeof *x);
  uint8_t y[PK_BS];
  size_t nw[3] = {0, (size_t)PK_HID * PK_IN, (size_t)PK_OUT * PK_HID};
  int nb[3] = {0, PK_HID, PK_OUT};
  float *g[2][4], *gb[2][4];
  for (int p = 0; p < 2; p++)
    for (int l = 1; l <= 2; l++) {
      g[p][l - 1] = malloc(nw[l] * sizeof(float));
      gb[p][l - 1] = malloc(nb[l] * sizeof(float));
    }
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 3, (const int[]){PK_IN, PK_HID, PK_OUT});
  c.batch = PK_BS;
  double worst = 0;
  for (int zc = 1; zc >= 0; zc--) {
    int kept = sparse_batch(x, y, zc, 11 + (uint64_t)zc);
    sa_mlp *dense = make_packing(&c, PACK_NEVER);
    sa_mlp *packed = make_packing(&c, PACK_ALWAYS);
    sa_mlp *aut = make_packing(&c, PACK_AUTO);
    double ld, lp;
    ck_assert_int_eq(sa_mlp_gradients(dense, x, y, PK_BS, g[0], gb[0], &ld),
                     0);
    ck_assert_int_eq(sa__mlp_packed_columns(dense), -1);
    ck_assert_int_eq(sa_mlp_gradients(packed, x, y, PK_BS, g[1], gb[1], &lp),
                     0);
    ck_assert_int_eq(sa__mlp_packed_columns(packed), kept);
    ck_assert_int_eq(sa_mlp_gradients(aut, x, y, PK_BS, NULL, NULL, NULL),
                     0);
    /* 100 + 97 of 784 columns are zero: packed; none: dense. */
    ck_assert_int_eq(sa__mlp_packed_columns(aut), zc ? kept : -1);
    ck_assert_int_eq(kept, zc ? PK_IN - PK_ZCOLS - 97 : PK_IN);
    ck_assert_double_eq_tol(lp, ld, tol * ld);
    for (int l = 1; l <= 2; l++) {
      double dw = rel_diff(g[1][l - 1], g[0][l - 1], nw[l]);
      double db = rel_diff(gb[1][l - 1], gb[0][l - 1], nb[l]);
      ck_assert_msg(dw <= tol && db <= tol, "%s zero columns, layer %d: "
                    "dW differs by %.3g, db by %.3g", zc ? "with" : "no",
                    l, dw, db);
      worst = fmax(worst, fmax(dw, db));
    }
    /* A column that is zero in the whole batch has gradient exactly 0. */
    for (int i = 0; zc && i < PK_HID; i++)
      for (int k = 0; k < PK_IN; k++)
        if (k < PK_ZCOLS || k % 7 == 0)
          ck_assert(g[1][0][(size_t)i * PK_IN + k] == 0.0f);
    sa_mlp_destroy(dense);
    sa_mlp_destroy(packed);
    sa_mlp_destroy(aut);
  }
  printf("test_packed_input_is_dense: largest relative gradient "
         "difference %.3g (tolerance %g)\n", worst, tol);
  for (int p = 0; p < 2; p++)
    for (int l = 0; l < 2; l++)
      free(g[p][l]), free(gb[p][l]);
  free(x);
}
END_TEST

START_TEST(test_packed_input_steps)
{
  /* Every optimiser path (plain SGD fused into sgemm, kp's own apply,
   * momentum with weight decay through the gradient buffer) takes the
   * same steps packed as dense, to rounding (tolerance as above). And
   * momentum and weight decay reach every weight exactly as before: after
   * one step on a batch whose columns 0..99 are zero, those columns of
   * W_1 are bit-identical to the dense network's and have decayed. */
  float *x = malloc(PK_BS * PK_IN * sizeof *x);
  uint8_t y[PK_BS];
  size_t nw = (size_t)PK_HID * PK_IN;
  float *W0 = malloc(nw * sizeof *W0), *Wd = malloc(nw * sizeof *Wd),
        *Wp = malloc(nw * sizeof *Wp);
  for (int path = 0; path < 3; path++) {
    sa_learn_config c;
    sa_learn_config_default(&c);
    cfg_sizes(&c, 3, (const int[]){PK_IN, PK_HID, PK_OUT});
    c.batch = PK_BS;
    if (path == 1)
      c.algo = "kp";
    if (path == 2)
      c.momentum = 0.9, c.weight_decay = 1e-2;
    sa_mlp *dense = make_packing(&c, PACK_NEVER);
    sa_mlp *packed = make_packing(&c, PACK_ALWAYS);
    ck_assert_int_eq(sa_mlp_get_weights(dense, 1, W0, NULL), 0);
    for (int s = 0; s < 4; s++) {
      sparse_batch(x, y, s % 2 == 0, 40 + (uint64_t)s);
      ck_assert_int_eq(sa_mlp_step(dense, x, y, PK_BS, NULL), 0);
      ck_assert_int_eq(sa_mlp_step(packed, x, y, PK_BS, NULL), 0);
      ck_assert_int_gt(sa__mlp_packed_columns(packed), 0);
      ck_assert_int_eq(sa_mlp_get_weights(dense, 1, Wd, NULL), 0);
      ck_assert_int_eq(sa_mlp_get_weights(packed, 1, Wp, NULL), 0);
      for (size_t i = 0; i < nw; i++)
        Wd[i] -= W0[i], Wp[i] -= W0[i];   /* the steps taken so far */
      double d = rel_diff(Wp, Wd, nw);
      ck_assert_msg(d <= 2e-5, "path %d, step %d: W_1 steps differ by %.3g",
                    path, s, d);
      if (s == 0)
        for (int i = 0; i < PK_HID; i++)
          for (int k = 0; k < PK_ZCOLS; k++) {
            size_t q = (size_t)i * PK_IN + k;
            ck_assert(Wp[q] == Wd[q]);
            if (path == 2)
              ck_assert(Wp[q] != 0.0f || W0[q] == 0.0f);
            else
              ck_assert(Wp[q] == 0.0f);
          }
    }
    sa_mlp_destroy(dense);
    sa_mlp_destroy(packed);
  }
  free(W0), free(Wd), free(Wp);
  free(x);
}
END_TEST

/* ---- feedback strategies ------------------------------------------------ */

/* B_l := W_l^T through the public setter. */
static void set_b_to_wt(sa_mlp *net, int l)
{
  int r = sa_mlp_size(net, l), c = sa_mlp_size(net, l - 1);
  float *W = malloc(wcount(net, l) * sizeof *W);
  float *B = malloc(wcount(net, l) * sizeof *B);
  ck_assert_int_eq(sa_mlp_get_weights(net, l, W, NULL), 0);
  for (int i = 0; i < r; i++)
    for (int j = 0; j < c; j++)
      B[(size_t)j * r + i] = W[(size_t)i * c + j];
  ck_assert_int_eq(sa_mlp_set_feedback(net, l, B), 0);
  free(W);
  free(B);
}

static void assert_same_weights(sa_mlp *a, sa_mlp *b)
{
  for (int l = 1; l <= sa_mlp_layers(a); l++) {
    size_t nw = wcount(a, l);
    int n = sa_mlp_size(a, l);
    float *wa = malloc(nw * 4), *wb = malloc(nw * 4);
    float *ba = malloc(n * 4), *bb = malloc(n * 4);
    ck_assert_int_eq(sa_mlp_get_weights(a, l, wa, ba), 0);
    ck_assert_int_eq(sa_mlp_get_weights(b, l, wb, bb), 0);
    ck_assert_msg(memcmp(wa, wb, nw * 4) == 0, "W_%d differs", l);
    ck_assert_msg(memcmp(ba, bb, n * 4) == 0, "b_%d differs", l);
    free(wa), free(wb), free(ba), free(bb);
  }
}

START_TEST(test_fa_with_wt_is_bp)
{
  static const int sizes[4] = {20, 15, 12, 10};
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 4, sizes);
  c.batch = 8;
  c.momentum = 0.5;
  sa_mlp *bp = make(&c);
  c.algo = "fa";
  sa_mlp *fa = make(&c);
  assert_same_weights(bp, fa);
  float x[8 * 20];
  uint8_t y[8];
  for (int s = 0; s < 3; s++) {
    for (int l = 1; l <= 3; l++)
      set_b_to_wt(fa, l);
    fill_batch(x, y, 8, 20, 10, 5 + (uint64_t)s);
    ck_assert_int_eq(sa_mlp_step(bp, x, y, 8, NULL), 0);
    ck_assert_int_eq(sa_mlp_step(fa, x, y, 8, NULL), 0);
    /* Bit for bit: the same sgemm on the same bytes. */
    assert_same_weights(bp, fa);
  }
  sa_mlp_destroy(bp);
  sa_mlp_destroy(fa);
}
END_TEST

static int wt_feedback(void *ud, const sa_mlp *net, int l, const float *W,
                       float *B)
{
  (*(int *)ud)++;
  int r = sa_mlp_size(net, l), c = sa_mlp_size(net, l - 1);
  for (int i = 0; i < r; i++)
    for (int j = 0; j < c; j++)
      B[(size_t)j * r + i] = W[(size_t)i * c + j];
  return 0;
}

START_TEST(test_external_hook)
{
  /* The hook spiking estimators will use: B from a callback before each
   * epoch. With B := W^T and one step per epoch it is backprop. */
  static const int sizes[3] = {6, 5, 3};
  float x[4 * 6], xt[4 * 6];
  uint8_t y[4], yt[4];
  fill_batch(x, y, 4, 6, 3, 11);
  fill_batch(xt, yt, 4, 6, 3, 12);
  sa_dataset *ds;
  ck_assert_int_eq(sa_dataset_from_arrays(&ds, 6, 3, x, y, 4, xt, yt, 4), 0);
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 3, sizes);
  c.batch = 4;
  sa_mlp *bp = make(&c);
  int calls = 0;
  c.algo = "external";
  c.feedback_fn = wt_feedback;
  c.feedback_ud = &calls;
  sa_mlp *ext = make(&c);
  sa_epoch_metrics m;
  for (int e = 1; e <= 3; e++) {
    ck_assert_int_eq(sa_mlp_train_epoch(bp, ds, e, &m), 0);
    ck_assert_int_eq(sa_mlp_train_epoch(ext, ds, e, &m), 0);
    assert_same_weights(bp, ext);
  }
  ck_assert_int_eq(calls, 3);   /* layer 2 only, once per epoch */
  ck_assert(m.weight_angle[1] < 10.0);  /* B_2 = W_2^T one step ago */
  c.feedback_fn = NULL;
  char err[256];
  sa_mlp *bad;
  ck_assert_int_eq(sa_mlp_create(&bad, &c, err, sizeof err), SA_EINVAL);
  sa_mlp_destroy(bp);
  sa_mlp_destroy(ext);
  sa_dataset_destroy(ds);
}
END_TEST

START_TEST(test_usf_constant_magnitude_is_bp_direction)
{
  static const int sizes[4] = {12, 10, 8, 6};
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 4, sizes);
  c.batch = 5;
  sa_mlp *bp = make(&c);
  c.algo = "usf";
  sa_mlp *usf = make(&c);
  lcg_state = 3;
  for (int l = 1; l <= 3; l++) {
    size_t nw = wcount(bp, l);
    float *W = malloc(nw * 4);
    for (size_t i = 0; i < nw; i++)
      W[i] = urand() < 0.5 ? -0.3f : 0.3f;
    ck_assert_int_eq(sa_mlp_set_weights(bp, l, W, NULL), 0);
    ck_assert_int_eq(sa_mlp_set_weights(usf, l, W, NULL), 0);
    free(W);
  }
  float x[5 * 12];
  uint8_t y[5];
  fill_batch(x, y, 5, 12, 6, 17);
  float *g1[3], *g2[3];
  for (int l = 1; l <= 3; l++) {
    g1[l - 1] = malloc(wcount(bp, l) * 4);
    g2[l - 1] = malloc(wcount(bp, l) * 4);
  }
  ck_assert_int_eq(sa_mlp_gradients(bp, x, y, 5, g1, NULL, NULL), 0);
  ck_assert_int_eq(sa_mlp_gradients(usf, x, y, 5, g2, NULL, NULL), 0);
  for (int l = 1; l <= 3; l++) {
    /* B = s sign(W)^T = (s / 0.3) W^T: every delta is a positive multiple
     * of bp's, so each layer's update points the same way; float rounding
     * of the scaled products leaves ~1e-7 relative, i.e. ~1e-5 degrees. */
    double a = angle(g1[l - 1], g2[l - 1], wcount(bp, l));
    ck_assert_msg(a < 1e-3, "layer %d: %g degrees from bp", l, a);
    free(g1[l - 1]);
    free(g2[l - 1]);
  }
  sa_mlp_destroy(bp);
  sa_mlp_destroy(usf);
}
END_TEST

static void w_minus_bt(sa_mlp *net, int l, float *out)
{
  int r = sa_mlp_size(net, l), c = sa_mlp_size(net, l - 1);
  size_t nw = wcount(net, l);
  float *W = malloc(nw * 4), *B = malloc(nw * 4);
  ck_assert_int_eq(sa_mlp_get_weights(net, l, W, NULL), 0);
  ck_assert_int_eq(sa_mlp_get_feedback(net, l, B), 0);
  for (int i = 0; i < r; i++)
    for (int j = 0; j < c; j++)
      out[(size_t)i * c + j] = W[(size_t)i * c + j] - B[(size_t)j * r + i];
  free(W);
  free(B);
}

START_TEST(test_kp_difference_decays)
{
  static const int sizes[3] = {10, 8, 6};
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 3, sizes);
  c.algo = "kp";
  c.kp_decay = 0.9;
  c.batch = 4;
  c.lr = 0.5;
  sa_mlp *kp = make(&c);
  float x[4 * 10];
  uint8_t y[4];
  for (int l = 1; l <= 2; l++) {
    size_t nw = wcount(kp, l);
    float *d0 = malloc(nw * 4), *d1 = malloc(nw * 4);
    w_minus_bt(kp, l, d0);
    double n0 = 0;
    for (size_t i = 0; i < nw; i++)
      n0 += (double)d0[i] * d0[i];
    for (int s = 1; s <= 5; s++) {
      fill_batch(x, y, 4, 10, 6, 40 + (uint64_t)s + 10 * (uint64_t)l);
      ck_assert_int_eq(sa_mlp_step(kp, x, y, 4, NULL), 0);
      w_minus_bt(kp, l, d1);
      /* Exact in real arithmetic; in float each of lambda*W + S and
       * lambda*B + S rounds twice, so entries agree to a few ulps of the
       * weights (|W| < 1 here): 1e-6 absolute. The norm ratio is lambda to
       * 1e-5 relative. */
      double n1 = 0;
      for (size_t i = 0; i < nw; i++) {
        ck_assert_msg(fabs(d1[i] - 0.9 * d0[i]) < 1e-6,
                      "layer %d step %d entry %zu: %g vs %g", l, s, i,
                      d1[i], 0.9 * d0[i]);
        n1 += (double)d1[i] * d1[i];
      }
      ck_assert_msg(fabs(sqrt(n1 / n0) - 0.9) < 1e-5,
                    "layer %d step %d: ratio %.8f", l, s, sqrt(n1 / n0));
      memcpy(d0, d1, nw * 4);
      n0 = n1;
    }
    free(d0);
    free(d1);
  }
  sa_mlp_destroy(kp);
}
END_TEST

START_TEST(test_wm_linear_converges)
{
  static const int sizes[2] = {30, 20};
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 2, sizes);
  c.algo = "wm";
  c.act = SA_ACT_LINEAR;
  c.loss = SA_LOSS_MSE;
  c.batch = 64;
  c.wm_lr = 0.05;
  c.wm_noise = 1.0;
  sa_mlp *wm = make(&c);
  size_t nw = wcount(wm, 1);
  float *W = malloc(nw * 4), *B = malloc(nw * 4), *Bt = malloc(nw * 4);
  ck_assert_int_eq(sa_mlp_get_weights(wm, 1, W, NULL), 0);
  ck_assert_int_eq(sa_mlp_get_feedback(wm, 1, B), 0);
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 30; j++)
      Bt[i * 30 + j] = B[j * 20 + i];
  double a0 = angle(W, Bt, nw);
  ck_assert_msg(a0 > 60, "random start should be far from W^T (%g)", a0);
  ck_assert_int_eq(sa_mlp_feedback_steps(wm, 1000), 0);
  ck_assert_int_eq(sa_mlp_get_feedback(wm, 1, B), 0);
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 30; j++)
      Bt[i * 30 + j] = B[j * 20 + i];
  double a1 = angle(W, Bt, nw);
  ck_assert_msg(a1 < 5.0, "weight mirror angle %g degrees after 1000 steps",
                a1);
  /* Only B moved. */
  float *W2 = malloc(nw * 4);
  ck_assert_int_eq(sa_mlp_get_weights(wm, 1, W2, NULL), 0);
  ck_assert(memcmp(W, W2, nw * 4) == 0);
  free(W), free(W2), free(B), free(Bt);
  sa_mlp_destroy(wm);
}
END_TEST

static void gait_vs_bp(double gamma)
{
  static const int sizes[4] = {32, 32, 32, 32};
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 4, sizes);
  c.n_classes = 10;                /* 22 auxiliary output units */
  c.act = SA_ACT_LEAKY_RELU;
  c.loss = SA_LOSS_MSE;
  c.init = SA_INIT_ORTHOGONAL;
  c.batch = 16;
  c.lr = 0.01;
  c.gait_gamma = gamma;
  sa_mlp *bp = make(&c);
  c.algo = "gaitprop";
  sa_mlp *gp = make(&c);
  assert_same_weights(bp, gp);
  float x[16 * 32];
  uint8_t y[16];
  fill_batch(x, y, 16, 32, 10, 23);
  /* Compare the gradients, i.e. the updates before they are added to W:
   * W + step rounds to W's ulp (3e-8 at |W| = 0.25), which is already 2e-5
   * of a typical step and would hide what is being tested. */
  float *g1[3], *g2[3];
  for (int l = 1; l <= 3; l++) {
    g1[l - 1] = malloc(wcount(bp, l) * 4);
    g2[l - 1] = malloc(wcount(bp, l) * 4);
  }
  ck_assert_int_eq(sa_mlp_gradients(bp, x, y, 16, g1, NULL, NULL), 0);
  ck_assert_int_eq(sa_mlp_gradients(gp, x, y, 16, g2, NULL, NULL), 0);
  for (int l = 1; l <= 3; l++) {
    size_t nw = wcount(bp, l);
    double mx = 0, diff = 0;
    for (size_t i = 0; i < nw; i++) {
      double ubp = g1[l - 1][i], ugp = g2[l - 1][i];
      mx = fabs(ubp) > mx ? fabs(ubp) : mx;
      diff = fabs(ugp - ubp) > diff ? fabs(ugp - ubp) : diff;
    }
    ck_assert_msg(mx > 0, "layer %d has no gradient", l);
    ck_assert_msg(diff <= 1e-5 * mx, "gamma %g layer %d: updates differ by "
                  "%g (largest update %g)", gamma, l, diff, mx);
    free(g1[l - 1]), free(g2[l - 1]);
  }
  sa_mlp_destroy(bp);
  sa_mlp_destroy(gp);
}

START_TEST(test_gait_orthogonal_equals_bp)
{
  /* Orthogonal W (Gram-Schmidt in double, then rounded to float: W^T W = I
   * to ~1e-7) and an LU solve instead of W^T: the deltas agree to ~1e-6
   * relative; the 1e-5 bound of ALGORITHMS.md §7 item 3 holds with room. */
  gait_vs_bp(1e-6);
  gait_vs_bp(1e-3);     /* the paper's gamma: no unit crosses the kink here */
}
END_TEST

START_TEST(test_gait_feedback_is_inverse)
{
  static const int sizes[3] = {16, 16, 16};
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 3, sizes);
  c.algo = "gaitprop";
  c.act = SA_ACT_LEAKY_RELU;
  c.loss = SA_LOSS_MSE;
  c.init = SA_INIT_XAVIER;
  sa_mlp *gp = make(&c);
  float W[256], B[256];
  ck_assert_int_eq(sa_mlp_get_weights(gp, 2, W, NULL), 0);
  ck_assert_int_eq(sa_mlp_get_feedback(gp, 2, B), 0);
  /* B W = I */
  double worst = 0;
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < 16; j++) {
      double s = 0;
      for (int k = 0; k < 16; k++)
        s += (double)B[i * 16 + k] * W[k * 16 + j];
      worst = fmax(worst, fabs(s - (i == j)));
    }
  ck_assert_msg(worst < 1e-4, "B W - I: %g", worst);
  cfg_sizes(&c, 3, (const int[]){16, 8, 16});
  sa_mlp *bad;
  char err[256];
  ck_assert_int_eq(sa_mlp_create(&bad, &c, err, sizeof err), SA_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "square"));
  sa_mlp_destroy(gp);
}
END_TEST

START_TEST(test_every_strategy_is_deterministic)
{
  static const int sizes[4] = {16, 12, 10, 4};
  enum { NT = 64, NE = 16 };
  float x[NT * 16], xt[NE * 16];
  uint8_t y[NT], yt[NE];
  fill_batch(x, y, NT, 16, 4, 31);
  fill_batch(xt, yt, NE, 16, 4, 32);
  sa_dataset *ds;
  ck_assert_int_eq(sa_dataset_from_arrays(&ds, 16, 4, x, y, NT, xt, yt, NE),
                   0);
  for (int i = 0; sa_fb_name(i); i++) {
    const char *name = sa_fb_name(i);
    if (!strcmp(name, "external") || !strcmp(name, "gaitprop"))
      continue;
    sa_learn_config c;
    sa_learn_config_default(&c);
    cfg_sizes(&c, 4, sizes);
    c.algo = name;
    c.batch = 10;
    c.shuffle = 1;
    sa_mlp *a = make(&c), *b = make(&c);
    c.seed = 2;
    sa_mlp *other = make(&c);
    sa_epoch_metrics ma, mb, mo;
    for (int e = 1; e <= 2; e++) {
      ck_assert_int_eq(sa_mlp_train_epoch(a, ds, e, &ma), 0);
      ck_assert_int_eq(sa_mlp_train_epoch(b, ds, e, &mb), 0);
      ck_assert_int_eq(sa_mlp_train_epoch(other, ds, e, &mo), 0);
    }
    assert_same_weights(a, b);
    ck_assert_msg(ma.train_loss == mb.train_loss, "%s", name);
    ck_assert_msg(ma.train_loss != mo.train_loss, "%s: seed ignored", name);
    ck_assert_msg(isfinite(ma.test_loss), "%s", name);
    /* Angles: bp is 0 by definition; the others are defined where B is. */
    if (!strcmp(name, "bp"))
      ck_assert(ma.weight_angle[2] < 1e-3 && ma.delta_angle[0] < 1e-3);
    ck_assert_msg(ma.weight_angle[2] >= 0 && ma.weight_angle[2] <= 180,
                  "%s angle %g", name, ma.weight_angle[2]);
    if (!strcmp(name, "dfa"))
      ck_assert(isnan(ma.weight_angle[0]) && isnan(ma.weight_angle[1]));
    sa_mlp_destroy(a);
    sa_mlp_destroy(b);
    sa_mlp_destroy(other);
  }
  sa_dataset_destroy(ds);
}
END_TEST

START_TEST(test_api_errors)
{
  sa_learn_config c;
  sa_learn_config_default(&c);
  cfg_sizes(&c, 3, (const int[]){6, 5, 3});
  c.batch = 4;
  char err[256];
  sa_mlp *net;
  c.algo = "nonesuch";
  ck_assert_int_eq(sa_mlp_create(&net, &c, err, sizeof err), SA_ENOENT);
  c.algo = "bp";
  c.batch = 0;
  ck_assert_int_eq(sa_mlp_create(&net, &c, err, sizeof err), SA_EINVAL);
  c.batch = 4;
  c.n_classes = 2;      /* auxiliary units need mse */
  ck_assert_int_eq(sa_mlp_create(&net, &c, err, sizeof err), SA_EINVAL);
  c.n_classes = 0;
  net = make(&c);
  float B[30], x[4 * 6] = {0};
  uint8_t y[4] = {0, 1, 2, 3};
  ck_assert_int_eq(sa_mlp_set_feedback(net, 2, B), SA_ENOTSUP);
  ck_assert_int_eq(sa_mlp_set_feedback(net, 3, B), SA_EINVAL);
  ck_assert_int_eq(sa_mlp_feedback_steps(net, 1), SA_ENOTSUP);
  ck_assert_int_eq(sa_mlp_step(net, x, y, 4, NULL), SA_EINVAL);  /* 3 */
  ck_assert_int_eq(sa_mlp_step(net, x, y, 5, NULL), SA_EINVAL);
  ck_assert_int_eq(sa_mlp_step(net, x, y, 3, NULL), 0);
  sa_mlp_destroy(net);
  cfg_sizes(&c, 4, (const int[]){6, 5, 4, 3});
  c.algo = "dfa";
  net = make(&c);
  ck_assert_int_eq(sa_mlp_get_feedback(net, 2, B), SA_ENOENT);
  ck_assert_int_eq(sa_mlp_get_feedback(net, 3, B), 0);
  sa_mlp_destroy(net);
  sa_mlp_destroy(NULL);
}
END_TEST

/* ---- IDX --------------------------------------------------------------- */

static void write_gz(const char *path, const uint8_t *bytes, size_t n)
{
  gzFile f = gzopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(gzwrite(f, bytes, (unsigned)n), (int)n);
  ck_assert_int_eq(gzclose(f), Z_OK);
}

START_TEST(test_idx_round_trip)
{
  char p[512];
  tmp_path(p, sizeof p, "rt.gz");
  sa_idx a = {.ndim = 3, .dims = {5, 4, 3}, .count = 60};
  a.data = malloc(60);
  for (int i = 0; i < 60; i++)
    a.data[i] = (uint8_t)(i * 7);
  char err[512] = "";
  ck_assert_int_eq(sa_idx_write(p, &a, err, sizeof err), 0);
  sa_idx b;
  ck_assert_msg(sa_idx_read(p, &b, err, sizeof err) == 0, "%s", err);
  ck_assert_int_eq(b.ndim, 3);
  ck_assert_uint_eq(b.dims[0], 5);
  ck_assert_uint_eq(b.dims[1], 4);
  ck_assert_uint_eq(b.dims[2], 3);
  ck_assert_uint_eq(b.count, 60);
  ck_assert(memcmp(a.data, b.data, 60) == 0);
  sa_idx_free(&b);
  sa_idx_free(&a);
  sa_idx_free(NULL);
  unlink(p);
}
END_TEST

START_TEST(test_idx_bad_files)
{
  char p[512], err[512];
  sa_idx out;
  tmp_path(p, sizeof p, "bad.gz");
  /* Missing file. */
  unlink(p);
  ck_assert_int_eq(sa_idx_read(p, &out, err, sizeof err), SA_ENOENT);
  /* Wrong magic. */
  uint8_t bad_magic[12] = {0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 4, 1, 2, 3, 4};
  write_gz(p, bad_magic, sizeof bad_magic);
  ck_assert_int_eq(sa_idx_read(p, &out, err, sizeof err), SA_EINVAL);
  ck_assert_msg(strstr(err, "magic") != NULL, "%s", err);
  ck_assert_ptr_null(out.data);
  /* Unsupported element type (0x0D = float). */
  uint8_t floats[12] = {0, 0, 0x0D, 0x01, 0, 0, 0, 1, 0, 0, 0, 0};
  write_gz(p, floats, sizeof floats);
  ck_assert_int_eq(sa_idx_read(p, &out, err, sizeof err), SA_EINVAL);
  ck_assert_msg(strstr(err, "0x0D") != NULL, "%s", err);
  /* Header announces more data than there is. */
  uint8_t shortd[14] = {0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2, 9, 9};
  write_gz(p, shortd, sizeof shortd);
  ck_assert_int_eq(sa_idx_read(p, &out, err, sizeof err), SA_EINVAL);
  ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
  /* Trailing bytes. */
  uint8_t longd[11] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3};
  write_gz(p, longd, sizeof longd);
  ck_assert_int_eq(sa_idx_read(p, &out, err, sizeof err), SA_EINVAL);
  ck_assert_msg(strstr(err, "trailing") != NULL, "%s", err);
  /* A gzip stream cut in half (a download that stopped). */
  sa_idx big = {.ndim = 1, .dims = {100000}, .count = 100000};
  big.data = malloc(100000);
  lcg_state = 1;
  for (int i = 0; i < 100000; i++)
    big.data[i] = (uint8_t)(urand() * 256);
  ck_assert_int_eq(sa_idx_write(p, &big, err, sizeof err), 0);
  sa_idx_free(&big);
  FILE *f = fopen(p, "rb");
  ck_assert_ptr_nonnull(f);
  uint8_t *gz = malloc(200000);
  size_t n = fread(gz, 1, 200000, f);
  fclose(f);
  f = fopen(p, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(gz, 1, n / 2, f), n / 2);
  ck_assert_int_eq(fclose(f), 0);
  free(gz);
  ck_assert_int_eq(sa_idx_read(p, &out, err, sizeof err), SA_EIO);
  ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);
  ck_assert_ptr_null(out.data);
  unlink(p);
}
END_TEST

/* ---- result files ------------------------------------------------------- */

START_TEST(test_result_file)
{
  char p[512], err[512] = "";
  tmp_path(p, sizeof p, "run.h5");
  unlink(p);
  uint64_t seeds[1] = {3};
  sa_lfile *f;
  ck_assert_int_eq(sa_lfile_create(&f, p, 0, "synalign train --x", "digits",
                                   seeds, 1, err, sizeof err), 0);
  sa_learn_config c;
  sa_learn_config_default(&c);
  c.seed = 3;
  sa_epoch_metrics m[2];
  memset(m, 0, sizeof m);
  for (int i = 0; i < 2; i++) {
    m[i].epoch = i + 1;
    m[i].test_accuracy = 80 + i;
    m[i].weight_angle[0] = m[i].weight_angle[1] = 0;
    m[i].delta_angle[0] = 0;
  }
  ck_assert_int_eq(sa_lfile_write_run(f, &c, m, 2, 5, err, sizeof err), 0);
  ck_assert_int_eq(sa_lfile_write_run(f, &c, m, 2, 5, err, sizeof err),
                   SA_EEXIST);
  ck_assert_int_eq(sa_lfile_close(f, 1, err, sizeof err), 0);
  sa_lfile *g;
  ck_assert_int_eq(sa_lfile_create(&g, p, 0, "x", "digits", seeds, 1, err,
                                   sizeof err), SA_EEXIST);
  hid_t h = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
  ck_assert(h >= 0);
  hid_t d = H5Dopen2(h, "/metrics/bp/3/test_accuracy", H5P_DEFAULT);
  ck_assert(d >= 0);
  double acc[2];
  ck_assert(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                    acc) >= 0);
  ck_assert(acc[0] == 80 && acc[1] == 81);
  H5Dclose(d);
  d = H5Dopen2(h, "/metrics/bp/3/weight_angle", H5P_DEFAULT);
  ck_assert(d >= 0);
  hid_t s = H5Dget_space(d);
  hsize_t dims[2];
  ck_assert_int_eq(H5Sget_simple_extent_dims(s, dims, NULL), 2);
  ck_assert(dims[0] == 2 && dims[1] == 2);
  H5Sclose(s);
  H5Dclose(d);
  ck_assert(H5Aexists_by_name(h, "/metrics/bp/3", "best_test_accuracy",
                              H5P_DEFAULT) > 0);
  ck_assert(H5Aexists(h, "command_line") > 0);
  H5Fclose(h);
  unlink(p);
}
END_TEST

/* ---- MNIST ------------------------------------------------------------- */

START_TEST(test_mnist_subset)
{
  char err[1024] = "";
  sa_dataset *ds;
  int rc = sa_dataset_load(&ds, "mnist", NULL, err, sizeof err);
  if (rc == SA_ENOENT) {
    printf("test_mnist_subset: skipped: %s\n", err);
    return;
  }
  ck_assert_msg(rc == 0, "%s", err);
  /* The reader against the published facts (shared/data/README.md). */
  static const uint8_t first[10] = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
  ck_assert(memcmp(sa_dataset_labels(ds, SA_SPLIT_TRAIN), first, 10) == 0);
  ck_assert_uint_eq(sa_dataset_count(ds, SA_SPLIT_TRAIN), 60000);
  ck_assert_uint_eq(sa_dataset_count(ds, SA_SPLIT_TEST), 10000);
  const float *X = sa_dataset_images(ds, SA_SPLIT_TRAIN);
  double sum = 0;
  for (size_t i = 0; i < 60000 * 784; i++)
    sum += X[i];
  ck_assert_double_eq_tol(sum / (60000.0 * 784), 0.1307, 1e-4);
  ck_assert_int_eq(sa_dataset_truncate(ds, 5000, 0), 0);
  double acc[2];
  float *W[2] = {malloc(784 * 128 * 4), malloc(784 * 128 * 4)};
  for (int run = 0; run < 2; run++) {
    sa_learn_config c;
    sa_learn_config_default(&c);
    cfg_sizes(&c, 3, (const int[]){784, 128, 10});
    c.act = SA_ACT_RELU;
    c.loss = SA_LOSS_SOFTMAX_CE;
    c.init = SA_INIT_HE;
    c.lr = 0.05;
    c.momentum = 0.9;
    c.batch = 32;
    c.shuffle = 1;
    c.seed = 4;
    sa_mlp *net = make(&c);
    sa_epoch_metrics m;
    ck_assert_int_eq(sa_mlp_train_epoch(net, ds, 1, &m), 0);
    acc[run] = m.test_accuracy;
    ck_assert_int_eq(sa_mlp_get_weights(net, 1, W[run], NULL), 0);
    sa_mlp_destroy(net);
  }
  printf("test_mnist_subset: bp, 1 epoch on 5000 samples: %.2f %% test "
         "accuracy\n", acc[0]);
  ck_assert_msg(acc[0] > 85.0, "accuracy %.2f %%", acc[0]);
  ck_assert(acc[0] == acc[1]);
  ck_assert_msg(memcmp(W[0], W[1], 784 * 128 * 4) == 0,
                "same seed, different weights");
  free(W[0]);
  free(W[1]);
  sa_dataset_destroy(ds);
  /* A bad directory is a clear error, not a crash. */
  ck_assert_int_eq(sa_dataset_load(&ds, "mnist", "/nonexistent", err,
                                   sizeof err), SA_ENOENT);
  ck_assert_int_eq(sa_dataset_load(&ds, "cifar", NULL, err, sizeof err),
                   SA_ENOENT);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("learn");
  TCase *tc = tcase_create("gradients");
  tcase_add_test(tc, test_expf_accuracy);
  tcase_add_test(tc, test_gradient_check);
  tcase_add_test(tc, test_packed_input_is_dense);
  tcase_add_test(tc, test_packed_input_steps);
  suite_add_tcase(s, tc);
  tc = tcase_create("strategies");
  tcase_add_test(tc, test_fa_with_wt_is_bp);
  tcase_add_test(tc, test_external_hook);
  tcase_add_test(tc, test_usf_constant_magnitude_is_bp_direction);
  tcase_add_test(tc, test_kp_difference_decays);
  tcase_add_test(tc, test_wm_linear_converges);
  tcase_add_test(tc, test_gait_orthogonal_equals_bp);
  tcase_add_test(tc, test_gait_feedback_is_inverse);
  tcase_add_test(tc, test_every_strategy_is_deterministic);
  tcase_add_test(tc, test_api_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("files");
  tcase_add_test(tc, test_idx_round_trip);
  tcase_add_test(tc, test_idx_bad_files);
  tcase_add_test(tc, test_result_file);
  suite_add_tcase(s, tc);
  tc = tcase_create("mnist");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_mnist_subset);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_VERBOSE);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
