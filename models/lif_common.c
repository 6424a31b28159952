/* lif_common.c: what the LIF models share.
 * SPDX-License-Identifier: MIT */
#include "sa_model.h"
#include <stdio.h>

int sa__lif_check(double V_reset, double V_th, double C_m, char *err,
                  size_t n) {
  if (V_reset >= V_th) {
    snprintf(err, n, "Reset potential must be smaller than threshold.");
    return SA_EINVAL;
  }
  if (C_m <= 0) {
    snprintf(err, n, "Capacitance must be strictly positive.");
    return SA_EINVAL;
  }
  return 0;
}
