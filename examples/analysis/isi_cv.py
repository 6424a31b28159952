#!/usr/bin/env python3
"""Inter-spike intervals and their coefficient of variation, per population.

    python3 examples/analysis/isi_cv.py out.h5 -o isi_cv.png

Left: the histogram of all ISIs (ms). Right: the histogram of each
neuron's CV = std(ISI) / mean(ISI), over neurons with at least 3 spikes
(CV near 1: Poisson-like irregular firing; near 0: regular).
SPDX-License-Identifier: MIT
"""
import argparse

import matplotlib.pyplot as plt
import numpy as np

import sonata


def isis_and_cvs(t, ids):
    order = np.lexsort((t, ids))          # by neuron, then time
    t, ids = t[order], ids[order]
    same = ids[1:] == ids[:-1]
    isi = np.diff(t)[same]
    owner = ids[1:][same]
    cvs = []
    for n in np.unique(owner):
        x = isi[owner == n]
        if len(x) >= 2 and x.mean() > 0:
            cvs.append(x.std() / x.mean())
    return isi, np.array(cvs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default="isi_cv.png")
    ap.add_argument("--population")
    a = ap.parse_args()

    pops = sonata.spikes(a.file, a.population)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    print("%-16s %10s %12s %8s" % ("population", "ISIs", "mean ISI ms", "mean CV"))
    for name, (t, ids, _) in pops.items():
        isi, cv = isis_and_cvs(t, ids)
        if len(isi):
            ax1.hist(isi, bins=60, histtype="step", lw=1.5, label=name)
        if len(cv):
            ax2.hist(cv, bins=30, histtype="step", lw=1.5, label=name)
        print("%-16s %10d %12.2f %8.3f" % (
            name, len(isi), isi.mean() if len(isi) else float("nan"),
            cv.mean() if len(cv) else float("nan")))
    ax1.set_xlabel("inter-spike interval (ms)")
    ax1.set_ylabel("count")
    ax1.set_title("ISI distribution")
    ax2.set_xlabel("CV of the ISIs (per neuron)")
    ax2.set_ylabel("neurons")
    ax2.set_title("irregularity")
    for ax in (ax1, ax2):
        ax.legend()
    fig.tight_layout()
    fig.savefig(a.output, dpi=100)
    print("wrote", a.output)


if __name__ == "__main__":
    main()
