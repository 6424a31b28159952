/* dataset.c: image classification tasks from IDX files.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include "sa_learn_paths.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sa_dataset {
  size_t dim;
  int n_classes;
  size_t n[2];
  float *x[2];
  uint8_t *y[2];
  char dir[512];
};

typedef struct task {
  const char *name, *subdir;
  const char *train_x, *train_y, *test_x, *test_y;  /* test NULL: split */
  size_t n_train_of_split;    /* when one file pair holds both splits */
  float scale;                /* largest pixel value */
} task;

static const task tasks[] = {
  {"mnist", "mnist", "train-images-idx3-ubyte.gz",
   "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
   "t10k-labels-idx1-ubyte.gz", 0, 255.0f},
  {"fashion-mnist", "fashion-mnist", "train-images-idx3-ubyte.gz",
   "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
   "t10k-labels-idx1-ubyte.gz", 0, 255.0f},
  /* 1797 images: 80 % / 20 % in file order (the file cycles through the
   * classes, so both splits hold all ten). */
  {"digits", "sklearn-digits", "digits-images-idx3-ubyte.gz",
   "digits-labels-idx1-ubyte.gz", NULL, NULL, 1437, 16.0f},
  {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0.0f}};

#define N_CLASSES 10

void sa_dataset_destroy(sa_dataset *ds)
{
  if (ds == NULL)
    return;
  for (int s = 0; s < 2; s++) {
    free(ds->x[s]);
    free(ds->y[s]);
  }
  free(ds);
}

size_t sa_dataset_count(const sa_dataset *ds, int split)
{
  return split == SA_SPLIT_TEST ? ds->n[1] : ds->n[0];
}
size_t sa_dataset_dim(const sa_dataset *ds) { return ds->dim; }
int sa_dataset_classes(const sa_dataset *ds) { return ds->n_classes; }
const float *sa_dataset_images(const sa_dataset *ds, int split)
{
  return split == SA_SPLIT_TEST ? ds->x[1] : ds->x[0];
}
const uint8_t *sa_dataset_labels(const sa_dataset *ds, int split)
{
  return split == SA_SPLIT_TEST ? ds->y[1] : ds->y[0];
}
const char *sa_dataset_dir(const sa_dataset *ds) { return ds->dir; }

int sa_dataset_truncate(sa_dataset *ds, size_t n_train, size_t n_test)
{
  if (n_train > ds->n[0] || n_test > ds->n[1])
    return SA_EINVAL;
  if (n_train > 0)
    ds->n[0] = n_train;
  if (n_test > 0)
    ds->n[1] = n_test;
  return 0;
}

int sa_dataset_from_arrays(sa_dataset **out, size_t dim, int n_classes,
                           const float *x_train, const uint8_t *y_train,
                           size_t n_train, const float *x_test,
                           const uint8_t *y_test, size_t n_test)
{
  *out = NULL;
  if (dim == 0 || n_classes < 1 || n_classes > 255 || n_train == 0 ||
      n_test == 0 || !x_train || !y_train || !x_test || !y_test)
    return SA_EINVAL;
  for (size_t i = 0; i < n_train; i++)
    if (y_train[i] >= n_classes)
      return SA_EINVAL;
  for (size_t i = 0; i < n_test; i++)
    if (y_test[i] >= n_classes)
      return SA_EINVAL;
  sa_dataset *ds = calloc(1, sizeof *ds);
  if (ds == NULL)
    return SA_ENOMEM;
  ds->dim = dim;
  ds->n_classes = n_classes;
  const float *xs[2] = {x_train, x_test};
  const uint8_t *ys[2] = {y_train, y_test};
  size_t ns[2] = {n_train, n_test};
  for (int s = 0; s < 2; s++) {
    ds->n[s] = ns[s];
    ds->x[s] = malloc(ns[s] * dim * sizeof(float));
    ds->y[s] = malloc(ns[s]);
    if (ds->x[s] == NULL || ds->y[s] == NULL) {
      sa_dataset_destroy(ds);
      return SA_ENOMEM;
    }
    memcpy(ds->x[s], xs[s], ns[s] * dim * sizeof(float));
    memcpy(ds->y[s], ys[s], ns[s]);
  }
  *out = ds;
  return 0;
}

/* dir/name (gzip'd, as published) or else dir/name without ".gz" (the
 * plain IDX some mirrors ship; tools/get-data stores what it fetched
 * as it was, never re-compressing). -1 when neither is readable; out then
 * names the .gz path for the error message. */
static int pick(const char *dir, const char *name, char *out, size_t len)
{
  int w = snprintf(out, len, "%s/%s", dir, name);
  if (w < 0 || (size_t)w >= len)
    return -1;
  if (access(out, R_OK) == 0)
    return 0;
  size_t n = strlen(out);
  if (n > 3 && !strcmp(out + n - 3, ".gz")) {
    out[n - 3] = '\0';
    if (access(out, R_OK) == 0)
      return 0;
    out[n - 3] = '.';
  }
  return -1;
}

/* The first candidate directory that holds the task's train images. */
static int find_dir(const task *t, char *dir, size_t dirlen, char *err,
                    size_t errlen)
{
  const char *env = getenv("SYNALIGN_DATA");
  const char *cand[4] = {env != NULL && *env ? env : NULL, "data",
                         SA_SOURCE_ROOT "/data",
                         SA_SOURCE_ROOT "/../shared/data"};
  char tried[1024] = "";
  for (int i = 0; i < 4; i++) {
    if (cand[i] == NULL)
      continue;
    char base[1024], p[1024];
    snprintf(base, sizeof base, "%s/%s", cand[i], t->subdir);
    if (pick(base, t->train_x, p, sizeof p) == 0) {
      snprintf(dir, dirlen, "%s/%s", cand[i], t->subdir);
      return 0;
    }
    size_t used = strlen(tried);
    snprintf(tried + used, sizeof tried - used, "%s%s/%s", used ? ", " : "",
             cand[i], t->subdir);
  }
  sa__errf(err, errlen, "%s data not found (looked in $SYNALIGN_DATA, "
           "%s); run tools/get-data", t->name, tried);
  return SA_ENOENT;
}

