#!/usr/bin/env bash
# e2e_serve.sh: the live view and the spike stream, end to end, on loopback
# ports the system picks (port 0). Checks: the page is served and
# self-contained; /events carries meta and spike frames; the binary stream
# carries every spike of the run (--stream-wait) and ends with its end
# record; garbage requests, oversized heads, vanished and stalled clients
# and a crowd of clients change nothing: the spike file is byte-identical
# to a run without --serve. Every network call is bounded by a timeout.
# SPDX-License-Identifier: MIT
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
py=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
[ -n "$py" ] || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sa_e2e_serve.XXXXXX") || exit 1
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
net="$src/examples/cuba.json"
args=(--duration 4000 --seed 5 --quiet)

"$bin" run "$net" -o "$tmp/ref.h5" "${args[@]}" || bad "reference run failed"

"$bin" run "$net" -o "$tmp/srv.h5" "${args[@]}" --serve 127.0.0.1:0 \
  --stream tcp://127.0.0.1:0 --stream-wait --serve-linger 60 \
  >"$tmp/out" 2>"$tmp/err" &
run=$!
pids+=("$run")
url= stream=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/err" | head -1)
  stream=$(grep -o 'tcp://127\.0\.0\.1:[0-9]*' "$tmp/err" | head -1)
  [ -n "$url" ] && [ -n "$stream" ] && break
  sleep 0.1
