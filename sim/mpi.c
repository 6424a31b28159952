/* mpi.c: distributed runs over MPI, the one file of the core that sees
 * <mpi.h>; built without MPI (SA_HAVE_MPI undefined) every rank count is 1
 * and the functions below are one-process stubs.
 * SPDX-License-Identifier: MIT
 *
 * Distribution. Every rank builds the same network description (same
 * file, seed, calls, in the same order). Each neuron population is cut
 * into R contiguous blocks, rank r owning [block(n, R, r), block(n, R,
 * r+1)); its T threads split that block further: worker t of rank r owns
 * block r*T + t of R*T (sa__wblock), so ranks x threads is one partition
 * into R*T blocks in node order. A rank draws only the synapses onto its
 * own targets: connectors keyed by target row (all_to_all,
 * fixed_probability, fixed_indegree, one_to_one) skip the other rows;
 * fixed_outdegree (rows keyed by source) and list (one stream) draw
 * everything and keep the synapses onto its targets. Streams are keyed by
 * (seed, object, node), so each synapse is the one a single process
 * draws. Non-owned neuron state and ring buffers stay allocated (unused);
 * non-owned synapses are never built. Sources (poisson, spike_source) are
 * computed whole on every rank: their streams are keyed by node, so all
 * ranks agree, it costs one source update per rank and saves exchanging
 * their (usually many) spikes.
 *
 * Exchange. After phase B of a slice (the rank's threads merged into
 * (stamp, node) order), thread 0 -- the thread that called MPI_Init, so
 * MPI_THREAD_FUNNELED suffices -- exchanges the spikes of all neuron
 * populations at once: one MPI_Allgather of a fixed-size slot per rank,
 * holding (2 + npops) int64 (error, stop request, spike count per
 * population) and up to `cap` spikes inline (8-byte stamp + 4-byte id =
 * 12 bytes each). Only when some rank had more spikes than fit does a
 * second call, an MPI_Allgatherv of exactly 12 bytes a spike, follow;
 * `cap` follows the recent peak (every rank computes it from the same
 * headers), so that is rare. One collective per slice rather than the
 * usual count-then-Allgatherv pair halves the synchronisations, which
 * dominate for small slices. Rank blocks are ascending, so merging the
 * ranks' lists stamp by stamp, ranks in order, gives (stamp, node)
 * order: delivery, subscribers and the output are those of one process,
 * bit for bit.
 *
 * Agreement. Everything that decides how far a rank runs is agreed: the
 * min delay (slice length) over all ranks' projections; a stop request
 * (signal) is sent with the next exchange and honoured by all ranks at the
 * same slice; a failed merge on one rank fails the slice on all. Out of
 * memory inside a collective cannot be reported without a further
 * collective, so it ends the job (MPI_Abort) after one line on stderr. */
#include "internal.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef SA_HAVE_MPI
#include <mpi.h>
#endif

/* The exchange's scratch, per network; grown, never shrunk. */
struct sa__xch {
  int stop_local;       /* requested here, sent with the next exchange */
  int stop_all;         /* agreed in the last exchange */
  int64_t *mine, *hdr;  /* (2 + npops), R x (2 + npops) */
  int *cnt, *displ;     /* bytes per rank, offsets (overflow) */
  size_t *off, *pos;    /* per rank, while unpacking */
  size_t cap, peak;     /* spikes a slot holds; recent most of a rank */
  unsigned char *sbuf, *rbuf, *xbuf, *ybuf;   /* slots; overflow */
  size_t scap, rcap, xcap, ycap;
};

/* Spikes inline in a rank's slot: 32 .. 65536 (12 bytes each); tests
 * shrink them to exercise the overflow path. */
#ifndef SLOT_MIN
#define SLOT_MIN 32
#endif
#ifndef SLOT_MAX
#define SLOT_MAX 65536
#endif

