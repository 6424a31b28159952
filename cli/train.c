/* train.c: synalign train / synalign compare.
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include "sa_learn.h"
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ALGOS 16
#define MAX_SEEDS 64

static const char usage_common[] =
  "  --task T               mnist, fashion-mnist or digits (required)\n"
  "  --layers N0,N1,...     layer sizes (default: inputs,500,classes)\n"
  "  --epochs N             training epochs (default %d)\n"
  "  --batch N              minibatch size (default 128)\n"
  "  --act A                hidden activation: sigmoid (default), tanh,\n"
  "                         relu, leaky-relu (slope 0.1), linear\n"
  "  --loss L               sigmoid-ce (default), softmax-ce, mse\n"
  "  --out-act A            output activation with mse (default: --act)\n"
  "  --optim O              sgd (default) or adam\n"
  "  --momentum M           SGD momentum (default 0)\n"
  "  --weight-decay D       L2 weight decay on W (default 0)\n"
  "  --bias-lr-scale S      bias learning rate = lr * S (default 1)\n"
  "  --adam-betas B1,B2     Adam moment decays (default 0.9,0.999)\n"
  "  --adam-eps E           Adam epsilon (default 1e-8)\n"
  "  --no-bias-correction   Adam without bias correction (GAIT-prop's)\n"
  "  --init I               akrout (default: N(0, 1/(fan_in+fan_out)) for W,\n"
  "                         b, B), xavier, he, orthogonal\n"
  "  --shuffle              reshuffle the training set every epoch\n"
  "                         (default: fixed order, Akrout's protocol)\n"
  "  --kp-decay L           Kolen-Pollack decay lambda (default 1: none)\n"
  "  --wm-lr E              weight-mirror learning rate (default 0.01)\n"
  "  --wm-noise A           mirror noise amplitude (default 0.1)\n"
  "  --wm-decay D           decay of B per mirror step (default 0)\n"
  "  --wm-pre-steps N       mirror steps before training (default: one\n"
  "                         epoch's worth, n_train / batch)\n"
  "  --gait-gamma G         GAIT-prop target step (default 1e-3)\n"
  "  --spike-time S         rdd, stdwi: simulated seconds of the spiking\n"
  "                         estimate per layer before every epoch (default\n"
  "                         20; the estimate continues across epochs)\n"
  "  --ortho-lambda L       orthogonality regulariser (default 0)\n"
  "  --ortho-every K        apply it every K steps (default 1)\n"
  "  --train-subset N       use the first N training samples\n"
  "  --test-subset N        use the first N test samples\n"
  "  --data DIR             dataset root (default: $SYNALIGN_DATA, ./data,\n"
  "                         <source>/data, <source>/../shared/data)\n"
  "  -o, --output FILE      metrics file (HDF5, docs/learning.md)\n"
  "  --overwrite            replace an existing output file\n"
  "  --quiet                no progress lines\n"
  "  -h, --help             this text\n"
  "\n"
  "Exit status: 0 done, 1 run-time failure, 2 bad input (options, missing\n"
  "or corrupt data, existing output), 130/143 stopped by SIGINT/SIGTERM\n"
  "after the current epoch (finished epochs are written).\n";

static const char usage_train_head[] =
  "usage: synalign train --task T [--algo A] [options] [-o RUN.h5]\n"
  "\n"
  "Train a fully-connected network with one credit-assignment algorithm;\n"
  "print a line per epoch and a summary. Defaults are Akrout et al.'s\n"
  "protocol (784-500-10, sigmoid, sigmoid cross-entropy, SGD, batch 128,\n"
  "no shuffling).\n"
  "\n"
  "options:\n"
  "  --algo A               bp (default), fa, dfa, usf, frsf, brsf, wm, kp,\n"
  "                         gaitprop (square layers, mse, leaky-relu),\n"
  "                         rdd, stdwi (fa with B fitted by a spiking rule\n"
  "                         on a simulated copy of each layer)\n"
  "  --lr X                 learning rate (default: the algorithm's in\n"
  "                         Akrout's protocol: 0.2, wm 0.05, kp 0.3;\n"
  "                         1e-4 with adam)\n"
  "  --seed N               RNG seed (default 1)\n";

static const char usage_compare_head[] =
  "usage: synalign compare --task T --algos A,B,... [options] [-o OUT.h5]\n"
  "\n"
  "Train the same network with several algorithms (and seeds) one after\n"
  "the other; print a line per epoch and a table: algorithm, best and\n"
  "final test accuracy (mean +- sd over seeds), final weight and delta\n"
  "angles, seconds per epoch.\n"
  "\n"
  "options:\n"
  "  --algos LIST           algorithms (default\n"
  "                         bp,fa,dfa,usf,frsf,brsf,wm,kp)\n"
  "  --seeds LIST           seeds (default 1)\n"
  "  --lr SPEC              one rate for all (0.1), per algorithm\n"
  "                         (bp=0.2,wm=0.05), or both (0.1,wm=0.05);\n"
  "                         unlisted algorithms use their default\n";

typedef struct opts {
  const char *cmd;
  const char *task, *out, *data;
  const char *algos[MAX_ALGOS];
  int n_algos;
  double lr_all, lr_algo[MAX_ALGOS];   /* 0: not given */
  const char *lr_name[MAX_ALGOS];
  int n_lr;
  uint64_t seeds[MAX_SEEDS];
  int n_seeds;
  int epochs, have_layers;
  size_t train_subset, test_subset;
  int overwrite, quiet;
  sa_learn_config cfg;
  char lists[8][4096];      /* copies of list arguments (strtok cuts) */
} opts;

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
  stop_sig = sig;
}

