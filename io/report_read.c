/* report_read.c: reading weight reports (SONATA frame reports under
 * /report/<projection>/) back from a synalign file.
 * SPDX-License-Identifier: MIT */
#include "sa_io.h"
#include "internal.h"
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define set_err sa__io_err

/* Open read-only, SWMR first (a killed writer's file opens that way). */
static hid_t open_ro(const char *path, char *err, size_t n, int *rc) {
  struct stat st;
  if (stat(path, &st) != 0) {
    set_err(err, n, "%s: no such file", path);
    *rc = SA_ENOENT;
    return -1;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
  if (f < 0) f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    set_err(err, n, "%s: not an HDF5 file (or unreadable)", path);
    *rc = SA_EIO;
  }
  return f;
}

static void read_vstr(hid_t loc, const char *name, char *out, size_t n) {
  out[0] = 0;
  if (H5Aexists(loc, name) <= 0) return;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  if (t >= 0 && H5Tis_variable_str(t) > 0) {
    char *s = NULL;
    /* Read with the file's own string type: HDF5 will not convert
     * between character sets (UTF-8 attributes into an ASCII type). */
    hid_t mt = H5Tcopy(t);
    if (H5Aread(a, mt, &s) >= 0 && s) {
      snprintf(out, n, "%s", s);
      H5free_memory(s);
    }
    H5Tclose(mt);
  }
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
}

/* Length of a 1-D dataset, or dims of a 2-D one; -1 on failure. */
static int dims_of(hid_t loc, const char *name, hsize_t *d, int rank) {
  hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
  if (ds < 0) return -1;
  hid_t sp = H5Dget_space(ds);
  int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
           H5Sget_simple_extent_dims(sp, d, NULL) == rank;
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(ds);
  return ok ? 0 : -1;
}

typedef struct lister {
  sa_weightreport *r;
  int n, cap, failed;
} lister;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info,
                      void *ud) {
  (void)info;
  lister *l = ud;
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 4;
    sa_weightreport *r = realloc(l->r, (size_t)cap * sizeof *r);
    if (!r) {
      l->failed = 1;
      return -1;
    }
    l->r = r;
    l->cap = cap;
  }
  sa_weightreport *r = &l->r[l->n];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  hid_t pg = H5Gopen2(g, name, H5P_DEFAULT);
  if (pg < 0) return 0;
  read_vstr(pg, "source", r->source, sizeof r->source);
  read_vstr(pg, "target", r->target, sizeof r->target);
  read_vstr(pg, "rule", r->rule, sizeof r->rule);
  hsize_t d2[2] = {0, 0}, n1 = 0;
  hid_t ds = H5Dopen2(pg, "data", H5P_DEFAULT);
  if (ds >= 0) {
    read_vstr(ds, "units", r->units, sizeof r->units);
    H5Dclose(ds);
  }
  if (dims_of(pg, "data", d2, 2) == 0) {
    r->frames = d2[0];
    r->nsyn = d2[1];
  }
  double t3[3] = {0, 0, 0};
  ds = H5Dopen2(pg, "mapping/time", H5P_DEFAULT);
  if (ds >= 0) {
    if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t3) >= 0)
      r->interval = t3[2];
    H5Dclose(ds);
  }
  /* Frames actually written: the shorter of data and times (a killed
   * writer may have extended one before the other). */
  if (dims_of(pg, "mapping/times", &n1, 1) == 0 && n1 < r->frames)
    r->frames = n1;
  H5Gclose(pg);
  l->n++;
  return 0;
}

int sa_report_list(const char *path, sa_weightreport **out, int *n,
                   char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  H5E_auto2_t fn;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &fn, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int rc = 0;
  hid_t f = open_ro(path, err, errlen, &rc);
  if (f >= 0) {
    if (H5Lexists(f, "report", H5P_DEFAULT) > 0) {
      hid_t g = H5Gopen2(f, "report", H5P_DEFAULT);
      lister l = {0};
      if (g >= 0) {
        hsize_t idx = 0;
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &l);
        H5Gclose(g);
      }
      if (l.failed) {
        free(l.r);
        set_err(err, errlen, "%s: out of memory", path);
        rc = SA_ENOMEM;
      } else {
        *out = l.r;
        *n = l.n;
      }
    }
    H5Fclose(f);
  }
  H5Eset_auto2(H5E_DEFAULT, fn, data);
  return rc;
}

