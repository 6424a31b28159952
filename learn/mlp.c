/* mlp.c: fully-connected networks, losses, optimisers, the training loop
 * and the alignment metrics. The feedback strategies live in fb_*.c.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include "sa_metrics.h"
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEAKY_SLOPE 0.1f    /* GAIT-prop's leaky-ReLU (ALGORITHMS.md §5a) */
#define MIN_CAP 512         /* workspace rows: evaluation chunk size */

/* ---- errors and names ------------------------------------------------- */

void sa__errf(char *err, size_t errlen, const char *fmt, ...)
{
  if (err == NULL || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int sa__set_err(sa_mlp *net, int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(net->err, sizeof net->err, fmt, ap);
  va_end(ap);
  return code;
}

static const char *const act_names[] = {"sigmoid", "tanh", "relu",
                                        "leaky-relu", "linear", NULL};
static const char *const loss_names[] = {"sigmoid-ce", "softmax-ce", "mse",
                                         NULL};
static const char *const optim_names[] = {"sgd", "adam", NULL};
static const char *const init_names[] = {"akrout", "xavier", "he",
                                         "orthogonal", NULL};

static const char *const *names_of(const char *kind)
{
  if (kind == NULL)
    return NULL;
  if (!strcmp(kind, "act"))
    return act_names;
  if (!strcmp(kind, "loss"))
    return loss_names;
  if (!strcmp(kind, "optim"))
    return optim_names;
  if (!strcmp(kind, "init"))
    return init_names;
  return NULL;
}

int sa_learn_enum(const char *kind, const char *name)
{
  const char *const *t = names_of(kind);
  if (t == NULL || name == NULL)
    return -1;
  for (int i = 0; t[i]; i++)
    if (!strcmp(t[i], name))
      return i;
  return -1;
}

const char *sa_learn_enum_name(const char *kind, int value)
{
  const char *const *t = names_of(kind);
  if (t == NULL || value < 0)
    return "?";
  for (int i = 0; t[i]; i++)
    if (i == value)
      return t[i];
  return "?";
}

void sa_learn_config_default(sa_learn_config *c)
{
  memset(c, 0, sizeof *c);
  c->n_sizes = 3;
  c->sizes[0] = 784, c->sizes[1] = 500, c->sizes[2] = 10;
  c->algo = "bp";
  c->act = SA_ACT_SIGMOID;
  c->out_act = -1;
  c->loss = SA_LOSS_SIGMOID_CE;
  c->optim = SA_OPTIM_SGD;
  c->init = SA_INIT_AKROUT;
  c->lr = 0.2;
  c->bias_lr_scale = 1.0;
  c->adam_beta1 = 0.9, c->adam_beta2 = 0.999, c->adam_eps = 1e-8;
  c->adam_bias_correction = 1;
  c->batch = 128;
  c->seed = 1;
  c->kp_decay = 1.0;
  c->wm_lr = 0.01, c->wm_noise = 0.1, c->wm_decay = 0.0;
  c->wm_pre_steps = -1;
  c->gait_gamma = 1e-3;
  c->ortho_every = 1;
}

/* ---- activations ------------------------------------------------------ */

/* e^x = 2^k e^r with k = round(x / ln 2) and |r| <= ln 2 / 2; e^r by its
 * degree-7 Taylor polynomial (truncation < r^8/8! = 5e-9), 2^k built in
 * the exponent bits. Written without branches or calls so that the
 * sigmoid loop vectorises: libm's expf is a call per element and was 11 %
 * of an Akrout epoch. Accuracy < 2e-7 relative (float32 rounding in the
 * Horner steps), checked by tests/test_learn.c. */
static inline float exp_inline(float x)
{
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float shifter = 12582912.0f;      /* 1.5 * 2^23 rounds to integer */
  float k = (x * 1.44269504f + shifter) - shifter;
  /* ln 2 = 0.693359375 - 2.12194440e-4 (Cody-Waite): the first part has
   * 9 significant bits, so k times it is exact and r keeps its digits. */
  float r = x - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
  float two_k;
  memcpy(&two_k, &bits, sizeof two_k);
  return p * two_k;
}

float sa__expf(float x) { return exp_inline(x); }

SA_LEARN_CLONES
static void sigmoid(float *a, const float *z, size_t n)
{
  for (size_t i = 0; i < n; i++)
    a[i] = 1.0f / (1.0f + exp_inline(-z[i]));
}

void sa__act_apply(int act, float *a, const float *z, size_t n)
{
  switch (act) {
  case SA_ACT_SIGMOID:
    sigmoid(a, z, n);
    break;
  case SA_ACT_TANH:
    for (size_t i = 0; i < n; i++)
      a[i] = tanhf(z[i]);
    break;
  case SA_ACT_RELU:
    for (size_t i = 0; i < n; i++)
      a[i] = z[i] > 0.0f ? z[i] : 0.0f;
    break;
  case SA_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++)
      a[i] = z[i] >= 0.0f ? z[i] : LEAKY_SLOPE * z[i];
    break;
  default:
    if (a != z)
      memcpy(a, z, n * sizeof *a);
  }
}

SA_LEARN_CLONES
void sa__act_grad_mul(int act, float *d, const float *z, const float *a,
                      size_t n)
{
  switch (act) {
  case SA_ACT_SIGMOID:
    for (size_t i = 0; i < n; i++)
      d[i] *= a[i] * (1.0f - a[i]);
    break;
  case SA_ACT_TANH:
    for (size_t i = 0; i < n; i++)
      d[i] *= 1.0f - a[i] * a[i];
    break;
  case SA_ACT_RELU:
    for (size_t i = 0; i < n; i++)
      d[i] = z[i] > 0.0f ? d[i] : 0.0f;
    break;
  case SA_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++)
      d[i] = z[i] >= 0.0f ? d[i] : LEAKY_SLOPE * d[i];
    break;
  default:
    break;
  }
}

/* The activation applied after layer l: the hidden one, or at the output
 * the one the loss implies (softmax is handled by the loss itself). */
int sa__act_of_layer(const sa_mlp *net, int l)
{
  return l < net->L ? net->cfg.act : net->out_act;
}

/* ---- random matrices -------------------------------------------------- */

void sa__draw_matrix(float *x, int rows, int cols, double std, int uniform,
                     uint64_t seed, int kind, int layer, uint64_t index)
{
  sa_rng r;
  sa_rng_seed(&r, seed, SA_RNG_KEY(kind, layer), index);
  size_t n = (size_t)rows * cols;
  if (uniform) {
    double a = std * sqrt(3.0);
    for (size_t i = 0; i < n; i++)
      x[i] = (float)(a * (2.0 * sa_rng_uniform(&r) - 1.0));
  } else {
    for (size_t i = 0; i < n; i++)
      x[i] = (float)(std * sa_rng_normal(&r));
  }
}

