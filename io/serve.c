/* serve.c: the live view: an HTTP page with Server-Sent Events of spike
 * frames, and a binary AER stream over TCP, served from a libuv loop in a
 * thread of its own.
 * SPDX-License-Identifier: MIT */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "sa_view.h"
#include "view_html.h"   /* sa__view_html[], generated from io/view.html */

/* Limits. Memory is bounded by QUEUE_BYTES (frames waiting for the server
 * thread) + SPARE_FRAMES + 1 frames of FRAME_SPIKES records + CLIENTS_MAX
 * backlogs + HISTORY_BYTES, whatever the clients do. */
enum {
  FRAME_SPIKES = 1 << 17,     /* records a frame holds; then it is sent */
  QUEUE_BYTES = 24 << 20,     /* frames waiting; beyond: dropped */
  SPARE_FRAMES = 4,           /* emptied frames kept for reuse */
  SSE_SPIKES = 40000,         /* spikes per page frame; thinned beyond */
  CLIENTS_MAX = 64,
  SSE_BACKLOG = 4 << 20,      /* bytes queued to one page; beyond: drop */
  STREAM_BACKLOG = 16 << 20,  /* bytes queued to one stream client */
  HISTORY_BYTES = 3 << 20,    /* page frames replayed to late pages */
  HISTORY_FRAMES = 1024,
  REQ_MAX = 8192,             /* request head; beyond: 431 */
  REQ_TIMEOUT_MS = 10000,     /* to send a complete request head */
  CLOSE_GRACE_MS = 1000       /* for queued data at stop */
};

/* Record ids with a meaning other than a node (docs/viewing.md). */
#define AER_CLOCK 0xFFFFFFFFu
#define AER_LOST 0xFFFFFFFEu
#define AER_END 0xFFFFFFFDu
#define AER_MAX_GID 0xFFFFFFF0u

/* ---- shared buffers ----------------------------------------------------- */

/* An encoded message written to several clients: freed when the last
 * write that uses it completes. Loop thread only. */
typedef struct sbuf {
  int refs;
  size_t len, cap;
  char *data;
} sbuf;

static sbuf *sbuf_new(size_t cap)
{
  sbuf *b = malloc(sizeof *b);
  if (b == NULL)
    return NULL;
  b->refs = 1;
  b->len = 0;
  b->cap = cap > 0 ? cap : 64;
  b->data = malloc(b->cap);
  if (b->data == NULL) {
    free(b);
    return NULL;
  }
  return b;
}

static void sbuf_unref(sbuf *b)
{
  if (b != NULL && --b->refs == 0) {
    free(b->data);
    free(b);
  }
}

/* Appending never fails visibly: on OOM the buffer is marked broken
 * (cap 0) and the caller drops it. */
static int sbuf_room(sbuf *b, size_t more)
{
  if (b->cap == 0)
    return -1;
  if (b->len + more <= b->cap)
    return 0;
  size_t cap = b->cap;
  while (cap < b->len + more)
    cap *= 2;
  char *d = realloc(b->data, cap);
  if (d == NULL) {
    b->cap = 0;
    return -1;
  }
  b->data = d;
  b->cap = cap;
  return 0;
}

static void sbuf_put(sbuf *b, const void *p, size_t n)
{
  if (sbuf_room(b, n) == 0) {
    memcpy(b->data + b->len, p, n);
    b->len += n;
  }
}

static void sbuf_printf(sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof tmp) {
    sbuf_put(b, tmp, (size_t)n);
    return;
  }
  if (sbuf_room(b, (size_t)n + 1) == 0) {
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
  }
}

/* JSON string, quotes included. */
static void sbuf_json_str(sbuf *b, const char *s)
{
  sbuf_put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      sbuf_put(b, e, 2);
    } else if (c < 0x20) {
      sbuf_printf(b, "\\u%04x", c);
    } else {
      sbuf_put(b, s, 1);
    }
  }
  sbuf_put(b, "\"", 1);
}

