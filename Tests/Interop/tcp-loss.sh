#!/usr/bin/env bash
# Interop: TCP over a lossy, reordering link. In a network namespace this script creates and always deletes,
# lossy_link.py joins the app's TAP (swlt0: no address, ARP off) to a second TAP (swlp0: 10.0.0.1/24, the kernel's
# side) and in both directions loses 5 % of the frames and delays three in four of the rest by 5 ms, so that the
# others overtake them (`netem loss 5% delay 5ms reorder 25%`, in user space: this kernel has no sch_netem). Each
# frame's virtio_net_hdr travels with it (the app's TAP carries checksum-partial and TSO frames).
# A Python client then echoes BYTES of random data through Samples/tcp-echo (tcp_client.py bulk): the echo must
# come back intact (SHA-256) within the bound, and the app's counters must show retransmissions (retx > 0).
# Needs root.
#
# usage: Tests/Interop/tcp-loss.sh posix|virtio [BYTES]   (BYTES: 4 MiB posix, 2 MiB virtio)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=tcp-loss
source "$(dirname "$0")/lib.sh"
BYTES=${2:-$([ "$TARGET" = posix ] && echo 4194304 || echo 2097152)}
PEER_TAP=swlp0
LINK_PID=
LINK_LOG=$(mktemp /tmp/swiftlet-tcp-loss-link.XXXXXX)
cleanup() {
  if [ -n "$LINK_PID" ]; then
    kill "$LINK_PID" 2>/dev/null
    wait "$LINK_PID" 2>/dev/null
  fi
  rm -f "$LINK_LOG"
  interop_cleanup
}
trap cleanup EXIT

make_namespace
# The app's TAP becomes a bare port of the link; the kernel's address moves to the second TAP.
in_ns ip addr flush dev "$TAP"
in_ns ip link set "$TAP" arp off promisc on
in_ns ip tuntap add dev "$PEER_TAP" mode tap || fail "cannot create $PEER_TAP"
in_ns sysctl -qw "net.ipv6.conf.$PEER_TAP.disable_ipv6=1"
in_ns ip addr add "$PEER_IP/24" dev "$PEER_TAP"
in_ns ip link set "$PEER_TAP" up
in_ns python3 "$INTEROP/lossy_link.py" "$TAP" "$PEER_TAP" --loss 0.05 --delay 0.005 --reorder 0.25 \
  >"$LINK_LOG" 2>&1 &
LINK_PID=$!
for _ in $(seq 1 50); do grep -q 'link: ready' "$LINK_LOG" && break; sleep 0.1; done
grep -q 'link: ready' "$LINK_LOG" || fail "lossy_link.py did not start: $(cat "$LINK_LOG")"

start_app tcp-echo
out=$(in_ns timeout 200 python3 "$INTEROP/tcp_client.py" --timeout 180 bulk "$APP_IP" 7 "$BYTES" 2>&1)
if [ $? = 0 ]; then ok "5% loss + reordering both ways: ${out#ok bulk: }"; else failed "${out#FAIL bulk: }"; fi

counters=$(fresh_counters)
retx=$(counter "$counters" tcp retx)
if [ "${retx:-0}" -gt 0 ]; then
  ok "counters: tcp retx=$retx rto=$(counter "$counters" tcp rto) fastretx=$(counter "$counters" tcp fastretx)" \
    "dupack=$(counter "$counters" tcp dupack) drop=$(counter "$counters" tcp drop)"
else
  failed "no retransmissions counted over a lossy link: ${counters:-no counters printed}"
fi
app_alive || failed "tcp-echo died"
sleep 1.1
grep '^link: app' "$LINK_LOG" | tail -1 | sed "s/^link: /ok [$TARGET] interop tcp-loss: link: /"
exit $status
