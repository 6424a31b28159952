/* metrics.c: alignment of a feedback matrix with a forward one.
 * SPDX-License-Identifier: MIT */
#include "sa_metrics.h"
#include <math.h>

const char *const sa_alignment_names[SA_ALIGN_NMETRICS] = {
  "r", "sign_ahmad", "sign_guerguiev", "angle", "norm_ratio"};

/* <a,b>, <a,a>, <b,b> added to acc, in index order. */
static void dots(const double *a, const double *b, size_t n, double acc[3]) {
  double ab = acc[0], aa = acc[1], bb = acc[2];
  for (size_t i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  acc[0] = ab, acc[1] = aa, acc[2] = bb;
}

static double angle_of(const double acc[3], double *na, double *nb) {
  if (na) *na = sqrt(acc[1]);
  if (nb) *nb = sqrt(acc[2]);
  if (acc[1] == 0 || acc[2] == 0) return NAN;
  double c = acc[0] / (sqrt(acc[1]) * sqrt(acc[2]));
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  return acos(c) * (180.0 / M_PI);
}

double sa_angle_deg(const double *a, const double *b, size_t n, double *na,
                    double *nb) {
  double acc[3] = {0, 0, 0};
  dots(a, b, n, acc);
  return angle_of(acc, na, nb);
}

double sa_angle_deg_f(const float *a, const float *b, size_t n, double *na,
                      double *nb) {
  enum { BLOCK = 256 };
  double x[BLOCK], y[BLOCK], acc[3] = {0, 0, 0};
  for (size_t at = 0; at < n; at += BLOCK) {
    size_t m = n - at < BLOCK ? n - at : BLOCK;
    for (size_t i = 0; i < m; i++) {
      x[i] = a[at + i];
      y[i] = b[at + i];
    }
    dots(x, y, m, acc);
  }
  return angle_of(acc, na, nb);
}

void sa_alignment_compute(const double *W, const double *B, size_t n,
                          sa_alignment *out) {
  double nW, nB;
  out->angle = sa_angle_deg(W, B, n, &nW, &nB);
  out->norm_ratio = nW > 0 ? nB / nW : NAN;
  double mw = 0, mb = 0;
  size_t agree = 0, nz = 0, agree_nz = 0;
  for (size_t k = 0; k < n; k++) {
    mw += W[k];
    mb += B[k];
    agree += (W[k] >= 0) == (B[k] >= 0);
    if (B[k] != 0) {
      nz++;
      agree_nz += (B[k] > 0 && W[k] > 0) || (B[k] < 0 && W[k] < 0);
    }
  }
  out->sign_ahmad = n ? (double)agree / (double)n : NAN;
  out->sign_guerguiev = nz ? (double)agree_nz / (double)nz : NAN;
  if (n == 0) {
    out->r = NAN;
    return;
  }
  mw /= (double)n;
  mb /= (double)n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t k = 0; k < n; k++) {
    double dx = W[k] - mw, dy = B[k] - mb;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  out->r = sxx > 0 && syy > 0 ? sxy / (sqrt(sxx) * sqrt(syy)) : NAN;
}

void sa_alignment_row(const sa_alignment *a, double row[SA_ALIGN_NMETRICS]) {
  row[0] = a->r;
  row[1] = a->sign_ahmad;
  row[2] = a->sign_guerguiev;
  row[3] = a->angle;
  row[4] = a->norm_ratio;
}