/* Gram-Schmidt, twice ("twice is enough": one pass loses orthogonality in
 * float at n ~ 1000), in double, over the shorter dimension's vectors. */
int sa__orthogonal(float *w, int rows, int cols, uint64_t seed, int kind,
                   int layer)
{
  int byrow = rows <= cols;
  int nv = byrow ? rows : cols, len = byrow ? cols : rows;
  double *v = malloc((size_t)nv * len * sizeof *v);
  if (v == NULL)
    return SA_ENOMEM;
  sa_rng r;
  sa_rng_seed(&r, seed, SA_RNG_KEY(kind, layer), 0);
  for (size_t i = 0; i < (size_t)nv * len; i++)
    v[i] = sa_rng_normal(&r);
  for (int i = 0; i < nv; i++) {
    double *vi = v + (size_t)i * len;
    for (int pass = 0; pass < 2; pass++)
      for (int j = 0; j < i; j++) {
        const double *vj = v + (size_t)j * len;
        double dot = 0;
        for (int k = 0; k < len; k++)
          dot += vi[k] * vj[k];
        for (int k = 0; k < len; k++)
          vi[k] -= dot * vj[k];
      }
    double nn = 0;
    for (int k = 0; k < len; k++)
      nn += vi[k] * vi[k];
    nn = sqrt(nn);
    for (int k = 0; k < len; k++)
      vi[k] /= nn;
  }
  for (int i = 0; i < nv; i++)
    for (int k = 0; k < len; k++) {
      double x = v[(size_t)i * len + k];
      if (byrow)
        w[(size_t)i * cols + k] = (float)x;
      else
        w[(size_t)k * cols + i] = (float)x;
    }
  free(v);
  return 0;
}

/* ---- creation --------------------------------------------------------- */

static int check_config(const sa_learn_config *c, char *err, size_t errlen)
{
  if (c->n_sizes < 2 || c->n_sizes > MAXL + 1) {
    sa__errf(err, errlen, "a network needs 2 to %d layer sizes, got %d",
             MAXL + 1, c->n_sizes);
    return SA_EINVAL;
  }
  for (int i = 0; i < c->n_sizes; i++)
    if (c->sizes[i] < 1 || c->sizes[i] > 1 << 16) {
      sa__errf(err, errlen, "layer size %d is %d (expected 1..65536)", i,
               c->sizes[i]);
      return SA_EINVAL;
    }
  int nout = c->sizes[c->n_sizes - 1];
  if (c->n_classes < 0 || c->n_classes > nout) {
    sa__errf(err, errlen, "%d classes do not fit %d output units",
             c->n_classes, nout);
    return SA_EINVAL;
  }
  if (c->act < 0 || c->act >= SA_ACT_COUNT || c->loss < 0 ||
      c->loss >= SA_LOSS_COUNT || c->optim < 0 ||
      c->optim >= SA_OPTIM_COUNT || c->init < 0 ||
      c->init >= SA_INIT_COUNT || c->out_act < -1 ||
      c->out_act >= SA_ACT_COUNT) {
    sa__errf(err, errlen, "unknown activation, loss, optimiser or init");
    return SA_EINVAL;
  }
  if (c->out_act >= 0 && c->loss != SA_LOSS_MSE) {
    sa__errf(err, errlen, "the output activation is set by the loss "
             "(sigmoid for sigmoid-ce, softmax for softmax-ce); only mse "
             "takes one");
    return SA_EINVAL;
  }
  if (c->loss != SA_LOSS_MSE && c->n_classes > 0 && c->n_classes != nout) {
    sa__errf(err, errlen, "auxiliary output units (%d outputs, %d classes) "
             "need the mse loss", nout, c->n_classes);
    return SA_EINVAL;
  }
  if (!(c->lr > 0) || !isfinite(c->lr) || !(c->bias_lr_scale >= 0) ||
      !isfinite(c->bias_lr_scale)) {
    sa__errf(err, errlen, "lr must be > 0 and bias_lr_scale >= 0");
    return SA_EINVAL;
  }
  if (!(c->momentum >= 0 && c->momentum < 1) || !(c->weight_decay >= 0) ||
      !isfinite(c->weight_decay)) {
    sa__errf(err, errlen, "momentum must be in [0, 1) and weight decay "
             ">= 0");
    return SA_EINVAL;
  }
  if (!(c->adam_beta1 >= 0 && c->adam_beta1 < 1) ||
      !(c->adam_beta2 >= 0 && c->adam_beta2 < 1) || !(c->adam_eps > 0)) {
    sa__errf(err, errlen, "Adam needs beta1, beta2 in [0, 1) and eps > 0");
    return SA_EINVAL;
  }
  if (c->batch < 1 || c->batch > 1 << 20) {
    sa__errf(err, errlen, "batch size must be 1..1048576, got %d",
             c->batch);
    return SA_EINVAL;
  }
  if (!(c->kp_decay > 0 && c->kp_decay <= 1)) {
    sa__errf(err, errlen, "the Kolen-Pollack decay must be in (0, 1]");
    return SA_EINVAL;
  }
  if (!(c->wm_lr > 0) || !(c->wm_noise > 0) ||
      !(c->wm_decay >= 0 && c->wm_decay < 1) || c->wm_pre_steps < -1) {
    sa__errf(err, errlen, "weight mirror: lr and noise must be > 0, decay "
             "in [0, 1), pre-steps >= -1");
    return SA_EINVAL;
  }
  if (!(c->gait_gamma > 0 && c->gait_gamma <= 1) ||
      !(c->ortho_lambda >= 0) || !isfinite(c->ortho_lambda) ||
      c->ortho_every < 1) {
    sa__errf(err, errlen, "GAIT-prop gamma must be in (0, 1], the "
             "orthogonality weight >= 0, its interval >= 1");
    return SA_EINVAL;
  }
  return 0;
}

/* Standard deviation of the init law for a layer of fan_in -> fan_out;
 * the fixed feedback matrices are drawn from the same law. */
static double init_std(int init, int fan_in, int fan_out)
{
  switch (init) {
  case SA_INIT_AKROUT:
    return sqrt(1.0 / (fan_in + fan_out));
  case SA_INIT_XAVIER:
    return sqrt(2.0 / (fan_in + fan_out));
  case SA_INIT_HE:
    return sqrt(2.0 / fan_in);
  default:                  /* orthogonal: entries have variance 1/n */
    return sqrt(1.0 / (fan_in > fan_out ? fan_in : fan_out));
  }
}

static void *xcalloc(size_t n, size_t size, int *fail)
{
  void *p = calloc(n, size);
  if (p == NULL)
    *fail = 1;
  return p;
}

