#!/usr/bin/env bash
# Interop: Samples/kv (HTTP over the stack, values in the store on a block file) against curl and a Python client in
# a network namespace this script creates and always deletes. Needs root.
#
#   api        PUT 201 then 204, GET byte-exact with its ETag, HEAD, If-Match 412, DELETE 204/404, listing pages,
#              413 for a value over 1 MiB, 400 for a bad escape, 405
#   restart    after a clean stop, `swiftlet store check` passes and `swiftlet store get` reads what the app wrote;
#              the OTHER mode then serves the same disk: every key intact (the format is the same in both modes)
#   power cuts ROUNDS times: 4 client threads PUT fresh keys while the app is killed with SIGKILL (dev: the process;
#              prod: QEMU) at a random moment; after each restart every acknowledged write is there exactly, and an
#              unacknowledged one is absent or exact (Tests/Interop/kv_client.py)
#
# usage: Tests/Interop/kv.sh posix|virtio [ROUNDS]   (ROUNDS: 8 posix, 4 virtio)
set -uo pipefail
TARGET=${1:-}
CHECK=kv
source "$(dirname "$0")/lib.sh"
ROUNDS=${2:-$([ "$TARGET" = posix ] && echo 8 || echo 4)}
OTHER=$([ "$TARGET" = posix ] && echo virtio || echo posix)
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null 2>&1
command -v curl >/dev/null || fail "no curl (apt-get install curl)"

WORK=$(mktemp -d /tmp/swiftlet-kv.XXXXXX)
trap 'rm -rf "$WORK"; interop_cleanup' EXIT
DISK=$WORK/kv.img
"$ROOT/swiftlet" store create "$DISK" --size 1G >"$WORK/create.log" 2>&1 || fail "swiftlet store create: $(tail -1 "$WORK/create.log")"
APP_RUN_OPTIONS=(--block "storage=$DISK")
prometheus_python  # sets PY, for GET /metrics
start_app kv
URL=http://$APP_IP/kv

# --- api ------------------------------------------------------------------------------------------------------------
head -c 100000 /dev/urandom >"$WORK/value"
code=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$WORK/value" "$URL/photo")
code2=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$WORK/value" "$URL/photo")
out=$(in_ns curl -s -m 30 -D "$WORK/headers" -o "$WORK/got" -w '%{http_code}' "$URL/photo")
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$WORK/headers")
if [ "$code" = 201 ] && [ "$code2" = 204 ] && [ "$out" = 200 ] && cmp -s "$WORK/value" "$WORK/got" && [ -n "$etag" ]; then
  ok "PUT 201 then 204, GET 200 with the 100000 bytes byte-exact, ETag $etag"
else
  failed "PUT $code, PUT again $code2, GET $out ($(stat -c %s "$WORK/got" 2>/dev/null) bytes), ETag '${etag}'"
fi
head=$(in_ns curl -s -m 30 -I -o /dev/null -w '%{http_code} %{size_download}' "$URL/photo")
stale=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT -H 'If-Match: "999999"' --data-binary x "$URL/photo")
right=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X PUT -H "If-Match: $etag" --data-binary @"$WORK/value" "$URL/photo")
if [ "$head" = "200 0" ] && [ "$stale" = 412 ] && [ "$right" = 204 ]; then
  ok "HEAD 200 without a body; If-Match stale 412, current 204"
else
  failed "HEAD '$head' (want '200 0'), stale If-Match $stale (412), current If-Match $right (204)"
fi
for k in list-a list-b list-c other; do in_ns curl -s -m 30 -o /dev/null -X PUT --data-binary "$k" "$URL/$k"; done
page1=$(in_ns curl -s -m 30 "$URL/?prefix=list-&limit=2")
page2=$(in_ns curl -s -m 30 "$URL/?prefix=list-&after=list-b&limit=2")
if [ "$page1" = '{"keys":["list-a","list-b"],"next":"list-b"}' ] && [ "$page2" = '{"keys":["list-c"]}' ]; then
  ok "listing: prefix pages $page1 $page2"
else
  failed "listing: '$page1' then '$page2'"
fi
d1=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X DELETE "$URL/other")
d2=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X DELETE "$URL/other")
g=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' "$URL/other")
head -c 4194305 /dev/zero >"$WORK/big"
big=$(in_ns curl -s -m 60 -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$WORK/big" "$URL/big")
bad=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' "$URL/%zz")
post=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST --data-binary x "$URL/photo")
if [ "$d1" = 204 ] && [ "$d2" = 404 ] && [ "$g" = 404 ] && [ "$big" = 413 ] && [ "$bad" = 400 ] && [ "$post" = 405 ]; then
  ok "DELETE 204 then 404, GET 404; 4 MiB + 1 byte 413; bad escape 400; POST 405"
else
  failed "DELETE $d1/$d2 (204/404), GET $g (404), oversize $big (413), bad escape $bad (400), POST $post (405)"