static int read_all(hid_t g, const char *name, hid_t mt, void *buf) {
  hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
  if (ds < 0) return -1;
  herr_t e = H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Dclose(ds);
  return e < 0 ? -1 : 0;
}

int sa_report_read(const char *path, const char *name, double at_ms,
                   sa_weightframe *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  sa_weightreport *list;
  int n, rc = sa_report_list(path, &list, &n, err, errlen);
  if (rc) return rc;
  int k = -1;
  for (int i = 0; i < n; i++)
    if (!strcmp(list[i].name, name)) k = i;
  if (k < 0) {
    if (n == 0) set_err(err, errlen, "%s has no weight reports", path);
    else set_err(err, errlen, "%s has no weight report '%s'", path, name);
    free(list);
    return SA_ENOENT;
  }
  sa_weightreport r = list[k];
  free(list);
  if (r.frames == 0) {
    set_err(err, errlen, "%s: weight report '%s' holds no snapshot yet",
            path, name);
    return SA_ENOENT;
  }
  H5E_auto2_t fn;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &fn, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = open_ro(path, err, errlen, &rc);
  hid_t g = -1, ds = -1, fs = -1, ms = -1;
  double *times = malloc(r.frames * sizeof *times);
  out->source = malloc(r.nsyn * sizeof *out->source);
  out->target = malloc(r.nsyn * sizeof *out->target);
  out->weight = malloc(r.nsyn * sizeof *out->weight);
  if (f < 0) goto done;
  rc = SA_ENOMEM;
  if (!times || !out->source || !out->target || !out->weight) goto done;
  rc = SA_EIO;
  char gname[200];
  snprintf(gname, sizeof gname, "report/%s", name);
  g = H5Gopen2(f, gname, H5P_DEFAULT);
  hsize_t nt = 0;
  if (g < 0 || dims_of(g, "mapping/times", &nt, 1) < 0 || nt < r.frames)
    goto done;
  hid_t tds = H5Dopen2(g, "mapping/times", H5P_DEFAULT);
  hid_t tfs = tds >= 0 ? H5Dget_space(tds) : -1;
  hsize_t t0 = 0, tn = r.frames;
  hid_t tms = H5Screate_simple(1, &tn, NULL);
  int tok = tfs >= 0 && tms >= 0 &&
            H5Sselect_hyperslab(tfs, H5S_SELECT_SET, &t0, NULL, &tn,
                                NULL) >= 0 &&
            H5Dread(tds, H5T_NATIVE_DOUBLE, tms, tfs, H5P_DEFAULT,
                    times) >= 0;
  if (tms >= 0) H5Sclose(tms);
  if (tfs >= 0) H5Sclose(tfs);
  if (tds >= 0) H5Dclose(tds);
  if (!tok ||
      read_all(g, "mapping/source_ids", H5T_NATIVE_UINT64, out->source) < 0 ||
      read_all(g, "mapping/target_ids", H5T_NATIVE_UINT64, out->target) < 0)
    goto done;
  /* The last frame at or before at_ms (the last one when at_ms < 0). */
  hsize_t pick = r.frames - 1;
  if (at_ms >= 0) {
    pick = 0;
    for (hsize_t i = 0; i < r.frames; i++)
      if (times[i] <= at_ms + 1e-9) pick = i;
  }
  ds = H5Dopen2(g, "data", H5P_DEFAULT);
  fs = ds >= 0 ? H5Dget_space(ds) : -1;
  hsize_t start[2] = {pick, 0}, count[2] = {1, r.nsyn};
  ms = H5Screate_simple(2, count, NULL);
  if (fs < 0 || ms < 0 ||
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dread(ds, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out->weight) < 0)
    goto done;
  out->n = r.nsyn;
  out->t = times[pick];
  out->frame = pick;
  out->info = r;
  rc = 0;
done:
  if (rc && rc != SA_ENOENT && f >= 0)
    set_err(err, errlen, "%s: reading weight report '%s' failed", path,
            name);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (ds >= 0) H5Dclose(ds);
  if (g >= 0) H5Gclose(g);
  if (f >= 0) H5Fclose(f);
  H5Eset_auto2(H5E_DEFAULT, fn, data);
  free(times);
  if (rc) sa_weightframe_free(out);
  return rc;
}

void sa_weightframe_free(sa_weightframe *f) {
  free(f->source);
  free(f->target);
  free(f->weight);
  f->source = f->target = NULL;
  f->weight = NULL;
  f->n = 0;
}
