/* internal.h: what the files of io/ share; never installed.
 * SPDX-License-Identifier: MIT */
#ifndef SA_IO_INTERNAL_H
#define SA_IO_INTERNAL_H
#include <stddef.h>

/* Format a message into the caller's error buffer (nothing if err is NULL
 * or errlen 0). */
void sa__io_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#include "sa_h5.h"   /* HDF5 helpers (learn/ uses them too) */
#endif
