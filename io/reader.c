/* reader.c: read SONATA spike files, ours and foreign (bmtk ...), including
 * files whose writer was killed.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "sa_io.h"
#include "internal.h"

#define SONATA_MAGIC 0x0A7Au

enum { SCAN_BLOCK = 1 << 20 };  /* elements per read when scanning */

#define set_err sa__io_err

#define h5_detail sa__h5_detail

/* HDF5 puts its signature at 0, 512, 1024, 2048 ... (a user block may
 * precede it). Checking ourselves gives "not an HDF5 file" instead of a
 * generic open failure, and does not take HDF5's file lock. */
static int is_hdf5(const char *path, off_t size)
{
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F',
                                       '\r', '\n', 0x1a, '\n'};
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return -1;
  int found = 0;
  for (off_t off = 0; off + 8 <= size && !found;
       off = off == 0 ? 512 : off * 2) {
    unsigned char buf[8];
    if (pread(fd, buf, 8, off) != 8)
      break;
    found = memcmp(buf, sig, 8) == 0;
  }
  close(fd);
  return found;
}

/* 1 if loc/name exists and is a group. H5Oopen + H5Iget_type rather than
 * H5Oget_info*, whose signature differs between HDF5 1.10 and 1.12. */
static int is_group(hid_t loc, const char *name)
{
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
    return 0;
  hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
  if (o < 0)
    return 0;
  int yes = H5Iget_type(o) == H5I_GROUP;
  H5Oclose(o);
  return yes;
}

/* HDF5 1.10 walks a global heap collection ("GCOL", where variable-length
 * strings live) from object to object by each object's stored size, with
 * no bounds check: a free-space object of size 0 is an endless loop and a
 * size past the collection's end a read beyond it (an 8-KiB file will do;
 * found by tests/fuzz/fuzz_spikefile). Before any string attribute is
 * read, every collection in the first GHEAP_SCAN bytes is walked the same
 * way here. Collections further in are not checked; HDF5 writers (ours,
 * h5py) put those of attributes near the start. */
enum { GHEAP_SCAN = 4 << 20 };

static uint64_t get_le(const unsigned char *p, int n)
{
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* 0 if the collections look walkable, else SA_EIO with err set. */
static int gheap_check(const char *path, char *err, size_t errlen)
{
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F',
                                       '\r', '\n', 0x1a, '\n'};
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
    if (fd >= 0)
      close(fd);
    return 0;   /* the HDF5 open has reported or will report it */
  }
  size_t len = st.st_size < GHEAP_SCAN ? (size_t)st.st_size : GHEAP_SCAN;
  unsigned char *buf = malloc(len);
  size_t got = 0;
  while (buf != NULL && got < len) {
    ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  if (buf == NULL) {
    set_err(err, errlen, "%s: out of memory", path);
    return SA_ENOMEM;
  }
  /* Size of lengths, from the superblock (byte 14 in versions 0 and 1,
   * byte 10 in 2 and 3). */
  int ls = 8;
  for (size_t off = 0; off + 16 <= got; off = off ? off * 2 : 512) {
    if (memcmp(buf + off, sig, 8) == 0) {
      ls = buf[off + 8] < 2 ? buf[off + 14] : buf[off + 10];
      break;
    }
  }
  if (ls != 2 && ls != 4 && ls != 8)
    ls = 8;
  size_t head = 8 + (size_t)ls;   /* collection and object headers */
  int rc = 0;
  for (size_t at = 0; at + head <= got && rc == 0; at++) {
    const unsigned char *g = buf + at;
    if (g[0] != 'G' || memcmp(g, "GCOL", 4) != 0 || g[4] != 1)
      continue;
    uint64_t size = get_le(g + 8, ls);
    if (size < head || size > got - at)
      continue;   /* not a collection, or not all of it in the window */
    uint64_t p = head;
    while (p < size && rc == 0) {
      uint64_t left = size - p;
      if (left < head)
        break;    /* HDF5 takes a short tail as free space */
      unsigned idx = (unsigned)get_le(g + p, 2);
      uint64_t osz = get_le(g + p + 8, ls);
      uint64_t need = idx ? head + ((osz + 7) & ~(uint64_t)7) : osz;
      if (need == 0 || need > left || osz > left) {
        set_err(err, errlen,
                "%s: corrupt HDF5 global heap at byte %llu (HDF5 1.10 "
                "would loop or read past it); not read", path,
                (unsigned long long)(at + p));
        rc = SA_EIO;
      }
      p += need;
    }
  }
  free(buf);
  return rc;
}

