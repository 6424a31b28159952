/* results.c: learning-run metrics in HDF5 (layout in docs/learning.md).
 * SPDX-License-Identifier: MIT
 *
 *   /                        synalign_version, command_line, task, seeds,
 *                            format, status
 *   /metrics/<algo>/<seed>/  epoch, train_loss, test_loss, test_accuracy,
 *                            weight_angle, delta_angle, norm_ratio,
 *                            train_seconds, eval_seconds,
 *                            train_cpu_seconds; the run's whole
 *                            configuration and summary as attributes.
 * A run is written when it ends, so a stopped comparison keeps every
 * finished run. HDF5's own error printing is silenced around each call
 * (the library never prints) and restored after. */
#include "internal.h"
#include "sa_h5.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sa_lfile {
  hid_t file, metrics;
};

typedef struct quiet {
  H5E_auto2_t fn;
  void *data;
} quiet;

static void quiet_on(quiet *q)
{
  H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const quiet *q)
{
  H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
}

/* The innermost HDF5 message ("No space left on device"), not the outer
 * "H5Dwrite failed" wrappers. */
static void h5_err(char *err, size_t errlen, const char *what)
{
  char d[256];
  sa__errf(err, errlen, "%s: %s", what, sa__h5_detail(d));
}

static int attr_f64(hid_t loc, const char *name, double v)
{
  return sa__h5_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
}

static int attr_i64(hid_t loc, const char *name, int64_t v)
{
  return sa__h5_attr(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &v);
}

static int write_ds(hid_t g, const char *name, hid_t ftype, hid_t mtype,
                    int rank, const hsize_t *dims, const void *buf,
                    const char *units)
{
  hid_t s = H5Screate_simple(rank, dims, NULL);
  if (s < 0)
    return -1;
  hid_t d = H5Dcreate2(g, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  H5Sclose(s);
  if (d < 0)
    return -1;
  int rc = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1
                                                                       : 0;
  if (rc == 0 && units != NULL)
    rc = sa__h5_attr_str(d, "units", units);
  if (H5Dclose(d) < 0)
    rc = -1;
  return rc;
}

int sa_lfile_create(sa_lfile **out, const char *path, int overwrite,
                    const char *command, const char *task,
                    const uint64_t *seeds, int n_seeds, char *err,
                    size_t errlen)
{
  *out = NULL;
  if (!overwrite && access(path, F_OK) == 0) {
    sa__errf(err, errlen, "%s exists (use --overwrite to replace it)",
             path);
    return SA_EEXIST;
  }
  sa_lfile *f = calloc(1, sizeof *f);
  if (f == NULL)
    return SA_ENOMEM;
  quiet q;
  quiet_on(&q);
  f->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f->file < 0) {
    h5_err(err, errlen, path);
    quiet_off(&q);
    free(f);
    return SA_EIO;
  }
  int rc = sa__h5_attr_str(f->file, "synalign_version", SA_VERSION);
  rc |= sa__h5_attr_str(f->file, "format", "synalign-learn 1");
  rc |= sa__h5_attr_str(f->file, "command_line", command);
  rc |= sa__h5_attr_str(f->file, "task", task);
  rc |= sa__h5_attr_str(f->file, "status", "running");
  if (n_seeds > 0)
    rc |= sa__h5_attr(f->file, "seeds", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                      (hsize_t)n_seeds, seeds);
  if (rc == 0) {
    f->metrics = H5Gcreate2(f->file, "metrics", H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT);
    rc = f->metrics < 0 ? -1 : 0;
  }
  if (rc == 0)
    rc = H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0 ? -1 : 0;
  if (rc != 0) {
    h5_err(err, errlen, path);
    if (f->metrics > 0)
      H5Gclose(f->metrics);
    H5Fclose(f->file);
    quiet_off(&q);
    free(f);
    unlink(path);
    return SA_EIO;
  }
  quiet_off(&q);
  *out = f;
  return 0;
}