static int parse_num(const char *s, double *out)
{
  char *end;
  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
  uint64_t v;
  if (sa_cli_parse_u64(s, &v) || v < (uint64_t)lo || v > (uint64_t)hi)
    return -1;
  *out = (int)v;
  return 0;
}

/* "a,b,c" -> items (pointers into a copy the caller keeps alive). */
static int split_list(char *s, const char **items, int max)
{
  int n = 0;
  for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
    if (n == max)
      return -1;
    items[n++] = tok;
  }
  return n;
}

static int bad(const opts *o, const char *fmt, const char *arg)
{
  return sa_cli_usage(o->cmd, fmt, arg ? arg : "");
}

/* Every registered strategy but the library hook. */
static int check_algo(const opts *o, const char *a)
{
  if (!strcmp(a, "external"))
    return bad(o, "algorithm '%s' is a library hook (a feedback callback); "
               "it has no command-line form", a);
  if (sa_fb_find(a) < 0)
    return bad(o, "unknown algorithm '%s' (bp, fa, dfa, usf, frsf, brsf, "
               "wm, kp, gaitprop, rdd, stdwi)", a);
  return 0;
}

static int parse_lr(opts *o, char *spec)
{
  const char *items[MAX_ALGOS + 1];
  int n = split_list(spec, items, MAX_ALGOS + 1);
  if (n <= 0)
    return bad(o, "--lr needs a number or a list like bp=0.2,wm=0.05%s", "");
  for (int i = 0; i < n; i++) {
    char *eq = strchr(items[i], '=');
    double v;
    if (eq == NULL) {
      if (parse_num(items[i], &v) || !(v > 0))
        return bad(o, "--lr needs positive numbers, got '%s'", items[i]);
      o->lr_all = v;
      continue;
    }
    *eq = '\0';
    if (parse_num(eq + 1, &v) || !(v > 0))
      return bad(o, "--lr needs positive numbers, got '%s'", eq + 1);
    if (sa_fb_find(items[i]) < 0)
      return bad(o, "--lr names an unknown algorithm '%s'", items[i]);
    o->lr_name[o->n_lr] = items[i];
    o->lr_algo[o->n_lr++] = v;
  }
  return 0;
}

