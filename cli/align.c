/* align.c: synalign align (the alignment table and curves of a finished
 * run), and the alignment reports of synalign run: for every weight
 * report of a projection with estimator rules, each estimator's B-hat is
 * compared with the forward weights W at every report time (printed, and
 * written as /report/<projection>.<rule>/ and
 * /metrics/alignment/<projection>/<rule>/).
 * SPDX-License-Identifier: MIT */
#include "align.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- during a run ------------------------------------------------------ */

typedef struct aentry {
  int proj, rule;
  double interval;        /* ms */
  char label[64];
  int est_rep, ser_rep;   /* writer indices, -1: none */
  sa_alignment last;
  double t_last;          /* ms, < 0: none yet */
} aentry;

struct sa_cli_align {
  sa_net *net;
  sa_writer *w;
  int quiet;
  aentry *e;
  int n;
  double *B;
};

/* Labels: the rule's "label" option, else its type and "_<variant>" when
 * the file gives one; ".<index>" when that still repeats on the
 * projection. */
static void labels(sa_cli_align *a, const sa_config *cfg) {
  json_t *doc = cfg ? json_loads(sa_config_text(cfg), 0, NULL) : NULL;
  json_t *projs = doc ? json_object_get(doc, "projections") : NULL;
  for (int k = 0; k < a->n; k++) {
    aentry *e = &a->e[k];
    const char *name = sa_net_proj_rule(a->net, e->proj, e->rule);
    const char *variant = NULL;
    /* Projections are built in file order. */
    json_t *pj = json_array_get(projs, (size_t)e->proj);
    json_t *rule = pj ? json_object_get(pj, "rule") : NULL;
    json_t *one = json_is_array(rule) ? json_array_get(rule, (size_t)e->rule)
                                      : e->rule == 0 ? rule : NULL;
    const char *label = NULL;
    if (json_is_object(one)) {
      variant = json_string_value(json_object_get(one, "variant"));
      label = json_string_value(json_object_get(one, "label"));
    }
    if (label)
      snprintf(e->label, sizeof e->label, "%s", label);
    else
      snprintf(e->label, sizeof e->label, "%s%s%s", name,
               variant ? "_" : "", variant ? variant : "");
  }
  /* Repeats are found first, then renamed. */
  char *dup = calloc(a->n > 0 ? (size_t)a->n : 1, 1);
  for (int k = 0; dup && k < a->n; k++)
    for (int m = 0; m < a->n; m++)
      dup[k] |= m != k && a->e[m].proj == a->e[k].proj &&
                !strcmp(a->e[m].label, a->e[k].label);
  for (int k = 0; k < a->n; k++)
    if (!dup || dup[k]) {
      size_t len = strlen(a->e[k].label);
      snprintf(a->e[k].label + len, sizeof a->e[k].label - len, ".%d",
               a->e[k].rule);
    }
  free(dup);
  json_decref(doc);
}

int sa_cli_align_setup(sa_cli_align **out, sa_net *net, const sa_config *cfg,
                       int quiet, char *err, size_t errlen) {
  *out = NULL;
  if (!cfg || sa_config_weight_count(cfg) == 0) return 0;
  if (sa_mpi_size() > 1) {
    if (!quiet && sa_mpi_rank() == 0)
      fprintf(stderr, "synalign run: note: alignment metrics are not "
              "computed with several MPI ranks\n");
    return 0;
  }
  sa_cli_align *a = calloc(1, sizeof *a);
  if (!a) return SA_ENOMEM;
  a->net = net;
  a->quiet = quiet;
  /* Rule state exists from the first run on: a run of 0 steps creates it
   * (and changes nothing else), so estimators can be told apart. */
  int rc = sa_net_run(net, 0, NULL);
  if (rc) {
    snprintf(err, errlen, "synalign run: %s", sa_net_errmsg(net));
    free(a);
    return rc;
  }
  size_t most = 0, nw = sa_config_weight_count(cfg);
  for (size_t i = 0; i < nw; i++) {
    int pj = sa_net_proj_find(net, sa_config_weight_name(cfg, i));
    size_t ns = sa_net_proj_size(net, pj);
    if (ns > most) most = ns;
  }
  a->B = malloc((most ? most : 1) * sizeof *a->B);
  if (!a->B) {
    free(a);
    return SA_ENOMEM;
  }
  for (size_t i = 0; i < nw; i++) {
    int pj = sa_net_proj_find(net, sa_config_weight_name(cfg, i));
    for (int r = 0; r < sa_net_proj_rule_count(net, pj); r++) {
      if (sa_net_proj_estimate(net, pj, r, a->B) != 0) continue;
      aentry *ne = realloc(a->e, (size_t)(a->n + 1) * sizeof *ne);
      if (!ne) {
        sa_cli_align_free(a);
        return SA_ENOMEM;
      }
      a->e = ne;
      a->e[a->n++] = (aentry){.proj = pj, .rule = r,
                              .interval = sa_config_weight_interval(cfg, i),
                              .est_rep = -1, .ser_rep = -1, .t_last = -1.0};
    }
  }
  if (a->n == 0) {
    sa_cli_align_free(a);
    return 0;
  }
  labels(a, cfg);
  *out = a;
  return 0;
}

