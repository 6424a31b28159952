/* plot.c: synalign plot.
 * SPDX-License-Identifier: MIT */
#include "view.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_plot[] =
  "usage: synalign plot KIND FILE.h5 -o OUT.png|OUT.svg [options]\n"
  "\n"
  "Draw a figure of a synalign (or any SONATA) file, or of the results of\n"
  "synalign train/compare, with cairo. KIND:\n"
  "  raster      spikes, time x neuron, one band per population (density\n"
  "              shading where dots would overlap)\n"
  "  rates       population firing rates (Hz) over time\n"
  "  weights     weight reports (/report/<projection>/): the distribution\n"
  "              of weights over time, median and 5-95 % band\n"
  "  alignment   alignment metrics (/metrics/alignment/<projection>/) over\n"
  "              time, one panel per metric\n"
  "  curves      a learning results file (synalign train/compare -o):\n"
  "              test accuracy and weight angle (layers 2..L) against\n"
  "              epoch, one colour per algorithm; the line is the mean\n"
  "              over seeds, the band spans the lowest to highest seed\n"
  "\n"
  "options:\n"
  "  -o, --output FILE     .png or .svg (required)\n"
  "  --population NAME     raster/rates: only this population;\n"
  "                        weights/alignment: only this projection;\n"
  "                        curves: only this algorithm (--algo NAME)\n"
  "  --from MS, --to MS    time window (default: the whole file; not for\n"
  "                        curves)\n"
  "  --size WxH            pixels (PNG) or points (SVG), default 900x560\n"
  "  --title TEXT          title (default: kind and file name)\n"
  "  -h, --help            this text\n"
  "\n"
  "Exit status: 0 done, 1 failure writing the figure, 2 bad input (options,\n"
  "a missing file, population or report; for curves, a file that is not a\n"
  "learning results file).\n";

static int parse_ms(const char *s, double *out)
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

int sa_cmd_plot(int argc, char **argv)
{
  sa_plot_opts o = {-1, NULL, NAN, NAN, 0, 0, NULL};
  const char *in = NULL, *out = NULL, *kind = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage_plot, stdout);
      return 0;
    } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
      if (!v) return sa_cli_usage("plot", "%s needs a file name", a);
      out = v, i++;
    } else if (!strcmp(a, "--population") || !strcmp(a, "--projection") ||
               !strcmp(a, "--algo")) {
      if (!v) return sa_cli_usage("plot", "%s needs a name", a);
      o.population = v, i++;
    } else if (!strcmp(a, "--from") || !strcmp(a, "--to")) {
      double ms;
      if (parse_ms(v, &ms))
        return sa_cli_usage("plot", a[2] == 'f'
                            ? "--from needs a time in ms, got '%s'"
                            : "--to needs a time in ms, got '%s'",
                            v ? v : "");
      if (a[2] == 'f')
        o.from_ms = ms;
      else
        o.to_ms = ms;
      i++;
    } else if (!strcmp(a, "--size")) {
      int w, h;
      char extra;
      if (!v || sscanf(v, "%dx%d%c", &w, &h, &extra) != 2 || w < 200 ||
          h < 150 || w > 20000 || h > 20000)
        return sa_cli_usage("plot", "--size needs WxH between 200x150 and "
                            "20000x20000, got '%s'", v ? v : "");
      o.width = w, o.height = h, i++;
    } else if (!strcmp(a, "--title")) {
      if (!v) return sa_cli_usage("plot", "%s needs a text", a);
      o.title = v, i++;
    } else if (a[0] == '-' && a[1]) {
      return sa_cli_usage("plot", "unknown option '%s'", a);
    } else if (!kind) {
      kind = a;
    } else if (!in) {
      in = a;
    } else {
      return sa_cli_usage("plot", "unexpected argument '%s'", a);
    }
  }
  if (!kind)
    return sa_cli_usage("plot", "%s", "missing the kind (raster, rates, "
                        "weights, alignment or curves)");
  o.kind = sa_plot_kind(kind);
  if (o.kind < 0)
    return sa_cli_usage("plot", "unknown kind '%s' (raster, rates, weights, "
                        "alignment or curves)", kind);
  if (!in) return sa_cli_usage("plot", "%s", "missing the input file");
  if (!out) return sa_cli_usage("plot", "%s", "missing -o OUT.png|OUT.svg");
  if (!isnan(o.from_ms) && !isnan(o.to_ms) && !(o.from_ms < o.to_ms))
    return sa_cli_usage("plot", "%s", "--from must be before --to");
  char err[1024] = "";
  int rc = sa_plot(in, out, &o, err, sizeof err);
  if (rc) {
    fprintf(stderr, "%s\n", err);
    return rc == SA_EIO || rc == SA_ENOMEM ? 1 : SA_EXIT_USAGE;
  }
  return 0;
}
