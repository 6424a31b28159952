/* sonata_in.c: SONATA circuits as input: circuit and simulation configs
 * (JSON), nodes and edges (HDF5), node and edge types (space-separated
 * CSV), dynamics params (JSON), spike inputs; built into a network with
 * the public simulation API only.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>
#include <jansson.h>

#include "sa_view.h"

/* ---- the circuit, read into memory -------------------------------------- */

typedef struct sparam {
  char name[32];
  double value;
} sparam;

typedef struct spop {
  char *name;
  char *model;         /* synalign model, "spike_source" for virtual */
  char *tmpl;          /* as written: "nest:iaf_psc_exp", "virtual" */
  uint32_t n;
  int is_virtual;
  sparam *params;      /* V_m goes to the initial state */
  int n_params;
  char *param_src;     /* where the params came from, for messages */
  double **times;      /* virtual: spike times per node (ms), or NULL */
  size_t *n_times;
} spop;

typedef struct sproj {
  char *name;
  int src, tgt;
  size_t n;
  uint32_t *s, *t;
  double *w, *d;       /* pA or mV; ms */
} sproj;

struct sa_sonata {
  char *path, *text;
  double dt, tstop;
  uint64_t seed;
  spop *pops;
  int n_pops;
  sproj *projs;
  int n_projs;
  char **record;
  size_t n_record;
};

/* ---- load context ------------------------------------------------------- */

typedef struct var {
  char name[64];
  char *value;
} var;

typedef struct ctx {
  sa_sonata *s;
  char *err;
  size_t errlen;
  var vars[32];
  int n_vars;
  char *neuron_dir;    /* components.point_neuron_models_dir */
  char *synapse_dir;   /* components.synaptic_models_dir */
  json_t *node_sets;   /* borrowed from a root or owned (node_sets_file) */
  json_t *owned[8];    /* JSON documents to free at the end */
  int n_owned;
} ctx;

static int fail(ctx *c, int rc, const char *fmt, ...)
{
  if (c->err != NULL && c->errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static char *dup_str(const char *t)
{
  size_t n = strlen(t) + 1;
  char *d = malloc(n);
  if (d != NULL)
    memcpy(d, t, n);
  return d;
}

static char *dir_of(const char *path)
{
  char *d = dup_str(path);
  if (d == NULL)
    return NULL;
  char *slash = strrchr(d, '/');
  if (slash == NULL)
    snprintf(d, strlen(path) + 1, ".");
  else if (slash == d)
    slash[1] = '\0';
  else
    *slash = '\0';
  return d;
}

static char *read_text(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    if (n + 1 >= cap) {
      char *b = realloc(buf, cap * 2);
      if (b == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
      cap *= 2;
    }
    size_t k = fread(buf + n, 1, cap - n - 1, f);
    n += k;
    if (k == 0)
      break;
  }
  if (buf != NULL && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf != NULL) {
    buf[n] = '\0';
    if (len != NULL)
      *len = n;
  }
  return buf;
}

/* ---- paths: manifest variables, relative paths -------------------------- */

/* Replace $NAME and ${NAME} of the manifest; ${configdir} is the folder
 * of the config being read. Relative results are taken relative to that
 * folder, as the SONATA spec says. Returns a malloc'd path or NULL. */
static char *resolve(ctx *c, const char *in, const char *cfgdir)
{
  char cur[4096], next[4096];
  snprintf(cur, sizeof cur, "%s", in);
  for (int round = 0; round < 16 && strchr(cur, '$') != NULL; round++) {
    size_t o = 0;
    const char *p = cur;
    while (*p && o + 1 < sizeof next) {
      if (*p != '$') {
        next[o++] = *p++;
        continue;
      }
      int brace = p[1] == '{';
      const char *q = p + 1 + brace;
      size_t len = 0;
      while (q[len] == '_' || (q[len] >= 'A' && q[len] <= 'Z') ||
             (q[len] >= 'a' && q[len] <= 'z') ||
             (q[len] >= '0' && q[len] <= '9'))
        len++;
      const char *val = NULL;
      if (len == 9 && strncmp(q, "configdir", 9) == 0)
        val = cfgdir;
      for (int i = 0; val == NULL && i < c->n_vars; i++) {
        const char *vn = c->vars[i].name + 1;   /* skip '$' */
        if (strlen(vn) == len && strncmp(vn, q, len) == 0)
          val = c->vars[i].value;
      }
      if (val == NULL) {
        next[o++] = *p++;   /* not a variable: keep the '$' */
        continue;
      }
      o += (size_t)snprintf(next + o, sizeof next - o, "%s", val);
      if (o >= sizeof next)
        o = sizeof next - 1;
      p = q + len + (brace && q[len] == '}');
    }
    next[o] = '\0';
    if (strcmp(next, cur) == 0)
      break;
    snprintf(cur, sizeof cur, "%s", next);
  }
  char out[4200];
  if (cur[0] == '/' || cfgdir == NULL)
    snprintf(out, sizeof out, "%s", cur);
  else
    snprintf(out, sizeof out, "%s/%s", cfgdir,
             strncmp(cur, "./", 2) == 0 ? cur + 2 : cur);
  return dup_str(out);
}

static int read_manifest(ctx *c, json_t *root, const char *file)
{
  json_t *m = json_object_get(root, "manifest");
  if (m == NULL)
    return 0;
  if (!json_is_object(m))
    return fail(c, SA_EINVAL, "%s: manifest: expected an object", file);
  const char *k;
  json_t *v;
  json_object_foreach(m, k, v) {
    if (!json_is_string(v))
      return fail(c, SA_EINVAL, "%s: manifest.%s: expected a string", file,
                  k);
    if (c->n_vars == (int)(sizeof c->vars / sizeof c->vars[0]))
      return fail(c, SA_EINVAL, "%s: manifest: too many variables", file);
    var *x = &c->vars[c->n_vars++];
    snprintf(x->name, sizeof x->name, "%s%s", k[0] == '$' ? "" : "$", k);
    /* Values are kept raw; later variables may refer to earlier ones and
     * resolve() substitutes repeatedly. */
    x->value = dup_str(json_string_value(v));
    if (x->value == NULL)
      return fail(c, SA_ENOMEM, "%s: out of memory", file);
  }
  return 0;
}

static json_t *load_json(ctx *c, const char *path, int *rc)
{
  json_error_t je;
  struct stat st;
  if (stat(path, &st) != 0) {
    *rc = fail(c, errno == ENOENT ? SA_ENOENT : SA_EIO, "%s: cannot open: %s",
               path, strerror(errno));
    return NULL;
  }
  json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL) {
    *rc = fail(c, SA_EINVAL, "%s:%d:%d: %s", path, je.line, je.column,
               je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    *rc = fail(c, SA_EINVAL, "%s: expected a JSON object", path);
    return NULL;
  }
  if (c->n_owned == (int)(sizeof c->owned / sizeof c->owned[0])) {
    json_decref(j);
    *rc = fail(c, SA_EINVAL, "%s: too many nested config files", path);
    return NULL;
  }
  c->owned[c->n_owned++] = j;
  *rc = 0;
  return j;
}

/* ---- CSV (node_types / edge_types) -------------------------------------- */

typedef struct csv {
  char *path;
  int ncols, nrows;
  char **cell;   /* nrows x ncols, row 0 is the header */
} csv;

static void csv_free(csv *t)
{
  if (t->cell != NULL)
    for (int i = 0; i < t->nrows * t->ncols; i++)
      free(t->cell[i]);
  free(t->cell);
  free(t->path);
  memset(t, 0, sizeof *t);
}

/* Space-separated, '"' quoting ("" for a quote inside), one row a line. */
static int csv_read(ctx *c, const char *path, csv *t)
{
  memset(t, 0, sizeof *t);
  size_t len;
  char *text = read_text(path, &len);
  if (text == NULL)
    return fail(c, errno == ENOENT ? SA_ENOENT : SA_EIO,
                "%s: cannot open: %s", path, strerror(errno));
  t->path = dup_str(path);
  int rc = 0, cap = 0, lineno = 0;
  char *p = text;
  while (*p && rc == 0) {
    lineno++;
    char *fields[256];
    int nf = 0;
    while (*p && *p != '\n' && rc == 0) {
      while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
      if (*p == '\n' || *p == '\0')
        break;
      char tok[4096];
      size_t o = 0;
      if (*p == '"') {
        p++;
        while (*p && !(*p == '"' && p[1] != '"')) {
          if (*p == '"')
            p++;
          if (o + 1 < sizeof tok)
            tok[o++] = *p;
          p++;
        }
        if (*p != '"')
          rc = fail(c, SA_EINVAL, "%s:%d: unterminated quote", path, lineno);
        else
          p++;
      } else {
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
          if (o + 1 < sizeof tok)
            tok[o++] = *p;
          p++;
        }
      }
      tok[o] = '\0';
      if (nf == 256)
        rc = fail(c, SA_EINVAL, "%s:%d: too many columns", path, lineno);
      else if (rc == 0 && (fields[nf++] = dup_str(tok)) == NULL)
        rc = fail(c, SA_ENOMEM, "%s: out of memory", path);
    }
    if (*p == '\n')
      p++;
    if (nf == 0 || rc != 0) {
      for (int i = 0; i < nf; i++)
        free(fields[i]);
      continue;
    }
    if (t->nrows == 0)
      t->ncols = nf;
    if (nf != t->ncols) {
      for (int i = 0; i < nf; i++)
        free(fields[i]);
      rc = fail(c, SA_EINVAL, "%s:%d: %d columns, the header has %d (columns "
                "are separated by spaces)", path, lineno, nf, t->ncols);
      break;
    }
    if (t->nrows == cap) {
      cap = cap ? cap * 2 : 16;
      char **cells = realloc(t->cell, (size_t)cap * t->ncols * sizeof *cells);
      if (cells == NULL) {
        for (int i = 0; i < nf; i++)
          free(fields[i]);
        rc = fail(c, SA_ENOMEM, "%s: out of memory", path);
        break;
      }
      t->cell = cells;
    }
    memcpy(t->cell + (size_t)t->nrows * t->ncols, fields,
           (size_t)nf * sizeof *fields);
    t->nrows++;
  }
  free(text);
  if (rc == 0 && t->nrows == 0)
    rc = fail(c, SA_EINVAL, "%s: empty (a header line is needed)", path);
  if (rc != 0)
    csv_free(t);
  return rc;
}

static int csv_col(const csv *t, const char *name)
{
  for (int j = 0; j < t->ncols; j++)
    if (strcmp(t->cell[j], name) == 0)
      return j;
  return -1;
}

/* A cell, or NULL when missing or written as NULL/None/empty. */
static const char *csv_get(const csv *t, int row, const char *name)
{
  int j = csv_col(t, name);
  if (j < 0 || row <= 0 || row >= t->nrows)
    return NULL;
  const char *v = t->cell[(size_t)row * t->ncols + j];
  if (v[0] == '\0' || strcmp(v, "NULL") == 0 || strcmp(v, "None") == 0 ||
      strcmp(v, "NONE") == 0 || strcmp(v, "nan") == 0)
    return NULL;
  return v;
}

/* The row whose <key> column equals id (and whose population column, if
 * any, is empty or pop); 0 if none. */
static int csv_find(const csv *t, const char *key, long long id,
                    const char *pop)
{
  for (int r = 1; r < t->nrows; r++) {
    const char *v = csv_get(t, r, key);
    char *end;
    if (v == NULL || strtoll(v, &end, 10) != id || *end != '\0')
      continue;
    const char *p = csv_get(t, r, "population");
    if (p == NULL || pop == NULL || strcmp(p, pop) == 0)
      return r;
  }
  return 0;
}

static int parse_num(const char *v, double *out)
{
  char *end;
  if (v == NULL)
    return -1;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || *end != '\0' || !isfinite(d))
    return -1;
  *out = d;
  return 0;
}

