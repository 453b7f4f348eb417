#!/usr/bin/env bash
# bench/tcp-ab.sh — A/B of bench/tcp.sh's bulk rows between two checkouts (e.g. main and a worktree at its base), in
# dev mode: Samples/tcp-discard built from each, measured in alternating order on the same TAP, so that the load of
# a shared machine falls on both sides alike. bench/tcp.sh runs one build, then the kernel minutes later: on a busy
# machine its figures, and even its ratios, move by ±50% between runs, too much to compare two builds of our stack.
#
#   round r: A then B (odd r) or B then A (even r); each turn starts the app (posix, 10.0.0.2 on a TAP in namespace
#            A, as bench/tcp.sh), warms up with BYTES/10 to port 9, then SENDS times: `tcp_bench send` BYTES to the
#            discard port (the "client -> server" row: the app receives) and `tcp_bench recv` BYTES from the
#            source port (the "server -> client" row: the app sends), then stops the app
#   MB/s      as bench/tcp.sh: connect to the server's FIN (send), connect to the last byte (recv)
#   cpu ms/GB the app process's user and system CPU time (from /proc/PID/stat, read before and after each transfer)
#             per 10^9 bytes moved: the cost per byte. User time is our stack and app; system time is mostly the
#             kernel's side of the TAP (readv/writev, and the kernel TCP of the client running in our context), which
#             the same code can change little. A busy machine moves both (contention), user time the least
#
# Prints every turn, then per side and direction the median MB/s and the CPU per GB, and B's medians over A's.
#
# usage: bench/tcp-ab.sh DIR_A DIR_B [BYTES] [ROUNDS] [SENDS]   (400000000, 6, 3)
#   DIR_A, DIR_B: Swiftlet checkouts (`git worktree add /tmp/base COMMIT --detach` makes one); each builds its own
#   tcp-discard with its own ./swiftlet. Needs root (namespaces, TAP). Everything runs in the two namespaces this
#   script creates and always deletes.
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: bench/tcp-ab.sh DIR_A DIR_B [BYTES] [ROUNDS] [SENDS]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/tcp-ab.sh: needs root (network namespaces and TAP)" >&2; exit 1; }
DIRS=()
for dir in "$1" "$2"; do
  [ -x "$dir/swiftlet" ] || { echo "bench/tcp-ab.sh: $dir is not a Swiftlet checkout (no ./swiftlet there)" >&2; exit 2; }
  DIRS+=("$(cd "$dir" && pwd)")
