/* sa_learn.h: rate-based networks, credit-assignment rules and image
 * datasets (the learning lab of issue #6).
 * SPDX-License-Identifier: MIT
 *
 * Everything returns 0 or a negative SA_E* code (sim/sa_sim.h); detail goes
 * into the caller's err buffer or the network's message (sa_mlp_errmsg).
 * The library never prints. Notation follows ../shared/ALGORITHMS.md §0:
 * layer l = 1..L has forward weights W_l (n_l x n_{l-1}, row-major) and
 * feedback B_l (n_{l-1} x n_l) used in place of W_l^T. */
#ifndef SA_LEARN_H
#define SA_LEARN_H

#include <stddef.h>
#include <stdint.h>
#include "sa_sim.h"

#define SA_LEARN_MAX_LAYERS 16   /* weight layers */
/* rdd, stdwi: simulated seconds per layer and epoch when
 * sa_learn_config.spike_time is 0. */
#define SA_LEARN_SPIKE_TIME_DEFAULT 20.0

/* ---- IDX files (the format MNIST and Fashion-MNIST ship in) ----------- */

/* An IDX array of unsigned bytes (type code 0x08), 1 to 4 dimensions. */
typedef struct sa_idx {
  int ndim;
  uint32_t dims[4];
  size_t count;        /* product of dims */
  uint8_t *data;       /* owned; free with sa_idx_free */
} sa_idx;

/* Read a gzip'd (or plain) IDX file. On failure *out is left empty and err
 * holds one line "PATH: what is wrong". Fails with: SA_ENOENT (no file),
 * SA_EIO (unreadable, corrupt or truncated gzip stream), SA_EINVAL (wrong
 * magic, element type other than unsigned byte, bad dimensions, payload
 * shorter or longer than the header says), SA_ENOMEM. */
int sa_idx_read(const char *path, sa_idx *out, char *err, size_t errlen);
/* Write idx gzip-compressed (level 9). Fails with: SA_EINVAL (bad shape),
 * SA_EIO. */
int sa_idx_write(const char *path, const sa_idx *idx, char *err,
                 size_t errlen);
/* Frees the data and empties *idx; NULL or an empty idx is a no-op. */
void sa_idx_free(sa_idx *idx);

/* ---- Datasets ---------------------------------------------------------- */

typedef struct sa_dataset sa_dataset;
enum { SA_SPLIT_TRAIN = 0, SA_SPLIT_TEST = 1 };

/* Load a task's train and test split: "mnist", "fashion-mnist" or
 * "digits" (scikit-learn's 1797 8x8 digits: the first 1437 are the train
 * split, the last 360 the test split). Pixels are scaled to [0, 1] (/255,
 * digits /16). dir == NULL searches, in order: $SYNALIGN_DATA, ./data,
 * <source root>/data, <source root>/../shared/data. Fails with: SA_ENOENT
 * (unknown task, or the files are nowhere: err names the places looked
 * at), the codes of sa_idx_read (the file and the problem named),
 * SA_EINVAL (images and labels disagree), SA_ENOMEM. */
int sa_dataset_load(sa_dataset **out, const char *task, const char *dir,
                    char *err, size_t errlen);
/* A dataset from caller arrays (copied): x row-major n x dim in [0, 1],
 * labels < n_classes. Fails with: SA_EINVAL, SA_ENOMEM. */
int sa_dataset_from_arrays(sa_dataset **out, size_t dim, int n_classes,
                           const float *x_train, const uint8_t *y_train,
                           size_t n_train, const float *x_test,
                           const uint8_t *y_test, size_t n_test);
void sa_dataset_destroy(sa_dataset *ds);
/* Keep the first n_train / n_test samples (0 keeps a split whole).
 * Fails with: SA_EINVAL (more than there are). */
int sa_dataset_truncate(sa_dataset *ds, size_t n_train, size_t n_test);
size_t sa_dataset_count(const sa_dataset *ds, int split);
size_t sa_dataset_dim(const sa_dataset *ds);
int sa_dataset_classes(const sa_dataset *ds);
const float *sa_dataset_images(const sa_dataset *ds, int split);
const uint8_t *sa_dataset_labels(const sa_dataset *ds, int split);
/* The directory the files came from ("" for arrays). */
const char *sa_dataset_dir(const sa_dataset *ds);

/* ---- Configuration ----------------------------------------------------- */

enum { SA_ACT_SIGMOID = 0, SA_ACT_TANH, SA_ACT_RELU, SA_ACT_LEAKY_RELU,
       SA_ACT_LINEAR, SA_ACT_COUNT };
enum { SA_LOSS_SIGMOID_CE = 0, SA_LOSS_SOFTMAX_CE, SA_LOSS_MSE,
       SA_LOSS_COUNT };
enum { SA_OPTIM_SGD = 0, SA_OPTIM_ADAM, SA_OPTIM_COUNT };
/* akrout: W, b and B ~ N(0, 1/(fan_in + fan_out)) (ALGORITHMS.md §3c);
 * xavier: U(+-sqrt(6/(fan_in+fan_out))), b = 0; he: N(0, 2/fan_in), b = 0;
 * orthogonal: random (semi-)orthogonal W, b = 0 (GAIT-prop, §5b). */
