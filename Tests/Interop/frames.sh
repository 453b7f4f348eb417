#!/usr/bin/env bash
# Interop: COUNT Ethernet frames round-trip byte-exact between a raw-socket peer
# (frame_peer.py) and Samples/frame-echo over a TAP interface, inside a network
# namespace this script creates and always deletes. Needs root.
#
# usage: Tests/Interop/frames.sh posix|virtio [COUNT] [MACHINE] [MTU]
# With MTU, the TAP interface gets that MTU: the app must report it (docs/DEVICES.md §2:
# the device's MTU is the TAP's) and frames up to MTU+14 bytes must round-trip.
# Prints one `ok`/`FAIL` line; exit 0 on success.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${1:?usage: frames.sh posix|virtio [COUNT] [MACHINE]}
COUNT=${2:-10000}
MACHINE=${3:-microvm}
MTU=${4:-}
NS=swl-frames-$$
TAP=swlf0
APP_PID=
LOG=$(mktemp /tmp/swiftlet-frames.XXXXXX)

cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -f "$LOG"
}
trap cleanup EXIT

fail() { echo "FAIL [$TARGET] interop frames: $*"; [ -s "$LOG" ] && sed 's/^/    | /' "$LOG" | tail -5; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces and TAP)"
"$ROOT/swiftlet" build frame-echo --target "$TARGET" >/dev/null || fail "build failed"

ip netns add "$NS" || fail "cannot create network namespace $NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip tuntap add dev "$TAP" mode tap || fail "cannot create $TAP"
ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
[ -n "$MTU" ] && { ip netns exec "$NS" ip link set "$TAP" mtu "$MTU" || fail "cannot set MTU $MTU"; }
ip netns exec "$NS" ip link set "$TAP" up

# The app echoes COUNT of our frames; other frames on the link would be echoed too, so allow slack.
ip netns exec "$NS" "$ROOT/swiftlet" run frame-echo --target "$TARGET" --machine "$MACHINE" \
  --net "service=tap:$TAP" -- quiet=1 >"$LOG" 2>&1 &
APP_PID=$!

mac=
for _ in $(seq 1 300); do
  mac=$(sed -n 's/^frame-echo: service mac \([0-9a-f:]*\) .*/\1/p' "$LOG")
  [ -n "$mac" ] && break
  kill -0 "$APP_PID" 2>/dev/null || fail "frame-echo exited early"
  sleep 0.1
done
[ -n "$mac" ] || fail "frame-echo did not start within 30 s"
SIZES=60,128,512,1000,1514
if [ -n "$MTU" ]; then
  grep -q "^frame-echo: service mac $mac mtu $MTU\$" "$LOG" || fail "the app did not report the TAP's MTU $MTU"
  SIZES=60,1514,4000,$((MTU + 14))
fi

result=$(ip netns exec "$NS" timeout 300 python3 "$ROOT/Tests/Interop/frame_peer.py" "$TAP" "$mac" "$COUNT" --timeout 240 --sizes "$SIZES")
status=$?
[ -n "$MTU" ] && result="${result/ echoed/ echoed at MTU $MTU}"
echo "${result/#ok /ok [$TARGET] interop }" | sed "s/^FAIL /FAIL [$TARGET] interop /"
exit $status
