/* util.c: small helpers shared by the files of io/.
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>

void sa__io_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err == NULL || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *ud) {
  (void)n;
  char *buf = ud;
  if (e->desc != NULL && e->desc[0] != '\0') {
    snprintf(buf, 256, "%s", e->desc);
    /* Some descriptions span lines ("file write failed: time = ...\n,
     * filename = ..."); messages are one line. */
    for (char *p = buf; *p != '\0'; p++)
      if (*p == '\n' || *p == '\r') *p = ' ';
  }
  return 0;
}

const char *sa__h5_detail(char buf[256]) {
  buf[0] = '\0';
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, buf);
  if (buf[0] == '\0') snprintf(buf, 256, "HDF5 error");
  return buf;
}
