#!/usr/bin/env bash
# Interop: a metrics scrape parsed by a real Prometheus parser. Samples/udp-echo runs with metrics=1 count=N in a
# network namespace this script creates and always deletes; a Python client sends N datagrams (each echoed), the app
# then prints its metrics registry (Prometheus text format 0.0.4, docs/OBSERVABILITY.md) and exits, and
# metrics_check.py parses the scrape with prometheus_client and checks the UDP, Ethernet, heap and executor figures
# against what was sent. Also checks a per-subsystem log level reaches the app (log=udp-echo:debug,warning).
# Needs root.
#
# usage: Tests/Interop/metrics.sh posix|virtio
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=metrics
source "$(dirname "$0")/lib.sh"
COUNT=20

prometheus_python  # sets PY, for GET /metrics
start_udp_echo count=$COUNT metrics=1 log=udp-echo:debug,warning
out=$(in_ns timeout 120 python3 "$INTEROP/udp_client.py" "$APP_IP" 7 "$COUNT" --sizes 1-64 --window 1 \
  --timeout 100 2>&1)
[ $? = 0 ] || failed "the echo client failed: $out"
# The app exits by itself after COUNT datagrams, printing the scrape first.
for _ in $(seq 1 300); do app_alive || break; sleep 0.1; done
app_alive && failed "udp-echo did not exit after $COUNT datagrams"
wait "$APP_PID" 2>/dev/null
APP_PID=
out=$("$PY" "$INTEROP/metrics_check.py" "$APP_LOG" "$COUNT" 2>&1)
if [ $? = 0 ]; then ok "${out#ok }"; else failed "${out#FAIL }"; sed -n '/swiftlet-metrics begin/,$p' "$APP_LOG" | head -20 | sed 's/^/    | /'; fi
# log=udp-echo:debug,warning: one debug line per echo from udp-echo (the default level would show none).
debug=$(tr -d '\r' <"$APP_LOG" | grep -cE '^\[[0-9]+\.[0-9]{6}\] debug udp-echo: echoed [0-9]+ bytes to ')
if [ "$debug" = "$COUNT" ]; then ok "log=udp-echo:debug,warning: $debug debug lines"; else
  failed "$debug debug lines from udp-echo, expected $COUNT"; fi
exit $status
