/* config.c: JSON network files, validated into plain structs, then built
 * into an sa_net. docs/config.md describes the format.
 * SPDX-License-Identifier: MIT
 *
 * Loading does every check that needs only the document (keys, types,
 * ranges, names that refer to populations, delays against dt); building
 * leaves the rest (model names, parameter names, parameter consistency,
 * connector feasibility) to the core, whose sentence is prefixed with the
 * file and the JSON path of the thing that failed. Either way the caller
 * gets one line "FILE: JSON.PATH: message". */
#include "sa_io.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

/* ---- parsed form ---------------------------------------------------- */

typedef struct cfg_param {
  const char *name;     /* borrowed from the document */
  double value;
} cfg_param;

typedef struct cfg_init {
  const char *var;      /* borrowed from the document */
  sa_dist dist;
} cfg_init;

typedef struct cfg_pop {
  const char *name, *model;   /* borrowed from the document */
  uint32_t n;
  cfg_param *params;
  size_t n_params;
  cfg_init *init;
  size_t n_init;
  /* spike_source: node i fires at spk_t[spk_off[i] .. spk_off[i+1]); both
   * NULL when the file gives no spike_times. */
  double *spk_t;
  size_t *spk_off;
} cfg_pop;

typedef struct cfg_proj {
  char *name;           /* owned: it may be the generated default */
  int named;            /* 1 if the file gave "name" */
  int src, tgt;         /* indices into sa_config.pops */
  sa_connector conn;    /* list arrays point at the owned ones below */
  uint32_t *l_src, *l_tgt;
  double *l_w, *l_d;
  sa_dist weight, delay;
  int receptor;
  json_t *rule;         /* borrowed from the document; NULL = static */
} cfg_proj;

typedef struct cfg_wrep {
  size_t proj;          /* index into sa_config.projs */
  double interval;      /* ms */
} cfg_wrep;

struct sa_config {
  char *path, *text;
  json_t *doc;          /* kept alive: names above point into it */
  double dt, duration;  /* ms */
  uint64_t seed;
  cfg_pop *pops;
  size_t n_pops;
  cfg_proj *projs;
  size_t n_projs;
  size_t *rec;          /* recorded population indices, file order */
  size_t n_rec;
  cfg_wrep *wrep;       /* record.weights, file order */
  size_t n_wrep;
};

/* ---- error reporting ------------------------------------------------ */

/* The JSON path is kept as a stack in a fixed buffer: path_key/path_idx
 * append and return the old length, path_pop restores it. A path longer
 * than the buffer is cut short; the message still names its start. */
enum { PATH_LEN = 320, DESC_LEN = 64 };

typedef struct ctx {
  const char *file;
  char *err;
  size_t errlen;
  char path[PATH_LEN];
  size_t plen;
} ctx;

static void path_grow(ctx *c, int n) {
  size_t room = sizeof c->path - 1 - c->plen;
  if (n > 0) c->plen += (size_t)n < room ? (size_t)n : room;
}

static size_t path_key(ctx *c, const char *key) {
  size_t old = c->plen;
  path_grow(c, snprintf(c->path + old, sizeof c->path - old, "%s%s",
                        old ? "." : "", key));
  return old;
}

static size_t path_idx(ctx *c, size_t i) {
  size_t old = c->plen;
  path_grow(c, snprintf(c->path + old, sizeof c->path - old, "[%zu]", i));
  return old;
}

static void path_pop(ctx *c, size_t mark) {
  c->plen = mark;
  c->path[mark] = '\0';
}

static void path_set(ctx *c, const char *path) {
  path_pop(c, 0);
  path_key(c, path);
}

/* The caller prints err as one line, so control characters (a key may hold
 * a "\n") become spaces. */
static void one_line(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = ' ';
}

static int fail(ctx *c, int code, const char *fmt, ...) {
  if (!c->err || !c->errlen) return code;
  int n = c->plen ? snprintf(c->err, c->errlen, "%s: %s: ", c->file, c->path)
                  : snprintf(c->err, c->errlen, "%s: ", c->file);
  if (n >= 0 && (size_t)n < c->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  one_line(c->err);
  return code;
}

/* A short rendering of an offending value for "got ..." (strings are cut
 * at a UTF-8 character boundary). */
static const char *describe(const json_t *v, char *buf, size_t n) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  case JSON_NULL: return "null";
  case JSON_INTEGER:
    snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return buf;
  case JSON_REAL:
    snprintf(buf, n, "%.15g", json_real_value(v));
    return buf;
  case JSON_STRING: {
    const char *s = json_string_value(v);
    size_t len = strlen(s), cut = len > 40 ? 40 : len;
    while (cut < len && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
      cut--;
    snprintf(buf, n, "\"%.*s%s\"", (int)cut, s, cut < len ? "..." : "");
    return buf;
  }
  }
  return "a value";
}

static int expected(ctx *c, const json_t *v, const char *what) {
  char buf[DESC_LEN];
  return fail(c, SA_EINVAL, "expected %s, got %s", what,
              describe(v, buf, sizeof buf));
}

/* ---- typed getters -------------------------------------------------- */

static int get_number(ctx *c, const json_t *v, const char *what,
                      double *out) {
  /* jansson refuses NaN, Inf and overflowing literals while parsing; the
   * isfinite test keeps that promise explicit here. */
  if (!json_is_number(v) || !isfinite(json_number_value(v)))
    return expected(c, v, what);
  *out = json_number_value(v);
  return 0;
}

static int get_positive(ctx *c, const json_t *v, double *out) {
  int rc = get_number(c, v, "a number > 0", out);
  if (!rc && !(*out > 0)) rc = expected(c, v, "a number > 0");
  return rc;
}

/* Integers may also be written as reals with an integral value (3.2e3):
 * JSON has one number type and people write 1e4 for sizes. */
static int get_integer(ctx *c, const json_t *v, int64_t lo, int64_t hi,
                       int64_t *out) {
  char what[DESC_LEN];
  int64_t x = 0;
  int ok = 0;
  if (json_is_integer(v)) {
    x = json_integer_value(v);
    ok = 1;
  } else if (json_is_real(v)) {
    double d = json_real_value(v);
    ok = d == floor(d) && d > -9.2e18 && d < 9.2e18;
    if (ok) x = (int64_t)d;
  }
  if (!ok || x < lo) {
    snprintf(what, sizeof what, "an integer >= %" PRId64, lo);
    return expected(c, v, what);
  }
  if (x > hi) {
    snprintf(what, sizeof what, "an integer <= %" PRId64, hi);
    return expected(c, v, what);
  }
  *out = x;
  return 0;
}

static int get_string(ctx *c, const json_t *v, const char **out) {
  if (!json_is_string(v)) return expected(c, v, "a string");
  *out = json_string_value(v);
  return 0;
}

static int get_bool(ctx *c, const json_t *v, int *out) {
  if (!json_is_boolean(v)) return expected(c, v, "true or false");
  *out = json_is_true(v);
  return 0;
}

static int get_object(ctx *c, const json_t *v) {
  return json_is_object(v) ? 0 : expected(c, v, "an object");
}

static int get_array(ctx *c, const json_t *v) {
  return json_is_array(v) ? 0 : expected(c, v, "an array");
}

static int missing(ctx *c, const char *key, const char *what) {
  path_key(c, key);
  return fail(c, SA_EINVAL, "missing; expected %s", what);
}

