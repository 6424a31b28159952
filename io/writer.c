/* writer.c: SONATA spike writer; batches on the simulation thread, appends
 * to an SWMR HDF5 file from a libuv writer thread.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <hdf5.h>
#include <uv.h>

#include "sa_io.h"
#include "internal.h"

enum {
  BATCH_SPIKES = 65536,  /* a batch is handed over once it holds this many */
  N_BATCHES = 3,         /* one filling, one queued, one being written */
  CHUNK = 8192,          /* dataset chunk, in elements */
  WRITER_NICE = 10,      /* the writer thread's nice, above the caller's */
  STATUS_LEN = 16        /* fixed size of the "status" attribute */
};

#define SONATA_MAGIC 0x0A7Au

/* One population's share of a batch: parallel arrays, grown by doubling and
 * kept across reuse so a steady run stops allocating after warm-up. */
typedef struct popbuf {
  double *t;       /* ms */
  uint64_t *id;    /* node index within the population */
  size_t n, cap;
} popbuf;

typedef struct batch {
  popbuf *pop;     /* one per network population */
  size_t n;        /* total over populations */
} batch;

typedef struct wpop {
  int recorded;
  char *name;
  hid_t ds_t, ds_id;   /* open for appending; H5I_INVALID_HID if unused */
  hsize_t written;     /* elements already in both datasets */
} wpop;

/* A weight report: one projection's weights every `interval` ms as a
 * SONATA frame report. Columns are ordered by target node (SONATA groups a
 * node's elements together); perm maps a column to the synapse's index in
 * the core's CSR order, which is also its element id. */
typedef struct wrep {
  char *name;
  uint64_t nsyn;
  uint64_t *perm;
  double interval;     /* ms */
  double t_first;      /* time of the first frame, ms */
  hid_t ds_data, ds_times, ds_time3;
  hsize_t frames;      /* written */
  int rule;            /* B-hat of this rule (sa_writer_add_estimate); -1:
                          the weights, or an alignment series */
} wrep;

/* One snapshot on its way to the writer thread (allocated per snapshot,
 * which is per report interval, never per spike). */
typedef struct frame {
  struct frame *next;
  int rep;
  double t;
  float data[];
} frame;

/* Hand-off between the simulation thread (producer) and the writer thread.
 *
 * There are N_BATCHES batch buffers. At any time each one is in exactly one
 * of four places: `cur` (being filled by sa_writer_spikes), the FIFO
 * `queue` (full, waiting for the writer), the writer's hands (being written
 * with no lock held), or the `spare` stack (empty). Every move between those
 * places happens under `mu`; the HDF5 write itself happens outside it, so
 * the producer only ever blocks on a memcpy-sized critical section, except
 * when it needs a spare and none exists: it then waits on `space`, which the
 * writer signals each time it returns a written batch. That wait is the
 * back-pressure: memory is bounded by N_BATCHES batches (each a bit over
 * BATCH_SPIKES unless one call brings more), never by how far the disk lags.
 * The flush timer runs on the writer thread and may also move a non-empty
 * `cur` to the queue (swapping in a spare), so spikes reach the disk within
 * flush_ms even in quiet periods. Batches are queued and written in FIFO
 * order and each population's spikes arrive in time order, so appending
 * keeps every population sorted by time. */
struct sa_writer {
  char *path;
  char *dir;         /* folder of path, for the free-space check */
  hid_t file;
  int n_pops;
  wpop *pops;
  double dt;         /* ms */
  double per_ms;     /* ticks per ms when dt == 1/integer, else 0 */

  uv_loop_t loop;
  uv_async_t wake;
  uv_timer_t timer;
  uv_thread_t thread;
  uv_mutex_t mu;
  uv_cond_t space;
  int have_loop, have_sync, have_thread;

  batch batches[N_BATCHES];
  /* Guarded by mu. */
  batch *cur;
  batch *queue[N_BATCHES];
  int q_head, q_len;
  batch *spare[N_BATCHES];
  int n_spare;
  int stopping;
  uint64_t oom_dropped;
  frame *fq_head, *fq_tail;   /* weight frames, FIFO */
  int fq_len;
  int (*call_fn)(void *);     /* sa_writer_call, run after the queues */
  void *call_arg;
  int call_pending, call_rc;

  wrep *reps;
  int n_reps;
  double flush_ms;
  int started;

  volatile int *stop;         /* set when writing fails; may be NULL */

  /* Writer thread only until it is joined. */
  int failed;
  uint64_t err_dropped;
  char errmsg[512];
};

/* ---- helpers ------------------------------------------------------------- */

#define set_err sa__io_err