/* ---- HDF5 helpers ------------------------------------------------------- */

static int h5_has(hid_t loc, const char *name)
{
  return H5Lexists(loc, name, H5P_DEFAULT) > 0;
}

static int h5_is_group(hid_t loc, const char *name)
{
  if (!h5_has(loc, name))
    return 0;
  hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
  if (o < 0)
    return 0;
  int g = H5Iget_type(o) == H5I_GROUP;
  H5Oclose(o);
  return g;
}

/* A whole 1-D dataset converted to mtype (HDF5 converts integer widths
 * and floats). *out is malloc'd; *n its length. */
static int h5_read1(hid_t loc, const char *name, hid_t mtype, size_t esize,
                    void **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0)
    return -1;
  hid_t sp = H5Dget_space(d);
  hssize_t len = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  int rc = -1;
  if (len >= 0 && rank <= 1) {
    void *buf = malloc(len > 0 ? (size_t)len * esize : 1);
    if (buf != NULL &&
        (len == 0 ||
         H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)) {
      *out = buf;
      *n = (size_t)len;
      rc = 0;
    } else {
      free(buf);
    }
  }
  if (sp >= 0)
    H5Sclose(sp);
  H5Dclose(d);
  return rc;
}

/* String attribute into buf. The memory type takes the file's character
 * set: h5py writes UTF-8, and HDF5 will not convert it to ASCII. */
static int h5_attr_str(hid_t loc, const char *name, char *buf, size_t n)
{
  buf[0] = '\0';
  if (H5Aexists(loc, name) <= 0)
    return -1;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  int rc = -1;
  if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mt, H5Tget_cset(t));
    if (H5Tis_variable_str(t) > 0) {
      char *v = NULL;
      H5Tset_size(mt, H5T_VARIABLE);
      if (H5Aread(a, mt, &v) >= 0 && v != NULL) {
        snprintf(buf, n, "%s", v);
        H5free_memory(v);
        rc = 0;
      }
    } else {
      size_t sz = H5Tget_size(t);
      char *v = calloc(sz + 1, 1);
      H5Tset_size(mt, sz + 1);
      if (v != NULL && H5Aread(a, mt, v) >= 0) {
        snprintf(buf, n, "%s", v);
        rc = 0;
      }
      free(v);
    }
    H5Tclose(mt);
  }
  if (t >= 0)
    H5Tclose(t);
  if (a >= 0)
    H5Aclose(a);
  return rc;
}

/* A 1-D string dataset: the distinct values are compared, so read all and
 * return the first, setting *uniform. */
static int h5_str_uniform(hid_t loc, const char *name, char *first, size_t n,
                          int *uniform)
{
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0)
    return -1;
  hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
  hssize_t len = H5Sget_simple_extent_npoints(sp);
  int rc = -1;
  *uniform = 1;
  first[0] = '\0';
  if (H5Tget_class(t) == H5T_STRING && len > 0) {
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mt, H5Tget_cset(t));
    if (H5Tis_variable_str(t) > 0) {
      char **v = calloc((size_t)len, sizeof *v);
      H5Tset_size(mt, H5T_VARIABLE);
      if (v != NULL && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
        snprintf(first, n, "%s", v[0] ? v[0] : "");
        for (hssize_t i = 1; i < len; i++)
          if (strcmp(v[i] ? v[i] : "", first) != 0)
            *uniform = 0;
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        rc = 0;
      }
      free(v);
    } else {
      size_t sz = H5Tget_size(t);
      char *v = calloc((size_t)len, sz + 1);
      H5Tset_size(mt, sz + 1);
      if (v != NULL && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
        snprintf(first, n, "%s", v);
        for (hssize_t i = 1; i < len; i++)
          if (strcmp(v + (size_t)i * (sz + 1), first) != 0)
            *uniform = 0;
        rc = 0;
      }
      free(v);
    }
    H5Tclose(mt);
  } else if (len == 0) {
    rc = 0;
  }
  H5Tclose(t);
  H5Sclose(sp);
  H5Dclose(d);
  return rc;
}

/* ---- models ------------------------------------------------------------- */

static const struct {
  const char *nest, *ours;
} model_map[] = {
  {"iaf_psc_exp", "lif_exp"},
  {"iaf_psc_delta", "lif_delta"},
  {"iaf_cond_exp", "lif_cond_exp"},
  {NULL, NULL}};

/* "nest:iaf_psc_exp" -> "lif_exp"; NULL if not one of ours. */
static const char *map_template(const char *tmpl)
{
  if (tmpl == NULL)
    return NULL;
  const char *name = strncmp(tmpl, "nest:", 5) == 0 ? tmpl + 5 : NULL;
  for (int i = 0; name != NULL && model_map[i].nest != NULL; i++)
    if (strcmp(model_map[i].nest, name) == 0)
      return model_map[i].ours;
  return NULL;
}

static int add_param(ctx *c, spop *p, const char *name, double v,
                     const char *src)
{
  for (int i = 0; i < p->n_params; i++)
    if (strcmp(p->params[i].name, name) == 0) {
      if (p->params[i].value != v)
        return fail(c, SA_ENOTSUP,
                    "population '%s': parameter '%s' differs between nodes "
                    "(%g and %g, %s); synalign needs one value per "
                    "population", p->name, name, p->params[i].value, v, src);
      return 0;
    }
  sparam *np = realloc(p->params, ((size_t)p->n_params + 1) * sizeof *np);
  if (np == NULL)
    return fail(c, SA_ENOMEM, "out of memory");
  p->params = np;
  if (strlen(name) >= sizeof np[0].name)
    return fail(c, SA_ENOTSUP, "population '%s': unknown parameter '%s' (%s)",
                p->name, name, src);
  snprintf(np[p->n_params].name, sizeof np[0].name, "%s", name);
  np[p->n_params].value = v;
  p->n_params++;
  return 0;
}

/* Dynamics params of a node type: a JSON file of name -> number from the
 * point-neuron models folder. */
static int type_params(ctx *c, const char *file, const char *cfgdir,
                       json_t **out)
{
  *out = NULL;
  char *path;
  if (file[0] == '/')
    path = dup_str(file);
  else if (c->neuron_dir != NULL) {
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", c->neuron_dir, file);
    path = dup_str(buf);
  } else {
    path = resolve(c, file, cfgdir);
  }
  if (path == NULL)
    return fail(c, SA_ENOMEM, "out of memory");
  int rc;
  json_t *j = load_json(c, path, &rc);
  free(path);
  if (j == NULL)
    return rc;
  *out = j;
  return 0;
}

