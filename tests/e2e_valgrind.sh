#!/usr/bin/env bash
# e2e_valgrind.sh: one small end-to-end run (every model and connector,
# the writer thread, signals watcher) and an `info` of its file under
# valgrind: no invalid access, no uninitialised use, no leak. Skipped
# (exit 77) when valgrind is not installed.
# SPDX-License-Identifier: MIT
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

vg() { # LOG ARGS...: exit status 1 on any valgrind error
  local log=$1
  shift
  valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
    --log-file="$log" "$bin" "$@"
}

vg "$tmp/run.vg" run "$src/tests/data/small_all.json" -o "$tmp/out.h5" \
  --flush-interval 0.01 --quiet
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "run under valgrind: exit $rc"; cat "$tmp/run.vg"; }
grep -q "ERROR SUMMARY: 0 errors" "$tmp/run.vg" && ok ||
  bad "run: $(grep 'ERROR SUMMARY' "$tmp/run.vg")"

vg "$tmp/info.vg" info "$tmp/out.h5" >"$tmp/info"
rc=$?
[ "$rc" -eq 0 ] && grep -q "status .*complete" "$tmp/info" && ok ||
  { bad "info under valgrind: exit $rc"; cat "$tmp/info.vg"; }

# A refused input takes the error paths: they must not leak either.
vg "$tmp/bad.vg" run "$src/tests/bad_inputs/list_index_out_of_range.json" \
  -o "$tmp/bad.h5" 2>/dev/null
rc=$?
[ "$rc" -eq 2 ] && ok || { bad "bad input under valgrind: exit $rc"; cat "$tmp/bad.vg"; }

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