static void put_le64(unsigned char *p, uint64_t v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le32(unsigned char *p, uint32_t v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static void sbuf_record(sbuf *b, int64_t tick, uint32_t id)
{
  unsigned char r[12];
  put_le64(r, (uint64_t)tick);
  put_le32(r + 8, id);
  sbuf_put(b, r, sizeof r);
}

/* ---- frames: simulation thread -> server thread ------------------------- */

typedef struct rec {
  sa_tick tick;
  uint32_t gid;
} rec;

/* The spikes of (t0, t1]. pop_n counts every spike of the span per
 * population, also those that did not fit (lost_here), so rates stay
 * exact when records are missing. */
typedef struct frame {
  struct frame *next;
  sa_tick t0, t1;
  uint64_t total;       /* spikes emitted up to t1 */
  uint64_t lost;        /* records missing from this frame or lost before */
  double wall;          /* s since the server started */
  size_t n, cap;
  rec *r;
  uint64_t *pop_n;      /* spikes of (t0, t1] per population */
  uint64_t *pop_tot;    /* spikes up to t1 per population */
} frame;

typedef struct pop_info {
  char *name;
  char *model;
  uint32_t n, first;    /* size, first global id */
} pop_info;

enum { C_REQ, C_PAGE, C_SSE, C_STREAM };

typedef struct client {
  uv_tcp_t tcp;
  struct client *prev, *next;
  struct sa_serve *srv;
  int kind;
  int closing, shut;
  uint64_t deadline;    /* loop ms: C_REQ must complete its head by then */
  uint64_t lost;        /* stream: records not sent since the last send */
  uint64_t dropped;     /* SSE: frames not sent since the last send */
  size_t rlen;
  char req[REQ_MAX];
} client;

typedef struct wreq {
  uv_write_t req;
  sbuf *b;              /* NULL for the static page */
} wreq;

typedef struct hist {
  sbuf *b;
  sa_tick t1;
} hist;

struct sa_serve {
  /* Set at start, read-only afterwards. */
  int n_pops;
  pop_info *pops;
  double dt;
  sa_tick total_ticks;
  sa_tick history_ticks;
  double frame_s;
  double t_start;
  char http_addr[80], stream_addr[80];
  int has_http, has_stream;

  /* Simulation thread only. */
  frame *cur;
  double t_last;         /* wall s of the last hand-over */
  uint64_t total;        /* spikes seen */
  uint64_t *pop_total;   /* per population */
  uint64_t carry_lost;   /* records lost with dropped frames */
  uint64_t spikes_dropped;
  sa_tick now;

  /* Guarded by mu. */
  uv_mutex_t mu;
  frame *q_head, *q_tail;
  size_t q_bytes;
  frame *spare;
  int n_spare;
  int ended, stopping;
  sa_tick end_tick;
  uint64_t frames_dropped;
  int stream_seen;       /* stream clients accepted so far */

  /* Loop thread only (after start). */
  uv_loop_t loop;
  uv_tcp_t http, stream;
  uv_async_t wake;
  uv_timer_t ticker, grace;
  uv_thread_t thread;
  client *clients;
  int n_clients;
  int closing, end_sent;
  sa_tick last_t1;
  uint64_t last_total;
  double last_wall;
  hist hist[HISTORY_FRAMES];
  int h_head, h_len;
  size_t h_bytes;
  char scratch[4096];   /* reads that are thrown away */
};

static double mono_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
  if (err == NULL || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static frame *frame_new(int n_pops)
{
  frame *f = calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  f->pop_n = calloc((size_t)n_pops + 1, sizeof *f->pop_n);
  f->pop_tot = calloc((size_t)n_pops + 1, sizeof *f->pop_tot);
  if (f->pop_n == NULL || f->pop_tot == NULL) {
    free(f->pop_n);
    free(f->pop_tot);
    free(f);
    return NULL;
  }
  return f;
}

static void frame_free(frame *f)
{
  if (f != NULL) {
    free(f->r);
    free(f->pop_n);
    free(f->pop_tot);
    free(f);
  }
}

static void frame_reset(frame *f, int n_pops)
{
  f->next = NULL;
  f->n = 0;
  f->lost = 0;
  memset(f->pop_n, 0, ((size_t)n_pops + 1) * sizeof *f->pop_n);
}

/* ---- addresses ---------------------------------------------------------- */

static int parse_addr(const char *text, struct sockaddr_storage *out,
                      int *loopback)
{
  if (text == NULL)
    return SA_EINVAL;
  if (strncmp(text, "tcp://", 6) == 0)
    text += 6;
  char host[64];
  const char *port_s;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (close == NULL || close[1] != ':' || (size_t)(close - text) > 60)
      return SA_EINVAL;
    memcpy(host, text + 1, (size_t)(close - text - 1));
    host[close - text - 1] = '\0';
    port_s = close + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) > 60)
      return SA_EINVAL;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    port_s = colon + 1;
    if (strchr(host, ':') != NULL)   /* IPv6 needs brackets */
      return SA_EINVAL;
  }
  char *end;
  if (port_s[0] < '0' || port_s[0] > '9')
    return SA_EINVAL;
  unsigned long port = strtoul(port_s, &end, 10);
  if (*end != '\0' || port > 65535)
    return SA_EINVAL;
  if (host[0] == '\0' || strcmp(host, "localhost") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (uv_ip4_addr(host, (int)port, v4) == 0) {
    *loopback = ((const unsigned char *)&v4->sin_addr)[0] == 127;
    return 0;
  }
  if (uv_ip6_addr(host, (int)port, v6) == 0) {
    const unsigned char *a = (const unsigned char *)&v6->sin6_addr;
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                          0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0xff, 0xff};
    *loopback = memcmp(a, one, 16) == 0 ||
                (memcmp(a, mapped, 12) == 0 && a[12] == 127);
    return 0;
  }
  return SA_EINVAL;
}

int sa_serve_addr_is_loopback(const char *addr)
{
  struct sockaddr_storage ss;
  int lo;
  int rc = parse_addr(addr, &ss, &lo);
  return rc < 0 ? rc : lo;
}

static void name_addr(const uv_tcp_t *t, char *buf, size_t n)
{
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char ip[64] = "?";
  int port = 0;
  if (uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len) == 0) {
    if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      uv_ip6_name(a, ip, sizeof ip);
      port = ntohs(a->sin6_port);
      snprintf(buf, n, "[%s]:%d", ip, port);
      return;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
  }
  snprintf(buf, n, "%s:%d", ip, port);
}

/* ---- clients ------------------------------------------------------------ */

static void maybe_finish(sa_serve *s);

static void on_client_close(uv_handle_t *h)
{
  client *c = h->data;
  sa_serve *s = c->srv;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    s->clients = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  s->n_clients--;
  free(c);
  maybe_finish(s);
}

static void client_close(client *c)
{
  if (!c->closing) {
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, on_client_close);
  }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
  (void)status;
  client *c = req->data;
  free(req);
  client_close(c);
}

/* Close once what is queued has been written. */
static void client_end(client *c)
{
  if (c->closing || c->shut)
    return;
  uv_shutdown_t *req = malloc(sizeof *req);
  if (req != NULL) {
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) == 0) {
      c->shut = 1;
      return;
    }
    free(req);
  }
  client_close(c);
}

