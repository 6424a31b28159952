/* proj_set.c: replacing a projection's weights between runs (the learning
 * lab copies a rate network's W into a live spiking network every epoch).
 * SPDX-License-Identifier: MIT
 *
 * Only the weights change: synapses, delays, neuron state, ring buffers
 * (spikes already in flight keep the weight they were sent with) and the
 * rules' state stay, so estimators continue from what they have learnt. */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A projection of one weight (hom, sim/internal.h) given weights that
 * are not all the same float: it gets a float array per part, all
 * allocated before anything changes, and is an ordinary static projection
 * from then on. Given one weight again, it stays hom with that weight. */
static int unhom(sa_net *net, proj *j, const double *w) {
  float w0 = j->nsyn ? (float)w[0] : j->whom;
  uint64_t q = 1;
  for (; q < j->nsyn; q++) {
    float wq = (float)w[q];
    if (memcmp(&wq, &w0, sizeof wq)) break;
  }
  if (q >= j->nsyn) {
    j->whom = w0;
    return 0;
  }
  for (int t = 0; t < j->nparts; t++) {
    part *p = &j->parts[t];
    p->w = malloc((p->nsyn ? p->nsyn : 1) * sizeof *p->w);
    if (!p->w) {
      for (int u = 0; u <= t; u++) {
        free(j->parts[u].w);
        j->parts[u].w = NULL;
      }
      return sa__seterr(net, SA_ENOMEM, "out of memory for the weights "
                        "of '%s'", j->name);
    }
  }
  j->hom = 0;
  return 0;
}

int sa_net_proj_set_weights(sa_net *net, int pj, const double *w) {
  if (pj < 0 || pj >= net->nprojs)
    return sa__seterr(net, SA_EINVAL, "no projection %d", pj);
  proj *j = &net->projs[pj];
  int pos = 0, neg = 0, plastic = 0;
  for (uint64_t q = 0; q < j->nsyn; q++) {
    if (!isfinite(w[q]))
      return sa__seterr(net, SA_EINVAL, "projection '%s': weight %llu is "
                        "not finite", j->name, (unsigned long long)q);
    pos |= w[q] > 0;
    neg |= w[q] < 0;
  }
  if ((j->receptor == SA_RECEPTOR_EXCITATORY && neg) ||
      (j->receptor == SA_RECEPTOR_INHIBITORY && pos))
    return sa__seterr(net, SA_EINVAL, "projection '%s': a weight has the "
                      "wrong sign for its receptor", j->name);
  for (int r = 0; r < j->nrules; r++)
    plastic |= j->rules[r]->kind == SA_RULE_PLASTIC;
  /* The same test as sa_net_prepare's, on the new weights (MPI: every
   * rank's synapses, hence collective). */
  pos = sa__dist_any(net, pos);
  neg = sa__dist_any(net, neg);
  if (j->receptor == SA_RECEPTOR_AUTO && plastic && pos && neg)
    return sa__seterr(net, SA_EINVAL, "projection '%s': a projection with "
                      "a rule needs weights of one sign", j->name);
  /* A plastic rule's pending updates are brought in first, so that none
   * is applied later on top of the new weights. */
  for (int t = 0; t < j->nparts; t++)
    for (int r = 0; r < j->nrules; r++)
      if (j->parts[t].rstate[r]) {
        sa_syn_view v = sa__view(net, j, t);
        j->rules[r]->materialize(j->parts[t].rstate[r], &v, net->now);
      }
  if (j->hom) {
    int rc = unhom(net, j, w);
    if (rc) return rc;
  }
  /* Canonical order: by source, then part, then row (as
   * sa_net_proj_weights). */
  uint32_t nsrc = net->pops[j->src]->n;
  uint64_t c = 0;
  for (uint32_t i = 0; i < nsrc; i++)
    for (int t = 0; t < j->nparts; t++) {
      part *p = &j->parts[t];
      for (uint64_t q = p->row[i]; q < p->row[i + 1]; q++, c++) {
        if (p->w)
          p->w[q] = (float)w[c];
        else if (p->wd)
          p->wd[q] = w[c];
      }
    }
  /* Routing by sign (receptor auto, sign 0) or to one side: what
   * sa_net_prepare decides, redone for the new weights once it has been
   * decided (before, prepare does it). */
  if (j->receptor == SA_RECEPTOR_AUTO && j->nrules && net->prepared)
    j->sign = pos && neg ? 0 : neg ? -1 : 1;
  return 0;
}