/* Refuse any key of obj not in the NULL-terminated list; the message lists
 * the allowed keys so a typo is easy to spot. */
static int check_keys(ctx *c, json_t *obj, const char *const *allowed,
                      const char *where) {
  const char *key;
  json_t *val;
  json_object_foreach(obj, key, val) {
    int ok = 0;
    for (size_t i = 0; allowed[i] && !ok; i++) ok = !strcmp(key, allowed[i]);
    if (ok) continue;
    char list[256];
    size_t at = 0;
    list[0] = '\0';
    for (size_t i = 0; allowed[i]; i++) {
      int n = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
                       allowed[i]);
      if (n < 0 || (size_t)n >= sizeof list - at) break;
      at += (size_t)n;
    }
    path_key(c, key);
    return fail(c, SA_EINVAL, "unknown key%s (allowed: %s)", where, list);
  }
  return 0;
}

/* number | {"uniform": [low, high]} | {"normal": [mean, sd]} */
static int get_dist(ctx *c, json_t *v, sa_dist *d) {
  static const char what[] =
      "a number, {\"uniform\": [low, high]} or {\"normal\": [mean, sd]}";
  if (json_is_number(v)) {
    d->kind = SA_DIST_CONST;
    d->b = 0;
    return get_number(c, v, what, &d->a);
  }
  if (!json_is_object(v) || json_object_size(v) != 1)
    return expected(c, v, what);
  const char *key = json_object_iter_key(json_object_iter(v));
  json_t *arr = json_object_iter_value(json_object_iter(v));
  path_key(c, key);
  const char *pair;
  if (!strcmp(key, "uniform")) {
    d->kind = SA_DIST_UNIFORM;
    pair = "[low, high]";
  } else if (!strcmp(key, "normal")) {
    d->kind = SA_DIST_NORMAL;
    pair = "[mean, sd]";
  } else {
    return fail(c, SA_EINVAL,
                "unknown distribution (expected \"uniform\" or \"normal\")");
  }
  if (!json_is_array(arr) || json_array_size(arr) != 2) {
    char buf[DESC_LEN];
    if (json_is_array(arr))
      snprintf(buf, sizeof buf, "%zu number(s)", json_array_size(arr));
    return fail(c, SA_EINVAL, "expected %s (2 numbers), got %s", pair,
                json_is_array(arr) ? buf : describe(arr, buf, sizeof buf));
  }
  for (size_t i = 0; i < 2; i++) {
    size_t m = path_idx(c, i);
    int rc = get_number(c, json_array_get(arr, i), "a number",
                        i ? &d->b : &d->a);
    if (rc) return rc;
    path_pop(c, m);
  }
  if (d->kind == SA_DIST_UNIFORM && !(d->a <= d->b))
    return fail(c, SA_EINVAL, "expected low <= high, got [%g, %g]", d->a,
                d->b);
  if (d->kind == SA_DIST_NORMAL && !(d->b >= 0))
    return fail(c, SA_EINVAL, "expected sd >= 0, got %g", d->b);
  return 0;
}

/* ---- file ----------------------------------------------------------- */