static void on_write(uv_write_t *req, int status)
{
  wreq *w = (wreq *)req;
  client *c = req->data;
  sbuf_unref(w->b);
  free(w);
  if (status < 0)
    client_close(c);   /* vanished, or reset: no harm to anyone else */
}

/* Queue b (and optionally a static tail) to c unless its backlog would
 * pass cap. Returns 0 when queued, -1 when dropped. */
static int client_send2(client *c, sbuf *b, const char *tail, size_t tlen,
                        size_t cap)
{
  if (c->closing || c->shut || (b != NULL && b->cap == 0))
    return -1;
  size_t len = (b != NULL ? b->len : 0) + tlen;
  size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
  if (cap > 0 && queued + len > cap)
    return -1;
  wreq *w = malloc(sizeof *w);
  if (w == NULL)
    return -1;
  uv_buf_t bufs[2];
  unsigned nb = 0;
  if (b != NULL)
    bufs[nb++] = uv_buf_init(b->data, (unsigned)b->len);
  if (tail != NULL && tlen > 0)
    bufs[nb++] = uv_buf_init((char *)tail, (unsigned)tlen);
  w->b = b;
  w->req.data = c;
  if (b != NULL)
    b->refs++;
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, nb, on_write) != 0) {
    sbuf_unref(b);
    free(w);
    client_close(c);
    return -1;
  }
  return 0;
}

static int client_send(client *c, sbuf *b, size_t cap)
{
  return client_send2(c, b, NULL, 0, cap);
}

/* Send a freshly built one-client message and drop our reference. */
static int client_send_own(client *c, sbuf *b, size_t cap)
{
  if (b == NULL)
    return -1;
  int rc = client_send(c, b, cap);
  sbuf_unref(b);
  return rc;
}

/* ---- messages ----------------------------------------------------------- */

static sbuf *sse_meta(sa_serve *s)
{
  sbuf *b = sbuf_new(512);
  if (b == NULL)
    return NULL;
  sbuf_printf(b, "retry: 3000\nevent: meta\ndata: {\"dt\":%.17g,"
              "\"total\":%lld,\"now\":%lld,\"history\":%lld,"
              "\"spikes\":%llu,\"wall\":%.3f,\"pops\":[",
              s->dt, (long long)s->total_ticks, (long long)s->last_t1,
              (long long)s->history_ticks,
              (unsigned long long)s->last_total, s->last_wall);
  for (int p = 0; p < s->n_pops; p++) {
    sbuf_printf(b, "%s{\"name\":", p ? "," : "");
    sbuf_json_str(b, s->pops[p].name);
    sbuf_printf(b, ",\"model\":");
    sbuf_json_str(b, s->pops[p].model);
    sbuf_printf(b, ",\"n\":%u}", s->pops[p].n);
  }
  sbuf_printf(b, "]}\n\n");
  return b;
}

static sbuf *sse_end(sa_serve *s)
{
  sbuf *b = sbuf_new(96);
  if (b != NULL)
    sbuf_printf(b, "event: end\ndata: {\"t\":%lld,\"spikes\":%llu}\n\n",
                (long long)s->last_t1, (unsigned long long)s->last_total);
  return b;
}

/* One page frame: {"t0","t1","spikes","wall","lost","k","n":[per pop],
 * "s":[[tick-t0, node, tick-t0, node ...] per pop]}. Beyond SSE_SPIKES
 * records only every k-th is kept (the counts in "n" stay exact). */
static sbuf *sse_frame(sa_serve *s, const frame *f)
{
  size_t k = f->n > SSE_SPIKES ? (f->n + SSE_SPIKES - 1) / SSE_SPIKES : 1;
  sbuf *b = sbuf_new(256 + f->n / k * 12);
  if (b == NULL)
    return NULL;
  sbuf_printf(b, "event: spikes\ndata: {\"t0\":%lld,\"t1\":%lld,"
              "\"spikes\":%llu,\"wall\":%.3f,\"lost\":%llu,\"k\":%zu,"
              "\"n\":[",
              (long long)f->t0, (long long)f->t1,
              (unsigned long long)f->total, f->wall,
              (unsigned long long)f->lost, k);
  for (int p = 0; p < s->n_pops; p++)
    sbuf_printf(b, "%s%llu", p ? "," : "", (unsigned long long)f->pop_n[p]);
  sbuf_printf(b, "],\"tot\":[");
  for (int p = 0; p < s->n_pops; p++)
    sbuf_printf(b, "%s%llu", p ? "," : "",
                (unsigned long long)f->pop_tot[p]);
  sbuf_printf(b, "],\"s\":[");
  /* Records are grouped by population within each slice, not overall:
   * one pass per population keeps this allocation-free. Populations are
   * few; a frame is at most FRAME_SPIKES records. */
  for (int p = 0; p < s->n_pops; p++) {
    sbuf_printf(b, "%s[", p ? "," : "");
    uint32_t lo = s->pops[p].first, hi = lo + s->pops[p].n;
    size_t seen = 0;
    int first = 1;
    for (size_t i = 0; i < f->n; i++) {
      uint32_t g = f->r[i].gid;
      if (g < lo || g >= hi)
        continue;
      if (seen++ % k != 0)
        continue;
      sbuf_printf(b, first ? "%lld,%u" : ",%lld,%u",
                  (long long)(f->r[i].tick - f->t0), g - lo);
      first = 0;
    }
    sbuf_put(b, "]", 1);
  }
  sbuf_printf(b, "]}\n\n");
  return b;
}

static int rec_cmp(const void *a, const void *b)
{
  const rec *x = a, *y = b;
  if (x->tick != y->tick)
    return x->tick < y->tick ? -1 : 1;
  return x->gid < y->gid ? -1 : x->gid > y->gid;
}