/* An SWMR reader retries a metadata read whose checksum fails, sleeping
 * 1, 2, 4 ... ns in between, by default 100 times: on a corrupt or
 * truncated file (an 11-byte one will do) that is an endless hang, found
 * by tests/fuzz/fuzz_spikefile. 28 attempts still ride out a live writer's
 * torn reads, with at most ~0.27 s of backoff. */
enum { SWMR_READ_ATTEMPTS = 28 };

/* Open path for reading and check that it is a SONATA spike file. Returns
 * the file id or a negative SA_E* code with err set. */
static hid_t open_spikefile(const char *path, char *err, size_t errlen)
{
  struct stat st;
  if (path == NULL) {
    set_err(err, errlen, "spike file: no path given");
    return SA_EINVAL;
  }
  if (stat(path, &st) != 0) {
    int e = errno;
    set_err(err, errlen, "%s: %s", path,
            e == ENOENT ? "no such file" : strerror(e));
    return e == ENOENT ? SA_ENOENT : SA_EIO;
  }
  if (S_ISDIR(st.st_mode)) {
    set_err(err, errlen, "%s: is a folder, not a file", path);
    return SA_EIO;
  }
  int h = is_hdf5(path, st.st_size);
  if (h < 0) {
    set_err(err, errlen, "%s: %s", path, strerror(errno));
    return SA_EIO;
  }
  if (h == 0) {
    set_err(err, errlen, "%s: not an HDF5 file", path);
    return SA_EIO;
  }
  /* SWMR-read first: it opens a file whose writer is still running or was
   * killed (consistency flags still set). Files in the old format refuse
   * it, and open plainly. */
  char d[256];
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 &&
      H5Pset_metadata_read_attempts(fapl, SWMR_READ_ATTEMPTS) < 0) {
    H5Pclose(fapl);
    fapl = H5I_INVALID_HID;   /* open anyway, with HDF5's default */
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ,
                    fapl >= 0 ? fapl : H5P_DEFAULT);
  if (fapl >= 0)
    H5Pclose(fapl);
  if (f < 0)
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    set_err(err, errlen,
            "%s: cannot open the HDF5 file (%s); if its writer crashed, "
            "'h5clear -s %s' may repair it", path, h5_detail(d), path);
    return SA_EIO;
  }
  int rc = SA_EIO;
  uint32_t magic = 0;
  if (H5Aexists(f, "magic") <= 0) {
    set_err(err, errlen, "%s: not a SONATA file (no 'magic' attribute)",
            path);
    goto fail;
  }
  hid_t a = H5Aopen(f, "magic", H5P_DEFAULT);
  herr_t r = a >= 0 ? H5Aread(a, H5T_NATIVE_UINT32, &magic) : -1;
  if (a >= 0)
    H5Aclose(a);
  if (r < 0 || magic != SONATA_MAGIC) {
    set_err(err, errlen, "%s: not a SONATA file (magic is not 0x0A7A)",
            path);
    goto fail;
  }
  if (!is_group(f, "spikes")) {
    set_err(err, errlen, "%s: not a SONATA spike file (no /spikes group)",
            path);
    goto fail;
  }
  return f;
fail:
  H5Fclose(f);
  return rc;
}

/* ---- attributes ---------------------------------------------------------- */

/* A string attribute, fixed or variable length, as a malloc'd C string.
 * Returns NULL if missing or not a string (and *oom on allocation
 * failure). */
static char *attr_str(hid_t loc, const char *name, int *oom)
{
  if (H5Aexists(loc, name) <= 0)
    return NULL;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0)
    return NULL;
  char *out = NULL;
  hid_t ft = H5Aget_type(a);
  hid_t sp = H5Aget_space(a);
  if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_STRING ||
      H5Sget_simple_extent_npoints(sp) != 1)
    goto done;
  hid_t mt = H5Tcopy(H5T_C_S1);
  if (mt < 0)
    goto done;
  if (H5Tis_variable_str(ft) > 0) {
    char *v = NULL;
    if (H5Tset_size(mt, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 && H5Aread(a, mt, &v) >= 0 &&
        v != NULL) {
      size_t n = strlen(v) + 1;
      out = malloc(n);
      if (out != NULL)
        memcpy(out, v, n);
      else
        *oom = 1;
      H5free_memory(v);
    }
  } else {
    size_t n = H5Tget_size(ft);
    char *v = malloc(n + 1);
    if (v == NULL) {
      *oom = 1;
    } else if (H5Tset_size(mt, n) >= 0 &&
               H5Tset_cset(mt, H5Tget_cset(ft)) >= 0 &&
               H5Aread(a, mt, v) >= 0) {
      v[n] = '\0';
      /* Space-padded strings (Fortran style) end at the padding. */
      while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\0'))
        v[--n] = '\0';
      out = v;
    } else {
      free(v);
    }
  }
  H5Tclose(mt);
done:
  if (sp >= 0)
    H5Sclose(sp);
  if (ft >= 0)
    H5Tclose(ft);
  H5Aclose(a);
  return out;
}

