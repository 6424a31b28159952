/* sa_h5.h: HDF5 helpers shared by io/ and learn/; never installed.
 * SPDX-License-Identifier: MIT */
#ifndef SA_H5_H
#define SA_H5_H
#include <hdf5.h>

/* Create attribute `name` on loc and write buf (memory type mtype) into
 * it as file type ftype: a scalar when n == 0, else a 1-D array of n.
 * Returns 0 or -1 (the HDF5 error stack says why). */
int sa__h5_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                hsize_t n, const void *buf);
/* A variable-length UTF-8 string attribute (NULL writes ""): long texts
 * such as a config go to the global heap, not the object header.
 * Returns 0 or -1. */
int sa__h5_attr_str(hid_t loc, const char *name, const char *val);
/* The innermost message of this thread's HDF5 error stack, on one line,
 * in buf (the outer ones only repeat "H5Dwrite failed", the inner one says
 * "No space left"); "HDF5 error" when the stack is empty. */
const char *sa__h5_detail(char buf[256]);
#endif
