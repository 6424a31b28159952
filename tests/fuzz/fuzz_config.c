/* fuzz_config.c: libFuzzer harness for the JSON network loader. Each input
 * is a network file: load it, build it and run a few ticks. Built by
 * tests/fuzz/build.sh (clang, -Dfuzz=true).
 * SPDX-License-Identifier: MIT
 *
 * Invariants checked beyond "no crash, no sanitizer report": a failure
 * leaves a non-empty, one-line message, and success leaves none. Builds
 * stay cheap through SYNALIGN_MEM_LIMIT (io/config.c refuses networks whose
 * estimate exceeds it), so the fuzzer explores syntax, not allocation. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "synalign.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  setenv("SYNALIGN_MEM_LIMIT", "16M", 0);
  /* An in-memory file: sa_config_load takes a path, and /proc/self/fd/N
   * is one without touching the disk. */
  fd = memfd_create("fuzz_config", 0);
  if (fd < 0) {
    perror("memfd_create");
    abort();
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
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
  sa_config *cfg = NULL;
  int rc = sa_config_load(&cfg, path, err, sizeof err);
  check_msg(rc, err, "sa_config_load");
  if (rc != 0)
    return 0;
  sa_net *net = NULL;
  rc = sa_config_build(cfg, sa_config_seed(cfg), &net, err, sizeof err);
  check_msg(rc, err, "sa_config_build");
  if (rc == 0) {
    /* A few ticks reach the models' prepare and update with the fuzzed
     * parameters; the run length is capped, not the file's. */
    double ticks = sa_config_duration(cfg) / sa_config_dt(cfg);
    volatile int stop = 0;
    sa_net_run(net, ticks < 20 ? (sa_tick)ticks : 20, &stop);
    sa_net_destroy(net);
  }
  sa_config_destroy(cfg);
  return 0;
}