/* ---- nodes -------------------------------------------------------------- */

typedef struct tinfo {   /* per node type, resolved once */
  long long id;
  char model_type[32];
  char tmpl[64];
  char dyn[256];
} tinfo;

static int read_node_pop(ctx *c, hid_t nodes, const char *pname,
                         const csv *types, const char *cfgdir,
                         const char *file)
{
  sa_sonata *s = c->s;
  for (int i = 0; i < s->n_pops; i++)
    if (strcmp(s->pops[i].name, pname) == 0)
      return fail(c, SA_EINVAL, "%s: node population '%s' is defined twice",
                  file, pname);
  hid_t g = H5Gopen2(nodes, pname, H5P_DEFAULT);
  if (g < 0)
    return fail(c, SA_EIO, "%s: cannot open /nodes/%s", file, pname);
  int rc = 0;
  int64_t *type_id = NULL, *grp = NULL, *gidx = NULL, *nid = NULL;
  size_t n = 0, n2 = 0, n3 = 0, n4 = 0;
  tinfo *ti = NULL;
  int nti = 0;
  if (h5_read1(g, "node_type_id", H5T_NATIVE_INT64, 8, (void **)&type_id,
               &n) < 0) {
    rc = fail(c, SA_EINVAL, "%s: /nodes/%s has no readable node_type_id",
              file, pname);
    goto out;
  }
  if (n == 0 || n > UINT32_MAX) {
    rc = fail(c, SA_EINVAL, "%s: /nodes/%s has %zu nodes", file, pname, n);
    goto out;
  }
  if (h5_has(g, "node_id")) {
    if (h5_read1(g, "node_id", H5T_NATIVE_INT64, 8, (void **)&nid, &n4) < 0 ||
        n4 != n) {
      rc = fail(c, SA_EINVAL, "%s: /nodes/%s/node_id is unreadable or of the "
                "wrong length", file, pname);
      goto out;
    }
    for (size_t i = 0; i < n; i++)
      if (nid[i] != (int64_t)i) {
        rc = fail(c, SA_ENOTSUP, "%s: /nodes/%s/node_id is not 0, 1, 2 ... "
                  "(node %zu has id %lld): node ids other than the row index "
                  "are not supported", file, pname, i, (long long)nid[i]);
        goto out;
      }
  }
  if (h5_has(g, "node_group_id") &&
      (h5_read1(g, "node_group_id", H5T_NATIVE_INT64, 8, (void **)&grp,
                &n2) < 0 || n2 != n)) {
    rc = fail(c, SA_EINVAL, "%s: /nodes/%s/node_group_id is unreadable or of "
              "the wrong length", file, pname);
    goto out;
  }
  if (h5_has(g, "node_group_index") &&
      (h5_read1(g, "node_group_index", H5T_NATIVE_INT64, 8, (void **)&gidx,
                &n3) < 0 || n3 != n)) {
    rc = fail(c, SA_EINVAL, "%s: /nodes/%s/node_group_index is unreadable or "
              "of the wrong length", file, pname);
    goto out;
  }
  /* Resolve each distinct node type through the CSV. */
  for (size_t i = 0; i < n; i++) {
    int known = 0;
    for (int k = 0; k < nti && !known; k++)
      known = ti[k].id == type_id[i];
    if (known)
      continue;
    tinfo *nt = realloc(ti, ((size_t)nti + 1) * sizeof *nt);
    if (nt == NULL) {
      rc = fail(c, SA_ENOMEM, "out of memory");
      goto out;
    }
    ti = nt;
    tinfo *t = &ti[nti++];
    memset(t, 0, sizeof *t);
    t->id = type_id[i];
    int row = types != NULL ? csv_find(types, "node_type_id", t->id, pname)
                            : 0;
    if (row == 0) {
      rc = fail(c, SA_EINVAL, "%s: node type %lld of population '%s' is not "
                "in %s", file, t->id, pname,
                types != NULL ? types->path : "any node_types file");
      goto out;
    }
    const char *v;
    if ((v = csv_get(types, row, "model_type")) != NULL)
      snprintf(t->model_type, sizeof t->model_type, "%s", v);
    if ((v = csv_get(types, row, "model_template")) != NULL)
      snprintf(t->tmpl, sizeof t->tmpl, "%s", v);
    if ((v = csv_get(types, row, "dynamics_params")) != NULL)
      snprintf(t->dyn, sizeof t->dyn, "%s", v);
  }
  /* Per-node attributes in the node groups override the types. Only
   * values that are the same for every node of the population can be
   * used. */
  char gmodel_type[32] = "", gtmpl[64] = "";
  hsize_t ngroups = 0;
  {
    H5G_info_t gi;
    if (H5Gget_info(g, &gi) >= 0)
      ngroups = gi.nlinks;
  }
  spop p;
  memset(&p, 0, sizeof p);
  p.name = dup_str(pname);
  p.n = (uint32_t)n;
  if (p.name == NULL) {
    rc = fail(c, SA_ENOMEM, "out of memory");
    goto out;
  }
  for (hsize_t li = 0; li < ngroups && rc == 0; li++) {
    char gname[64];
    ssize_t nl = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, li,
                                    gname, sizeof gname, H5P_DEFAULT);
    if (nl <= 0 || (size_t)nl >= sizeof gname || !h5_is_group(g, gname))
      continue;
    hid_t gg = H5Gopen2(g, gname, H5P_DEFAULT);
    if (gg < 0)
      continue;
    int uni = 1;
    if (h5_has(gg, "model_type") &&
        h5_str_uniform(gg, "model_type", gmodel_type, sizeof gmodel_type,
                       &uni) == 0 && !uni)
      rc = fail(c, SA_ENOTSUP, "%s: /nodes/%s/%s/model_type differs between "
                "nodes; synalign needs one model per population", file, pname,
                gname);
    if (rc == 0 && h5_has(gg, "model_template") &&
        h5_str_uniform(gg, "model_template", gtmpl, sizeof gtmpl, &uni) == 0 &&
        !uni)
      rc = fail(c, SA_ENOTSUP, "%s: /nodes/%s/%s/model_template differs "
                "between nodes; synalign needs one model per population",
                file, pname, gname);
    if (rc == 0 && h5_is_group(gg, "dynamics_params")) {
      hid_t dg = H5Gopen2(gg, "dynamics_params", H5P_DEFAULT);
      H5G_info_t di;
      if (dg >= 0 && H5Gget_info(dg, &di) >= 0) {
        for (hsize_t k = 0; k < di.nlinks && rc == 0; k++) {
          char pn[64];
          ssize_t l = H5Lget_name_by_idx(dg, ".", H5_INDEX_NAME, H5_ITER_INC,
                                         k, pn, sizeof pn, H5P_DEFAULT);
          if (l <= 0 || (size_t)l >= sizeof pn)
            continue;
          double *vals = NULL;
          size_t nv = 0;
          if (h5_read1(dg, pn, H5T_NATIVE_DOUBLE, 8, (void **)&vals, &nv) < 0) {
            rc = fail(c, SA_ENOTSUP, "%s: /nodes/%s/%s/dynamics_params/%s is "
                      "not a numeric dataset", file, pname, gname, pn);
            break;
          }
          char src[160];
          snprintf(src, sizeof src, "/nodes/%s/%s/dynamics_params/%s", pname,
                   gname, pn);
          for (size_t k2 = 0; k2 < nv && rc == 0; k2++)
            rc = add_param(c, &p, pn, vals[k2], src);
          free(vals);
        }
      }
      if (dg >= 0)
        H5Gclose(dg);
    }
    H5Gclose(gg);
  }
  if (rc != 0)
    goto fail_pop;
  /* One model for the population: from the groups, else every node type
   * must agree. */
  const char *mtype = gmodel_type[0] ? gmodel_type : ti[0].model_type;
  const char *tmpl = gtmpl[0] ? gtmpl : ti[0].tmpl;
  for (int k = 1; k < nti; k++) {
    if ((!gmodel_type[0] && strcmp(ti[k].model_type, ti[0].model_type)) ||
        (!gtmpl[0] && strcmp(ti[k].tmpl, ti[0].tmpl)) ||
        strcmp(ti[k].dyn, ti[0].dyn) != 0) {
      rc = fail(c, SA_ENOTSUP, "population '%s' mixes node types %lld (%s %s "
                "%s) and %lld (%s %s %s); synalign needs one model and one "
                "parameter set per population: put each node type in a "
                "population of its own", pname, ti[0].id, ti[0].model_type,
                ti[0].tmpl, ti[0].dyn[0] ? ti[0].dyn : "-", ti[k].id,
                ti[k].model_type, ti[k].tmpl, ti[k].dyn[0] ? ti[k].dyn : "-");
      goto fail_pop;
    }
  }
  if (strcmp(mtype, "virtual") == 0) {
    p.is_virtual = 1;
    p.model = dup_str("spike_source");
    p.tmpl = dup_str("virtual");
    if (p.n_params > 0) {
      rc = fail(c, SA_ENOTSUP, "population '%s' is virtual but has dynamics "
                "params ('%s')", pname, p.params[0].name);
      goto fail_pop;
    }
  } else if (strcmp(mtype, "point_neuron") == 0 ||
             strcmp(mtype, "point_process") == 0 ||
             (mtype[0] == '\0' && tmpl[0] != '\0')) {
    const char *ours = map_template(tmpl);
    if (ours == NULL) {
      rc = fail(c, SA_ENOTSUP, "population '%s': model_template '%s' is not "
                "supported (synalign runs nest:iaf_psc_exp, "
                "nest:iaf_psc_delta and nest:iaf_cond_exp)", pname,
                tmpl[0] ? tmpl : "(none)");
      goto fail_pop;
    }
    p.model = dup_str(ours);
    p.tmpl = dup_str(tmpl);
  } else {
    rc = fail(c, SA_ENOTSUP, "population '%s': model_type '%s' is not "
              "supported (synalign simulates point_neuron and virtual nodes; "
              "biophysical and single_compartment cells need NEURON)", pname,
              mtype[0] ? mtype : "(none)");
    goto fail_pop;
  }
  if (p.model == NULL || p.tmpl == NULL) {
    rc = fail(c, SA_ENOMEM, "out of memory");
    goto fail_pop;
  }
  if (!p.is_virtual && ti[0].dyn[0] != '\0') {
    json_t *j;
    rc = type_params(c, ti[0].dyn, cfgdir, &j);
    if (rc != 0)
      goto fail_pop;
    const char *k;
    json_t *v;
    char src[300];
    snprintf(src, sizeof src, "dynamics_params '%s'", ti[0].dyn);
    json_object_foreach(j, k, v) {
      if (!json_is_number(v)) {
        rc = fail(c, SA_ENOTSUP, "population '%s': %s: '%s' is not a number",
                  pname, src, k);
        goto fail_pop;
      }
      /* The group's per-node values win over the type's file. */
      int have = 0;
      for (int i = 0; i < p.n_params && !have; i++)
        have = strcmp(p.params[i].name, k) == 0;
      if (!have && (rc = add_param(c, &p, k, json_number_value(v), src)) != 0)
        goto fail_pop;
    }
    p.param_src = dup_str(src);
  }
  spop *np = realloc(s->pops, ((size_t)s->n_pops + 1) * sizeof *np);
  if (np == NULL) {
    rc = fail(c, SA_ENOMEM, "out of memory");
    goto fail_pop;
  }
  s->pops = np;
  s->pops[s->n_pops++] = p;
  goto out;