static int read_file(ctx *c, const char *path, char **text, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(c, errno == ENOENT ? SA_ENOENT : SA_EIO, "cannot open: %s",
                strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  int rc = buf ? 0 : SA_ENOMEM;
  while (!rc) {
    if (n + 1 >= cap) {
      char *b = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
      if (!b) {
        rc = SA_ENOMEM;
        break;
      }
      buf = b;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - 1 - n, f);
    n += got;
    if (got == 0) {
      /* A directory opens fine on Linux and fails here with EISDIR. */
      if (ferror(f)) rc = fail(c, SA_EIO, "cannot read: %s", strerror(errno));
      break;
    }
  }
  fclose(f);
  if (rc) {
    free(buf);
    return rc == SA_ENOMEM ? fail(c, rc, "out of memory reading the file")
                           : rc;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

/* ---- top level: time and seed --------------------------------------- */

/* A quantity may be given at the top level or, as SONATA spells it, in
 * "run"; both at once is refused rather than silently picking one. On
 * return the path names the spelling used. */
static int pick(ctx *c, json_t *root, json_t *run, const char *top,
                const char *sonata, json_t **v) {
  json_t *a = json_object_get(root, top);
  json_t *b = run ? json_object_get(run, sonata) : NULL;
  if (a && b) {
    path_set(c, "run");
    path_key(c, sonata);
    return fail(c, SA_EINVAL, "given twice: also as top-level \"%s\"; keep "
                "one", top);
  }
  if (b) {
    path_set(c, "run");
    path_key(c, sonata);
  } else {
    path_set(c, top);
  }
  *v = a ? a : b;
  return 0;
}

static int parse_time(ctx *c, json_t *root, sa_config *cfg) {
  static const char *const run_keys[] = {"tstop", "dt", "random_seed", NULL};
  json_t *run = json_object_get(root, "run"), *v;
  int rc;
  if (run) {
    path_set(c, "run");
    if ((rc = get_object(c, run)) || (rc = check_keys(c, run, run_keys, "")))
      return rc;
  }
  if ((rc = pick(c, root, run, "dt", "dt", &v))) return rc;
  cfg->dt = 0.1;
  if (v && (rc = get_positive(c, v, &cfg->dt))) return rc;
  if ((rc = pick(c, root, run, "duration", "tstop", &v))) return rc;
  if (!v) {
    path_pop(c, 0);
    return missing(c, "duration", "the simulated time in ms (or run.tstop)");
  }
  if ((rc = get_positive(c, v, &cfg->duration))) return rc;
  /* The run counts ticks in an int64; stay far from that limit. */
  if (cfg->duration / cfg->dt > 4e18)
    return fail(c, SA_EINVAL, "%g ms is too many steps of dt = %g ms",
                cfg->duration, cfg->dt);
  if ((rc = pick(c, root, run, "seed", "random_seed", &v))) return rc;
  int64_t seed = 1;
  if (v && (rc = get_integer(c, v, 0, INT64_MAX, &seed))) return rc;
  cfg->seed = (uint64_t)seed;
  return 0;
}

/* ---- populations ---------------------------------------------------- */

static int parse_spike_times(ctx *c, json_t *v, cfg_pop *p) {
  int rc = get_array(c, v);
  if (rc) return rc;
  if (json_array_size(v) != p->n)
    return fail(c, SA_EINVAL, "expected one array of times per node (%"
                PRIu32 "), got %zu", p->n, json_array_size(v));
  size_t total = 0;
  for (size_t i = 0; i < p->n; i++) {
    json_t *row = json_array_get(v, i);
    size_t m = path_idx(c, i);
    if ((rc = get_array(c, row))) return rc;
    path_pop(c, m);
    total += json_array_size(row);
  }
  p->spk_off = malloc(((size_t)p->n + 1) * sizeof *p->spk_off);
  p->spk_t = malloc((total ? total : 1) * sizeof *p->spk_t);
  if (!p->spk_off || !p->spk_t) return fail(c, SA_ENOMEM, "out of memory");
  size_t at = 0;
  for (size_t i = 0; i < p->n; i++) {
    json_t *row = json_array_get(v, i);
    size_t m = path_idx(c, i);
    p->spk_off[i] = at;
    for (size_t j = 0; j < json_array_size(row); j++) {
      json_t *t = json_array_get(row, j);
      size_t m2 = path_idx(c, j);
      double x = 0;
      if ((rc = get_positive(c, t, &x))) return rc;
      if (j && x < p->spk_t[at - 1])
        return fail(c, SA_EINVAL, "spike times must be ascending, got %g "
                    "after %g", x, p->spk_t[at - 1]);
      p->spk_t[at++] = x;
      path_pop(c, m2);
    }
    path_pop(c, m);
  }
  p->spk_off[p->n] = at;
  return 0;
}

static int parse_pop(ctx *c, const char *name, json_t *v, cfg_pop *p) {
  static const char *const keys[] = {"model", "n", "params", "init",
                                     "spike_times", NULL};
  int rc;
  p->name = name;
  if (!*name)
    return fail(c, SA_EINVAL, "a population name must not be empty");
  if ((rc = get_object(c, v)) || (rc = check_keys(c, v, keys, "")))
    return rc;
  json_t *model = json_object_get(v, "model"), *n = json_object_get(v, "n");
  if (!model)
    return missing(c, "model", "a model name such as \"lif_exp\"");
  size_t m = path_key(c, "model");
  if ((rc = get_string(c, model, &p->model))) return rc;
  path_pop(c, m);
  if (!n) return missing(c, "n", "the number of nodes (an integer >= 1)");
  m = path_key(c, "n");
  int64_t size = 0;
  if ((rc = get_integer(c, n, 1, INT64_C(1) << 31, &size))) return rc;
  p->n = (uint32_t)size;
  path_pop(c, m);

  json_t *params = json_object_get(v, "params");
  if (params) {
    m = path_key(c, "params");
    if ((rc = get_object(c, params))) return rc;
    p->params = calloc(json_object_size(params) + 1, sizeof *p->params);
    if (!p->params) return fail(c, SA_ENOMEM, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach(params, key, val) {
      size_t m2 = path_key(c, key);
      cfg_param *q = &p->params[p->n_params];
      q->name = key;
      if ((rc = get_number(c, val, "a number", &q->value))) return rc;
      p->n_params++;
      path_pop(c, m2);
    }
    path_pop(c, m);
  }

  json_t *init = json_object_get(v, "init");
  if (init) {
    m = path_key(c, "init");
    if ((rc = get_object(c, init))) return rc;
    p->init = calloc(json_object_size(init) + 1, sizeof *p->init);
    if (!p->init) return fail(c, SA_ENOMEM, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach(init, key, val) {
      size_t m2 = path_key(c, key);
      cfg_init *q = &p->init[p->n_init];
      q->var = key;
      if ((rc = get_dist(c, val, &q->dist))) return rc;
      p->n_init++;
      path_pop(c, m2);
    }
    path_pop(c, m);
  }

  json_t *spikes = json_object_get(v, "spike_times");
  if (spikes) {
    m = path_key(c, "spike_times");
    if (strcmp(p->model, "spike_source"))
      return fail(c, SA_EINVAL, "only a spike_source takes spike_times "
                  "(this population is a %s)", p->model);
    if ((rc = parse_spike_times(c, spikes, p))) return rc;
    path_pop(c, m);
  }
  return 0;
}

static int parse_pops(ctx *c, json_t *root, sa_config *cfg) {
  json_t *v = json_object_get(root, "populations");
  path_pop(c, 0);
  if (!v)
    return missing(c, "populations", "an object of name -> population");
  path_key(c, "populations");
  int rc = get_object(c, v);
  if (rc) return rc;
  if (json_object_size(v) == 0)
    return fail(c, SA_EINVAL, "expected at least one population");
  cfg->pops = calloc(json_object_size(v), sizeof *cfg->pops);
  if (!cfg->pops) return fail(c, SA_ENOMEM, "out of memory");
  /* jansson iterates in insertion order, so populations keep the file's
   * order (and thereby their indices and RNG streams). */
  const char *key;
  json_t *val;
  json_object_foreach(v, key, val) {
    size_t m = path_key(c, key);
    rc = parse_pop(c, key, val, &cfg->pops[cfg->n_pops]);
    cfg->n_pops++;   /* counted even on failure, so destroy frees it */
    if (rc) return rc;
    path_pop(c, m);
  }
  return 0;
}

static int find_pop(const sa_config *cfg, const char *name) {
  for (size_t i = 0; i < cfg->n_pops; i++)
    if (!strcmp(cfg->pops[i].name, name)) return (int)i;
  return -1;
}

/* ---- projections ---------------------------------------------------- */

static const char *const k_a2a[] = {"type", "allow_autapses",
                                    "allow_multapses", NULL};
static const char *const k_o2o[] = {"type", NULL};
static const char *const k_prob[] = {"type", "p", "allow_autapses",
                                     "allow_multapses", NULL};
static const char *const k_deg[] = {"type", "k", "allow_autapses",
                                    "allow_multapses", NULL};
static const char *const k_list[] = {"type", "source", "target", "weight",
                                     "delay", NULL};

static const struct conn_kind {
  const char *name;
  int type;
  const char *const *keys;
} conn_kinds[] = {
  {"all_to_all", SA_CONN_ALL_TO_ALL, k_a2a},
  {"one_to_one", SA_CONN_ONE_TO_ONE, k_o2o},
  {"fixed_probability", SA_CONN_FIXED_PROBABILITY, k_prob},
  {"fixed_indegree", SA_CONN_FIXED_INDEGREE, k_deg},
  {"fixed_outdegree", SA_CONN_FIXED_OUTDEGREE, k_deg},
  {"list", SA_CONN_LIST, k_list},
};
#define N_CONN_KINDS (sizeof conn_kinds / sizeof conn_kinds[0])

/* connector.source / connector.target of a list: node indices. */
static int parse_index_list(ctx *c, json_t *v, uint32_t size,
                            uint32_t **out) {
  int rc = get_array(c, v);
  if (rc) return rc;
  size_t n = json_array_size(v);
  *out = malloc((n ? n : 1) * sizeof **out);
  if (!*out) return fail(c, SA_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    size_t m = path_idx(c, i);
    int64_t x = 0;
    if ((rc = get_integer(c, json_array_get(v, i), 0, (int64_t)size - 1, &x)))
      return rc;
    (*out)[i] = (uint32_t)x;
    path_pop(c, m);
  }
  return 0;
}

/* connector.weight / connector.delay of a list: numbers; delays must be at
 * least one tick (min > 0). */
static int parse_value_list(ctx *c, json_t *v, size_t n, double min,
                            double **out) {
  int rc = get_array(c, v);
  if (rc) return rc;
  if (json_array_size(v) != n)
    return fail(c, SA_EINVAL, "expected %zu entries (as many as source), "
                "got %zu", n, json_array_size(v));
  *out = malloc((n ? n : 1) * sizeof **out);
  if (!*out) return fail(c, SA_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    size_t m = path_idx(c, i);
    if ((rc = get_number(c, json_array_get(v, i), "a number", &(*out)[i])))
      return rc;
    if (min > 0 && (*out)[i] < min * (1 - 1e-9))
      return fail(c, SA_EINVAL, "expected a delay >= dt = %g ms (one tick),"
                  " got %g", min, (*out)[i]);
    path_pop(c, m);
  }
  return 0;
}

static int parse_connector(ctx *c, const sa_config *cfg, json_t *v,
                           cfg_proj *j) {
  int rc = get_object(c, v);
  if (rc) return rc;
  json_t *type = json_object_get(v, "type");
  if (!type)
    return missing(c, "type", "the connector type (all_to_all, one_to_one,"
                   " fixed_probability, fixed_indegree, fixed_outdegree, "
                   "list)");
  const struct conn_kind *kind = NULL;
  size_t m = path_key(c, "type");
  if (json_is_string(type))
    for (size_t i = 0; i < N_CONN_KINDS && !kind; i++)
      if (!strcmp(json_string_value(type), conn_kinds[i].name))
        kind = &conn_kinds[i];
  if (!kind)
    return expected(c, type, "one of all_to_all, one_to_one, "
                    "fixed_probability, fixed_indegree, fixed_outdegree, "
                    "list");
  path_pop(c, m);
  char where[48];
  snprintf(where, sizeof where, " for connector type %s", kind->name);
  if ((rc = check_keys(c, v, kind->keys, where))) return rc;

  sa_connector *k = &j->conn;
  k->type = kind->type;
  k->allow_autapses = 1;   /* NEST's defaults */
  k->allow_multapses = 1;
  static const char *const flags[] = {"allow_autapses", "allow_multapses"};
  for (size_t i = 0; i < 2; i++) {
    json_t *f = json_object_get(v, flags[i]);
    if (!f) continue;
    m = path_key(c, flags[i]);
    if ((rc = get_bool(c, f, i ? &k->allow_multapses : &k->allow_autapses)))
      return rc;
    path_pop(c, m);
  }
  if (k->type == SA_CONN_FIXED_PROBABILITY) {
    json_t *p = json_object_get(v, "p");
    if (!p) return missing(c, "p", "the connection probability in [0, 1]");
    m = path_key(c, "p");
    if ((rc = get_number(c, p, "a number in [0, 1]", &k->p))) return rc;
    if (!(k->p >= 0 && k->p <= 1))
      return expected(c, p, "a number in [0, 1]");
    path_pop(c, m);
  }
  if (k->type == SA_CONN_FIXED_INDEGREE ||
      k->type == SA_CONN_FIXED_OUTDEGREE) {
    json_t *kv = json_object_get(v, "k");
    if (!kv) return missing(c, "k", "the degree (an integer >= 0)");
    m = path_key(c, "k");
    int64_t x = 0;
    if ((rc = get_integer(c, kv, 0, UINT32_MAX, &x))) return rc;
    k->k = (uint32_t)x;
    path_pop(c, m);
  }
  if (k->type == SA_CONN_LIST) {
    json_t *s = json_object_get(v, "source"), *t = json_object_get(v, "target");
    if (!s) return missing(c, "source", "the list of source node indices");
    if (!t) return missing(c, "target", "the list of target node indices");
    m = path_key(c, "source");
    if ((rc = parse_index_list(c, s, cfg->pops[j->src].n, &j->l_src)))
      return rc;
    path_pop(c, m);
    m = path_key(c, "target");
    if ((rc = parse_index_list(c, t, cfg->pops[j->tgt].n, &j->l_tgt)))
      return rc;
    if (json_array_size(t) != json_array_size(s))
      return fail(c, SA_EINVAL, "expected %zu entries (as many as source), "
                  "got %zu", json_array_size(s), json_array_size(t));
    path_pop(c, m);
    k->n = json_array_size(s);
    json_t *w = json_object_get(v, "weight"), *d = json_object_get(v, "delay");
    if (w) {
      m = path_key(c, "weight");
      if ((rc = parse_value_list(c, w, k->n, 0, &j->l_w))) return rc;
      path_pop(c, m);
    }
    if (d) {
      m = path_key(c, "delay");
      if ((rc = parse_value_list(c, d, k->n, cfg->dt, &j->l_d))) return rc;
      path_pop(c, m);
    }
    k->source = j->l_src;
    k->target = j->l_tgt;
    k->weight = j->l_w;
    k->delay = j->l_d;
  }
  return 0;
}

/* weight or delay of a projection; a list connector's per-synapse values
 * and a projection-wide value together would leave the reader guessing
 * which applies, so that is refused. */
static int parse_syn_value(ctx *c, json_t *v, const char *key,
                           const double *list_values, sa_dist *d) {
  size_t m = path_key(c, key);
  if (list_values)
    return fail(c, SA_EINVAL, "not allowed together with connector.%s",
                key);
  int rc = get_dist(c, v, d);
  if (rc) return rc;
  path_pop(c, m);
  return 0;
}

static int parse_proj(ctx *c, const sa_config *cfg, size_t idx, json_t *v,
                      cfg_proj *j) {
  static const char *const keys[] = {"name", "source", "target", "connector",
                                     "weight", "delay", "receptor", "rule",
                                     NULL};
  int rc;
  if ((rc = get_object(c, v)) || (rc = check_keys(c, v, keys, "")))
    return rc;
  static const char *const ends[] = {"source", "target"};
  int *idxs[] = {&j->src, &j->tgt};
  const char *names[2] = {NULL, NULL};
  for (size_t i = 0; i < 2; i++) {
    json_t *e = json_object_get(v, ends[i]);
    if (!e) return missing(c, ends[i], "a population name");
    size_t m = path_key(c, ends[i]);
    if ((rc = get_string(c, e, &names[i]))) return rc;
    *idxs[i] = find_pop(cfg, names[i]);
    if (*idxs[i] < 0)
      return fail(c, SA_EINVAL, "no population named \"%s\"", names[i]);
    path_pop(c, m);
  }

  json_t *name = json_object_get(v, "name");
  const char *nm = NULL;
  size_t m = c->plen;
  if (name) {
    m = path_key(c, "name");
    if ((rc = get_string(c, name, &nm))) return rc;
    if (!*nm) return expected(c, name, "a non-empty string");
    j->name = malloc(strlen(nm) + 1);
    if (j->name) memcpy(j->name, nm, strlen(nm) + 1);
    j->named = 1;
  } else {
    size_t len = strlen(names[0]) + strlen(names[1]) + 2;
    j->name = malloc(len);
    if (j->name) snprintf(j->name, len, "%s_%s", names[0], names[1]);
  }
  if (!j->name) return fail(c, SA_ENOMEM, "out of memory");
  for (size_t i = 0; i < idx; i++)
    if (!strcmp(cfg->projs[i].name, j->name))
      return fail(c, SA_EINVAL, "duplicate projection name \"%s\"%s, "
                  "also used by projections[%zu]; give each a distinct "
                  "\"name\"", j->name,
                  j->named ? "" : " (the default, source_target)", i);
  path_pop(c, m);

  json_t *conn = json_object_get(v, "connector");
  if (!conn)
    return missing(c, "connector", "an object with the connector \"type\"");
  m = path_key(c, "connector");
  if ((rc = parse_connector(c, cfg, conn, j))) return rc;
  path_pop(c, m);

  /* NEST's defaults: weight 1, delay 1 ms (but never below one tick). */
  j->weight = (sa_dist){SA_DIST_CONST, 1.0, 0};
  j->delay = (sa_dist){SA_DIST_CONST, cfg->dt > 1.0 ? cfg->dt : 1.0, 0};
  json_t *w = json_object_get(v, "weight"), *d = json_object_get(v, "delay");
  if (w && (rc = parse_syn_value(c, w, "weight", j->l_w, &j->weight)))
    return rc;
  if (d) {
    if ((rc = parse_syn_value(c, d, "delay", j->l_d, &j->delay))) return rc;
    /* The core refuses such delays too, but only here can the message
     * point at the key. A normal distribution is left to the core. */
    double low = j->delay.a;
    if (j->delay.kind != SA_DIST_NORMAL && low < cfg->dt * (1 - 1e-9)) {
      m = path_key(c, "delay");
      if (j->delay.kind == SA_DIST_UNIFORM) path_key(c, "uniform");
      return fail(c, SA_EINVAL, "expected a delay >= dt = %g ms (one tick), "
                  "got %g", cfg->dt, low);
    }
  }

  j->receptor = SA_RECEPTOR_AUTO;
  json_t *r = json_object_get(v, "receptor");
  if (r) {
    static const char *const rnames[] = {"auto", "excitatory", "inhibitory"};
    static const int rvals[] = {SA_RECEPTOR_AUTO, SA_RECEPTOR_EXCITATORY,
                                SA_RECEPTOR_INHIBITORY};
    m = path_key(c, "receptor");
    int found = 0;
    for (size_t i = 0; i < 3 && !found && json_is_string(r); i++)
      if (!strcmp(json_string_value(r), rnames[i])) {
        j->receptor = rvals[i];
        found = 1;
      }
    if (!found)
      return expected(c, r, "\"excitatory\", \"inhibitory\" or \"auto\"");
    path_pop(c, m);
  }

  /* "rule": {"type": name, parameter: number, option: string ...}, or an
   * array of such objects (several rules on the same spikes). Names are
   * checked by the core when the network is built. */
  json_t *rule = json_object_get(v, "rule");
  if (rule) {
    m = path_key(c, "rule");
    int many = json_is_array(rule);
    size_t n = many ? json_array_size(rule) : 1;
    if (many && n == 0) return expected(c, rule, "at least one rule");
    for (size_t i = 0; i < n; i++) {
      json_t *one = many ? json_array_get(rule, i) : rule;
      size_t mi = many ? path_idx(c, i) : c->plen;
      if ((rc = get_object(c, one))) return rc;
      json_t *type = json_object_get(one, "type");
      if (!type)
        return missing(c, "type", "the rule's name, e.g. \"stdp\"");
      const char *key;
      json_t *val;
      json_object_foreach(one, key, val) {
        size_t k = path_key(c, key);
        if (!strcmp(key, "type")) {
          const char *tn = NULL;
          if ((rc = get_string(c, val, &tn))) return rc;
        } else if (!json_is_string(val)) {
          double x;
          if ((rc = get_number(c, val, "a number or a string", &x)))
            return rc;
        }
        path_pop(c, k);
      }
      path_pop(c, mi);
    }
    j->rule = rule;
    path_pop(c, m);
  }
  return 0;
}

static int core_fail(ctx *c, const sa_net *net, int rc);

/* Attach and configure a projection's rule; errors point at the key. */
static int build_rule(ctx *c, sa_net *net, const cfg_proj *j, int pj,
                      size_t idx) {
  path_set(c, "projections");
  path_idx(c, idx);
  path_key(c, "rule");
  int many = json_is_array(j->rule);
  size_t n = many ? json_array_size(j->rule) : 1;
  for (size_t i = 0; i < n; i++) {
    json_t *one = many ? json_array_get(j->rule, i) : j->rule;
    size_t mi = many ? path_idx(c, i) : c->plen;
    size_t m = path_key(c, "type");
    int r;
    int rc = sa_net_add_rule(net, pj,
                             json_string_value(json_object_get(one, "type")),
                             &r);
    if (rc) return core_fail(c, net, rc);
    path_pop(c, m);
    const char *key;
    json_t *val;
    json_object_foreach(one, key, val) {
      if (!strcmp(key, "type")) continue;
      m = path_key(c, key);
      rc = json_is_string(val)
               ? sa_rule_set_option(net, pj, r, key, json_string_value(val))
               : sa_rule_set_param(net, pj, r, key, json_number_value(val));
      if (rc) return core_fail(c, net, rc);
      path_pop(c, m);
    }
    path_pop(c, mi);
  }
  return 0;
}

static int parse_projs(ctx *c, json_t *root, sa_config *cfg) {
  json_t *v = json_object_get(root, "projections");
  if (!v) return 0;
  path_set(c, "projections");
  int rc = get_array(c, v);
  if (rc) return rc;
  size_t n = json_array_size(v);
  cfg->projs = calloc(n ? n : 1, sizeof *cfg->projs);
  if (!cfg->projs) return fail(c, SA_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    size_t m = path_idx(c, i);
    rc = parse_proj(c, cfg, i, json_array_get(v, i), &cfg->projs[i]);
    cfg->n_projs++;   /* counted even on failure, so destroy frees it */
    if (rc) return rc;
    path_pop(c, m);
  }
  return 0;
}

/* ---- record --------------------------------------------------------- */

/* record.weights: [{"projection": name, "interval": ms}, ...] */
static int parse_weights(ctx *c, json_t *v, sa_config *cfg) {
  static const char *const keys[] = {"projection", "interval", NULL};
  size_t m0 = path_key(c, "weights");
  int rc = get_array(c, v);
  if (rc) return rc;
  size_t n = json_array_size(v);
  cfg->wrep = calloc(n ? n : 1, sizeof *cfg->wrep);
  if (!cfg->wrep) return fail(c, SA_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    size_t m = path_idx(c, i);
    json_t *e = json_array_get(v, i);
    if ((rc = get_object(c, e)) || (rc = check_keys(c, e, keys, "")))
      return rc;
    json_t *pj = json_object_get(e, "projection");
    if (!pj) return missing(c, "projection", "a projection name");
    size_t k = path_key(c, "projection");
    const char *name = NULL;
    if ((rc = get_string(c, pj, &name))) return rc;
    size_t found = cfg->n_projs;
    for (size_t q = 0; q < cfg->n_projs; q++)
      if (!strcmp(cfg->projs[q].name, name)) found = q;
    if (found == cfg->n_projs)
      return fail(c, SA_EINVAL, "no projection named \"%s\"", name);
    for (size_t q = 0; q < cfg->n_wrep; q++)
      if (cfg->wrep[q].proj == found)
        return fail(c, SA_EINVAL, "projection \"%s\" is listed twice",
                    name);
    path_pop(c, k);
    double interval = cfg->duration;
    json_t *iv = json_object_get(e, "interval");
    if (iv) {
      k = path_key(c, "interval");
      if ((rc = get_positive(c, iv, &interval))) return rc;
      double ticks = interval / cfg->dt;
      if (fabs(ticks - nearbyint(ticks)) > 1e-6 * ticks)
        return fail(c, SA_EINVAL, "expected a multiple of dt = %g ms, "
                    "got %g", cfg->dt, interval);
      path_pop(c, k);
    }
    cfg->wrep[cfg->n_wrep++] = (cfg_wrep){found, interval};
    path_pop(c, m);
  }
  path_pop(c, m0);
  return 0;
}

static int parse_record(ctx *c, json_t *root, sa_config *cfg) {
  static const char *const keys[] = {"spikes", "weights", NULL};
  json_t *v = json_object_get(root, "record");
  if (!v) return 0;
  path_set(c, "record");
  int rc;
  if ((rc = get_object(c, v)) || (rc = check_keys(c, v, keys, "")))
    return rc;
  json_t *wv = json_object_get(v, "weights");
  if (wv && (rc = parse_weights(c, wv, cfg))) return rc;
  json_t *s = json_object_get(v, "spikes");
  if (!s) return 0;
  path_key(c, "spikes");
  const char *what = "\"all\" or an array of population names";
  cfg->rec = malloc(cfg->n_pops * sizeof *cfg->rec);
  if (!cfg->rec) return fail(c, SA_ENOMEM, "out of memory");
  if (json_is_string(s)) {
    if (strcmp(json_string_value(s), "all")) return expected(c, s, what);
    for (size_t i = 0; i < cfg->n_pops; i++) cfg->rec[i] = i;
    cfg->n_rec = cfg->n_pops;
    return 0;
  }
  if (!json_is_array(s)) return expected(c, s, what);
  for (size_t i = 0; i < json_array_size(s); i++) {
    size_t m = path_idx(c, i);
    const char *name = NULL;
    if ((rc = get_string(c, json_array_get(s, i), &name))) return rc;
    int p = find_pop(cfg, name);
    if (p < 0)
      return fail(c, SA_EINVAL, "no population named \"%s\"", name);
    for (size_t k = 0; k < cfg->n_rec; k++)
      if (cfg->rec[k] == (size_t)p)
        return fail(c, SA_EINVAL, "population \"%s\" is listed twice", name);
    cfg->rec[cfg->n_rec++] = (size_t)p;
    path_pop(c, m);
  }
  return 0;
}

/* ---- public: load --------------------------------------------------- */

void sa_config_destroy(sa_config *cfg) {
  if (!cfg) return;
  for (size_t i = 0; i < cfg->n_pops; i++) {
    free(cfg->pops[i].params);
    free(cfg->pops[i].init);
    free(cfg->pops[i].spk_t);
    free(cfg->pops[i].spk_off);
  }
  for (size_t i = 0; i < cfg->n_projs; i++) {
    cfg_proj *j = &cfg->projs[i];
    free(j->name);
    free(j->l_src);
    free(j->l_tgt);
    free(j->l_w);
    free(j->l_d);
  }
  free(cfg->pops);
  free(cfg->projs);
  free(cfg->rec);
  free(cfg->wrep);
  json_decref(cfg->doc);
  free(cfg->text);
  free(cfg->path);
  free(cfg);
}

static int parse_doc(ctx *c, sa_config *cfg, size_t len) {
  json_error_t je;
  /* Duplicate keys are refused: with them, which value counts would be an
   * accident of the parser. */
  cfg->doc = json_loadb(cfg->text, len, JSON_REJECT_DUPLICATES, &je);
  if (!cfg->doc) {
    int code = json_error_code(&je) == json_error_out_of_memory ? SA_ENOMEM
                                                                : SA_EINVAL;
    if (c->err && c->errlen) {
      snprintf(c->err, c->errlen, "%s:%d:%d: syntax error: %s", c->file,
               je.line, je.column, je.text);
      one_line(c->err);
    }
    return code;
  }
  if (!json_is_object(cfg->doc)) {
    char buf[DESC_LEN];
    return fail(c, SA_EINVAL, "expected a JSON object at the top level, got "
                "%s", describe(cfg->doc, buf, sizeof buf));
  }
  static const char *const keys[] = {"dt", "duration", "seed", "description",
                                     "populations", "projections", "record",
                                     "run", NULL};
  int rc = check_keys(c, cfg->doc, keys, "");
  json_t *desc = json_object_get(cfg->doc, "description");
  if (!rc && desc && !json_is_string(desc)) {
    path_set(c, "description");
    rc = expected(c, desc, "a string");
  }
  if (!rc) rc = parse_time(c, cfg->doc, cfg);
  if (!rc) rc = parse_pops(c, cfg->doc, cfg);
  if (!rc) rc = parse_projs(c, cfg->doc, cfg);
  if (!rc) rc = parse_record(c, cfg->doc, cfg);
  return rc;
}

int sa_config_load(sa_config **out, const char *path, char *err,
                   size_t errlen) {
  ctx c = {.file = path, .err = err, .errlen = errlen};
  *out = NULL;
  if (err && errlen) err[0] = '\0';
  sa_config *cfg = calloc(1, sizeof *cfg);
  size_t plen = strlen(path) + 1;
  if (cfg) cfg->path = malloc(plen);
  if (!cfg || !cfg->path) {
    free(cfg);
    return fail(&c, SA_ENOMEM, "out of memory");
  }
  memcpy(cfg->path, path, plen);
  size_t len = 0;
  int rc = read_file(&c, path, &cfg->text, &len);
  if (!rc) rc = parse_doc(&c, cfg, len);
  if (rc) {
    sa_config_destroy(cfg);
    return rc;
  }
  *out = cfg;
  return 0;
}

int sa_config_load_text(sa_config **out, const char *text, const char *name,
                        char *err, size_t errlen) {
  ctx c = {.file = name, .err = err, .errlen = errlen};
  *out = NULL;
  if (err && errlen) err[0] = '\0';
  sa_config *cfg = calloc(1, sizeof *cfg);
  size_t plen = strlen(name) + 1, len = strlen(text);
  if (cfg) {
    cfg->path = malloc(plen);
    cfg->text = malloc(len + 1);
  }
  if (!cfg || !cfg->path || !cfg->text) {
    if (cfg) free(cfg->path), free(cfg->text);
    free(cfg);
    return fail(&c, SA_ENOMEM, "out of memory");
  }
  memcpy(cfg->path, name, plen);
  memcpy(cfg->text, text, len + 1);
  int rc = parse_doc(&c, cfg, len);
  if (rc) {
    sa_config_destroy(cfg);
    return rc;
  }
  *out = cfg;
  return 0;
}

double sa_config_dt(const sa_config *cfg) { return cfg->dt; }
double sa_config_duration(const sa_config *cfg) { return cfg->duration; }
uint64_t sa_config_seed(const sa_config *cfg) { return cfg->seed; }
const char *sa_config_text(const sa_config *cfg) { return cfg->text; }
const char *sa_config_path(const sa_config *cfg) { return cfg->path; }
size_t sa_config_record_count(const sa_config *cfg) { return cfg->n_rec; }

size_t sa_config_weight_count(const sa_config *cfg) { return cfg->n_wrep; }

const char *sa_config_weight_name(const sa_config *cfg, size_t i) {
  return cfg->projs[cfg->wrep[i].proj].name;
}

double sa_config_weight_interval(const sa_config *cfg, size_t i) {
  return cfg->wrep[i].interval;
}

const char *sa_config_record_name(const sa_config *cfg, size_t i) {
  return i < cfg->n_rec ? cfg->pops[cfg->rec[i]].name : NULL;
}

/* ---- memory estimate ------------------------------------------------ */

/* Every array the build allocates has a size known from the document, so
 * a network that cannot fit is refused here, with the estimate, instead
 * of being killed by the OOM killer halfway through drawing synapses. The
 * figures follow sim/connect.c, sim/run.c and models/ (update them
 * together):
 *   - a projection keeps 8 bytes a synapse in CSR (uint32 target, float
 *     weight), 2 more when its delays differ, and 8 bytes per source node
 *     of row offsets;
 *   - while one projection is drawn, its synapses sit in four growing
 *     arrays (uint32 source and target, float weight, uint16 delay: 14
 *     bytes) whose capacity doubles from 1024, next to the CSR being
 *     filled, an 8-byte sort index per synapse, a uint64 count per node
 *     and the row scratch (splitting a projection among threads at
 *     prepare briefly doubles its CSR: not counted, as the thread count
 *     is not known here);
 *   - at prepare, every neuron population gets two rings of doubles of
 *     (largest delay in ticks + 1) rows;
 *   - per node: lif_exp 32 bytes, lif_delta 16, poisson 40 (RNG state and
 *     next stamp), plus a 12-byte spike slot, and 12 bytes per given
 *     spike time of a spike_source;
 *   - a plastic projection holds double weights: 4 more bytes a synapse.
 * Counts are doubles: k * n and n * m overflow 64 bits in a hostile file,
 * and the answer only needs to be about right. */

enum { MAX_DELAY_TICKS = 65535 };

/* Sources are named; any other model is a neuron, and one not listed is
 * assumed to keep four 8-byte state variables like lif_exp. */
static int is_neuron(const char *model) {
  return strcmp(model, "poisson") && strcmp(model, "spike_source");
}

static double node_bytes(const char *model) {
  if (!strcmp(model, "lif_delta")) return 16 + 12;
  if (!strcmp(model, "poisson")) return 40 + 12;
  if (!strcmp(model, "spike_source")) return 12;
  return 32 + 12;
}

/* Synapses a projection will hold: exact for every connector but
 * fixed_probability, which gets its mean plus six standard deviations. */
static double proj_synapses(const sa_config *cfg, const cfg_proj *j) {
  const sa_connector *k = &j->conn;
  double ns = cfg->pops[j->src].n, nt = cfg->pops[j->tgt].n;
  int excl = j->src == j->tgt && !k->allow_autapses;
  switch (k->type) {
  case SA_CONN_ALL_TO_ALL: return nt * (ns - excl);
  case SA_CONN_ONE_TO_ONE: return nt;
  case SA_CONN_FIXED_PROBABILITY: {
    double n = nt * (ns - excl);
    return n * k->p + 6 * sqrt(n * k->p * (1 - k->p));
  }
  case SA_CONN_FIXED_INDEGREE: return (double)k->k * nt;
  case SA_CONN_FIXED_OUTDEGREE: return (double)k->k * ns;
  case SA_CONN_LIST: return (double)k->n;
  }
  return 0;
}

/* Largest delay in ticks (for the ring size) and whether delays vary
 * (for the per-synapse delay array). */
static double proj_dmax(const sa_config *cfg, const cfg_proj *j,
                        int *varies) {
  double hi = j->delay.a;
  *varies = j->delay.kind != SA_DIST_CONST;
  if (j->delay.kind == SA_DIST_UNIFORM) hi = j->delay.b;
  if (j->delay.kind == SA_DIST_NORMAL) hi = j->delay.a + 6 * j->delay.b;
  if (j->l_d) {
    *varies = 1;
    hi = 0;
    for (size_t i = 0; i < j->conn.n; i++)
      if (j->l_d[i] > hi) hi = j->l_d[i];
  }
  double t = round(hi / cfg->dt);
  return t < 1 ? 1 : t > MAX_DELAY_TICKS ? MAX_DELAY_TICKS : t;
}

/* Peak bytes of building and preparing the network. *big names the
 * largest item: -1 - i for projection i, i for population i. */
static double estimate_bytes(const sa_config *cfg, double *synapses,
                             double *neurons, long *big) {
  double nodes = 0, csr_total = 0, peak_build = 0, dmax = 1, worst = -1;
  double plastic = 0, plastic_copy = 0;
  *synapses = *neurons = 0;
  *big = 0;
  for (size_t i = 0; i < cfg->n_pops; i++) {
    const cfg_pop *p = &cfg->pops[i];
    double b = p->n * node_bytes(p->model);
    if (p->spk_off) b += 12.0 * (double)p->spk_off[p->n];
    nodes += b;
    *neurons += p->n;
    if (b > worst) worst = b, *big = (long)i;
  }
  for (size_t i = 0; i < cfg->n_projs; i++) {
    const cfg_proj *j = &cfg->projs[i];
    int varies = 0;
    double n = proj_synapses(cfg, j), d = proj_dmax(cfg, j, &varies);
    double ns = cfg->pops[j->src].n, nt = cfg->pops[j->tgt].n;
    if (n > 0 && d > dmax) dmax = d;
    double csr = n * (varies ? 10 : 8) + 8 * (ns + 1);
    /* The growing arrays reserve up to twice n, but pages never written
     * cost no memory: count what is touched (peak RSS is what the OOM
     * killer and MemAvailable see). */
    double cap = n > 1024 ? n : 1024;
    double scratch = 5 * (j->conn.type == SA_CONN_FIXED_OUTDEGREE ? nt : ns);
    if (j->conn.type == SA_CONN_FIXED_INDEGREE ||
        j->conn.type == SA_CONN_FIXED_OUTDEGREE)
      scratch += 4.0 * j->conn.k;
    /* to_csr: a size_t index per synapse and a uint64 count per node. */
    double build = csr_total + csr + 14 * cap + 8 * n +
                   8 * (ns > nt ? ns : nt) + scratch;
    if (build > peak_build) peak_build = build;
    csr_total += csr;
    *synapses += n;
    if (j->rule) {
      /* At prepare the float weights become doubles (both live during
       * the copy) and the rule keeps traces per node (STDP: 24 bytes a
       * source, 16 a target). */
      plastic += 4 * n + 24 * ns + 16 * nt;
      if (4 * n > plastic_copy) plastic_copy = 4 * n;
    }
    if (csr + 14 * cap > worst) worst = csr + 14 * cap, *big = -1 - (long)i;
  }
  double rings = 0;
  for (size_t i = 0; i < cfg->n_pops; i++)
    if (is_neuron(cfg->pops[i].model))
      rings += 2 * 8 * dmax * cfg->pops[i].n;
  double prepared = csr_total + plastic + plastic_copy + rings;
  return nodes + (peak_build > prepared ? peak_build : prepared);
}

/* "512K", "3G", "1.5e9": bytes; 0 if malformed. */
static double parse_bytes(const char *s) {
  char *end;
  double v = strtod(s, &end);
  switch (*end) {
  case 'k': case 'K': v *= 1024, end++; break;
  case 'm': case 'M': v *= 1024.0 * 1024, end++; break;
  case 'g': case 'G': v *= 1024.0 * 1024 * 1024, end++; break;
  }
  return *end || !(v > 0) || !isfinite(v) ? 0 : v;
}

/* A number from the first line of a small file; -1 if absent or "max". */
static double file_number(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[64];
  double v = -1;
  if (fgets(line, sizeof line, f) && strncmp(line, "max", 3)) {
    char *end;
    v = strtod(line, &end);
    if (end == line) v = -1;
  }
  fclose(f);
  return v;
}

/* Memory this process may still take, in bytes, and what limits it:
 * SYNALIGN_MEM_LIMIT when set (tests, fuzzing, a cautious user), else
 * the least of MemAvailable, the cgroup v2 limit minus its usage (batch
 * schedulers confine jobs that way) and RLIMIT_AS minus the address
 * space already mapped. Returns a negative number if nothing is known. */
static double available_bytes(const char **what) {
  const char *env = getenv("SYNALIGN_MEM_LIMIT");
  if (env && *env && parse_bytes(env) > 0) {
    *what = "SYNALIGN_MEM_LIMIT";
    return parse_bytes(env);
  }
  double best = -1;
  *what = "";
  FILE *f = fopen("/proc/meminfo", "r");
  if (f) {
    char line[128];
    unsigned long long kb;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
        best = 1024.0 * (double)kb;
        *what = "available memory";
      }
    fclose(f);
  }
  if (best < 0) {
    long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) {
      best = (double)pages * (double)size;
      *what = "free memory";
    }
  }
  f = fopen("/proc/self/cgroup", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "0::", 3)) continue;
      line[strcspn(line, "\n")] = '\0';
      char p[640];
      snprintf(p, sizeof p, "/sys/fs/cgroup%s/memory.max", line + 3);
      double max = file_number(p);
      snprintf(p, sizeof p, "/sys/fs/cgroup%s/memory.current", line + 3);
      double cur = file_number(p);
      if (max > 0 && cur >= 0 && (best < 0 || max - cur < best)) {
        best = max > cur ? max - cur : 0;
        *what = "the cgroup's memory limit";
      }
    }
    fclose(f);
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    double mapped = 0;
    long pages = 0, size = sysconf(_SC_PAGESIZE);
    f = fopen("/proc/self/statm", "r");
    if (f) {
      if (fscanf(f, "%ld", &pages) == 1 && size > 0)
        mapped = (double)pages * (double)size;
      fclose(f);
    }
    double left = (double)rl.rlim_cur - mapped;
    if (left < 0) left = 0;
    if (best < 0 || left < best) {
      best = left;
      *what = "the address-space limit (ulimit -v)";
    }
  }
  return best;
}

