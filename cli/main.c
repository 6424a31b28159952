/* main.c: the synalign program: one table of subcommands, each in its own
 * file (cli/<name>.c). Adding a command = one file, one line here, one line
 * in cli/meson.build.
 * SPDX-License-Identifier: MIT */
#include "cli.h"
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *synopsis, *summary;
} commands[] = {
  {"run", sa_cmd_run, "run NET.json -o OUT.h5",
   "simulate a network, write spikes (SONATA)"},
  {"resume", sa_cmd_resume, "resume CK.h5 -o OUT.h5",
   "continue a run from its checkpoint"},
  {"info", sa_cmd_info, "info FILE.h5", "what a spike file holds"},
  {"weights", sa_cmd_weights, "weights FILE.h5 PROJ",
   "one weight snapshot (summary or --csv)"},
  {"align", sa_cmd_align, "align FILE.h5",
   "alignment of estimated feedback with W"},
  {"plot", sa_cmd_plot, "plot KIND FILE.h5 -o OUT",
   "raster, rates, weights, alignment (PNG/SVG)"},
  {"train", sa_cmd_train, "train --task T --algo A",
   "train an MLP with one credit-assignment rule"},
  {"compare", sa_cmd_compare, "compare --task T --algos A,B",
   "the same for several rules and seeds"},
  {NULL, NULL, NULL, NULL}};

static void usage(FILE *f) {
  fputs("usage: synalign <command> [options]\n\ncommands:\n", f);
  for (int i = 0; commands[i].name; i++)
    fprintf(f, "  %-29s %s\n", commands[i].synopsis, commands[i].summary);
  fprintf(f, "\n  %-29s %s\n  %-29s %s\n", "synalign --version",
          "print the version", "synalign COMMAND --help",
          "help on one command");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return SA_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("synalign %s\n", SA_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  for (int i = 0; commands[i].name; i++)
    if (!strcmp(cmd, commands[i].name))
      return commands[i].fn(argc - 1, argv + 1);
  /* One line, like every other input error (tests/bad_inputs). */
  fprintf(stderr, "synalign: unknown command '%s' (see 'synalign --help')\n",
          cmd);
  return SA_EXIT_USAGE;
}
