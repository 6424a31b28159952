/* registry.c: the plasticity rules compiled in. Adding a rule = one file,
 * one line here, one line in rules/meson.build.
 * SPDX-License-Identifier: MIT */
#include "sa_rule.h"
#include <stdio.h>
#include <string.h>

extern const sa_rule_vt sa_rule_stdp;
extern const sa_rule_vt sa_rule_stdwi, sa_rule_rdd, sa_rule_weight_mirror_rate;

static const sa_rule_vt *const rules[] = {
  &sa_rule_stdp, &sa_rule_stdwi, &sa_rule_rdd, &sa_rule_weight_mirror_rate,
  NULL};

void sa__rule_names(char *buf, size_t n) {
  size_t at = 0;
  buf[0] = 0;
  for (int i = 0; rules[i] && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "",
                           rules[i]->name);
}

const sa_rule_vt *sa__rule_find(const char *name) {
  for (int i = 0; rules[i]; i++)
    if (!strcmp(rules[i]->name, name)) return rules[i];
  return NULL;
}
