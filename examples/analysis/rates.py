#!/usr/bin/env python3
"""Firing rate per population: a table and the rate over time.

    python3 examples/analysis/rates.py out.h5 -o rates.png [--bin MS]

SPDX-License-Identifier: MIT
"""
import argparse

import matplotlib.pyplot as plt
import numpy as np

import sonata


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default="rates.png")
    ap.add_argument("--bin", type=float, default=10.0, help="bin width, ms")
    a = ap.parse_args()

    pops = sonata.spikes(a.file)
    tstop = sonata.duration_ms(a.file, pops)
    edges = np.arange(0.0, tstop + a.bin, a.bin)
    fig, ax = plt.subplots(figsize=(9, 4))
    print("%-16s %10s %12s %10s" % ("population", "neurons", "spikes", "rate (Hz)"))
    for name, (t, _, n) in pops.items():
        mean = len(t) / n / (tstop / 1000.0)
        print("%-16s %10d %12d %10.3f" % (name, n, len(t), mean))
        counts, _ = np.histogram(t, bins=edges)
        ax.step(edges[:-1], counts / n / (a.bin / 1000.0), where="post",
                label="%s (mean %.2f Hz)" % (name, mean))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.set_xlim(0, tstop)
    ax.set_title("population rates, %g ms bins" % a.bin)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.output, dpi=100)
    print("wrote", a.output)


if __name__ == "__main__":
    main()
