#!/usr/bin/env bash
# profile.sh — a profile of Samples/http under load (docs/PROFILING.md), in either mode: `swiftlet profile http` on a
# TAP in a network namespace this script creates and always deletes (lib.sh), with wrk (keep-alive, 10 connections)
# against the index page for most of the profiled span. Prod samples itself from its timer interrupt (profile=HZ,
# an image built with PROFILER=1); dev runs under perf record.
#
# Checks that the profile is real: wrk got answers, the folded stacks hold at least 100 samples, and stacks run
# through the HTTP server's and TCP's Swift code by their demangled names (HTTPConnectionLoop or HTTPServer, and
# TCPControlBlock). Prints the summary of the hottest functions. bench/profile-http.sh runs it longer.
#
# usage: Tests/Interop/profile.sh posix|virtio [SECONDS]   (default 12; wrk runs SECONDS - 6). Needs root.
#   PROFILE_CLOSE=1: wrk sends `Connection: close` (a connection per request) instead of keep-alive.
set -uo pipefail
TARGET=${1:-}
CHECK=profile
source "$(dirname "$0")/lib.sh"
SECONDS_PROFILED=${2:-12}
case "$SECONDS_PROFILED" in '' | *[!0-9]*) fail "SECONDS must be a whole number of seconds, not '$SECONDS_PROFILED'" ;; esac
[ "$SECONDS_PROFILED" -ge 8 ] || fail "SECONDS must be at least 8 (boot, then wrk for SECONDS - 6)"
OUT="$ROOT/.build-swiftlet/profiles/http-$TARGET.folded"

command -v wrk >/dev/null || fail "no wrk (apt-get install wrk)"
[ "$TARGET" = virtio ] || command -v perf >/dev/null || fail "no perf (apt-get install linux-perf)"
rm -f "$OUT"
APP_COMMAND=profile
APP_RUN_OPTIONS=(--hz 499 --seconds "$SECONDS_PROFILED" --output "$OUT")
start_app http
in_ns curl -s -o /dev/null --max-time 10 "http://$APP_IP/" || fail "http does not answer"
close_header=()
[ -n "${PROFILE_CLOSE:-}" ] && close_header=(-H "Connection: close")
load=$(in_ns wrk -t1 -c10 -d$((SECONDS_PROFILED - 6))s "${close_header[@]}" "http://$APP_IP/" 2>&1)
wait "$APP_PID"
profile_status=$?
APP_PID=
requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$load")
sed -n 's/^Requests\/sec:/wrk: requests\/s:/p' <<<"$load"
grep -E "swiftlet: .*samples|^  " "$APP_LOG" | head -16

[ "$profile_status" = 0 ] || fail "swiftlet profile exited with status $profile_status: $(tail -2 "$APP_LOG")"
[ -s "$OUT" ] || fail "no folded stacks in $OUT"
[ "${requests:-0}" -gt 0 ] || fail "wrk got no answers: $(tail -3 <<<"$load")"
total=$(awk '{ n += $NF } END { print n + 0 }' "$OUT")
http=$(awk '/HTTPConnectionLoop|HTTPServer/ { n += $NF } END { print n + 0 }' "$OUT")
tcp=$(awk '/TCPControlBlock/ { n += $NF } END { print n + 0 }' "$OUT")
if [ "$total" -ge 100 ] && [ "$http" -gt 0 ] && [ "$tcp" -gt 0 ]; then
  ok "$total samples while wrk made $requests requests; $http in stacks through the HTTP server, $tcp through TCPControlBlock (demangled Swift names)"
else
  fail "$total samples (want >= 100), $http through HTTPConnectionLoop/HTTPServer and $tcp through TCPControlBlock (want > 0 each), $requests requests"
fi