static int parse_layers(opts *o, char *s)
{
  const char *items[SA_LEARN_MAX_LAYERS + 2];
  int n = split_list(s, items, SA_LEARN_MAX_LAYERS + 2);
  if (n < 2 || n > SA_LEARN_MAX_LAYERS + 1)
    return bad(o, "--layers needs 2 to 17 sizes like 784,500,10%s", "");
  for (int i = 0; i < n; i++)
    if (parse_int(items[i], 1, 65536, &o->cfg.sizes[i]))
      return bad(o, "--layers: '%s' is not a size in 1..65536", items[i]);
  o->cfg.n_sizes = n;
  o->have_layers = 1;
  return 0;
}

static int enum_opt(const opts *o, const char *kind, const char *opt,
                    const char *v, int *out)
{
  int e = sa_learn_enum(kind, v);
  if (e < 0) {
    fprintf(stderr, "synalign %s: %s: unknown value '%s' (see 'synalign %s "
            "--help')\n", o->cmd, opt, v ? v : "", o->cmd);
    return SA_EXIT_USAGE;
  }
  *out = e;
  return 0;
}

static int parse(int argc, char **argv, opts *o, int compare)
{
  memset(o, 0, sizeof *o);
  o->cmd = compare ? "compare" : "train";
  o->epochs = compare ? 20 : 50;
  sa_learn_config_default(&o->cfg);
  int nstore = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double x;
    int rc = 0;
#define NEED()                                                             \
  do {                                                                     \
    if (v == NULL)                                                         \
      return bad(o, "%s needs a value", a);                                \
    i++;                                                                   \
  } while (0)
#define STORE(dst)                                                         \
  do {                                                                     \
    if (nstore == 8 || strlen(v) >= sizeof o->lists[0])                    \
      return bad(o, "%s: list too long", a);                               \
    strcpy(o->lists[nstore], v);                                           \
    dst = o->lists[nstore++];                                              \
  } while (0)
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(compare ? usage_compare_head : usage_train_head, stdout);
      printf(usage_common, o->epochs);
      exit(0);
    } else if (!strcmp(a, "--task")) {
      NEED();
      o->task = v;
    } else if (!compare && !strcmp(a, "--algo")) {
      NEED();
      if ((rc = check_algo(o, v)))
        return rc;
      o->algos[0] = v, o->n_algos = 1;
    } else if (compare && !strcmp(a, "--algos")) {
      NEED();
      char *s;
      STORE(s);
      int n = split_list(s, o->algos, MAX_ALGOS);
      if (n <= 0)
        return bad(o, "--algos needs a list like bp,fa,kp%s", "");
      for (int k = 0; k < n; k++)
        if ((rc = check_algo(o, o->algos[k])))
          return rc;
      o->n_algos = n;
    } else if (!strcmp(a, "--lr")) {
      NEED();
      char *s;
      STORE(s);
      if ((rc = parse_lr(o, s)))
        return rc;
      if (!compare && o->n_lr > 0)
        return bad(o, "--lr takes one number in train, got '%s'", v);
    } else if (!compare && !strcmp(a, "--seed")) {
      NEED();
      if (sa_cli_parse_u64(v, &o->seeds[0]))
        return bad(o, "--seed needs an unsigned integer, got '%s'", v);
      o->n_seeds = 1;
    } else if (compare && !strcmp(a, "--seeds")) {
      NEED();
      char *s;
      STORE(s);
      const char *items[MAX_SEEDS];
      int n = split_list(s, items, MAX_SEEDS);
      if (n <= 0)
        return bad(o, "--seeds needs a list like 1,2,3%s", "");
      for (int k = 0; k < n; k++)
        if (sa_cli_parse_u64(items[k], &o->seeds[k]))
          return bad(o, "--seeds: '%s' is not an unsigned integer",
                     items[k]);
      o->n_seeds = n;
    } else if (!strcmp(a, "--layers")) {
      NEED();
      char *s;
      STORE(s);
      if ((rc = parse_layers(o, s)))
        return rc;
    } else if (!strcmp(a, "--epochs")) {
      NEED();
      if (parse_int(v, 1, 100000, &o->epochs))
        return bad(o, "--epochs needs an integer in 1..100000, got '%s'", v);
    } else if (!strcmp(a, "--batch")) {
      NEED();
      if (parse_int(v, 1, 1 << 20, &o->cfg.batch))
        return bad(o, "--batch needs an integer >= 1, got '%s'", v);
    } else if (!strcmp(a, "--act")) {
      NEED();
      if ((rc = enum_opt(o, "act", a, v, &o->cfg.act)))
        return rc;
    } else if (!strcmp(a, "--out-act")) {
      NEED();
      if ((rc = enum_opt(o, "act", a, v, &o->cfg.out_act)))
        return rc;
    } else if (!strcmp(a, "--loss")) {
      NEED();
      if ((rc = enum_opt(o, "loss", a, v, &o->cfg.loss)))
        return rc;
    } else if (!strcmp(a, "--optim")) {
      NEED();
      if ((rc = enum_opt(o, "optim", a, v, &o->cfg.optim)))
        return rc;
    } else if (!strcmp(a, "--init")) {
      NEED();
      if ((rc = enum_opt(o, "init", a, v, &o->cfg.init)))
        return rc;
    } else if (!strcmp(a, "--momentum")) {
      NEED();
      if (parse_num(v, &x) || x < 0 || x >= 1)
        return bad(o, "--momentum needs a number in [0, 1), got '%s'", v);
      o->cfg.momentum = x;
    } else if (!strcmp(a, "--weight-decay")) {
      NEED();
      if (parse_num(v, &x) || x < 0)
        return bad(o, "--weight-decay needs a number >= 0, got '%s'", v);
      o->cfg.weight_decay = x;
    } else if (!strcmp(a, "--bias-lr-scale")) {
      NEED();
      if (parse_num(v, &x) || x < 0)
        return bad(o, "--bias-lr-scale needs a number >= 0, got '%s'", v);
      o->cfg.bias_lr_scale = x;
    } else if (!strcmp(a, "--adam-betas")) {
      NEED();
      double b1, b2;
      char tmp[128];
      snprintf(tmp, sizeof tmp, "%s", v);
      char *comma = strchr(tmp, ',');
      if (comma == NULL)
        return bad(o, "--adam-betas needs B1,B2, got '%s'", v);
      *comma = '\0';
      if (parse_num(tmp, &b1) || parse_num(comma + 1, &b2) || b1 < 0 ||
          b1 >= 1 || b2 < 0 || b2 >= 1)
        return bad(o, "--adam-betas needs two numbers in [0, 1), got '%s'",
                   v);
      o->cfg.adam_beta1 = b1, o->cfg.adam_beta2 = b2;
    } else if (!strcmp(a, "--adam-eps")) {
      NEED();
      if (parse_num(v, &x) || !(x > 0))
        return bad(o, "--adam-eps needs a positive number, got '%s'", v);
      o->cfg.adam_eps = x;
    } else if (!strcmp(a, "--no-bias-correction")) {
      o->cfg.adam_bias_correction = 0;
    } else if (!strcmp(a, "--shuffle")) {
      o->cfg.shuffle = 1;
    } else if (!strcmp(a, "--kp-decay")) {
      NEED();
      if (parse_num(v, &x) || !(x > 0) || x > 1)
        return bad(o, "--kp-decay needs a number in (0, 1], got '%s'", v);
      o->cfg.kp_decay = x;
    } else if (!strcmp(a, "--wm-lr") || !strcmp(a, "--wm-noise")) {
      NEED();
      if (parse_num(v, &x) || !(x > 0))
        return bad(o, "this option needs a positive number, got '%s'", v);
      *(a[5] == 'l' ? &o->cfg.wm_lr : &o->cfg.wm_noise) = x;
    } else if (!strcmp(a, "--wm-decay")) {
      NEED();
      if (parse_num(v, &x) || x < 0 || x >= 1)
        return bad(o, "--wm-decay needs a number in [0, 1), got '%s'", v);
      o->cfg.wm_decay = x;
    } else if (!strcmp(a, "--wm-pre-steps")) {
      NEED();
      if (parse_int(v, 0, 1 << 30, &o->cfg.wm_pre_steps))
        return bad(o, "--wm-pre-steps needs an integer >= 0, got '%s'", v);
    } else if (!strcmp(a, "--gait-gamma")) {
      NEED();
      if (parse_num(v, &x) || !(x > 0) || x > 1)
        return bad(o, "--gait-gamma needs a number in (0, 1], got '%s'", v);
      o->cfg.gait_gamma = x;
    } else if (!strcmp(a, "--spike-time")) {
      NEED();
      if (parse_num(v, &x) || !(x > 0) || x > 1e6)
        return bad(o, "--spike-time needs seconds in (0, 1e6], got '%s'", v);
      o->cfg.spike_time = x;
    } else if (!strcmp(a, "--ortho-lambda")) {
      NEED();
      if (parse_num(v, &x) || x < 0)
        return bad(o, "--ortho-lambda needs a number >= 0, got '%s'", v);
      o->cfg.ortho_lambda = x;
    } else if (!strcmp(a, "--ortho-every")) {
      NEED();
      if (parse_int(v, 1, 1 << 30, &o->cfg.ortho_every))
        return bad(o, "--ortho-every needs an integer >= 1, got '%s'", v);
    } else if (!strcmp(a, "--train-subset") || !strcmp(a, "--test-subset")) {
      NEED();
      uint64_t n;
      if (sa_cli_parse_u64(v, &n) || n == 0)
        return bad(o, "this option needs a positive integer, got '%s'", v);
      *(a[3] == 'r' ? &o->train_subset : &o->test_subset) = (size_t)n;
    } else if (!strcmp(a, "--data")) {
      NEED();
      o->data = v;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
      NEED();
      o->out = v;
    } else if (!strcmp(a, "--overwrite")) {
      o->overwrite = 1;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      o->quiet = 1;
    } else {
      return bad(o, "unknown option '%s'", a);
    }
