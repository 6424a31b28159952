/* feedback.c: the registry of feedback strategies. Adding one = a file
 * exporting a const sa_fb_vt, one line here, one in learn/meson.build.
 * SPDX-License-Identifier: MIT
 *
 * rdd and stdwi (fb_spiking.c) fit B with a spiking rule on a simulated
 * copy of each layer before every epoch and then train like fa; external
 * is the same shape with the caller's callback in place of the
 * simulation. */
#include "internal.h"
#include <string.h>

static const sa_fb_vt *const strategies[] = {
  &sa__fb_bp, &sa__fb_fa, &sa__fb_dfa, &sa__fb_usf, &sa__fb_frsf,
  &sa__fb_brsf, &sa__fb_wm, &sa__fb_kp, &sa__fb_gaitprop, &sa__fb_rdd,
  &sa__fb_stdwi, &sa__fb_external, NULL};

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
