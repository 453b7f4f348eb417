#!/usr/bin/env bash
# Interop: the memory Samples/http needs to start and serve (docs/ARCHITECTURE.md, "Memory";
# Sources/Platform/Heap/NetMemory.swift), the same in both modes, over a TAP in a network namespace this script
# creates and always deletes. Needs root.
#
#   too small  at --memory SMALL (2M, the least --memory takes) the net device cannot get its memory: the console's
#              line names it ('service' and its MAC), the part and the exact bytes it needed (NEED, the same in
#              both modes: both take a net device's memory by one rule) and says to give the guest more memory
#              with --memory; the app then finds no net device, logs it (`[T] error http: cannot bring up ...`)
#              and exits non-zero, within 120 s
#   budgets    at --memory 8M (the footprint goal) and 4M (the least that serves both, in both modes:
#              docs/BENCHMARKS.md "Memory to boot") http starts, GET / is the 612-byte index page and
#              GET /bytes/10485760 arrives whole (SHA-256 of the pattern); prod receives with
#              VIRTIO_NET_F_MRG_RXBUF pages (64 KiB receive buffers needed 16M). At 4M the heap has 54 KiB (dev)
#              and 69 KiB (prod) to spare at its high-water mark (30 KB less than before http logged and served
#              /metrics: its image is 402 KiB, and the heap is what the image leaves), so a dev port holding more
#              than prod's bytes (as its TAP overflow area did, 64 KiB: Sources/Platform/Posix/NetMemoryReserve.swift)
#              fails here.
#              The ok line of the body gives the heap's high-water mark and size (GET /stats) to compare the modes
#
# usage: Tests/Interop/memory.sh posix|virtio
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=memory
source "$(dirname "$0")/lib.sh"
SMALL=2M
# At SMALL the TAP device (its offloads on: TSO both ways) cannot get the least of one part, in this order (today,
# with a heap of about 120 KiB, its transmit slots): its two 256-entry rings (2 x 12,544 bytes), its 252 small
# transmit slots of 1,536 bytes (mtu 1500 + 14 + the 12-byte header, rounded to 64; 4 of the 256 entries are kept
# for 64 KiB slots), or its 32 receive pages of 4,096 bytes. Each part's bytes are exact: NetMemory.swift's rule.
NEED="(rings need 25088|transmit buffers need 387072|receive buffers need 131072) bytes"
BUDGETS="8M 4M"
SIZE=10485760
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null 2>&1
command -v curl >/dev/null || fail "no curl (apt-get install curl)"
WORK=$(mktemp -d /tmp/swiftlet-memory.XXXXXX)
trap 'rm -rf "$WORK"; interop_cleanup' EXIT

"$ROOT/swiftlet" build http --target "$TARGET" >"$APP_LOG" 2>&1 || fail "build of http failed"
make_namespace
in_ns timeout 120 "$ROOT/swiftlet" run http --target "$TARGET" --memory "$SMALL" --net "service=tap:$TAP" -- \
  ip=$APP_IP/24 gw=$PEER_IP >"$WORK/small" 2>&1
code=$?
line=$(tr -d '\r' <"$WORK/small" | grep -m1 '^swiftlet: net device ' || true)
pattern="^swiftlet: net device 'service' \([0-9a-f:]{17}\): out of memory: its $NEED, the heap has [0-9]+ free; "
pattern+="give the guest more memory \(swiftlet run --memory\)$"
if [[ "$line" =~ $pattern ]] && [ "$code" != 0 ] && [ "$code" != 124 ] \
  && grep -qE "^\[[0-9]+\.[0-9]{6}\] error http: cannot bring up 'service': no such net device" "$WORK/small"; then
  ok "--memory $SMALL: exit $code; $line"
else
  failed "--memory $SMALL: exit $code (want non-zero, not 124: timed out), device line '${line:-none}'" \
    "(want: its $NEED); last lines: $(tail -3 "$WORK/small" | tr '\n' '|')"
fi

want=$(python3 -c '
import hashlib, sys
n = int(sys.argv[1]); line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n"
h = hashlib.sha256(); h.update(line * (n // 64)); h.update(line[: n % 64]); print(h.hexdigest())' "$SIZE")
URL=http://$APP_IP
for BUDGET in $BUDGETS; do
  INTEROP_MEMORY=$BUDGET
  start_app http
  code=$(in_ns curl -s -m 30 -o "$WORK/index" -w '%{http_code}' "$URL/")
  if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/index")" = 612 ]; then
    ok "--memory $BUDGET: GET / is 200 with the 612-byte index page"
  else
    failed "--memory $BUDGET: GET /: status ${code:-none}, $(stat -c %s "$WORK/index" 2>/dev/null || echo 0) bytes"
  fi
  out=$(in_ns curl -s -m 200 -o "$WORK/bytes" -w '%{http_code} %{size_download} %{speed_download}' "$URL/bytes/$SIZE")
  read -r code got speed <<<"$out"
  have=$(sha256sum "$WORK/bytes" | cut -d' ' -f1)
  if [ "${code:-}" = 200 ] && [ "${got:-}" = "$SIZE" ] && [ "$have" = "$want" ]; then
    # The heap's figures after the body (GET /stats), to compare the modes' logs: both should be within a few KiB.
    heap=$(in_ns curl -s -m 30 "$URL/stats" | python3 -c '
import json, sys
try:
    m = json.load(sys.stdin)["mem"]
    print("heap high-water {:,} of {:,} bytes".format(m["high_water"], m["size"]))
except Exception:
    print("no heap figures from /stats")' 2>/dev/null)
    ok "--memory $BUDGET: GET /bytes/$SIZE: 200, every byte (sha256 ${want:0:16}),"\
      "$(python3 -c "print(f'{float(\"${speed:-0}\") / 1048576:.1f}')") MiB/s; $heap"
  else
    failed "--memory $BUDGET: GET /bytes/$SIZE: status ${code:-none}, ${got:-0} bytes, sha256 ${have:0:16}" \
      "(want ${want:0:16})"
  fi
  rm -f "$WORK/bytes"
  app_alive || failed "http died at --memory $BUDGET"
  stop_app
done
exit $status
