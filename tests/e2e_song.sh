#!/usr/bin/env bash
# examples/stdp_song2000.json as it is (600 s simulated, a few s of wall
# time): the additive-STDP weight distribution must become bimodal and the
# output rate settle.
#
# Criteria: more than 80 % of the weights in the outer 20 % bins, i.e. in
# [0, 0.2 Wmax) or (0.8 Wmax, Wmax] -- the uniform start has 40 % there,
# and seeds 1-3 reach 0.818-0.844 (0.73 after 200 s, so the bound needs
# the full run); at least 10 % of the weights above 0.8 Wmax (both modes
# exist, not just depression to 0); and the output rate of the last 100 s
# within 10 % of the 100 s before (it starts near 84 Hz and settles near
# 20 Hz, drifting by under 3 % per 100 s at the end).
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

"$bin" run "$src/examples/stdp_song2000.json" -o "$tmp/song.h5" --quiet ||
  bad "run exited $?"
"$bin" weights "$tmp/song.h5" in_neuron --csv >"$tmp/w.csv" ||
  bad "weights exited $?"
read -r n outer high < <(awk -F, 'NR > 1 {n++; if ($3 < 0.06 || $3 > 0.24)
  o++; if ($3 > 0.24) h++} END {print n, o + 0, h + 0}' "$tmp/w.csv")
echo "synapses $n, outer 20 % bins $outer, above 0.8 Wmax $high"
[ "$n" = 1000 ] && ok || bad "expected 1000 synapses, got $n"
[ "$outer" -gt 800 ] && ok || bad "only $outer of 1000 weights in the outer bins"
[ "$high" -gt 100 ] && ok || bad "only $high weights near Wmax"
# The first snapshot is the uniform start: about 40 % in the outer bins.
"$bin" weights "$tmp/song.h5" in_neuron --csv --at 0 |
  awk -F, 'NR > 1 {n++; if ($3 < 0.06 || $3 > 0.24) o++}
           END {exit !(o > 300 && o < 500)}' && ok ||
  bad "the first snapshot is not the uniform start"

h5dump -d /spikes/neuron/timestamps -y -w 0 "$tmp/song.h5" |
  tr ',' '\n' | awk '/^ *[0-9.]+ *$/ {t = $1 + 0;
    if (t >= 400000 && t < 500000) a++; if (t >= 500000) b++}
    END {print a + 0, b + 0}' >"$tmp/rates"
read -r a b <"$tmp/rates"
echo "output spikes in 400-500 s: $a, in 500-600 s: $b"
awk -v a="$a" -v b="$b" 'BEGIN {exit !(a > 100 && b > 0.9 * a && b < 1.1 * a)}' &&
  ok || bad "output rate not settled ($a then $b spikes per 100 s)"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