static char *dup_str(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

#define h5_detail sa__h5_detail

/* Tick -> ms. When dt is 1/k ms (0.1, 0.05 ...) dividing by k gives the
 * correctly rounded decimal (48 / 10 = 4.8) where 48 * 0.1 would give
 * 4.800000000000001; NEST reports the former, and so do we. */
static double stamp_ms(const sa_writer *w, sa_tick s)
{
  if (w->per_ms > 0)
    return (double)s / w->per_ms;
  return (double)s * w->dt;
}

/* ---- attributes ---------------------------------------------------------- */

/* Fixed-size string type of len bytes (NUL-terminated, NUL-padded). */
static hid_t fstr_type(size_t len)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0)
    return -1;
  if (H5Tset_size(t, len) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
      H5Tset_cset(t, H5T_CSET_ASCII) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

static int write_status(hid_t file, const char *status, int create)
{
  char buf[STATUS_LEN];
  memset(buf, 0, sizeof buf);
  snprintf(buf, sizeof buf, "%s", status);
  hid_t t = fstr_type(STATUS_LEN);
  if (t < 0)
    return -1;
  int rc = -1;
  if (create) {
    rc = sa__h5_attr(file, "status", t, t, 0, buf);
  } else {
    /* Modify in place: after H5Fstart_swmr_write, creating is forbidden. */
    hid_t a = H5Aopen(file, "status", H5P_DEFAULT);
    if (a >= 0) {
      rc = H5Awrite(a, t, buf) < 0 ? -1 : 0;
      if (H5Aclose(a) < 0)
        rc = -1;
    }
  }
  H5Tclose(t);
  return rc;
}

/* SONATA's sorting enum. libsonata reads it with a char base type, so the
 * file type is I8; the memory type uses the native char for the write. */
static hid_t sorting_type(hid_t base)
{
  hid_t t = H5Tenum_create(base);
  if (t < 0)
    return -1;
  static const char *const names[] = {"none", "by_id", "by_time"};
  for (int8_t v = 0; v < 3; v++) {
    if (H5Tenum_insert(t, names[v], &v) < 0) {
      H5Tclose(t);
      return -1;
    }
  }
  return t;
}

static int root_attrs(hid_t file, const sa_provenance *prov)
{
  static const sa_provenance none = {NULL, NULL, 0, 0.0, 0.0};
  if (prov == NULL)
    prov = &none;
  uint32_t magic = SONATA_MAGIC;
  uint32_t version[2] = {0, 1};
  if (sa__h5_attr(file, "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, 2,
                  version) < 0 ||
      sa__h5_attr(file, "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, 0,
                  &magic) < 0 ||
      sa__h5_attr_str(file, "synalign_version", SA_VERSION) < 0 ||
      sa__h5_attr(file, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0,
                  &prov->seed) < 0 ||
      sa__h5_attr(file, "dt", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                  &prov->dt) < 0 ||
      sa__h5_attr(file, "tstop", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                  &prov->tstop) < 0 ||
      sa__h5_attr_str(file, "config", prov->config_text) < 0 ||
      sa__h5_attr_str(file, "config_path", prov->config_path) < 0 ||
      write_status(file, "running", 1) < 0)
    return -1;
  return 0;
}

/* ---- layout -------------------------------------------------------------- */

static hid_t make_dataset(hid_t g, const char *name, hid_t type, hid_t dcpl)
{
  hsize_t zero = 0, unlim = H5S_UNLIMITED;
  hid_t s = H5Screate_simple(1, &zero, &unlim);
  if (s < 0)
    return -1;
  hid_t d = H5Dcreate2(g, name, type, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Sclose(s);
  return d;
}

static int pop_layout(hid_t spikes, wpop *wp, uint32_t n_nodes, hid_t dcpl)
{
  hid_t g = H5Gcreate2(spikes, wp->name, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  if (g < 0)
    return -1;
  int rc = -1;
  hid_t ft = sorting_type(H5T_STD_I8LE);
  hid_t mt = sorting_type(H5T_NATIVE_SCHAR);
  int8_t by_time = 2;
  uint64_t nn = n_nodes;
  if (ft < 0 || mt < 0 ||
      sa__h5_attr(g, "sorting", ft, mt, 0, &by_time) < 0 ||
      sa__h5_attr(g, "n_nodes", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &nn) < 0)
    goto out;
  wp->ds_t = make_dataset(g, "timestamps", H5T_IEEE_F64LE, dcpl);
  if (wp->ds_t < 0 || sa__h5_attr_str(wp->ds_t, "units", "ms") < 0)
    goto out;
  wp->ds_id = make_dataset(g, "node_ids", H5T_STD_U64LE, dcpl);
  if (wp->ds_id < 0)
    goto out;
  rc = 0;
out:
  if (ft >= 0)
    H5Tclose(ft);
  if (mt >= 0)
    H5Tclose(mt);
  H5Gclose(g);
  return rc;
}

/* Everything is created before H5Fstart_swmr_write: an SWMR writer may only
 * extend existing chunked datasets (and rewrite existing attributes). */
static int make_layout(sa_writer *w, const sa_net *net,
                       const sa_provenance *prov)
{
  if (root_attrs(w->file, prov) < 0)
    return -1;
  int rc = -1;
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t spikes = -1;
  hsize_t chunk = CHUNK;
  if (gcpl < 0 || dcpl < 0)
    goto out;
  /* Creation order tracking lets readers list populations in network
   * order rather than alphabetically. */
  if (H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED |
                                           H5P_CRT_ORDER_INDEXED) < 0 ||
      H5Pset_chunk(dcpl, 1, &chunk) < 0)
    goto out;
  /* Shuffle + deflate level 1, on the writer thread. Measured here on 20M
   * spikes (100k nodes): 14 M spikes/s, 16.5 MB; deflate alone 7 M/s and
   * 65 MB; no filter 60-100 M/s but 320 MB. 14 M/s is far above what a
   * simulation producing that many spikes runs at, so compress. */
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 &&
      (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, 1) < 0))
    goto out;
  spikes = H5Gcreate2(w->file, "spikes", H5P_DEFAULT, gcpl, H5P_DEFAULT);
  if (spikes < 0)
    goto out;
  for (int p = 0; p < w->n_pops; p++) {
    if (w->pops[p].recorded &&
        pop_layout(spikes, &w->pops[p], sa_net_pop_size(net, p), dcpl) < 0)
      goto out;
  }
  rc = 0;
out:
  if (spikes >= 0)
    H5Gclose(spikes);
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (gcpl >= 0)
    H5Pclose(gcpl);
  return rc;
}

/* ---- writer thread ------------------------------------------------------- */

static int append(hid_t ds, hid_t mtype, hsize_t at, const void *buf,
                  size_t n)
{
  hsize_t size = at + n, start = at, count = n;
  if (H5Dset_extent(ds, &size) < 0)
    return -1;
  hid_t fs = H5Dget_space(ds);
  if (fs < 0)
    return -1;
  hid_t ms = H5Screate_simple(1, &count, NULL);
  int rc = -1;
  if (ms >= 0 &&
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count,
                          NULL) >= 0 &&
      H5Dwrite(ds, mtype, ms, fs, H5P_DEFAULT, buf) >= 0)
    rc = 0;
  if (ms >= 0)
    H5Sclose(ms);
  H5Sclose(fs);
  return rc;
}

/* Refuse a batch that might not fit, before HDF5 sees a failed write.
 * HDF5 1.10 cannot recover from one: the file's close then fails, frees
 * the file struct but keeps its id, and the library's exit handler
 * crashes on it (HDFFV-11052, fixed after 1.14.0). Stopping early instead
 * leaves a valid file holding a prefix of the spikes. The margin (twice
 * the raw bytes plus 1 MiB) covers chunk and metadata overhead and the
 * final status write. */
static int room_for(sa_writer *w, size_t n)
{
  uint64_t need = (uint64_t)n * 2 * (sizeof(double) + sizeof(uint64_t)) +
                  (1u << 20);
  struct statvfs vfs;
  if (statvfs(w->dir, &vfs) == 0 &&
      (uint64_t)vfs.f_bavail * vfs.f_frsize < need) {
    snprintf(w->errmsg, sizeof w->errmsg,
             "%s: disk full (%llu KiB free in '%s'); spike writing stopped",
             w->path, (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024,
             w->dir);
    return 0;
  }
  struct rlimit rl;
  struct stat st;
  if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      stat(w->path, &st) == 0 && (uint64_t)st.st_size + need > rl.rlim_cur) {
    snprintf(w->errmsg, sizeof w->errmsg,
             "%s: file size limit (%llu KiB) reached; spike writing stopped",
             w->path, (unsigned long long)rl.rlim_cur / 1024);
    return 0;
  }
  return 1;
}

