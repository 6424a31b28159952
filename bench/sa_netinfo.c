/* sa_netinfo.c: synapse counts and memory of a built network (bench/run).
 * SPDX-License-Identifier: MIT
 *
 *   sa_netinfo NET.json [SEED] [DURATION_MS]
 *
 * Builds the network of NET.json exactly as `synalign run` does (same
 * loader, same seed) and prints one JSON line: the synapses of each
 * projection, VmRSS before the network is built, after it is built and
 * prepared (the steady memory of the network: connectivity, state, ring
 * buffers), after DURATION_MS of simulation (0: not run), the peak RSS
 * of the process (getrusage) and the CPU time of loading, building and
 * preparing the network. bench/run compiles it against the
 * library of its own build directory; it is not part of the library. */
#include "sa_sim.h"
#include "sa_io.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long vmrss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sa_netinfo NET.json [SEED] [DURATION_MS]\n");
    return 2;
  }
  char err[1024] = "";
  long rss0 = vmrss_kb();
  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  sa_config *cfg = NULL;
  if (sa_config_load(&cfg, argv[1], err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10)
                           : sa_config_seed(cfg);
  double dur = argc > 3 ? strtod(argv[3], NULL) : 0.0;
  sa_net *net = NULL;
  if (sa_config_build(cfg, seed, &net, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    sa_config_destroy(cfg);
    return 2;
  }
  int rc = sa_net_prepare(net);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  long rss_built = vmrss_kb(), rss_run = 0;
  if (!rc && dur > 0) {
    rc = sa_net_run(net, llround(dur / sa_net_dt(net)), NULL);
    rss_run = vmrss_kb();
  }
  if (rc) {
    fprintf(stderr, "sa_netinfo: %s\n", sa_net_errmsg(net));
    sa_net_destroy(net);
    sa_config_destroy(cfg);
    return 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"projections\": {");
  for (int j = 0; j < sa_net_proj_count(net); j++)
    printf("%s\"%s\": %" PRIu64, j ? ", " : "", sa_net_proj_name(net, j),
           sa_net_proj_size(net, j));
  printf("}, \"populations\": {");
  for (int p = 0; p < sa_net_pop_count(net); p++)
    printf("%s\"%s\": {\"model\": \"%s\", \"n\": %" PRIu32
           ", \"spikes\": %" PRIu64 "}", p ? ", " : "",
           sa_net_pop_name(net, p), sa_net_pop_model(net, p),
           sa_net_pop_size(net, p), sa_net_pop_spikes(net, p));
  printf("}, \"rss_start_kb\": %ld, \"rss_built_kb\": %ld, "
         "\"rss_run_kb\": %ld, \"peak_kb\": %ld, \"build_cpu_s\": %.6f}\n",
         rss0, rss_built, rss_run, ru.ru_maxrss,
         (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (c1.tv_nsec - c0.tv_nsec));
  sa_net_destroy(net);
  sa_config_destroy(cfg);
  return 0;
}