void sa_mlp_destroy(sa_mlp *net)
{
  if (net == NULL)
    return;
  if (net->fb != NULL && net->fb->destroy != NULL)
    net->fb->destroy(net);
  for (int l = 0; l <= MAXL; l++) {
    free(net->W[l]), free(net->b[l]), free(net->Bt[l]);
    free(net->gW[l]), free(net->gb[l]), free(net->sW[l]), free(net->sb[l]);
    free(net->mW[l]), free(net->vW[l]), free(net->mb[l]), free(net->vb[l]);
    free(net->Z[l]), free(net->A[l]), free(net->D[l]), free(net->D2[l]);
  }
  free(net->EL);
  free(net->xbuf);
  free(net->ybuf);
  free(net->scratch);
  free(net->ortho_M);
  free(net->pk_run), free(net->pk_nz), free(net->pk_x), free(net->pk_w);
  free(net);
}

int sa_mlp_create(sa_mlp **out, const sa_learn_config *cfg, char *err,
                  size_t errlen)
{
  *out = NULL;
  int rc = check_config(cfg, err, errlen);
  if (rc < 0)
    return rc;
  const sa_fb_vt *fb = sa__fb_get(cfg->algo);
  if (fb == NULL) {
    sa__errf(err, errlen, "unknown algorithm '%s'",
             cfg->algo ? cfg->algo : "(null)");
    return SA_ENOENT;
  }
  sa_mlp *net = calloc(1, sizeof *net);
  if (net == NULL)
    return SA_ENOMEM;
  net->cfg = *cfg;
  net->cfg.algo = fb->name;     /* static: outlives the caller's string */
  net->fb = fb;
  net->L = cfg->n_sizes - 1;
  for (int i = 0; i <= net->L; i++)
    net->n[i] = cfg->sizes[i];
  net->n_classes = cfg->n_classes > 0 ? cfg->n_classes : net->n[net->L];
  net->out_act = cfg->loss == SA_LOSS_SIGMOID_CE ? SA_ACT_SIGMOID
                 : cfg->loss == SA_LOSS_SOFTMAX_CE ? SA_ACT_LINEAR
                 : cfg->out_act >= 0 ? cfg->out_act : cfg->act;
  if (fb->check != NULL && (rc = fb->check(net, err, errlen)) < 0) {
    free(net);
    return rc;
  }
  net->cap = cfg->batch > MIN_CAP ? cfg->batch : MIN_CAP;
  int fail = 0;
  size_t maxw = 0, maxsq = 0;
  int maxn = 0;
  for (int l = 0; l <= net->L; l++) {
    size_t rows = (size_t)net->cap * net->n[l];
    maxn = net->n[l] > maxn ? net->n[l] : maxn;
    if (l > 0) {
      net->Z[l] = xcalloc(rows, sizeof(float), &fail);
      net->A[l] = xcalloc(rows, sizeof(float), &fail);
      net->D[l] = xcalloc(rows, sizeof(float), &fail);
      net->D2[l] = xcalloc(rows, sizeof(float), &fail);
    }
    if (l == 0)
      continue;
    size_t nw = (size_t)net->n[l] * net->n[l - 1];
    maxw = nw > maxw ? nw : maxw;
    size_t sq = (size_t)net->n[l] * net->n[l];
    maxsq = sq > maxsq ? sq : maxsq;
    net->W[l] = xcalloc(nw, sizeof(float), &fail);
    net->gW[l] = xcalloc(nw, sizeof(float), &fail);
    net->sW[l] = xcalloc(nw, sizeof(float), &fail);
    net->b[l] = xcalloc(net->n[l], sizeof(float), &fail);
    net->gb[l] = xcalloc(net->n[l], sizeof(float), &fail);
    net->sb[l] = xcalloc(net->n[l], sizeof(float), &fail);
    if (cfg->optim == SA_OPTIM_ADAM || cfg->momentum > 0) {
      net->mW[l] = xcalloc(nw, sizeof(float), &fail);
      net->mb[l] = xcalloc(net->n[l], sizeof(float), &fail);
    }
    if (cfg->optim == SA_OPTIM_ADAM) {
      net->vW[l] = xcalloc(nw, sizeof(float), &fail);
      net->vb[l] = xcalloc(net->n[l], sizeof(float), &fail);
    }
    if (fb->stores_b)
      net->Bt[l] = xcalloc(nw, sizeof(float), &fail);
  }
  net->EL = xcalloc((size_t)net->cap * net->n[net->L], sizeof(float), &fail);
  net->xbuf = xcalloc((size_t)net->cap * net->n[0], sizeof(float), &fail);
  net->ybuf = xcalloc((size_t)net->cap, 1, &fail);
  net->scratch = xcalloc(maxw > maxsq ? maxw : maxsq, sizeof(float), &fail);
  if (cfg->ortho_lambda > 0)
    net->ortho_M = xcalloc(maxsq, sizeof(float), &fail);
  int n0 = net->n[0];
  net->pk_mode = SA__PACK_AUTO;
  net->pk_run = xcalloc((size_t)n0 + 1, 2 * sizeof(int), &fail);
  net->pk_nz = xcalloc((size_t)n0, sizeof(uint32_t), &fail);
  net->pk_x = xcalloc((size_t)net->cap * n0, sizeof(float), &fail);
  net->pk_w = xcalloc((size_t)net->n[1] * n0, sizeof(float), &fail);
  if (fail) {
    sa_mlp_destroy(net);
    return SA_ENOMEM;
  }
  /* Forward weights: one stream per layer, independent of the strategy,
   * so every algorithm starts from the same W for a seed. */
  for (int l = 1; l <= net->L; l++) {
    int fi = net->n[l - 1], fo = net->n[l];
    double sd = init_std(cfg->init, fi, fo);
    net->init_std[l] = sd;
    if (cfg->init == SA_INIT_ORTHOGONAL) {
      rc = sa__orthogonal(net->W[l], fo, fi, cfg->seed, SA_LRNG_W, l);
      if (rc < 0) {
        sa_mlp_destroy(net);
        return rc;
      }
    } else {
      sa__draw_matrix(net->W[l], fo, fi, sd, cfg->init == SA_INIT_XAVIER,
                      cfg->seed, SA_LRNG_W, l, 0);
    }
    if (cfg->init == SA_INIT_AKROUT)
      sa__draw_matrix(net->b[l], 1, fo, sd, 0, cfg->seed, SA_LRNG_BIAS, l,
                      0);
    /* Stored feedback starts from the same law as W (fa, wm, kp). */
    if (net->Bt[l] != NULL)
      sa__draw_matrix(net->Bt[l], fo, fi, sd, cfg->init == SA_INIT_XAVIER,
                      cfg->seed, SA_LRNG_B, l, 0);
  }
  if (fb->init != NULL && (rc = fb->init(net)) < 0) {
    sa__errf(err, errlen, "%s", net->err[0] ? net->err : sa_strerror(rc));
    sa_mlp_destroy(net);
    return rc;
  }
  net->wver = 1;
  *out = net;
  return 0;
}