/* Writing failed for good: drop what follows and, if the caller asked
 * for it (sa_writer_stop_on_failure), stop the simulation. */
static void give_up(sa_writer *w)
{
  w->failed = 1;
  if (w->stop)
    __atomic_store_n(w->stop, 1, __ATOMIC_RELAXED);
}

static void write_batch(sa_writer *w, batch *b)
{
  if (!w->failed && !room_for(w, b->n))
    give_up(w);
  if (w->failed) {
    /* Keep draining so the simulation never blocks on a dead disk. */
    w->err_dropped += b->n;
    return;
  }
  char d[256];
  for (int p = 0; p < w->n_pops; p++) {
    popbuf *pb = &b->pop[p];
    wpop *wp = &w->pops[p];
    if (pb->n == 0)
      continue;
    /* Timestamps first, node ids second: a reader takes the shorter of the
     * two, so a crash between them never pairs a time with a wrong id. */
    if (append(wp->ds_t, H5T_NATIVE_DOUBLE, wp->written, pb->t,
               pb->n) < 0 ||
        append(wp->ds_id, H5T_NATIVE_UINT64, wp->written, pb->id,
               pb->n) < 0) {
      snprintf(w->errmsg, sizeof w->errmsg,
               "%s: writing spikes of population '%s' failed: %s", w->path,
               wp->name, h5_detail(d));
      give_up(w);
      w->err_dropped += b->n;
      return;
    }
    wp->written += pb->n;
  }
  /* The flush is what makes this batch survive a SIGKILL (SWMR orders the
   * metadata so the file on disk is always a consistent prefix). */
  if (H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0) {
    snprintf(w->errmsg, sizeof w->errmsg, "%s: flushing spikes failed: %s",
             w->path, h5_detail(d));
    give_up(w);
  }
}

/* Append one weight frame: a row of data, its time in `times`. */
static void write_frame(sa_writer *w, frame *f)
{
  wrep *r = &w->reps[f->rep];
  if (w->failed)
    return;
  char d[256];
  hsize_t dims[2] = {r->frames + 1, r->nsyn};
  hsize_t start[2] = {r->frames, 0}, count[2] = {1, r->nsyn};
  hid_t fs = -1, ms = -1;
  int ok = H5Dset_extent(r->ds_data, dims) >= 0 &&
           (fs = H5Dget_space(r->ds_data)) >= 0 &&
           H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count,
                               NULL) >= 0 &&
           (ms = H5Screate_simple(2, count, NULL)) >= 0 &&
           H5Dwrite(r->ds_data, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT,
                    f->data) >= 0 &&
           append(r->ds_times, H5T_NATIVE_DOUBLE, r->frames, &f->t, 1) >= 0;
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  if (ok && r->frames == 0)
    r->t_first = f->t;
  if (ok)
    r->frames++;
  if (!ok || H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0) {
    snprintf(w->errmsg, sizeof w->errmsg,
             "%s: writing the weights of '%s' failed: %s", w->path, r->name,
             h5_detail(d));
    give_up(w);
  }
}

static void reset_batch(batch *b, int n_pops)
{
  for (int p = 0; p < n_pops; p++)
    b->pop[p].n = 0;
  b->n = 0;
}

/* Under mu: queue `cur` and start filling a spare. Needs n_spare > 0. */
static void hand_over(sa_writer *w)
{
  w->queue[(w->q_head + w->q_len) % N_BATCHES] = w->cur;
  w->q_len++;
  w->cur = w->spare[--w->n_spare];
}

static void drain(sa_writer *w)
{
  for (;;) {
    uv_mutex_lock(&w->mu);
    if (w->q_len == 0) {
      /* Spikes first, then frames: a frame at t follows the spikes up to
       * t, which were queued before it. */
      frame *f = w->fq_head;
      if (f != NULL) {
        w->fq_head = f->next;
        if (w->fq_head == NULL)
          w->fq_tail = NULL;
        w->fq_len--;
      }
      int (*fn)(void *) = f == NULL && w->call_pending ? w->call_fn : NULL;
      uv_mutex_unlock(&w->mu);
      if (fn != NULL) {
        /* Everything queued before the call is on disk now. */
        int rc = fn(w->call_arg);
        uv_mutex_lock(&w->mu);
        w->call_rc = rc;
        w->call_pending = 0;
        uv_cond_broadcast(&w->space);
        uv_mutex_unlock(&w->mu);
        return;
      }
      if (f == NULL)
        return;
      write_frame(w, f);
      free(f);
      uv_mutex_lock(&w->mu);
      uv_cond_signal(&w->space);
      uv_mutex_unlock(&w->mu);
      continue;
    }
    batch *b = w->queue[w->q_head];
    w->q_head = (w->q_head + 1) % N_BATCHES;
    w->q_len--;
    uv_mutex_unlock(&w->mu);

    write_batch(w, b);

    uv_mutex_lock(&w->mu);
    reset_batch(b, w->n_pops);
    w->spare[w->n_spare++] = b;
    uv_cond_signal(&w->space);
    uv_mutex_unlock(&w->mu);
  }
}

static void on_wake(uv_async_t *h)
{
  sa_writer *w = h->data;
  drain(w);
  uv_mutex_lock(&w->mu);
  int stop = w->stopping && w->q_len == 0 && w->fq_len == 0;
  uv_mutex_unlock(&w->mu);
  if (stop) {
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->timer, NULL);
  }
}

static void on_timer(uv_timer_t *h)
{
  sa_writer *w = h->data;
  uv_mutex_lock(&w->mu);
  if (w->cur != NULL && w->cur->n > 0 && w->n_spare > 0)
    hand_over(w);
  uv_mutex_unlock(&w->mu);
  drain(w);
}

static void writer_main(void *arg)
{
  sa_writer *w = arg;
  /* The error stack is per thread: silence its printing here too; failures
   * become messages in errmsg. */
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* Below the simulation's threads (on Linux PRIO_PROCESS 0 is the calling
   * thread): when the workers fill every core, a writer of their priority
   * takes a core from one of them in the middle of a slice while the
   * others wait for it at the slice's barrier. At nice +10 it mostly runs
   * while they wait anyway, and when it lags the batches' back-pressure
   * lets it catch up. CUBA N = 64000 with 2 threads on 2 cores, four
   * rounds of 11-15 interleaved runs: 0.321 -> 0.289, 0.381 -> 0.332
   * (that round at +19), 0.369 -> 0.359, 0.359 -> 0.315 s; 1 thread
   * unchanged (0.392 -> 0.385); the same spikes in the file. */
  errno = 0;
  int pri = getpriority(PRIO_PROCESS, 0);
  if (errno == 0)
    (void)setpriority(PRIO_PROCESS, 0, pri + WRITER_NICE);
  uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* ---- producer ------------------------------------------------------------ */