#undef NEED
#undef STORE
  }
  if (o->task == NULL)
    return bad(o, "--task is required (mnist, fashion-mnist, digits)%s", "");
  if (o->n_algos == 0) {
    static const char *const def[] = {"bp", "fa", "dfa", "usf", "frsf",
                                      "brsf", "wm", "kp"};
    int n = compare ? 8 : 1;
    for (int k = 0; k < n; k++)
      o->algos[k] = def[k];
    o->n_algos = n;
  }
  if (o->n_seeds == 0)
    o->seeds[0] = 1, o->n_seeds = 1;
  for (int j = 0; j < o->n_algos; j++)
    for (int k = 0; k < j; k++)
      if (!strcmp(o->algos[j], o->algos[k]))
        return bad(o, "--algos lists '%s' twice", o->algos[j]);
  for (int j = 0; j < o->n_seeds; j++)
    for (int k = 0; k < j; k++)
      if (o->seeds[j] == o->seeds[k])
        return bad(o, "--seeds lists a seed twice%s", "");
  return 0;
}

static double lr_for(const opts *o, const char *algo)
{
  for (int k = 0; k < o->n_lr; k++)
    if (!strcmp(o->lr_name[k], algo))
      return o->lr_algo[k];
  if (o->lr_all > 0)
    return o->lr_all;
  if (o->cfg.optim == SA_OPTIM_ADAM)
    return 1e-4;
  return sa_fb_default_lr(sa_fb_find(algo));
}

