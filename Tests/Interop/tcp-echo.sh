#!/usr/bin/env bash
# Interop: a Python client on the Linux kernel's TCP (tcp_client.py) against Samples/tcp-echo's port 7 over a TAP
# interface in a network namespace this script creates and always deletes. Needs root.
#
#   bulk   BYTES of seeded random data sent while the echo is read concurrently, then a half-close: what came
#          back must hash (SHA-256) to what was sent, and end with the server's FIN
#   many   200 connections opened at once (the stack's TCP capacity is 256), each echoing 4 KiB intact
#   offloads  the app's counters show TSO frames sent and coalesced frames received (the TAP's offloads in use)
#
# usage: Tests/Interop/tcp-echo.sh posix|virtio [BYTES]   (BYTES: 100 MiB posix, 10 MiB virtio)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=tcp-echo
source "$(dirname "$0")/lib.sh"
BYTES=${2:-$([ "$TARGET" = posix ] && echo 104857600 || echo 10485760)}

start_app tcp-echo

out=$(in_ns timeout 320 python3 "$INTEROP/tcp_client.py" --timeout 300 bulk "$APP_IP" 7 "$BYTES" 2>&1)
if [ $? = 0 ]; then ok "${out#ok bulk: }"; else failed "${out#FAIL bulk: }"; fi

out=$(in_ns timeout 200 python3 "$INTEROP/tcp_client.py" --timeout 180 many "$APP_IP" 7 200 4096 2>&1)
if [ $? = 0 ]; then ok "${out#ok many: }"; else failed "${out#FAIL many: }"; fi

counters=$(fresh_counters)
if [ -n "$counters" ] && [ "$(counter "$counters" tcp rx)" -gt 0 ]; then
  ok "counters: tcp rx=$(counter "$counters" tcp rx) tx=$(counter "$counters" tcp tx)" \
    "retx=$(counter "$counters" tcp retx) syndrop=$(counter "$counters" tcp syndrop) drop=$(counter "$counters" tcp drop)"
else
  failed "no tcp counters printed: ${counters:-none}"
fi
# The TAP (dev: IFF_VNET_HDR; prod: QEMU's tap with vnet_hdr under virtio-net) offers checksum and TCP segmentation
# offloads both ways: the stack must have sent TSO frames and taken coalesced ones.
tso=$(counter "$counters" eth tso); gro=$(counter "$counters" eth gro)
if [ "${tso:-0}" -gt 0 ] && [ "${gro:-0}" -gt 0 ]; then
  ok "offloads in use: $tso TSO frames sent, $gro coalesced frames received"
else
  failed "TCP offloads unused on the TAP: tso=${tso:-none} gro=${gro:-none}"
fi
app_alive || failed "tcp-echo died"
exit $status