fail_pop:
  free(p.name);
  free(p.model);
  free(p.tmpl);
  free(p.params);
  free(p.param_src);
out:
  free(type_id);
  free(grp);
  free(gidx);
  free(nid);
  free(ti);
  H5Gclose(g);
  return rc;
}

static hid_t open_h5(ctx *c, const char *path, int *rc)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    *rc = fail(c, errno == ENOENT ? SA_ENOENT : SA_EIO, "%s: cannot open: %s",
               path, strerror(errno));
    return -1;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    *rc = fail(c, SA_EIO, "%s: not a readable HDF5 file", path);
  return f;
}

static int read_edge_pop(ctx *c, hid_t edges, const char *ename,
                         const csv *types, const char *cfgdir,
                         const char *file);

typedef int (*pop_reader)(ctx *c, hid_t group, const char *name,
                          const csv *types, const char *cfgdir,
                          const char *file);

/* One entry of networks.nodes or networks.edges: the HDF5 file
 * (<kind>_file) and its optional type table (<type>_types_file); every
 * population group under /<kind> goes to read_pop. */
static int read_pops(ctx *c, json_t *entry, const char *cfgdir,
                     const char *where, const char *kind, const char *type,
                     pop_reader read_pop)
{
  char fkey[32], tkey[32];
  snprintf(fkey, sizeof fkey, "%s_file", kind);
  snprintf(tkey, sizeof tkey, "%s_types_file", type);
  json_t *hf = json_object_get(entry, fkey);
  json_t *tf = json_object_get(entry, tkey);
  if (!json_is_string(hf))
    return fail(c, SA_EINVAL, "%s.%s: expected a file name", where, fkey);
  if (tf != NULL && !json_is_null(tf) && !json_is_string(tf))
    return fail(c, SA_EINVAL, "%s.%s: expected a file name", where, tkey);
  char *hp = resolve(c, json_string_value(hf), cfgdir);
  char *tp = json_is_string(tf) ? resolve(c, json_string_value(tf), cfgdir)
                                : NULL;
  int rc = 0;
  csv types;
  memset(&types, 0, sizeof types);
  hid_t f = -1;
  if (hp == NULL || (json_is_string(tf) && tp == NULL)) {
    rc = fail(c, SA_ENOMEM, "out of memory");
    goto out;
  }
  if (tp != NULL && (rc = csv_read(c, tp, &types)) != 0)
    goto out;
  f = open_h5(c, hp, &rc);
  if (f < 0)
    goto out;
  if (!h5_is_group(f, kind)) {
    rc = fail(c, SA_EINVAL, "%s: no /%s group: not a SONATA %s file", hp,
              kind, kind);
    goto out;
  }
  hid_t g = H5Gopen2(f, kind, H5P_DEFAULT);
  H5G_info_t gi;
  if (g >= 0 && H5Gget_info(g, &gi) >= 0) {
    for (hsize_t i = 0; i < gi.nlinks && rc == 0; i++) {
      char name[256];
      ssize_t l = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i,
                                     name, sizeof name, H5P_DEFAULT);
      if (l > 0 && (size_t)l < sizeof name && h5_is_group(g, name))
        rc = read_pop(c, g, name, tp != NULL ? &types : NULL, cfgdir, hp);
    }
  }
  if (g >= 0)
    H5Gclose(g);
out:
  if (f >= 0)
    H5Fclose(f);
  csv_free(&types);
  free(hp);
  free(tp);
  return rc;
}

/* ---- edges -------------------------------------------------------------- */

static int pop_index(const sa_sonata *s, const char *name)
{
  for (int i = 0; i < s->n_pops; i++)
    if (strcmp(s->pops[i].name, name) == 0)
      return i;
  return -1;
}

/* Edge type dynamics params: a static synapse has none that matter. */
static int check_edge_dyn(ctx *c, const char *file, const char *cfgdir,
                          long long type)
{
  char *path;
  if (file[0] == '/')
    path = dup_str(file);
  else if (c->synapse_dir != NULL) {
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", c->synapse_dir, file);
    path = dup_str(buf);
  } else {
    path = resolve(c, file, cfgdir);
  }
  if (path == NULL)
    return fail(c, SA_ENOMEM, "out of memory");
  int rc;
  json_t *j = load_json(c, path, &rc);
  if (j != NULL) {
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
      /* bmtk writes the synapse model into the file; only static ones. */
      if ((strcmp(k, "level_of_detail") == 0 ||
           strcmp(k, "model_template") == 0 ||
           strcmp(k, "synapse_model") == 0) && json_is_string(v) &&
          (strcmp(json_string_value(v), "static_synapse") == 0 ||
           strcmp(json_string_value(v), "nest:static_synapse") == 0))
        continue;
      rc = fail(c, SA_ENOTSUP, "edge type %lld: %s sets '%s': synapse "
                "parameters are not supported (static synapses only; weight "
                "and delay belong in syn_weight and delay)", type, path, k);
      break;
    }
  }
  free(path);
  return rc;
}

typedef struct etype {
  long long id;
  int row;
  double w, d, nsyns;
  int has_w, has_d;
} etype;

/* A per-edge column of one edge group (NULL if the group lacks it). */
typedef struct ecol {
  double *v;
  size_t n;
} ecol;

