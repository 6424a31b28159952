#!/usr/bin/env bash
# weight_inference_sweep.sh: examples/weight_inference.json over input
# correlation c and seeds; one table of every estimator's Pearson r and sign
# agreement (Ahmad's convention) at several simulated durations, mean and
# standard deviation over the seeds.
#
# usage: examples/weight_inference_sweep.sh [SYNALIGN]
#   SYNALIGN     the program (default: build/cli/synalign, then synalign)
# environment:
#   CORR="0 0.1 0.2"   input correlations
#   SEEDS="1 2 3 4 5"  seeds
#   AT="20 50 100 200" durations in s (the longest is simulated; metrics
#                      are recorded every 10 s, so each must be a multiple
#                      of 10)
#   JOBS=2             runs at a time
#   NET=examples/weight_inference.json
#   OUT=DIR            keep the .h5 files there (default: a temporary folder)
#
# A duration is one point of a run's alignment curve: the durations of one
# (c, seed) share one run, and each run is one synalign process (about 4 s
# of one core per 200 s simulated with the example's seven estimators).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
if [ -z "$BIN" ]; then
  BIN=synalign
  [ -x build/cli/synalign ] && BIN=build/cli/synalign
fi
CORR=${CORR:-"0 0.1 0.2"}
SEEDS=${SEEDS:-"1 2 3 4 5"}
AT=${AT:-"20 50 100 200"}
JOBS=${JOBS:-2}
NET=${NET:-examples/weight_inference.json}
if [ -n "${OUT:-}" ]; then
  DIR=$OUT
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d)
  trap 'rm -rf "$DIR"' EXIT
fi
LAST=0
for t in $AT; do [ "$t" -gt "$LAST" ] && LAST=$t; done

# One network file per correlation: the stimulus population's value.
for c in $CORR; do
  sed -E "s/\"correlation\": *[0-9.eE+-]+/\"correlation\": $c/" "$NET" \
    > "$DIR/net_c$c.json"
  grep -q "\"correlation\": $c" "$DIR/net_c$c.json" ||
    { echo "$NET: no \"correlation\" parameter to set" >&2; exit 2; }
done

run_one() {   # c seed
  "$BIN" run "$DIR/net_c$1.json" -q --seed "$2" --duration "${LAST}000" \
    -o "$DIR/c$1_s$2.h5" --overwrite
  "$BIN" align "$DIR/c$1_s$2.h5" --csv | sed "s/^/$1,$2,/" \
    > "$DIR/c$1_s$2.csv"
}
export -f run_one
export BIN DIR LAST
T0=$(date +%s)
for c in $CORR; do for s in $SEEDS; do echo "$c $s"; done; done |
  xargs -P "$JOBS" -n 2 bash -c 'run_one "$0" "$1"'
T1=$(date +%s)

# c,seed,projection,rule,t_ms,r,sign_ahmad,sign_guerguiev,angle,norm_ratio
printf "%-5s %-15s" c rule
for t in $AT; do printf "  %17s" "$t s: r / sign"; done
printf "  (mean over seeds; sd at %s s)\n" "$LAST"
cat "$DIR"/c*_s*.csv | grep -v ',projection,' | awk -F, -v at="$AT" '
  BEGIN { n = split(at, A, " ") }
  {
    for (k = 1; k <= n; k++)
      if ($5 + 0 == A[k] * 1000) {
        key = $1 SUBSEP $4 SUBSEP A[k]
        cnt[key]++; sr[key] += $6; srr[key] += $6 * $6
        ss[key] += $7; sss[key] += $7 * $7
        rows[$1 SUBSEP $4] = 1
      }
  }
  function sd(s, s2, m) { return m > 1 ? sqrt((s2 - s * s / m) / (m - 1)) : 0 }
  END {
    for (row in rows) {
      split(row, kv, SUBSEP)
      printf "%-5s %-15s", kv[1], kv[2]
      for (k = 1; k <= n; k++) {
        key = kv[1] SUBSEP kv[2] SUBSEP A[k]
        if (cnt[key])
          printf "  %8.3f / %6.3f", sr[key] / cnt[key], ss[key] / cnt[key]
        else printf "  %17s", "-"
      }
      key = kv[1] SUBSEP kv[2] SUBSEP A[n]
      printf "  sd %.3f / %.3f  n=%d\n", sd(sr[key], srr[key], cnt[key]),
             sd(ss[key], sss[key], cnt[key]), cnt[key]
    }
  }' | sort -k1,1g -k2,2
echo "($(echo $CORR | wc -w) correlations x $(echo $SEEDS | wc -w) seeds," \
     "${LAST} s simulated each, $((T1 - T0)) s wall with JOBS=$JOBS)"
