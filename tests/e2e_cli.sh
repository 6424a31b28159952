#!/usr/bin/env bash
# e2e_cli.sh: end-to-end checks of the synalign program's command line and
# of how it reports broken network files (tests/bad_configs/EXPECT).
# Needs SA_BIN (the built program) and SA_SRCDIR (the source root); meson
# sets both.
# SPDX-License-Identifier: MIT
set -u

: "${SA_BIN:?SA_BIN must name the synalign program}"
: "${SA_SRCDIR:?SA_SRCDIR must name the source root}"

bad_dir="$SA_SRCDIR/tests/bad_configs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sa_e2e_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

ok() {
  passed=$((passed + 1))
}

bad() {
  failed=$((failed + 1))
  printf 'FAIL: %s\n' "$*" >&2
}

# --- a broken network file must fail cleanly --------------------------------
# Exit status as listed, exactly one line on stderr holding the fragment,
# and no output file left behind.
check_bad_config() {
  local file=$1 want_rc=$2 frag=$3
  local out="$tmp/out.h5" errf="$tmp/stderr" rc lines
  rm -f "$out"
  "$SA_BIN" run "$bad_dir/$file" -o "$out" --quiet >"$tmp/stdout" 2>"$errf"
  rc=$?
  lines=$(wc -l <"$errf")
  if [ "$rc" -ne "$want_rc" ]; then
    bad "$file: exit status $rc, want $want_rc; stderr: $(head -c 300 "$errf")"
  elif [ "$lines" -ne 1 ]; then
    bad "$file: stderr has $lines lines, want 1: $(head -c 300 "$errf")"
  elif ! grep -qF -- "$frag" "$errf"; then
    bad "$file: stderr lacks '$frag': $(cat "$errf")"
  elif [ -e "$out" ]; then
    bad "$file: an output file was created"
  else
    ok
  fi
}

if [ ! -r "$bad_dir/EXPECT" ]; then
  bad "cannot read $bad_dir/EXPECT"
else
  listed=0
  while IFS=$'\t' read -r file want_rc frag; do
    case $file in '' | '#'*) continue ;; esac
    listed=$((listed + 1))
    if [ ! -f "$bad_dir/$file" ]; then
      bad "$file: listed in EXPECT but missing"
      continue
    fi
    check_bad_config "$file" "$want_rc" "$frag"
  done <"$bad_dir/EXPECT"
  # Every malformed file is listed, so none is silently skipped.
  for f in "$bad_dir"/*.json; do
    name=${f##*/}
    if cut -f1 "$bad_dir/EXPECT" | grep -qxF -- "$name"; then ok
    else bad "$name: not listed in EXPECT"; fi
  done
  if [ "$listed" -ge 12 ]; then ok
  else bad "EXPECT lists only $listed files"; fi
fi

# --- version, help, missing file ---------------------------------------------
v=$("$SA_BIN" --version 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s\n' "$v" | grep -qF "synalign 0.1.0"; then ok
else bad "--version: exit $rc, printed '$v'"; fi

h=$("$SA_BIN" run --help 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s\n' "$h" | grep -qF -- "--seed"; then ok
else bad "run --help: exit $rc, or no mention of --seed"; fi

"$SA_BIN" run "$tmp/missing.json" -o "$tmp/x.h5" >/dev/null 2>"$tmp/stderr"
rc=$?
if [ "$rc" -eq 2 ] && grep -qF "missing.json: cannot open" "$tmp/stderr" &&
   [ ! -e "$tmp/x.h5" ]; then ok
else bad "run missing.json: exit $rc, stderr: $(cat "$tmp/stderr")"; fi

# --- plot curves of a learning results file ---------------------------------
if "$SA_BIN" train --task digits --epochs 2 --quiet -o "$tmp/learn.h5" \
     >/dev/null 2>"$tmp/stderr"; then
  "$SA_BIN" plot curves "$tmp/learn.h5" -o "$tmp/curves.png" --size 500x300 \
    2>"$tmp/stderr"
  rc=$?
  sig=$(head -c 8 "$tmp/curves.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')
  # PNG signature, then the IHDR chunk's width and height (big-endian).
  wh=$(head -c 24 "$tmp/curves.png" 2>/dev/null | tail -c 8 | od -An -tx1 |
       tr -d ' \n')
  if [ "$rc" -eq 0 ] && [ "$sig" = 89504e470d0a1a0a ] &&
     [ "$wh" = 000001f40000012c ]; then ok
  else
    bad "plot curves: exit $rc, signature '$sig', size '$wh':" \
        "$(cat "$tmp/stderr")"
  fi
else
  echo "plot curves of a trained run: skipped ($(head -c 200 "$tmp/stderr"))"
fi
# Anything else is refused with exit status 2 and no figure.
for f in "$SA_SRCDIR/examples/cuba.json" "$tmp/missing.h5"; do
  "$SA_BIN" plot curves "$f" -o "$tmp/bad.png" >/dev/null 2>"$tmp/stderr"
  rc=$?
  if [ "$rc" -eq 2 ] && [ ! -e "$tmp/bad.png" ] &&
     { grep -qF "is not a learning results file" "$tmp/stderr" ||
       grep -qF "no such file" "$tmp/stderr"; }; then ok
  else bad "plot curves ${f##*/}: exit $rc, stderr: $(cat "$tmp/stderr")"; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
