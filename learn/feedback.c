/* feedback.c: the registry of feedback strategies. Adding one = a file
 * exporting a const sa_fb_vt, one line here, one in learn/meson.build.
 * SPDX-License-Identifier: MIT
 *
 * Not here yet: "rdd" and "stdwi" (feedback fitted by spiking rules on a
 * simulated copy of the network, ALGORITHMS.md §1-§2). They will be
 * strategies shaped like "external": an epoch_begin that copies W into a
 * spiking network, runs the rule, and writes the rescaled estimate into
 * Bt_l, then trains the epoch like fa. sa_mlp_set_feedback and the
 * sa_feedback_fn callback are the entry points they need. */
#include "internal.h"
#include <string.h>

static const sa_fb_vt *const strategies[] = {
  &sa__fb_bp, &sa__fb_fa, &sa__fb_dfa, &sa__fb_usf, &sa__fb_frsf,
  &sa__fb_brsf, &sa__fb_wm, &sa__fb_kp, &sa__fb_gaitprop, &sa__fb_external,
  NULL};

const sa_fb_vt *sa__fb_get(const char *name)
{
  int i = sa_fb_find(name);
  return i < 0 ? NULL : strategies[i];
}

int sa_fb_find(const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; strategies[i]; i++)
    if (!strcmp(strategies[i]->name, name))
      return i;
  return -1;
}

static int count(void)
{
  int n = 0;
  while (strategies[n])
    n++;
  return n;
}

const char *sa_fb_name(int i)
{
  return i >= 0 && i < count() ? strategies[i]->name : NULL;
}

const char *sa_fb_summary(int i)
{
  return i >= 0 && i < count() ? strategies[i]->summary : NULL;
}

double sa_fb_default_lr(int i)
{
  return i >= 0 && i < count() ? strategies[i]->default_lr : 0.0;
}
