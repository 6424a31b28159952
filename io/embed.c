/* embed.c: build-time helper: turn a file into a C header holding its bytes
 * as `static const unsigned char NAME[]` (NUL-terminated). A byte array rather than
 * a string literal: C11 promises only 4095 characters per literal.
 * usage: embed INPUT OUTPUT NAME
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: embed INPUT OUTPUT NAME\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  if (in == NULL) {
    perror(argv[1]);
    return 1;
  }
  FILE *out = fopen(argv[2], "wb");
  if (out == NULL) {
    perror(argv[2]);
    fclose(in);
    return 1;
  }
  fprintf(out, "/* Generated from %s by io/embed.c; do not edit. */\n"
               "static const unsigned char %s[] = {\n", argv[1], argv[3]);
  int c;
  unsigned long n = 0;
  while ((c = getc(in)) != EOF) {
    fprintf(out, "%s0x%02x,", n % 16 == 0 ? (n ? "\n  " : "  ") : " ", c);
    n++;
  }
  fprintf(out, "%s0x00\n};\n", n % 16 == 0 ? (n ? "\n  " : "  ") : " ");
  int bad = ferror(in) || fclose(out) != 0;
  fclose(in);
  if (bad) {
    fprintf(stderr, "embed: I/O error\n");
    return 1;
  }
  return 0;
}