const char *sa_mlp_errmsg(const sa_mlp *net) { return net->err; }
const sa_learn_config *sa_mlp_config(const sa_mlp *net) { return &net->cfg; }
int sa_mlp_layers(const sa_mlp *net) { return net->L; }
int sa_mlp_size(const sa_mlp *net, int i)
{
  return i >= 0 && i <= net->L ? net->n[i] : 0;
}

/* ---- weights and feedback in / out ------------------------------------ */

int sa_mlp_get_weights(const sa_mlp *net, int l, float *W, float *b)
{
  if (l < 1 || l > net->L)
    return SA_EINVAL;
  if (W != NULL)
    memcpy(W, net->W[l], (size_t)net->n[l] * net->n[l - 1] * sizeof *W);
  if (b != NULL)
    memcpy(b, net->b[l], (size_t)net->n[l] * sizeof *b);
  return 0;
}

int sa_mlp_set_weights(sa_mlp *net, int l, const float *W, const float *b)
{
  if (l < 1 || l > net->L)
    return SA_EINVAL;
  if (W != NULL)
    memcpy(net->W[l], W, (size_t)net->n[l] * net->n[l - 1] * sizeof *W);
  if (b != NULL)
    memcpy(net->b[l], b, (size_t)net->n[l] * sizeof *b);
  net->wver++;
  return 0;
}

/* The strategy's effective feedback for layer l in W's shape. */
static int feedback_wshape(sa_mlp *net, int l, float *Bt)
{
  if (net->fb->feedback != NULL)
    return net->fb->feedback(net, l, Bt);
  const float *src = net->Bt[l] != NULL ? net->Bt[l] : net->W[l];
  memcpy(Bt, src, (size_t)net->n[l] * net->n[l - 1] * sizeof *Bt);
  return 1;
}

int sa_mlp_get_feedback(sa_mlp *net, int l, float *B)
{
  if (l < 1 || l > net->L)
    return SA_EINVAL;
  int r = net->n[l], c = net->n[l - 1];
  int rc = 0;
  /* Sign symmetry derives B from the current W: bring it up to date. */
  if (net->fb->batch_begin != NULL && (rc = net->fb->batch_begin(net)) < 0)
    return rc;
  rc = feedback_wshape(net, l, net->scratch);
  if (rc < 0)
    return rc;
  if (rc == 0)
    return sa__set_err(net, SA_ENOENT, "%s has no feedback matrix at layer "
                       "%d", net->fb->name, l);
  for (int i = 0; i < r; i++)
    for (int j = 0; j < c; j++)
      B[(size_t)j * r + i] = net->scratch[(size_t)i * c + j];
  return 0;
}

int sa_mlp_set_feedback(sa_mlp *net, int l, const float *B)
{
  if (l < 1 || l > net->L)
    return SA_EINVAL;
  if (!net->fb->stores_b || net->Bt[l] == NULL)
    return sa__set_err(net, SA_ENOTSUP, "%s derives its feedback at layer "
                       "%d; it cannot be set", net->fb->name, l);
  int r = net->n[l], c = net->n[l - 1];
  for (int i = 0; i < r; i++)
    for (int j = 0; j < c; j++)
      net->Bt[l][(size_t)i * c + j] = B[(size_t)j * r + i];
  return 0;
}

int sa_mlp_feedback_steps(sa_mlp *net, int n)
{
  if (net->fb->feedback_steps == NULL)
    return sa__set_err(net, SA_ENOTSUP, "%s learns no feedback of its own",
                       net->fb->name);
  if (n < 0)
    return SA_EINVAL;
  return net->fb->feedback_steps(net, n);
}

/* ---- layer 1 on the non-zero input columns -------------------------- */

/* Image inputs are mostly exact zeros: in an MNIST minibatch of 128 about
 * a third of the 784 pixels are zero in every sample (the border). Layer
 * 1's two products, Z_1 = X W_1^T and dW_1 = D_1^T X, need only the
 * columns of X that are non-zero somewhere in the batch, so they are
 * packed, with the matching columns of W_1, into dense bs x K and n_1 x K
 * blocks and multiplied with K in place of n_0. The terms dropped are
 * exact zeros (x = 0, w finite), so this changes only the order in which
 * sgemm sums the others; a dropped column's gradient is exactly zero.
 * Columns are copied run by run: non-zero pixels come in runs along image
 * rows (~25 runs of ~20 columns per MNIST batch). The copies (X and W_1
 * gathered, W_1's columns written back) are ~12 % of an epoch, the
 * products they save ~30 %: with one BLAS thread an Akrout bp epoch took
 * 0.71-0.84x the CPU time of the dense one (interleaved runs, busy
 * machine; bench/README.md). */

void sa__mlp_set_packing(sa_mlp *net, int mode) { net->pk_mode = mode; }

int sa__mlp_packed_columns(const sa_mlp *net)
{
  return net->pk_on ? net->pk_k : -1;
}

/* nz[k] != 0 iff column k of x is non-zero (or NaN: kept) in some row:
 * the OR of the bit patterns without the sign, so -0 counts as zero.
 * 32-bit integer lanes vectorise fully; a compare into bytes did less. */
SA_LEARN_CLONES
static void nonzero_columns(uint32_t *nz, const float *x, int bs, int n)
{
  memset(nz, 0, (size_t)n * sizeof *nz);
  for (int r = 0; r < bs; r++) {
    const float *xr = x + (size_t)r * n;
    for (int k = 0; k < n; k++) {
      uint32_t b;
      memcpy(&b, xr + k, sizeof b);
      nz[k] |= b & 0x7fffffffu;
    }
  }
}

/* d[0..len) = s[0..len) for the short runs here (~20 floats): fixed-size
 * copies the compiler inlines as vector moves, the last one overlapping
 * the one before (same values). A memcpy call per run was ~3 % slower per
 * epoch (its call and size dispatch cost about what the copy does). */
static inline void copy_run(float *restrict d, const float *restrict s,
                            int len)
{
  if (len >= 8) {
    int q = 0;
    for (; q + 8 <= len; q += 8)
      memcpy(d + q, s + q, 8 * sizeof *d);
    if (q < len)
      memcpy(d + len - 8, s + len - 8, 8 * sizeof *d);
  } else if (len >= 4) {
    memcpy(d, s, 4 * sizeof *d);
    memcpy(d + len - 4, s + len - 4, 4 * sizeof *d);
  } else {
    d[0] = s[0];
    if (len > 1)
      d[1] = s[1];
    if (len > 2)
      d[2] = s[2];
  }
}

/* Copy the kept columns of the rows x rows of src (stride n) into dst
 * (stride net->pk_k). */
