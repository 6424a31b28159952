/* util.c: small helpers shared by the files of io/.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include <stdarg.h>
#include <stdio.h>

void sa__io_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err == NULL || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}