static hid_t open_or_create(hid_t loc, const char *name)
{
  if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
    return H5Gopen2(loc, name, H5P_DEFAULT);
  return H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

static int run_attrs(hid_t g, const sa_learn_config *c,
                     const sa_epoch_metrics *m, int n, int planned)
{
  int32_t sizes[MAXL + 1];
  for (int i = 0; i < c->n_sizes; i++)
    sizes[i] = c->sizes[i];
  int rc = sa__h5_attr_str(g, "algo", c->algo);
  rc |= sa__h5_attr(g, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &c->seed);
  rc |= sa__h5_attr_str(g, "synalign_version", SA_VERSION);
  rc |= sa__h5_attr(g, "layers", H5T_STD_I32LE, H5T_NATIVE_INT32,
                    (hsize_t)c->n_sizes, sizes);
  rc |= sa__h5_attr_str(g, "act", sa_learn_enum_name("act", c->act));
  const char *out_act = c->loss == SA_LOSS_MSE
      ? sa_learn_enum_name("act", c->out_act >= 0 ? c->out_act : c->act)
      : c->loss == SA_LOSS_SIGMOID_CE ? "sigmoid" : "softmax";
  rc |= sa__h5_attr_str(g, "out_act", out_act);
  rc |= sa__h5_attr_str(g, "loss", sa_learn_enum_name("loss", c->loss));
  rc |= sa__h5_attr_str(g, "optim", sa_learn_enum_name("optim", c->optim));
  rc |= sa__h5_attr_str(g, "init", sa_learn_enum_name("init", c->init));
  rc |= attr_f64(g, "lr", c->lr);
  rc |= attr_f64(g, "bias_lr_scale", c->bias_lr_scale);
  rc |= attr_f64(g, "momentum", c->momentum);
  rc |= attr_f64(g, "weight_decay", c->weight_decay);
  if (c->optim == SA_OPTIM_ADAM) {
    rc |= attr_f64(g, "adam_beta1", c->adam_beta1);
    rc |= attr_f64(g, "adam_beta2", c->adam_beta2);
    rc |= attr_f64(g, "adam_eps", c->adam_eps);
    rc |= attr_i64(g, "adam_bias_correction", c->adam_bias_correction);
  }
  rc |= attr_i64(g, "batch", c->batch);
  rc |= attr_i64(g, "shuffle", c->shuffle);
  if (!strcmp(c->algo, "kp"))
    rc |= attr_f64(g, "kp_decay", c->kp_decay);
  if (!strcmp(c->algo, "wm")) {
    rc |= attr_f64(g, "wm_lr", c->wm_lr);
    rc |= attr_f64(g, "wm_noise", c->wm_noise);
    rc |= attr_f64(g, "wm_decay", c->wm_decay);
    rc |= attr_i64(g, "wm_pre_steps", c->wm_pre_steps);
  }
  if (!strcmp(c->algo, "gaitprop"))
    rc |= attr_f64(g, "gait_gamma", c->gait_gamma);
  if (!strcmp(c->algo, "rdd") || !strcmp(c->algo, "stdwi"))
    rc |= attr_f64(g, "spike_time", c->spike_time > 0
                                        ? c->spike_time
                                        : SA_LEARN_SPIKE_TIME_DEFAULT);
  rc |= attr_f64(g, "ortho_lambda", c->ortho_lambda);
  rc |= attr_i64(g, "ortho_every", c->ortho_every);
  rc |= attr_i64(g, "epochs_planned", planned);
  rc |= attr_i64(g, "epochs_done", n);
  double best = -1, secs = 0;
  int best_ep = 0;
  for (int i = 0; i < n; i++) {
    if (m[i].test_accuracy > best)
      best = m[i].test_accuracy, best_ep = m[i].epoch;
    secs += m[i].train_seconds;
  }
  rc |= attr_f64(g, "best_test_accuracy", n > 0 ? best : NAN);
  rc |= attr_i64(g, "best_epoch", best_ep);
  rc |= attr_f64(g, "final_test_accuracy",
                 n > 0 ? m[n - 1].test_accuracy : NAN);
  rc |= attr_f64(g, "seconds_per_epoch", n > 0 ? secs / n : NAN);
  return rc;
}

int sa_lfile_write_run(sa_lfile *f, const sa_learn_config *c,
                       const sa_epoch_metrics *m, int n, int planned,
                       char *err, size_t errlen)
{
  int L = c->n_sizes - 1;
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
  quiet q;
  quiet_on(&q);
  hid_t ga = open_or_create(f->metrics, c->algo);
  if (ga < 0) {
    h5_err(err, errlen, c->algo);
    quiet_off(&q);
    return SA_EIO;
  }
  if (H5Lexists(ga, seed, H5P_DEFAULT) > 0) {
    H5Gclose(ga);
    quiet_off(&q);
    sa__errf(err, errlen, "/metrics/%s/%s is already in the file", c->algo,
             seed);
    return SA_EEXIST;
  }
  hid_t g = H5Gcreate2(ga, seed, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(ga);
  if (g < 0) {
    h5_err(err, errlen, seed);
    quiet_off(&q);
    return SA_EIO;
  }
  size_t ne = n > 0 ? (size_t)n : 1;
  int32_t *ep = malloc(ne * sizeof *ep);
  double *col = malloc(ne * 6 * sizeof *col);
  double *mat = malloc(ne * (size_t)L * sizeof *mat);
  int rc = ep && col && mat ? 0 : -2;
  hsize_t d1[1] = {(hsize_t)n}, d2[2] = {(hsize_t)n, (hsize_t)L};
  if (rc == 0) {
    for (int i = 0; i < n; i++) {
      ep[i] = m[i].epoch;
      col[0 * ne + i] = m[i].train_loss;
      col[1 * ne + i] = m[i].test_loss;
      col[2 * ne + i] = m[i].test_accuracy;
      col[3 * ne + i] = m[i].train_seconds;
      col[4 * ne + i] = m[i].eval_seconds;
      col[5 * ne + i] = m[i].train_cpu_seconds;
    }
    rc |= write_ds(g, "epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, ep,
                   NULL);
    const char *names[6] = {"train_loss", "test_loss", "test_accuracy",
                            "train_seconds", "eval_seconds",
                            "train_cpu_seconds"};
    const char *units[6] = {NULL, NULL, "%", "s", "s", "s"};
    for (int k = 0; k < 6; k++)
      rc |= write_ds(g, names[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1,
                     col + (size_t)k * ne, units[k]);
    for (int which = 0; which < 3; which++) {
      int cols = which == 1 ? L - 1 : L;
      if (cols < 1)
        continue;
      for (int i = 0; i < n; i++)
        for (int l = 0; l < cols; l++) {
          const double *src = which == 0   ? m[i].weight_angle
                              : which == 1 ? m[i].delta_angle
                                           : m[i].norm_ratio;
          mat[(size_t)i * cols + l] = src[l];
        }
      d2[1] = (hsize_t)cols;
      static const char *const mn[3] = {"weight_angle", "delta_angle",
                                        "norm_ratio"};
      rc |= write_ds(g, mn[which], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2,
                     mat, which < 2 ? "deg" : NULL);
    }
    rc |= run_attrs(g, c, m, n, planned);
  }
  free(ep);
  free(col);
  free(mat);
  if (H5Gclose(g) < 0)
    rc |= -1;
  if (rc == 0 && H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0)
    rc = -1;
  if (rc == -2) {
    quiet_off(&q);
    return SA_ENOMEM;
  }
  if (rc != 0)
    h5_err(err, errlen, "writing metrics");
  quiet_off(&q);
  return rc != 0 ? SA_EIO : 0;
}

int sa_lfile_close(sa_lfile *f, int complete, char *err, size_t errlen)
{
  if (f == NULL)
    return 0;
  quiet q;
  quiet_on(&q);
  int rc = 0;
  if (H5Adelete(f->file, "status") < 0 ||
      sa__h5_attr_str(f->file, "status", complete ? "complete" : "incomplete") < 0)
    rc = -1;
  if (H5Gclose(f->metrics) < 0)
    rc = -1;
  if (H5Fclose(f->file) < 0)
    rc = -1;
  if (rc != 0)
    h5_err(err, errlen, "closing the metrics file");
  quiet_off(&q);
  free(f);
  return rc != 0 ? SA_EIO : 0;
}