SA_LEARN_CLONES
static void gather_cols(const sa_mlp *net, float *dst, const float *src,
                        int rows, int n)
{
  int k = net->pk_k;
  for (int r = 0; r < rows; r++) {
    const float *s = src + (size_t)r * n;
    float *d = dst + (size_t)r * k;
    for (int j = 0; j < net->pk_nrun; j++) {
      int at = net->pk_run[2 * j], len = net->pk_run[2 * j + 1];
      copy_run(d, s + at, len);
      d += len;
    }
  }
}

static void pack_input(sa_mlp *net, const float *x, int bs)
{
  int n = net->n[0];
  net->pk_on = 0;
  net->pk_src = x;
  net->pk_bs = bs;
  if (net->pk_mode == SA__PACK_NEVER)
    return;
  nonzero_columns(net->pk_nz, x, bs, n);
  int k = 0, nrun = 0;
  for (int c = 0; c < n;) {
    if (!net->pk_nz[c]) {
      c++;
      continue;
    }
    int at = c;
    while (c < n && net->pk_nz[c])
      c++;
    net->pk_run[2 * nrun] = at;
    net->pk_run[2 * nrun + 1] = c - at;
    nrun++;
    k += c - at;
  }
  /* With few zero columns (Fashion-MNIST: 12 of 784 in a batch of 128)
   * the copies would cost about what they save: stay dense below 1/8. */
  if (net->pk_mode == SA__PACK_AUTO && k > n - n / 8)
    return;
  net->pk_k = k, net->pk_nrun = nrun;
  gather_cols(net, net->pk_x, x, bs, n);
  gather_cols(net, net->pk_w, net->W[1], net->n[1], n);
  net->pk_wver = net->wver;
  net->pk_on = 1;
}

/* Copy pk_w (n_1 x pk_k) into the kept columns of W (n_1 x n_0). */
SA_LEARN_CLONES
static void scatter_cols(const sa_mlp *net, float *W, int rows, int n)
{
  int k = net->pk_k;
  for (int r = 0; r < rows; r++) {
    const float *s = net->pk_w + (size_t)r * k;
    float *d = W + (size_t)r * n;
    for (int j = 0; j < net->pk_nrun; j++) {
      int at = net->pk_run[2 * j], len = net->pk_run[2 * j + 1];
      copy_run(d + at, s, len);
      s += len;
    }
  }
}

/* dW = a D_l^T A_{l-1} + beta dW (beta 0 or 1), A_0 = x. For a packed
 * layer 1 only the kept columns are multiplied, in pk_w, and a dropped
 * column gets what the dense product gives it, zero (beta 0: written,
 * beta 1: unchanged). The fused SGD step (dW = W_1, beta 1) accumulates
 * into the copy of W_1's kept columns the forward pass left in pk_w and
 * copies them back: one pass fewer over W_1 than scattering a sum. */
static void weight_grad(sa_mlp *net, int l, const float *x, int bs, float a,
                        float beta, float *dW)
{
  int no = net->n[l], ni = net->n[l - 1];
  if (l > 1 || !net->pk_on || net->pk_src != x || net->pk_bs != bs) {
    const float *in = l == 1 ? x : net->A[l - 1];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, ni, bs, a,
                net->D[l], no, in, ni, beta, dW, ni);
    return;
  }
  int k = net->pk_k;
  float *G = net->pk_w;
  if (k == 0) {
    if (beta == 0.0f)
      memset(dW, 0, (size_t)no * ni * sizeof *dW);
    return;
  }
  if (beta != 0.0f && dW == net->W[1] && net->pk_wver == net->wver) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, k, bs, a,
                net->D[l], no, net->pk_x, k, 1.0f, G, k);
    scatter_cols(net, dW, no, ni);
    net->pk_wver = 0;   /* pk_w is W_1's again only after the next gather */
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, k, bs, a,
              net->D[l], no, net->pk_x, k, 0.0f, G, k);
  for (int i = 0; i < no; i++) {
    float *w = dW + (size_t)i * ni;
    const float *g = G + (size_t)i * k;
    int c = 0;
    for (int j = 0; j < net->pk_nrun; j++) {
      int at = net->pk_run[2 * j], len = net->pk_run[2 * j + 1];
      if (beta == 0.0f) {
        memset(w + c, 0, (size_t)(at - c) * sizeof *w);
        copy_run(w + at, g, len);
      } else {
        for (int q = 0; q < len; q++)
          w[at + q] += g[q];
      }
      g += len;
      c = at + len;
    }
    if (beta == 0.0f)
      memset(w + c, 0, (size_t)(ni - c) * sizeof *w);
  }
}

/* ---- forward, loss, backward ------------------------------------------ */

/* A_0 is the caller's x itself (A[0] is never allocated). */
void sa__forward(sa_mlp *net, const float *x, int bs)
{
  pack_input(net, x, bs);
  const float *in = x;
  for (int l = 1; l <= net->L; l++) {
    int no = net->n[l], ni = net->n[l - 1];
    float *Z = net->Z[l];
    for (int r = 0; r < bs; r++)
      memcpy(Z + (size_t)r * no, net->b[l], (size_t)no * sizeof *Z);
    if (l == 1 && net->pk_on) {
      int k = net->pk_k;
      if (k > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, no, k,
                    1.0f, net->pk_x, k, net->pk_w, k, 1.0f, Z, no);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, no, ni, 1.0f,
                  in, ni, net->W[l], ni, 1.0f, Z, no);
    }
    sa__act_apply(sa__act_of_layer(net, l), net->A[l], Z, (size_t)bs * no);
    in = net->A[l];
  }
}

/* Loss of the forward pass in Z/A against labels y; fills D[L] = dL/dZ_L
 * and EL = dL/dA_L (want_delta), *loss_sum (sum over samples) and
 * *correct (argmax over the class units). Softmax is applied here, in
 * place of A_L. Auxiliary units (beyond n_classes) are their own target:
 * zero error. */