static int reserve(popbuf *b, size_t need)
{
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap > 0 ? b->cap : 1024;
  while (cap < need) {
    if (cap > SIZE_MAX / 2 / sizeof(double))
      return -1;
    cap *= 2;
  }
  double *t = realloc(b->t, cap * sizeof *t);
  if (t == NULL)
    return -1;
  b->t = t;
  uint64_t *id = realloc(b->id, cap * sizeof *id);
  if (id == NULL)
    return -1;
  b->id = id;
  b->cap = cap;
  return 0;
}

void sa_writer_spikes(void *writer, int pop, const sa_tick *stamp,
                      const uint32_t *id, size_t n)
{
  sa_writer *w = writer;
  if (w == NULL || n == 0 || pop < 0 || pop >= w->n_pops ||
      !w->pops[pop].recorded)
    return;
  int handed = 0;
  uv_mutex_lock(&w->mu);
  if (w->cur == NULL) {  /* closing: nothing may be added */
    uv_mutex_unlock(&w->mu);
    return;
  }
  popbuf *pb = &w->cur->pop[pop];
  if (pb->n > SIZE_MAX - n || reserve(pb, pb->n + n) < 0) {
    w->oom_dropped += n;
  } else {
    for (size_t i = 0; i < n; i++) {
      pb->t[pb->n + i] = stamp_ms(w, stamp[i]);
      pb->id[pb->n + i] = id[i];
    }
    pb->n += n;
    w->cur->n += n;
  }
  /* Re-test after each wait: the flush timer may have taken cur meanwhile. */
  while (w->cur->n >= BATCH_SPIKES) {
    if (w->n_spare > 0) {
      hand_over(w);
      handed = 1;
    } else {
      uv_cond_wait(&w->space, &w->mu);
    }
  }
  uv_mutex_unlock(&w->mu);
  if (handed)
    uv_async_send(&w->wake);
}

/* ---- open / close -------------------------------------------------------- */

static void free_writer(sa_writer *w)
{
  for (int i = 0; i < N_BATCHES; i++) {
    if (w->batches[i].pop == NULL)
      continue;
    for (int p = 0; p < w->n_pops; p++) {
      free(w->batches[i].pop[p].t);
      free(w->batches[i].pop[p].id);
    }
    free(w->batches[i].pop);
  }
  if (w->pops != NULL) {
    for (int p = 0; p < w->n_pops; p++)
      free(w->pops[p].name);
  }
  free(w->pops);
  for (int i = 0; i < w->n_reps; i++) {
    free(w->reps[i].name);
    free(w->reps[i].perm);
  }
  free(w->reps);
  while (w->fq_head != NULL) {
    frame *f = w->fq_head;
    w->fq_head = f->next;
    free(f);
  }
  free(w->dir);
  free(w->path);
  free(w);
}

static void close_datasets(sa_writer *w)
{
  for (int p = 0; p < w->n_pops; p++) {
    if (w->pops[p].ds_t >= 0)
      H5Dclose(w->pops[p].ds_t);
    if (w->pops[p].ds_id >= 0)
      H5Dclose(w->pops[p].ds_id);
    w->pops[p].ds_t = w->pops[p].ds_id = H5I_INVALID_HID;
  }
  for (int i = 0; i < w->n_reps; i++) {
    wrep *r = &w->reps[i];
    hid_t *ds[] = {&r->ds_data, &r->ds_times, &r->ds_time3};
    for (int k = 0; k < 3; k++) {
      if (*ds[k] >= 0)
        H5Dclose(*ds[k]);
      *ds[k] = H5I_INVALID_HID;
    }
  }
}

/* The folder holding path, malloc'd ("." for a bare name). */
static char *parent_dir(const char *path)
{
  char *dir = dup_str(path);
  if (dir == NULL)
    return NULL;
  char *slash = strrchr(dir, '/');
  if (slash == NULL)
    snprintf(dir, strlen(path) + 1, ".");
  else if (slash == dir)
    slash[1] = '\0';
  else
    *slash = '\0';
  return dir;
}

/* Human messages for the common mistakes, before HDF5 gets to say
 * "unable to truncate a file which is already open". */
static int check_path(const char *path, const char *dir, int overwrite,
                      char *err, size_t errlen)
{
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      set_err(err, errlen, "%s: is a folder, not a file", path);
      return SA_EIO;
    }
    if (!overwrite) {
      set_err(err, errlen,
              "%s: file exists; pass --overwrite to replace it", path);
      return SA_EEXIST;
    }
  } else if (errno != ENOENT) {
    set_err(err, errlen, "%s: %s", path, strerror(errno));
    return SA_EIO;
  }
  if (stat(dir, &st) != 0) {
    set_err(err, errlen, "%s: folder '%s' %s", path, dir,
            errno == ENOENT ? "does not exist" : strerror(errno));
    return SA_EIO;
  }
  if (!S_ISDIR(st.st_mode)) {
    set_err(err, errlen, "%s: '%s' is not a folder", path, dir);
    return SA_EIO;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    set_err(err, errlen, "%s: folder '%s' is not writable (%s)", path, dir,
            strerror(errno));
    return SA_EIO;
  }
  return 0;
}

static int alloc_writer(sa_writer **out, const char *path, const sa_net *net,
                        const unsigned char *record)
{
  sa_writer *w = calloc(1, sizeof *w);
  if (w == NULL)
    return SA_ENOMEM;
  w->file = H5I_INVALID_HID;
  w->n_pops = sa_net_pop_count(net);
  w->path = dup_str(path);
  w->dir = parent_dir(path);
  if (w->path == NULL || w->dir == NULL)
    goto oom;
  if (w->n_pops > 0) {
    w->pops = calloc((size_t)w->n_pops, sizeof *w->pops);
    if (w->pops == NULL)
      goto oom;
  }
  for (int p = 0; p < w->n_pops; p++) {
    wpop *wp = &w->pops[p];
    wp->ds_t = wp->ds_id = H5I_INVALID_HID;
    wp->recorded = record == NULL || record[p];
    const char *name = sa_net_pop_name(net, p);
    wp->name = dup_str(name != NULL ? name : "");
    if (wp->name == NULL)
      goto oom;
  }
  for (int i = 0; i < N_BATCHES; i++) {
    /* One spare slot even with no populations keeps calloc non-zero. */
    w->batches[i].pop = calloc((size_t)w->n_pops + 1, sizeof(popbuf));
    if (w->batches[i].pop == NULL)
      goto oom;
  }
  w->cur = &w->batches[0];
  for (int i = 1; i < N_BATCHES; i++)
    w->spare[w->n_spare++] = &w->batches[i];
  *out = w;
  return 0;
oom:
  free_writer(w);
  return SA_ENOMEM;
}

