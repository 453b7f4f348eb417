#!/usr/bin/env bash
# Interop: Samples/http under hostile clients, from a network namespace this script creates and always deletes (TAP).
# Needs root. The app must keep serving; each check reports the requests the app served during the attack (its
# `GET /stats` counter, before and after), its heap high-water mark so far (`mem.high_water`, the same heap in both
# modes) and what a normal client got meanwhile.
#
#   large posts  200 clients at once POST 1 MiB bodies to /upload (no route: the HTTP library answers 404 and drops
#                the bodies as they arrive, nothing is buffered); a probe fetches the page every 0.25 s throughout,
#                each fetch within 5 s: 200 MiB arriving at once queue ahead of its SYN and request in the TAP and the
#                device ring, where the app cannot put it first (a TCG guest drains them at a few MiB/s, so each
#                client allows 120 s per socket operation: 200 MiB at 2 MiB/s shared by 200 flows is ~100 s)
#   slowloris    300 slow clients send one header byte every 2 s; each gets 408 and is closed at its 10 s header
#                deadline (or 503 at once past the server's connection budget); the probe must keep getting the page
#                within 1 s
#   MSS 1        a client whose SYN announces MSS 1 (iptables TCPMSS in the namespace) fetches 1 MiB: the app floors
#                its send MSS at 48 bytes (Linux's tcp_min_snd_mss), so the client receives about 1 MiB / 48 segments,
#                not a million (counted by an iptables rule; the app runs with offload=off for this part so every
#                segment is a frame on the TAP)
#
# usage: Tests/Interop/http-attack.sh posix|virtio
set -uo pipefail
TARGET=${1:-}
CHECK=http-attack
source "$(dirname "$0")/lib.sh"
SLOW=300
ATTACK="$INTEROP/http_attack.py"

# stats: `requests=R high_water=H ...` from the app's GET /stats.
stats() { in_ns timeout 20 python3 "$ATTACK" stats "$APP_IP" 2>&1; }
field() { sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" <<<"$1"; }
kib() { echo "$(( ${1:-0} / 1024 )) KiB"; }

start_app http
in_ns ping -c 1 -W 5 "$APP_IP" >/dev/null 2>&1
HEAP=$(field "$(stats)" heap)

before=$(stats)
in_ns timeout 200 python3 "$ATTACK" probe "$APP_IP" 20 5 >"$APP_LOG.probe" 2>&1 &
probe=$!
started=$SECONDS
posts=$(in_ns timeout 240 python3 "$ATTACK" posts "$APP_IP" 200 1048576 2>&1)
wait "$probe"
took=$((SECONDS - started))
after=$(stats)
probe_out=$(cat "$APP_LOG.probe")
answered=$(sed -n 's/^posts: \([0-9]*\) answered.*/\1/p' <<<"$posts")
served=$(sed -n 's/^probe: \([0-9]*\) of.*/\1/p' <<<"$probe_out")
numbers="served $(( $(field "$after" requests) - $(field "$before" requests) )) requests in ${took} s,"
numbers+=" heap high-water $(kib "$(field "$after" high_water)") of $(kib "$HEAP")"
if [ "${answered:-0}" -ge 190 ] && [ "${served:-0}" -gt 0 ] && app_alive && [ -n "$(field "$after" requests)" ]; then
  ok "200 x 1 MiB POSTs: $posts; meanwhile $probe_out; $numbers; alive"
else
  failed "200 x 1 MiB POSTs: ${posts:-nothing} in ${took} s; meanwhile ${probe_out:-no probe}; ${after:-no stats}"
fi

before=$(stats)
in_ns timeout 200 python3 "$ATTACK" probe "$APP_IP" 20 >"$APP_LOG.probe" 2>&1 &
probe=$!
started=$SECONDS
slow=$(in_ns timeout 200 python3 "$ATTACK" slow "$APP_IP" "$SLOW" 2 16 2>&1)
wait "$probe"
took=$((SECONDS - started))
after=$(stats)
probe_out=$(cat "$APP_LOG.probe"); rm -f "$APP_LOG.probe"
served=$(sed -n 's/^probe: \([0-9]*\) of \([0-9]*\).*/\1 \2/p' <<<"$probe_out")
read -r got of <<<"${served:-0 1}"
closed=$(sed -n 's/.* \([0-9]*\) closed by the server.*/\1/p' <<<"$slow")
numbers="served $(( $(field "$after" requests) - $(field "$before" requests) )) requests in ${took} s,"
numbers+=" heap high-water $(kib "$(field "$after" high_water)")"
if [ "$got" -ge $((of * 9 / 10)) ] && [ "${closed:-0}" -ge $((SLOW * 9 / 10)) ] && app_alive; then
  ok "$SLOW slow clients: $slow; meanwhile $probe_out; $numbers; alive"
else
  failed "$SLOW slow clients: ${slow:-nothing}; meanwhile ${probe_out:-no probe}; ${after:-no stats}" \
    "(want 90 % within 1 s, 90 % closed)"
fi
app_alive || failed "http died"

# MSS 1: the app again, without offloads, so each TCP segment is one frame the namespace's kernel counts.
stop_app
NET_SETTINGS=",offload=off"
start_app http
in_ns ping -c 1 -W 5 "$APP_IP" >/dev/null 2>&1
in_ns iptables -t mangle -A OUTPUT -p tcp -d "$APP_IP" --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1 ||
  failed "MSS 1: cannot add the iptables TCPMSS rule"
# Data segments only: IP length above 52 (20 + 20 + 12 bytes of timestamps: a bare ACK).
in_ns iptables -A INPUT -p tcp -s "$APP_IP" --sport 80 -m length --length 53:65535 -j ACCEPT
before=$(stats)
started=$SECONDS
got=$(in_ns curl -s -m 100 -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "http://$APP_IP/bytes/1048576")
took=$((SECONDS - started))
after=$(stats)
segments=$(in_ns iptables -L INPUT -v -x -n | awk -v src="$APP_IP" '$8 == src { print $1; exit }')
read -r code size seconds <<<"${got:-0 0 0}"
numbers="served $(( $(field "$after" requests) - $(field "$before" requests) )) requests in ${took} s,"
numbers+=" heap high-water $(kib "$(field "$after" high_water)")"
# 1 MiB in 48-byte pieces is 21,846 segments; a 1-byte MSS would need over a million, an ignored one about 720.
if [ "$code" = 200 ] && [ "$size" = 1048576 ] && [ "${segments:-0}" -ge 21000 ] && [ "${segments:-0}" -le 26000 ] &&
  app_alive; then
  ok "MSS 1 peer: 1 MiB in ${seconds} s over $segments data segments (about 48 bytes each); $numbers; alive"
else
  failed "MSS 1 peer: HTTP ${code:-?}, ${size:-0} bytes, ${segments:-?} data segments (want 21000..26000)"
fi
app_alive || failed "http died"
exit $status