/* A numeric scalar attribute converted to mtype; 0 if read. */
static int attr_num(hid_t loc, const char *name, hid_t mtype, void *out)
{
  if (H5Aexists(loc, name) <= 0)
    return -1;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  if (a < 0)
    return -1;
  int rc = -1;
  hid_t ft = H5Aget_type(a);
  hid_t sp = H5Aget_space(a);
  H5T_class_t c = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  if ((c == H5T_INTEGER || c == H5T_FLOAT) && sp >= 0 &&
      H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, mtype, out) >= 0)
    rc = 0;
  if (sp >= 0)
    H5Sclose(sp);
  if (ft >= 0)
    H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

/* Copy into a fixed field, truncating (population names over 63 bytes). */
static void copy_str(char *dst, size_t n, const char *src)
{
  size_t len = src != NULL ? strlen(src) : 0;
  if (len >= n)
    len = n - 1;
  if (len > 0)
    memcpy(dst, src, len);
  dst[len] = '\0';
}

/* 1 when the group says its spikes are sorted by time: either our enum
 * (name "by_time") or bmtk's string "by_time". */
static int sorted_by_time(hid_t g)
{
  if (H5Aexists(g, "sorting") <= 0)
    return 0;
  int oom = 0, yes = 0;
  char *s = attr_str(g, "sorting", &oom);
  if (s != NULL) {
    yes = strcmp(s, "by_time") == 0;
    free(s);
    return yes;
  }
  hid_t a = H5Aopen(g, "sorting", H5P_DEFAULT);
  if (a < 0)
    return 0;
  hid_t ft = H5Aget_type(a);
  if (ft >= 0 && H5Tget_class(ft) == H5T_ENUM && H5Tget_size(ft) <= 8) {
    /* Read with the file's own type, then ask the type for the name, so
     * any base integer type works. */
    unsigned char v[8] = {0};
    char name[16];
    if (H5Aread(a, ft, v) >= 0 &&
        H5Tenum_nameof(ft, v, name, sizeof name) >= 0)
      yes = strcmp(name, "by_time") == 0;
  }
  if (ft >= 0)
    H5Tclose(ft);
  H5Aclose(a);
  return yes;
}

/* ---- datasets ------------------------------------------------------------ */

static hssize_t ds_len(hid_t g, const char *name)
{
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
    return -1;
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0)
    return -1;
  hid_t s = H5Dget_space(d);
  hssize_t n = -1;
  if (s >= 0 && H5Sget_simple_extent_ndims(s) == 1)
    n = H5Sget_simple_extent_npoints(s);
  if (s >= 0)
    H5Sclose(s);
  H5Dclose(d);
  return n;
}

/* Read elements [at, at + n) of a 1-D dataset, converted to mtype. */
static int ds_read(hid_t g, const char *name, hid_t mtype, hsize_t at,
                   hsize_t n, void *buf)
{
  if (n == 0)
    return 0;
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0)
    return -1;
  int rc = -1;
  hid_t fs = H5Dget_space(d);
  hid_t ms = H5Screate_simple(1, &n, NULL);
  if (fs >= 0 && ms >= 0 &&
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &n, NULL) >= 0 &&
      H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf) >= 0)
    rc = 0;
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  H5Dclose(d);
  return rc;
}

/* Number of usable spikes: the shorter dataset, because a writer killed
 * between the two appends leaves timestamps one batch ahead. */
static int pop_len(hid_t g, hsize_t *n)
{
  hssize_t nt = ds_len(g, "timestamps"), ni = ds_len(g, "node_ids");
  if (nt < 0 || ni < 0)
    return -1;
  *n = (hsize_t)(nt < ni ? nt : ni);
  return 0;
}