/* Start the libuv side; on failure nothing of it is left behind. */
static int start_thread(sa_writer *w, double flush_ms)
{
  if (uv_mutex_init(&w->mu) != 0)
    return -1;
  if (uv_cond_init(&w->space) != 0) {
    uv_mutex_destroy(&w->mu);
    return -1;
  }
  w->have_sync = 1;
  if (uv_loop_init(&w->loop) != 0)
    return -1;
  w->have_loop = 1;
  uint64_t ms = 1000;
  if (isfinite(flush_ms) && flush_ms >= 1.0)
    ms = flush_ms > 3.6e6 ? 3600000u : (uint64_t)ceil(flush_ms);
  else if (isfinite(flush_ms) && flush_ms > 0)
    ms = 1;
  w->wake.data = w;
  w->timer.data = w;
  if (uv_async_init(&w->loop, &w->wake, on_wake) != 0)
    return -1;
  uv_timer_init(&w->loop, &w->timer);   /* cannot fail */
  if (uv_timer_start(&w->timer, on_timer, ms, ms) != 0 ||
      uv_thread_create(&w->thread, writer_main, w) != 0) {
    /* Closing needs one loop turn before uv_loop_close can succeed. */
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->timer, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    return -1;
  }
  w->have_thread = 1;
  return 0;
}

static void stop_sync(sa_writer *w)
{
  if (w->have_loop) {
    uv_loop_close(&w->loop);
    w->have_loop = 0;
  }
  if (w->have_sync) {
    uv_cond_destroy(&w->space);
    uv_mutex_destroy(&w->mu);
    w->have_sync = 0;
  }
}

int sa_writer_create(sa_writer **out, const char *path, const sa_net *net,
                     const unsigned char *record, const sa_provenance *prov,
                     int overwrite, double flush_ms, char *err,
                     size_t errlen)
{
  if (out == NULL)
    return SA_EINVAL;
  *out = NULL;
  if (path == NULL || net == NULL) {
    set_err(err, errlen, "spike writer: no output path or network");
    return SA_EINVAL;
  }
  if (path[0] == '\0') {
    set_err(err, errlen, "spike writer: empty output path");
    return SA_EIO;
  }
  sa_writer *w;
  int rc = alloc_writer(&w, path, net, record);
  if (rc < 0) {
    set_err(err, errlen, "%s: out of memory", path);
    return rc;
  }
  rc = check_path(path, w->dir, overwrite, err, errlen);
  if (rc < 0) {
    free_writer(w);
    return rc;
  }
  /* On a full disk the layout or the SWMR switch fails inside HDF5, which
   * 1.10 cannot close cleanly (room_for): refuse before creating. */
  if (!room_for(w, 0)) {
    char *tail = strstr(w->errmsg, "; spike writing stopped");
    if (tail != NULL)
      *tail = '\0';
    set_err(err, errlen, "%s; the file was not created", w->errmsg);
    free_writer(w);
    return SA_EIO;
  }
  w->dt = sa_net_dt(net);
  double k = w->dt > 0 ? nearbyint(1.0 / w->dt) : 0;
  if (k >= 1 && k < 1e9 && fabs(k * w->dt - 1.0) < 1e-12)
    w->per_ms = k;

  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char d[256];
  int created = 0;
  rc = SA_EIO;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 ||
      H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) {
    set_err(err, errlen, "%s: HDF5 setup failed: %s", path, h5_detail(d));
    goto fail;
  }
  w->file = H5Fcreate(path, overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL,
                      H5P_DEFAULT, fapl);
  if (w->file < 0) {
    struct stat st;
    if (!overwrite && stat(path, &st) == 0) {
      set_err(err, errlen,
              "%s: file exists; pass --overwrite to replace it", path);
      rc = SA_EEXIST;
    } else {
      set_err(err, errlen, "%s: cannot create HDF5 file: %s", path,
              h5_detail(d));
    }
    goto fail;
  }
  created = 1;
  if (make_layout(w, net, prov) < 0) {
    set_err(err, errlen, "%s: writing the SONATA layout failed: %s", path,
            h5_detail(d));
    goto fail;
  }
  w->flush_ms = flush_ms;
  H5Pclose(fapl);
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  *out = w;
  return 0;

fail:
  stop_sync(w);
  close_datasets(w);
  if (w->file >= 0)
    H5Fclose(w->file);
  if (fapl >= 0)
    H5Pclose(fapl);
  /* A half-written file would pass for a run that never happened. */
  if (created)
    unlink(path);
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  free_writer(w);
  return rc;
}

/* Undo sa_writer_create / a failed start: the file goes, it never held a
 * run. */