int sa_cli_align_files(sa_cli_align *a, sa_writer *w, char *err,
                       size_t errlen) {
  if (!a || !w) return 0;
  a->w = w;
  for (int k = 0; k < a->n; k++) {
    aentry *e = &a->e[k];
    int rc = sa_writer_add_estimate(w, a->net, e->proj, e->rule, e->label,
                                    e->interval, &e->est_rep, err, errlen);
    if (!rc)
      rc = sa_writer_add_alignment(w, sa_net_proj_name(a->net, e->proj),
                                   e->label, sa_alignment_names,
                                   SA_ALIGN_NMETRICS, e->interval,
                                   &e->ser_rep, err, errlen);
    if (rc) return rc;
  }
  return 0;
}

static void header(void) {
  printf("  %-22s %7s %7s %7s %7s %9s\n", "rule", "r", "sign", "sign_G",
         "angle", "|B|/|W|");
}

static void row(const aentry *e) {
  const sa_alignment *m = &e->last;
  printf("  %-22s %7.3f %7.3f %7.3f %7.2f %9.3g\n", e->label, m->r,
         m->sign_ahmad, m->sign_guerguiev, m->angle, m->norm_ratio);
}

int sa_cli_align_snapshot(sa_cli_align *a, int proj, const double *W) {
  if (!a) return 0;
  double t = (double)sa_net_now(a->net) * sa_net_dt(a->net);
  uint64_t n = sa_net_proj_size(a->net, proj);
  int printed = 0, rc = 0;
  for (int k = 0; k < a->n; k++) {
    aentry *e = &a->e[k];
    if (e->proj != proj) continue;
    if (sa_net_proj_estimate(a->net, proj, e->rule, a->B)) continue;
    sa_alignment_compute(W, a->B, n, &e->last);
    e->t_last = t;
    if (a->w && !rc) {
      double r[SA_ALIGN_NMETRICS];
      sa_alignment_row(&e->last, r);
      rc = sa_writer_weights(a->w, e->est_rep, t, a->B);
      if (!rc) rc = sa_writer_weights(a->w, e->ser_rep, t, r);
    }
    if (a->quiet) continue;
    if (!printed) {
      printf("alignment of %s at %.1f s:\n", sa_net_proj_name(a->net, proj),
             t * 1e-3);
      header();
      printed = 1;
    }
    row(e);
  }
  if (printed) fflush(stdout);
  return rc;
}

void sa_cli_align_final(sa_cli_align *a) {
  if (!a || a->quiet) return;
  int proj = -1;
  for (int k = 0; k < a->n; k++) {
    const aentry *e = &a->e[k];
    if (e->t_last < 0) continue;
    if (e->proj != proj) {
      printf("final alignment of %s (%llu synapses) at %.1f s "
             "(sign: Ahmad's convention, sign_G: Guerguiev's):\n",
             sa_net_proj_name(a->net, e->proj),
             (unsigned long long)sa_net_proj_size(a->net, e->proj),
             e->t_last * 1e-3);
      header();
      proj = e->proj;
    }
    row(e);
  }
}

void sa_cli_align_free(sa_cli_align *a) {
  if (!a) return;
  free(a->e);
  free(a->B);
  free(a);
}

/* ---- synalign align FILE.h5 -------------------------------------------- */

static const char usage_align[] =
  "usage: synalign align FILE.h5 [--projection P] [--rows N]\n"
  "\n"
  "Print the alignment of every estimator's B-hat with the forward\n"
  "weights W recorded by 'synalign run' (/metrics/alignment/): the final\n"
  "table (Pearson r, sign agreement in Ahmad's and Guerguiev's\n"
  "conventions, angle in degrees, norm ratio), then r and sign agreement\n"
  "against simulated time.\n"
  "\n"
  "options:\n"
  "  --projection P   only this projection\n"
  "  --rows N         at most N rows of curves per projection (default 20;\n"
  "                   0: none)\n"
  "  --csv            every frame as CSV instead: projection, rule, t_ms and\n"
  "                   the metrics\n"
  "  -h, --help       this text\n";

