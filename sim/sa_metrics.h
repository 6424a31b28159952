/* sa_metrics.h: how well a feedback matrix B matches a forward matrix W
 * (../shared/ALGORITHMS.md §0). The one implementation in the library:
 * the spiking estimators (synalign run / align) and the rate networks of
 * learn/ both use it.
 * SPDX-License-Identifier: MIT
 *
 * W and B are given flattened in the same orientation and order: entry k
 * of B is the feedback estimate of the forward weight k (for a
 * projection, the canonical order of sa_net_proj_weights and
 * sa_net_proj_estimate; for a layer, vec(W^T) against vec(B)). Sums are
 * accumulated in double, in index order, so results do not depend on how
 * the vectors were produced. */
#ifndef SA_METRICS_H
#define SA_METRICS_H
#include <stddef.h>

typedef struct sa_alignment {
  double r;              /* Pearson correlation of W and B */
  double sign_ahmad;     /* fraction of entries with sign(B) = sign(W),
                            >= 0 counting as "+" on both (Ahmad et al.) */
  double sign_guerguiev; /* among entries with B != 0, the fraction with
                            sign(B) = sign(W), where W = 0 has sign 0 and
                            never agrees (Guerguiev et al.; a fraction here,
                            their code prints percent) */
  double angle;          /* degrees, 0 .. 180 */
  double norm_ratio;     /* ||B|| / ||W|| */
} sa_alignment;

/* Number of metrics and their names, in the order of sa_alignment_row:
 * "r", "sign_ahmad", "sign_guerguiev", "angle", "norm_ratio". */
enum { SA_ALIGN_NMETRICS = 5 };
extern const char *const sa_alignment_names[SA_ALIGN_NMETRICS];

/* All metrics of B against W (n entries each). Undefined values are NaN:
 * r when either vector is constant, angle when either is zero,
 * sign_guerguiev when B is all zero, norm_ratio when W is zero; n = 0
 * gives NaN everywhere. Never fails. */
void sa_alignment_compute(const double *W, const double *B, size_t n,
                          sa_alignment *out);
/* The metrics as a row in the order of sa_alignment_names. */
void sa_alignment_row(const sa_alignment *a, double row[SA_ALIGN_NMETRICS]);

/* The angle in degrees between a and b (NaN if either is zero), and their
 * norms (either pointer may be NULL). The float form accumulates in double
 * exactly as the double form does on the converted values. */
double sa_angle_deg(const double *a, const double *b, size_t n, double *na,
                    double *nb);
double sa_angle_deg_f(const float *a, const float *b, size_t n, double *na,
                      double *nb);
#endif