static void fmt_bytes(char *buf, size_t n, double b) {
  if (b >= 1e9) snprintf(buf, n, "%.1f GB", b / 1e9);
  else if (b >= 1e6) snprintf(buf, n, "%.1f MB", b / 1e6);
  else snprintf(buf, n, "%.0f kB", b / 1e3);
}

static int check_memory(ctx *c, const sa_config *cfg) {
  double syn, neurons;
  long big;
  double need = estimate_bytes(cfg, &syn, &neurons, &big);
  const char *what;
  double have = available_bytes(&what);
  if (have < 0 || need <= have) return 0;
  if (big < 0) {
    path_set(c, "projections");
    path_idx(c, (size_t)(-1 - big));
  } else {
    path_set(c, "populations");
    path_key(c, cfg->pops[big].name);
  }
  char a[32], b[32];
  fmt_bytes(a, sizeof a, need);
  fmt_bytes(b, sizeof b, have);
  return fail(c, SA_ENOMEM, "the network needs about %s of memory (%.3g "
              "synapses, %.3g nodes) but %s allows %s; refused before "
              "building it", a, syn, neurons, what, b);
}

/* ---- public: build -------------------------------------------------- */

/* The core's sentence for the last failure, or the code's generic text
 * when the core left none (some allocation failures). */