fi
keys=20
for i in $(seq 1 $keys); do head -c $((i * 3000)) /dev/urandom >"$WORK/v$i"; done
for i in $(seq 1 $keys); do in_ns curl -s -m 30 -o /dev/null -X PUT --data-binary @"$WORK/v$i" "$URL/key$i"; done
# GET /metrics, parsed by prometheus_client: the store holds photo, list-a/b/c and the 20 keys.
in_ns curl -s -m 30 -o "$WORK/metrics" "http://$APP_IP/metrics"
scrape=$("$PY" - "$WORK/metrics" $((keys + 4)) <<'PY' 2>&1
import sys
from prometheus_client.parser import text_string_to_metric_families
want_keys = int(sys.argv[2])
values = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        values[(s.name, tuple(sorted(s.labels.items())))] = s.value
def get(name, **labels):
    return values.get((name, tuple(sorted(labels.items()))))
keys = get("swiftlet_store_keys", store="storage")
requests = get("swiftlet_store_requests_total", store="storage")
http = get("swiftlet_http_requests_total")
listen = get("swiftlet_net_tcp_sockets", interface="service", state="listen")
problems = []
if keys != want_keys: problems.append(f"store keys {keys} (want {want_keys})")
if requests is None or requests < want_keys: problems.append(f"store write requests {requests} (want >= {want_keys})")
if http is None or http < 30: problems.append(f"http requests {http} (want >= 30)")
if listen != 1: problems.append(f"listening sockets {listen} (want 1)")
print("; ".join(problems) if problems else
      f"store keys={keys:.0f} write requests={requests:.0f}; http requests={http:.0f}; tcp listen={listen:.0f}")
sys.exit(1 if problems else 0)
PY
)
if [ $? = 0 ]; then ok "GET /metrics (prometheus_client): $scrape"; else failed "GET /metrics: $scrape"; fi

# --- restart, host tool, the other mode ------------------------------------------------------------------------------
stop_app
check=$("$ROOT/swiftlet" store check "$DISK" 2>&1)
check_status=$?
"$ROOT/swiftlet" store get "$DISK" key7 >"$WORK/host7" 2>"$WORK/host7.err"
if [ $check_status = 0 ] && cmp -s "$WORK/host7" "$WORK/v7"; then
  ok "after a clean stop: store check passes ($(tail -1 <<<"$check")); store get reads key7 byte-exact"
else
  failed "store check exit $check_status: $(tail -2 <<<"$check"); store get key7: $(cat "$WORK/host7.err")"
fi
TARGET=$OTHER start_app kv
intact=0
for i in $(seq 1 $keys); do
  in_ns curl -s -m 30 -o "$WORK/g$i" "$URL/key$i" && cmp -s "$WORK/g$i" "$WORK/v$i" && intact=$((intact + 1))
done
if [ $intact = $keys ]; then
  ok "the $OTHER build serves the same disk: $keys of $keys keys intact"
else
  failed "the $OTHER build on the same disk: $intact of $keys keys intact"
fi
stop_app

# --- power cuts ------------------------------------------------------------------------------------------------------
LOG=$WORK/writes.log
: >"$LOG"
cuts_ok=0
for round in $(seq 1 "$ROUNDS"); do
  start_app kv
  delay=$(python3 -c "import random; print(round(random.uniform(0.5, 3.0), 2))")
  in_ns timeout -k 5 60 python3 "$INTEROP/kv_client.py" load "$APP_IP" "$round" "$LOG" --threads 4 --seconds 30 \
    >"$WORK/load.out" 2>&1 &
  client=$!
  sleep "$delay"
  kill_app_hard
  kill -TERM $(descendants "$client") 2>/dev/null  # the writers stop now, not at their request timeout
  wait "$client"
  start_app kv
  out=$(in_ns timeout 120 python3 "$INTEROP/kv_client.py" verify "$APP_IP" "$LOG" 2>&1)
  if [ $? = 0 ] && ! grep -q unexpected "$WORK/load.out"; then
    cuts_ok=$((cuts_ok + 1))
    echo "    round $round: killed after $delay s, $(cat "$WORK/load.out"); $out"
  else
    failed "round $round (killed after $delay s, $(cat "$WORK/load.out")): $out"
  fi
  stop_app
done
total_acked=$(grep -c '^ack ' "$LOG")
check=$("$ROOT/swiftlet" store check "$DISK" 2>&1)
check_status=$?
if [ "$cuts_ok" = "$ROUNDS" ] && [ $check_status = 0 ] && [ "$total_acked" -gt 0 ]; then
  ok "$ROUNDS power cuts (SIGKILL) under 4 writers: all $total_acked acknowledged writes survived; store check passes"
else
  failed "$cuts_ok of $ROUNDS rounds verified, $total_acked acknowledged writes; store check exit $check_status: $(tail -1 <<<"$check")"
fi
exit $status
