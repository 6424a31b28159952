/* align_read.c: reading the alignment metrics series of a run
 * (/metrics/alignment/<projection>/<rule>/, written by
 * sa_writer_add_alignment).
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "sa_io.h"
#include "internal.h"

#define set_err sa__io_err

/* The comma-separated "metrics" attribute of data into s->cols. */
static void read_cols(hid_t d, sa_align_series *s) {
  for (int k = 0; k < s->ncols; k++)
    snprintf(s->cols[k], sizeof s->cols[k], "metric %d", k + 1);
  if (H5Aexists(d, "metrics") <= 0) return;
  hid_t a = H5Aopen(d, "metrics", H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
    /* The file's own type as memory type: no ASCII/UTF-8 conversion. */
    char *v = NULL;
    if (H5Aread(a, t, &v) >= 0 && v) {
      char *save = NULL, *tok = strtok_r(v, ",", &save);
      for (int k = 0; tok && k < s->ncols; k++) {
        snprintf(s->cols[k], sizeof s->cols[k], "%s", tok);
        tok = strtok_r(NULL, ",", &save);
      }
      H5free_memory(v);
    }
  }
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
}

/* One series group: data [T x M] and mapping/times [T]. */
static int read_series(hid_t g, sa_align_series *s) {
  hid_t d = H5Dopen2(g, "data", H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 &&
           H5Sget_simple_extent_dims(sp, dims, NULL) == 2 && dims[1] >= 1 &&
           dims[1] <= SA_ALIGN_MAXCOLS;
  if (sp >= 0) H5Sclose(sp);
  if (ok) {
    s->ncols = (int)dims[1];
    s->T = (size_t)dims[0];
    read_cols(d, s);
    s->data = malloc((s->T ? s->T : 1) * (size_t)s->ncols * sizeof *s->data);
    s->t = malloc((s->T ? s->T : 1) * sizeof *s->t);
    ok = s->data && s->t &&
         (s->T == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                               H5P_DEFAULT, s->data) >= 0);
  }
  H5Dclose(d);
  if (!ok) return -1;
  if (s->T == 0) return 0;
  hid_t td = H5Lexists(g, "mapping", H5P_DEFAULT) > 0 &&
                     H5Lexists(g, "mapping/times", H5P_DEFAULT) > 0
                 ? H5Dopen2(g, "mapping/times", H5P_DEFAULT)
                 : -1;
  if (td < 0) return -1;
  hid_t tsp = H5Dget_space(td);
  hssize_t nt = tsp >= 0 ? H5Sget_simple_extent_npoints(tsp) : -1;
  /* A frame's time is appended after its row: a killed run may hold one
   * row without a time, which is dropped. */
  if (nt >= 0 && (size_t)nt < s->T) s->T = (size_t)nt;
  double *all = nt > 0 ? malloc((size_t)nt * sizeof *all) : NULL;
  ok = nt == 0 || (all && H5Dread(td, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                  H5P_DEFAULT, all) >= 0);
  if (ok && s->T) memcpy(s->t, all, s->T * sizeof *s->t);
  free(all);
  if (tsp >= 0) H5Sclose(tsp);
  H5Dclose(td);
  return ok ? 0 : -1;
}

/* The names of g's subgroups, by index (H5Literate's callback type differs
 * between HDF5 1.10 and 1.12). */
static int subgroup(hid_t g, hsize_t i, char *name, size_t n) {
  ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                                   name, n, H5P_DEFAULT);
  if (len <= 0 || (size_t)len >= n) return -1;
  hid_t o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0) return -1;
  int is_group = H5Iget_type(o) == H5I_GROUP;
  H5Oclose(o);
  return is_group ? 0 : -1;
}

int sa_alignment_read(const char *path, sa_align_series **out, int *n,
                      char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  struct stat st;
  if (stat(path, &st) != 0) {
    set_err(err, errlen, "%s: %s", path,
            errno == ENOENT ? "no such file" : strerror(errno));
    return errno == ENOENT ? SA_ENOENT : SA_EIO;
  }
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
  if (f < 0) f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  int rc = 0;
  if (f < 0) {
    set_err(err, errlen, "%s: not a readable HDF5 file", path);
    rc = SA_EIO;
    goto done;
  }
  if (H5Lexists(f, "metrics", H5P_DEFAULT) <= 0 ||
      H5Lexists(f, "metrics/alignment", H5P_DEFAULT) <= 0)
    goto done;   /* none: not an error */
  hid_t root = H5Gopen2(f, "metrics/alignment", H5P_DEFAULT);
  H5G_info_t gi;
  if (root < 0 || H5Gget_info(root, &gi) < 0) {
    if (root >= 0) H5Gclose(root);
    set_err(err, errlen, "%s: /metrics/alignment is unreadable", path);
    rc = SA_EIO;
    goto done;
  }
  int cap = 0;
  for (hsize_t i = 0; !rc && i < gi.nlinks; i++) {
    char proj[64];
    if (subgroup(root, i, proj, sizeof proj)) continue;
    hid_t pg = H5Gopen2(root, proj, H5P_DEFAULT);
    H5G_info_t pi;
    if (pg < 0 || H5Gget_info(pg, &pi) < 0) {
      if (pg >= 0) H5Gclose(pg);
      continue;
    }
    for (hsize_t k = 0; !rc && k < pi.nlinks; k++) {
      char label[64];
      if (subgroup(pg, k, label, sizeof label)) continue;
      hid_t sg = H5Gopen2(pg, label, H5P_DEFAULT);
      if (sg < 0) continue;
      if (*n == cap) {
        cap = cap ? 2 * cap : 8;
        sa_align_series *ns = realloc(*out, (size_t)cap * sizeof *ns);
        if (!ns) {
          rc = SA_ENOMEM;
          H5Gclose(sg);
          break;
        }
        *out = ns;
      }
      sa_align_series *s = &(*out)[*n];
      memset(s, 0, sizeof *s);
      snprintf(s->proj, sizeof s->proj, "%s", proj);
      snprintf(s->label, sizeof s->label, "%s", label);
      if (read_series(sg, s)) {
        free(s->t);
        free(s->data);
        set_err(err, errlen, "%s: /metrics/alignment/%s/%s is unreadable",
                path, proj, label);
        rc = SA_EIO;
      } else {
        (*n)++;
      }
      H5Gclose(sg);
    }
    H5Gclose(pg);
  }
  H5Gclose(root);
done:
  if (f >= 0) H5Fclose(f);
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  if (rc) {
    sa_alignment_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

void sa_alignment_free(sa_align_series *s, int n) {
  for (int i = 0; s && i < n; i++) {
    free(s[i].t);
    free(s[i].data);
  }
  free(s);
}
