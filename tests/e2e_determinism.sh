#!/usr/bin/env bash
# Same seed twice -> byte-identical spike datasets; another seed differs;
# --threads 2 is refused until threads exist (never silently ignored).
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

net="$src/examples/cuba.json"
for run in a b; do
  "$bin" run "$net" -o "$tmp/$run.h5" --duration 300 --seed 7 --quiet ||
    bad "run $run exited $?"
done
"$bin" run "$net" -o "$tmp/c.h5" --duration 300 --seed 8 --quiet ||
  bad "run c exited $?"

# h5dump -b writes a dataset's raw bytes: compare those, not printed text.
dump() { h5dump -d "$2" -b LE -o "$tmp/raw" "$1" >/dev/null 2>&1 &&
         cat "$tmp/raw"; }
for ds in /spikes/exc/timestamps /spikes/exc/node_ids \
          /spikes/inh/timestamps /spikes/inh/node_ids; do
  dump "$tmp/a.h5" $ds >"$tmp/a.bin"
  dump "$tmp/b.h5" $ds >"$tmp/b.bin"
  dump "$tmp/c.h5" $ds >"$tmp/c.bin"
  [ -s "$tmp/a.bin" ] || bad "$ds is empty"
  if cmp -s "$tmp/a.bin" "$tmp/b.bin"; then ok; else
    bad "$ds differs between two runs with the same seed"; fi
  if cmp -s "$tmp/a.bin" "$tmp/c.bin"; then
    bad "$ds is identical for seeds 7 and 8"; else ok; fi
done

out=$("$bin" run "$net" -o "$tmp/t.h5" --threads 2 2>&1)
rc=$?
if [ $rc -eq 2 ] && [[ $out == *"only 1 thread"* ]] && [ ! -e "$tmp/t.h5" ]
then ok; else bad "--threads 2: exit $rc, '$out'"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
