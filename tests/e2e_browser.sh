#!/usr/bin/env bash
# e2e_browser.sh: load the live view in headless Chromium while a run is
# served on a loopback port, and check through the DOM that spikes were
# received and drawn (the page counts them into <body data-drawn=...>).
# Headless Chromium waits for the network to go quiet before it dumps the
# DOM, and an event stream never does: the page's ?frames=N makes it stop
# listening after N frames, mid-run.
# Skipped (77) without Debian's chromium. SA_SCREENSHOT=FILE also saves a
# screenshot (that is how docs/live.png was made).
# SPDX-License-Identifier: MIT
set -u
bin=${SA_BIN:?} src=${SA_SRCDIR:?}
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "SKIP: chromium not installed"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sa_e2e_browser.XXXXXX") || exit 1
run=
trap '[ -n "$run" ] && kill "$run" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# Far longer than the test: it is stopped with SIGTERM at the end.
"$bin" run "$src/examples/cuba.json" --duration 3600000 --seed 3 --quiet \
  --serve 127.0.0.1:0 >/dev/null 2>"$tmp/err" &
run=$!
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/err" | head -1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "FAIL: no live view address: $(cat "$tmp/err")"; exit 1; }

chrome_run() {
  timeout 90 "$chrome" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --no-first-run --hide-scrollbars \
    --user-data-dir="$tmp/profile" --window-size=1200,900 \
    --virtual-time-budget=2000 "$@" 2>>"$tmp/chrome.log"
}

chrome_run --dump-dom "${url}?frames=25" >"$tmp/dom.html"
drawn=$(grep -o 'data-drawn="[0-9]*"' "$tmp/dom.html" | grep -o '[0-9]*' | head -1)
frames=$(grep -o 'data-frames="[0-9]*"' "$tmp/dom.html" | grep -o '[0-9]*' | head -1)
[ "${frames:-0}" -gt 0 ] && ok || bad "the page received no frames (data-frames=${frames:-none})"
[ "${drawn:-0}" -gt 0 ] && ok || bad "the page drew no spikes (data-drawn=${drawn:-none})"
grep -q 'id="rate0">[0-9]' "$tmp/dom.html" && ok || bad "no rate shown for the first population"
echo "page: ${frames:-0} frames, ${drawn:-0} spikes drawn"

if [ -n "${SA_SCREENSHOT:-}" ]; then
  chrome_run --screenshot="$tmp/shot.png" "${url}?frames=60" >/dev/null
  if [ -s "$tmp/shot.png" ]; then cp "$tmp/shot.png" "$SA_SCREENSHOT"; ok
  else bad "no screenshot"; fi
fi

kill -TERM "$run"
wait "$run"
rc=$?
run=
[ $rc -eq 143 ] && ok || bad "run exited $rc, want 143: $(cat "$tmp/err")"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