/* Stream records of a frame in time order, then the clock record. */
static sbuf *aer_frame(frame *f)
{
  qsort(f->r, f->n, sizeof *f->r, rec_cmp);
  sbuf *b = sbuf_new((f->n + 2) * 12);
  if (b == NULL)
    return NULL;
  if (f->lost > 0)
    sbuf_record(b, (int64_t)f->lost, AER_LOST);
  for (size_t i = 0; i < f->n; i++)
    sbuf_record(b, f->r[i].tick, f->r[i].gid);
  sbuf_record(b, f->t1, AER_CLOCK);
  return b;
}

static sbuf *aer_header(sa_serve *s)
{
  size_t len = 40;
  for (int p = 0; p < s->n_pops; p++)
    len += 10 + strlen(s->pops[p].name);
  sbuf *b = sbuf_new(len);
  if (b == NULL)
    return NULL;
  unsigned char h[40];
  memcpy(h, "SAER", 4);
  h[4] = 1, h[5] = 0;                       /* version 1 */
  h[6] = 12, h[7] = 0;                      /* record size */
  put_le32(h + 8, (uint32_t)len);           /* header size */
  put_le32(h + 12, (uint32_t)s->n_pops);
  double dt = s->dt;
  uint64_t bits;
  memcpy(&bits, &dt, 8);
  put_le64(h + 16, bits);
  put_le64(h + 24, (uint64_t)s->last_t1);
  put_le64(h + 32, (uint64_t)s->total_ticks);
  sbuf_put(b, h, sizeof h);
  for (int p = 0; p < s->n_pops; p++) {
    unsigned char e[10];
    size_t nl = strlen(s->pops[p].name);
    put_le32(e, s->pops[p].first);
    put_le32(e + 4, s->pops[p].n);
    e[8] = (unsigned char)(nl & 0xff), e[9] = (unsigned char)(nl >> 8);
    sbuf_put(b, e, sizeof e);
    sbuf_put(b, s->pops[p].name, nl);
  }
  return b;
}

/* ---- history of page frames --------------------------------------------- */

static void hist_pop(sa_serve *s)
{
  hist *h = &s->hist[s->h_head];
  s->h_bytes -= h->b->len;
  sbuf_unref(h->b);
  s->h_head = (s->h_head + 1) % HISTORY_FRAMES;
  s->h_len--;
}

static void hist_push(sa_serve *s, sbuf *b, sa_tick t1)
{
  if (b->len > HISTORY_BYTES)
    return;
  while (s->h_len > 0 &&
         (s->h_len == HISTORY_FRAMES || s->h_bytes + b->len > HISTORY_BYTES))
    hist_pop(s);
  hist *h = &s->hist[(s->h_head + s->h_len) % HISTORY_FRAMES];
  h->b = b;
  h->t1 = t1;
  b->refs++;
  s->h_len++;
  s->h_bytes += b->len;
  /* Keep one frame older than the window so its start is covered. */
  while (s->h_len > 1 &&
         s->hist[(s->h_head + 1) % HISTORY_FRAMES].t1 <
             t1 - s->history_ticks)
    hist_pop(s);
}

/* ---- frames to clients -------------------------------------------------- */

static void broadcast(sa_serve *s, frame *f)
{
  s->last_t1 = f->t1;
  s->last_total = f->total;
  s->last_wall = f->wall;
  int streams = 0;
  for (client *c = s->clients; c != NULL; c = c->next)
    streams += c->kind == C_STREAM;
  /* The page frame is always built: late pages replay the history. */
  sbuf *sse = sse_frame(s, f);
  if (sse != NULL && sse->cap > 0)
    hist_push(s, sse, f->t1);
  sbuf *aer = streams > 0 ? aer_frame(f) : NULL;
  for (client *c = s->clients; c != NULL; c = c->next) {
    if (c->closing || c->shut)
      continue;
    if (c->kind == C_SSE) {
      if (c->dropped > 0) {
        sbuf *d = sbuf_new(64);
        if (d != NULL)
          sbuf_printf(d, "event: drop\ndata: %llu\n\n",
                      (unsigned long long)c->dropped);
        if (client_send_own(c, d, SSE_BACKLOG) == 0)
          c->dropped = 0;
      }
      if (sse == NULL || client_send(c, sse, SSE_BACKLOG) < 0) {
        c->dropped++;
        uv_mutex_lock(&s->mu);
        s->frames_dropped++;
        uv_mutex_unlock(&s->mu);
      }
    } else if (c->kind == C_STREAM) {
      if (c->lost > 0) {
        sbuf *d = sbuf_new(12);
        if (d != NULL)
          sbuf_record(d, (int64_t)c->lost, AER_LOST);
        if (client_send_own(c, d, STREAM_BACKLOG) == 0)
          c->lost = 0;
      }
      if (c->lost > 0 || aer == NULL ||
          client_send(c, aer, STREAM_BACKLOG) < 0) {
        c->lost += f->n;
        uv_mutex_lock(&s->mu);
        s->frames_dropped++;
        uv_mutex_unlock(&s->mu);
      }
    }
  }
  sbuf_unref(sse);
  sbuf_unref(aer);
}

static void broadcast_end(sa_serve *s)
{
  s->end_sent = 1;
  for (client *c = s->clients; c != NULL; c = c->next) {
    if (c->kind == C_SSE) {
      client_send_own(c, sse_end(s), 0);
    } else if (c->kind == C_STREAM) {
      sbuf *b = sbuf_new(24);
      if (b != NULL) {
        if (c->lost > 0)
          sbuf_record(b, (int64_t)c->lost, AER_LOST);
        sbuf_record(b, s->last_t1, AER_END);
      }
      /* No backlog cap: the end record must arrive; then close. */
      client_send_own(c, b, 0);
      client_end(c);
    }
  }
}

