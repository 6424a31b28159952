/* registry.c: the plasticity rules compiled in. Adding a rule = one file,
 * one line here, one line in rules/meson.build.
 * SPDX-License-Identifier: MIT */
#include "sa_rule.h"
#include <string.h>

extern const sa_rule_vt sa_rule_stdp;
extern const sa_rule_vt sa_rule_stdwi, sa_rule_rdd, sa_rule_weight_mirror_rate;

static const sa_rule_vt *const rules[] = {
  &sa_rule_stdp, &sa_rule_stdwi, &sa_rule_rdd, &sa_rule_weight_mirror_rate,
  NULL};

const char *sa__rule_names(void) {
  /* Kept in step with the table above by test_stdp (rule_errors). */
  return "stdp, stdwi, rdd, weight_mirror_rate";
}

const sa_rule_vt *sa__rule_find(const char *name) {
  for (int i = 0; rules[i]; i++)
    if (!strcmp(rules[i]->name, name)) return rules[i];
  return NULL;
}