void sa__dist_free(sa_net *net) {
  struct sa__xch *x = net->xch;
  if (!x) return;
  free(x->mine);
  free(x->hdr);
  free(x->cnt);
  free(x->displ);
  free(x->off);
  free(x->pos);
  free(x->sbuf);
  free(x->rbuf);
  free(x->xbuf);
  free(x->ybuf);
  free(x);
  net->xch = NULL;
}

#ifdef SA_HAVE_MPI

/* MPI is process-wide: whether sa_mpi_init initialised it (and so
 * sa_mpi_finalize must end it) is this library's one piece of process
 * state besides the allocator. */
static int mpi_ours;

static int mpi_active(void) {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  if (init) MPI_Finalized(&fin);
  return init && !fin;
}

/* Printing from the library is otherwise left to the caller; here the
 * process ends right after, and mpirun shows only an error code. */
static void die(const sa_net *net, const char *what) {
  fprintf(stderr, "synalign: out of memory %s on MPI rank %d of %d; "
          "ending the job\n", what, net->rank, net->nranks);
  MPI_Abort(MPI_COMM_WORLD, 1);
  abort();
}

static void *grow(const sa_net *net, void *p, size_t *cap, size_t need,
                  const char *what) {
  if (need <= *cap) return p;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  void *q = realloc(p, c);
  if (!q) die(net, what);
  *cap = c;
  return q;
}

static struct sa__xch *xch_get(sa_net *net) {
  struct sa__xch *x = net->xch;
  if (x) return x;
  size_t R = (size_t)net->nranks, H = 2 + (size_t)net->npops;
  x = calloc(1, sizeof *x);
  if (!x) die(net, "for the spike exchange");
  x->mine = malloc(H * sizeof *x->mine);
  x->hdr = malloc(R * H * sizeof *x->hdr);
  x->cnt = malloc(R * sizeof *x->cnt);
  x->displ = malloc(R * sizeof *x->displ);
  x->off = malloc(R * sizeof *x->off);
  x->pos = malloc(R * sizeof *x->pos);
  net->xch = x;
  if (!x->mine || !x->hdr || !x->cnt || !x->displ || !x->off || !x->pos)
    die(net, "for the spike exchange");
  return x;
}

static int is_neuron(const sa_pop *p) {
  return p->vt->kind == SA_MODEL_NEURON;
}

void sa__dist_attach(sa_net *net) {
  net->rank = 0;
  net->nranks = 1;
  if (!mpi_active()) return;
  MPI_Comm_rank(MPI_COMM_WORLD, &net->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &net->nranks);
}

/* Pack this rank's neuron spikes of the slice: population by population,
 * its stamps, then its ids (12 bytes a spike). */
static void pack(const sa_net *net, const int64_t *counts, unsigned char *s) {
  for (int i = 0; i < net->npops; i++) {
    const sa_pop *p = net->pops[i];
    size_t n = (size_t)counts[i];
    if (!n) continue;
    memcpy(s, p->sp_stamp, n * sizeof(sa_tick));
    s += n * sizeof(sa_tick);
    memcpy(s, p->sp_id, n * sizeof(uint32_t));
    s += n * sizeof(uint32_t);
  }
}

