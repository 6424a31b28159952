"""Read synalign's SONATA files with h5py: spikes and weight reports.

Shared by the scripts in this folder. SPDX-License-Identifier: MIT
"""
import h5py
import numpy as np


def open_file(path):
    """Open read-only; SWMR so a file whose run is still going opens too."""
    try:
        return h5py.File(path, "r", swmr=True)
    except (OSError, ValueError):
        return h5py.File(path, "r")


def spikes(path, population=None):
    """{population: (times_ms, node_ids, n_nodes)} from /spikes/<pop>/.

    n_nodes is the group's n_nodes attribute (synalign writes it) or, for
    other writers' files, the largest node id + 1.
    """
    out = {}
    with open_file(path) as f:
        for name, g in f["spikes"].items():
            if population is not None and name != population:
                continue
            t = g["timestamps"][:]
            ids = g["node_ids"][:]
            n = int(g.attrs.get("n_nodes", ids.max() + 1 if len(ids) else 1))
            out[name] = (t, ids, n)
    if population is not None and not out:
        raise SystemExit("%s: no population %r" % (path, population))
    return out


def duration_ms(path, pops):
    """The run's length: the tstop attribute, else the last spike."""
    with open_file(path) as f:
        tstop = float(f.attrs.get("tstop", 0.0))
    if tstop > 0:
        return tstop
    last = [t.max() for t, _, _ in pops.values() if len(t)]
    return float(max(last)) if last else 1.0


def weight_reports(path, projection=None):
    """{name: (times_ms, data[frames, synapses], units)} from /report/<name>/.

    Times are mapping/times (each frame's time) when present, else
    start + k * step from mapping/time = (start, stop, step).
    """
    out = {}
    with open_file(path) as f:
        if "report" not in f:
            raise SystemExit("%s has no weight reports (no /report group)" % path)
        for name, g in f["report"].items():
            if projection is not None and name != projection:
                continue
            if "data" not in g:
                continue
            data = g["data"][:]
            m = g.get("mapping", {})
            if "times" in m and len(m["times"]) >= len(data):
                times = m["times"][: len(data)]
            else:
                start, _, step = m["time"][:]
                times = start + step * np.arange(len(data))
            units = g["data"].attrs.get("units", b"")
            units = units.decode() if isinstance(units, bytes) else str(units)
            out[name] = (np.asarray(times), data, units)
    if not out:
        raise SystemExit("%s has no weight reports%s" % (
            path, "" if projection is None else " for %r" % projection))
    return out