/* ---- HTTP --------------------------------------------------------------- */

/* A response, then close. A static body (the page) is written from where
 * it is; any other is copied, so the caller may free it at once. */
static void respond(client *c, const char *status, const char *type,
                    const char *body, size_t blen, int head_only,
                    int static_body)
{
  sbuf *b = sbuf_new(256 + (static_body ? 0 : blen));
  if (b == NULL) {
    client_close(c);
    return;
  }
  sbuf_printf(b, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
              "Connection: close\r\n\r\n", status, type, blen);
  c->kind = C_PAGE;
  if (head_only)
    client_send(c, b, 0);
  else if (!static_body) {
    sbuf_put(b, body, blen);
    client_send(c, b, 0);
  } else {
    client_send2(c, b, body, blen, 0);
  }
  sbuf_unref(b);
  client_end(c);
}

static void respond_text(client *c, const char *status, const char *text)
{
  respond(c, status, "text/plain; charset=utf-8", text, strlen(text), 0, 0);
}

static void start_sse(sa_serve *s, client *c)
{
  static const char head[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n";
  c->kind = C_SSE;
  sbuf *b = sbuf_new(sizeof head);
  if (b != NULL)
    sbuf_put(b, head, sizeof head - 1);
  if (client_send_own(c, b, 0) < 0) {
    client_close(c);
    return;
  }
  client_send_own(c, sse_meta(s), 0);
  for (int i = 0; i < s->h_len; i++)
    if (client_send(c, s->hist[(s->h_head + i) % HISTORY_FRAMES].b,
                    SSE_BACKLOG) < 0)
      break;
  if (s->end_sent)
    client_send_own(c, sse_end(s), 0);
}

static void status_json(sa_serve *s, client *c, int head_only)
{
  sbuf *b = sbuf_new(256);
  if (b == NULL) {
    client_close(c);
    return;
  }
  sbuf_printf(b, "{\"now\":%lld,\"total\":%lld,\"dt\":%.17g,"
              "\"spikes\":%llu,\"wall\":%.3f,\"ended\":%s,\"clients\":%d}\n",
              (long long)s->last_t1, (long long)s->total_ticks, s->dt,
              (unsigned long long)s->last_total, s->last_wall,
              s->end_sent ? "true" : "false", s->n_clients);
  respond(c, "200 OK", "application/json", b->data, b->len, head_only, 0);
  sbuf_unref(b);
}

/* A complete request head is in c->req. Only the request line matters. */
static void handle_request(sa_serve *s, client *c)
{
  char method[8], path[256], version[16];
  const char *line_end = memchr(c->req, '\n', c->rlen);
  size_t ll = line_end != NULL ? (size_t)(line_end - c->req) : 0;
  char line[300];
  if (ll == 0 || ll >= sizeof line) {
    respond_text(c, "400 Bad Request", "bad request\n");
    return;
  }
  memcpy(line, c->req, ll);
  line[ll] = '\0';
  if (ll > 0 && line[ll - 1] == '\r')
    line[ll - 1] = '\0';
  for (size_t i = 0; line[i]; i++) {
    unsigned char ch = (unsigned char)line[i];
    if (ch < 0x20 || ch > 0x7e) {
      respond_text(c, "400 Bad Request", "bad request\n");
      return;
    }
  }
  char extra;
  if (sscanf(line, "%7s %255s %15s %c", method, path, version, &extra) != 3 ||
      strncmp(version, "HTTP/1.", 7) != 0) {
    respond_text(c, "400 Bad Request", "bad request\n");
    return;
  }
  char *q = strchr(path, '?');
  if (q != NULL)
    *q = '\0';
  int head = strcmp(method, "HEAD") == 0;
  if (!head && strcmp(method, "GET") != 0) {
    respond_text(c, "405 Method Not Allowed", "only GET and HEAD\n");
    return;
  }
  if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
    respond(c, "200 OK", "text/html; charset=utf-8",
            (const char *)sa__view_html, sizeof sa__view_html - 1, head, 1);
  } else if (strcmp(path, "/events") == 0 && !head) {
    start_sse(s, c);
  } else if (strcmp(path, "/status") == 0) {
    status_json(s, c, head);
  } else {
    respond_text(c, "404 Not Found", "not found\n");
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)suggested;
  client *c = h->data;
  if (c->kind == C_REQ && c->rlen < REQ_MAX)
    *buf = uv_buf_init(c->req + c->rlen, (unsigned)(REQ_MAX - c->rlen));
  else
    *buf = uv_buf_init(c->srv->scratch, sizeof c->srv->scratch);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
  client *c = st->data;
  (void)buf;
  if (nread < 0) {
    /* EOF or error. A page's SSE request ends here too when the tab goes. */
    client_close(c);
    return;
  }
  if (c->kind != C_REQ || c->closing || c->shut)
    return;   /* anything after the request head is ignored */
  c->rlen += (size_t)nread;
  const char *end = NULL;
  for (size_t i = 0; i + 1 < c->rlen && end == NULL; i++) {
    if (c->req[i] == '\n' &&
        (c->req[i + 1] == '\n' ||
         (c->req[i + 1] == '\r' && i + 2 < c->rlen && c->req[i + 2] == '\n')))
      end = c->req + i;
  }
  if (end != NULL) {
    /* Reading goes on (into scratch) to notice a page that goes away. */
    handle_request(c->srv, c);
  } else if (c->rlen >= REQ_MAX) {
    respond_text(c, "431 Request Header Fields Too Large", "too large\n");
  }
}

