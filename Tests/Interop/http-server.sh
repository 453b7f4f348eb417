#!/usr/bin/env bash
# Interop: the Net HTTP library (HTTPServer) through Samples/http, from a network namespace this script creates and
# always deletes (TAP). Needs root; installs curl, apache2-utils (ab) and wrk if missing.
#
#   curl        keep-alive across GET, POST /echo and HEAD (one connection); a 200 KiB chunked upload echoed
#               intact; HEAD with the GET's Content-Length; Expect: 100-continue (curl sees the 100, then the echo)
#   stats       GET /stats is JSON with the stack's and the server's counters
#   metrics     GET /metrics, with 6 idle keep-alive connections held, parsed by prometheus_client: TCP sockets per
#               RFC 9293 state (established >= 7, one listener), HTTP requests and active connections, heap
#   raw cases   http_server_peer.py: bad request line 400, bad chunk sizes 400, body shorter than its
#               Content-Length 400, oversize header section 431, bodies over the limit 413 (Content-Length and
#               chunked), 501, 505, chunked echo with extensions and trailers, HEAD without body, 405 + Allow with
#               the body dropped, 100-continue both ways, an HTTP/1.0 echo; after each the server still serves
#   ab -k       2,000 keep-alive requests, 8 at once: none failed, all kept alive
#   wrk         3 s at 8 connections: no errors, no non-2xx
#   budget      restarted with connections=4: 4 held connections are served, the fifth gets 503
#
# usage: Tests/Interop/http-server.sh posix|virtio
set -uo pipefail
TARGET=${1:-}
CHECK=http-server
source "$(dirname "$0")/lib.sh"
for tool in curl ab wrk; do
  command -v $tool >/dev/null && continue
  package=$tool; [ $tool = ab ] && package=apache2-utils
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $package >/dev/null 2>&1
  command -v $tool >/dev/null || fail "no $tool (apt-get install $package)"
done

prometheus_python  # sets PY, for GET /metrics

start_app http
URL=http://$APP_IP
WORK=$(mktemp -d /tmp/swiftlet-http-server.XXXXXX)
trap 'rm -rf "$WORK"; interop_cleanup' EXIT
in_ns ping -c 1 -W 5 "$APP_IP" >/dev/null 2>&1

# Keep-alive across methods: one connection for all three transfers.
out=$(in_ns curl -s -m 30 -o /dev/null -w '%{num_connects}:%{http_code}:%{size_download} ' "$URL/" \
  --next -s -m 30 -o /dev/null -w '%{num_connects}:%{http_code}:%{size_download} ' --data-binary 'hello' "$URL/echo" \
  --next -s -m 30 -o /dev/null -I -w '%{num_connects}:%{http_code} ' "$URL/bytes/1000")
if [ "$out" = "1:200:612 0:200:5 0:200 " ]; then
  ok "keep-alive across GET, POST /echo, HEAD on one connection ($out)"
else
  failed "keep-alive: num_connects:status:bytes $out (wanted 1:200:612 0:200:5 0:200)"
fi

head -c 204800 /dev/urandom >"$WORK/upload"
code=$(in_ns curl -s -m 60 -o "$WORK/echoed" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
  --data-binary @"$WORK/upload" "$URL/echo")
if [ "$code" = 200 ] && cmp -s "$WORK/upload" "$WORK/echoed"; then
  ok "chunked upload of 200 KiB echoed intact"
else
  failed "chunked upload: status ${code:-none}, $(stat -c %s "$WORK/echoed" 2>/dev/null || echo 0) bytes back"
fi

heads=$(in_ns curl -s -m 30 -I "$URL/bytes/123456" | tr -d '\r')
if grep -q '^HTTP/1.1 200' <<<"$heads" && grep -qi '^Content-Length: 123456$' <<<"$heads"; then
  ok "HEAD /bytes/123456: 200 with Content-Length 123456"
else
  failed "HEAD /bytes/123456: $(tr '\n' '|' <<<"$heads")"
fi

