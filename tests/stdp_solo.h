/* stdp_solo.h: rules/stdp.c compiled into a program of its own (a test or
 * a bench that chooses the rule's walk), with the checkpoint calls the
 * rule refers to (unused here: they fail) and a small random generator.
 * SPDX-License-Identifier: MIT */
#ifndef SA_STDP_SOLO_H
#define SA_STDP_SOLO_H
#include "../rules/stdp.c"

int sa__ck_put(const sa_ckpt *ck, const char *prefix, const char *name,
               int type, const void *data, size_t n) {
  (void)ck, (void)prefix, (void)name, (void)type, (void)data, (void)n;
  return SA_EINVAL;
}
int sa__ck_get(const sa_ckpt *ck, const char *prefix, const char *name,
               int type, void *data, size_t n) {
  (void)ck, (void)prefix, (void)name, (void)type, (void)data, (void)n;
  return SA_EINVAL;
}
long long sa__ck_len(const sa_ckpt *ck, const char *prefix,
                     const char *name) {
  (void)ck, (void)prefix, (void)name;
  return -1;
}

/* xorshift64; uniform in [0, 1). */
static uint64_t solo_rng = 88172645463325252ull;
static double solo_urand(void) {
  solo_rng ^= solo_rng << 13;
  solo_rng ^= solo_rng >> 7;
  solo_rng ^= solo_rng << 17;
  return (double)(solo_rng >> 11) * 0x1p-53;
}
#endif