/* The command line, shell-quoted where needed, for provenance. */
static void command_line(int argc, char **argv, char *buf, size_t len)
{
  size_t n = (size_t)snprintf(buf, len, "synalign");
  for (int i = 0; i < argc && n < len; i++) {
    const char *a = argv[i];
    int plain = *a != '\0';
    for (const char *p = a; *p; p++)
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789-_=.,/:+", *p))
        plain = 0;
    n += (size_t)snprintf(buf + n, len - n, plain ? " %s" : " '%s'", a);
  }
}

static void fmt_layers(char *buf, size_t len, const double *v, int n)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int l = 0; l < n && used < len; l++) {
    if (isnan(v[l]))
      used += (size_t)snprintf(buf + used, len - used, "%s-", l ? "/" : "");
    else
      used += (size_t)snprintf(buf + used, len - used, "%s%.1f",
                               l ? "/" : "", v[l]);
  }
  if (n <= 0)
    snprintf(buf, len, "-");
}

typedef struct summary {
  const char *algo;
  int runs, L;
  double best[MAX_SEEDS], final[MAX_SEEDS], secs[MAX_SEEDS];
  int best_ep[MAX_SEEDS];
  double angle[SA_LEARN_MAX_LAYERS], delta[SA_LEARN_MAX_LAYERS];
} summary;

