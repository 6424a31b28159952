/* ckpt.c: checkpoint storage. The simulation thread saves the network into
 * memory (sa_memck, an sa_ckpt); the arrays are then written as one HDF5
 * file -- on the writer thread when one runs, since this HDF5 build is not
 * thread-safe -- first to PATH.tmp, then renamed over PATH, so a run killed
 * while checkpointing keeps the previous checkpoint whole.
 * SPDX-License-Identifier: MIT
 *
 * Layout: root attributes kind = "synalign checkpoint", synalign_version,
 * config (the network file's text), config_path, seed, threads, dt, tstop,
 * now (ms); one dataset per saved array under /state/<name>. */
#include "sa_io.h"
#include "internal.h"
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define set_err sa__io_err

static size_t type_size(int type) {
  switch (type) {
  case SA_CK_F64: case SA_CK_I64: case SA_CK_U64: return 8;
  case SA_CK_U32: case SA_CK_F32: return 4;
  case SA_CK_U16: return 2;
  default: return 0;
  }
}

static hid_t mem_type(int type) {
  switch (type) {
  case SA_CK_F64: return H5T_NATIVE_DOUBLE;
  case SA_CK_I64: return H5T_NATIVE_INT64;
  case SA_CK_U64: return H5T_NATIVE_UINT64;
  case SA_CK_U32: return H5T_NATIVE_UINT32;
  case SA_CK_F32: return H5T_NATIVE_FLOAT;
  case SA_CK_U16: return H5T_NATIVE_UINT16;
  default: return -1;
  }
}

static hid_t file_type(int type) {
  switch (type) {
  case SA_CK_F64: return H5T_IEEE_F64LE;
  case SA_CK_I64: return H5T_STD_I64LE;
  case SA_CK_U64: return H5T_STD_U64LE;
  case SA_CK_U32: return H5T_STD_U32LE;
  case SA_CK_F32: return H5T_IEEE_F32LE;
  case SA_CK_U16: return H5T_STD_U16LE;
  default: return -1;
  }
}

/* ---- in memory ------------------------------------------------------ */

typedef struct entry {
  char *name;
  int type;
  size_t n;
  void *data;
} entry;

struct sa_memck {
  sa_ckpt ck;
  entry *e;
  size_t n, cap;
};

static int mem_put(void *ud, const char *name, int type, const void *data,
                   size_t n) {
  sa_memck *m = ud;
  size_t sz = type_size(type);
  if (!sz) return SA_EINVAL;
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 64;
    entry *e = realloc(m->e, cap * sizeof *e);
    if (!e) return SA_ENOMEM;
    m->e = e;
    m->cap = cap;
  }
  entry *e = &m->e[m->n];
  e->name = malloc(strlen(name) + 1);
  e->data = malloc(n ? n * sz : 1);
  if (!e->name || !e->data) {
    free(e->name);
    free(e->data);
    return SA_ENOMEM;
  }
  strcpy(e->name, name);
  if (n) memcpy(e->data, data, n * sz);
  e->type = type;
  e->n = n;
  m->n++;
  return 0;
}

static const entry *mem_find(const sa_memck *m, const char *name) {
  for (size_t i = 0; i < m->n; i++)
    if (!strcmp(m->e[i].name, name)) return &m->e[i];
  return NULL;
}

static int mem_get(void *ud, const char *name, int type, void *data,
                   size_t n) {
  const entry *e = mem_find(ud, name);
  if (!e || e->type != type || e->n != n) return SA_EINVAL;
  if (n) memcpy(data, e->data, n * type_size(type));
  return 0;
}

static long long mem_len(void *ud, const char *name) {
  const entry *e = mem_find(ud, name);
  return e ? (long long)e->n : -1;
}

int sa_memck_create(sa_memck **out) {
  sa_memck *m = calloc(1, sizeof *m);
  if (!m) return SA_ENOMEM;
  m->ck = (sa_ckpt){m, mem_put, mem_get, mem_len};
  *out = m;
  return 0;
}

const sa_ckpt *sa_memck_ckpt(sa_memck *m) { return &m->ck; }

void sa_memck_destroy(sa_memck *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) {
    free(m->e[i].name);
    free(m->e[i].data);
  }
  free(m->e);
  free(m);
}