done
cd "$(dirname "$0")/.."
BYTES=${3:-400000000}
ROUNDS=${4:-6}
SENDS=${5:-3}
for number in "$BYTES" "$ROUNDS" "$SENDS"; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || { echo "bench/tcp-ab.sh: BYTES, ROUNDS and SENDS are positive integers, not '$number'" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/swiftlet-tcpab.XXXXXX)
NS=swl-tcpab-$$
NSK=swl-tcpabk-$$
APP_PID=
source bench/lib.sh
cleanup() {
  stop_pids_and_namespaces $APP_PID
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -Wall -o "$WORK/tcp_bench" Tests/Interop/tcp_bench.c || exit 1
for dir in "${DIRS[@]}"; do
  (cd "$dir" && ./swiftlet build tcp-discard --target posix >/dev/null) || { echo "bench/tcp-ab.sh: cannot build tcp-discard in $dir" >&2; exit 1; }
done
make_namespaces || exit 1

# cpu_ms PID: "user system" CPU time of the process so far, in milliseconds
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int($14 * 1000 / hz), int($15 * 1000 / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0 0; }
# transfer MODE PORT: one tcp_bench transfer; prints "MB/s user_ms system_ms" (the app's CPU during it)
transfer() {
  local user0 system0 user1 system1 rate
  read -r user0 system0 < <(cpu_ms "$APP")
  rate=$(in_a timeout 200 "$WORK/tcp_bench" "$1" 10.0.0.2 "$2" "$BYTES" 180 2>&1 | sed -n 's/.*: \([0-9.]*\) MB\/s$/\1/p')
  read -r user1 system1 < <(cpu_ms "$APP")
  echo "${rate:-failed} $((user1 - user0)) $((system1 - system0))"
}
declare -A RATES USER SYSTEM
for round in $(seq 1 "$ROUNDS"); do
  order="0 1"; [ $((round % 2)) = 0 ] && order="1 0"
  for side in $order; do
    label=$([ $side = 0 ] && echo A || echo B)
    log="$WORK/app.log"
    : >"$log"
    (cd "${DIRS[$side]}" && in_a ./swiftlet run tcp-discard --target posix --net service=tap:swlt0 -- ip=10.0.0.2/24 gw=10.0.0.1) >"$log" 2>&1 &
    APP_PID=$!
    for _ in $(seq 1 600); do grep -q 'discarding TCP port' "$log" && break; sleep 0.1; done
    grep -q 'discarding TCP port' "$log" || { echo "tcp-discard ($label) did not start"; cat "$log"; exit 1; }
    APP=$(for pid in $(ip netns pids "$NS"); do grep -q '^tcp-discard' "/proc/$pid/comm" 2>/dev/null && echo "$pid"; done | head -1)
    in_a timeout 60 "$WORK/tcp_bench" send 10.0.0.2 9 $((BYTES / 10)) 50 >/dev/null 2>&1  # warm: ARP, caches
    line="round $round $label:"
    for _ in $(seq 1 "$SENDS"); do
      for direction in send recv; do
        port=9; [ $direction = recv ] && port=19
        read -r rate user system < <(transfer $direction $port)
        RATES[$label.$direction]+=" $rate"
        USER[$label.$direction]=$(( ${USER[$label.$direction]:-0} + user ))
        SYSTEM[$label.$direction]=$(( ${SYSTEM[$label.$direction]:-0} + system ))
        line+=" $direction $rate (${user}+${system} ms)"
      done
    done
    echo "$line"
    kill $APP_PID 2>/dev/null; wait $APP_PID 2>/dev/null; APP_PID=
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    for _ in $(seq 1 50); do [ -z "$(ip netns pids "$NS")" ] && break; sleep 0.1; done
    in_a ip neigh flush dev swlt0
  done
done

gigabytes=$(python3 -c "print($BYTES * $ROUNDS * $SENDS / 1e9)")
echo
echo "# bench/tcp-ab.sh: A = ${DIRS[0]} ($(git -C "${DIRS[0]}" rev-parse --short HEAD 2>/dev/null)), B = ${DIRS[1]} ($(git -C "${DIRS[1]}" rev-parse --short HEAD 2>/dev/null))"
echo "# $ROUNDS rounds (order alternating) x $SENDS transfers of $BYTES bytes each way, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-36s | %-36s | %-36s | %s\n' "measure" "A: median MB/s; user, system ms/GB" "B: median MB/s; user, system ms/GB" "B / A"
printf '| %-36s | %-36s | %-36s | %s\n' "---" "---" "---" "---"
for direction in send recv; do
  name="TCP bulk client -> server"; [ $direction = recv ] && name="TCP bulk server -> client"
  python3 - "$name" "$gigabytes" "${RATES[A.$direction]}" "${RATES[B.$direction]}" "${USER[A.$direction]}" "${USER[B.$direction]}" \
    "${SYSTEM[A.$direction]}" "${SYSTEM[B.$direction]}" <<'EOF'
import statistics, sys
name, gigabytes, a, b = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
ua, ub, sa, sb = (int(v) / gigabytes for v in sys.argv[5:9])
def rates(text):
    values = text.split()
    return [float(v) for v in values] if all(v.replace('.', '').isdigit() for v in values) else None
ra, rb = rates(a), rates(b)
if ra is None or rb is None:
    print(f"| {name:<36} | failed: {a.strip()} / {b.strip()}")
    sys.exit()
ma, mb = statistics.median(ra), statistics.median(rb)
cells = [f"{ma:.0f} MB/s; {ua:.0f}, {sa:.0f} ms/GB", f"{mb:.0f} MB/s; {ub:.0f}, {sb:.0f} ms/GB"]
ratio = f"{mb / ma:.2f}x rate; {ub / ua if ua else 0:.2f}x user, {sb / sa if sa else 0:.2f}x system"
label = f'{name} ({len(ra)} runs)'
print(f"| {label:<36} | {cells[0]:<36} | {cells[1]:<36} | {ratio}")
EOF
done
