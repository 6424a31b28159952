/* registry.c: the models compiled in. Adding a model = one file, one line
 * here, one line in models/meson.build.
 * SPDX-License-Identifier: MIT */
#include "sa_model.h"
#include <stdio.h>
#include <string.h>

extern const sa_model_vt sa_model_lif_delta, sa_model_lif_exp,
    sa_model_poisson, sa_model_spike_source;
extern const sa_model_vt sa_model_lif_cond_exp;
extern const sa_model_vt sa_model_lif_dexp, sa_model_stimulus;

static const sa_model_vt *const models[] = {
  &sa_model_lif_delta, &sa_model_lif_exp, &sa_model_poisson,
  &sa_model_spike_source, &sa_model_lif_cond_exp, &sa_model_lif_dexp,
  &sa_model_stimulus, NULL};

void sa__model_names(char *buf, size_t n) {
  size_t at = 0;
  buf[0] = 0;
  for (int i = 0; models[i] && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "",
                           models[i]->name);
}

const sa_model_vt *sa__model_find(const char *name) {
  for (int i = 0; models[i]; i++)
    if (!strcmp(models[i]->name, name)) return models[i];
  return NULL;
}