/* ---- HDF5 file ------------------------------------------------------ */

static int write_entries(hid_t f, const sa_memck *m) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0) return -1;
  int rc = 0;
  char path[300];
  for (size_t i = 0; i < m->n && !rc; i++) {
    const entry *e = &m->e[i];
    hsize_t n = e->n;
    snprintf(path, sizeof path, "state/%s", e->name);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t ds = sp >= 0 ? H5Dcreate2(f, path, file_type(e->type), sp, lcpl,
                                    H5P_DEFAULT, H5P_DEFAULT)
                       : -1;
    if (ds < 0 || (n && H5Dwrite(ds, mem_type(e->type), H5S_ALL, H5S_ALL,
                                 H5P_DEFAULT, e->data) < 0))
      rc = -1;
    if (ds >= 0) H5Dclose(ds);
    if (sp >= 0) H5Sclose(sp);
  }
  H5Pclose(lcpl);
  return rc;
}

int sa_ckfile_write(const char *path, const sa_memck *m,
                    const sa_ckmeta *meta, char *err, size_t errlen) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    set_err(err, errlen, "%s: path too long", path);
    return SA_EINVAL;
  }
  H5E_auto2_t fn;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &fn, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int rc = SA_EIO;
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  int threads = meta->threads;
  if (f >= 0 &&
      sa__h5_attr_str(f, "kind", "synalign checkpoint") == 0 &&
      sa__h5_attr_str(f, "synalign_version", SA_VERSION) == 0 &&
      sa__h5_attr_str(f, "config", meta->config_text) == 0 &&
      sa__h5_attr_str(f, "config_path", meta->config_path) == 0 &&
      sa__h5_attr(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0,
                  &meta->seed) == 0 &&
      sa__h5_attr(f, "threads", H5T_STD_I32LE, H5T_NATIVE_INT, 0,
                  &threads) == 0 &&
      sa__h5_attr(f, "dt", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                  &meta->dt) == 0 &&
      sa__h5_attr(f, "tstop", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                  &meta->tstop) == 0 &&
      sa__h5_attr(f, "now", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                  &meta->now) == 0 &&
      write_entries(f, m) == 0 && H5Fflush(f, H5F_SCOPE_LOCAL) >= 0)
    rc = 0;
  if (f >= 0 && H5Fclose(f) < 0) rc = SA_EIO;
  H5Eset_auto2(H5E_DEFAULT, fn, data);
  /* The data must be on disk before the rename makes it the checkpoint. */
  FILE *fp = rc ? NULL : fopen(tmp, "rb");
  if (fp) {
    fsync(fileno(fp));
    fclose(fp);
  }
  if (!rc && rename(tmp, path) != 0) rc = SA_EIO;
  if (rc) {
    unlink(tmp);
    set_err(err, errlen, "%s: writing the checkpoint failed", path);
  }
  return rc;
}

struct sa_ckfile {
  sa_ckpt ck;
  hid_t f;
  sa_ckmeta meta;
  char *config, *config_path;
};

static long long file_len_quiet(void *ud, const char *name);

/* Missing arrays are answers, not errors: keep HDF5's stack quiet. */
static long long file_len(void *ud, const char *name) {
  H5E_auto2_t fn;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &fn, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  long long n = file_len_quiet(ud, name);
  H5Eset_auto2(H5E_DEFAULT, fn, data);
  return n;
}

static long long file_len_quiet(void *ud, const char *name) {
  sa_ckfile *c = ud;
  char path[300];
  snprintf(path, sizeof path, "state/%s", name);
  if (H5Lexists(c->f, "state", H5P_DEFAULT) <= 0) return -1;
  /* H5Lexists fails on a missing intermediate group: check each level. */
  char part[300];
  for (char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
    snprintf(part, sizeof part, "%.*s", (int)(p - path), path);
    if (H5Lexists(c->f, part, H5P_DEFAULT) <= 0) return -1;
  }
  if (H5Lexists(c->f, path, H5P_DEFAULT) <= 0) return -1;
  hid_t ds = H5Dopen2(c->f, path, H5P_DEFAULT);
  if (ds < 0) return -1;
  hid_t sp = H5Dget_space(ds);
  hsize_t n = 0;
  int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
           H5Sget_simple_extent_dims(sp, &n, NULL) == 1;
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(ds);
  return ok ? (long long)n : -1;
}

