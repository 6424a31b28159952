#!/usr/bin/env python3
"""Weight histogram over time from a weight report (/report/<projection>/).

    python3 examples/analysis/weights.py out.h5 [--projection P] -o weights.png

One panel per projection: each column is the histogram of all weights of
one snapshot (shade: share of synapses), with the median on top. The
layout is SONATA's frame report: data[frame, synapse] and mapping/time.
SPDX-License-Identifier: MIT
"""
import argparse

import matplotlib.pyplot as plt
import numpy as np

import sonata


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default="weights.png")
    ap.add_argument("--projection")
    ap.add_argument("--bins", type=int, default=50)
    a = ap.parse_args()

    reports = sonata.weight_reports(a.file, a.projection)
    fig, axes = plt.subplots(len(reports), 1, figsize=(9, 3.2 * len(reports)),
                             squeeze=False)
    for ax, (name, (times, data, units)) in zip(axes[:, 0], reports.items()):
        lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
        if hi <= lo:
            hi = lo + 1.0
        edges = np.linspace(lo, hi, a.bins + 1)
        hist = np.array([np.histogram(row, bins=edges)[0] / max(len(row), 1)
                         for row in data])
        # Frame k holds until frame k + 1.
        step = np.diff(times).mean() if len(times) > 1 else 1.0
        tedges = np.append(times, times[-1] + step)
        mesh = ax.pcolormesh(tedges, edges, hist.T, cmap="Blues", shading="flat")
        ax.plot(times, np.median(data, axis=1), color="C1", lw=2, label="median")
        ax.set_ylabel("weight (%s)" % (units or "a.u."))
        ax.set_title("%s: %d synapses, %d snapshots" % (name, data.shape[1], len(data)))
        ax.legend(loc="upper left")
        fig.colorbar(mesh, ax=ax, label="share of synapses")
        print("%-16s first median %.3f, last median %.3f %s" % (
            name, np.median(data[0]), np.median(data[-1]), units))
    axes[-1, 0].set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(a.output, dpi=100)
    print("wrote", a.output)


if __name__ == "__main__":
    main()
