#!/usr/bin/env bash
# tests/fuzz/build.sh: build the libFuzzer harnesses (clang + ASan + UBSan)
# and optionally run them.
#
#   tests/fuzz/build.sh [-d DIR]               build into DIR (build-fuzz/)
#   tests/fuzz/build.sh [-d DIR] -t SECONDS    build, then run each harness
#                                              for SECONDS, both at once
#
# Each run starts from the seed corpus (tests/fuzz/corpus_<name>/, read
# only) and keeps what it finds in DIR/fuzz-out/<name>/ (new inputs in
# corpus/, crashes as crash-* files). Prints executions per second and
# exits 1 if a harness found a crash, 77 if clang is not installed.
# SPDX-License-Identifier: MIT
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
dir=$src/build-fuzz
secs=0
while getopts d:t: o; do
  case $o in
    d) dir=$OPTARG ;;
    t) secs=$OPTARG ;;
    *) echo "usage: $0 [-d DIR] [-t SECONDS]" >&2; exit 2 ;;
  esac
done
command -v clang >/dev/null || { echo "clang not installed: skipped"; exit 77; }

if [[ ! -f $dir/build.ninja ]]; then
  CC=clang meson setup "$dir" "$src" -Dfuzz=true -Dtests=true \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link \
    >"$dir.setup.log" 2>&1 ||
    { cat "$dir.setup.log" >&2; exit 1; }
fi
ninja -C "$dir" tests/fuzz/fuzz_config tests/fuzz/fuzz_spikefile >/dev/null ||
  { ninja -C "$dir" tests/fuzz/fuzz_config tests/fuzz/fuzz_spikefile; exit 1; }
((secs > 0)) || exit 0

export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp
pids=()
for name in config spikefile; do
  out=$dir/fuzz-out/$name
  mkdir -p "$out/corpus"
  # A wedged input is a finding too: -timeout is per input.
  nice -n 19 "$dir/tests/fuzz/fuzz_$name" "$out/corpus" \
    "$src/tests/fuzz/corpus_$name" -max_total_time="$secs" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" \
    >"$out/log" 2>&1 &
  pids+=($!)
done
status=0
for i in 0 1; do
  name=$([[ $i == 0 ]] && echo config || echo spikefile)
  out=$dir/fuzz-out/$name
  wait "${pids[$i]}" || status=1
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
  took=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log")
  echo "fuzz_$name: ${runs:-?} runs, ${took:-?} exec/s, corpus $(ls "$out/corpus" | wc -l) files"
  if grep -q "ERROR: \|==ERROR\|deadly signal\|runtime error" "$out/log"; then
    status=1
    echo "fuzz_$name found a problem; see $out/log and $out/crash-*" >&2
    grep -m5 "ERROR\|runtime error\|SUMMARY" "$out/log" >&2
  fi
done
exit $status