/* Fill one population's summary. Returns 0, SA_EIO or SA_ENOMEM. */
static int pop_info(hid_t g, sa_spikefile_pop *p)
{
  hsize_t n;
  if (pop_len(g, &n) < 0)
    return SA_EIO;
  p->n_spikes = n;
  int have_nodes = attr_num(g, "n_nodes", H5T_NATIVE_UINT64,
                            &p->n_nodes) == 0;
  int sorted = sorted_by_time(g);
  if (n == 0) {
    if (!have_nodes)
      p->n_nodes = 0;
    return 0;
  }
  if (sorted) {
    if (ds_read(g, "timestamps", H5T_NATIVE_DOUBLE, 0, 1, &p->t_first) < 0 ||
        ds_read(g, "timestamps", H5T_NATIVE_DOUBLE, n - 1, 1,
                &p->t_last) < 0)
      return SA_EIO;
    if (have_nodes)
      return 0;
  }
  /* Unsorted times or no n_nodes: scan in blocks to bound memory. */
  hsize_t blk = n < SCAN_BLOCK ? n : SCAN_BLOCK;
  double *t = malloc(blk * sizeof *t);
  uint64_t *id = malloc(blk * sizeof *id);
  int rc = SA_ENOMEM;
  if (t == NULL || id == NULL)
    goto out;
  rc = SA_EIO;
  uint64_t max_id = 0;
  for (hsize_t at = 0; at < n; at += blk) {
    hsize_t m = n - at < blk ? n - at : blk;
    if (!sorted) {
      if (ds_read(g, "timestamps", H5T_NATIVE_DOUBLE, at, m, t) < 0)
        goto out;
      for (hsize_t i = 0; i < m; i++) {
        if ((at == 0 && i == 0) || t[i] < p->t_first)
          p->t_first = t[i];
        if ((at == 0 && i == 0) || t[i] > p->t_last)
          p->t_last = t[i];
      }
    }
    if (!have_nodes) {
      if (ds_read(g, "node_ids", H5T_NATIVE_UINT64, at, m, id) < 0)
        goto out;
      for (hsize_t i = 0; i < m; i++)
        max_id = id[i] > max_id ? id[i] : max_id;
    }
  }
  if (!have_nodes)
    p->n_nodes = max_id + 1;
  rc = 0;
out:
  free(t);
  free(id);
  return rc;
}

/* Link names of /spikes in creation order when the writer tracked it (we
 * do), else in name order (h5py's default). */
static int list_pops(hid_t spikes, sa_spikefile *out, const char *path,
                     char *err, size_t errlen)
{
  H5G_info_t gi;
  if (H5Gget_info(spikes, &gi) < 0) {
    set_err(err, errlen, "%s: cannot list /spikes", path);
    return SA_EIO;
  }
  H5_index_t idx = H5_INDEX_NAME;
  hid_t gcpl = H5Gget_create_plist(spikes);
  unsigned flags = 0;
  if (gcpl >= 0) {
    if (H5Pget_link_creation_order(gcpl, &flags) >= 0 &&
        (flags & H5P_CRT_ORDER_TRACKED))
      idx = H5_INDEX_CRT_ORDER;
    H5Pclose(gcpl);
  }
  if (gi.nlinks == 0)
    return 0;
  out->pops = calloc(gi.nlinks, sizeof *out->pops);
  if (out->pops == NULL) {
    set_err(err, errlen, "%s: out of memory", path);
    return SA_ENOMEM;
  }
  for (hsize_t i = 0; i < gi.nlinks; i++) {
    char name[256];
    ssize_t len = H5Lget_name_by_idx(spikes, ".", idx, H5_ITER_INC, i, name,
                                     sizeof name, H5P_DEFAULT);
    if (len < 0 && idx == H5_INDEX_CRT_ORDER) {
      /* Tracked but not indexed in a large group: fall back. */
      idx = H5_INDEX_NAME;
      len = H5Lget_name_by_idx(spikes, ".", idx, H5_ITER_INC, i, name,
                               sizeof name, H5P_DEFAULT);
    }
    if (len < 0 || (size_t)len >= sizeof name) {
      set_err(err, errlen, "%s: cannot list /spikes", path);
      return SA_EIO;
    }
    if (!is_group(spikes, name))
      continue;   /* legacy flat layout or extras: not a population */
    sa_spikefile_pop *p = &out->pops[out->n_pops];
    copy_str(p->name, sizeof p->name, name);
    hid_t g = H5Gopen2(spikes, name, H5P_DEFAULT);
    int rc = g >= 0 ? pop_info(g, p) : SA_EIO;
    if (g >= 0)
      H5Gclose(g);
    if (rc == SA_ENOMEM) {
      set_err(err, errlen, "%s: out of memory", path);
      return rc;
    }
    if (rc < 0) {
      set_err(err, errlen,
              "%s: /spikes/%s lacks readable 1-D 'timestamps' and "
              "'node_ids' datasets", path, name);
      return rc;
    }
    out->n_pops++;
  }
  return 0;
}