int sa__dist_exchange(sa_net *net, int rc) {
  if (net->nranks == 1) return rc;
  struct sa__xch *x = xch_get(net);
  const int R = net->nranks, np = net->npops, H = 2 + np;
  if (!x->cap) x->cap = SLOT_MIN;
  /* The slot: header (error, stop request, spike count per population:
   * 0 for sources, which every rank has whole, and after a failed merge),
   * then up to cap spikes inline. */
  const size_t hb = (size_t)H * sizeof(int64_t), slot = hb + 12 * x->cap;
  x->sbuf = grow(net, x->sbuf, &x->scap, slot, "for the spike exchange");
  x->rbuf = grow(net, x->rbuf, &x->rcap, (size_t)R * slot,
                 "for the spike exchange");
  x->mine[0] = rc;
  x->mine[1] = x->stop_local;
  size_t mine = 0;
  for (int i = 0; i < np; i++) {
    const sa_pop *p = net->pops[i];
    size_t n = !rc && is_neuron(p) ? p->sp_n : 0;
    x->mine[2 + i] = (int64_t)n;
    mine += n;
  }
  memcpy(x->sbuf, x->mine, hb);
  if (mine <= x->cap) pack(net, x->mine + 2, x->sbuf + hb);
  MPI_Allgather(x->sbuf, (int)slot, MPI_BYTE, x->rbuf, (int)slot, MPI_BYTE,
                MPI_COMM_WORLD);
  int64_t err = 0, total = 0, most = 0;
  int stop = 0;
  for (int r = 0; r < R; r++) {
    int64_t *h = x->hdr + (size_t)r * H;
    memcpy(h, x->rbuf + (size_t)r * slot, hb);
    if (!err && h[0]) err = h[0];
    stop |= h[1] != 0;
    int64_t n = 0;
    for (int i = 0; i < np; i++) n += h[2 + i];
    if (n > most) most = n;
    if (12 * n > INT_MAX || total > INT_MAX - 12 * n)
      die(net, "(over 2 GB of spikes in one slice)");
    x->cnt[r] = (int)(12 * n);
    x->displ[r] = (int)total;
    total += 12 * n;
  }
  x->stop_all = stop;
  /* The next slot fits the recent peak with room to spare; every rank
   * computes the same from the same headers. */
  x->peak = (size_t)most > x->peak ? (size_t)most : x->peak - x->peak / 128;
  size_t cap = SLOT_MIN;
  while (cap < x->peak + x->peak / 2 && cap < SLOT_MAX) cap *= 2;
  const size_t used = x->cap;
  x->cap = cap;
  if (err) return rc ? rc : (int)err;
  if (total == 0) return 0;   /* nobody spiked: the lists are empty */
  const unsigned char *src = x->rbuf;
  if ((size_t)most <= used) {
    for (int r = 0; r < R; r++) x->off[r] = (size_t)r * slot + hb;
  } else {
    /* Some rank's spikes did not fit: all ranks send theirs again. */
    x->xbuf = grow(net, x->xbuf, &x->xcap, mine ? 12 * mine : 1,
                   "for the spike exchange");
    x->ybuf = grow(net, x->ybuf, &x->ycap, (size_t)total,
                   "for the spike exchange");
    pack(net, x->mine + 2, x->xbuf);
    MPI_Allgatherv(x->xbuf, (int)(12 * mine), MPI_BYTE, x->ybuf, x->cnt,
                   x->displ, MPI_BYTE, MPI_COMM_WORLD);
    src = x->ybuf;
    for (int r = 0; r < R; r++) x->off[r] = (size_t)x->displ[r];
  }
  /* Unpack: x->off[r] walks rank r's spikes. Unaligned, hence memcpy. */
  for (int i = 0; i < np; i++) {
    sa_pop *p = net->pops[i];
    if (!is_neuron(p)) continue;
    size_t n = 0;
    for (int r = 0; r < R; r++) n += (size_t)x->hdr[(size_t)r * H + 2 + i];
    if (n > p->sp_cap) {
      size_t c = p->sp_cap ? p->sp_cap : 256;
      while (c < n) c *= 2;
      sa_tick *st = realloc(p->sp_stamp, c * sizeof *st);
      if (st) p->sp_stamp = st;
      uint32_t *id = st ? realloc(p->sp_id, c * sizeof *id) : NULL;
      if (!id) die(net, "for the spikes of a slice");
      p->sp_id = id;
      p->sp_cap = c;
    }
    for (int r = 0; r < R; r++) x->pos[r] = 0;
    size_t k = 0;
    while (k < n) {
      sa_tick next = INT64_MAX, v;
      for (int r = 0; r < R; r++) {
        size_t nr = (size_t)x->hdr[(size_t)r * H + 2 + i];
        if (x->pos[r] == nr) continue;
        memcpy(&v, src + x->off[r] + x->pos[r] * sizeof v, sizeof v);
        if (v < next) next = v;
      }
      for (int r = 0; r < R; r++) {
        size_t nr = (size_t)x->hdr[(size_t)r * H + 2 + i];
        const unsigned char *st = src + x->off[r];
        const unsigned char *id = st + nr * sizeof(sa_tick);
        while (x->pos[r] < nr) {
          memcpy(&v, st + x->pos[r] * sizeof v, sizeof v);
          if (v != next) break;
          p->sp_stamp[k] = v;
          memcpy(&p->sp_id[k++], id + x->pos[r]++ * sizeof(uint32_t),
                 sizeof(uint32_t));
        }
      }
    }
    p->sp_n = n;
    for (int r = 0; r < R; r++)
      x->off[r] += 12 * (size_t)x->hdr[(size_t)r * H + 2 + i];
  }
  return 0;
}

