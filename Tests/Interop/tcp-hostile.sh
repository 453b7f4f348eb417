#!/usr/bin/env bash
# Interop: Samples/tcp-echo under attack from a network namespace this script creates and always deletes (TAP
# interface). Needs root; installs hping3 and python3-scapy with apt-get when missing.
#
#   blind attacks  tcp_inject.py (scapy) spoofs segments into an established connection: an in-window RST that is
#                  not exact and a SYN each draw one challenge ACK and the connection keeps echoing (RFC 5961 §3,
#                  §4); an out-of-window RST is ignored; the exact RST resets it. The app's counters must show
#                  challenge >= 2 and rstin >= 1.
#   SYN flood      `hping3 -S --flood` at port 7 for 3 s (from the namespace's own address, so the kernel resets
#                  every SYN-ACK), while a connection opened before keeps echoing 1 KiB round trips intact (during
#                  and after); then 20 new connections must echo too.
#   spoofed flood  `hping3 -S --flood --rand-source` for 3 s: SYN-ACKs to random addresses are never answered, so
#                  the listen queue fills with half-open connections; a new connection must still succeed within
#                  20 s after the flood (stale half-opens are recycled, RFC 4987 §3.3).
#
# Each flood reports the connections the app served (its `done` lines) and its heap high-water mark (the `mem hw`
# of its counters line), and that it is still alive.
#
# usage: Tests/Interop/tcp-hostile.sh posix|virtio
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=tcp-hostile
source "$(dirname "$0")/lib.sh"

need_scapy
command -v hping3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hping3 >/dev/null 2>&1
command -v hping3 >/dev/null || fail "no hping3 (apt-get install -y hping3)"

start_app tcp-echo

out=$(in_ns timeout 60 "$PY" "$INTEROP/tcp_inject.py" "$TAP" "$APP_IP" 7 2>&1)
[ $? = 0 ] || status=1
while read -r line; do
  case "$line" in
    ok\ *) ok "${line#ok }" ;;
    FAIL\ *) echo "FAIL [$TARGET] interop tcp-hostile: ${line#FAIL }" ;;
    *) [ -n "$line" ] && echo "    | $line" ;;
  esac
done <<<"$out"
counters=$(fresh_counters)
challenge=$(counter "$counters" tcp challenge)
rstin=$(counter "$counters" tcp rstin)
if [ "${challenge:-0}" -ge 2 ] && [ "${rstin:-0}" -ge 1 ]; then
  ok "counters after the blind attacks: tcp challenge=$challenge rstin=$rstin rstout=$(counter "$counters" tcp rstout)"
else
  failed "counters after the blind attacks: challenge=${challenge:-?} (want >= 2) rstin=${rstin:-?} (want >= 1)"
fi

served() { grep -c "^tcp-echo: .* done, " "$APP_LOG"; }
# numbers SERVED_BEFORE: connections served since, the heap high-water mark, alive.
numbers() {
  local line
  line=$(fresh_counters)
  echo "$(( $(served) - $1 )) connections served, heap high-water $(( $(counter "$line" mem hw) / 1024 )) KiB," \
    "$(app_alive && echo alive || echo DEAD)"
}

# The flood starts 2 s into a 9 s echo session and lasts 3 s.
before=$(served)
in_ns timeout 60 python3 "$INTEROP/tcp_client.py" --timeout 20 hold "$APP_IP" 7 9 >"$APP_LOG.hold" 2>&1 &
HOLD_PID=$!
sleep 2
flood=$(in_ns timeout -s INT 3 hping3 -S --flood -p 7 "$APP_IP" 2>&1 | grep 'packets transmitted' | tr -d '\n')
wait "$HOLD_PID"
hold_rc=$?
out=$(cat "$APP_LOG.hold"); rm -f "$APP_LOG.hold"
if [ "$hold_rc" = 0 ]; then ok "during a 3 s SYN flood (${flood:-hping3 said nothing}): ${out#ok hold: }"; else
  failed "established connection during the SYN flood: ${out#FAIL hold: }"
fi
out=$(in_ns timeout 100 python3 "$INTEROP/tcp_client.py" --timeout 90 many "$APP_IP" 7 20 4096 2>&1)
if [ $? = 0 ]; then ok "after the flood: ${out#ok many: }; $(numbers "$before")"; else
  failed "after the flood: ${out#FAIL many: }"
fi
before=$(served)
flood=$(in_ns timeout -s INT 3 hping3 -S --flood --rand-source -p 7 "$APP_IP" 2>&1 | grep 'packets transmitted' | tr -d '\n')
started=$SECONDS
out=$(in_ns timeout 30 python3 "$INTEROP/tcp_client.py" --timeout 20 many "$APP_IP" 7 1 4096 2>&1)
if [ $? = 0 ]; then
  ok "after a spoofed-source flood (${flood:-hping3 said nothing}): ${out#ok many: } $((SECONDS - started)) s" \
    "after it; $(numbers "$before")"
else
  failed "after a spoofed-source flood: ${out#FAIL many: }"
fi
counters=$(fresh_counters)
ok "counters after the floods: tcp rx=$(counter "$counters" tcp rx) syndrop=$(counter "$counters" tcp syndrop)" \
  "rstin=$(counter "$counters" tcp rstin) drop=$(counter "$counters" tcp drop)" \
  "arp drop=$(counter "$counters" arp drop) unresolved=$(counter "$counters" arp unresolved)"
app_alive || failed "tcp-echo died"
exit $status
