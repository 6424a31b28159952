#!/usr/bin/env bash
# e2e_analysis.sh: run the Python analysis examples (examples/analysis/)
# headless on a fresh spike file and on a weight report written here with
# h5py in the SONATA frame-report layout; check their figures and tables.
# Skipped (77) without Debian's h5py, numpy and matplotlib.
# SPDX-License-Identifier: MIT
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
# Debian's packages live with the system interpreter, not a pyenv one.
py=/usr/bin/python3
if ! "$py" -c 'import h5py, numpy, matplotlib' >/dev/null 2>&1; then
  echo "SKIP: python3-h5py, python3-numpy or python3-matplotlib missing"
  exit 77
fi
export MPLBACKEND=Agg MPLCONFIGDIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sa_e2e_analysis.XXXXXX") || exit 1
MPLCONFIGDIR=$tmp/mpl
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
an=$src/examples/analysis

"$bin" run "$src/examples/cuba.json" -o "$tmp/cuba.h5" --duration 500 \
  --quiet || bad "run failed"

is_png() { # FILE: a PNG of some size
  [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = \
    "89504e470d0a1a0a" ] && [ "$(stat -c %s "$1")" -gt 10000 ]
}

"$py" "$an/raster.py" "$tmp/cuba.h5" -o "$tmp/raster.png" --to 300 \
  >"$tmp/out" 2>&1 && is_png "$tmp/raster.png" && ok ||
  bad "raster.py: $(tail -3 "$tmp/out")"

"$py" "$an/isi_cv.py" "$tmp/cuba.h5" -o "$tmp/isi.png" >"$tmp/out" 2>&1 &&
  is_png "$tmp/isi.png" && ok || bad "isi_cv.py: $(tail -3 "$tmp/out")"
# CUBA fires irregularly: mean CV of the excitatory neurons well above 0.3.
awk '$1 == "exc" && $4 > 0.3 {f = 1} END {exit !f}' "$tmp/out" && ok ||
  bad "isi_cv.py: implausible CV table: $(cat "$tmp/out")"

"$py" "$an/rates.py" "$tmp/cuba.h5" -o "$tmp/rates.png" >"$tmp/out" 2>&1 &&
  is_png "$tmp/rates.png" && ok || bad "rates.py: $(tail -3 "$tmp/out")"
# The rates agree with synalign info to the printed digits.
"$bin" info "$tmp/cuba.h5" >"$tmp/info"
for p in exc inh; do
  a=$(awk -v p=$p '$1 == p {print $4}' "$tmp/out")
  b=$(awk -v p=$p '$1 == p {print $4}' "$tmp/info")
  [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "rate of $p: rates.py '$a', info '$b'"
done

# A weight report, SONATA frame layout, as the writer lays it out.
"$py" - "$tmp/w.h5" <<'PY' || bad "could not write the report file"
import sys
import h5py
import numpy as np
rng = np.random.default_rng(1)
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["magic"] = np.uint32(0x0A7A)
    f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
    g = f.create_group("report/in_exc")
    w0 = rng.uniform(10, 20, 500)
    target = np.where(np.arange(500) % 2, 30.0, 0.0)
    frames = [w0 + (target - w0) * k / 20 for k in range(21)]
    d = g.create_dataset("data", data=np.array(frames, dtype=np.float32))
    d.attrs["units"] = "pA"
    m = g.create_group("mapping")
    m.create_dataset("time", data=np.array([0.0, 2100.0, 100.0]))
    m.create_dataset("times", data=np.arange(21) * 100.0)
PY
"$py" "$an/weights.py" "$tmp/w.h5" -o "$tmp/weights.png" >"$tmp/out" 2>&1 &&
  is_png "$tmp/weights.png" && ok || bad "weights.py: $(tail -3 "$tmp/out")"
grep -q 'in_exc' "$tmp/out" && ok || bad "weights.py printed no summary"
# Without reports: a clear message, non-zero exit.
if "$py" "$an/weights.py" "$tmp/cuba.h5" -o "$tmp/x.png" >"$tmp/out" 2>&1
then bad "weights.py succeeded on a file without reports"
else grep -q 'has no weight reports' "$tmp/out" && ok ||
  bad "weights.py without reports: $(cat "$tmp/out")"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