static client *accept_client(sa_serve *s, uv_stream_t *server, int kind)
{
  client *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->srv = s;
  c->kind = kind;
  if (uv_tcp_init(&s->loop, &c->tcp) != 0) {
    free(c);
    return NULL;
  }
  c->tcp.data = c;
  c->next = s->clients;
  if (s->clients != NULL)
    s->clients->prev = c;
  s->clients = c;
  s->n_clients++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    client_close(c);
    return NULL;
  }
  return c;
}

static void on_http(uv_stream_t *server, int status)
{
  sa_serve *s = server->data;
  if (status < 0 || s->closing)
    return;
  client *c = accept_client(s, server, C_REQ);
  if (c == NULL || c->closing)
    return;
  if (s->n_clients > CLIENTS_MAX) {
    respond_text(c, "503 Service Unavailable", "too many clients\n");
    return;
  }
  c->deadline = uv_now(&s->loop) + REQ_TIMEOUT_MS;
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    client_close(c);
}

static void on_stream(uv_stream_t *server, int status)
{
  sa_serve *s = server->data;
  if (status < 0 || s->closing)
    return;
  client *c = accept_client(s, server, C_STREAM);
  if (c == NULL || c->closing)
    return;
  if (s->n_clients > CLIENTS_MAX) {
    client_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_mutex_lock(&s->mu);
  s->stream_seen++;
  uv_mutex_unlock(&s->mu);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0 ||
      client_send_own(c, aer_header(s), 0) < 0) {
    client_close(c);
    return;
  }
  if (s->end_sent) {
    sbuf *b = sbuf_new(12);
    if (b != NULL)
      sbuf_record(b, s->last_t1, AER_END);
    client_send_own(c, b, 0);
    client_end(c);
  }
}

static void on_ticker(uv_timer_t *t)
{
  sa_serve *s = t->data;
  uint64_t now = uv_now(&s->loop);
  for (client *c = s->clients; c != NULL; c = c->next)
    if (c->kind == C_REQ && !c->closing && now > c->deadline)
      client_close(c);   /* never sent a whole request */
}

/* ---- loop thread: wake-ups, shutdown ------------------------------------ */

static void close_noop(uv_handle_t *h)
{
  (void)h;
}

static void maybe_finish(sa_serve *s)
{
  if (!s->closing || s->n_clients > 0)
    return;
  if (!uv_is_closing((uv_handle_t *)&s->wake)) {
    uv_close((uv_handle_t *)&s->wake, close_noop);
    uv_close((uv_handle_t *)&s->ticker, close_noop);
    uv_close((uv_handle_t *)&s->grace, close_noop);
  }
}

static void on_grace(uv_timer_t *t)
{
  sa_serve *s = t->data;
  for (client *c = s->clients; c != NULL; c = c->next)
    client_close(c);
}

static void begin_close(sa_serve *s)
{
  s->closing = 1;
  if (s->has_http)
    uv_close((uv_handle_t *)&s->http, close_noop);
  if (s->has_stream)
    uv_close((uv_handle_t *)&s->stream, close_noop);
  for (client *c = s->clients; c != NULL; c = c->next) {
    if (c->kind == C_STREAM || c->kind == C_PAGE)
      client_end(c);
    else
      client_close(c);
  }
  uv_timer_start(&s->grace, on_grace, CLOSE_GRACE_MS, 0);
  maybe_finish(s);
}

static void recycle(sa_serve *s, frame *f)
{
  uv_mutex_lock(&s->mu);
  if (s->n_spare < SPARE_FRAMES) {
    frame_reset(f, s->n_pops);
    f->next = s->spare;
    s->spare = f;
    s->n_spare++;
    f = NULL;
  }
  uv_mutex_unlock(&s->mu);
  frame_free(f);
}

static void on_wake(uv_async_t *h)
{
  sa_serve *s = h->data;
  uv_mutex_lock(&s->mu);
  frame *list = s->q_head;
  s->q_head = s->q_tail = NULL;
  s->q_bytes = 0;
  int ended = s->ended, stopping = s->stopping;
  sa_tick end_tick = s->end_tick;
  uv_mutex_unlock(&s->mu);
  while (list != NULL) {
    frame *f = list;
    list = f->next;
    broadcast(s, f);
    recycle(s, f);
  }
  if (ended && !s->end_sent) {
    s->last_t1 = end_tick;
    broadcast_end(s);
  }
  if (stopping && !s->closing)
    begin_close(s);
}