int sa_spikefile_info(const char *path, sa_spikefile *out, char *err,
                      size_t errlen)
{
  if (out == NULL)
    return SA_EINVAL;
  memset(out, 0, sizeof *out);
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = open_spikefile(path, err, errlen);
  if (f < 0) {
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return (int)f;
  }
  int hrc = gheap_check(path, err, errlen);
  if (hrc < 0) {
    H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return hrc;
  }
  /* Provenance is ours; foreign files simply leave it empty. */
  int oom = 0, rc = 0;
  char *s = attr_str(f, "synalign_version", &oom);
  copy_str(out->version, sizeof out->version, s);
  free(s);
  s = attr_str(f, "status", &oom);
  copy_str(out->status, sizeof out->status, s);
  free(s);
  attr_num(f, "seed", H5T_NATIVE_UINT64, &out->seed);
  attr_num(f, "dt", H5T_NATIVE_DOUBLE, &out->dt);
  attr_num(f, "tstop", H5T_NATIVE_DOUBLE, &out->tstop);
  out->config = attr_str(f, "config", &oom);
  if (oom) {
    set_err(err, errlen, "%s: out of memory", path);
    rc = SA_ENOMEM;
  } else {
    hid_t spikes = H5Gopen2(f, "spikes", H5P_DEFAULT);
    if (spikes < 0) {
      set_err(err, errlen, "%s: cannot open /spikes", path);
      rc = SA_EIO;
    } else {
      rc = list_pops(spikes, out, path, err, errlen);
      H5Gclose(spikes);
    }
  }
  H5Fclose(f);
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  if (rc < 0)
    sa_spikefile_free(out);
  return rc;
}

void sa_spikefile_free(sa_spikefile *f)
{
  if (f == NULL)
    return;
  free(f->config);
  free(f->pops);
  f->config = NULL;
  f->pops = NULL;
  f->n_pops = 0;
}

int sa_spikefile_read(const char *path, const char *pop, double **t,
                      uint64_t **id, size_t *n, char *err, size_t errlen)
{
  if (t == NULL || id == NULL || n == NULL)
    return SA_EINVAL;
  *t = NULL;
  *id = NULL;
  *n = 0;
  if (pop == NULL)
    return SA_EINVAL;
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = open_spikefile(path, err, errlen);
  if (f < 0) {
    H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
    return (int)f;
  }
  int rc = SA_ENOENT;
  hid_t g = H5I_INVALID_HID;
  double *tb = NULL;
  uint64_t *ib = NULL;
  hid_t spikes = H5Gopen2(f, "spikes", H5P_DEFAULT);
  /* A '/' would make HDF5 walk a path instead of naming one group. */
  if (spikes < 0 || pop[0] == '\0' || strchr(pop, '/') != NULL ||
      !is_group(spikes, pop) || (g = H5Gopen2(spikes, pop, H5P_DEFAULT)) < 0) {
    set_err(err, errlen, "%s: no population '%s' in /spikes", path, pop);
    goto out;
  }
  hsize_t len;
  rc = SA_EIO;
  if (pop_len(g, &len) < 0) {
    set_err(err, errlen,
            "%s: /spikes/%s lacks readable 1-D 'timestamps' and 'node_ids' "
            "datasets", path, pop);
    goto out;
  }
  if (len > SIZE_MAX / sizeof(double)) {
    set_err(err, errlen, "%s: /spikes/%s is too large to load", path, pop);
    rc = SA_ENOMEM;
    goto out;
  }
  /* Never malloc(0): callers may treat NULL as failure. */
  tb = malloc(len > 0 ? len * sizeof *tb : 1);
  ib = malloc(len > 0 ? len * sizeof *ib : 1);
  if (tb == NULL || ib == NULL) {
    set_err(err, errlen, "%s: out of memory reading /spikes/%s", path, pop);
    rc = SA_ENOMEM;
    goto out;
  }
  char d[256];
  if (ds_read(g, "timestamps", H5T_NATIVE_DOUBLE, 0, len, tb) < 0 ||
      ds_read(g, "node_ids", H5T_NATIVE_UINT64, 0, len, ib) < 0) {
    set_err(err, errlen, "%s: reading /spikes/%s failed: %s", path, pop,
            h5_detail(d));
    goto out;
  }
  *t = tb;
  *id = ib;
  *n = (size_t)len;
  tb = NULL;
  ib = NULL;
  rc = 0;
out:
  free(tb);
  free(ib);
  if (g >= 0)
    H5Gclose(g);
  if (spikes >= 0)
    H5Gclose(spikes);
  H5Fclose(f);
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  return rc;
}
