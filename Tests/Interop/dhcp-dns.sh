#!/usr/bin/env bash
# Interop: DHCP and DNS against dnsmasq. In a network namespace this script creates and always deletes, a TAP
# interface with 10.0.0.1/24 carries dnsmasq (DHCP range 10.0.0.50-99, 12 h leases; DNS answering only
# swiftlet.test = 10.0.0.77 from its own --address, NXDOMAIN for names under nx.test, nothing forwarded). Samples/dns-lookup runs on the TAP with
# DHCP (no ip=) and name=swiftlet.test, and must print `swiftlet.test is 10.0.0.77` after binding an address in
# the range, which dnsmasq must have leased to the app's MAC. Then the same lookup with a static address and
# dns=10.0.0.1, and a name dnsmasq does not know (NXDOMAIN: a clear message, exit 1). Needs root.
#
# usage: Tests/Interop/dhcp-dns.sh posix|virtio
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NS=swl-dhcpdns-$$
TAP=swlt0
WORK=$(mktemp -d /tmp/swiftlet-dhcpdns.XXXXXX)
APP_LOG=$WORK/app.log
DNSMASQ_LOG=$WORK/dnsmasq.log
DNSMASQ_PID_FILE=$WORK/dnsmasq.pid
LEASES=$WORK/dnsmasq.leases
APP_PID=
DNSMASQ_PID=

cleanup() {
  if [ -n "$APP_PID" ]; then
    kill "$APP_PID" 2>/dev/null
    wait "$APP_PID" 2>/dev/null
  fi
  if [ -n "$DNSMASQ_PID" ]; then
    kill "$DNSMASQ_PID" 2>/dev/null
    wait "$DNSMASQ_PID" 2>/dev/null
  fi
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
ok() { echo "ok [$TARGET] interop dhcp+dns: $*"; }
failed() {
  echo "FAIL [$TARGET] interop dhcp+dns: $*"
  [ -s "$APP_LOG" ] && tail -5 "$APP_LOG" | sed 's/^/    | /'
  [ -s "$DNSMASQ_LOG" ] && tail -5 "$DNSMASQ_LOG" | sed 's/^/    dnsmasq| /'
  status=1
}
fatal() {
  failed "$@"
  exit 1
}
in_ns() { ip netns exec "$NS" "$@"; }

case "$TARGET" in posix | virtio) ;; *) echo "usage: $0 posix|virtio" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || fatal "needs root (network namespaces and TAP)"
command -v dnsmasq >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null 2>&1
command -v dnsmasq >/dev/null || fatal "no dnsmasq (apt-get install dnsmasq-base)"

"$ROOT/swiftlet" build dns-lookup --target "$TARGET" >"$APP_LOG" 2>&1 || fatal "build failed"
ip netns add "$NS" || fatal "cannot create network namespace $NS"
in_ns ip link set lo up
in_ns ip tuntap add dev "$TAP" mode tap || fatal "cannot create $TAP"
in_ns sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
in_ns ip addr add 10.0.0.1/24 dev "$TAP"
in_ns ip link set "$TAP" up

# --user=root: the lease file lives in our private temp directory. --dhcp-authoritative: answer at once.
in_ns dnsmasq --no-daemon --conf-file=/dev/null --interface="$TAP" --bind-interfaces \
  --dhcp-range=10.0.0.50,10.0.0.99,12h --dhcp-authoritative --dhcp-leasefile="$LEASES" --no-resolv --no-hosts \
  --address=/swiftlet.test/10.0.0.77 --local=/nx.test/ --pid-file="$DNSMASQ_PID_FILE" --user=root --log-dhcp --log-queries \
  >"$DNSMASQ_LOG" 2>&1 &
# `ip netns exec` execs dnsmasq, so $! is dnsmasq itself (with --no-daemon it may not write the pid file).
DNSMASQ_PID=$!
for _ in $(seq 1 50); do
  grep -q 'sockets bound exclusively' "$DNSMASQ_LOG" && break
  kill -0 "$DNSMASQ_PID" 2>/dev/null || fatal "dnsmasq exited"
  sleep 0.1
