#!/usr/bin/env bash
# e2e_learn.sh: synalign train with the spiking feedback strategies (rdd,
# stdwi) on the 8x8 digits: runs, prints epochs, writes the metrics file,
# and refuses a bad --spike-time. Needs SA_BIN and SA_SRCDIR (meson sets
# both). Exit 77 (skipped) when the digits files are nowhere.
# SPDX-License-Identifier: MIT
set -u

: "${SA_BIN:?SA_BIN must name the synalign program}"
: "${SA_SRCDIR:?SA_SRCDIR must name the source root}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sa_e2e_learn.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SA_BIN" train --help | grep -q -- '--spike-time' ||
  fail "train --help does not name --spike-time"
"$SA_BIN" compare --help | grep -q -- '--spike-time' ||
  fail "compare --help does not name --spike-time"
"$SA_BIN" train --task digits --algo stdwi --spike-time -1 2>/dev/null
[ $? -eq 2 ] || fail "--spike-time -1 was not refused with status 2"

out="$tmp/stdwi.h5"
"$SA_BIN" train --task digits --algo stdwi --epochs 2 --spike-time 5 \
  -o "$out" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q 'digits' "$tmp/log" && [ ! -e "$out" ]; then
  cat "$tmp/log"
  echo "SKIP: no digits data"
  exit 77
fi
[ "$rc" -eq 0 ] || { cat "$tmp/log"; fail "train --algo stdwi: status $rc"; }
[ "$(grep -c '^stdwi .* epoch ' "$tmp/log")" -eq 2 ] ||
  { cat "$tmp/log"; fail "train --algo stdwi: not two epoch lines"; }
[ -s "$out" ] || fail "no metrics file"

"$SA_BIN" train --task digits --algo rdd --epochs 1 --spike-time 2 \
  --quiet -o "$tmp/rdd.h5" || fail "train --algo rdd"

py=/usr/bin/python3
if "$py" -c 'import h5py' >/dev/null 2>&1; then
  "$py" - "$out" "$tmp/rdd.h5" <<'PY' || fail "metrics file contents"
import sys, h5py, math
for path, algo, n in ((sys.argv[1], "stdwi", 2), (sys.argv[2], "rdd", 1)):
    with h5py.File(path, "r") as f:
        g = f["metrics"][algo]["1"]
        acc = g["test_accuracy"][()]
        assert len(acc) == n, (algo, acc)
        assert all(0 < a <= 100 for a in acc), (algo, acc)
        ang = g["weight_angle"][()]
        assert all(0 <= a <= 180 for a in ang[-1]), (algo, ang)
        # hidden -> output after 2 x 5 s of STDWI: 69.9 degrees measured
        # (fa: 89.3); 2 s of RDD is too short to show anything
        if algo == "stdwi":
            assert ang[-1][1] < 80, (algo, ang)
        assert g.attrs["spike_time"] == (5.0 if algo == "stdwi" else 2.0)
PY
else
  echo "note: h5py missing, file contents not checked"
fi
echo "PASS"