static int core_fail(ctx *c, const sa_net *net, int rc) {
  const char *msg = net ? sa_net_errmsg(net) : "";
  return fail(c, rc, "%s", msg && *msg ? msg : sa_strerror(rc));
}

static int build_pop(ctx *c, sa_net *net, const cfg_pop *p, int *index) {
  path_set(c, "populations");
  path_key(c, p->name);
  size_t base = c->plen;
  int rc = sa_net_add_population(net, p->name, p->model, p->n, index);
  if (rc) {
    if (rc == SA_ENOENT) path_key(c, "model");
    else if (rc == SA_ERANGE) path_key(c, "n");
    return core_fail(c, net, rc);
  }
  for (size_t i = 0; i < p->n_params; i++) {
    rc = sa_pop_set_param(net, *index, p->params[i].name, p->params[i].value);
    if (rc) {
      path_key(c, "params");
      path_key(c, p->params[i].name);
      if (rc == SA_ENOENT)
        return fail(c, rc, "unknown parameter of model %s", p->model);
      return core_fail(c, net, rc);
    }
  }
  for (size_t i = 0; i < p->n_init; i++) {
    rc = sa_pop_set_init(net, *index, p->init[i].var, &p->init[i].dist);
    if (rc) {
      path_key(c, "init");
      path_key(c, p->init[i].var);
      return core_fail(c, net, rc);
    }
  }
  if (p->spk_off) {
    for (uint32_t i = 0; i < p->n; i++) {
      size_t at = p->spk_off[i], n = p->spk_off[i + 1] - at;
      rc = sa_pop_set_spike_times(net, *index, i, p->spk_t + at, n);
      if (rc) {
        path_key(c, "spike_times");
        path_idx(c, i);
        return core_fail(c, net, rc);
      }
    }
  }
  path_pop(c, base);
  return 0;
}

