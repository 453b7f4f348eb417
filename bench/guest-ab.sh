#!/bin/bash
# bench/guest-ab.sh — A/B of prebuilt prod `http` images on bench/guest.sh's setup (QEMU pc, TCG, 1 vCPU, 128 MiB,
# virtio-net-pci on a tap in a namespace this script makes and deletes), the images alternating in one namespace so
# that a shared machine's load falls on every side alike (docs/BENCHMARKS.md, "Send-buffer autotuning" and
# "Event index").
#
#   round r: every variant once, in an order rotated by r; each turn starts QEMU on the image, waits for GET / to
#            answer 200, runs wrk -t1 -c10 keep-alive then `Connection: close` (SECONDS each, through
#            bench/cpu_split.py: also QEMU's vCPU / main-loop CPU and the kicks and interrupts per request), fetches
#            the 10 MiB body 3 times with curl, and stops QEMU
#
# Prints every turn (with the 1-minute load average at its start), then per variant the medians.
# usage: bench/guest-ab.sh ROUNDS SECONDS LABEL=IMAGE[,DEVICE_PROPERTIES] ...
#   IMAGE: a stripped virtio image of Samples/http (.build-swiftlet/virtio/apps/http/http.stripped of a checkout);
#   DEVICE_PROPERTIES: appended to -device virtio-net-pci (e.g. event_idx=off). Needs root.
set -u
[ $# -ge 3 ] || { echo "usage: bench/guest-ab.sh ROUNDS SECONDS LABEL=IMAGE[,DEVICE_PROPERTIES] ..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/guest-ab.sh: run as root (it makes a network namespace and a TAP)" >&2; exit 1; }
cd "$(dirname "$0")/.."
ROUNDS=$1 SECONDS_PER_RUN=$2
shift 2
for number in "$ROUNDS" "$SECONDS_PER_RUN"; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || { echo "bench/guest-ab.sh: ROUNDS and SECONDS are positive integers, not '$number'" >&2; exit 2; }
done
LABELS=() IMAGES=() PROPS=()
for variant in "$@"; do
  label=${variant%%=*} rest=${variant#*=}
  image=${rest%%,*} props=
  [ "$image" != "$rest" ] && props=",${rest#*,}"
  [ -f "$image" ] || { echo "bench/guest-ab.sh: no image '$image' for $label (build it: ./swiftlet build http --target virtio)" >&2; exit 2; }
  WORKIMG=$(mktemp /tmp/swiftlet-guestab-img.XXXXXX)  # a copy: the checkout may rebuild meanwhile
  cp "$image" "$WORKIMG"
  LABELS+=("$label") IMAGES+=("$WORKIMG") PROPS+=("$props")
done
NS=swl-guestab-$$
NSK=swl-guestab-unused-$$
WORK=$(mktemp -d /tmp/swiftlet-guestab.XXXXXX)
. bench/lib.sh
QEMU_PID=
cleanup() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  [ -n "${GUEST_AB_KEEP:-}" ] && cp "$WORK/console.log" /tmp/guest-ab-console.log
  rm -rf "$WORK" "${IMAGES[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" || { echo "bench/guest-ab.sh: cannot make namespace $NS" >&2; exit 1; }
in_a ip link set lo up
in_a ip tuntap add dev swlt0 mode tap
in_a sysctl -qw net.ipv6.conf.swlt0.disable_ipv6=1
in_a ip addr add 10.0.0.1/24 dev swlt0
in_a ip link set swlt0 up

MAC=52:54:00:12:34:56
turn() {  # INDEX: one turn of variant INDEX; prints "keep close body body body"
  in_a qemu-system-x86_64 -M pc -accel tcg -cpu max -m 128M -display none -serial stdio -no-reboot -nodefaults \
    -kernel "${IMAGES[$1]}" -append "ip=10.0.0.2/24 gw=10.0.0.1 @net.service=$MAC" \
    -netdev tap,id=net-service,ifname=swlt0,script=no,downscript=no \
    -device "virtio-net-pci,netdev=net-service,mac=$MAC,host_mtu=1500${PROPS[$1]}" >"$WORK/console.log" 2>&1 &
  QEMU_PID=$!
  local up=
  for _ in $(seq 1 600); do
    [ "$(in_a curl -s -o /dev/null -m 1 -w '%{http_code}' http://10.0.0.2/)" = 200 ] && { up=1; break; }
    sleep 0.1
  done
  # The answer must come from this turn's QEMU (alive, and its console says it serves).
  if [ -n "$up" ] && ! grep -q "serving port" "$WORK/console.log"; then up=; echo "bench/guest-ab.sh: ${LABELS[$1]} did not start" >&2; fi
  if [ -z "$up" ]; then
    echo "FAILED FAILED FAILED FAILED FAILED"
    tail -n 5 "$WORK/console.log" | sed 's/^/  | /' >&2
  else
    local keep close
    keep=$(python3 bench/cpu_split.py "$NS" "$SECONDS_PER_RUN" "${LABELS[$1]} keep-alive")
    close=$(python3 bench/cpu_split.py "$NS" "$SECONDS_PER_RUN" "${LABELS[$1]} close" "Connection: close")
    { echo "$keep" | tail -n +2; echo "$close" | tail -n +2; } >>"$WORK/split.md"
    if [ "$(echo "$close" | head -1)" = FAILED ]; then  # say why: the console
      echo "bench/guest-ab.sh: ${LABELS[$1]}: QEMU gone after keep-alive; its console ends:" >&2
      tail -n 5 "$WORK/console.log" | sed 's/^/  | /' >&2
    fi
    echo -n "$(echo "$keep" | head -1) $(echo "$close" | head -1)"
    for _ in 1 2 3; do
      echo -n " $(in_a curl -s -o /dev/null -m 60 -w '%{http_code} %{size_download} %{time_total}\n' \
        http://10.0.0.2/bytes/10485760 | awk '$1 == 200 && $2 == 10485760 { print $3; f = 1 } END { if (!f) print "FAILED" }')"
    done
    echo
  fi
  # QEMU_PID is the subshell of in_a, not QEMU: stop every process of the namespace and wait until they are gone,
  # else the old QEMU keeps the tap and answers for the next image, whose QEMU cannot open it.
  ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
  for _ in $(seq 1 100); do [ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && break; sleep 0.1; done
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  wait "$QEMU_PID" 2>/dev/null
  QEMU_PID=
  sleep 0.5
}

declare -A KEEP CLOSE BODY
count=${#LABELS[@]}
echo "# bench/guest-ab.sh $ROUNDS $SECONDS_PER_RUN, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
for round in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $((count - 1))); do
    i=$(((k + round - 1) % count))
    load=$(cut -d' ' -f1 /proc/loadavg)
    turn "$i" >"$WORK/turn.out"  # not `< <(turn)`: read would return before the turn has stopped its QEMU
    read -r keep close b1 b2 b3 <"$WORK/turn.out"
    echo "round $round ${LABELS[$i]} (load $load): keep-alive $keep req/s, close $close req/s, body $b1 $b2 $b3 s"
    KEEP[$i]="${KEEP[$i]:-} $keep" CLOSE[$i]="${CLOSE[$i]:-} $close" BODY[$i]="${BODY[$i]:-} $b1 $b2 $b3"
  done
done
echo
echo "| variant | keep-alive req/s (median) | close req/s (median) | 10 MiB body s (median) |"
echo "| --- | --- | --- | --- |"
for i in $(seq 0 $((count - 1))); do
  # shellcheck disable=SC2086
  echo "| ${LABELS[$i]} | $(median ${KEEP[$i]}) | $(median ${CLOSE[$i]}) | $(median ${BODY[$i]}) |"
done
echo
echo "| run | req/s | QEMU vCPU | QEMU main loop | QEMU other | wrk | host user | host system | host irq+softirq | host idle | kicks/req | interrupts/req |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
cat "$WORK/split.md"
