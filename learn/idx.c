/* idx.c: reader and writer of IDX files (gzip'd or plain).
 * SPDX-License-Identifier: MIT
 *
 * IDX: two zero bytes, an element-type byte (0x08 = unsigned byte), the
 * number of dimensions, then each dimension as a big-endian uint32, then
 * the elements in row-major order. Only unsigned bytes are supported: it
 * is what MNIST, Fashion-MNIST and our digits files hold. */
#include "internal.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* A gzip'd MNIST training set is 47 MB inflated; anything beyond 2 GiB is
 * not an image dataset we can hold as floats on this kind of machine. */
#define IDX_MAX_BYTES ((size_t)1 << 31)

void sa_idx_free(sa_idx *idx)
{
  if (idx == NULL)
    return;
  free(idx->data);
  memset(idx, 0, sizeof *idx);
}

static uint32_t be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* zlib's message without the "PATH: " it prefixes. */
static const char *zmsg(const char *path, const char *msg)
{
  size_t n = strlen(path);
  if (msg == NULL || *msg == '\0')
    return "unexpected end of file";
  if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
    return msg + n + 2;
  return msg;
}

/* Inflate the whole file into a growing buffer. gzread reads a plain file
 * transparently, and reports a truncated gzip stream as Z_BUF_ERROR. */
static int slurp(const char *path, uint8_t **out, size_t *len, char *err,
                 size_t errlen)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    sa__errf(err, errlen, "%s: %s", path, strerror(errno));
    return errno == ENOENT ? SA_ENOENT : SA_EIO;
  }
  gzFile f = gzopen(path, "rb");
  if (f == NULL) {
    sa__errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return SA_EIO;
  }
  size_t cap = 1 << 20, n = 0;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) {
    gzclose(f);
    return SA_ENOMEM;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= IDX_MAX_BYTES) {
        sa__errf(err, errlen, "%s: more than %zu bytes inflated; not an "
                 "image dataset", path, IDX_MAX_BYTES);
        free(buf);
        gzclose(f);
        return SA_EINVAL;
      }
      uint8_t *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        gzclose(f);
        return SA_ENOMEM;
      }
      buf = nb, cap *= 2;
    }
    size_t want = cap - n;
    if (want > (1u << 30))
      want = 1u << 30;
    int r = gzread(f, buf + n, (unsigned)want);
    if (r < 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      sa__errf(err, errlen, "%s: corrupt or truncated gzip data (%s)", path,
               zmsg(path, msg));
      free(buf);
      gzclose(f);
      return SA_EIO;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  /* A stream cut short inside the deflate data ends with r == 0 and a
   * pending Z_BUF_ERROR rather than r < 0 on some zlib versions. */
  int zerr = Z_OK;
  const char *msg = gzerror(f, &zerr);
  char why[128];            /* gzclose frees msg */
  snprintf(why, sizeof why, "%s", zmsg(path, zerr != Z_OK ? msg : NULL));
  int crc = gzclose(f);
  if (zerr != Z_OK || crc != Z_OK) {
    sa__errf(err, errlen, "%s: corrupt or truncated gzip data (%s)", path,
             why);
    free(buf);
    return SA_EIO;
  }
  *out = buf;
  *len = n;
  return 0;
}

int sa_idx_read(const char *path, sa_idx *out, char *err, size_t errlen)
{
  memset(out, 0, sizeof *out);
  uint8_t *buf;
  size_t len;
  int rc = slurp(path, &buf, &len, err, errlen);
  if (rc < 0)
    return rc;
  rc = SA_EINVAL;
  if (len < 4 || buf[0] != 0 || buf[1] != 0) {
    sa__errf(err, errlen, "%s: not an IDX file (magic number must start "
             "with two zero bytes)", path);
    goto fail;
  }
  if (buf[2] != 0x08) {
    sa__errf(err, errlen, "%s: IDX element type 0x%02X is not supported "
             "(only unsigned bytes, 0x08)", path, buf[2]);
    goto fail;
  }
  int ndim = buf[3];
  if (ndim < 1 || ndim > 4) {
    sa__errf(err, errlen, "%s: IDX with %d dimensions (expected 1 to 4)",
             path, ndim);
    goto fail;
  }
  size_t hdr = 4 + 4 * (size_t)ndim;
  if (len < hdr) {
    sa__errf(err, errlen, "%s: truncated IDX header (%zu of %zu bytes)",
             path, len, hdr);
    goto fail;
  }
  size_t count = 1;
  for (int i = 0; i < ndim; i++) {
    out->dims[i] = be32(buf + 4 + 4 * i);
    if (out->dims[i] == 0) {
      sa__errf(err, errlen, "%s: dimension %d is zero", path, i);
      goto fail;
    }
    if (count > IDX_MAX_BYTES / out->dims[i]) {
      sa__errf(err, errlen, "%s: dimensions too large", path);
      goto fail;
    }
    count *= out->dims[i];
  }
  if (len - hdr != count) {
    sa__errf(err, errlen, "%s: %s: the header announces %zu data bytes, "
             "the file holds %zu", path,
             len - hdr < count ? "truncated" : "trailing bytes", count,
             len - hdr);
    goto fail;
  }
  /* Move the payload to the front and give back the slack. */
  memmove(buf, buf + hdr, count);
  uint8_t *shrunk = realloc(buf, count);
  out->data = shrunk != NULL ? shrunk : buf;
  out->ndim = ndim;
  out->count = count;
  return 0;
fail:
  free(buf);
  memset(out, 0, sizeof *out);
  return rc;
}

int sa_idx_write(const char *path, const sa_idx *idx, char *err,
                 size_t errlen)
{
  if (idx == NULL || idx->ndim < 1 || idx->ndim > 4 || idx->data == NULL) {
    sa__errf(err, errlen, "%s: an IDX array needs 1 to 4 dimensions and "
             "data", path);
    return SA_EINVAL;
  }
  size_t count = 1;
  uint8_t hdr[20] = {0, 0, 0x08, (uint8_t)idx->ndim};
  for (int i = 0; i < idx->ndim; i++) {
    uint32_t d = idx->dims[i];
    hdr[4 + 4 * i] = (uint8_t)(d >> 24);
    hdr[5 + 4 * i] = (uint8_t)(d >> 16);
    hdr[6 + 4 * i] = (uint8_t)(d >> 8);
    hdr[7 + 4 * i] = (uint8_t)d;
    count *= d;
  }
  if (count != idx->count || count == 0) {
    sa__errf(err, errlen, "%s: dimensions give %zu elements, count says "
             "%zu", path, count, idx->count);
    return SA_EINVAL;
  }
  gzFile f = gzopen(path, "wb9");
  if (f == NULL) {
    sa__errf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    return SA_EIO;
  }
  int ok = gzwrite(f, hdr, 4 + 4 * (unsigned)idx->ndim) > 0;
  for (size_t off = 0; ok && off < count;) {
    size_t chunk = count - off > (1u << 30) ? (1u << 30) : count - off;
    ok = gzwrite(f, idx->data + off, (unsigned)chunk) == (int)chunk;
    off += chunk;
  }
  if (gzclose(f) != Z_OK)
    ok = 0;
  if (!ok) {
    sa__errf(err, errlen, "%s: write failed", path);
    return SA_EIO;
  }
  return 0;
}
