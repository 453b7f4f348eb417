#!/usr/bin/env bash
# bench/net.sh — Swiftlet's network stack (Samples/udp-echo) in both modes against the Linux kernel, measured in
# the same run, ratios printed.
#
#   ours:   udp-echo (10.0.0.2) on a TAP interface in namespace A, the kernel's ping and the UDP client in A
#           (dev: the tender's TAP backend; prod: QEMU's tap netdev + our virtio-net, microvm, TCG)
#   peer:   the Linux kernel in namespace B (10.0.1.2) over a veth pair from A (10.0.1.1): the kernel answers
#           ping itself; UDP port 7 is a C echo (udp_bench echo: recvfrom/sendto) in B
#
#   ping RTT           avg of 100 requests, 10 ms apart (ping -c 100 -i 0.01)
#   ping flood         wall time of `ping -f -c FLOOD` (zero loss required, else the row says so)
#   UDP echo           datagrams/s of 64 and 1472 B, a C client (udp_bench client) with a fixed window of 8, every
#                      echo checked byte-exact and in order
#
# Each figure is the median of RUNS runs.
#
# usage: bench/net.sh [FLOOD] [DATAGRAMS] [RUNS]   (10000, 50000, 3; the virtio run uses DATAGRAMS/4: TCG is slow)
# Then runs bench/tcp.sh (TCP bulk and HTTP against the kernel and nginx) unless NET_SKIP_TCP=1.
# Needs root (namespaces, TAP). Everything runs in the two namespaces this script creates and always deletes.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FLOOD=${1:-10000}
DATAGRAMS=${2:-50000}
RUNS=${3:-3}
WORK=$(mktemp -d /tmp/swiftlet-netbench.XXXXXX)
NS=swl-netb-$$
NSK=swl-netk-$$
APP_PID=
ECHO_PID=
source "$(dirname "$0")/lib.sh"
cleanup() {
  stop_pids_and_namespaces $APP_PID $ECHO_PID
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "bench/net.sh: needs root (network namespaces and TAP)" >&2; exit 1; }
command -v ping >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping >/dev/null 2>&1

cc -O2 -Wall -o "$WORK/udp_bench" Tests/Interop/udp_bench.c || exit 1
for target in posix virtio; do ./swiftlet build udp-echo --target $target >/dev/null || exit 1; done

make_namespaces || exit 1

rtt_avg() { sed -n 's/^rtt min\/avg\/max\/mdev = [^/]*\/\([^/]*\)\/.*/\1/p'; }
# measure NAME HOST DATAGRAMS: fills R[NAME.rtt], R[NAME.flood], R[NAME.udp64], R[NAME.udp1472] (medians of RUNS)
declare -A R
measure() {
  local name=$1 host=$2 datagrams=$3 out t0 t1 size run
  local -a rtt flood udp64 udp1472
  in_a ping -n -q -c 5 -i 0.05 -w 10 "$host" >/dev/null  # ARP both ways, warm
  for run in $(seq 1 "$RUNS"); do
    rtt+=("$(in_a ping -n -q -c 100 -i 0.01 -w 30 "$host" | rtt_avg)")
    t0=$(date +%s.%N)
    out=$(in_a ping -n -q -f -c "$FLOOD" -w 300 "$host")
    t1=$(date +%s.%N)
    if grep -q " $FLOOD received, 0% packet loss" <<<"$out"; then
      flood+=("$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$t0" "$t1")")
    else
      flood+=("loss:$(grep -o '[0-9]* received' <<<"$out" | tr -d ' ')")
    fi
    for size in 64 1472; do
      out=$(in_a timeout 200 "$WORK/udp_bench" client "$host" 7 "$datagrams" 8 $size 180)
      out=$(sed -n 's/.* \([0-9]*\) datagrams\/s$/\1/p' <<<"$out" | grep . || echo "failed:${out// /_}")
      if [ $size = 64 ]; then udp64+=("$out"); else udp1472+=("$out"); fi
    done
  done
  R[$name.rtt]=$(median "${rtt[@]}")
  R[$name.flood]=$(median "${flood[@]}")
  R[$name.udp64]=$(median "${udp64[@]}" | sed 's/\.0$//')
  R[$name.udp1472]=$(median "${udp1472[@]}" | sed 's/\.0$//')
}

for target in posix virtio; do
  count=$DATAGRAMS; [ $target = virtio ] && count=$((DATAGRAMS / 4))
  in_a ./swiftlet run udp-echo --target $target --net service=tap:swlt0 -- ip=10.0.0.2/24 gw=10.0.0.1 \
    >"$WORK/$target.log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 1200); do grep -q 'echoing UDP port 7' "$WORK/$target.log" && break; sleep 0.1; done
  grep -q 'echoing UDP port 7' "$WORK/$target.log" || { echo "udp-echo ($target) did not start"; cat "$WORK/$target.log"; exit 1; }
  measure $target 10.0.0.2 $count
  kill $APP_PID 2>/dev/null; wait $APP_PID 2>/dev/null; APP_PID=
  # The app itself (the posix process, QEMU) holds the TAP: make sure nothing in namespace A is left.
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$NS")" ] && break; sleep 0.1; done
  in_a ip neigh flush dev swlt0
done

in_b "$WORK/udp_bench" echo 7 60 >"$WORK/echo.log" 2>&1 &
ECHO_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/echo.log" && break; sleep 0.1; done
measure kernel 10.0.1.2 "$DATAGRAMS"

ratio() { python3 -c "
import sys
try: a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')
except ValueError: print('n/a')" "$1" "$2"; }
row() { printf '| %-40s | %-12s | %-12s | %-12s | %s\n' "$1" "$2" "$3" "$4" "$5"; }
line() {  # label key
  row "$1" "${R[posix.$2]}" "${R[virtio.$2]}" "${R[kernel.$2]}" \
    "$(ratio "${R[posix.$2]}" "${R[kernel.$2]}") / $(ratio "${R[virtio.$2]}" "${R[kernel.$2]}")"
}
echo "# Swiftlet network benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
echo "# bench/net.sh $FLOOD $DATAGRAMS $RUNS: medians of $RUNS runs; UDP: $DATAGRAMS datagrams (posix, kernel), $((DATAGRAMS / 4)) (virtio)"
echo
row "measure" "posix" "virtio (TCG)" "Linux kernel" "ratio posix/kernel / virtio/kernel"
row "---" "---" "---" "---" "---"
line "ping RTT, avg of 100 (ms)" rtt
line "ping -f -c $FLOOD wall time (s)" flood
line "UDP echo 64 B, window 8 (datagrams/s)" udp64
line "UDP echo 1472 B, window 8 (datagrams/s)" udp1472

# TCP and HTTP: bench/tcp.sh, in its own namespaces (defaults: 400 MB bulk, wrk -t1 -c16 -d5s, 3 runs).
[ "${NET_SKIP_TCP:-0}" = 1 ] || { echo; "$ROOT/bench/tcp.sh"; }