static void server_main(void *arg)
{
  sa_serve *s = arg;
  /* A peer that resets makes write() raise SIGPIPE in this thread; blocked
   * here it only turns into EPIPE, without touching the process's
   * dispositions. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  uv_run(&s->loop, UV_RUN_DEFAULT);
}

/* ---- simulation thread -------------------------------------------------- */

/* Hand the current frame to the server thread (never waits for it). */
static void hand_over(sa_serve *s, int force)
{
  frame *f = s->cur;
  if (f == NULL)
    return;
  double now = mono_s();
  if (!force && f->n < FRAME_SPIKES && now - s->t_last < s->frame_s)
    return;
  s->t_last = now;
  f->t1 = s->now;
  f->total = s->total;
  memcpy(f->pop_tot, s->pop_total, (size_t)s->n_pops * sizeof *f->pop_tot);
  f->wall = now - s->t_start;
  f->lost += s->carry_lost;
  size_t bytes = f->n * sizeof(rec) + sizeof *f;
  frame *next = NULL;
  uv_mutex_lock(&s->mu);
  int room = s->q_bytes + bytes <= QUEUE_BYTES;
  if (room && s->spare != NULL) {
    next = s->spare;
    s->spare = next->next;
    next->next = NULL;   /* it links the spares; as cur it must link none */
    s->n_spare--;
  }
  uv_mutex_unlock(&s->mu);
  if (room && next == NULL)
    next = frame_new(s->n_pops);
  if (next == NULL) {
    /* Queue full (a stalled server thread) or no memory: this frame's
     * records are lost; the next frame says how many. */
    s->carry_lost = f->lost + f->n;
    s->spikes_dropped += f->n;
    frame_reset(f, s->n_pops);
    f->t0 = s->now;
    return;
  }
  s->carry_lost = 0;
  next->t0 = s->now;
  s->cur = next;
  f->next = NULL;
  uv_mutex_lock(&s->mu);
  if (s->q_tail != NULL)
    s->q_tail->next = f;
  else
    s->q_head = f;
  s->q_tail = f;
  s->q_bytes += bytes;
  uv_mutex_unlock(&s->mu);
  uv_async_send(&s->wake);
}

void sa_serve_spikes(void *srv, int pop, const sa_tick *stamp,
                     const uint32_t *id, size_t n)
{
  sa_serve *s = srv;
  if (s == NULL || s->cur == NULL || pop < 0 || pop >= s->n_pops || n == 0)
    return;
  frame *f = s->cur;
  s->total += n;
  s->pop_total[pop] += n;
  f->pop_n[pop] += n;
  while (n > 0) {
    if (f->n == FRAME_SPIKES) {
      hand_over(s, 1);
      f = s->cur;
      if (f->n == FRAME_SPIKES) {   /* dropped and could not be reused */
        f->lost += n;
        return;
      }
    }
    if (f->n == f->cap) {
      size_t cap = f->cap ? f->cap * 2 : 4096;
      if (cap > FRAME_SPIKES)
        cap = FRAME_SPIKES;
      rec *r = realloc(f->r, cap * sizeof *r);
      if (r == NULL) {
        f->lost += n;
        s->spikes_dropped += n;
        return;
      }
      f->r = r;
      f->cap = cap;
    }
    size_t m = f->cap - f->n;
    if (m > n)
      m = n;
    uint32_t base = s->pops[pop].first;
    for (size_t i = 0; i < m; i++) {
      f->r[f->n + i].tick = stamp[i];
      f->r[f->n + i].gid = base + id[i];
    }
    f->n += m;
    stamp += m;
    id += m;
    n -= m;
  }
}

void sa_serve_slice(void *srv, sa_tick now)
{
  sa_serve *s = srv;
  if (s == NULL)
    return;
  s->now = now;
  hand_over(s, 0);
}

/* ---- start / stop ------------------------------------------------------- */

static void free_serve(sa_serve *s)
{
  if (s->pops != NULL) {
    for (int p = 0; p < s->n_pops; p++) {
      free(s->pops[p].name);
      free(s->pops[p].model);
    }
  }
  free(s->pops);
  free(s->pop_total);
  frame_free(s->cur);
  while (s->q_head != NULL) {
    frame *f = s->q_head;
    s->q_head = f->next;
    frame_free(f);
  }
  while (s->spare != NULL) {
    frame *f = s->spare;
    s->spare = f->next;
    frame_free(f);
  }
  while (s->h_len > 0)
    hist_pop(s);
  free(s);
}

static char *dup_str(const char *t)
{
  size_t n = strlen(t != NULL ? t : "") + 1;
  char *d = malloc(n);
  if (d != NULL)
    memcpy(d, t != NULL ? t : "", n);
  return d;
}

static int listen_on(sa_serve *s, uv_tcp_t *t, const char *text,
                     const char *what, int allow_public, uv_connection_cb cb,
                     char *name, size_t nlen, char *err, size_t errlen)
{
  struct sockaddr_storage ss;
  int lo;
  if (parse_addr(text, &ss, &lo) < 0) {
    set_err(err, errlen, "%s address '%s': expected %sHOST:PORT with a "
            "numeric host (127.0.0.1, [::1]) or localhost", what, text,
            strcmp(what, "--stream") == 0 ? "tcp://" : "");
    return SA_EINVAL;
  }
  if (!lo && !allow_public) {
    set_err(err, errlen, "%s address '%s' is not a loopback address: "
            "anyone who can reach it sees the run; pass --serve-public to "
            "allow that", what, text);
    return SA_EINVAL;
  }
  uv_tcp_init(&s->loop, t);   /* cannot fail without a socket */
  t->data = s;
  int rc = uv_tcp_bind(t, (const struct sockaddr *)&ss, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)t, 64, cb);
  if (rc != 0) {
    set_err(err, errlen, "%s %s: cannot listen: %s", what, text,
            uv_strerror(rc));
    uv_close((uv_handle_t *)t, close_noop);
    return SA_EIO;
  }
  name_addr(t, name, nlen);
  return 0;
}

