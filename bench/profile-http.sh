#!/usr/bin/env bash
# Profiles Samples/http under load (docs/PROFILING.md): `swiftlet profile http` in a network namespace this script
# creates and always deletes (Tests/Interop/lib.sh), with wrk (keep-alive, 10 connections) against the index page
# for most of the profiled span; then prints the profile's summary. Prod samples itself (profile=HZ); dev runs
# under perf record. Needs root.
#
# usage: bench/profile-http.sh posix|virtio [SECONDS]   (default 20; wrk runs SECONDS - 8)
set -uo pipefail
TARGET=${1:-}
CHECK=profile
source "$(dirname "$0")/../Tests/Interop/lib.sh"
SECONDS_PROFILED=${2:-20}
OUT="$ROOT/.build-swiftlet/profiles/http-$TARGET.folded"

command -v wrk >/dev/null || fail "no wrk (apt-get install wrk)"
"$ROOT/swiftlet" build http --target "$TARGET" >"$APP_LOG" 2>&1 || fail "build of http failed"
make_namespace
APP=http
in_ns "$ROOT/swiftlet" profile http --target "$TARGET" --hz 499 --seconds "$SECONDS_PROFILED" --output "$OUT" \
  --net "service=tap:$TAP" -- ip=$APP_IP/24 gw=$PEER_IP >"$APP_LOG" 2>&1 &
APP_PID=$!
for _ in $(seq 1 1200); do
  grep -q "mac " "$APP_LOG" && break
  kill -0 "$APP_PID" 2>/dev/null || fail "http exited early"
  sleep 0.1
done
in_ns curl -s -o /dev/null --max-time 10 "http://$APP_IP/" || fail "http does not answer"
in_ns wrk -t1 -c10 -d$((SECONDS_PROFILED - 8))s "http://$APP_IP/" | sed 's/^/wrk: /'
wait "$APP_PID"
APP_PID=
grep -E "swiftlet: .*samples|^  " "$APP_LOG" | head -25
