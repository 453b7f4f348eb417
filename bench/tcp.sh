#!/usr/bin/env bash
# bench/tcp.sh — Swiftlet's TCP (Samples/tcp-discard) and HTTP server (Samples/http) in both modes against the Linux
# kernel's TCP and nginx, measured in the same run, ratios printed. bench/net.sh runs it after its own table.
#
#   ours:   the app (10.0.0.2) on a TAP interface in namespace A; the clients in A
#           (dev: the tender's TAP backend; prod: QEMU's tap netdev + our virtio-net, microvm, TCG)
#   peer:   the Linux kernel in namespace B (10.0.1.2) over a veth pair from A (10.0.1.1): the same C discard/source
#           servers (tcp_bench discard|source: read/write loops on kernel sockets), and nginx (Debian's nginx-light,
#           one worker, access log off) serving a copy of our 612-byte index page
#
#   TCP bulk to server     MB/s of `tcp_bench send`: BYTES written to port 9 (discard, RFC 863), timed from connect
#                          to the server's FIN, which follows the last byte read
#   TCP bulk from server   MB/s of `tcp_bench recv`: BYTES read from port 19 (a source that writes until the client
#                          goes), timed from connect to the last byte
#   HTTP req/s             wrk -t1 -c16 -dDURATIONs http://HOST/ (the 612-byte page), keep-alive, then with
#                          -H 'Connection: close' (a connection per request; the server closes first)
#   HTTP POST /echo        wrk -t1 -c16 POST of a 64 KiB body to /echo, keep-alive: ours echoes it (Samples/http);
#                          nginx reads and drops the body and answers a 64 KiB file (nginx-light has no echo; its
#                          `error_page 405 =200` serves the static file to a POST), so both move 64 KiB each way
#   iperf3 (reference)     kernel to kernel over the veth pair, each way (-R): the kernel's TCP at its best here
#
# Each figure is the median of RUNS runs.
#
# usage: bench/tcp.sh [BYTES] [DURATION] [RUNS]   (400000000, 5, 3; the virtio run moves BYTES/20: TCG is slow)
#        TCP_BENCH_TARGETS="posix" bench/tcp.sh ...   measures only those targets (default "posix virtio")
# Needs root (namespaces, TAP); installs iperf3, wrk and nginx-light if missing. Everything runs in the two
# namespaces this script creates and always deletes. TCP_BENCH_LOGS=DIR keeps the apps' and peers' logs (the apps run
# with verbose=1: stack counters every 5 s).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BYTES=${1:-400000000}
DURATION=${2:-5}
RUNS=${3:-3}
WRK="wrk -t1 -c16 -d${DURATION}s"
WORK=$(mktemp -d /tmp/swiftlet-tcpbench.XXXXXX)
NS=swl-tcpb-$$
NSK=swl-tcpk-$$
APP_PID=
PEER_PIDS=
source "$(dirname "$0")/lib.sh"
cleanup() {
  stop_pids_and_namespaces $APP_PID $PEER_PIDS
  [ -n "${TCP_BENCH_LOGS:-}" ] && mkdir -p "$TCP_BENCH_LOGS" && cp "$WORK"/*.log "$TCP_BENCH_LOGS"/ 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "bench/tcp.sh: needs root (network namespaces and TAP)" >&2; exit 1; }
for tool in iperf3 wrk nginx curl; do
  command -v $tool >/dev/null && continue
  package=$tool; [ $tool = nginx ] && package=nginx-light
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $package >/dev/null 2>&1 \
    || { echo "bench/tcp.sh: cannot install $package" >&2; exit 1; }
done

cc -O2 -Wall -o "$WORK/tcp_bench" Tests/Interop/tcp_bench.c || exit 1
TARGETS=${TCP_BENCH_TARGETS:-posix virtio}
for app in tcp-discard http; do
  for target in $TARGETS; do ./swiftlet build $app --target $target >/dev/null || exit 1; done
done

make_namespaces || exit 1

# failure TEXT: one word for the table
failure() { local text="${1//[^A-Za-z0-9:.]/_}"; echo "failed:${text:0:60}"; }
# wrk_rate ARGS...: requests/s of one wrk run from namespace A, or a failure note (errors, non-2xx answers)
wrk_rate() {
  local out rate
  out=$(in_a timeout $((DURATION + 30)) $WRK "$@" 2>&1)
  rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)$/\1/p' <<<"$out")
  if [ -z "$rate" ]; then failure "$out"
  elif grep -q 'Non-2xx' <<<"$out"; then failure "non-2xx"
  elif grep -q 'Socket errors:.*timeout [1-9]' <<<"$out"; then echo "timeouts:$rate"
  else printf '%.0f\n' "$rate"; fi
}
# bulk MODE HOST PORT BYTES: MB/s of one tcp_bench transfer from namespace A, or a failure note
bulk() {
  local out
  out=$(in_a timeout 200 "$WORK/tcp_bench" "$1" "$2" "$3" "$4" 180 2>&1)
  sed -n 's/.*: \([0-9.]*\) MB\/s$/\1/p' <<<"$out" | grep . || failure "$out"
}
declare -A R
# measure_bulk NAME HOST BYTES: R[NAME.send], R[NAME.recv]
measure_bulk() {
  local name=$1 host=$2 bytes=$3 run
  local -a send recv
  bulk send "$host" 9 $((bytes / 10)) >/dev/null  # warm: ARP, caches
  for run in $(seq 1 "$RUNS"); do
    send+=("$(bulk send "$host" 9 "$bytes")")
    recv+=("$(bulk recv "$host" 19 "$bytes")")
  done
  R[$name.send]=$(median "${send[@]}")
  R[$name.recv]=$(median "${recv[@]}")
}
# measure_http NAME HOST: R[NAME.keepalive], R[NAME.close], R[NAME.echo]
measure_http() {
  local name=$1 host=$2 run
  local -a keepalive close echo
  in_a curl -sf -o /dev/null --max-time 10 "http://$host/"  # warm: ARP
  for run in $(seq 1 "$RUNS"); do
    keepalive+=("$(wrk_rate "http://$host/")")
    close+=("$(wrk_rate -H 'Connection: close' "http://$host/")")
    echo+=("$(wrk_rate -s "$WORK/post64k.lua" "http://$host/echo")")
  done
  R[$name.keepalive]=$(median "${keepalive[@]}" | sed 's/\.0$//')
  R[$name.close]=$(median "${close[@]}" | sed 's/\.0$//')
  R[$name.echo]=$(median "${echo[@]}" | sed 's/\.0$//')
}
# start_app APP TARGET READY_TEXT: runs APP on the TAP in namespace A and waits for its banner
start_app() {
  local app=$1 target=$2 ready=$3
  : >"$WORK/$app.$target.log"
  in_a ./swiftlet run "$app" --target "$target" --net service=tap:swlt0 -- ip=10.0.0.2/24 gw=10.0.0.1 verbose=1 \
    >"$WORK/$app.$target.log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 1200); do grep -q "$ready" "$WORK/$app.$target.log" && break; sleep 0.1; done
  grep -q "$ready" "$WORK/$app.$target.log" || { echo "$app ($target) did not start"; cat "$WORK/$app.$target.log"; exit 1; }
}
stop_app() {
  kill $APP_PID 2>/dev/null; wait $APP_PID 2>/dev/null; APP_PID=
  # The app itself (the posix process, QEMU) holds the TAP: make sure nothing in namespace A is left.
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$NS")" ] && break; sleep 0.1; done
  in_a ip neigh flush dev swlt0
}

mkdir -p "$WORK/www"
# wrk's POST of a 64 KiB body; nginx's answer to it is a 64 KiB file.
cat >"$WORK/post64k.lua" <<'EOF'
wrk.method = "POST"
wrk.body = string.rep("x", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
EOF
head -c 65536 /dev/zero | tr '\0' 'x' >"$WORK/www/echo"
for target in $TARGETS; do
  bytes=$BYTES; [ $target = virtio ] && bytes=$((BYTES / 20))
  start_app tcp-discard $target 'discarding TCP port'
  measure_bulk $target 10.0.0.2 $bytes
  stop_app
  start_app http $target 'serving port'
  [ -s "$WORK/www/index.html" ] || in_a curl -sf -o "$WORK/www/index.html" --max-time 10 http://10.0.0.2/
  measure_http $target 10.0.0.2
  stop_app
done

# The kernel: the same servers in namespace B, nginx with our page, iperf3 for reference.
in_b "$WORK/tcp_bench" discard 9 600 >"$WORK/discard.log" 2>&1 &
PEER_PIDS="$PEER_PIDS $!"
in_b "$WORK/tcp_bench" source 19 600 >"$WORK/source.log" 2>&1 &
PEER_PIDS="$PEER_PIDS $!"
chmod 755 "$WORK" "$WORK/www"
[ -s "$WORK/www/index.html" ] || { echo "could not fetch the index page from our http"; exit 1; }
cat >"$WORK/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  default_type text/html;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  fastcgi_temp_path $WORK/nginx-fastcgi;
  uwsgi_temp_path $WORK/nginx-uwsgi;
  scgi_temp_path $WORK/nginx-scgi;
  server {
    listen 10.0.1.2:80; root $WORK/www; index index.html;
    location = /echo { default_type application/octet-stream; error_page 405 =200 \$uri; }
  }
}
EOF
in_b nginx -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
PEER_PIDS="$PEER_PIDS $!"
in_b iperf3 -s -B 10.0.1.2 >"$WORK/iperf3.log" 2>&1 &
PEER_PIDS="$PEER_PIDS $!"
for _ in $(seq 1 50); do
  grep -q ready "$WORK/discard.log" && grep -q ready "$WORK/source.log" && in_a curl -sf -o /dev/null http://10.0.1.2/ && break
  sleep 0.1
done
measure_bulk kernel 10.0.1.2 "$BYTES"
measure_http kernel 10.0.1.2
iperf() {  # extra iperf3 flags: MB/s (10^6 B/s) received, median of RUNS
  local -a rates
  for _ in $(seq 1 "$RUNS"); do
    rates+=("$(in_a iperf3 -c 10.0.1.2 -t "$DURATION" -f m "$@" 2>&1 \
      | sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver$/\1/p' | awk '{ printf "%.1f\n", $1 / 8 }' | grep . || echo failed)")
  done
  median "${rates[@]}"
}
R[iperf.send]=$(iperf)
R[iperf.recv]=$(iperf -R)
bytes_kernel=$(stat -c %s "$WORK/www/index.html")

ratio() { python3 -c "
import sys
try: a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')
except ValueError: print('n/a')" "$1" "$2"; }
row() { printf '| %-44s | %-12s | %-12s | %-12s | %s\n' "$1" "$2" "$3" "$4" "$5"; }
line() {  # label key
  row "$1" "${R[posix.$2]:-}" "${R[virtio.$2]:-}" "${R[kernel.$2]}" \
    "$(ratio "${R[posix.$2]:-}" "${R[kernel.$2]}") / $(ratio "${R[virtio.$2]:-}" "${R[kernel.$2]}")"
}
echo "# Swiftlet TCP/HTTP benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
echo "# bench/tcp.sh $BYTES $DURATION $RUNS: medians of $RUNS runs; bulk: $BYTES bytes (posix, kernel), $((BYTES / 20)) (virtio);"
echo "# $WRK; peer: Linux $(uname -r) over veth, $(nginx -v 2>&1 | sed 's/.*: //') (1 worker) serving our $bytes_kernel-byte page"
echo
row "measure" "posix" "virtio (TCG)" "Linux kernel" "ratio posix/kernel / virtio/kernel"
row "---" "---" "---" "---" "---"
line "TCP bulk client -> server (MB/s)" send
line "TCP bulk server -> client (MB/s)" recv
line "HTTP keep-alive, 612 B page (req/s)" keepalive
line "HTTP Connection: close, 612 B page (req/s)" close
line "HTTP POST /echo, 64 KiB each way (req/s)" echo
row "iperf3 kernel -> kernel, veth (MB/s)" "" "" "${R[iperf.send]} / -R ${R[iperf.recv]}" "reference"
