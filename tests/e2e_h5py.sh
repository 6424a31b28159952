#!/usr/bin/env bash
# e2e_h5py.sh: run one DC-driven neuron through the synalign program and
# check the spike file with h5py, an independent SONATA reader.
# Needs SA_BIN (the built program) and SA_SRCDIR (the source root); meson
# sets both. Exit 77 (skipped) when Debian's h5py is missing.
# SPDX-License-Identifier: MIT
set -u

: "${SA_BIN:?SA_BIN must name the synalign program}"
: "${SA_SRCDIR:?SA_SRCDIR must name the source root}"

# Debian's h5py lives with the system interpreter, not with a pyenv
# python3 that may come first on PATH.
py=/usr/bin/python3
if ! "$py" -c 'import h5py' >/dev/null 2>&1; then
  echo "SKIP: h5py not installed"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sa_e2e_h5py.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

net="$SA_SRCDIR/examples/dc_neuron.json"
if [ ! -f "$net" ]; then
  # The same experiment, should the example ever move.
  net="$tmp/net.json"
  cat >"$net" <<'EOF'
{"dt": 0.1, "duration": 100.0, "seed": 1,
 "populations": {"n": {"model": "lif_delta", "n": 1,
                       "params": {"I_e": 1000.0}}},
 "record": {"spikes": ["n"]}}
EOF
fi

out="$tmp/out.h5"
"$SA_BIN" run "$net" -o "$out" --quiet
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: synalign run $net exited with status $rc" >&2
  exit 1
fi

"$py" - "$out" <<'EOF'
import sys

import h5py
import numpy as np

path = sys.argv[1]
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def text(v):
    return v.decode() if isinstance(v, (bytes, np.bytes_)) else str(v)


with h5py.File(path, "r") as f:
    magic = f.attrs.get("magic")
    expect(magic is not None and int(magic) == 0x0A7A,
           "root attr magic is %r, want 0x0A7A" % (magic,))
    expect(f.attrs.get_id("magic").dtype == np.uint32, "magic is not uint32")
    version = f.attrs.get("version")
    expect(version is not None and [int(x) for x in version] == [0, 1],
           "root attr version is %r, want [0, 1]" % (version,))
    expect(text(f.attrs.get("status", b"")) == "complete",
           "status is %r, want 'complete'" % (f.attrs.get("status"),))

    pops = list(f["spikes"].keys()) if "spikes" in f else []
    # The brief's network names the population "n"; the example "neuron".
    name = "n" if "n" in pops else (pops[0] if pops else None)
    expect(name is not None, "no population under /spikes")
    if name is not None:
        g = f["spikes"][name]
        ts, ids = g["timestamps"], g["node_ids"]
        expect(ts.dtype == np.float64, "timestamps dtype %s" % ts.dtype)
        expect(ids.dtype == np.uint64, "node_ids dtype %s" % ids.dtype)
        expect(text(ts.attrs.get("units", b"")) == "ms",
               "timestamps units %r, want 'ms'" % (ts.attrs.get("units"),))

        sdt = g.attrs.get_id("sorting").dtype
        enum = h5py.check_enum_dtype(sdt)
        expect(enum == {"none": 0, "by_id": 1, "by_time": 2},
               "sorting is not the SONATA enum: %r" % (enum,))
        expect(sdt.kind == "i" and sdt.itemsize == 1,
               "sorting base type %s, want int8" % sdt)
        expect(int(g.attrs["sorting"]) == 2, "sorting is not by_time (2)")

        t, i = ts[:], ids[:]
        # NEST defaults, I_e = 1000 pA: V crosses V_th at 4.7000 ms, stamped
        # at the next grid point 4.8 ms; then every t_ref + 4.8 = 6.8 ms.
        want = 4.8 + 6.8 * np.arange(len(t))
        expect(len(t) >= 3, "%d spikes, want at least 3" % len(t))
        expect(np.allclose(t[:3], [4.8, 11.6, 18.4], rtol=0, atol=1e-9),
               "first spikes %s, want 4.8 11.6 18.4" % t[:3])
        expect(np.allclose(t, want, rtol=0, atol=1e-9),
               "spike times %s, want 4.8 + 6.8 k" % t)
        expect(len(i) == len(t) and bool(np.all(i == 0)),
               "node ids %s, want all 0" % i)

for e in errors:
    print("FAIL: %s: %s" % (path, e), file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "e2e_h5py: spike file checked with h5py"
fi
exit "$rc"