static int col(const sa_align_series *s, const char *name) {
  for (int k = 0; k < s->ncols; k++)
    if (!strcmp(s->cols[k], name)) return k;
  return -1;
}

static double val(const sa_align_series *s, size_t i, const char *name) {
  int k = col(s, name);
  return k < 0 || i >= s->T ? NAN : s->data[i * (size_t)s->ncols + k];
}

static void print_proj(const sa_align_series *s, int n, int rows) {
  printf("%s: final alignment at %.1f s\n", s[0].proj,
         s[0].T ? s[0].t[s[0].T - 1] * 1e-3 : 0.0);
  header();
  for (int k = 0; k < n; k++) {
    size_t i = s[k].T ? s[k].T - 1 : 0;
    printf("  %-22s %7.3f %7.3f %7.3f %7.2f %9.3g\n", s[k].label,
           val(&s[k], i, "r"), val(&s[k], i, "sign_ahmad"),
           val(&s[k], i, "sign_guerguiev"), val(&s[k], i, "angle"),
           val(&s[k], i, "norm_ratio"));
  }
  if (rows <= 0) return;
  /* Curves: frames of the first series; the others are read at the same
   * frame index (all series of a run share their report's interval). */
  size_t T = s[0].T;
  printf("%s: r / sign agreement (Ahmad) against simulated time\n",
         s[0].proj);
  printf("  %8s", "t (s)");
  for (int k = 0; k < n; k++) printf("  %15.15s", s[k].label);
  printf("\n");
  size_t step = T > (size_t)rows ? (T + (size_t)rows - 1) / (size_t)rows : 1;
  for (size_t i = 0; i < T; i++) {
    if (i % step != 0 && i != T - 1) continue;
    printf("  %8.1f", s[0].t[i] * 1e-3);
    for (int k = 0; k < n; k++)
      printf("  %7.3f %7.3f", val(&s[k], i, "r"),
             val(&s[k], i, "sign_ahmad"));
    printf("\n");
  }
}

static void print_csv(const sa_align_series *s, int n, int head) {
  if (head) {
    printf("projection,rule,t_ms");
    for (int c = 0; c < s[0].ncols; c++) printf(",%s", s[0].cols[c]);
    printf("\n");
  }
  for (int k = 0; k < n; k++)
    for (size_t i = 0; i < s[k].T; i++) {
      printf("%s,%s,%.17g", s[k].proj, s[k].label, s[k].t[i]);
      for (int c = 0; c < s[k].ncols; c++)
        printf(",%.9g", s[k].data[i * (size_t)s[k].ncols + c]);
      printf("\n");
    }
}

int sa_cmd_align(int argc, char **argv) {
  const char *path = NULL, *only = NULL;
  uint64_t rows = 20;
  int csv = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_align, stdout);
      return 0;
    } else if (!strcmp(a, "--csv")) {
      csv = 1;
    } else if (!strcmp(a, "--projection")) {
      if (!v) return sa_cli_usage("align", "%s needs a name", a);
      only = v, i++;
    } else if (!strcmp(a, "--rows")) {
      if (sa_cli_parse_u64(v, &rows) || rows > 100000)
        return sa_cli_usage("align", "--rows needs an integer, got '%s'",
                            v ? v : "");
      i++;
    } else if (a[0] == '-' && a[1]) {
      return sa_cli_usage("align", "unknown option '%s'", a);
    } else if (!path) {
      path = a;
    } else {
      return sa_cli_usage("align", "unexpected argument '%s'", a);
    }
  }
  if (!path) return sa_cli_usage("align", "%s", "missing the file");
  char err[512] = "";
  sa_align_series *s = NULL;
  int n = 0;
  int rc = sa_alignment_read(path, &s, &n, err, sizeof err);
  if (rc) {
    fprintf(stderr, "%s\n", err);
    return rc == SA_ENOMEM ? 1 : SA_EXIT_USAGE;
  }
  int shown = 0;
  for (int a = 0; a < n;) {
    int b = a;
    while (b < n && !strcmp(s[b].proj, s[a].proj)) b++;
    if (!only || !strcmp(only, s[a].proj)) {
      if (csv) {
        print_csv(&s[a], b - a, !shown++);
      } else {
        if (shown++) printf("\n");
        print_proj(&s[a], b - a, (int)rows);
      }
    }
    a = b;
  }
  sa_alignment_free(s, n);
  if (!shown) {
    if (only)
      fprintf(stderr, "%s has no alignment metrics for '%s'\n", path, only);
    else
      fprintf(stderr, "%s has no alignment metrics (nothing under "
              "/metrics/alignment; record the weights of a projection with "
              "estimator rules)\n", path);
    return SA_EXIT_USAGE;
  }
  return 0;
}
