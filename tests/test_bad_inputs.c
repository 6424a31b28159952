/* test_bad_inputs.c: runs the table of malformed network files and command
 * lines (tests/bad_inputs/TABLE, plus tests/bad_configs/EXPECT) against the
 * built program: exit status, one stderr line holding the fragment, and no
 * output file left behind by a failure.
 * SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

enum { MAX_ROWS = 512, MAX_ARGS = 32, LINE = 1024 };

typedef struct row {
  char name[96];
  int status;
  char frag[384];
  char args[512];
} row;

static row rows[MAX_ROWS];
static int n_rows, n_table_rows;
static const char *bin, *src;
static char fix[64];          /* fixtures shared by all cases */
static char ro[96];           /* read-only folder */
static int ro_mounted;        /* a read-only tmpfs, else a mode-0555 folder */

/* ---- helpers ------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    if (n + 1 >= cap) {
      char *b = realloc(buf, cap *= 2);
      if (b == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - 1 - n, f);
    if (got == 0)
      break;
    n += got;
  }
  fclose(f);
  if (buf != NULL) {
    buf[n] = '\0';
    if (len != NULL)
      *len = n;
  }
  return buf;
}

static int spit(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return -1;
  int rc = fwrite(data, 1, n, f) == n ? 0 : -1;
  if (fclose(f) != 0)
    rc = -1;
  return rc;
}

static void rm_rf(const char *path)
{
  pid_t pid = fork();
  if (pid == 0) {
    execlp("rm", "rm", "-rf", path, (char *)NULL);
    _exit(127);
  }
  if (pid > 0)
    waitpid(pid, NULL, 0);
}

/* Replace every @KEY@ of in by its value; keys/vals end with NULL. */
static void expand(const char *in, char *out, size_t n,
                   const char *const *keys, const char *const *vals)
{
  size_t at = 0;
  while (*in && at + 1 < n) {
    int hit = 0;
    for (int k = 0; keys[k] != NULL && !hit; k++) {
      size_t kl = strlen(keys[k]);
      if (strncmp(in, keys[k], kl) == 0) {
        at += (size_t)snprintf(out + at, n - at, "%s", vals[k]);
        if (at >= n)
          at = n - 1;
        in += kl;
        hit = 1;
      }
    }
    if (!hit)
      out[at++] = *in++;
  }
  out[at] = '\0';
}

/* Run argv with stderr to errpath; the exit status, or -1 - signal. */
static int run(char *const argv[], char *const env[], const char *errpath,
               int drop_privileges)
{
  pid_t pid = fork();
  if (pid < 0)
    return -1000;
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (devnull < 0 || e < 0)
      _exit(126);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(e, 2);
    for (int i = 0; env != NULL && env[i] != NULL; i++)
      putenv(env[i]);
    if (drop_privileges && (setgid(65534) != 0 || setuid(65534) != 0))
      _exit(125);
    alarm(30);    /* every case must fail fast; a hang fails the row */
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0)
    return -1000;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1 - WTERMSIG(st);
}

/* ---- the table ----------------------------------------------------------- */

/* A field that does not fit is an error, not a silent cut. */
static int copy(char *dst, size_t n, const char *src)
{
  size_t len = strlen(src);
  if (len >= n)
    return -1;
  memcpy(dst, src, len + 1);
  return 0;
}

static int add_row(const char *name, int status, const char *frag,
                   const char *args)
{
  if (n_rows >= MAX_ROWS)
    return -1;
  row *r = &rows[n_rows++];
  r->status = status;
  return copy(r->name, sizeof r->name, name) |
         copy(r->frag, sizeof r->frag, frag) |
         copy(r->args, sizeof r->args, args);
}

/* Fields are TAB-separated; '#' lines and blank lines are comments.
 * EXPECT (bad_configs) has three fields and implies the arguments. */
static int load(const char *path, int expect_format)
{
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[LINE];
  int rc = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0' || line[0] == '#')
      continue;
    char *field[4] = {NULL};
    char *p = line;
    int nf = 0;
    while (nf < 4 && p != NULL) {
      field[nf++] = p;
      p = strchr(p, '\t');
      if (p != NULL)
        *p++ = '\0';
    }
    if (expect_format && nf == 3) {
      /* File names are short; %.64s keeps the buffers provably enough. */
      char args[512], name[96];
      snprintf(args, sizeof args,
               "run @SRC@/tests/bad_configs/%.64s -o @OUT@ --quiet",
               field[0]);
      snprintf(name, sizeof name, "bad_configs/%.64s", field[0]);
      rc |= add_row(name, atoi(field[1]), field[2], args);
    } else if (!expect_format && nf == 4) {
      rc |= add_row(field[0], atoi(field[1]), field[2], field[3]);
    } else {
      fprintf(stderr, "%s: malformed line: %s\n", path, line);
      rc = -1;
    }
  }
  fclose(f);
  return rc;
}

