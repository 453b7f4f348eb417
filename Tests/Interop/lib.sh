# Shared by the interop scripts that run one sample against the Linux kernel (ping.sh, udp.sh, malformed.sh and
# the TCP ones: http.sh, tcp-echo.sh, http-get.sh, tcp-loss.sh, tcp-hostile.sh); sourced, not run.
#
# Sets up a network namespace of our own with one TAP interface (10.0.0.1/24, IPv6 off, nothing else but lo),
# starts a sample on it (10.0.0.2/24 via 10.0.0.1, verbose=1) in the requested mode, and always tears
# everything down on exit: the app by pid, every process left in the namespace, then the namespace itself.
# No traffic leaves the namespace: it has no other interface and no route anywhere else.
#
# The caller sets TARGET and CHECK (a short name for the ok/FAIL lines) before sourcing.
# INTEROP_MEMORY=SIZE (e.g. 8M) runs the app with `swiftlet run --memory SIZE`.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INTEROP="$ROOT/Tests/Interop"
NS=swl-${CHECK}-$$
TAP=swlt0
PEER_IP=10.0.0.1
APP_IP=10.0.0.2
APP_PID=
APP_LOG=$(mktemp /tmp/swiftlet-${CHECK}.XXXXXX)
APP_MAC=
APP=udp-echo
NS_MADE=
# Extra `swiftlet run` options for start_app (e.g. `--block storage=FILE`).
APP_RUN_OPTIONS=()
# The swiftlet command start_app runs the app with: `run`, or `profile` (profile.sh; it takes run's device options).
APP_COMMAND=run
# Extra settings of the TAP net device for start_app (e.g. `,offload=off`).
NET_SETTINGS=

interop_cleanup() {
  if [ -n "$APP_PID" ]; then
    kill "$APP_PID" 2>/dev/null
    wait "$APP_PID" 2>/dev/null
  fi
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  [ -n "${INTEROP_KEEP_LOG:-}" ] && cp "$APP_LOG" "$INTEROP_KEEP_LOG"; rm -f "$APP_LOG"
}
trap interop_cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok [$TARGET] interop $CHECK: $*"; }
fail() {
  echo "FAIL [$TARGET] interop $CHECK: $*"
  [ -s "$APP_LOG" ] && tail -5 "$APP_LOG" | sed 's/^/    | /'
  exit 1
}
# prometheus_python: sets PY to the python3 that has prometheus_client (apt's python3-prometheus-client, when
# another python3 comes first on PATH), or ends the script naming the package to install.
prometheus_python() {
  local python
  for python in python3 /usr/bin/python3; do
    "$python" -c 'import prometheus_client' >/dev/null 2>&1 && { PY=$(command -v "$python"); return 0; }
  done
  fail "no python3 with prometheus_client (apt-get install python3-prometheus-client)"
}
# failed TEXT: one failed check, the script goes on (it exits with $status); shows the app's last counters line.
status=0
failed() {
  echo "FAIL [$TARGET] interop $CHECK: $*"
  last_counters | sed 's/^/    | /'
  status=1
}
in_ns() { ip netns exec "$NS" "$@"; }

case "$TARGET" in posix | virtio) ;; *) echo "usage: $0 posix|virtio" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces and TAP)"
command -v ping >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping >/dev/null 2>&1
command -v ping >/dev/null || fail "no ping (apt-get install iputils-ping)"

# Makes the namespace and the TAP (once; later calls do nothing).
make_namespace() {
  [ -n "$NS_MADE" ] && return 0
  ip netns add "$NS" || fail "cannot create network namespace $NS"
  NS_MADE=1
  in_ns ip link set lo up
  in_ns ip tuntap add dev "$TAP" mode tap || fail "cannot create $TAP"
  in_ns sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
  in_ns ip addr add "$PEER_IP/24" dev "$TAP"
  in_ns ip link set "$TAP" up
}

