#!/usr/bin/env bash
# Interop: our TCP client against the Linux kernel's. Samples/http-get fetches a file of seeded random bytes from
# `python3 -m http.server` in a network namespace this script creates and always deletes (TAP interface, server on
# 10.0.0.1:8000); its `http-get: 200, N bytes, fnv1a64 H` line must match the file's length and the FNV-1a 64 that
# Python computes. Then a missing file (404: exit 1 and the status said) and a port nothing listens on (the kernel's
# RST: `connection refused`, exit 1). Needs root.
#
# usage: Tests/Interop/http-get.sh posix|virtio [BYTES]   (BYTES: 10 MiB posix, 4 MiB virtio)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=http-get
source "$(dirname "$0")/lib.sh"
BYTES=${2:-$([ "$TARGET" = posix ] && echo 10485760 || echo 4194304)}
APP=http-get
SERVER_PID=
WORK=$(mktemp -d /tmp/swiftlet-http-get.XXXXXX)
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  interop_cleanup
}
trap cleanup EXIT

"$ROOT/swiftlet" build http-get --target "$TARGET" >"$APP_LOG" 2>&1 || fail "build of http-get failed"
make_namespace
mkdir "$WORK/www"
# The file, and its length and FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
want=$(python3 - "$WORK/www/blob" "$BYTES" <<'EOF'
import random, sys
data = random.Random(7).randbytes(int(sys.argv[2]))
open(sys.argv[1], "wb").write(data)
h = 0xcbf29ce484222325
for b in data:
    h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
print(f"200, {len(data)} bytes, fnv1a64 {h:016x}")
EOF
)
in_ns python3 -m http.server 8000 --bind "$PEER_IP" --directory "$WORK/www" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  in_ns python3 -c "import socket; socket.create_connection(('$PEER_IP', 8000), 1).close()" 2>/dev/null && break
  sleep 0.1
done

status=0
failed() {
  echo "FAIL [$TARGET] interop http-get: $*"
  sed 's/^/    | /' "$APP_LOG" | grep -v 'building' | tail -5
  status=1
}
# get PATH PORT: runs http-get once (bounded), leaves its output in APP_LOG and its exit status in rc.
get() {
  in_ns timeout 200 "$ROOT/swiftlet" run http-get --target "$TARGET" --net "service=tap:$TAP" -- \
    ip=$APP_IP/24 gw=$PEER_IP "url=http://$PEER_IP:$2$1" >"$APP_LOG" 2>&1
  rc=$?
  result=$(sed -n 's/^http-get: \([0-9][0-9][0-9], .*\)/\1/p' "$APP_LOG" | head -1)
}

start=$(date +%s.%N)
get /blob 8000
wall=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
if [ "$rc" = 0 ] && [ "$result" = "$want" ]; then
  ok "GET /blob from python3 http.server: $result, as Python computed ($wall s with the app's start)"
else
  failed "GET /blob: exit $rc, printed '${result:-nothing}', wanted '$want'"
fi

get /missing 8000
if [ "$rc" = 1 ] && grep -q '^http-get: 404, ' "$APP_LOG" && grep -q '^http-get: status 404' "$APP_LOG"; then
  ok "GET /missing: 404 said, exit 1"
else
  failed "GET /missing: exit $rc, wanted 1 and a 404"
fi

get / 8001
if [ "$rc" = 1 ] && grep -q "^http-get: cannot connect to $PEER_IP:8001: connection refused" "$APP_LOG"; then
  ok "port 8001 (closed): $(grep '^http-get: cannot connect' "$APP_LOG"), exit 1"
else
  failed "port 8001 (closed): exit $rc, wanted 1 and 'connection refused'"
fi
exit $status
