/* util.c: small helpers shared by the files of io/ (and learn/results.c:
 * the HDF5 ones, declared in sa_h5.h).
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

int sa__h5_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                hsize_t n, const void *buf) {
  hid_t s = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
  if (s < 0) return -1;
  hid_t a = H5Acreate2(loc, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, mtype, buf);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  H5Sclose(s);
  return rc < 0 ? -1 : 0;
}

int sa__h5_attr_str(hid_t loc, const char *name, const char *val) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return -1;
  int rc = -1;
  if (H5Tset_size(t, H5T_VARIABLE) >= 0 &&
      H5Tset_cset(t, H5T_CSET_UTF8) >= 0) {
    const char *v = val != NULL ? val : "";
    rc = sa__h5_attr(loc, name, t, t, 0, &v);
  }
  H5Tclose(t);
  return rc;
}
