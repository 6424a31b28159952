/* sigwatch.c: turn SIGINT/SIGTERM into a stop flag, from a libuv loop on
 * its own thread, so the run ends at a slice boundary and files close.
 * SPDX-License-Identifier: MIT */
#include <assert.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <uv.h>

#include "sa_io.h"

/* The handlers run on the watcher thread (libuv forwards the signal there
 * through a pipe), so nothing here runs in async-signal context. */
struct sa_sigwatch {
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  uv_async_t quit;
  uv_thread_t thread;
  volatile int *stop;
  atomic_int signum;   /* first signal caught; read from other threads */
};

static void on_signal(uv_signal_t *h, int signum)
{
  sa_sigwatch *s = h->data;
  int zero = 0;
  atomic_compare_exchange_strong(&s->signum, &zero, signum);
  /* The flag is a plain volatile int by contract (sa_net_run polls it);
   * an atomic store at least makes this side well defined and quiet under
   * ThreadSanitizer where the compiler offers one. */
#if defined(__GNUC__) || defined(__clang__)
  __atomic_store_n(s->stop, 1, __ATOMIC_RELEASE);
#else
  __atomic_store_n(s->stop, 1, __ATOMIC_RELAXED);
#endif
}

static void on_quit(uv_async_t *h)
{
  sa_sigwatch *s = h->data;
  /* Closing the signal handles restores the default dispositions. */
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
  uv_close((uv_handle_t *)&s->quit, NULL);
}

static void watch_main(void *arg)
{
  sa_sigwatch *s = arg;
  uv_run(&s->loop, UV_RUN_DEFAULT);
}

int sa_sigwatch_start(sa_sigwatch **out, volatile int *stop)
{
  if (out == NULL)
    return SA_EINVAL;
  *out = NULL;
  if (stop == NULL)
    return SA_EINVAL;
  sa_sigwatch *s = calloc(1, sizeof *s);
  if (s == NULL)
    return SA_ENOMEM;
  s->stop = stop;
  atomic_init(&s->signum, 0);
  if (uv_loop_init(&s->loop) != 0) {
    free(s);
    return SA_EIO;
  }
  s->sigint.data = s->sigterm.data = s->quit.data = s;
  int n_open = 0;   /* handles initialised, in the order below */
  if (uv_async_init(&s->loop, &s->quit, on_quit) != 0)
    goto fail;
  n_open = 1;
  if (uv_signal_init(&s->loop, &s->sigint) != 0)
    goto fail;
  n_open = 2;
  if (uv_signal_init(&s->loop, &s->sigterm) != 0)
    goto fail;
  n_open = 3;
  if (uv_signal_start(&s->sigint, on_signal, SIGINT) != 0 ||
      uv_signal_start(&s->sigterm, on_signal, SIGTERM) != 0 ||
      uv_thread_create(&s->thread, watch_main, s) != 0)
    goto fail;
  *out = s;
  return 0;
fail:
  /* Close what was opened and let one loop turn finish the closes, so
   * uv_loop_close can succeed. */
  if (n_open >= 1)
    uv_close((uv_handle_t *)&s->quit, NULL);
  if (n_open >= 2)
    uv_close((uv_handle_t *)&s->sigint, NULL);
  if (n_open >= 3)
    uv_close((uv_handle_t *)&s->sigterm, NULL);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  free(s);
  return SA_EIO;
}

int sa_sigwatch_signal(const sa_sigwatch *s)
{
  if (s == NULL)
    return 0;
  return atomic_load(&((sa_sigwatch *)s)->signum);
}

void sa_sigwatch_stop(sa_sigwatch *s)
{
  if (s == NULL)
    return;
  uv_async_send(&s->quit);
  uv_thread_join(&s->thread);
  /* Every handle was closed by on_quit and the loop ran dry, so this
   * returns 0; a UV_EBUSY here would mean a handle leaked. */
  int rc = uv_loop_close(&s->loop);
  assert(rc == 0);
  (void)rc;
  free(s);
}