static void mean_sd(const double *v, int n, double *mean, double *sd)
{
  double s = 0, ss = 0;
  for (int i = 0; i < n; i++)
    s += v[i];
  *mean = s / n;
  for (int i = 0; i < n; i++)
    ss += (v[i] - *mean) * (v[i] - *mean);
  *sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

static void print_table(const summary *s, int n)
{
  printf("\n%-9s %4s  %-22s %-15s %-17s %-11s %8s\n", "algorithm", "runs",
         "best test acc % (ep)", "final test acc %", "weight angle",
         "delta angle", "s/epoch");
  for (int i = 0; i < n; i++) {
    const summary *r = &s[i];
    if (r->runs == 0)
      continue;
    double bm, bsd, fm, fsd, sm, ssd;
    mean_sd(r->best, r->runs, &bm, &bsd);
    mean_sd(r->final, r->runs, &fm, &fsd);
    mean_sd(r->secs, r->runs, &sm, &ssd);
    char best[40], fin[32], ang[64], del[64];
    if (r->runs > 1) {
      snprintf(best, sizeof best, "%.2f +- %.2f", bm, bsd);
      snprintf(fin, sizeof fin, "%.2f +- %.2f", fm, fsd);
    } else {
      snprintf(best, sizeof best, "%.2f (%d)", bm, r->best_ep[0]);
      snprintf(fin, sizeof fin, "%.2f", fm);
    }
    fmt_layers(ang, sizeof ang, r->angle, r->L);
    fmt_layers(del, sizeof del, r->delta, r->L - 1);
    printf("%-9s %4d  %-22s %-15s %-17s %-11s %8.2f\n", r->algo, r->runs,
           best, fin, ang, del, sm);
  }
  printf("(angles in degrees, input layer first, mean over runs of the "
         "last epoch; '-' = no such matrix)\n");
}

/* One (algorithm, seed) run: epochs, progress, metrics. Returns 0, 1
 * (run-time failure, message printed), 2 (bad input) or minus the number
 * of the signal that stopped it. */
static int one_run(const opts *o, const sa_dataset *ds, const char *algo,
                   uint64_t seed, sa_lfile *lf, summary *sum)
{
  sa_learn_config cfg = o->cfg;
  cfg.algo = algo;
  cfg.seed = seed;
  cfg.lr = lr_for(o, algo);
  char err[512] = "";
  sa_mlp *net;
  int rc = sa_mlp_create(&net, &cfg, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "synalign %s: %s: %s\n", o->cmd, algo, err);
    return SA_EXIT_USAGE;
  }
  sa_epoch_metrics *m = calloc((size_t)o->epochs, sizeof *m);
  if (m == NULL) {
    sa_mlp_destroy(net);
    fprintf(stderr, "synalign %s: out of memory\n", o->cmd);
    return 1;
  }
  int L = sa_mlp_layers(net), done = 0, status = 0;
  for (int e = 1; e <= o->epochs; e++) {
    rc = sa_mlp_train_epoch(net, ds, e, &m[e - 1]);
    if (rc < 0) {
      fprintf(stderr, "synalign %s: %s seed %llu epoch %d: %s\n", o->cmd,
              algo, (unsigned long long)seed, e,
              sa_mlp_errmsg(net)[0] ? sa_mlp_errmsg(net) : sa_strerror(rc));
      status = 1;
      break;
    }
    done = e;
    if (!o->quiet) {
      char ang[64], del[64];
      fmt_layers(ang, sizeof ang, m[e - 1].weight_angle, L);
      fmt_layers(del, sizeof del, m[e - 1].delta_angle, L - 1);
      printf("%-8s seed %-3llu epoch %3d/%-3d loss %.4f  test %6.2f %%  "
             "angle %s  delta %s  %.2f s\n", algo, (unsigned long long)seed,
             e, o->epochs, m[e - 1].train_loss, m[e - 1].test_accuracy, ang,
             del, m[e - 1].train_seconds);
      fflush(stdout);
    }
    if (stop_sig) {
      status = -stop_sig;
      break;
    }
  }
  if (done > 0) {
    int k = sum->runs++;
    sum->algo = algo;
    sum->L = L;
    sum->best[k] = -1;
    double secs = 0;
    for (int i = 0; i < done; i++) {
      if (m[i].test_accuracy > sum->best[k])
        sum->best[k] = m[i].test_accuracy, sum->best_ep[k] = m[i].epoch;
      secs += m[i].train_seconds;
    }
    sum->final[k] = m[done - 1].test_accuracy;
    sum->secs[k] = secs / done;
    for (int l = 0; l < L; l++) {
      double a = m[done - 1].weight_angle[l];
      double d = l < L - 1 ? m[done - 1].delta_angle[l] : NAN;
      sum->angle[l] = k == 0 ? a : (sum->angle[l] * k + a) / (k + 1);
      sum->delta[l] = k == 0 ? d : (sum->delta[l] * k + d) / (k + 1);
    }
  }
  if (lf != NULL && done > 0) {
    rc = sa_lfile_write_run(lf, sa_mlp_config(net), m, done, o->epochs, err,
                            sizeof err);
    if (rc < 0) {
      fprintf(stderr, "synalign %s: %s: %s\n", o->cmd, o->out, err);
      status = status ? status : 1;
    }
  }
  free(m);
  sa_mlp_destroy(net);
  return status;
}