static void discard(sa_writer *w)
{
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  stop_sync(w);
  close_datasets(w);
  if (w->file >= 0) {
    H5Fclose(w->file);
    unlink(w->path);
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  free_writer(w);
}

void sa_writer_stop_on_failure(sa_writer *w, volatile int *stop)
{
  w->stop = stop;
}

int sa_writer_start(sa_writer *w, char *err, size_t errlen)
{
  if (w == NULL || w->started)
    return SA_EINVAL;
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char d[256];
  int rc = 0;
  if (H5Fstart_swmr_write(w->file) < 0) {
    set_err(err, errlen, "%s: cannot switch to SWMR mode: %s", w->path,
            h5_detail(d));
    rc = SA_EIO;
  } else if (start_thread(w, w->flush_ms) < 0) {
    set_err(err, errlen, "%s: cannot start the writer thread", w->path);
    rc = SA_EIO;
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  if (rc) {
    discard(w);
    return rc;
  }
  w->started = 1;
  return 0;
}

int sa_writer_open(sa_writer **out, const char *path, const sa_net *net,
                   const unsigned char *record, const sa_provenance *prov,
                   int overwrite, double flush_ms, char *err, size_t errlen)
{
  int rc = sa_writer_create(out, path, net, record, prov, overwrite,
                            flush_ms, err, errlen);
  if (rc == 0 && (rc = sa_writer_start(*out, err, errlen)) != 0)
    *out = NULL;
  return rc;
}

static const char *weight_units(const char *model)
{
  if (model == NULL)
    return "";
  if (!strcmp(model, "lif_delta"))
    return "mV";
  if (!strcmp(model, "lif_exp"))
    return "pA";
  if (!strcmp(model, "lif_cond_exp"))
    return "nS";
  return "";
}

static hid_t fixed_dataset(hid_t g, const char *name, hid_t ftype,
                           hid_t mtype, hsize_t n, const void *data)
{
  hid_t sp = H5Screate_simple(1, &n, NULL);
  if (sp < 0)
    return -1;
  hid_t ds = H5Dcreate2(g, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  H5Sclose(sp);
  if (ds >= 0 && n > 0 &&
      H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    H5Dclose(ds);
    return -1;
  }
  return ds;
}

static int write_fixed(hid_t g, const char *name, hid_t ftype, hid_t mtype,
                       hsize_t n, const void *data)
{
  hid_t ds = fixed_dataset(g, name, ftype, mtype, n, data);
  if (ds < 0)
    return -1;
  H5Dclose(ds);
  return 0;
}

/* A report's time axis under mapping/: time = (start, stop, step) ms, as
 * SONATA has it (rewritten at close), and times, each frame's exact time,
 * appended with the frames. */
static int time_axis(hid_t mg, wrep *r)
{
  double t3[3] = {0.0, 0.0, r->interval};
  hsize_t tchunk = 256;
  r->ds_time3 = fixed_dataset(mg, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                              3, t3);
  if (r->ds_time3 < 0 || sa__h5_attr_str(r->ds_time3, "units", "ms") < 0)
    return -1;
  hid_t tcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (tcpl < 0)
    return -1;
  if (H5Pset_chunk(tcpl, 1, &tchunk) >= 0)
    r->ds_times = make_dataset(mg, "times", H5T_IEEE_F64LE, tcpl);
  H5Pclose(tcpl);
  if (r->ds_times < 0 || sa__h5_attr_str(r->ds_times, "units", "ms") < 0)
    return -1;
  return 0;
}

/* The SONATA frame-report layout of one projection, created before SWMR:
 *   /report/<proj>/data                 float32 [frames x synapses]
 *   /report/<proj>/mapping/node_ids     target nodes with synapses
 *   /report/<proj>/mapping/index_pointers (+ hard link index_pointer)
 *   /report/<proj>/mapping/element_ids  synapse index in the core's order
 *   /report/<proj>/mapping/source_ids, target_ids  each column's endpoints
 *   /report/<proj>/mapping/time         (start, stop, step) ms
 *   /report/<proj>/mapping/times        each frame's exact time, ms */
static int report_layout(sa_writer *w, wrep *r, sa_net *net, int proj,
                         uint64_t *src, uint64_t *tgt, uint32_t *elem,
                         uint64_t *nodes, uint64_t *ptr, uint64_t n_nodes)
{
  int rc = -1;
  hid_t rg = -1, pg = -1, mg = -1, dcpl = -1, sp = -1;
  htri_t have = H5Lexists(w->file, "report", H5P_DEFAULT);
  if (have < 0)
    goto out;
  rg = have ? H5Gopen2(w->file, "report", H5P_DEFAULT)
            : H5Gcreate2(w->file, "report", H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT);
  if (rg < 0)
    goto out;
  pg = H5Gcreate2(rg, r->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (pg < 0)
    goto out;
  const char *rule = sa_net_proj_rule(net, proj, r->rule >= 0 ? r->rule : 0);
  const char *from = sa_net_pop_name(net, sa_net_proj_source(net, proj));
  const char *to = sa_net_pop_name(net, sa_net_proj_target(net, proj));
  if (sa__h5_attr_str(pg, "source", from) < 0 ||
      sa__h5_attr_str(pg, "target", to) < 0 ||
      sa__h5_attr_str(pg, "rule", rule != NULL ? rule : "static") < 0 ||
      (r->rule >= 0 &&
       sa__h5_attr_str(pg, "estimate_of", sa_net_proj_name(net, proj)) < 0))
    goto out;
  hsize_t dims[2] = {0, r->nsyn}, maxd[2] = {H5S_UNLIMITED, r->nsyn};
  hsize_t chunk[2] = {1, r->nsyn < 65536 ? r->nsyn : 65536};
  dcpl = H5Pcreate(H5P_DATASET_CREATE);
  sp = H5Screate_simple(2, dims, maxd);
  if (dcpl < 0 || sp < 0 || H5Pset_chunk(dcpl, 2, chunk) < 0 ||
      (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 &&
       (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, 1) < 0)))
    goto out;
  r->ds_data = H5Dcreate2(pg, "data", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl,
                          H5P_DEFAULT);
  if (r->ds_data < 0 ||
      sa__h5_attr_str(r->ds_data, "units",
                      weight_units(sa_net_pop_model(net,
                                   sa_net_proj_target(net, proj)))) < 0)
    goto out;
  mg = H5Gcreate2(pg, "mapping", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (mg < 0 ||
      write_fixed(mg, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, n_nodes,
                  nodes) < 0 ||
      write_fixed(mg, "index_pointers", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                  n_nodes + 1, ptr) < 0 ||
      H5Lcreate_hard(mg, "index_pointers", mg, "index_pointer", H5P_DEFAULT,
                     H5P_DEFAULT) < 0 ||
      write_fixed(mg, "element_ids", H5T_STD_U32LE, H5T_NATIVE_UINT32,
                  r->nsyn, elem) < 0 ||
      write_fixed(mg, "source_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                  r->nsyn, src) < 0 ||
      write_fixed(mg, "target_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                  r->nsyn, tgt) < 0)
    goto out;
  if (time_axis(mg, r) < 0)
    goto out;
  rc = 0;
out:
  if (sp >= 0)
    H5Sclose(sp);
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (mg >= 0)
    H5Gclose(mg);
  if (pg >= 0)
    H5Gclose(pg);
  if (rg >= 0)
    H5Gclose(rg);
  return rc;
}

/* A frame report of proj's weights (rule -1) or of rule's B-hat, as
 * /report/<name>. */
static int add_report(sa_writer *w, sa_net *net, int proj, const char *name,
                      int rule, double interval, char *err, size_t errlen)
{
  if (w == NULL || net == NULL || w->started || proj < 0 ||
      proj >= sa_net_proj_count(net) || !(interval > 0))
    return SA_EINVAL;
  uint64_t n = sa_net_proj_total(net, proj);   /* all MPI ranks' */
  for (int i = 0; i < w->n_reps; i++)
    if (!strcmp(w->reps[i].name, name)) {
      set_err(err, errlen, "%s: weights of '%s' are reported twice",
              w->path, name);
      return SA_EINVAL;
    }
  if (n == 0 || n > UINT32_MAX) {
    set_err(err, errlen, "%s: projection '%s' has %llu synapses; a weight "
            "report needs 1 to 2^32 - 1", w->path, name,
            (unsigned long long)n);
    return SA_EINVAL;
  }
  wrep *reps = realloc(w->reps, (size_t)(w->n_reps + 1) * sizeof *reps);
  if (reps == NULL)
    return SA_ENOMEM;
  w->reps = reps;
  wrep *r = &w->reps[w->n_reps];
  memset(r, 0, sizeof *r);
  r->ds_data = r->ds_times = r->ds_time3 = H5I_INVALID_HID;
  r->nsyn = n;
  r->interval = interval;
  r->rule = rule;
  r->name = dup_str(name);
  r->perm = malloc(n * sizeof *r->perm);
  uint32_t n_tgt = sa_net_pop_size(net, sa_net_proj_target(net, proj));
  uint32_t *s32 = malloc(n * sizeof *s32), *t32 = malloc(n * sizeof *t32);
  uint64_t *src = malloc(n * sizeof *src), *tgt = malloc(n * sizeof *tgt);
  uint32_t *elem = malloc(n * sizeof *elem);
  uint64_t *count = calloc((size_t)n_tgt + 1, sizeof *count);
  uint64_t *nodes = malloc(((size_t)n_tgt + 1) * sizeof *nodes);
  uint64_t *ptr = malloc(((size_t)n_tgt + 2) * sizeof *ptr);
  int rc = SA_ENOMEM;
  if (r->name == NULL || r->perm == NULL || s32 == NULL || t32 == NULL ||
      src == NULL || tgt == NULL || elem == NULL || count == NULL ||
      nodes == NULL || ptr == NULL) {
    free(r->name);
    free(r->perm);
    goto out;
  }
  w->n_reps++;
  /* Under MPI, gathered from every rank (cli/run.c mirrors these). */
  sa_net_proj_gather(net, proj, s32, t32, NULL);
  /* Counting sort of the synapses by target, stable in CSR order. */
  for (uint64_t q = 0; q < n; q++)
    count[t32[q] + 1]++;
  uint64_t n_nodes = 0;
  ptr[0] = 0;
  for (uint32_t j = 0; j < n_tgt; j++) {
    if (count[j + 1] > 0) {
      nodes[n_nodes] = j;
      ptr[n_nodes + 1] = ptr[n_nodes] + count[j + 1];
      n_nodes++;
    }
    count[j + 1] += count[j];
  }
  for (uint64_t q = 0; q < n; q++)
    r->perm[count[t32[q]]++] = q;
  for (uint64_t c = 0; c < n; c++) {
    uint64_t q = r->perm[c];
    src[c] = s32[q];
    tgt[c] = t32[q];
    elem[c] = (uint32_t)q;
  }
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char d[256];
  rc = 0;
  if (report_layout(w, r, net, proj, src, tgt, elem, nodes, ptr,
                    n_nodes) < 0) {
    set_err(err, errlen, "%s: creating the weight report of '%s' failed: %s",
            w->path, name, h5_detail(d));
    rc = SA_EIO;
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
out:
  free(s32);
  free(t32);
  free(src);
  free(tgt);
  free(elem);
  free(count);
  free(nodes);
  free(ptr);
  return rc;
}

int sa_writer_add_weights(sa_writer *w, sa_net *net, int proj,
                          double interval, char *err, size_t errlen)
{
  if (net == NULL || proj < 0 || proj >= sa_net_proj_count(net))
    return SA_EINVAL;
  return add_report(w, net, proj, sa_net_proj_name(net, proj), -1, interval,
                    err, errlen);
}

int sa_writer_add_estimate(sa_writer *w, sa_net *net, int proj, int rule,
                           const char *label, double interval, int *index,
                           char *err, size_t errlen)
{
  if (w == NULL || net == NULL || label == NULL || proj < 0 ||
      proj >= sa_net_proj_count(net) || rule < 0 ||
      rule >= sa_net_proj_rule_count(net, proj))
    return SA_EINVAL;
  char name[256];
  if ((size_t)snprintf(name, sizeof name, "%s.%s",
                       sa_net_proj_name(net, proj), label) >= sizeof name)
    return SA_EINVAL;
  int at = w->n_reps;
  int rc = add_report(w, net, proj, name, rule, interval, err, errlen);
  if (!rc && index != NULL)
    *index = at;
  return rc;
}

/* g/name, created if missing. */
static hid_t open_or_create(hid_t g, const char *name)
{
  htri_t have = H5Lexists(g, name, H5P_DEFAULT);
  if (have < 0)
    return -1;
  return have ? H5Gopen2(g, name, H5P_DEFAULT)
              : H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

/* /metrics/alignment/<proj>/<label>/{data, mapping/time, mapping/times}. */
static int series_layout(sa_writer *w, wrep *r, const char *proj,
                         const char *label, const char *cols)
{
  int rc = -1;
  hid_t g[4] = {-1, -1, -1, -1}, sg = -1, mg = -1, dcpl = -1, sp = -1;
  const char *path[4] = {"metrics", "alignment", proj, label};
  for (int k = 0; k < 4; k++)
    if ((g[k] = open_or_create(k ? g[k - 1] : w->file, path[k])) < 0)
      goto out;
  sg = g[3];
  hsize_t dims[2] = {0, r->nsyn}, maxd[2] = {H5S_UNLIMITED, r->nsyn};
  hsize_t chunk[2] = {64, r->nsyn};
  dcpl = H5Pcreate(H5P_DATASET_CREATE);
  sp = H5Screate_simple(2, dims, maxd);
  if (dcpl < 0 || sp < 0 || H5Pset_chunk(dcpl, 2, chunk) < 0)
    goto out;
  r->ds_data = H5Dcreate2(sg, "data", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl,
                          H5P_DEFAULT);
  if (r->ds_data < 0 || sa__h5_attr_str(r->ds_data, "metrics", cols) < 0 ||
      sa__h5_attr_str(r->ds_data, "units", "") < 0)
    goto out;
  mg = H5Gcreate2(sg, "mapping", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (mg < 0 || time_axis(mg, r) < 0)
    goto out;
  rc = 0;
out:
  if (sp >= 0)
    H5Sclose(sp);
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (mg >= 0)
    H5Gclose(mg);
  for (int k = 3; k >= 0; k--)
    if (g[k] >= 0)
      H5Gclose(g[k]);
  return rc;
}

int sa_writer_add_alignment(sa_writer *w, const char *proj,
                            const char *label, const char *const *cols,
                            int ncols, double interval, int *index,
                            char *err, size_t errlen)
{
  if (w == NULL || w->started || proj == NULL || label == NULL ||
      !proj[0] || !label[0] || strchr(proj, '/') || strchr(label, '/') ||
      ncols < 1 || !(interval > 0))
    return SA_EINVAL;
  char names[512] = "";
  for (int k = 0; k < ncols; k++) {
    size_t len = strlen(names);
    if ((size_t)snprintf(names + len, sizeof names - len, "%s%s",
                         k ? "," : "", cols[k]) >= sizeof names - len)
      return SA_EINVAL;
  }
  wrep *reps = realloc(w->reps, (size_t)(w->n_reps + 1) * sizeof *reps);
  if (reps == NULL)
    return SA_ENOMEM;
  w->reps = reps;
  wrep *r = &w->reps[w->n_reps];
  memset(r, 0, sizeof *r);
  r->ds_data = r->ds_times = r->ds_time3 = H5I_INVALID_HID;
  r->nsyn = (uint64_t)ncols;
  r->interval = interval;
  r->rule = -1;
  size_t nl = strlen(proj) + strlen(label) + 2;
  r->name = malloc(nl);
  r->perm = malloc((size_t)ncols * sizeof *r->perm);
  if (r->name == NULL || r->perm == NULL) {
    free(r->name);
    free(r->perm);
    return SA_ENOMEM;
  }
  snprintf(r->name, nl, "%s/%s", proj, label);
  for (int k = 0; k < ncols; k++)
    r->perm[k] = (uint64_t)k;
  for (int i = 0; i < w->n_reps; i++)
    if (!strcmp(w->reps[i].name, r->name)) {
      set_err(err, errlen, "%s: alignment of '%s' is recorded twice",
              w->path, r->name);
      free(r->name);
      free(r->perm);
      return SA_EINVAL;
    }
  w->n_reps++;
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int rc = 0;
  char d[256];
  if (series_layout(w, r, proj, label, names) < 0) {
    set_err(err, errlen, "%s: creating the alignment series '%s' failed: %s",
            w->path, r->name, h5_detail(d));
    rc = SA_EIO;
  } else if (index != NULL) {
    *index = w->n_reps - 1;
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  return rc;
}

int sa_writer_weights(sa_writer *w, int report, double t_ms,
                      const double *weights)
{
  if (w == NULL || !w->started || report < 0 || report >= w->n_reps)
    return SA_EINVAL;
  const wrep *r = &w->reps[report];
  frame *f = malloc(sizeof *f + r->nsyn * sizeof(float));
  if (f == NULL)
    return SA_ENOMEM;
  f->next = NULL;
  f->rep = report;
  f->t = t_ms;
  for (uint64_t c = 0; c < r->nsyn; c++)
    f->data[c] = (float)weights[r->perm[c]];
  uv_mutex_lock(&w->mu);
  /* Back-pressure as for spikes: at most a few frames wait in memory. */
  while (w->fq_len >= N_BATCHES)
    uv_cond_wait(&w->space, &w->mu);
  if (w->fq_tail != NULL)
    w->fq_tail->next = f;
  else
    w->fq_head = f;
  w->fq_tail = f;
  w->fq_len++;
  uv_mutex_unlock(&w->mu);
  uv_async_send(&w->wake);
  return 0;
}

int sa_writer_call(sa_writer *w, int (*fn)(void *), void *arg)
{
  if (w == NULL || !w->started || fn == NULL)
    return SA_EINVAL;
  uv_mutex_lock(&w->mu);
  /* Spikes gathered so far go first, in order. */
  if (w->cur != NULL && w->cur->n > 0) {
    while (w->n_spare == 0)
      uv_cond_wait(&w->space, &w->mu);
    hand_over(w);
  }
  w->call_fn = fn;
  w->call_arg = arg;
  w->call_pending = 1;
  uv_mutex_unlock(&w->mu);
  uv_async_send(&w->wake);
  uv_mutex_lock(&w->mu);
  while (w->call_pending)
    uv_cond_wait(&w->space, &w->mu);
  int rc = w->call_rc;
  uv_mutex_unlock(&w->mu);
  return rc;
}

int sa_writer_close(sa_writer *w, int interrupted, char *err, size_t errlen)
{
  if (w == NULL)
    return 0;
  if (!w->started) {
    discard(w);
    return 0;
  }
  if (w->have_thread) {
    uv_mutex_lock(&w->mu);
    if (w->cur != NULL && w->cur->n > 0) {
      /* The queue has room: it never holds more than N_BATCHES - 1. */
      w->queue[(w->q_head + w->q_len) % N_BATCHES] = w->cur;
      w->q_len++;
    }
    w->cur = NULL;
    w->stopping = 1;
    uv_mutex_unlock(&w->mu);
    uv_async_send(&w->wake);
    uv_thread_join(&w->thread);
    w->have_thread = 0;
  }
  int rc = 0;
  if (w->failed) {
    set_err(err, errlen, "%s (%llu spikes not written)", w->errmsg,
            (unsigned long long)w->err_dropped);
    rc = SA_EIO;
  } else if (w->oom_dropped > 0) {
    set_err(err, errlen, "%s: out of memory, %llu spikes dropped", w->path,
            (unsigned long long)w->oom_dropped);
    rc = SA_EIO;
  }
  int loop_rc = w->have_loop ? uv_loop_close(&w->loop) : 0;
  w->have_loop = 0;
  stop_sync(w);

  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  char d[256];
  /* mapping/time of each report: [first frame, one step past the last,
   * step), SONATA's right-open convention; `times` has the exact list. */
  for (int i = 0; i < w->n_reps; i++) {
    wrep *r = &w->reps[i];
    if (r->frames == 0)
      continue;
    double t3[3] = {r->t_first,
                    r->t_first + (double)r->frames * r->interval,
                    r->interval};
    if (H5Dwrite(r->ds_time3, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                 H5P_DEFAULT, t3) < 0 && rc == 0) {
      set_err(err, errlen, "%s: writing mapping/time failed: %s", w->path,
              h5_detail(d));
      rc = SA_EIO;
    }
  }
  /* Still SWMR: "status" exists since open, so this modifies, not creates.
   * Data missing after a write error makes the run incomplete too. */
  const char *status = interrupted || rc < 0 ? "interrupted" : "complete";
  if (write_status(w->file, status, 0) < 0 && rc == 0) {
    set_err(err, errlen, "%s: writing status failed: %s", w->path,
            h5_detail(d));
    rc = SA_EIO;
  }
  close_datasets(w);
  if (H5Fclose(w->file) < 0 && rc == 0) {
    set_err(err, errlen, "%s: closing the file failed: %s", w->path,
            h5_detail(d));
    rc = SA_EIO;
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  if (loop_rc != 0 && rc == 0) {
    set_err(err, errlen, "%s: writer loop did not close: %s", w->path,
            uv_strerror(loop_rc));
    rc = SA_EIO;
  }
  free_writer(w);
  return rc;
}