/* The core's parameter checks run in sa_net_prepare and name the
 * population as "population 'NAME' ..."; when that name is one of ours the
 * path points at its params, otherwise at "populations". */
static int prepare_fail(ctx *c, const sa_config *cfg, const sa_net *net,
                        int rc) {
  const char *msg = sa_net_errmsg(net);
  if (msg && !strncmp(msg, "projection '", 12)) {
    /* A rule's parameter check: point at the projection's rule. */
    for (size_t i = 0; i < cfg->n_projs; i++) {
      size_t len = strlen(cfg->projs[i].name);
      if (!strncmp(msg + 12, cfg->projs[i].name, len) &&
          msg[12 + len] == '\'') {
        path_set(c, "projections");
        path_idx(c, i);
        if (cfg->projs[i].rule) path_key(c, "rule");
        return core_fail(c, net, rc);
      }
    }
  }
  path_set(c, "populations");
  for (size_t i = 0; i < cfg->n_pops && msg; i++) {
    const char *name = cfg->pops[i].name;
    size_t len = strlen(name);
    if (!strncmp(msg, "population '", 12) && !strncmp(msg + 12, name, len) &&
        msg[12 + len] == '\'') {
      path_key(c, name);
      path_key(c, "params");
      break;
    }
  }
  return core_fail(c, net, rc);
}

