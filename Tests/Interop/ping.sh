#!/usr/bin/env bash
# Interop: the Linux kernel pings Samples/udp-echo (the stack answers ICMP echo by itself) over a TAP interface
# in a network namespace this script creates and always deletes. Needs root.
#
#   default size (56 bytes)          COUNT requests
#   1472 bytes with -M do            COUNT requests, a full 1500-byte datagram, DF set
#   3000 bytes                       COUNT requests, each request and reply in three fragments (reassembly
#                                    on our side, IPv4Fragmenter for the reply)
#
# Zero loss, no duplicates, no corrupted payload, or FAIL. Flood mode (`ping -f`: the next request goes out as
# soon as the reply is in, or after 10 ms), so the load paces itself; each run has a deadline.
#
# usage: Tests/Interop/ping.sh posix|virtio [COUNT]   (COUNT: 10000 posix, 1000 virtio)
# Prints one `ok`/`FAIL` line per size; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=ping
source "$(dirname "$0")/lib.sh"
COUNT=${2:-$([ "$TARGET" = posix ] && echo 10000 || echo 1000)}

start_udp_echo
status=0
# name, ping options, payload size
for spec in "default::56" "1472 B, DF:-M do -s 1472:1472" "3000 B, fragmented:-s 3000:3000"; do
  IFS=: read -r name options size <<<"$spec"
  # A generous deadline: 10 ms per request (flood's own upper pacing) plus 20 s.
  deadline=$((COUNT / 100 + 20))
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  out=$(in_ns ping -n -q -f -c "$COUNT" -w "$deadline" $options "$APP_IP" 2>&1)
  end=$(date +%s.%N)
  summary=$(grep 'packets transmitted' <<<"$out")
  rtt=$(sed -n 's/^rtt min\/avg\/max\/mdev = \([^ ]*\) ms.*/\1/p' <<<"$out")
  tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$summary")
  rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$summary")
  wall=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$end")
  if [ "${rx:-0}" = "$COUNT" ] && [ "${tx:-0}" = "$COUNT" ] && ! grep -qE 'duplicates|errors|wrong data|corrupted' \
    <<<"$out$summary"; then
    ok "$COUNT x $name ($size B payload): 0% loss, rtt min/avg/max/mdev $rtt ms, ${wall} s"
  else
    echo "FAIL [$TARGET] interop ping: $COUNT x $name: ${summary:-no summary}"
    grep -vE '^[.E]*$' <<<"$out" | grep -v '^$' | head -5 | sed 's/^/    | /'
    last_counters | sed 's/^/    | /'
    status=1
  fi
done
app_alive || { echo "FAIL [$TARGET] interop ping: udp-echo died"; tail -5 "$APP_LOG" | sed 's/^/    | /'; status=1; }
exit $status