static int read_edge_pop(ctx *c, hid_t edges, const char *ename,
                         const csv *types, const char *cfgdir,
                         const char *file)
{
  sa_sonata *s = c->s;
  int rc = 0;
  hid_t g = H5Gopen2(edges, ename, H5P_DEFAULT);
  if (g < 0)
    return fail(c, SA_EIO, "%s: cannot open /edges/%s", file, ename);
  int64_t *src = NULL, *tgt = NULL, *tid = NULL, *gid = NULL, *gix = NULL;
  size_t n = 0, n1 = 0, n2 = 0, n3 = 0, n4 = 0;
  etype *et = NULL;
  int net_ = 0;
  enum { MAXG = 8 };
  ecol gw[MAXG], gd[MAXG], gn[MAXG];
  memset(gw, 0, sizeof gw);
  memset(gd, 0, sizeof gd);
  memset(gn, 0, sizeof gn);
  sproj pj;
  memset(&pj, 0, sizeof pj);
  char spop_name[256], tpop_name[256];
  if (h5_read1(g, "source_node_id", H5T_NATIVE_INT64, 8, (void **)&src, &n) <
          0 ||
      h5_read1(g, "target_node_id", H5T_NATIVE_INT64, 8, (void **)&tgt, &n1) <
          0 ||
      n1 != n) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s lacks readable source_node_id and "
              "target_node_id of equal length", file, ename);
    goto out;
  }
  hid_t ds = H5Dopen2(g, "source_node_id", H5P_DEFAULT);
  hid_t dt_ = H5Dopen2(g, "target_node_id", H5P_DEFAULT);
  int ok = ds >= 0 && dt_ >= 0 &&
           h5_attr_str(ds, "node_population", spop_name, sizeof spop_name) ==
               0 &&
           h5_attr_str(dt_, "node_population", tpop_name, sizeof tpop_name) ==
               0;
  if (ds >= 0)
    H5Dclose(ds);
  if (dt_ >= 0)
    H5Dclose(dt_);
  if (!ok) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s: source_node_id and "
              "target_node_id need the attribute node_population", file,
              ename);
    goto out;
  }
  int sp = pop_index(s, spop_name), tp = pop_index(s, tpop_name);
  if (sp < 0 || tp < 0) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s connects node population '%s', "
              "which no nodes file of the circuit defines", file, ename,
              sp < 0 ? spop_name : tpop_name);
    goto out;
  }
  if (s->pops[tp].is_virtual) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s targets the virtual population "
              "'%s'; virtual nodes take no input", file, ename, tpop_name);
    goto out;
  }
  if (h5_read1(g, "edge_type_id", H5T_NATIVE_INT64, 8, (void **)&tid, &n2) <
          0 || n2 != n) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s lacks a readable edge_type_id",
              file, ename);
    goto out;
  }
  if (h5_has(g, "edge_group_id") &&
      (h5_read1(g, "edge_group_id", H5T_NATIVE_INT64, 8, (void **)&gid, &n3) <
           0 || n3 != n)) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s/edge_group_id is unreadable",
              file, ename);
    goto out;
  }
  if (h5_has(g, "edge_group_index") &&
      (h5_read1(g, "edge_group_index", H5T_NATIVE_INT64, 8, (void **)&gix,
                &n4) < 0 || n4 != n)) {
    rc = fail(c, SA_EINVAL, "%s: /edges/%s/edge_group_index is unreadable",
              file, ename);
    goto out;
  }
  /* Edge groups "0" ... "7": per-edge syn_weight, delay, nsyns. */
  for (int k = 0; k < MAXG; k++) {
    char gname[8];
    snprintf(gname, sizeof gname, "%d", k);
    if (!h5_is_group(g, gname))
      continue;
    hid_t gg = H5Gopen2(g, gname, H5P_DEFAULT);
    if (gg < 0)
      continue;
    if (h5_has(gg, "syn_weight"))
      h5_read1(gg, "syn_weight", H5T_NATIVE_DOUBLE, 8, (void **)&gw[k].v,
               &gw[k].n);
    if (h5_has(gg, "delay"))
      h5_read1(gg, "delay", H5T_NATIVE_DOUBLE, 8, (void **)&gd[k].v,
               &gd[k].n);
    if (h5_has(gg, "nsyns"))
      h5_read1(gg, "nsyns", H5T_NATIVE_DOUBLE, 8, (void **)&gn[k].v,
               &gn[k].n);
    if (h5_is_group(gg, "dynamics_params")) {
      rc = fail(c, SA_ENOTSUP, "%s: /edges/%s/%s/dynamics_params: per-edge "
                "synapse parameters are not supported (static synapses only)",
                file, ename, gname);
      H5Gclose(gg);
      goto out;
    }
    if (h5_has(gg, "model_template")) {
      char m[64];
      int uni;
      if (h5_str_uniform(gg, "model_template", m, sizeof m, &uni) == 0 &&
          (!uni || (strcmp(m, "static_synapse") != 0 &&
                    strcmp(m, "nest:static_synapse") != 0))) {
        rc = fail(c, SA_ENOTSUP, "%s: /edges/%s: synapse model '%s' is not "
                  "supported (static_synapse only)", file, ename, m);
        H5Gclose(gg);
        goto out;
      }
    }
    H5Gclose(gg);
  }
  pj.name = dup_str(ename);
  pj.src = sp;
  pj.tgt = tp;
  pj.n = n;
  pj.s = malloc((n ? n : 1) * sizeof *pj.s);
  pj.t = malloc((n ? n : 1) * sizeof *pj.t);
  pj.w = malloc((n ? n : 1) * sizeof *pj.w);
  pj.d = malloc((n ? n : 1) * sizeof *pj.d);
  if (pj.name == NULL || pj.s == NULL || pj.t == NULL || pj.w == NULL ||
      pj.d == NULL) {
    rc = fail(c, SA_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    if (src[i] < 0 || (uint64_t)src[i] >= s->pops[sp].n || tgt[i] < 0 ||
        (uint64_t)tgt[i] >= s->pops[tp].n) {
      rc = fail(c, SA_EINVAL, "%s: /edges/%s: edge %zu connects node %lld of "
                "'%s' to node %lld of '%s', outside the populations", file,
                ename, i, (long long)src[i], spop_name, (long long)tgt[i],
                tpop_name);
      goto out;
    }
    etype *t = NULL;
    for (int k = 0; k < net_ && t == NULL; k++)
      if (et[k].id == tid[i])
        t = &et[k];
    if (t == NULL) {
      etype *ne = realloc(et, ((size_t)net_ + 1) * sizeof *ne);
      if (ne == NULL) {
        rc = fail(c, SA_ENOMEM, "out of memory");
        goto out;
      }
      et = ne;
      t = &et[net_++];
      memset(t, 0, sizeof *t);
      t->id = tid[i];
      t->nsyns = 1;
      t->row = types != NULL ? csv_find(types, "edge_type_id", t->id, ename)
                             : 0;
      if (t->row == 0) {
        rc = fail(c, SA_EINVAL, "%s: edge type %lld of '%s' is not in %s",
                  file, t->id, ename,
                  types != NULL ? types->path : "any edge_types file");
        goto out;
      }
      const char *v;
      if ((v = csv_get(types, t->row, "syn_weight")) != NULL) {
        if (parse_num(v, &t->w) < 0) {
          rc = fail(c, SA_EINVAL, "%s: edge type %lld: syn_weight '%s' is not "
                    "a number", types->path, t->id, v);
          goto out;
        }
        t->has_w = 1;
      }
      if ((v = csv_get(types, t->row, "delay")) != NULL) {
        if (parse_num(v, &t->d) < 0) {
          rc = fail(c, SA_EINVAL, "%s: edge type %lld: delay '%s' is not a "
                    "number", types->path, t->id, v);
          goto out;
        }
        t->has_d = 1;
      }
      if ((v = csv_get(types, t->row, "nsyns")) != NULL &&
          parse_num(v, &t->nsyns) < 0) {
        rc = fail(c, SA_EINVAL, "%s: edge type %lld: nsyns '%s' is not a "
                  "number", types->path, t->id, v);
        goto out;
      }
      if ((v = csv_get(types, t->row, "weight_function")) != NULL &&
          strcmp(v, "default_weight_fnc") != 0) {
        rc = fail(c, SA_ENOTSUP, "%s: edge type %lld: weight_function '%s' "
                  "is not supported (it is Python code; store the final "
                  "syn_weight instead)", types->path, t->id, v);
        goto out;
      }
      if ((v = csv_get(types, t->row, "model_template")) != NULL &&
          strcmp(v, "static_synapse") != 0 &&
          strcmp(v, "nest:static_synapse") != 0) {
        rc = fail(c, SA_ENOTSUP, "%s: edge type %lld: synapse model '%s' is "
                  "not supported (static_synapse only)", types->path, t->id,
                  v);
        goto out;
      }
      if ((v = csv_get(types, t->row, "dynamics_params")) != NULL &&
          (rc = check_edge_dyn(c, v, cfgdir, t->id)) != 0)
        goto out;
    }
    int64_t k = gid != NULL ? gid[i] : 0;
    int64_t ix = gix != NULL ? gix[i] : (int64_t)i;
    if (k < 0 || k >= MAXG || ix < 0) {
      rc = fail(c, SA_ENOTSUP, "%s: /edges/%s: edge group %lld is not "
                "supported (groups 0 to 7)", file, ename, (long long)k);
      goto out;
    }
    double w = t->w, d = t->d, ns = t->nsyns;
    int hw = t->has_w, hd = t->has_d;
    if (gw[k].v != NULL && (size_t)ix < gw[k].n)
      w = gw[k].v[ix], hw = 1;
    if (gd[k].v != NULL && (size_t)ix < gd[k].n)
      d = gd[k].v[ix], hd = 1;
    if (gn[k].v != NULL && (size_t)ix < gn[k].n)
      ns = gn[k].v[ix];
    if (!hw || !hd) {
      rc = fail(c, SA_EINVAL, "%s: /edges/%s: edge %zu (type %lld) has no "
                "%s: give it in the edge group or the edge_types file", file,
                ename, i, t->id, !hw ? "syn_weight" : "delay");
      goto out;
    }
    pj.s[i] = (uint32_t)src[i];
    pj.t[i] = (uint32_t)tgt[i];
    /* bmtk's point-neuron default: weight = syn_weight * nsyns. */
    pj.w[i] = w * ns;
    pj.d[i] = d;
  }
  sproj *np = realloc(s->projs, ((size_t)s->n_projs + 1) * sizeof *np);
  if (np == NULL) {
    rc = fail(c, SA_ENOMEM, "out of memory");
    goto out;
  }
  s->projs = np;
  s->projs[s->n_projs++] = pj;
  memset(&pj, 0, sizeof pj);
out:
  free(pj.name);
  free(pj.s);
  free(pj.t);
  free(pj.w);
  free(pj.d);
  for (int k = 0; k < MAXG; k++) {
    free(gw[k].v);
    free(gd[k].v);
    free(gn[k].v);
  }
  free(src);
  free(tgt);
  free(tid);
  free(gid);
  free(gix);
  free(et);
  H5Gclose(g);
  return rc;
}