int sa_config_build(const sa_config *cfg, uint64_t seed, sa_net **out,
                    char *err, size_t errlen) {
  ctx c = {.file = cfg->path, .err = err, .errlen = errlen};
  *out = NULL;
  if (err && errlen) err[0] = '\0';
  int mrc = check_memory(&c, cfg);
  if (mrc) return mrc;
  sa_net *net = NULL;
  int *index = malloc((cfg->n_pops ? cfg->n_pops : 1) * sizeof *index);
  if (!index) return fail(&c, SA_ENOMEM, "out of memory");
  int rc = sa_net_create(&net, cfg->dt, seed);
  if (rc) {
    path_set(&c, "dt");
    rc = fail(&c, rc, "cannot create the network: %s", sa_strerror(rc));
  }
  for (size_t i = 0; !rc && i < cfg->n_pops; i++)
    rc = build_pop(&c, net, &cfg->pops[i], &index[i]);
  for (size_t i = 0; !rc && i < cfg->n_projs; i++) {
    const cfg_proj *j = &cfg->projs[i];
    int pj = -1;
    rc = sa_net_add_projection(net, j->name, index[j->src], index[j->tgt],
                               &j->conn, &j->weight, &j->delay, j->receptor,
                               &pj);
    if (!rc && j->rule) rc = build_rule(&c, net, j, pj, i);
    else if (rc) {
      /* The core's sentence says what was wrong (sizes, k, sign of the
       * weight, target model); the path names the projection. */
      path_set(&c, "projections");
      path_idx(&c, i);
      rc = core_fail(&c, net, rc);
    }
  }
  if (!rc) {
    rc = sa_net_prepare(net);
    if (rc) rc = prepare_fail(&c, cfg, net, rc);
  }
  free(index);
  if (rc) {
    sa_net_destroy(net);
    return rc;
  }
  *out = net;
  return 0;
}
