/* synalign.h: the one header users include (installed, with the module
 * headers, in include/synalign/; they include each other by file name).
 * SPDX-License-Identifier: MIT */
#ifndef SYNALIGN_H
#define SYNALIGN_H
#include "sa_sim.h"
#include "sa_metrics.h"
#include "sa_io.h"
#include "sa_view.h"
#include "sa_learn.h"
#endif
