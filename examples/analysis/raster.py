#!/usr/bin/env python3
"""Spike raster of a synalign/SONATA spike file, one colour per population.

    python3 examples/analysis/raster.py out.h5 -o raster.png [--from MS --to MS]

SPDX-License-Identifier: MIT
"""
import argparse

import matplotlib.pyplot as plt

import sonata


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default="raster.png")
    ap.add_argument("--population")
    ap.add_argument("--from", dest="t0", type=float, default=None)
    ap.add_argument("--to", dest="t1", type=float, default=None)
    a = ap.parse_args()

    pops = sonata.spikes(a.file, a.population)
    t0 = 0.0 if a.t0 is None else a.t0
    t1 = sonata.duration_ms(a.file, pops) if a.t1 is None else a.t1
    fig, ax = plt.subplots(figsize=(9, 5.6))
    offset = 0
    for name, (t, ids, n) in pops.items():
        keep = (t >= t0) & (t <= t1)
        # Small dots; many spikes get fainter so dense regions read as density.
        alpha = 1.0 if keep.sum() < 20000 else 0.3
        ax.scatter(t[keep], ids[keep] + offset, s=1, lw=0, alpha=alpha,
                   label="%s (%d spikes)" % (name, keep.sum()), rasterized=True)
        offset += n
        ax.axhline(offset, color="0.7", lw=0.5)
    ax.set_xlim(t0, t1)
    ax.set_ylim(0, offset)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron (stacked by population)")
    ax.set_title("raster of %s" % a.file)
    ax.legend(loc="upper right", markerscale=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(a.output, dpi=100)
    print("wrote", a.output)


if __name__ == "__main__":
    main()