static void loss_delta(sa_mlp *net, const uint8_t *y, int bs, int want_delta,
                       double *loss_sum, int *correct)
{
  int L = net->L, no = net->n[L], nc = net->n_classes;
  double sum = 0;
  int ok = 0;
  for (int r = 0; r < bs; r++) {
    const float *z = net->Z[L] + (size_t)r * no;
    float *a = net->A[L] + (size_t)r * no;
    float *d = net->D[L] + (size_t)r * no;
    float *e = net->EL + (size_t)r * no;
    int t = y[r];
    int best = 0;
    for (int k = 1; k < nc; k++)
      if (z[k] > z[best])
        best = k;
    ok += best == t;
    switch (net->cfg.loss) {
    case SA_LOSS_SIGMOID_CE:
      for (int k = 0; k < no; k++) {
        double zk = z[k], tk = k == t;
        /* log(1 + e^-|z|) form: finite for any logit. */
        sum += (zk > 0 ? zk : 0) - zk * tk + log1p(exp(-fabs(zk)));
        if (want_delta) {
          d[k] = a[k] - (float)tk;
          e[k] = d[k];
        }
      }
      break;
    case SA_LOSS_SOFTMAX_CE: {
      float mx = z[0];
      for (int k = 1; k < no; k++)
        mx = z[k] > mx ? z[k] : mx;
      double den = 0;
      for (int k = 0; k < no; k++)
        den += exp((double)z[k] - mx);
      sum += log(den) - ((double)z[t] - mx);
      for (int k = 0; k < no; k++) {
        a[k] = (float)(exp((double)z[k] - mx) / den);
        if (want_delta) {
          d[k] = a[k] - (k == t ? 1.0f : 0.0f);
          e[k] = d[k];
        }
      }
      break;
    }
    default:
      for (int k = 0; k < no; k++) {
        float diff = k < nc ? a[k] - (k == t ? 1.0f : 0.0f) : 0.0f;
        sum += 0.5 * (double)diff * diff;
        if (want_delta)
          e[k] = d[k] = diff;
      }
      if (want_delta)
        sa__act_grad_mul(net->out_act, d, z, a, (size_t)no);
    }
  }
  *loss_sum = sum;
  *correct = ok;
}

int sa__backward_chain(sa_mlp *net, int bs, float **D)
{
  for (int l = net->L; l >= 2; l--) {
    int no = net->n[l], ni = net->n[l - 1];
    const float *F = net->Bt[l] != NULL ? net->Bt[l] : net->W[l];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, ni, no, 1.0f,
                D[l], no, F, ni, 0.0f, D[l - 1], ni);
    sa__act_grad_mul(sa__act_of_layer(net, l - 1), D[l - 1], net->Z[l - 1],
                     net->A[l - 1], (size_t)bs * ni);
  }
  return 0;
}

/* Backprop's deltas into D, whatever the strategy (alignment metrics). */
static void backward_bp(sa_mlp *net, int bs, float **D)
{
  for (int l = net->L; l >= 2; l--) {
    int no = net->n[l], ni = net->n[l - 1];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, ni, no, 1.0f,
                D[l], no, net->W[l], ni, 0.0f, D[l - 1], ni);
    sa__act_grad_mul(sa__act_of_layer(net, l - 1), D[l - 1], net->Z[l - 1],
                     net->A[l - 1], (size_t)bs * ni);
  }
}

/* Off-diagonal orthogonality penalty sum_{i!=j} ((W W^T)_ij)^2 (GAIT-prop,
 * §5a): gradient 4 (M - diag M) W with M = W W^T. */
static void ortho_grad(sa_mlp *net)
{
  double lam = net->cfg.ortho_lambda;
  if (!(lam > 0) || net->step % (uint64_t)net->cfg.ortho_every != 0)
    return;
  for (int l = 1; l <= net->L; l++) {
    int no = net->n[l], ni = net->n[l - 1];
    float *M = net->ortho_M;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, no, no, ni, 1.0f,
                net->W[l], ni, net->W[l], ni, 0.0f, M, no);
    for (int i = 0; i < no; i++)
      M[(size_t)i * no + i] = 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, no, ni, no,
                (float)(4.0 * lam), M, no, net->W[l], ni, 1.0f, net->gW[l],
                ni);
  }
}

static int check_batch(sa_mlp *net, const uint8_t *y, int bs)
{
  if (bs < 1 || bs > net->cfg.batch)
    return sa__set_err(net, SA_EINVAL, "batch of %d samples (1..%d)", bs,
                       net->cfg.batch);
  for (int r = 0; r < bs; r++)
    if (y[r] >= net->n_classes)
      return sa__set_err(net, SA_EINVAL, "label %u out of range (%d "
                         "classes)", y[r], net->n_classes);
  return 0;
}

/* Forward, loss, the strategy's backward, gradients into gW/gb. */
/* Forward, loss, the strategy's backward, then sW/sB-shaped products
 * scale * mean(delta h^T) into dW and scale_b * mean(delta) into db. */
static int backprop_into(sa_mlp *net, const float *x, const uint8_t *y,
                         int bs, double *loss, float scale, float scale_b,
                         float **dW, float **db)
{
  int rc;
  if (net->fb->batch_begin != NULL && (rc = net->fb->batch_begin(net)) < 0)
    return rc;
  sa__forward(net, x, bs);
  double lsum;
  int ok;
  loss_delta(net, y, bs, 1, &lsum, &ok);
  if (loss != NULL)
    *loss = lsum / bs;
  rc = net->fb->backward != NULL ? net->fb->backward(net, bs, net->D)
                                 : sa__backward_chain(net, bs, net->D);
  if (rc < 0)
    return rc;
  float a = scale / (float)bs, ab = scale_b / (float)bs;
  for (int l = 1; l <= net->L; l++) {
    int no = net->n[l];
    weight_grad(net, l, x, bs, a, 0.0f, dW[l]);
    float *gb = db[l];
    memset(gb, 0, (size_t)no * sizeof *gb);
    for (int r = 0; r < bs; r++) {
      const float *d = net->D[l] + (size_t)r * no;
      for (int k = 0; k < no; k++)
        gb[k] += d[k];
    }
    for (int k = 0; k < no; k++)
      gb[k] *= ab;
  }
  return 0;
}

/* Forward, loss, the strategy's backward, gradients into gW/gb. */
static int compute_grads(sa_mlp *net, const float *x, const uint8_t *y,
                         int bs, double *loss)
{
  int rc = backprop_into(net, x, y, bs, loss, 1.0f, 1.0f, net->gW, net->gb);
  if (rc < 0)
    return rc;
  ortho_grad(net);
  return 0;
}

/* The optimiser turns (gW, gb) into steps (sW, sb); weight decay is an L2
 * term on W only. */
