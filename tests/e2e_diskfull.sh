#!/usr/bin/env bash
# e2e_diskfull.sh: the output disk fills up. On a 2 MiB tmpfs (as root;
# else under `ulimit -f`) a run whose spikes do not fit stops writing with
# one clear line and exit 1; the file closes readable, status
# "interrupted", its spikes are an exact prefix of an unhindered run, and
# the simulation stops there rather than running on for nothing.
# On a disk that is already full the file is not even created (exit 2).
# SPDX-License-Identifier: MIT
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
tmp=$(mktemp -d)
small=$tmp/small
mkdir "$small"
mounted=0
if [ "$(id -u)" -eq 0 ] &&
   mount -t tmpfs -o size=2m tmpfs "$small" 2>/dev/null; then
  mounted=1
fi
trap '[ $mounted = 1 ] && umount "$small"; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
net="$src/examples/cuba.json"
args=(--duration 20000 --seed 5 --flush-interval 0.01 --quiet)
# (10 ms batches: a faster machine must still write several before the
# 2 MiB fill up; each needs 32 bytes a spike plus 1 MiB of headroom.)

# --- the disk fills during the run ------------------------------------------
if [ $mounted = 1 ]; then
  echo "2 MiB tmpfs at $small"
  "$bin" run "$net" -o "$small/out.h5" "${args[@]}" 2>"$tmp/err"
  rc=$?
  want="disk full"
else
  echo "no tmpfs (not root or not allowed): ulimit -f 2048"
  (ulimit -f 2048 && exec "$bin" run "$net" -o "$small/out.h5" "${args[@]}") \
    2>"$tmp/err"
  rc=$?
  want="file size limit"
fi
[ "$rc" -eq 1 ] && ok || bad "exit $rc, want 1; stderr: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "$want" "$tmp/err" && ok ||
  bad "stderr should be one line with '$want': $(cat "$tmp/err")"
"$bin" info "$small/out.h5" >"$tmp/info" 2>&1 && ok ||
  bad "info fails on the file: $(cat "$tmp/info")"
grep -q "status .*interrupted" "$tmp/info" && ok ||
  bad "status is not interrupted: $(cat "$tmp/info")"
n=$(awk '$1 == "exc" {print $3}' "$tmp/info")
[ "${n:-0}" -gt 0 ] && ok || bad "no spikes were kept"

"$bin" run "$net" -o "$tmp/full.h5" "${args[@]}" || bad "reference run failed"
dump() { h5dump -d "$2" -b LE -o "$tmp/raw" "$1" >/dev/null 2>&1 &&
         cat "$tmp/raw"; }
for ds in /spikes/exc/timestamps /spikes/exc/node_ids /spikes/inh/node_ids; do
  dump "$small/out.h5" $ds >"$tmp/s.bin"
  dump "$tmp/full.h5" $ds >"$tmp/f.bin"
  size=$(stat -c %s "$tmp/s.bin")
  full=$(stat -c %s "$tmp/f.bin")
  if [ "$size" -gt 0 ] && [ "$size" -lt "$full" ] &&
     cmp -s -n "$size" "$tmp/s.bin" "$tmp/f.bin"; then ok
  else bad "$ds: $size of $full bytes, not a proper prefix"; fi
done
# The run stops once the writer gives up instead of simulating the rest
# of the 20 s: the spikes it reports as not written are a few batches',
# far fewer than the rest of the unhindered run would have produced.
lost=$(sed -n 's/.*(\([0-9]*\) spikes not written).*/\1/p' "$tmp/err")
"$bin" info "$tmp/full.h5" >"$tmp/finfo" 2>&1
total=$(awk '$1 == "exc" || $1 == "inh" {s += $3} END {print s}' "$tmp/finfo")
kept=$(awk '$1 == "exc" || $1 == "inh" {s += $3} END {print s}' "$tmp/info")
if [ -n "$lost" ] && [ $((2 * lost)) -lt $((total - kept)) ]; then ok
else bad "the run went on after the disk filled: $lost spikes lost," \
         "$kept kept, $total in the full run"; fi

# --- the disk is full before the run -------------------------------------------
if [ $mounted = 1 ]; then
  rm -f "$small/out.h5"
  avail=$(df -k --output=avail "$small" | tail -1)
  dd if=/dev/zero of="$small/fill" bs=1k count=$((avail - 16)) 2>/dev/null
  "$bin" run "$net" -o "$small/out.h5" "${args[@]}" 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 2 ] && ok || bad "full disk: exit $rc, want 2"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
    grep -q "disk full.*the file was not created" "$tmp/err" && ok ||
    bad "full disk: stderr '$(cat "$tmp/err")'"
  [ ! -e "$small/out.h5" ] && ok || bad "full disk: a file was left behind"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