enum { SA_INIT_AKROUT = 0, SA_INIT_XAVIER, SA_INIT_HE, SA_INIT_ORTHOGONAL,
       SA_INIT_COUNT };

/* Names <-> values for the enums above: kind is "act", "loss", "optim" or
 * "init". sa_learn_enum returns -1 for an unknown name. */
int sa_learn_enum(const char *kind, const char *name);
const char *sa_learn_enum_name(const char *kind, int value);

typedef struct sa_mlp sa_mlp;

/* Feedback supplied from outside (the "external" strategy): called before
 * every epoch for l = 2..L with W_l; must write B_l (n_{l-1} x n_l,
 * row-major). A spiking estimator (RDD, STDWI) plugs in here. Return 0 or
 * a negative SA_E* code, which aborts the epoch. */
typedef int (*sa_feedback_fn)(void *ud, const sa_mlp *net, int layer,
                              const float *W, float *B);

typedef struct sa_learn_config {
  int n_sizes;                     /* layer sizes n_0..n_L: L + 1 of them */
  int sizes[SA_LEARN_MAX_LAYERS + 1];
  int n_classes;                   /* 0: n_L. Wider outputs: the extra
                                      units are auxiliary (mse only) */
  const char *algo;                /* a feedback strategy, see sa_fb_* */
  int act;                         /* hidden layers */
  int out_act;                     /* mse only; -1 = act */
  int loss, optim, init;
  double lr;                       /* learning rate */
  double bias_lr_scale;            /* bias steps use lr * this (1) */
  double momentum, weight_decay;   /* SGD momentum; L2 on W (not b) */
  double adam_beta1, adam_beta2, adam_eps;
  int adam_bias_correction;        /* 1 (GAIT-prop's reference: 0) */
  int batch;
  int shuffle;                     /* 0: fixed order (Akrout protocol) */
  uint64_t seed;
  double kp_decay;                 /* Kolen-Pollack lambda (1: none) */
  double wm_lr, wm_noise, wm_decay;/* weight mirror: eta_m, noise
                                      amplitude, decay of B per step */
  int wm_pre_steps;                /* mirror steps before training; -1:
                                      one epoch's worth (n_train / batch) */
  double gait_gamma;               /* GAIT-prop target step gamma */
  double ortho_lambda;             /* orthogonality regulariser weight */
  int ortho_every;                 /* apply it every k steps (1) */
  double spike_time;               /* rdd, stdwi: simulated seconds of
                                      the spiking estimate per layer and
                                      epoch (0: the default,
                                      SA_LEARN_SPIKE_TIME_DEFAULT) */
  sa_feedback_fn feedback_fn;      /* "external" only; kept */
  void *feedback_ud;
} sa_learn_config;

/* Defaults: Akrout's protocol (784-500-10, sigmoid, sigmoid CE, SGD
 * lr 0.2, batch 128, no shuffling, akrout init), algo "bp", seed 1, KP
 * decay 1, WM eta_m 0.01 / amplitude 0.1, GAIT gamma 1e-3. Never fails. */
void sa_learn_config_default(sa_learn_config *cfg);

/* ---- Feedback strategies ----------------------------------------------- */

/* The registered strategies, in table order: i = 0.. until NULL. */
const char *sa_fb_name(int i);
const char *sa_fb_summary(int i);
/* Index of a strategy, -1 if unknown. */
int sa_fb_find(const char *name);
/* The strategy's SGD learning rate in Akrout's protocol (0.2 where the
 * protocol names none). */
double sa_fb_default_lr(int i);

/* ---- Networks ---------------------------------------------------------- */

/* Build a network for cfg (copied; feedback_ud kept). Weights come from
 * RNG streams keyed by (seed, layer), so every strategy starts from the
 * same W for a seed. Fails with: SA_EINVAL (err says which setting),
 * SA_ENOENT (unknown algo), SA_ENOMEM. */
int sa_mlp_create(sa_mlp **out, const sa_learn_config *cfg, char *err,
                  size_t errlen);
void sa_mlp_destroy(sa_mlp *net);
const char *sa_mlp_errmsg(const sa_mlp *net);
const sa_learn_config *sa_mlp_config(const sa_mlp *net);
int sa_mlp_layers(const sa_mlp *net);          /* L */
int sa_mlp_size(const sa_mlp *net, int i);     /* n_i, i = 0..L */

/* Copy W_l (n_l x n_{l-1}) and b_l in / out, l = 1..L; either pointer may
 * be NULL. Fails with: SA_EINVAL (bad layer). */
int sa_mlp_get_weights(const sa_mlp *net, int l, float *W, float *b);
int sa_mlp_set_weights(sa_mlp *net, int l, const float *W, const float *b);
/* The feedback the strategy uses at layer l, as B_l (n_{l-1} x n_l): W^T
 * for bp, the inverse for gaitprop. Fails with: SA_EINVAL (bad layer),
 * SA_ENOENT (no such matrix: dfa below the last layer). */
