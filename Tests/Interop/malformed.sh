#!/usr/bin/env bash
# Interop: a bounded burst of malformed frames (malformed_peer.py, built with scapy) at Samples/udp-echo's MAC and
# IP over a TAP interface in a network namespace this script creates and always deletes; then the stack must
# still be alive, answer ping and UDP, show the drops in its counters (verbose=1 prints them every 5 s), and,
# once the 30-second reassembly timeout has freed the slots the never-completed fragments took, answer a
# fragmented ping again. Needs root; installs python3-scapy with apt-get when no python3 has scapy.
#
#   kinds, in turn: random bytes; random EtherType and body to our MAC; random bytes after an IPv4 EtherType;
#   truncated Ethernet, ARP, IPv4, ICMP, UDP; ARP with bad hardware/protocol types, lengths, operations; IPv4 with
#   bad version, IHL, total length, header checksum, source (broadcast, multicast), unknown protocols; ICMP with
#   bad checksums and unhandled types; UDP with length lies, bad checksums, port 0; fragments past 65535 bytes,
#   non-last fragments not a multiple of 8 bytes or empty, conflicting overlaps, first fragments never completed.
#
# usage: Tests/Interop/malformed.sh posix|virtio [COUNT] [SEED]   (COUNT 3000; SEED 1)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=malformed
source "$(dirname "$0")/lib.sh"
COUNT=${2:-3000}
SEED=${3:-1}
# Frames are paced (a gap each) so the TAP queue never overflows: every frame reaches the stack.
GAP=$([ "$TARGET" = posix ] && echo 0.0005 || echo 0.002)

need_scapy

start_udp_echo
status=0
check_fail() { echo "FAIL [$TARGET] interop malformed: $*"; last_counters | sed 's/^/    | /'; status=1; }

# Resolve both ways first, so the burst meets a stack that knows its neighbour.
in_ns ping -n -q -c 3 -i 0.2 -w 10 "$APP_IP" >/dev/null || fail "no ping answer before the burst"
our_mac=$(cat "/sys/class/net/$TAP/address" 2>/dev/null || in_ns cat "/sys/class/net/$TAP/address")
tap_dropped() { in_ns cat "/sys/class/net/$TAP/statistics/tx_dropped"; }
dropped_before=$(tap_dropped)
before=$(last_counters)
rx_before=$(counter "$before" eth rx)

out=$(in_ns timeout 120 "$PY" "$INTEROP/malformed_peer.py" "$TAP" "$our_mac" "$APP_MAC" "$APP_IP" "$PEER_IP" \
  "$COUNT" --seed "$SEED" --gap "$GAP" 2>&1)
[ $? = 0 ] || fail "the frame generator failed: $(tail -1 <<<"$out")"
sent=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' <<<"$out")
tap_lost=$(($(tap_dropped) - dropped_before))
if app_alive; then ok "udp-echo alive after ${out%%:*}; TAP queue dropped $tap_lost"; else
  fail "udp-echo died during the burst (${out%%:*})"
fi

out=$(in_ns ping -n -q -f -c 1000 -w 60 "$APP_IP" 2>&1)
if grep -q '1000 packets transmitted, 1000 received, 0% packet loss' <<<"$out" && ! grep -q 'duplicates' <<<"$out"
then ok "ping after the burst: 1000/1000 answered"; else check_fail "ping after the burst: $(grep transmitted <<<"$out")"; fi

out=$(in_ns timeout 100 python3 "$INTEROP/udp_client.py" "$APP_IP" 7 300 --sizes 1-1472 --seed "$SEED" \
  --timeout 90 2>&1)
if [ $? = 0 ]; then ok "UDP after the burst: ${out#ok udp: }"; else check_fail "UDP after the burst: $out"; fi

# Never-completed first fragments from the burst must not block reassembly: a new datagram evicts the
# oldest held one (IPv4Reassembler), so fragmented pings work right away.
out=$(in_ns ping -n -q -c 20 -i 0.05 -s 3000 -w 30 "$APP_IP" 2>&1)
if grep -q '20 packets transmitted, 20 received, 0% packet loss' <<<"$out"; then
  ok "fragmented ping (3000 B) right after the burst: 20/20 answered"
else check_fail "fragmented ping (3000 B) right after the burst: $(grep transmitted <<<"$out")"; fi

# Every layer the burst attacked must show drops; `eth rx` must have seen the whole burst.
counters=$(fresh_counters)
rx_after=$(counter "$counters" eth rx)
missing=
for pair in "eth drop" "arp drop" "ip drop" "ip csum" "icmp drop" "icmp csum" "udp drop" "udp csum"; do
  # shellcheck disable=SC2086
  value=$(counter "$counters" $pair)
  [ "${value:-0}" -gt 0 ] || missing="$missing ${pair/ /.}=${value:-?}"
done
got=$(( ${rx_after:-0} - ${rx_before:-0} ))
if [ -z "$counters" ]; then check_fail "no counters line printed (verbose=1)"
elif [ -n "$missing" ]; then check_fail "drops not counted:$missing"
elif [ "$got" -lt $(( ${sent:-0} - tap_lost )) ]; then
  check_fail "eth rx grew by $got, but ${sent:-0} frames were sent (TAP dropped $tap_lost)"
else
  summary=$(for pair in "eth drop" "arp drop" "ip drop" "ip csum" "icmp drop" "icmp csum" "udp drop" "udp csum"; do
    printf '%s=%s ' "${pair/ /.}" "$(counter "$counters" $pair)"; done)
  ok "drops counted at every layer: ${summary% } (eth rx +$got)"
fi

app_alive || check_fail "udp-echo died"
exit $status