static int file_get(void *ud, const char *name, int type, void *data,
                    size_t n) {
  sa_ckfile *c = ud;
  if (file_len(ud, name) != (long long)n) return SA_EINVAL;
  if (n == 0) return 0;
  char path[300];
  snprintf(path, sizeof path, "state/%s", name);
  hid_t ds = H5Dopen2(c->f, path, H5P_DEFAULT);
  if (ds < 0) return SA_EIO;
  herr_t e = H5Dread(ds, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  return e < 0 ? SA_EIO : 0;
}

static int file_put(void *ud, const char *name, int type, const void *data,
                    size_t n) {
  (void)ud, (void)name, (void)type, (void)data, (void)n;
  return SA_ENOTSUP;   /* read-only */
}

static char *read_str(hid_t f, const char *name) {
  if (H5Aexists(f, name) <= 0) return NULL;
  hid_t a = H5Aopen(f, name, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
  char *s = NULL, *out = NULL;
  if (t >= 0 && H5Tis_variable_str(t) > 0 && H5Aread(a, t, &s) >= 0 && s) {
    out = malloc(strlen(s) + 1);
    if (out) strcpy(out, s);
    H5free_memory(s);
  }
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return out;
}

static int read_num(hid_t f, const char *name, hid_t mt, void *v) {
  if (H5Aexists(f, name) <= 0) return -1;
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  int ok = a >= 0 && H5Aread(a, mt, v) >= 0;
  if (a >= 0) H5Aclose(a);
  return ok ? 0 : -1;
}

void sa_ckfile_close(sa_ckfile *c) {
  if (!c) return;
  if (c->f >= 0) H5Fclose(c->f);
  free(c->config);
  free(c->config_path);
  free(c);
}

int sa_ckfile_open(sa_ckfile **out, const char *path, char *err,
                   size_t errlen) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0) {
    set_err(err, errlen, "%s: no such checkpoint file", path);
    return SA_ENOENT;
  }
  sa_ckfile *c = calloc(1, sizeof *c);
  if (!c) return SA_ENOMEM;
  c->ck = (sa_ckpt){c, file_put, file_get, file_len};
  H5E_auto2_t fn;
  void *data;
  H5Eget_auto2(H5E_DEFAULT, &fn, &data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  c->f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  char *kind = c->f >= 0 ? read_str(c->f, "kind") : NULL;
  int rc = 0;
  if (c->f < 0) {
    set_err(err, errlen, "%s: not an HDF5 file", path);
    rc = SA_EIO;
  } else if (!kind || strcmp(kind, "synalign checkpoint")) {
    set_err(err, errlen, "%s: not a synalign checkpoint", path);
    rc = SA_EIO;
  } else {
    c->config = read_str(c->f, "config");
    c->config_path = read_str(c->f, "config_path");
    if (!c->config || read_num(c->f, "seed", H5T_NATIVE_UINT64,
                               &c->meta.seed) ||
        read_num(c->f, "threads", H5T_NATIVE_INT, &c->meta.threads) ||
        read_num(c->f, "dt", H5T_NATIVE_DOUBLE, &c->meta.dt) ||
        read_num(c->f, "tstop", H5T_NATIVE_DOUBLE, &c->meta.tstop) ||
        read_num(c->f, "now", H5T_NATIVE_DOUBLE, &c->meta.now)) {
      set_err(err, errlen, "%s: checkpoint is incomplete", path);
      rc = SA_EIO;
    }
    c->meta.config_text = c->config;
    c->meta.config_path = c->config_path ? c->config_path : "";
  }
  free(kind);
  H5Eset_auto2(H5E_DEFAULT, fn, data);
  if (rc) {
    sa_ckfile_close(c);
    return rc;
  }
  *out = c;
  return 0;
}

const sa_ckpt *sa_ckfile_ckpt(sa_ckfile *c) { return &c->ck; }
const sa_ckmeta *sa_ckfile_meta(const sa_ckfile *c) { return &c->meta; }
