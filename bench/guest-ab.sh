#!/bin/bash
# bench/guest-ab.sh — A/B of bench/guest.sh's Swiftlet rows between two checkouts (e.g. main and a branch's
# worktree), in prod: the `http` unikernel of each, alternated in one namespace, so the load of a shared machine
# falls on both sides alike. bench/guest.sh measures one image, then nginx minutes later: good for the ratio to
# nginx, too coarse to tell two builds of our stack apart on a noisy 2-core machine.
#
#   round r: A then B (odd r) or B then A (even r); each turn starts the image with `swiftlet run http --target
#            virtio` from its checkout (QEMU pc, TCG, 1 vCPU, -m MEMORY, virtio-net-pci on a tap, as bench/guest.sh),
#            fetches the 10 MiB body BODIES times with curl, runs wrk -t1 -c10 keep-alive and `Connection: close`
#            for SECONDS each, and stops it
#
# Prints every turn, then per side the medians and B's medians over A's (above 1: B ahead, time rows inverted).
#
# usage: bench/guest-ab.sh DIR_A DIR_B [SECONDS] [ROUNDS] [BODIES] [MEMORY]   (5, 3, 3, 128M), as root
#   DIR_A, DIR_B: Swiftlet checkouts (`git worktree add /tmp/base COMMIT --detach` makes one); each builds its own
#   image first with its own ./swiftlet. Everything runs in one namespace this script creates and always deletes.
set -u
[ $# -ge 2 ] || { echo "usage: bench/guest-ab.sh DIR_A DIR_B [SECONDS] [ROUNDS] [BODIES] [MEMORY]" >&2; exit 2; }
DIR_A=$(cd "$1" && pwd) || { echo "bench/guest-ab.sh: no checkout at $1" >&2; exit 2; }
DIR_B=$(cd "$2" && pwd) || { echo "bench/guest-ab.sh: no checkout at $2" >&2; exit 2; }
SECONDS_PER_RUN=${3:-5}
ROUNDS=${4:-3}
BODIES=${5:-3}
MEMORY=${6:-128M}
cd "$(dirname "$0")/.."
NS=swl-gab-$$
NSK=swl-gab-unused-$$
. bench/lib.sh
GUEST_PID=
LOG=$(mktemp /tmp/swiftlet-guest-ab.XXXXXX)

cleanup() {
  [ -n "$GUEST_PID" ] && { pkill -TERM -P "$GUEST_PID" 2>/dev/null; kill "$GUEST_PID" 2>/dev/null; }
  stop_pids_and_namespaces
  rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "bench/guest-ab.sh: run as root (it makes a network namespace and a TAP)" >&2; exit 1; }
for tool in qemu-system-x86_64 wrk curl; do
  command -v $tool >/dev/null || { echo "bench/guest-ab.sh: needs $tool (./swiftlet setup installs it)" >&2; exit 1; }
done

for dir in "$DIR_A" "$DIR_B"; do
  echo "building http for virtio in $dir" >&2
  (cd "$dir" && ./swiftlet build http --target virtio >/dev/null) || { echo "bench/guest-ab.sh: build failed in $dir" >&2; exit 1; }
done

ip netns add "$NS" || { echo "bench/guest-ab.sh: cannot make namespace $NS" >&2; exit 1; }
in_a ip link set lo up
in_a ip tuntap add dev swlt0 mode tap
in_a sysctl -qw net.ipv6.conf.swlt0.disable_ipv6=1
in_a ip addr add 10.0.0.1/24 dev swlt0
in_a ip link set swlt0 up

start_image() {  # DIR
  (cd "$1" && in_a ./swiftlet run http --target virtio --machine pc --accel tcg --memory "$MEMORY" \
    --net service=tap:swlt0 -- ip=10.0.0.2/24 gw=10.0.0.1 >"$LOG" 2>&1) &
  GUEST_PID=$!
  for _ in $(seq 600); do  # up to 60 s for the first 200
    [ "$(in_a curl -s -o /dev/null -m 1 -w '%{http_code}' http://10.0.0.2/)" = 200 ] && return 0
    sleep 0.1
  done
  echo "bench/guest-ab.sh: the image from $1 never answered GET /; its console ends:" >&2
  tail -n 15 "$LOG" | sed 's/^/  | /' >&2
  return 1
}

stop_image() {
  pkill -TERM -P "$GUEST_PID" 2>/dev/null
  kill "$GUEST_PID" 2>/dev/null
  wait "$GUEST_PID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  GUEST_PID=
  sleep 0.5
}

wrk_rate() {  # [HEADER...]: wrk's requests/s, or FAILED
  in_a wrk -t1 -c10 -d"${SECONDS_PER_RUN}s" "$@" http://10.0.0.2/ 2>/dev/null \
    | awk '/Requests\/sec/ { print $2; found = 1 } END { if (!found) print "FAILED" }'
}

body_time() {  # seconds to fetch the 10 MiB body, or FAILED
  in_a curl -s -o /dev/null -m 60 -w '%{http_code} %{size_download} %{time_total}\n' http://10.0.0.2/bytes/10485760 \
    | awk '$1 == 200 && $2 == 10485760 { print $3; found = 1 } END { if (!found) print "FAILED" }'
}

declare -A V  # side.measure -> space-separated values
turn() {  # SIDE DIR
  start_image "$2" || { V[$1.body]+=" FAILED"; V[$1.keep]+=" FAILED"; V[$1.close]+=" FAILED"; stop_image; return; }
  local bodies=()
  for _ in $(seq "$BODIES"); do bodies+=("$(body_time)"); done
  local keep close
  keep=$(wrk_rate)
  close=$(wrk_rate -H 'Connection: close')
  stop_image
  V[$1.body]+=" ${bodies[*]}"
  V[$1.keep]+=" $keep"
  V[$1.close]+=" $close"
  echo "  $1: body ${bodies[*]} s; keep-alive $keep req/s; close $close req/s; load $(cut -d' ' -f1 /proc/loadavg)"
}

echo "# bench/guest-ab.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores: A=$DIR_A ($(git -C "$DIR_A" rev-parse --short HEAD)) B=$DIR_B ($(git -C "$DIR_B" rev-parse --short HEAD))"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  if [ $((round % 2)) = 1 ]; then turn A "$DIR_A"; turn B "$DIR_B"; else turn B "$DIR_B"; turn A "$DIR_A"; fi
done

ratio() {  # A B [inverse]
  python3 -c "
import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2])
    print(f'{(a / b if sys.argv[3] == \"inverse\" else b / a):.2f}')
except (ValueError, ZeroDivisionError):
    print('n/a')" "$1" "$2" "${3:-}"
}
echo
echo "| measure (medians)                   | A            | B            | B/A (above 1: B ahead)"
echo "| ---                                 | ---          | ---          | ---"
for m in body keep close; do
  # shellcheck disable=SC2086
  a=$(median ${V[A.$m]}) b=$(median ${V[B.$m]})
  case $m in
    body) printf '| %-35s | %-12s | %-12s | %s\n' "10 MiB body (s)" "$a" "$b" "$(ratio "$a" "$b" inverse)" ;;
    keep) printf '| %-35s | %-12s | %-12s | %s\n' "HTTP keep-alive (req/s)" "$a" "$b" "$(ratio "$a" "$b")" ;;
    close) printf '| %-35s | %-12s | %-12s | %s\n' "HTTP Connection: close (req/s)" "$a" "$b" "$(ratio "$a" "$b")" ;;
  esac
done