# start_app SAMPLE [BOOT ARGUMENTS...]: builds SAMPLE, makes the namespace and the TAP, and starts the app with
# ip/gw/verbose=1 and the extra boot arguments. Waits (at most 120 s, a cold build included) for its first line,
# `SAMPLE: ADDRESS mac MAC, ...`; sets APP (the sample, the label of its counters lines) and APP_MAC.
start_app() {
  APP=$1
  shift
  "$ROOT/swiftlet" build "$APP" --target "$TARGET" >"$APP_LOG" 2>&1 || fail "build of $APP failed"
  make_namespace
  in_ns "$ROOT/swiftlet" "$APP_COMMAND" "$APP" --target "$TARGET" --net "service=tap:$TAP$NET_SETTINGS" "${APP_RUN_OPTIONS[@]}" \
    ${INTEROP_MEMORY:+--memory "$INTEROP_MEMORY"} -- \
    ip=$APP_IP/24 gw=$PEER_IP verbose=1 "$@" >"$APP_LOG" 2>&1 &
  APP_PID=$!
  APP_MAC=
  for _ in $(seq 1 1200); do
    # (tr: GRUB leaves a carriage return before the first line of an image booted from disk)
    APP_MAC=$(tr -d '\r' <"$APP_LOG" | sed -n "s/^$APP: .* mac \([0-9a-f:]*\), .*/\1/p" | head -1)
    [ -n "$APP_MAC" ] && break
    kill -0 "$APP_PID" 2>/dev/null || fail "$APP exited early"
    sleep 0.1
  done
  [ -n "$APP_MAC" ] || fail "$APP did not start within 120 s"
}

# Stops the app started last (SIGTERM, forwarded by swiftlet to the process or QEMU) and waits for it.
stop_app() {
  [ -n "$APP_PID" ] || return 0
  # APP_PID is the backgrounded `ip netns exec`; `swiftlet run` and the image (or QEMU) run below it. Stop them all
  # and wait until they are gone (at most 30 s, then SIGKILL), so the TAP is free for the next start_app.
  local pids pid alive
  pids="$APP_PID $(descendants "$APP_PID")"
  kill $pids 2>/dev/null
  for _ in $(seq 1 300); do
    alive=
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  kill -9 $pids 2>/dev/null
  wait "$APP_PID" 2>/dev/null
  APP_PID=
}

# Kills the app started last as a power cut would: SIGKILL to the image process (dev) or QEMU (prod), the children of
# `swiftlet run`, so nothing is flushed or closed; then waits for `swiftlet run` to notice and return.
kill_app_hard() {
  [ -n "$APP_PID" ] || return 0
  local pid exe
  for pid in $(descendants "$APP_PID"); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null)
    case "$exe" in *.elf | *qemu-system-*) kill -9 "$pid" 2>/dev/null ;; esac
  done
  wait "$APP_PID" 2>/dev/null
  APP_PID=
}

# descendants PID: every process below PID, parents before children.
descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

# need_scapy: sets PY to a python3 that has scapy (installing python3-scapy with apt-get when none has), or fails.
need_scapy() {
  local python
  for attempt in 1 2; do
    for python in python3 /usr/bin/python3; do
      "$python" -c 'import scapy.all' >/dev/null 2>&1 && { PY=$(command -v "$python"); return 0; }
    done
    [ $attempt = 1 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-scapy >/dev/null 2>&1
  done
  fail "no python3 with scapy (apt-get install -y python3-scapy)"
}

# Builds udp-echo and starts it with extra boot arguments "$@" (see start_app).
start_udp_echo() { start_app udp-echo "$@"; }

app_alive() { kill -0 "$APP_PID" 2>/dev/null; }

# The last counters line the app printed (it prints one every 5 s with verbose=1).
# The line is logged by subsystem net (`[12.000345] info net: APP: ADDRESS eth ...`); printed without the prefix.
COUNTERS_LINE='^\[[0-9]+\.[0-9]{6}\] info net: '
last_counters() { grep -E "$COUNTERS_LINE$APP: [0-9.]*/[0-9]* eth " "$APP_LOG" | tail -1 | sed -E "s/$COUNTERS_LINE//"; }

# Waits until the app has printed a counters line after this call (at most 12 s), then prints it.
fresh_counters() {
  local before after
  before=$(grep -cE "$COUNTERS_LINE$APP: [0-9.]*/[0-9]* eth " "$APP_LOG")
  for _ in $(seq 1 120); do
    after=$(grep -cE "$COUNTERS_LINE$APP: [0-9.]*/[0-9]* eth " "$APP_LOG")
    [ "$after" -gt "$before" ] && break
    sleep 0.1
  done
  last_counters
}

# counter LINE LAYER FIELD: the value of FIELD in LAYER's part of a counters line (e.g. `counter "$l" ip drop`).
counter() {
  sed 's/ | /\n/g' <<<"$1" | sed 's/^[a-z-]*: [^ ]* //' | awk -v layer="$2" -v field="$3" '
    $1 == layer { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == field) print kv[2] } }'
}
