/* fuzz_spikefile.c: libFuzzer harness for the HDF5 output readers:
 * sa_spikefile_info, sa_spikefile_read of every population it lists,
 * sa_report_list and sa_report_read of every weight report (what
 * `synalign info` and `synalign weights` do). Built by tests/fuzz/build.sh
 * (clang, -Dfuzz=true).
 * SPDX-License-Identifier: MIT
 *
 * libhdf5 itself is Debian's, not instrumented: coverage feedback comes
 * from io/reader.c and io/report_read.c only, and a memory error inside
 * HDF5 shows up only when it crashes or touches memory ASan watches.
 * Failures must leave a non-empty one-line message. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "synalign.h"

static int fd = -1;
static char path[64];

/* An SWMR reader sleeps between metadata read retries (io/reader.c caps
 * them at ~0.27 s in all), and nearly every mutated file fails a checksum:
 * the fuzzer would measure sleep. This definition takes the place of
 * libc's for libhdf5 too, so the retries run back to back. */
int nanosleep(const struct timespec *req, struct timespec *rem)
{
  (void)req;
  (void)rem;
  return 0;
}

static void remove_file(void)
{
  unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  /* A real file on tmpfs: HDF5 resolves the path it opens, and a memfd's
   * /proc/self/fd/N has no real path ("can't retrieve real path"), so
   * every input would stop at the open. A crashing input skips atexit:
   * build.sh points SA_FUZZ_TMPDIR at a folder it removes afterwards. */
  const char *dir = getenv("SA_FUZZ_TMPDIR");
  snprintf(path, sizeof path, "%s/fuzz_spikefile.XXXXXX",
           dir != NULL && *dir != '\0' && strlen(dir) < 40 ? dir
                                                             : "/dev/shm");
  fd = mkstemp(path);
  if (fd < 0) {
    snprintf(path, sizeof path, "/tmp/fuzz_spikefile.XXXXXX");
    fd = mkstemp(path);
  }
  if (fd < 0) {
    perror("mkstemp");
    abort();
  }
  atexit(remove_file);
  return 0;
}

static void check_msg(int rc, const char *err, const char *where)
{
  if (rc == 0)
    return;
  if (err[0] == '\0' || strchr(err, '\n') != NULL) {
    fprintf(stderr, "%s failed (%d) with a bad message: '%s'\n", where, rc,
            err);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, data, size, 0) != (ssize_t)size)
    abort();
  char err[1024] = "";
  sa_spikefile f;
  int rc = sa_spikefile_info(path, &f, err, sizeof err);
  check_msg(rc, err, "sa_spikefile_info");
  if (rc != 0)
    return 0;
  for (int i = 0; i < f.n_pops; i++) {
    double *t = NULL;
    uint64_t *id = NULL;
    size_t n = 0;
    err[0] = '\0';
    rc = sa_spikefile_read(path, f.pops[i].name, &t, &id, &n, err,
                           sizeof err);
    /* A name cut to 63 bytes by the summary may not exist: ENOENT. */
    check_msg(rc, err, "sa_spikefile_read");
    if (rc == 0 && n > 0 && (t == NULL || id == NULL))
      abort();
    free(t);
    free(id);
  }
  sa_spikefile_free(&f);

  /* Weight reports live in the same file (synalign info / weights). */
  sa_weightreport *reps = NULL;
  int nrep = 0;
  err[0] = '\0';
  rc = sa_report_list(path, &reps, &nrep, err, sizeof err);
  check_msg(rc, err, "sa_report_list");
  for (int i = 0; rc == 0 && i < nrep; i++) {
    sa_weightframe w;
    err[0] = '\0';
    int r = sa_report_read(path, reps[i].name, -1, &w, err, sizeof err);
    check_msg(r, err, "sa_report_read");
    if (r == 0)
      sa_weightframe_free(&w);
  }
  free(reps);
  return 0;
}