/* ---- spike inputs ------------------------------------------------------- */

static int add_times(ctx *c, spop *p, const double *t, const int64_t *id,
                     size_t n, const char *what)
{
  if (p->times == NULL) {
    p->times = calloc(p->n, sizeof *p->times);
    p->n_times = calloc(p->n, sizeof *p->n_times);
    if (p->times == NULL || p->n_times == NULL)
      return fail(c, SA_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    if (id[i] < 0 || (uint64_t)id[i] >= p->n)
      return fail(c, SA_EINVAL, "%s: spike of node %lld, but population '%s' "
                  "has %u nodes", what, (long long)id[i], p->name, p->n);
    if (!isfinite(t[i]) || t[i] <= 0)
      return fail(c, SA_EINVAL, "%s: spike at %g ms of node %lld: input "
                  "spikes must come after 0 ms", what, t[i], (long long)id[i]);
    size_t k = (size_t)id[i];
    double *nt = realloc(p->times[k], (p->n_times[k] + 1) * sizeof *nt);
    if (nt == NULL)
      return fail(c, SA_ENOMEM, "out of memory");
    p->times[k] = nt;
    nt[p->n_times[k]++] = t[i];
  }
  return 0;
}

static int read_spikes_h5(ctx *c, const char *path, spop *p, const char *what)
{
  int rc = 0;
  hid_t f = open_h5(c, path, &rc);
  if (f < 0)
    return rc;
  double *t = NULL;
  int64_t *id = NULL;
  size_t nt = 0, ni = 0;
  hid_t g = -1;
  char sub[300];
  snprintf(sub, sizeof sub, "spikes/%s", p->name);
  if (h5_is_group(f, "spikes") && h5_is_group(f, sub)) {
    g = H5Gopen2(f, sub, H5P_DEFAULT);
    if (g >= 0 &&
        (h5_read1(g, "timestamps", H5T_NATIVE_DOUBLE, 8, (void **)&t,
                  &nt) < 0 ||
         h5_read1(g, "node_ids", H5T_NATIVE_INT64, 8, (void **)&id, &ni) < 0))
      rc = fail(c, SA_EINVAL, "%s: /%s needs timestamps and node_ids", path,
                sub);
  } else if (h5_is_group(f, "spikes")) {
    /* The older layout: /spikes/timestamps and /spikes/gids. */
    g = H5Gopen2(f, "spikes", H5P_DEFAULT);
    if (g >= 0 && h5_has(g, "timestamps") && h5_has(g, "gids")) {
      if (h5_read1(g, "timestamps", H5T_NATIVE_DOUBLE, 8, (void **)&t, &nt) <
              0 ||
          h5_read1(g, "gids", H5T_NATIVE_INT64, 8, (void **)&id, &ni) < 0)
        rc = fail(c, SA_EINVAL, "%s: unreadable /spikes", path);
    } else {
      rc = fail(c, SA_EINVAL, "%s: no spikes of population '%s' (no /%s)",
                path, p->name, sub);
    }
  } else {
    rc = fail(c, SA_EINVAL, "%s: not a SONATA spike file (no /spikes)", path);
  }
  if (rc == 0 && nt != ni)
    rc = fail(c, SA_EINVAL, "%s: timestamps and node ids differ in length",
              path);
  if (rc == 0)
    rc = add_times(c, p, t, id, nt, what);
  free(t);
  free(id);
  if (g >= 0)
    H5Gclose(g);
  H5Fclose(f);
  return rc;
}

/* bmtk's CSV spikes: a header naming timestamps, population, node_ids. */
static int read_spikes_csv(ctx *c, const char *path, spop *p,
                           const char *what)
{
  csv t;
  int rc = csv_read(c, path, &t);
  if (rc != 0)
    return rc;
  int ct = csv_col(&t, "timestamps"), ci = csv_col(&t, "node_ids");
  if (ci < 0)
    ci = csv_col(&t, "gids");
  int cp = csv_col(&t, "population");
  if (ct < 0 || ci < 0) {
    csv_free(&t);
    return fail(c, SA_EINVAL, "%s: the header needs columns timestamps and "
                "node_ids", path);
  }
  for (int r = 1; r < t.nrows && rc == 0; r++) {
    if (cp >= 0 && strcmp(t.cell[(size_t)r * t.ncols + cp], p->name) != 0)
      continue;
    double tv, iv;
    if (parse_num(t.cell[(size_t)r * t.ncols + ct], &tv) < 0 ||
        parse_num(t.cell[(size_t)r * t.ncols + ci], &iv) < 0) {
      rc = fail(c, SA_EINVAL, "%s: row %d is not numbers", path, r + 1);
      break;
    }
    int64_t id = (int64_t)iv;
    rc = add_times(c, p, &tv, &id, 1, what);
  }
  csv_free(&t);
  return rc;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* node_set: a population name, or a node set {"population": name}. */
static const char *node_set_pop(ctx *c, json_t *ns, const char *where,
                                int *rc)
{
  *rc = 0;
  if (json_is_string(ns)) {
    const char *name = json_string_value(ns);
    json_t *def = c->node_sets != NULL ? json_object_get(c->node_sets, name)
                                       : NULL;
    if (def == NULL)
      return name;   /* bmtk also takes a population name */
    ns = def;
  }
  if (json_is_object(ns)) {
    json_t *pop = json_object_get(ns, "population");
    if (json_is_string(pop) && json_object_size(ns) == 1)
      return json_string_value(pop);
    *rc = fail(c, SA_ENOTSUP, "%s.node_set: only node sets that name a "
               "whole population ({\"population\": NAME}) are supported",
               where);
    return NULL;
  }
  *rc = fail(c, SA_EINVAL, "%s.node_set: expected a population or node set "
             "name", where);
  return NULL;
}

static int read_inputs(ctx *c, json_t *inputs, const char *cfgdir,
                       const char *file)
{
  if (inputs == NULL)
    return 0;
  if (!json_is_object(inputs))
    return fail(c, SA_EINVAL, "%s: inputs: expected an object", file);
  const char *name;
  json_t *in;
  json_object_foreach(inputs, name, in) {
    char where[300];
    snprintf(where, sizeof where, "%s: inputs.%s", file, name);
    if (!json_is_object(in))
      return fail(c, SA_EINVAL, "%s: expected an object", where);
    json_t *type = json_object_get(in, "input_type");
    json_t *mod = json_object_get(in, "module");
    json_t *f = json_object_get(in, "input_file");
    const char *ts = json_is_string(type) ? json_string_value(type) : "";
    if (strcmp(ts, "spikes") != 0)
      return fail(c, SA_ENOTSUP, "%s: input_type '%s' is not supported "
                  "(only spike trains: input_type \"spikes\")", where, ts);
    const char *ms = json_is_string(mod) ? json_string_value(mod) : "sonata";
    int is_csv = strcmp(ms, "csv") == 0;
    if (!is_csv && strcmp(ms, "sonata") != 0 && strcmp(ms, "h5") != 0 &&
        strcmp(ms, "hdf5") != 0)
      return fail(c, SA_ENOTSUP, "%s: module '%s' is not supported (sonata, "
                  "h5 or csv spike files)", where, ms);
    if (!json_is_string(f))
      return fail(c, SA_EINVAL, "%s.input_file: expected a file name", where);
    int rc;
    const char *pn = node_set_pop(c, json_object_get(in, "node_set"), where,
                                  &rc);
    if (pn == NULL)
      return rc;
    int p = pop_index(c->s, pn);
    if (p < 0)
      return fail(c, SA_EINVAL, "%s.node_set: no node population '%s'", where,
                  pn);
    if (!c->s->pops[p].is_virtual)
      return fail(c, SA_ENOTSUP, "%s: spike input into '%s', which is not "
                  "virtual: only virtual nodes replay spike trains", where,
                  pn);
    char *path = resolve(c, json_string_value(f), cfgdir);
    if (path == NULL)
      return fail(c, SA_ENOMEM, "out of memory");
    rc = is_csv ? read_spikes_csv(c, path, &c->s->pops[p], where)
                : read_spikes_h5(c, path, &c->s->pops[p], where);
    free(path);
    if (rc != 0)
      return rc;
  }
  for (int p = 0; p < c->s->n_pops; p++) {
    spop *sp = &c->s->pops[p];
    for (uint32_t k = 0; sp->times != NULL && k < sp->n; k++)
      if (sp->n_times[k] > 1)
        qsort(sp->times[k], sp->n_times[k], sizeof(double), cmp_double);
  }
  return 0;
}

/* ---- configs ------------------------------------------------------------ */

static int check_keys(ctx *c, json_t *obj, const char *where,
                      const char *const *known, const char *const *unsupported)
{
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    for (int i = 0; unsupported != NULL && unsupported[i] != NULL; i++)
      if (strcmp(k, unsupported[i]) == 0)
        return fail(c, SA_ENOTSUP, "%s.%s is not supported", where, k);
    int ok = known == NULL;
    for (int i = 0; known != NULL && known[i] != NULL && !ok; i++)
      ok = strcmp(k, known[i]) == 0;
    if (!ok)
      return fail(c, SA_ENOTSUP, "%s.%s: unknown or unsupported setting",
                  where, k);
  }
  return 0;
}

static int read_run(ctx *c, json_t *root, const char *file)
{
  json_t *run = json_object_get(root, "run");
  if (run == NULL)
    return 0;
  if (!json_is_object(run))
    return fail(c, SA_EINVAL, "%s: run: expected an object", file);
  static const char *const known[] = {"tstop", "dt", "random_seed", "tstart",
                                      "nsteps_block", "tsteps_block", "dL",
                                      NULL};
  static const char *const unsup[] = {"spike_threshold", NULL};
  char where[300];
  snprintf(where, sizeof where, "%s: run", file);
  int rc = check_keys(c, run, where, known, unsup);
  if (rc != 0)
    return rc;
  json_t *v;
  if ((v = json_object_get(run, "tstop")) != NULL) {
    if (!json_is_number(v) || !(json_number_value(v) > 0))
      return fail(c, SA_EINVAL, "%s.tstop: expected a number > 0", where);
    c->s->tstop = json_number_value(v);
  }
  if ((v = json_object_get(run, "dt")) != NULL) {
    if (!json_is_number(v) || !(json_number_value(v) > 0))
      return fail(c, SA_EINVAL, "%s.dt: expected a number > 0", where);
    c->s->dt = json_number_value(v);
  }
  if ((v = json_object_get(run, "tstart")) != NULL &&
      (!json_is_number(v) || json_number_value(v) != 0))
    return fail(c, SA_ENOTSUP, "%s.tstart: runs start at 0 ms", where);
  if ((v = json_object_get(run, "random_seed")) != NULL) {
    if (!json_is_integer(v) || json_integer_value(v) < 0)
      return fail(c, SA_EINVAL, "%s.random_seed: expected an integer >= 0",
                  where);
    c->s->seed = (uint64_t)json_integer_value(v);
  }
  return 0;
}

static int read_components(ctx *c, json_t *root, const char *cfgdir,
                           const char *file)
{
  json_t *comp = json_object_get(root, "components");
  if (comp == NULL)
    return 0;
  if (!json_is_object(comp))
    return fail(c, SA_EINVAL, "%s: components: expected an object", file);
  json_t *v = json_object_get(comp, "point_neuron_models_dir");
  if (json_is_string(v)) {
    free(c->neuron_dir);
    c->neuron_dir = resolve(c, json_string_value(v), cfgdir);
  }
  v = json_object_get(comp, "synaptic_models_dir");
  if (json_is_string(v)) {
    free(c->synapse_dir);
    c->synapse_dir = resolve(c, json_string_value(v), cfgdir);
  }
  return 0;
}

static int read_node_sets(ctx *c, json_t *root, const char *cfgdir)
{
  json_t *v = json_object_get(root, "node_sets_file");
  if (json_is_string(v)) {
    char *path = resolve(c, json_string_value(v), cfgdir);
    if (path == NULL)
      return fail(c, SA_ENOMEM, "out of memory");
    int rc;
    json_t *j = load_json(c, path, &rc);
    free(path);
    if (j == NULL)
      return rc;
    c->node_sets = j;
  }
  v = json_object_get(root, "node_sets");
  if (json_is_object(v))
    c->node_sets = v;
  return 0;
}

/* The keys a circuit or simulation config may have; anything else is
 * refused by name so a silently ignored feature cannot change a result. */
static int check_root(ctx *c, json_t *root, const char *file)
{
  static const char *const known[] = {
    "manifest", "components", "networks", "network", "simulation", "run",
    "target_simulator", "conditions", "inputs", "output", "node_sets_file",
    "node_sets", "reports", "target_simulator_version", "config_dir",
    "description", NULL};
  const char *k;
  json_t *v;
  json_object_foreach(root, k, v) {
    int ok = 0;
    for (int i = 0; known[i] != NULL && !ok; i++)
      ok = strcmp(k, known[i]) == 0;
    if (!ok)
      return fail(c, SA_ENOTSUP, "%s: %s: not a SONATA config setting "
                  "synalign supports", file, k);
  }
  json_t *rep = json_object_get(root, "reports");
  if (rep != NULL && json_object_size(rep) > 0) {
    const char *name = "?";
    json_object_foreach(rep, k, v) {
      name = k;
      break;
    }
    return fail(c, SA_ENOTSUP, "%s: reports.%s: reports (membrane, synapse, "
                "ecp) are not supported; synalign records spikes", file,
                name);
  }
  json_t *cond = json_object_get(root, "conditions");
  if (cond != NULL) {
    if (!json_is_object(cond))
      return fail(c, SA_EINVAL, "%s: conditions: expected an object", file);
    json_object_foreach(cond, k, v) {
      if (strcmp(k, "celsius") != 0)
        return fail(c, SA_ENOTSUP, "%s: conditions.%s is not supported "
                    "(point neurons take their state from dynamics_params)",
                    file, k);
    }
  }
  return 0;
}

static int read_config(ctx *c, const char *path, int depth, json_t **inputs,
                       char **inputs_file, char **inputs_dir,
                       json_t **networks, char **networks_dir,
                       char **networks_file);

static int follow(ctx *c, json_t *root, const char *key, const char *cfgdir,
                  int depth, json_t **inputs, char **inputs_file,
                  char **inputs_dir, json_t **networks, char **networks_dir,
                  char **networks_file, const char *file)
{
  json_t *v = json_object_get(root, key);
  if (v == NULL)
    return 0;
  if (!json_is_string(v))
    return fail(c, SA_EINVAL, "%s: %s: expected the path of a config file",
                file, key);
  char *path = resolve(c, json_string_value(v), cfgdir);
  if (path == NULL)
    return fail(c, SA_ENOMEM, "out of memory");
  int rc = read_config(c, path, depth + 1, inputs, inputs_file, inputs_dir,
                       networks, networks_dir, networks_file);
  free(path);
  return rc;
}

/* One config file: its settings, and those of the files it names
 * ("network": a circuit config, "simulation": a simulation config). */
static int read_config(ctx *c, const char *path, int depth, json_t **inputs,
                       char **inputs_file, char **inputs_dir,
                       json_t **networks, char **networks_dir,
                       char **networks_file)
{
  if (depth > 3)
    return fail(c, SA_EINVAL, "%s: configs nest too deep", path);
  int rc;
  json_t *root = load_json(c, path, &rc);
  if (root == NULL)
    return rc;
  char *dir = dir_of(path);
  if (dir == NULL)
    return fail(c, SA_ENOMEM, "out of memory");
  if ((rc = check_root(c, root, path)) != 0 ||
      (rc = read_manifest(c, root, path)) != 0 ||
      (rc = read_components(c, root, dir, path)) != 0 ||
      (rc = read_run(c, root, path)) != 0 ||
      (rc = read_node_sets(c, root, dir)) != 0)
    goto out;
  json_t *in = json_object_get(root, "inputs");
  if (in != NULL) {
    *inputs = in;
    free(*inputs_file);
    free(*inputs_dir);
    *inputs_file = dup_str(path);
    *inputs_dir = dup_str(dir);
    if (*inputs_dir == NULL || *inputs_file == NULL) {
      rc = fail(c, SA_ENOMEM, "out of memory");
      goto out;
    }
  }
  json_t *nets = json_object_get(root, "networks");
  if (nets != NULL) {
    if (!json_is_object(nets)) {
      rc = fail(c, SA_EINVAL, "%s: networks: expected an object", path);
      goto out;
    }
    *networks = nets;
    free(*networks_dir);
    free(*networks_file);
    *networks_dir = dup_str(dir);
    *networks_file = dup_str(path);
    if (*networks_dir == NULL || *networks_file == NULL) {
      rc = fail(c, SA_ENOMEM, "out of memory");
      goto out;
    }
  }
  if ((rc = follow(c, root, "network", dir, depth, inputs, inputs_file,
                   inputs_dir, networks, networks_dir, networks_file,
                   path)) != 0 ||
      (rc = follow(c, root, "simulation", dir, depth, inputs, inputs_file,
                   inputs_dir, networks, networks_dir, networks_file,
                   path)) != 0)
    goto out;
out:
  free(dir);
  return rc;
}

/* ---- public ------------------------------------------------------------- */

int sa_sonata_detect(const char *path)
{
  if (path == NULL)
    return 0;
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  if (j == NULL)
    return 0;
  int yes = json_is_object(j) &&
            (json_object_get(j, "networks") != NULL ||
             json_object_get(j, "manifest") != NULL ||
             json_object_get(j, "network") != NULL ||
             (json_object_get(j, "run") != NULL &&
              json_object_get(j, "populations") == NULL));
  json_decref(j);
  return yes;
}

static void spop_free(spop *p)
{
  free(p->name);
  free(p->model);
  free(p->tmpl);
  free(p->params);
  free(p->param_src);
  if (p->times != NULL)
    for (uint32_t k = 0; k < p->n; k++)
      free(p->times[k]);
  free(p->times);
  free(p->n_times);
}

void sa_sonata_destroy(sa_sonata *s)
{
  if (s == NULL)
    return;
  for (int i = 0; i < s->n_pops; i++)
    spop_free(&s->pops[i]);
  for (int i = 0; i < s->n_projs; i++) {
    free(s->projs[i].name);
    free(s->projs[i].s);
    free(s->projs[i].t);
    free(s->projs[i].w);
    free(s->projs[i].d);
  }
  free(s->pops);
  free(s->projs);
  free(s->record);
  free(s->path);
  free(s->text);
  free(s);
}

int sa_sonata_load(sa_sonata **out, const char *path, char *err,
                   size_t errlen)
{
  if (out == NULL)
    return SA_EINVAL;
  *out = NULL;
  ctx c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.errlen = errlen;
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  sa_sonata *s = calloc(1, sizeof *s);
  if (s == NULL)
    return fail(&c, SA_ENOMEM, "%s: out of memory", path);
  c.s = s;
  s->dt = 0.1;
  s->seed = 1;
  s->path = dup_str(path != NULL ? path : "");
  s->text = path != NULL ? read_text(path, NULL) : NULL;
  int rc = 0;
  if (s->path == NULL) {
    rc = fail(&c, SA_ENOMEM, "out of memory");
    goto done;
  }
  if (s->text == NULL) {
    rc = fail(&c, errno == ENOENT ? SA_ENOENT : SA_EIO, "%s: cannot open: %s",
              path, strerror(errno));
    goto done;
  }
  H5E_auto2_t old_fn;
  void *old_data;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  json_t *inputs = NULL, *networks = NULL;
  char *inputs_file = NULL;
  char *inputs_dir = NULL, *networks_dir = NULL, *networks_file = NULL;
  rc = read_config(&c, path, 0, &inputs, &inputs_file, &inputs_dir,
                   &networks, &networks_dir, &networks_file);
  if (rc == 0 && networks == NULL)
    rc = fail(&c, SA_EINVAL, "%s: no \"networks\" (nodes and edges files), "
              "neither here nor in a \"network\" config it names", path);
  if (rc == 0) {
    json_t *nodes = json_object_get(networks, "nodes");
    json_t *edges = json_object_get(networks, "edges");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0)
      rc = fail(&c, SA_EINVAL, "%s: networks.nodes: expected a non-empty "
                "array", networks_file);
    for (size_t i = 0; rc == 0 && i < json_array_size(nodes); i++) {
      char where[300];
      snprintf(where, sizeof where, "%s: networks.nodes[%zu]", networks_file,
               i);
      json_t *e = json_array_get(nodes, i);
      rc = json_is_object(e)
               ? read_pops(&c, e, networks_dir, where, "nodes", "node",
                           read_node_pop)
               : fail(&c, SA_EINVAL, "%s: expected an object", where);
    }
    if (rc == 0 && edges != NULL && !json_is_array(edges))
      rc = fail(&c, SA_EINVAL, "%s: networks.edges: expected an array",
                networks_file);
    for (size_t i = 0; rc == 0 && i < json_array_size(edges); i++) {
      char where[300];
      snprintf(where, sizeof where, "%s: networks.edges[%zu]", networks_file,
               i);
      json_t *e = json_array_get(edges, i);
      rc = json_is_object(e)
               ? read_pops(&c, e, networks_dir, where, "edges", "edge",
                           read_edge_pop)
               : fail(&c, SA_EINVAL, "%s: expected an object", where);
    }
  }
  if (rc == 0)
    rc = read_inputs(&c, inputs, inputs_dir, inputs_file ? inputs_file : path);
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  free(inputs_dir);
  free(inputs_file);
  free(networks_dir);
  free(networks_file);
  if (rc == 0) {
    s->record = calloc((size_t)s->n_pops + 1, sizeof *s->record);
    if (s->record == NULL)
      rc = fail(&c, SA_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < s->n_pops; i++)
      if (!s->pops[i].is_virtual)
        s->record[s->n_record++] = s->pops[i].name;
  }
done:
  for (int i = 0; i < c.n_vars; i++)
    free(c.vars[i].value);
  for (int i = 0; i < c.n_owned; i++)
    json_decref(c.owned[i]);
  free(c.neuron_dir);
  free(c.synapse_dir);
  if (rc != 0) {
    sa_sonata_destroy(s);
    return rc;
  }
  *out = s;
  return 0;
}

