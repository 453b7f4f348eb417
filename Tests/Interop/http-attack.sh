#!/usr/bin/env bash
# Interop: Samples/http under hostile clients, from a network namespace this script creates and always deletes (TAP).
# Needs root. The app must keep serving; each check reports what the normal client got meanwhile.
#
#   large posts  200 clients at once POST 1 MiB bodies to /upload (no route: the HTTP library answers 404 and drops
#                the bodies as they arrive, nothing is buffered); a probe fetches the page every 0.25 s throughout
#   slowloris    N slow clients (300 posix, 100 virtio: TCG) send one header byte every 2 s; each gets 408 and is
#                closed at its 10 s header deadline; the probe must keep getting the page within 1 s
#
# usage: Tests/Interop/http-attack.sh posix|virtio
set -uo pipefail
TARGET=${1:-}
CHECK=http-attack
source "$(dirname "$0")/lib.sh"
SLOW=$([ "$TARGET" = posix ] && echo 300 || echo 100)

start_app http
in_ns ping -c 1 -W 5 "$APP_IP" >/dev/null 2>&1
ATTACK="$INTEROP/http_attack.py"

in_ns timeout 200 python3 "$ATTACK" probe "$APP_IP" 20 >"$APP_LOG.probe" 2>&1 &
probe=$!
posts=$(in_ns timeout 180 python3 "$ATTACK" posts "$APP_IP" 200 1048576 2>&1)
wait "$probe"
probe_out=$(cat "$APP_LOG.probe")
answered=$(sed -n 's/^posts: \([0-9]*\) answered.*/\1/p' <<<"$posts")
served=$(sed -n 's/^probe: \([0-9]*\) of.*/\1/p' <<<"$probe_out")
if [ "${answered:-0}" -ge 190 ] && [ "${served:-0}" -gt 0 ] && app_alive; then
  ok "200 x 1 MiB POSTs: $posts; meanwhile $probe_out"
else
  failed "200 x 1 MiB POSTs: ${posts:-nothing}; meanwhile ${probe_out:-no probe}"
fi

in_ns timeout 200 python3 "$ATTACK" probe "$APP_IP" 20 >"$APP_LOG.probe" 2>&1 &
probe=$!
slow=$(in_ns timeout 200 python3 "$ATTACK" slow "$APP_IP" "$SLOW" 2 16 2>&1)
wait "$probe"
probe_out=$(cat "$APP_LOG.probe"); rm -f "$APP_LOG.probe"
served=$(sed -n 's/^probe: \([0-9]*\) of \([0-9]*\).*/\1 \2/p' <<<"$probe_out")
read -r got of <<<"${served:-0 1}"
closed=$(sed -n 's/.* \([0-9]*\) closed by the server.*/\1/p' <<<"$slow")
if [ "$got" -ge $((of * 9 / 10)) ] && [ "${closed:-0}" -ge $((SLOW * 9 / 10)) ] && app_alive; then
  ok "$SLOW slow clients: $slow; meanwhile $probe_out"
else
  failed "$SLOW slow clients: ${slow:-nothing}; meanwhile ${probe_out:-no probe} (want 90 % within 1 s, 90 % closed)"
fi
app_alive || failed "http died"
exit $status