sa_tick sa__dist_min_delay(sa_net *net, sa_tick dmin) {
  if (net->nranks == 1) return dmin;
  int64_t v = dmin < 0 ? INT64_MAX : dmin, m = v;
  MPI_Allreduce(&v, &m, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  return m == INT64_MAX ? -1 : m;
}

int sa__dist_any(sa_net *net, int v) {
  if (net->nranks == 1) return v;
  int all = v != 0;
  MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  return all;
}

int sa__dist_stop(sa_net *net, int local) {
  if (net->nranks == 1) return local;
  struct sa__xch *x = xch_get(net);
  x->stop_local |= local;
  if (!x->stop_all) return 0;
  /* Every rank sees this at the same slice; a later run starts clean
   * (the caller's flag, if still set, asks again). */
  x->stop_all = x->stop_local = 0;
  return 1;
}

/* ---- process ------------------------------------------------------- */

/* Set by mpirun (Open MPI) or by PMI/PMIx launchers (MPICH's hydra,
 * Slurm's srun --mpi=...). */
static int launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") ||
         getenv("PMI_RANK") || getenv("PMIX_RANK");
}

int sa_mpi_init(int *argc, char ***argv) {
  if (mpi_active() || !launched()) return 0;
  int provided = MPI_THREAD_SINGLE;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
      MPI_SUCCESS)
    return SA_EIO;
  mpi_ours = 1;
  if (provided < MPI_THREAD_FUNNELED) {
    sa_mpi_finalize();
    return SA_ENOTSUP;
  }
  return 0;
}

void sa_mpi_finalize(void) {
  if (mpi_ours && mpi_active()) MPI_Finalize();
  mpi_ours = 0;
}

void sa_mpi_abort(int status) {
  if (sa_mpi_size() > 1) MPI_Abort(MPI_COMM_WORLD, status);
}