int sa_sonata_build(const sa_sonata *s, uint64_t seed, sa_net **out,
                    char *err, size_t errlen)
{
  if (out == NULL)
    return SA_EINVAL;
  *out = NULL;
  ctx c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.errlen = errlen;
  if (s == NULL)
    return fail(&c, SA_EINVAL, "no circuit");
  sa_net *net;
  int rc = sa_net_create(&net, s->dt, seed);
  if (rc != 0)
    return fail(&c, rc, "%s: run.dt %g: %s", s->path, s->dt,
                sa_strerror(rc));
  for (int i = 0; i < s->n_pops && rc == 0; i++) {
    const spop *p = &s->pops[i];
    int idx;
    rc = sa_net_add_population(net, p->name, p->model, p->n, &idx);
    if (rc == SA_ENOENT) {
      rc = fail(&c, SA_ENOTSUP, "%s: population '%s': %s needs synalign's "
                "model '%s', which this build does not have", s->path,
                p->name, p->tmpl, p->model);
      break;
    }
    if (rc != 0) {
      rc = fail(&c, rc, "%s: population '%s': %s", s->path, p->name,
                sa_net_errmsg(net)[0] ? sa_net_errmsg(net) : sa_strerror(rc));
      break;
    }
    for (int k = 0; k < p->n_params && rc == 0; k++) {
      const sparam *q = &p->params[k];
      if (strcmp(q->name, "V_m") == 0) {
        sa_dist d = {SA_DIST_CONST, q->value, 0};
        rc = sa_pop_set_init(net, idx, "V_m", &d);
      } else {
        rc = sa_pop_set_param(net, idx, q->name, q->value);
      }
      if (rc != 0)
        rc = fail(&c, rc == SA_ENOENT ? SA_ENOTSUP : rc,
                  "%s: population '%s' (%s): %s sets '%s', which %s does not "
                  "have", s->path, p->name, p->tmpl,
                  p->param_src ? p->param_src : "a node group", q->name,
                  p->model);
    }
    for (uint32_t k = 0; rc == 0 && p->times != NULL && k < p->n; k++) {
      if (p->n_times[k] == 0)
        continue;
      rc = sa_pop_set_spike_times(net, idx, k, p->times[k], p->n_times[k]);
      if (rc != 0)
        rc = fail(&c, rc, "%s: population '%s': %s", s->path, p->name,
                  sa_net_errmsg(net));
    }
  }
  for (int i = 0; i < s->n_projs && rc == 0; i++) {
    const sproj *j = &s->projs[i];
    sa_connector conn;
    memset(&conn, 0, sizeof conn);
    conn.type = SA_CONN_LIST;
    conn.allow_autapses = conn.allow_multapses = 1;
    conn.n = j->n;
    conn.source = j->s;
    conn.target = j->t;
    conn.weight = j->w;
    conn.delay = j->d;
    sa_dist w = {SA_DIST_CONST, 1.0, 0}, d = {SA_DIST_CONST, 1.0, 0};
    rc = sa_net_add_projection(net, j->name, j->src, j->tgt, &conn, &w, &d,
                               SA_RECEPTOR_AUTO, NULL);
    if (rc != 0)
      rc = fail(&c, rc, "%s: edges '%s': %s", s->path, j->name,
                sa_net_errmsg(net)[0] ? sa_net_errmsg(net) : sa_strerror(rc));
  }
  if (rc == 0) {
    rc = sa_net_prepare(net);
    if (rc != 0)
      rc = fail(&c, rc, "%s: %s", s->path, sa_net_errmsg(net));
  }
  if (rc != 0) {
    sa_net_destroy(net);
    return rc;
  }
  *out = net;
  return 0;
}

double sa_sonata_dt(const sa_sonata *s) { return s->dt; }
double sa_sonata_duration(const sa_sonata *s) { return s->tstop; }
uint64_t sa_sonata_seed(const sa_sonata *s) { return s->seed; }
size_t sa_sonata_record_count(const sa_sonata *s) { return s->n_record; }
const char *sa_sonata_record_name(const sa_sonata *s, size_t i)
{
  return i < s->n_record ? s->record[i] : NULL;
}
const char *sa_sonata_text(const sa_sonata *s) { return s->text; }
const char *sa_sonata_path(const sa_sonata *s) { return s->path; }