int sa_mlp_get_feedback(sa_mlp *net, int l, float *B);
/* Replace a stored B_l (fa, dfa's last layer, wm, kp, external): the hook
 * for feedback computed elsewhere. Fails with: SA_EINVAL, SA_ENOTSUP (the
 * strategy derives B from W: bp, sign symmetry, gaitprop). */
int sa_mlp_set_feedback(sa_mlp *net, int l, const float *B);

/* One training step on a minibatch x (bs x n_0), labels y; *loss (may be
 * NULL) gets the batch's mean loss before the step. Fails with: SA_EINVAL
 * (bs < 1 or > the configured batch, label out of range), the strategy's
 * errors (gaitprop: SA_ERANGE for a singular W). */
int sa_mlp_step(sa_mlp *net, const float *x, const uint8_t *y, int bs,
                double *loss);
/* The strategy's weight and bias gradients for a minibatch without
 * changing W (gW[l-1]: n_l x n_{l-1}, gb[l-1]: n_l; mean over the batch,
 * regularisers included). Fails like sa_mlp_step. */
int sa_mlp_gradients(sa_mlp *net, const float *x, const uint8_t *y, int bs,
                     float *const *gW, float *const *gb, double *loss);
/* Run n of the strategy's own feedback-learning steps with W fixed (wm:
 * mirror steps; rdd, stdwi: spiking estimates of spike_time seconds, each
 * setting B). Fails with: SA_ENOTSUP (the strategy learns no B). */
int sa_mlp_feedback_steps(sa_mlp *net, int n);

/* Per-epoch measurements (ALGORITHMS.md §0). Arrays are indexed l - 1. */
typedef struct sa_epoch_metrics {
  int epoch;                                  /* 1-based */
  double train_loss;                          /* mean over the epoch */
  double test_loss, test_accuracy;            /* accuracy in % */
  double weight_angle[SA_LEARN_MAX_LAYERS];   /* deg; NaN: no B_l */
  double delta_angle[SA_LEARN_MAX_LAYERS];    /* deg, hidden layers
                                                 l = 1..L-1; NaN else */
  double norm_ratio[SA_LEARN_MAX_LAYERS];     /* ||B_l|| / ||W_l|| */
  double train_seconds, eval_seconds;         /* wall time */
  double train_cpu_seconds;                   /* CPU time of the process
                                                 (all threads) in training */
} sa_epoch_metrics;

/* Train one epoch (epoch counts from 1) on the train split, then measure
 * on the test split. Fails with: SA_EINVAL (the dataset does not fit the
 * layer sizes), the errors of sa_mlp_step and of the feedback hook. */
int sa_mlp_train_epoch(sa_mlp *net, const sa_dataset *ds, int epoch,
                       sa_epoch_metrics *m);
/* Accuracy (%) and mean loss on n samples. Fails with: SA_EINVAL. */
int sa_mlp_evaluate(sa_mlp *net, const float *x, const uint8_t *y, size_t n,
                    double *accuracy, double *loss);
/* Weight angles, norm ratios, and delta angles on the probe batch x
 * (bs rows; mean over samples of the per-sample angle between delta_BP and
 * the strategy's delta), filled into m. Fails like sa_mlp_step. */
int sa_mlp_alignment(sa_mlp *net, const float *x, const uint8_t *y, int bs,
                     sa_epoch_metrics *m);

/* ---- BLAS ---------------------------------------------------------------- */

/* The OpenBLAS kernel in use ("SkylakeX", "Haswell" ...). Never fails. */
const char *sa_learn_blas_core(void);
/* Debian's OpenBLAS picks its kernel from the CPU model; on CPUs it does
 * not know (new Xeons, many VMs) it falls back to "Prescott" (SSE3), ~5x
 * slower than the AVX2/AVX-512 kernels the CPU runs. This returns the
 * OPENBLAS_CORETYPE to set in that case (it is read when the library
 * loads, so a program must set it and re-execute), or NULL when the
 * kernel in use is fine. Never fails. */
const char *sa_learn_blas_better_core(void);

/* ---- Result files (HDF5; layout in docs/learning.md) --------------------- */

typedef struct sa_lfile sa_lfile;

/* Create path (refused if it exists unless overwrite) with the root
 * provenance attributes. Fails with: SA_EEXIST, SA_EIO, SA_ENOMEM. */
int sa_lfile_create(sa_lfile **out, const char *path, int overwrite,
                    const char *command, const char *task,
                    const uint64_t *seeds, int n_seeds, char *err,
                    size_t errlen);
/* Write /metrics/<algo>/<seed>/ for one finished (or stopped) run of
 * n epochs. Fails with: SA_EIO, SA_EEXIST (that run is already there). */
int sa_lfile_write_run(sa_lfile *f, const sa_learn_config *cfg,
                       const sa_epoch_metrics *m, int n, int epochs_planned,
                       char *err, size_t errlen);
/* Mark the file complete (or not) and close it; always frees f.
 * Fails with: SA_EIO. */
int sa_lfile_close(sa_lfile *f, int complete, char *err, size_t errlen);

#endif
