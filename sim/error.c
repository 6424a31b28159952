/* error.c: names and messages of the SA_E* error codes.
 * SPDX-License-Identifier: MIT */
#include "sa_sim.h"

const char *sa_strerror(int err) {
  switch (err) {
  case 0: return "success";
#define XX(name, code, msg) case SA_##name: return msg;
  SA_ERRNO_MAP(XX)
#undef XX
  default: return "unknown error";
  }
}

const char *sa_err_name(int err) {
  switch (err) {
  case 0: return "OK";
#define XX(name, code, msg) case SA_##name: return "SA_" #name;
  SA_ERRNO_MAP(XX)
#undef XX
  default: return "SA_UNKNOWN";
  }
}
