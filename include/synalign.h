/* synalign.h: the one header users include.
 * SPDX-License-Identifier: MIT */
#ifndef SYNALIGN_H
#define SYNALIGN_H
#include "../sim/sa_sim.h"
#include "../sim/sa_metrics.h"
#include "../io/sa_io.h"
#include "../io/sa_view.h"
#endif