static int load_pair(const char *dir, const char *fx, const char *fy,
                     sa_idx *x, sa_idx *y, char *err, size_t errlen)
{
  char px[1024], py[1024];
  /* Missing files are reported by sa_idx_read, under the .gz name. */
  (void)pick(dir, fx, px, sizeof px);
  (void)pick(dir, fy, py, sizeof py);
  int rc = sa_idx_read(px, x, err, errlen);
  if (rc < 0)
    return rc;
  rc = sa_idx_read(py, y, err, errlen);
  if (rc < 0) {
    sa_idx_free(x);
    return rc;
  }
  if (x->ndim != 3 || y->ndim != 1) {
    sa__errf(err, errlen, "%s, %s: expected 3-d images and 1-d labels, got "
             "%d-d and %d-d", px, py, x->ndim, y->ndim);
    rc = SA_EINVAL;
  } else if (x->dims[0] != y->dims[0]) {
    sa__errf(err, errlen, "%s holds %u images but %s %u labels", px,
             x->dims[0], py, y->dims[0]);
    rc = SA_EINVAL;
  } else {
    for (size_t i = 0; i < y->count; i++)
      if (y->data[i] >= N_CLASSES) {
        sa__errf(err, errlen, "%s: label %u at index %zu (expected 0..%d)",
                 py, y->data[i], i, N_CLASSES - 1);
        rc = SA_EINVAL;
        break;
      }
  }
  if (rc < 0) {
    sa_idx_free(x);
    sa_idx_free(y);
  }
  return rc;
}

/* Copy samples [from, from + n) of a pair into split s, scaled. */
static int fill(sa_dataset *ds, int s, const sa_idx *x, const sa_idx *y,
                size_t from, size_t n, float scale)
{
  ds->n[s] = n;
  ds->x[s] = malloc(n * ds->dim * sizeof(float));
  ds->y[s] = malloc(n);
  if (ds->x[s] == NULL || ds->y[s] == NULL)
    return SA_ENOMEM;
  const uint8_t *src = x->data + from * ds->dim;
  float inv = 1.0f / scale;
  for (size_t i = 0; i < n * ds->dim; i++)
    ds->x[s][i] = (float)src[i] * inv;
  memcpy(ds->y[s], y->data + from, n);
  return 0;
}

int sa_dataset_load(sa_dataset **out, const char *task_name,
                    const char *dir, char *err, size_t errlen)
{
  *out = NULL;
  const task *t = NULL;
  for (int i = 0; tasks[i].name; i++)
    if (!strcmp(tasks[i].name, task_name))
      t = &tasks[i];
  if (t == NULL) {
    sa__errf(err, errlen, "unknown task '%s' (mnist, fashion-mnist, "
             "digits)", task_name);
    return SA_ENOENT;
  }
  sa_dataset *ds = calloc(1, sizeof *ds);
  if (ds == NULL)
    return SA_ENOMEM;
  int rc;
  sa_idx x = {0}, y = {0};
  if (dir != NULL)
    snprintf(ds->dir, sizeof ds->dir, "%s/%s", dir, t->subdir);
  else if ((rc = find_dir(t, ds->dir, sizeof ds->dir, err, errlen)) < 0)
    goto out;
  rc = load_pair(ds->dir, t->train_x, t->train_y, &x, &y, err, errlen);
  if (rc < 0)
    goto out;
  ds->dim = (size_t)x.dims[1] * x.dims[2];
  ds->n_classes = N_CLASSES;
  if (t->test_x == NULL) {
    if (x.dims[0] <= t->n_train_of_split) {
      sa__errf(err, errlen, "%s: %u images, expected more than %zu",
               ds->dir, x.dims[0], t->n_train_of_split);
      rc = SA_EINVAL;
    } else {
      rc = fill(ds, 0, &x, &y, 0, t->n_train_of_split, t->scale);
      if (rc == 0)
        rc = fill(ds, 1, &x, &y, t->n_train_of_split,
                  x.dims[0] - t->n_train_of_split, t->scale);
    }
    sa_idx_free(&x);
    sa_idx_free(&y);
    goto out;
  }
  rc = fill(ds, 0, &x, &y, 0, x.dims[0], t->scale);
  sa_idx_free(&x);
  sa_idx_free(&y);
  if (rc < 0)
    goto out;
  rc = load_pair(ds->dir, t->test_x, t->test_y, &x, &y, err, errlen);
  if (rc < 0)
    goto out;
  if ((size_t)x.dims[1] * x.dims[2] != ds->dim) {
    sa__errf(err, errlen, "%s: test images are %ux%u, train images hold %zu "
             "pixels", ds->dir, x.dims[1], x.dims[2], ds->dim);
    rc = SA_EINVAL;
  } else {
    rc = fill(ds, 1, &x, &y, 0, x.dims[0], t->scale);
  }
  sa_idx_free(&x);
  sa_idx_free(&y);
out:
  if (rc < 0) {
    sa_dataset_destroy(ds);
    return rc;
  }
  *out = ds;
  return 0;
}
