/* internal.h: what the files of io/ share; never installed.
 * SPDX-License-Identifier: MIT */
#ifndef SA_IO_INTERNAL_H
#define SA_IO_INTERNAL_H
#include <stddef.h>

/* Format a message into the caller's error buffer (nothing if err is NULL
 * or errlen 0). */
void sa__io_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The innermost message of this thread's HDF5 error stack, on one line,
 * in buf (the outer ones only repeat "H5Dwrite failed", the inner one says
 * "No space left"); "HDF5 error" when the stack is empty. */
const char *sa__h5_detail(char buf[256]);
#endif
