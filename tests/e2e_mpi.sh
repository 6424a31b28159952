#!/usr/bin/env bash
# MPI (issue 7): `mpirun -np N synalign run` writes one SONATA file whose
# datasets are byte-identical to the one-process run with the same seed:
# CUBA on 2 ranks, 2 ranks x 2 threads; STDP weights (weights --csv) on 2
# ranks and 2 x 2; every connector with weight reports on 3 ranks (uneven
# blocks). Skipped (77) without mpirun or without an MPI build.
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
command -v mpirun >/dev/null || { echo "no mpirun: skipped"; exit 77; }
# meson sets SA_HAVE_MPI; run by hand, look at what the program links.
case ${SA_HAVE_MPI:-} in
  0) echo "built without MPI (-Dmpi=disabled): skipped"; exit 77 ;;
  1) ;;
  *) ldd "$bin" 2>/dev/null | grep -q libmpi ||
       { echo "built without MPI: skipped"; exit 77; } ;;
esac
command -v h5dump >/dev/null || { echo "no h5dump: skipped"; exit 77; }
mpi=(mpirun)
if mpirun --version 2>&1 | grep -q "Open MPI"; then
  # Root in containers and CI; more ranks x threads than this machine's
  # cores; no cross-memory attach (often forbidden in containers).
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_btl_vader_single_copy_mechanism=none
  mpi+=(--oversubscribe)
fi
# The pool even for these small networks, handing the slices to thread 0
# alone and back every few slices (sim/run.c).
export SYNALIGN_POOL=alternate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# h5dump -b writes a dataset's raw bytes: compare those, not printed text.
dump() { h5dump -d "$2" -b LE -o "$tmp/raw" "$1" >/dev/null 2>&1 &&
         cat "$tmp/raw"; }
# Every dataset of the one-process file $1, byte for byte in $2.
same_datasets() {
  local ds n=0
  for ds in $(h5ls -r "$1" | awk '$2 == "Dataset" {print $1}'); do
    dump "$1" "$ds" >"$tmp/a.bin"
    dump "$2" "$ds" >"$tmp/b.bin" || { bad "$3: $ds missing"; continue; }
    if cmp -s "$tmp/a.bin" "$tmp/b.bin"; then ok; else
      bad "$3: $ds differs from the one-process run"; fi
    n=$((n + 1))
  done
  [ $n -gt 0 ] || bad "$3: no datasets in $1"
}

cuba="$src/examples/cuba.json"
"$bin" run "$cuba" -o "$tmp/c1.h5" --duration 300 --seed 7 --quiet ||
  bad "one-process CUBA exited $?"
"${mpi[@]}" -np 2 "$bin" run "$cuba" -o "$tmp/c2.h5" --duration 300 \
  --seed 7 >"$tmp/c2.out" 2>&1 ||
  { bad "-np 2 CUBA exited $?"; cat "$tmp/c2.out"; }
same_datasets "$tmp/c1.h5" "$tmp/c2.h5" "CUBA -np 2"
# Only rank 0 prints (and writes).
[ "$(grep -c '^simulated' "$tmp/c2.out")" -eq 1 ] && ok ||
  bad "-np 2 printed the summary $(grep -c '^simulated' "$tmp/c2.out") times"
"${mpi[@]}" -np 2 "$bin" run "$cuba" -o "$tmp/c22.h5" --duration 300 \
  --seed 7 --threads 2 --quiet || bad "-np 2 --threads 2 CUBA exited $?"
same_datasets "$tmp/c1.h5" "$tmp/c22.h5" "CUBA -np 2 --threads 2"

# Plastic: STDP weights, gathered to rank 0 for the reports.
stdp="$src/tests/data/stdp_small.json"
"$bin" run "$stdp" -o "$tmp/p1.h5" --quiet || bad "one-process STDP exited $?"
"${mpi[@]}" -np 2 "$bin" run "$stdp" -o "$tmp/p2.h5" --quiet ||
  bad "-np 2 STDP exited $?"
"${mpi[@]}" -np 2 "$bin" run "$stdp" -o "$tmp/p22.h5" --threads 2 --quiet ||
  bad "-np 2 --threads 2 STDP exited $?"
for at in 0 250 500 750 1000; do
  "$bin" weights "$tmp/p1.h5" in_out --csv --at $at >"$tmp/w1.csv"
  [ "$(wc -l <"$tmp/w1.csv")" -eq 1001 ] || bad "weights at $at: not 1000 rows"
  for r in p2 p22; do
    "$bin" weights "$tmp/$r.h5" in_out --csv --at $at >"$tmp/w.csv"
    if cmp -s "$tmp/w1.csv" "$tmp/w.csv"; then ok; else
      bad "STDP weights at $at ms differ ($r)"; fi
  done
done
"$bin" weights "$tmp/p1.h5" in_out --csv --at 0 >"$tmp/w0.csv"
cmp -s "$tmp/w0.csv" "$tmp/w1.csv" && bad "STDP changed no weight" || ok
same_datasets "$tmp/p1.h5" "$tmp/p22.h5" "STDP -np 2 --threads 2"

# Every connector (fixed_outdegree and list draw all rows and keep their
# targets; the others skip rows), sources on every rank, weight reports of
# each projection; 3 ranks: uneven blocks, ranks with no synapse of some.
python3 - "$src/tests/data/small_all.json" "$tmp/all.json" <<'EOF' ||
import json, sys
c = json.load(open(sys.argv[1]))
c["record"] = {"spikes": "all", "weights": [
    {"projection": p, "interval": 100.0} for p in
    ["ee", "exc_inh", "inh_exc", "noise_exc", "inh_inh", "stim_inh"]]}
json.dump(c, open(sys.argv[2], "w"))
EOF
  bad "cannot write the connector test network"
"$bin" run "$tmp/all.json" -o "$tmp/a1.h5" --duration 300 --quiet ||
  bad "one-process connectors exited $?"
"${mpi[@]}" -np 3 "$bin" run "$tmp/all.json" -o "$tmp/a3.h5" --duration 300 \
  --threads 2 --quiet || bad "-np 3 --threads 2 connectors exited $?"
same_datasets "$tmp/a1.h5" "$tmp/a3.h5" "connectors -np 3 --threads 2"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