head -c 65536 /dev/urandom >"$WORK/64k"
code=$(in_ns curl -s -v -m 30 -o "$WORK/echoed" -w '%{http_code}' -H 'Expect: 100-continue' \
  --data-binary @"$WORK/64k" "$URL/echo" 2>"$WORK/verbose")
if [ "$code" = 200 ] && grep -q '< HTTP/1.1 100 Continue' "$WORK/verbose" && cmp -s "$WORK/64k" "$WORK/echoed"; then
  ok "Expect: 100-continue: 100 Continue, then the 64 KiB body echoed"
else
  failed "Expect: 100-continue: status ${code:-none}; $(grep '^< HTTP' "$WORK/verbose" | tr -d '\r' | tr '\n' '|')"
fi

out=$(in_ns timeout 120 python3 "$INTEROP/http_server_peer.py" "$APP_IP" cases 2>&1)
rc=$?
while read -r line; do
  case "$line" in
    ok\ *) ok "${line#ok }" ;;
    *) failed "${line#FAIL }" ;;
  esac
done <<<"$out"
[ $rc = 0 ] || failed "raw cases: exit $rc"

out=$(in_ns ab -k -n 2000 -c 8 -s 30 "$URL/" 2>&1)
done_=$(sed -n 's/^Complete requests: *\([0-9]*\)/\1/p' <<<"$out")
failed_=$(sed -n 's/^Failed requests: *\([0-9]*\)/\1/p' <<<"$out")
kept=$(sed -n 's/^Keep-Alive requests: *\([0-9]*\)/\1/p' <<<"$out")
rate=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' <<<"$out")
if [ "${done_:-0}" = 2000 ] && [ "${failed_:-1}" = 0 ] && [ "${kept:-0}" = 2000 ]; then
  ok "ab -k -n 2000 -c 8: 2000 complete, 0 failed, 2000 kept alive ($rate req/s)"
else
  failed "ab -k: complete ${done_:-?}, failed ${failed_:-?}, keep-alive ${kept:-?}: $(tail -3 <<<"$out" | tr '\n' '|')"
fi

out=$(in_ns timeout 60 wrk -t1 -c8 -d3s "$URL/" 2>&1)
rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)$/\1/p' <<<"$out")
if [ -n "$rate" ] && ! grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
  ok "wrk -t1 -c8 -d3s: $rate req/s, no errors"
else
  failed "wrk: $(tr '\n' '|' <<<"$out")"
fi

stats=$(in_ns curl -s -m 30 "$URL/stats")
summary=$(python3 -c '
import json, sys
s = json.loads(sys.argv[1]); h = s["http"]
assert s["tcp"]["rx"] > 0 and h["requests"] > 2000 and h["400"] >= 4 and h["431"] >= 1 and h["413"] >= 2, h
print("tcp rx=%d http " % s["tcp"]["rx"] + " ".join("%s=%d" % (k, h[k]) for k in
      ("requests", "2xx", "400", "404", "405", "413", "431", "discarded_body_bytes")))' "$stats" 2>&1)
if [ $? = 0 ]; then ok "GET /stats (JSON): $summary"; else failed "GET /stats: $summary: ${stats:0:300}"; fi

# GET /metrics with 6 idle keep-alive connections held: parsed by prometheus_client, TCP states and HTTP counters
# checked against what is held and what ran above (docs/OBSERVABILITY.md).
out=$(in_ns timeout 60 "$PY" "$INTEROP/http_metrics_check.py" "$APP_IP" 6 2000 "$TARGET" 2>&1)
if [ $? = 0 ]; then ok "${out#ok }"; else failed "${out#FAIL }"; fi
app_alive || failed "http died"

stop_app
start_app http connections=4
in_ns ping -c 1 -W 5 "$APP_IP" >/dev/null 2>&1
out=$(in_ns timeout 60 python3 "$INTEROP/http_server_peer.py" "$APP_IP" budget 4 2>&1)
if [ $? = 0 ]; then ok "${out#ok }"; else failed "${out#FAIL }"; fi
app_alive || failed "http died"
exit $status