done
grep -q 'sockets bound exclusively' "$DNSMASQ_LOG" || fatal "dnsmasq did not start within 5 s"

# Runs dns-lookup on the TAP with boot arguments "$@" (at most 120 s); sets OUT and RC.
run_lookup() {
  : >"$APP_LOG"
  in_ns timeout 120 "$ROOT/swiftlet" run dns-lookup --target "$TARGET" --net "service=tap:$TAP" -- "$@" \
    >"$APP_LOG" 2>&1 &
  APP_PID=$!
  wait "$APP_PID"
  RC=$?
  APP_PID=
  OUT=$(cat "$APP_LOG")
}

# 1. DHCP, then the name.
start=$(date +%s.%N)
run_lookup name=swiftlet.test
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
bound=$(sed -n 's/^dns-lookup: mac \([0-9a-f:]*\) bound lease \([0-9.]*\)\/\([0-9]*\) .*/\1 \2 \3/p' <<<"$OUT")
read -r mac address prefix <<<"$bound"
last=${address##*.}
if [ "$RC" = 0 ] && grep -q '^dns-lookup: swiftlet.test is 10.0.0.77$' <<<"$OUT" && [ -n "$address" ] &&
  [ "${address%.*}" = 10.0.0 ] && [ "$last" -ge 50 ] && [ "$last" -le 99 ] && [ "$prefix" = 24 ]; then
  ok "DHCP bound $address/$prefix (in 10.0.0.50-99), swiftlet.test is 10.0.0.77 (${took} s, exit 0)"
else
  failed "DHCP + lookup: exit $RC, bound '${address:-none}/${prefix:-}', expected swiftlet.test is 10.0.0.77"
fi
if [ -n "$mac" ] && grep -qi " $mac $address " "$LEASES" 2>/dev/null; then
  ok "dnsmasq leased $address to $mac ($(grep -c 'DHCPACK' "$DNSMASQ_LOG") DHCPACK, $(grep -c 'query\[A\] swiftlet.test' "$DNSMASQ_LOG") A query)"
else
  failed "dnsmasq has no lease of '${address:-none}' for '${mac:-?}': $(tr '\n' ';' <"$LEASES" 2>/dev/null)"
fi
grep -q '^dns-lookup: .*bound lease .* dns=10.0.0.1' <<<"$OUT" && ok "lease brought router and DNS server 10.0.0.1" ||
  failed "lease without DNS server 10.0.0.1: $(grep bound <<<"$OUT")"
# The stack logs the binding itself (subsystem net, docs/OBSERVABILITY.md).
logged=$(grep -m1 '] info net: DHCP: bound 10\.0\.0\.[0-9]*/24 from 10\.0\.0\.1$' <<<"$OUT")
[ -n "$logged" ] && ok "the stack logged the binding: '$logged'" || failed "no 'info net: DHCP: bound' log line"

# 2. Static address with dns=.
run_lookup ip=10.0.0.2/24 gw=10.0.0.1 dns=10.0.0.1 name=swiftlet.test
if [ "$RC" = 0 ] && grep -q '^dns-lookup: swiftlet.test is 10.0.0.77$' <<<"$OUT"; then
  ok "static ip=10.0.0.2/24 dns=10.0.0.1: swiftlet.test is 10.0.0.77"
else
  failed "static lookup: exit $RC"
fi

# 3. A name dnsmasq does not know in a domain it serves (--local=/nx.test/): NXDOMAIN, exit 1 with the reason.
run_lookup name=nowhere.nx.test
if [ "$RC" = 1 ] && grep -q '] error dns-lookup: cannot resolve nowhere.nx.test: name not found' <<<"$OUT"; then
  ok "unknown name: '$(grep 'dns-lookup: cannot' <<<"$OUT")', exit 1"
else
  failed "unknown name: exit $RC, expected 'name not found' and exit 1"
fi

kill -0 "$DNSMASQ_PID" 2>/dev/null || failed "dnsmasq died"
exit $status