int sa_mpi_rank(void) {
  int r = 0;
  if (mpi_active()) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int sa_mpi_size(void) {
  int n = 1;
  if (mpi_active()) MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

#else /* !SA_HAVE_MPI */

void sa__dist_attach(sa_net *net) {
  net->rank = 0;
  net->nranks = 1;
}

int sa__dist_exchange(sa_net *net, int rc) {
  (void)net;
  return rc;
}

sa_tick sa__dist_min_delay(sa_net *net, sa_tick dmin) {
  (void)net;
  return dmin;
}

int sa__dist_stop(sa_net *net, int local) {
  (void)net;
  return local;
}

int sa__dist_any(sa_net *net, int v) {
  (void)net;
  return v;
}

/* Started by a launcher as one of several processes, a build without MPI
 * would run the whole network in each and let them all write the same
 * file: refuse. */
int sa_mpi_init(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *v = getenv("OMPI_COMM_WORLD_SIZE");
  if (!v) v = getenv("PMI_SIZE");
  return v && atoi(v) > 1 ? SA_ENOTSUP : 0;
}

void sa_mpi_finalize(void) {}
void sa_mpi_abort(int status) { (void)status; }
int sa_mpi_rank(void) { return 0; }
int sa_mpi_size(void) { return 1; }

#endif

/* ---- weights and reports ------------------------------------------- */

uint64_t sa_net_proj_total(sa_net *net, int pj) {
  if (pj < 0 || pj >= net->nprojs) return 0;
  uint64_t n = net->projs[pj].nsyn;
#ifdef SA_HAVE_MPI
  if (net->nranks > 1)
    MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_UINT64_T, MPI_SUM,
                  MPI_COMM_WORLD);
#endif
  return n;
}

#ifdef SA_HAVE_MPI
/* One synapse on the wire. */
typedef struct grec {
  uint32_t s, t;
  double w;
} grec;

/* Each rank's synapses in its canonical order (by source, then its
 * parts), gathered on rank 0; a row of the one-process network is the
 * ranks' pieces of that row in rank order (rank blocks ascend, rows are
 * sorted by target), so rank 0 interleaves them source by source. */
static void gather(sa_net *net, int pj, uint32_t *source, uint32_t *target,
                   double *weight) {
  const proj *j = &net->projs[pj];
  const int R = net->nranks, root = net->rank == 0;
  uint64_t n = j->nsyn;
  if (n > INT_MAX) die(net, "(over 2^31 synapses to gather)");
  size_t m = n ? n : 1;
  uint32_t *s = malloc(m * sizeof *s), *t = malloc(m * sizeof *t);
  double *w = malloc(m * sizeof *w);
  grec *mine = malloc(m * sizeof *mine);
  if (!s || !t || !w || !mine) die(net, "gathering weights");
  sa_net_proj_get(net, pj, s, t, NULL, NULL);
  sa_net_proj_weights(net, pj, w);
  for (uint64_t q = 0; q < n; q++) mine[q] = (grec){s[q], t[q], w[q]};
  free(s), free(t), free(w);
  int64_t nn = (int64_t)n, *ns = NULL;
  int *cnt = NULL, *displ = NULL;
  grec *all = NULL;
  if (root && (!(ns = malloc((size_t)R * sizeof *ns)) ||
               !(cnt = malloc((size_t)R * sizeof *cnt)) ||
               !(displ = malloc((size_t)R * sizeof *displ))))
    die(net, "gathering weights");
  MPI_Gather(&nn, 1, MPI_INT64_T, ns, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (root) {
    int64_t tot = 0;
    for (int r = 0; r < R; r++) {
      if (tot > INT_MAX - ns[r]) die(net, "(over 2^31 synapses to gather)");
      cnt[r] = (int)ns[r];
      displ[r] = (int)tot;
      tot += ns[r];
    }
    if (!(all = malloc((size_t)(tot ? tot : 1) * sizeof *all)))
      die(net, "gathering weights");
  }
  MPI_Datatype rt;
  MPI_Type_contiguous((int)sizeof(grec), MPI_BYTE, &rt);
  MPI_Type_commit(&rt);
  MPI_Gatherv(mine, (int)n, rt, all, cnt, displ, rt, 0, MPI_COMM_WORLD);
  MPI_Type_free(&rt);
  free(mine);
  if (root) {
    /* ns[r] becomes rank r's cursor. */
    for (int r = 0; r < R; r++) ns[r] = 0;
    uint64_t c = 0;
    uint32_t nsrc = net->pops[j->src]->n;
    for (uint32_t i = 0; i < nsrc; i++)
      for (int r = 0; r < R; r++) {
        const grec *g = all + displ[r];
        for (; ns[r] < cnt[r] && g[ns[r]].s == i; ns[r]++, c++) {
          if (source) source[c] = i;
          if (target) target[c] = g[ns[r]].t;
          if (weight) weight[c] = g[ns[r]].w;
        }
      }
  }
  free(all), free(ns), free(cnt), free(displ);
}
#endif

int sa_net_proj_gather(sa_net *net, int pj, uint32_t *source,
                       uint32_t *target, double *weight) {
  if (pj < 0 || pj >= net->nprojs) return SA_EINVAL;
#ifdef SA_HAVE_MPI
  if (net->nranks > 1) {
    gather(net, pj, source, target, weight);
    return 0;
  }
#endif
  if (source || target) sa_net_proj_get(net, pj, source, target, NULL, NULL);
  return weight ? sa_net_proj_weights(net, pj, weight) : 0;
}