int sa_serve_start(sa_serve **out, sa_net *net, sa_tick total_ticks,
                   const sa_serve_opts *o, char *err, size_t errlen)
{
  if (out == NULL)
    return SA_EINVAL;
  *out = NULL;
  if (net == NULL || o == NULL || (o->http == NULL && o->stream == NULL)) {
    set_err(err, errlen, "live view: no address to serve on");
    return SA_EINVAL;
  }
  sa_serve *s = calloc(1, sizeof *s);
  if (s == NULL)
    goto oom;
  s->n_pops = sa_net_pop_count(net);
  s->pops = calloc((size_t)s->n_pops + 1, sizeof *s->pops);
  s->pop_total = calloc((size_t)s->n_pops + 1, sizeof *s->pop_total);
  if (s->pops == NULL || s->pop_total == NULL)
    goto oom;
  uint64_t first = 0;
  for (int p = 0; p < s->n_pops; p++) {
    s->pops[p].name = dup_str(sa_net_pop_name(net, p));
    s->pops[p].model = dup_str(sa_net_pop_model(net, p));
    if (s->pops[p].name == NULL || s->pops[p].model == NULL)
      goto oom;
    s->pops[p].n = sa_net_pop_size(net, p);
    s->pops[p].first = (uint32_t)first;
    first += s->pops[p].n;
  }
  if (first > AER_MAX_GID) {
    set_err(err, errlen, "live view: more than %u nodes cannot be given "
            "32-bit stream ids", AER_MAX_GID);
    free_serve(s);
    return SA_EINVAL;
  }
  s->dt = sa_net_dt(net);
  s->total_ticks = total_ticks;
  double hist_ms = o->history_ms > 0 ? o->history_ms : 5000;
  s->history_ticks = (sa_tick)ceil(hist_ms / s->dt);
  s->frame_s = (o->frame_ms > 0 ? o->frame_ms : 50) * 1e-3;
  s->now = s->last_t1 = sa_net_now(net);
  s->cur = frame_new(s->n_pops);
  if (s->cur == NULL)
    goto oom;
  s->cur->t0 = s->now;

  if (uv_mutex_init(&s->mu) != 0)
    goto oom;
  if (uv_loop_init(&s->loop) != 0) {
    uv_mutex_destroy(&s->mu);
    goto oom;
  }
  int rc = 0;
  if (o->http != NULL) {
    rc = listen_on(s, &s->http, o->http, "--serve", o->allow_public,
                   on_http, s->http_addr, sizeof s->http_addr, err, errlen);
    s->has_http = rc == 0;
  }
  if (rc == 0 && o->stream != NULL) {
    if (strncmp(o->stream, "tcp://", 6) != 0) {
      set_err(err, errlen, "--stream address '%s': expected "
              "tcp://HOST:PORT", o->stream);
      rc = SA_EINVAL;
    } else {
      rc = listen_on(s, &s->stream, o->stream, "--stream", o->allow_public,
                     on_stream, s->stream_addr, sizeof s->stream_addr, err,
                     errlen);
      s->has_stream = rc == 0;
    }
  }
  if (rc == 0) {
    s->wake.data = s->ticker.data = s->grace.data = s;
    if (uv_async_init(&s->loop, &s->wake, on_wake) != 0) {
      set_err(err, errlen, "live view: cannot create the wake-up handle");
      rc = SA_EIO;
    }
  }
  if (rc == 0) {
    uv_timer_init(&s->loop, &s->ticker);
    uv_timer_init(&s->loop, &s->grace);
    uv_timer_start(&s->ticker, on_ticker, 1000, 1000);
    s->t_start = s->t_last = mono_s();
    if (uv_thread_create(&s->thread, server_main, s) != 0) {
      set_err(err, errlen, "live view: cannot start the server thread");
      uv_close((uv_handle_t *)&s->wake, close_noop);
      uv_close((uv_handle_t *)&s->ticker, close_noop);
      uv_close((uv_handle_t *)&s->grace, close_noop);
      rc = SA_EIO;
    }
  }
  if (rc != 0) {
    if (s->has_http)
      uv_close((uv_handle_t *)&s->http, close_noop);
    if (s->has_stream)
      uv_close((uv_handle_t *)&s->stream, close_noop);
    uv_run(&s->loop, UV_RUN_DEFAULT);   /* let the closes complete */
    uv_loop_close(&s->loop);
    uv_mutex_destroy(&s->mu);
    free_serve(s);
    return rc;
  }
  *out = s;
  return 0;
oom:
  set_err(err, errlen, "live view: out of memory");
  if (s != NULL)
    free_serve(s);
  return SA_ENOMEM;
}

const char *sa_serve_http_addr(const sa_serve *s)
{
  return s != NULL && s->has_http ? s->http_addr : NULL;
}

const char *sa_serve_stream_addr(const sa_serve *s)
{
  return s != NULL && s->has_stream ? s->stream_addr : NULL;
}

void sa_serve_end(sa_serve *s, sa_tick now)
{
  if (s == NULL)
    return;
  s->now = now;
  hand_over(s, 1);
  uv_mutex_lock(&s->mu);
  s->ended = 1;
  s->end_tick = now;
  uv_mutex_unlock(&s->mu);
  uv_async_send(&s->wake);
}

int sa_serve_wait_stream(sa_serve *s, double timeout_s,
                         const volatile int *stop)
{
  if (s == NULL || !s->has_stream)
    return SA_EINVAL;
  double until = timeout_s > 0 ? mono_s() + timeout_s : INFINITY;
  for (;;) {
    uv_mutex_lock(&s->mu);
    int seen = s->stream_seen;
    uv_mutex_unlock(&s->mu);
    if (seen > 0)
      return 0;
    if ((stop != NULL && __atomic_load_n(stop, __ATOMIC_RELAXED)) ||
        mono_s() >= until)
      return SA_EINTR;
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

void sa_serve_stats(const sa_serve *s, uint64_t *spikes_dropped,
                    uint64_t *frames_dropped)
{
  if (s == NULL)
    return;
  if (spikes_dropped != NULL)
    *spikes_dropped = s->spikes_dropped;
  if (frames_dropped != NULL) {
    uv_mutex_lock((uv_mutex_t *)&s->mu);
    *frames_dropped = s->frames_dropped;
    uv_mutex_unlock((uv_mutex_t *)&s->mu);
  }
}

void sa_serve_stop(sa_serve *s)
{
  if (s == NULL)
    return;
  uv_mutex_lock(&s->mu);
  s->stopping = 1;
  uv_mutex_unlock(&s->mu);
  uv_async_send(&s->wake);
  uv_thread_join(&s->thread);
  uv_loop_close(&s->loop);
  uv_mutex_destroy(&s->mu);
  free_serve(s);
}