/* See sa_learn_blas_better_core: a generic OpenBLAS kernel makes every
 * epoch ~5x slower. OPENBLAS_CORETYPE is read when the library loads, so
 * set it and run this same command again; an explicit OPENBLAS_CORETYPE
 * (any value) is left alone, and if exec fails we simply go on. argv is
 * main's argv + 1, so argv - 1 is the whole command line. */
static void fix_blas_kernel(char **argv)
{
  const char *better = sa_learn_blas_better_core();
  if (better == NULL || getenv("OPENBLAS_CORETYPE") != NULL)
    return;
  if (setenv("OPENBLAS_CORETYPE", better, 1) != 0)
    return;
  fflush(NULL);
  execv("/proc/self/exe", argv - 1);
  unsetenv("OPENBLAS_CORETYPE");
}

static int learn_main(int argc, char **argv, int compare)
{
  opts o;
  int rc = parse(argc, argv, &o, compare);
  if (rc)
    return rc;
  fix_blas_kernel(argv);
  char err[1024] = "";
  sa_dataset *ds;
  rc = sa_dataset_load(&ds, o.task, o.data, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "synalign %s: %s\n", o.cmd, err);
    return rc == SA_ENOMEM ? 1 : SA_EXIT_USAGE;
  }
  if (sa_dataset_truncate(ds, o.train_subset, o.test_subset) < 0) {
    fprintf(stderr, "synalign %s: the subsets ask for more samples than "
            "%s has (%zu train, %zu test)\n", o.cmd, o.task,
            sa_dataset_count(ds, SA_SPLIT_TRAIN),
            sa_dataset_count(ds, SA_SPLIT_TEST));
    sa_dataset_destroy(ds);
    return SA_EXIT_USAGE;
  }
  int dim = (int)sa_dataset_dim(ds), nc = sa_dataset_classes(ds);
  if (!o.have_layers) {
    o.cfg.n_sizes = 3;
    o.cfg.sizes[0] = dim, o.cfg.sizes[1] = 500, o.cfg.sizes[2] = nc;
  }
  int nout = o.cfg.sizes[o.cfg.n_sizes - 1];
  if (o.cfg.sizes[0] != dim || nout < nc) {
    fprintf(stderr, "synalign %s: --layers must start with %d (the %s "
            "inputs) and end with at least %d outputs\n", o.cmd, dim, o.task,
            nc);
    sa_dataset_destroy(ds);
    return SA_EXIT_USAGE;
  }
  o.cfg.n_classes = nc;
  /* Validate every algorithm's configuration before the first epoch, so a
   * bad combination fails in a second and not after an hour. */
  for (int k = 0; k < o.n_algos; k++) {
    sa_learn_config c = o.cfg;
    c.algo = o.algos[k];
    c.lr = lr_for(&o, o.algos[k]);
    sa_mlp *probe;
    rc = sa_mlp_create(&probe, &c, err, sizeof err);
    if (rc < 0) {
      fprintf(stderr, "synalign %s: %s: %s\n", o.cmd, o.algos[k], err);
      sa_dataset_destroy(ds);
      return rc == SA_ENOMEM ? 1 : SA_EXIT_USAGE;
    }
    sa_mlp_destroy(probe);
  }
  char cmdline[8192];
  command_line(argc, argv, cmdline, sizeof cmdline);
  sa_lfile *lf = NULL;
  if (o.out != NULL) {
    rc = sa_lfile_create(&lf, o.out, o.overwrite, cmdline, o.task, o.seeds,
                         o.n_seeds, err, sizeof err);
    if (rc < 0) {
      fprintf(stderr, "synalign %s: %s\n", o.cmd, err);
      sa_dataset_destroy(ds);
      return rc == SA_EEXIST ? SA_EXIT_USAGE : 1;
    }
  }
  if (!o.quiet) {
    char lay[128];
    size_t u = 0;
    for (int i = 0; i < o.cfg.n_sizes; i++)
      u += (size_t)snprintf(lay + u, sizeof lay - u, "%s%d", i ? "-" : "",
                            o.cfg.sizes[i]);
    printf("%s: %zu train, %zu test samples from %s; net %s, %s, %s, %s, "
           "batch %d; BLAS kernel %s\n", o.task,
           sa_dataset_count(ds, SA_SPLIT_TRAIN),
           sa_dataset_count(ds, SA_SPLIT_TEST), sa_dataset_dir(ds), lay,
           sa_learn_enum_name("act", o.cfg.act),
           sa_learn_enum_name("loss", o.cfg.loss),
           sa_learn_enum_name("optim", o.cfg.optim), o.cfg.batch,
           sa_learn_blas_core());
    fflush(stdout);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
    perror("sigaction");
  summary *sums = calloc((size_t)o.n_algos, sizeof *sums);
  if (sums == NULL) {
    sa_lfile_close(lf, 0, err, sizeof err);
    sa_dataset_destroy(ds);
    return 1;
  }
  int status = 0;
  for (int s = 0; s < o.n_seeds && !status; s++)
    for (int k = 0; k < o.n_algos && !status; k++)
      status = one_run(&o, ds, o.algos[k], o.seeds[s], lf, &sums[k]);
  print_table(sums, o.n_algos);
  free(sums);
  if (lf != NULL) {
    rc = sa_lfile_close(lf, status == 0, err, sizeof err);
    if (rc < 0) {
      fprintf(stderr, "synalign %s: %s: %s\n", o.cmd, o.out, err);
      status = status ? status : 1;
    } else if (!o.quiet) {
      printf("metrics written to %s\n", o.out);
    }
  }
  sa_dataset_destroy(ds);
  if (status < 0) {
    fprintf(stderr, "synalign %s: stopped by signal %d after a finished "
            "epoch\n", o.cmd, -status);
    return 128 - status;
  }
  return status;
}

int sa_cmd_train(int argc, char **argv)
{
  return learn_main(argc, argv, 0);
}

int sa_cmd_compare(int argc, char **argv)
{
  return learn_main(argc, argv, 1);
}