/* ---- fixtures ------------------------------------------------------------ */

static hid_t h5_new(const char *name)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", fix, name);
  return H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

static int put_magic(hid_t f, uint32_t magic)
{
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "magic", H5T_STD_U32LE, s, H5P_DEFAULT,
                       H5P_DEFAULT);
  int rc = a >= 0 && H5Awrite(a, H5T_NATIVE_UINT32, &magic) >= 0 ? 0 : -1;
  if (a >= 0)
    H5Aclose(a);
  H5Sclose(s);
  return rc;
}

static int h5_group(hid_t loc, const char *name)
{
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  return g >= 0 && H5Gclose(g) >= 0 ? 0 : -1;
}

static int make_fixtures(void)
{
  char path[256], errp[256];
  snprintf(fix, sizeof fix, "/tmp/sa_bad_inputs.XXXXXX");
  if (mkdtemp(fix) == NULL || chmod(fix, 0755) != 0)
    return -1;
  snprintf(path, sizeof path, "%s/regular", fix);
  if (spit(path, "a plain file\n", 13) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/empty.h5", fix);
  if (spit(path, "", 0) < 0)
    return -1;

  /* A valid spike file, then its first half. */
  char net[256], valid[256];
  snprintf(net, sizeof net, "%s/examples/dc_neuron.json", src);
  snprintf(valid, sizeof valid, "%s/valid.h5", fix);
  snprintf(errp, sizeof errp, "%s/valid.err", fix);
  char *argv[] = {(char *)bin, "run", net, "-o", valid, "--quiet", NULL};
  if (run(argv, NULL, errp, 0) != 0)
    return -1;
  size_t len = 0;
  char *data = slurp(valid, &len);
  if (data == NULL || len < 1024) {
    free(data);
    return -1;
  }
  snprintf(path, sizeof path, "%s/truncated.h5", fix);
  int rc = spit(path, data, len / 2);
  free(data);
  if (rc < 0)
    return -1;

  /* The signature and the start of a version-2 superblock: SWMR-read
   * used to retry its checksum for minutes (tests/fuzz finding). */
  static const unsigned char sb11[] = {0x89, 'H', 'D', 'F', '\r', '\n',
                                       0x1a, '\n', 2, 8, 8};
  snprintf(path, sizeof path, "%s/superblock11.h5", fix);
  if (spit(path, sb11, sizeof sb11) < 0)
    return -1;

  /* HDF5 files that are not (quite) SONATA spike files. */
  hid_t f = h5_new("plain.h5");
  if (f < 0 || h5_group(f, "spikes") < 0 || H5Fclose(f) < 0)
    return -1;
  f = h5_new("wrong_magic.h5");
  if (f < 0 || put_magic(f, 1234) < 0 || h5_group(f, "spikes") < 0 ||
      H5Fclose(f) < 0)
    return -1;
  f = h5_new("no_spikes.h5");
  if (f < 0 || put_magic(f, 0x0A7A) < 0 || H5Fclose(f) < 0)
    return -1;
  f = h5_new("no_datasets.h5");
  if (f < 0 || put_magic(f, 0x0A7A) < 0 || h5_group(f, "spikes") < 0 ||
      h5_group(f, "spikes/p") < 0 || H5Fclose(f) < 0)
    return -1;

  /* A read-only folder. As root, permissions do not stop writes, so a
   * read-only tmpfs is the real thing; where mounting is not allowed, a
   * mode-0555 folder, and (as root) the case drops to uid 65534. */
  snprintf(ro, sizeof ro, "%s/ro", fix);
  if (mkdir(ro, 0755) != 0)
    return -1;
  if (mount("tmpfs", ro, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
            "size=64k") == 0)
    ro_mounted = 1;
  else if (chmod(ro, 0555) != 0)
    return -1;
  return 0;
}

static void remove_fixtures(void)
{
  if (ro_mounted)
    umount2(ro, MNT_DETACH);
  if (fix[0] != '\0')
    rm_rf(fix);
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_row)
{
  const row *r = &rows[_i];
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/tmp/sa_bad_case.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  ck_assert_int_eq(chmod(tmp, 0755), 0);
  char out[128], existing[128], errp[128], in[256];
  snprintf(out, sizeof out, "%s/out.h5", tmp);
  snprintf(existing, sizeof existing, "%s/existing.h5", tmp);
  snprintf(errp, sizeof errp, "%s/stderr", tmp);
  snprintf(in, sizeof in, "%s/tests/bad_inputs", src);
  static const char sentinel[] = "not an HDF5 file: must survive\n";
  ck_assert_int_eq(spit(existing, sentinel, sizeof sentinel - 1), 0);

  const char *keys[] = {"@IN@", "@SRC@", "@TMP@", "@OUT@", "@EXISTING@",
                        "@RO@", "@FIX@", NULL};
  const char *vals[] = {in, src, tmp, out, existing, ro, fix, NULL};
  char args[1024], frag[1024];
  expand(r->args, args, sizeof args, keys, vals);
  expand(r->frag, frag, sizeof frag, keys, vals);

  char *argv[MAX_ARGS + 2], *env[MAX_ARGS + 1];
  int na = 0, ne = 0;
  argv[na++] = (char *)bin;
  for (char *w = strtok(args, " "); w != NULL && na < MAX_ARGS;
       w = strtok(NULL, " ")) {
    if (na == 1 && strchr(w, '=') != NULL && ne < MAX_ARGS)
      env[ne++] = w;
    else
      argv[na++] = strcmp(w, "@EMPTY@") == 0 ? "" : w;
  }
  argv[na] = NULL;
  env[ne] = NULL;
  int drop = !ro_mounted && geteuid() == 0 && strstr(r->args, "@RO@");

  int status = run(argv, env, errp, drop);
  char *err = slurp(errp, NULL);
  ck_assert_ptr_nonnull(err);
  size_t nl = 0;
  for (const char *p = err; *p; p++)
    nl += *p == '\n';
  size_t elen = strlen(err);

  ck_assert_msg(status == r->status, "%s: exit status %d, want %d; "
                "stderr: %.300s", r->name, status, r->status, err);
  ck_assert_msg(nl == 1 && elen > 0 && err[elen - 1] == '\n',
                "%s: stderr is %zu lines, want one: %.400s", r->name, nl,
                err);
  ck_assert_msg(strstr(err, frag) != NULL,
                "%s: stderr lacks '%s': %.400s", r->name, frag, err);
  if (r->status != 0) {
    ck_assert_msg(access(out, F_OK) != 0 && errno == ENOENT,
                  "%s: a failed run left %s behind", r->name, out);
    char *kept = slurp(existing, NULL);
    ck_assert_msg(kept != NULL && strcmp(kept, sentinel) == 0,
                  "%s: the existing file was changed", r->name);
    free(kept);
  }
  free(err);
  rm_rf(tmp);
}
END_TEST

/* The table is at least 40 cases, names are unique, and every .json file
 * of tests/bad_inputs is used by some case (none rots unnoticed). */
START_TEST(test_table_complete)
{
  ck_assert_int_ge(n_table_rows, 40);
  for (int i = 0; i < n_rows; i++)
    for (int j = i + 1; j < n_rows; j++)
      ck_assert_msg(strcmp(rows[i].name, rows[j].name) != 0,
                    "case %s is listed twice", rows[i].name);
  char in[256];
  snprintf(in, sizeof in, "%s/tests/bad_inputs", src);
  DIR *d = opendir(in);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
      continue;
    files++;
    char ref[300];
    snprintf(ref, sizeof ref, "@IN@/%s", e->d_name);
    int used = 0;
    for (int i = 0; i < n_table_rows && !used; i++) {
      const char *hit = strstr(rows[i].args, ref);
      used = hit != NULL && (hit[strlen(ref)] == ' ' ||
                             hit[strlen(ref)] == '\0');
    }
    ck_assert_msg(used, "%s is not used by any case in TABLE", e->d_name);
  }
  closedir(d);
  ck_assert_int_ge(files, 40);
}
END_TEST

static Suite *bad_inputs_suite(void)
{
  Suite *s = suite_create("bad_inputs");
  TCase *tc = tcase_create("table");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_table_complete);
  tcase_add_loop_test(tc, test_row, 0, n_rows);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  bin = getenv("SA_BIN");
  src = getenv("SA_SRCDIR");
  if (bin == NULL || src == NULL) {
    fprintf(stderr, "SA_BIN and SA_SRCDIR must be set (meson does)\n");
    return 1;
  }
  char path[512];
  snprintf(path, sizeof path, "%s/tests/bad_inputs/TABLE", src);
  if (load(path, 0) < 0) {
    fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  n_table_rows = n_rows;
  snprintf(path, sizeof path, "%s/tests/bad_configs/EXPECT", src);
  if (load(path, 1) < 0) {
    fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (make_fixtures() < 0) {
    fprintf(stderr, "cannot make the fixtures in %s\n", fix);
    remove_fixtures();
    return 1;
  }
  SRunner *sr = srunner_create(bad_inputs_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  remove_fixtures();
  return failed == 0 ? 0 : 1;
}