static void optimise(sa_mlp *net)
{
  const sa_learn_config *c = &net->cfg;
  float lr = (float)c->lr, lrb = (float)(c->lr * c->bias_lr_scale);
  float wd = (float)c->weight_decay, mu = (float)c->momentum;
  double t = (double)(net->step + 1);
  float b1 = (float)c->adam_beta1, b2 = (float)c->adam_beta2;
  float eps = (float)c->adam_eps;
  float c1 = 1.0f, c2 = 1.0f;
  if (c->optim == SA_OPTIM_ADAM && c->adam_bias_correction) {
    c1 = (float)(1.0 / (1.0 - pow(c->adam_beta1, t)));
    c2 = (float)(1.0 / (1.0 - pow(c->adam_beta2, t)));
  }
  for (int l = 1; l <= net->L; l++) {
    for (int part = 0; part < 2; part++) {
      size_t n = part == 0 ? (size_t)net->n[l] * net->n[l - 1]
                           : (size_t)net->n[l];
      const float *g = part == 0 ? net->gW[l] : net->gb[l];
      const float *w = part == 0 ? net->W[l] : net->b[l];
      float *s = part == 0 ? net->sW[l] : net->sb[l];
      float *m = part == 0 ? net->mW[l] : net->mb[l];
      float *v = part == 0 ? net->vW[l] : net->vb[l];
      float rate = part == 0 ? lr : lrb;
      float decay = part == 0 ? wd : 0.0f;
      if (c->optim == SA_OPTIM_ADAM) {
        for (size_t i = 0; i < n; i++) {
          float gi = g[i] + decay * w[i];
          m[i] = b1 * m[i] + (1.0f - b1) * gi;
          v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
          s[i] = -rate * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
        }
      } else if (m != NULL) {
        for (size_t i = 0; i < n; i++) {
          m[i] = mu * m[i] + g[i] + decay * w[i];
          s[i] = -rate * m[i];
        }
      } else {
        for (size_t i = 0; i < n; i++)
          s[i] = -rate * (g[i] + decay * w[i]);
      }
    }
  }
}

static void apply_steps(sa_mlp *net)
{
  for (int l = 1; l <= net->L; l++) {
    if (net->fb->apply != NULL) {
      net->fb->apply(net, l);
      continue;
    }
    size_t n = (size_t)net->n[l] * net->n[l - 1];
    float *w = net->W[l];
    const float *s = net->sW[l];
    for (size_t i = 0; i < n; i++)
      w[i] += s[i];
    for (int k = 0; k < net->n[l]; k++)
      net->b[l][k] += net->sb[l][k];
  }
  net->wver++;
}

int sa_mlp_gradients(sa_mlp *net, const float *x, const uint8_t *y, int bs,
                     float *const *gW, float *const *gb, double *loss)
{
  int rc = check_batch(net, y, bs);
  if (rc < 0)
    return rc;
  if ((rc = compute_grads(net, x, y, bs, loss)) < 0)
    return rc;
  for (int l = 1; l <= net->L; l++) {
    if (gW != NULL && gW[l - 1] != NULL)
      memcpy(gW[l - 1], net->gW[l],
             (size_t)net->n[l] * net->n[l - 1] * sizeof(float));
    if (gb != NULL && gb[l - 1] != NULL)
      memcpy(gb[l - 1], net->gb[l], (size_t)net->n[l] * sizeof(float));
  }
  return 0;
}

/* Plain SGD (no momentum, decay, regulariser or custom apply) needs no
 * gradient buffer: sgemm accumulates -lr/bs * delta^T h straight into W,
 * which saves three passes over every weight matrix per step (~20 % of an
 * Akrout epoch). */
static int plain_sgd(const sa_mlp *net)
{
  const sa_learn_config *c = &net->cfg;
  return c->optim == SA_OPTIM_SGD && c->momentum == 0 &&
         c->weight_decay == 0 && !(c->ortho_lambda > 0) &&
         net->fb->apply == NULL;
}

static int plain_sgd_apply(const sa_mlp *net)
{
  const sa_learn_config *c = &net->cfg;
  return c->optim == SA_OPTIM_SGD && c->momentum == 0 &&
         c->weight_decay == 0 && !(c->ortho_lambda > 0) &&
         net->fb->apply != NULL;
}

static int fused_sgd_step(sa_mlp *net, const float *x, const uint8_t *y,
                          int bs, double *loss)
{
  int rc;
  if (net->fb->batch_begin != NULL && (rc = net->fb->batch_begin(net)) < 0)
    return rc;
  sa__forward(net, x, bs);
  double lsum;
  int ok;
  loss_delta(net, y, bs, 1, &lsum, &ok);
  if (loss != NULL)
    *loss = lsum / bs;
  rc = net->fb->backward != NULL ? net->fb->backward(net, bs, net->D)
                                 : sa__backward_chain(net, bs, net->D);
  if (rc < 0)
    return rc;
  float a = (float)(-net->cfg.lr / bs);
  float ab = (float)(-net->cfg.lr * net->cfg.bias_lr_scale / bs);
  for (int l = 1; l <= net->L; l++) {
    int no = net->n[l];
    weight_grad(net, l, x, bs, a, 1.0f, net->W[l]);
    float *gb = net->gb[l];
    memset(gb, 0, (size_t)no * sizeof *gb);
    for (int r = 0; r < bs; r++) {
      const float *d = net->D[l] + (size_t)r * no;
      for (int k = 0; k < no; k++)
        gb[k] += d[k];
    }
    for (int k = 0; k < no; k++)
      net->b[l][k] += ab * gb[k];
  }
  net->wver++;
  return 0;
}

int sa_mlp_step(sa_mlp *net, const float *x, const uint8_t *y, int bs,
                double *loss)
{
  int rc = check_batch(net, y, bs);
  if (rc < 0)
    return rc;
  if (plain_sgd(net)) {
    if ((rc = fused_sgd_step(net, x, y, bs, loss)) < 0)
      return rc;
  } else if (plain_sgd_apply(net)) {
    /* Plain SGD with a strategy's own apply (kp): the step is -lr times
     * the gradient, so produce it directly in sW/sb. */
    float lr = (float)net->cfg.lr;
    float lrb = (float)(net->cfg.lr * net->cfg.bias_lr_scale);
    rc = backprop_into(net, x, y, bs, loss, -lr, -lrb, net->sW, net->sb);
    if (rc < 0)
      return rc;
    apply_steps(net);
  } else {
    if ((rc = compute_grads(net, x, y, bs, loss)) < 0)
      return rc;
    optimise(net);
    apply_steps(net);
  }
  net->step++;
  if (net->fb->after_step != NULL && (rc = net->fb->after_step(net)) < 0)
    return rc;
  return 0;
}

/* ---- evaluation and metrics ------------------------------------------- */

int sa_mlp_evaluate(sa_mlp *net, const float *x, const uint8_t *y, size_t n,
                    double *accuracy, double *loss)
{
  if (n == 0)
    return SA_EINVAL;
  double lsum = 0;
  long ok = 0;
  for (size_t i = 0; i < n; i += (size_t)net->cap) {
    int bs = n - i < (size_t)net->cap ? (int)(n - i) : net->cap;
    for (int r = 0; r < bs; r++)
      if (y[i + r] >= net->n_classes)
        return sa__set_err(net, SA_EINVAL, "label %u out of range",
                           y[i + r]);
    sa__forward(net, x + i * net->n[0], bs);
    double s;
    int c;
    loss_delta(net, y + i, bs, 0, &s, &c);
    lsum += s;
    ok += c;
  }
  if (accuracy != NULL)
    *accuracy = 100.0 * (double)ok / (double)n;
  if (loss != NULL)
    *loss = lsum / (double)n;
  return 0;
}

