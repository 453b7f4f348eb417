#!/usr/bin/env bash
# Interop: the `offload=off` net option (docs/DEVICES.md §6). Samples/tcp-echo echoes 2 MiB from the Linux kernel's
# TCP over a TAP in a network namespace this script creates and always deletes, while tcpdump captures the TAP.
#
#   on    the default: the TAP carries a virtio_net_hdr (dev: IFF_VNET_HDR; prod: QEMU's tap vnet_hdr), and the
#         capture shows what a user-space reader of the TAP sees then: frames above the MTU (TSO) or checksums left
#         partial. This control shows the check below can fail.
#   off   `--net service=tap:IFACE,offload=off` (dev: no IFF_VNET_HDR; prod: vnet_hdr=off, so QEMU offers no
#         CSUM/TSO features): every frame the app sends is at most 1514 bytes with correct IPv4 and TCP checksums,
#         and the app's counters show no TSO or coalesced frames.
#
# usage: Tests/Interop/offload.sh posix|virtio     Needs root and tcpdump.
set -uo pipefail
TARGET=${1:-}
CHECK=offload
source "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null 2>&1
command -v tcpdump >/dev/null || fail "no tcpdump (apt-get install tcpdump)"
BYTES=2097152
PCAP=$(mktemp /tmp/swiftlet-offload.XXXXXX)
trap 'rm -f "$PCAP" "$PCAP.txt"; interop_cleanup' EXIT

# capture SETTINGS: runs the echo with the TAP settings, capturing the app's frames; sets BIG (frames above 1514
# bytes), BAD (frames with an incorrect checksum), FRAMES (frames checked), COUNTERS.
capture() {
  NET_SETTINGS=$1
  start_app tcp-echo
  in_ns tcpdump -i "$TAP" -s 0 -U -w "$PCAP" "src host $APP_IP and tcp" 2>/dev/null &
  local dump=$!
  sleep 1
  out=$(in_ns timeout 200 python3 "$INTEROP/tcp_client.py" --timeout 180 bulk "$APP_IP" 7 "$BYTES" 2>&1) ||
    failed "offload${NET_SETTINGS:-=on}: echo failed: $out"
  sleep 1
  kill "$dump"; wait "$dump" 2>/dev/null
  COUNTERS=$(fresh_counters)
  stop_app
  # -vv verifies the IPv4 header and TCP checksums of every whole frame it reads; the first field is the length.
  tcpdump -r "$PCAP" -nn -vv -e 2>/dev/null | grep -E 'length [0-9]+:|cksum' >"$PCAP.txt"
  FRAMES=$(tcpdump -r "$PCAP" -nn -e 2>/dev/null | wc -l)
  BIG=$(tcpdump -r "$PCAP" -nn -e 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "length") { sub(":", "", $(i + 1)); if ($(i + 1) + 0 > 1514) big++; break } } END { print big + 0 }')
  BAD=$(grep -c 'incorrect' "$PCAP.txt")
}

capture ""
if [ "$BIG" -gt 0 ] || [ "$BAD" -gt 0 ]; then
  ok "offload=on: of $FRAMES frames captured on the TAP, $BIG are above 1514 bytes and $BAD have partial checksums"
else
  failed "offload=on: the capture shows no offloaded frame ($FRAMES frames); the control cannot tell on from off"
fi

capture ",offload=off"
tso=$(counter "$COUNTERS" eth tso); gro=$(counter "$COUNTERS" eth gro)
if [ "$FRAMES" -gt 100 ] && [ "$BIG" = 0 ] && [ "$BAD" = 0 ]; then
  ok "offload=off: all $FRAMES frames captured on the TAP are at most 1514 bytes with correct checksums"
else
  failed "offload=off: of $FRAMES frames, $BIG are above 1514 bytes and $BAD have incorrect checksums"
fi
# The eth counters list tso= and gro= only for a device with offloads.
if [ -n "$COUNTERS" ] && [ "${tso:-0}" = 0 ] && [ "${gro:-0}" = 0 ]; then
  ok "offload=off: no TSO frames sent, no coalesced frames received (eth: tso=${tso:-absent} gro=${gro:-absent})"
else
  failed "offload=off: counters show tso=${tso:-none} gro=${gro:-none}"
fi
exit $status