done
[ -n "$url" ] && [ -n "$stream" ] || { bad "no addresses: $(cat "$tmp/err")"; echo "$pass passed, $fail failed"; exit 1; }
port=${url##*:}

# The page: HTML, self-contained (no external scripts, styles, fonts).
curl -s -m 5 "$url/" >"$tmp/page.html" || bad "GET / failed"
grep -q '<canvas' "$tmp/page.html" && grep -q 'EventSource' "$tmp/page.html" &&
  ok || bad "GET / is not the live page"
if grep -Eiq '(src|href)="(https?:)?//' "$tmp/page.html"; then
  bad "the page loads external resources"; else ok; fi
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/nope")
[ "$code" = 404 ] && ok || bad "GET /nope gave $code, want 404"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$url/")
[ "$code" = 405 ] && ok || bad "POST / gave $code, want 405"

# A page's event stream for the whole run (bounded by -m).
curl -s -N -m 30 "$url/events" >"$tmp/events" 2>/dev/null &
pids+=($!)

# Garbage and misbehaving clients, all while the run goes on.
raw() { # send stdin to the port, read at most 2 s of answer
  timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3;
                     timeout 2 cat <&3" 2>/dev/null
}
printf 'GARBAGE\r\n\r\n' | raw | head -1 | grep -q ' 400 ' && ok ||
  bad "garbage request not answered 400"
head -c 20000 /dev/urandom | raw >/dev/null
printf 'GET /%s HTTP/1.1\r\n' "$(head -c 9000 /dev/zero | tr '\0' a)" |
  raw | head -1 | grep -q ' 431 ' && ok || bad "oversized head not 431"
printf 'GET / HTTP/1.1\r\nHost: x' | timeout 3 bash -c \
  "exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3; exec 3>&-" 2>/dev/null
# Twenty pages that vanish after a moment, and one that never reads.
for _ in $(seq 20); do curl -s -N -m 1 "$url/events" >/dev/null 2>&1 & done
timeout 8 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port;
  printf 'GET /events HTTP/1.1\r\n\r\n' >&3; sleep 6" 2>/dev/null &
pids+=($!)

# The stream client starts the run (--stream-wait) and reads it all.
timeout 120 "$py" "$src/examples/stream_client.py" "$stream" \
  >"$tmp/stream" 2>&1 || bad "stream client: $(tail -2 "$tmp/stream")"

for _ in $(seq 600); do
  grep -q 'serving for' "$tmp/err" && break
  kill -0 "$run" 2>/dev/null || break
  sleep 0.1
done
grep -q 'serving for' "$tmp/err" && ok || bad "run did not finish: $(cat "$tmp/err")"

# After the run: status says ended; a late page gets history and the end.
curl -s -m 5 "$url/status" | grep -q '"ended":true' && ok ||
  bad "/status does not say ended"
curl -s -N -m 3 "$url/events" >"$tmp/late" 2>/dev/null
grep -q '^event: meta' "$tmp/late" && grep -q '^event: spikes' "$tmp/late" &&
  grep -q '^event: end' "$tmp/late" && ok ||
  bad "late page lacks meta/spikes/end: $(head -c 300 "$tmp/late")"

kill -TERM "$run"
wait "$run"
rc=$?
[ $rc -eq 0 ] && ok || bad "run exited $rc: $(cat "$tmp/err")"

# The page's stream during the run.
grep -q '^event: meta' "$tmp/events" && ok || bad "/events had no meta"
n=$(grep -c '^event: spikes' "$tmp/events")
[ "$n" -gt 0 ] && ok || bad "/events had no spike frames"
grep -q '"s":\[\[[0-9]' "$tmp/events" && ok || bad "/events frames hold no spikes"

# The stream: every spike of the run, nothing lost, and the end record.
want=$("$bin" info "$tmp/ref.h5" | awk '$1 == "exc" || $1 == "inh" {s += $3} END {print s}')
got=$(sed -n 's/.*total \([0-9]*\); lost \([0-9]*\).*/\1 \2/p' "$tmp/stream")
[ "$got" = "$want 0" ] && ok || bad "stream: '$got', want '$want 0' ($(tail -1 "$tmp/stream"))"
grep -q '^ended at 4000.0 ms' "$tmp/stream" && ok || bad "stream did not end"

# Serving changed nothing in the file.
dump() { h5dump -d "$2" -b LE -o "$tmp/raw" "$1" >/dev/null 2>&1 &&
         cat "$tmp/raw"; }
for ds in /spikes/exc/timestamps /spikes/exc/node_ids \
          /spikes/inh/timestamps /spikes/inh/node_ids; do
  dump "$tmp/ref.h5" $ds >"$tmp/a.bin"
  dump "$tmp/srv.h5" $ds >"$tmp/b.bin"
  [ -s "$tmp/a.bin" ] && cmp -s "$tmp/a.bin" "$tmp/b.bin" && ok ||
    bad "$ds differs with --serve"
done

# Refusals: a public address without --serve-public, a busy port.
out=$("$bin" run "$net" "${args[@]}" --serve 0.0.0.0:0 2>&1)
rc=$?
[ $rc -eq 2 ] && [[ $out == *serve-public* ]] && ok ||
  bad "public address: exit $rc, '$out'"
"$bin" run "$net" "${args[@]}" --serve 127.0.0.1:0 --serve-linger 5 \
  >/dev/null 2>"$tmp/err2" &
busy=$!
pids+=("$busy")
for _ in $(seq 50); do
  p2=$(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/err2" | head -1)
  [ -n "$p2" ] && break
  sleep 0.1
done
out=$("$bin" run "$net" "${args[@]}" --serve "$p2" -o "$tmp/busy.h5" 2>&1)
rc=$?
[ $rc -eq 2 ] && [[ $out == *"cannot listen"* ]] && [ ! -e "$tmp/busy.h5" ] &&
  ok || bad "busy port: exit $rc, '$out'"
kill -TERM "$busy" 2>/dev/null
wait "$busy" 2>/dev/null

# The progress line (same family of options): forced onto a file it ends
# with the final state; --quiet wins; without a terminal it stays off.
"$bin" run "$net" --duration 3000 --progress >/dev/null 2>"$tmp/prog"
grep -q '^simulated 3.00 / 3.00 s (100.0 %) .*x real time .* spikes' \
  "$tmp/prog" && ok || bad "--progress: '$(cat "$tmp/prog")'"
"$bin" run "$net" --duration 300 --progress --quiet >/dev/null 2>"$tmp/prog"
[ ! -s "$tmp/prog" ] && ok || bad "--progress --quiet printed '$(cat "$tmp/prog")'"
"$bin" run "$net" --duration 300 >/dev/null 2>"$tmp/prog"
[ ! -s "$tmp/prog" ] && ok || bad "progress without a terminal: '$(cat "$tmp/prog")'"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
