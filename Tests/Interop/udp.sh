#!/usr/bin/env bash
# Interop: a Python client (udp_client.py) in a network namespace this script creates and always deletes sends
# datagrams of 1...1472 bytes (the edges, a walk through the range, then seeded random sizes) to
# Samples/udp-echo's port 7 over a TAP interface and checks each echo byte-exact, exactly once; then a closed port
# must answer ICMP port unreachable (ECONNREFUSED on a connected socket). Needs root.
#
# usage: Tests/Interop/udp.sh posix|virtio [COUNT]   (COUNT: 2000 posix, 500 virtio)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=udp
source "$(dirname "$0")/lib.sh"
COUNT=${2:-$([ "$TARGET" = posix ] && echo 2000 || echo 500)}

start_udp_echo
status=0
# Window 8: below the echo socket's 16-datagram receive queue, so nothing may be dropped.
out=$(in_ns timeout 200 python3 "$INTEROP/udp_client.py" "$APP_IP" 7 "$COUNT" --sizes 1-1472 --window 8 \
  --timeout 180 2>&1)
if [ $? = 0 ]; then ok "${out#ok udp: }"; else
  echo "FAIL [$TARGET] interop udp: ${out#FAIL udp: }"; last_counters | sed 's/^/    | /'; status=1
fi
out=$(in_ns timeout 30 python3 "$INTEROP/udp_client.py" "$APP_IP" 9 --refused --timeout 6 2>&1)
if [ $? = 0 ]; then ok "${out#ok refused: }"; else
  echo "FAIL [$TARGET] interop udp: ${out#FAIL refused: }"; last_counters | sed 's/^/    | /'; status=1
fi
counters=$(fresh_counters)
noport=$(counter "$counters" udp noport)
if [ "${noport:-0}" -ge 1 ] && [ "$(counter "$counters" icmp err)" -ge 1 ]; then
  ok "counters: udp noport=$noport, icmp err=$(counter "$counters" icmp err), udp rx=$(counter "$counters" udp rx)"
else
  echo "FAIL [$TARGET] interop udp: counters do not show the closed port: ${counters:-none printed}"; status=1
fi
app_alive || { echo "FAIL [$TARGET] interop udp: udp-echo died"; tail -5 "$APP_LOG" | sed 's/^/    | /'; status=1; }
exit $status