/* Angle in degrees between two vectors (ALGORITHMS.md §0); NaN if either
 * is zero: the library's one implementation (sim/metrics.c), accumulated
 * in double (the vectors have ~4e5 entries). */
static double angle_deg(const float *a, const float *b, size_t n, double *na,
                        double *nb)
{
  return sa_angle_deg_f(a, b, n, na, nb);
}

int sa_mlp_alignment(sa_mlp *net, const float *x, const uint8_t *y, int bs,
                     sa_epoch_metrics *m)
{
  int rc = check_batch(net, y, bs);
  if (rc < 0)
    return rc;
  for (int l = 0; l < MAXL; l++)
    m->weight_angle[l] = m->delta_angle[l] = m->norm_ratio[l] = NAN;
  if (net->fb->batch_begin != NULL && (rc = net->fb->batch_begin(net)) < 0)
    return rc;
  for (int l = 1; l <= net->L; l++) {
    size_t nw = (size_t)net->n[l] * net->n[l - 1];
    rc = feedback_wshape(net, l, net->scratch);
    if (rc < 0)
      return rc;
    if (rc == 0)
      continue;
    double nW, nB;
    m->weight_angle[l - 1] = angle_deg(net->W[l], net->scratch, nw, &nW,
                                       &nB);
    m->norm_ratio[l - 1] = nW > 0 ? nB / nW : NAN;
  }
  sa__forward(net, x, bs);
  double lsum;
  int ok;
  loss_delta(net, y, bs, 1, &lsum, &ok);
  memcpy(net->D2[net->L], net->D[net->L],
         (size_t)bs * net->n[net->L] * sizeof(float));
  backward_bp(net, bs, net->D2);
  rc = net->fb->backward != NULL ? net->fb->backward(net, bs, net->D)
                                 : sa__backward_chain(net, bs, net->D);
  if (rc < 0)
    return rc;
  for (int l = 1; l < net->L; l++) {
    int n = net->n[l], used = 0;
    double sum = 0;
    for (int r = 0; r < bs; r++) {
      double a = angle_deg(net->D2[l] + (size_t)r * n,
                           net->D[l] + (size_t)r * n, (size_t)n, NULL, NULL);
      if (!isnan(a))
        sum += a, used++;
    }
    m->delta_angle[l - 1] = used > 0 ? sum / used : NAN;
  }
  return 0;
}

static double clock_s(clockid_t id)
{
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0)
    return NAN;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

int sa_mlp_train_epoch(sa_mlp *net, const sa_dataset *ds, int epoch,
                       sa_epoch_metrics *m)
{
  memset(m, 0, sizeof *m);
  m->epoch = epoch;
  size_t dim = sa_dataset_dim(ds), n = sa_dataset_count(ds, SA_SPLIT_TRAIN);
  if (dim != (size_t)net->n[0])
    return sa__set_err(net, SA_EINVAL, "the data has %zu inputs, the "
                       "network %d", dim, net->n[0]);
  if (sa_dataset_classes(ds) > net->n_classes)
    return sa__set_err(net, SA_EINVAL, "the data has %d classes, the "
                       "network %d", sa_dataset_classes(ds), net->n_classes);
  if (n == 0 || sa_dataset_count(ds, SA_SPLIT_TEST) == 0)
    return sa__set_err(net, SA_EINVAL, "empty dataset");
  const float *X = sa_dataset_images(ds, SA_SPLIT_TRAIN);
  const uint8_t *Y = sa_dataset_labels(ds, SA_SPLIT_TRAIN);
  /* CPU time as well as wall time: on a shared machine the wall time of
   * a single-threaded run measures the neighbours, its CPU time does not. */
  double t0 = now_s(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int rc;
  if (net->fb->epoch_begin != NULL &&
      (rc = net->fb->epoch_begin(net, epoch, n)) < 0)
    return rc;
  uint32_t *perm = NULL;
  if (net->cfg.shuffle) {
    perm = malloc(n * sizeof *perm);
    if (perm == NULL)
      return SA_ENOMEM;
    sa_rng r;
    sa_rng_seed(&r, net->cfg.seed, SA_RNG_KEY(SA_LRNG_SHUFFLE, 0),
                (uint64_t)epoch);
    for (size_t i = 0; i < n; i++)
      perm[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
      size_t j = (size_t)sa_rng_below(&r, i + 1);
      uint32_t t = perm[i];
      perm[i] = perm[j], perm[j] = t;
    }
  }
  double lsum = 0;
  int bsz = net->cfg.batch;
  for (size_t i = 0; i < n; i += (size_t)bsz) {
    int bs = n - i < (size_t)bsz ? (int)(n - i) : bsz;
    const float *x = X + i * dim;
    const uint8_t *y = Y + i;
    if (perm != NULL) {
      for (int r = 0; r < bs; r++) {
        memcpy(net->xbuf + (size_t)r * dim, X + (size_t)perm[i + r] * dim,
               dim * sizeof(float));
        net->ybuf[r] = Y[perm[i + r]];
      }
      x = net->xbuf, y = net->ybuf;
    }
    double l;
    rc = sa_mlp_step(net, x, y, bs, &l);
    if (rc < 0) {
      free(perm);
      return rc;
    }
    lsum += l * bs;
  }
  free(perm);
  m->train_loss = lsum / (double)n;
  double t1 = now_s();
  m->train_seconds = t1 - t0;
  m->train_cpu_seconds = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  rc = sa_mlp_evaluate(net, sa_dataset_images(ds, SA_SPLIT_TEST),
                       sa_dataset_labels(ds, SA_SPLIT_TEST),
                       sa_dataset_count(ds, SA_SPLIT_TEST), &m->test_accuracy,
                       &m->test_loss);
  if (rc < 0)
    return rc;
  /* Probe batch for the delta angles: the first training samples, the same
   * every epoch, so the curve follows the network and not the sample. */
  int pb = n < (size_t)bsz ? (int)n : bsz;
  rc = sa_mlp_alignment(net, X, Y, pb, m);
  m->epoch = epoch;
  m->eval_seconds = now_s() - t1;
  return rc;
}

/* ---- BLAS kernel ------------------------------------------------------ */

const char *sa_learn_blas_core(void)
{
  const char *c = openblas_get_corename();
  return c != NULL ? c : "unknown";
}

const char *sa_learn_blas_better_core(void)
{
  static const char *const good[] = {"Haswell", "SkylakeX", "CooperLake",
                                     "SapphireRapids", "Zen", NULL};
  const char *core = sa_learn_blas_core();
  for (int i = 0; good[i]; i++)
    if (!strcmp(core, good[i]))
      return NULL;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return "Haswell";
#endif
  return NULL;
}
