/* fb_simple.c: backprop, feedback alignment, and feedback supplied from
 * outside.
 * SPDX-License-Identifier: MIT
 *
 * bp: delta_{l-1} = (W_l^T delta_l) o f'(z_{l-1}) (no stored B).
 * fa: the same with a fixed random B_l drawn from W's init law (Lillicrap
 *     2016; ALGORITHMS.md §4a), drawn in sa_mlp_create.
 * external: fa whose B_l is replaced before every epoch by the caller's
 *     sa_feedback_fn -- the hook for feedback estimated elsewhere (a
 *     spiking RDD / STDWI network, ALGORITHMS.md §1c). */
#include "internal.h"
#include <stdlib.h>

const sa_fb_vt sa__fb_bp = {
  .name = "bp", .abi = 1,
  .summary = "backprop: B = W^T",
  .default_lr = 0.2,
};

const sa_fb_vt sa__fb_fa = {
  .name = "fa", .abi = 1,
  .summary = "feedback alignment: fixed random B",
  .default_lr = 0.2, .stores_b = 1,
};

static int ext_check(const sa_mlp *net, char *err, size_t errlen)
{
  if (net->cfg.feedback_fn == NULL) {
    sa__errf(err, errlen, "the external strategy needs a feedback "
             "function (sa_learn_config.feedback_fn)");
    return SA_EINVAL;
  }
  return 0;
}

static int ext_epoch_begin(sa_mlp *net, int epoch, size_t n_train)
{
  (void)epoch, (void)n_train;
  for (int l = 2; l <= net->L; l++) {
    size_t nw = (size_t)net->n[l] * net->n[l - 1];
    float *B = malloc(nw * sizeof *B);
    if (B == NULL)
      return SA_ENOMEM;
    int rc = net->cfg.feedback_fn(net->cfg.feedback_ud, net, l, net->W[l],
                                  B);
    if (rc == 0)
      rc = sa_mlp_set_feedback(net, l, B);
    free(B);
    if (rc < 0)
      return net->err[0] ? rc
                         : sa__set_err(net, rc, "feedback function failed "
                                       "at layer %d", l);
  }
  return 0;
}

const sa_fb_vt sa__fb_external = {
  .name = "external", .abi = 1,
  .summary = "fa with B set before each epoch by a callback (RDD/STDWI "
             "hook)",
  .default_lr = 0.2, .stores_b = 1,
  .check = ext_check, .epoch_begin = ext_epoch_begin,
};
