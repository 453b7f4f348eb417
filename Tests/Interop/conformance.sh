#!/usr/bin/env bash
# Interop: conformance under probing, against Samples/http in a network namespace this script creates and always
# deletes (TAP). Needs root; installs python3-scapy with apt-get when missing. (conformance_peer.py)
#
#   ARP probe   an RFC 5227 probe (sender 0.0.0.0) for the app's address draws a reply: the address is taken
#   stealth     FIN, NULL, XMAS and PSH segments to the listening port 80 draw no answer (RFC 9293 §3.10.7.2); a
#               SYN does (the control)
#   squatter    spoofed fragments at offset 65000 (each sizes a 64 KiB reassembly buffer) every 0.5 s for 10 s,
#               while 3000-byte pings (3 fragments each) keep being answered, and the page keeps being served
# After each: the requests the app served meanwhile and its heap high-water mark (GET /stats), and that it lives.
#
# usage: Tests/Interop/conformance.sh posix|virtio
set -uo pipefail
TARGET=${1:-}
CHECK=conformance
source "$(dirname "$0")/lib.sh"

need_scapy
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null 2>&1

start_app http
in_ns ping -c 1 -W 5 "$APP_IP" >/dev/null 2>&1

run_peer() {
  local out line
  out=$(in_ns timeout 60 "$PY" "$INTEROP/conformance_peer.py" "$@" 2>&1)
  while read -r line; do
    case "$line" in
      ok\ *) ok "${line#ok }" ;;
      FAIL\ *) failed "${line#FAIL }" ;;
      *) [ -n "$line" ] && echo "    | $line" ;;
    esac
  done <<<"$out"
}

stats() { in_ns timeout 20 "$PY" "$INTEROP/http_attack.py" stats "$APP_IP" 2>&1; }
field() { sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" <<<"$1"; }
# report WHAT BEFORE: served requests since BEFORE's stats, the heap high-water mark, alive.
report() {
  local after
  after=$(stats)
  if app_alive && [ -n "$(field "$after" requests)" ]; then
    ok "$1: served $(( $(field "$after" requests) - $(field "$2" requests) )) requests meanwhile," \
      "heap high-water $(( $(field "$after" high_water) / 1024 )) KiB, alive"
  else
    failed "$1: the app no longer serves /stats: ${after:-nothing}"
  fi
}

before=$(stats)
run_peer arp-probe "$TAP" "$APP_IP"
report "after the ARP probe" "$before"
before=$(stats)
run_peer stealth "$TAP" "$APP_IP" 80
report "after the FIN/NULL/XMAS/PSH scan" "$before"
before=$(stats)

# The squatter runs for 10 s; fragmented pings and page fetches go on meanwhile.
in_ns timeout 60 "$PY" "$INTEROP/conformance_peer.py" squat "$TAP" "$APP_IP" 10 >"$APP_LOG.squat" 2>&1 &
squatter=$!
sleep 1
pings=$(in_ns ping -c 16 -i 0.5 -W 2 -s 3000 "$APP_IP" 2>&1 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
pages=0
for _ in 1 2 3 4 5; do
  [ "$(in_ns curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$APP_IP/")" = 200 ] && pages=$((pages + 1))
done
wait "$squatter"
squat=$(grep '^ok squatter' "$APP_LOG.squat" | sed 's/^ok //'); rm -f "$APP_LOG.squat"
if [ "${pings:-0}" -ge 15 ] && [ "$pages" = 5 ] && [ -n "$squat" ]; then
  ok "under a fragment squatter ($squat): $pings of 16 pings of 3000 bytes answered, $pages of 5 pages served"
else
  failed "under a fragment squatter (${squat:-not run}): ${pings:-0} of 16 fragmented pings answered, $pages of 5 pages"
fi
report "after the squatter" "$before"
app_alive || failed "http died"
exit $status
