#!/usr/bin/env bash
# Interop: the HTTP client library (Sources/Net/HTTP, HTTPClient) through Samples/http-get against Linux peers, in a
# network namespace this script creates and always deletes (TAP interface, peers on 10.0.0.1, nothing routed out):
#
#   dnsmasq   DNS only: web.test = 10.0.0.1, NXDOMAIN under nx.test; the app asks it (dns=10.0.0.1) for every URL
#   python3 -m http.server :8000   Content-Length bodies: a file of seeded random bytes (length and FNV-1a 64 as Python
#             computes them), a 404
#   http_client_peer.py :8001      chunked bodies (small with extension and trailer; the same file in random-size
#             chunks), keep-alive reuse (two requests, one TCP connection, counted by the peer), POST/PUT echo,
#             DELETE 204, read-until-close, a 103 before the answer, redirects (followed only when asked; a loop
#             ends in the typed error), a 20 KiB header field (the header budget; accepted with max-header=32768),
#             and a server that never answers (the head timeout)
#   nginx     :8080 (nginx-light) the same file, and three requests on one connection
#
# and the errors: an unknown name (typed DNS error), a refused port, the body budget (Content-Length and chunked).
# Needs root.
#
# usage: Tests/Interop/http-get.sh posix|virtio [BYTES]   (BYTES: 10 MiB posix, 4 MiB virtio)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=http-get
source "$(dirname "$0")/lib.sh"
BYTES=${2:-$([ "$TARGET" = posix ] && echo 10485760 || echo 4194304)}
APP=http-get
PEER_PIDS=()
WORK=$(mktemp -d /tmp/swiftlet-http-get.XXXXXX)
cleanup() {
  local pid
  for pid in "${PEER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$WORK"
  interop_cleanup
}
trap cleanup EXIT

for tool in dnsmasq nginx; do
  package=$tool; [ $tool = dnsmasq ] && package=dnsmasq-base; [ $tool = nginx ] && package=nginx-light
  command -v $tool >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $package >/dev/null 2>&1
  command -v $tool >/dev/null || fail "no $tool (apt-get install $package)"
done
"$ROOT/swiftlet" build http-get --target "$TARGET" >"$APP_LOG" 2>&1 || fail "build of http-get failed"
make_namespace
mkdir "$WORK/www"
chmod 755 "$WORK" "$WORK/www"
# The file, and its length and FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
want=$(python3 - "$WORK/www/blob" "$BYTES" <<'EOF'
import random, sys
data = random.Random(7).randbytes(int(sys.argv[2]))
open(sys.argv[1], "wb").write(data)
h = 0xcbf29ce484222325
for b in data:
    h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
print(f"200, {len(data)} bytes, fnv1a64 {h:016x}")
EOF
)
chmod 644 "$WORK/www/blob"
printf 'hello from nginx\n' >"$WORK/www/index.html"

in_ns dnsmasq --no-daemon --conf-file=/dev/null --interface="$TAP" --bind-interfaces --no-resolv --no-hosts \
  --address=/web.test/$PEER_IP --local=/nx.test/ --user=root --log-queries >"$WORK/dnsmasq.log" 2>&1 &
PEER_PIDS+=($!)
in_ns python3 -m http.server 8000 --bind "$PEER_IP" --directory "$WORK/www" >"$WORK/server.log" 2>&1 &
PEER_PIDS+=($!)
in_ns python3 -u "$INTEROP/http_client_peer.py" --bind "$PEER_IP" --port 8001 --blob "$WORK/www/blob" \
  --lifetime 900 >"$WORK/peer.log" 2>&1 &
PEER_PIDS+=($!)
cat >"$WORK/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 64; }
http {
  access_log $WORK/nginx.access.log;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  fastcgi_temp_path $WORK/nginx-fastcgi;
  uwsgi_temp_path $WORK/nginx-uwsgi;
  scgi_temp_path $WORK/nginx-scgi;
  server { listen $PEER_IP:8080; root $WORK/www; index index.html; }
}
EOF
in_ns nginx -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
PEER_PIDS+=($!)
for port in 8000 8001 8080; do
  for _ in $(seq 1 100); do
    in_ns python3 -c "import socket; socket.create_connection(('$PEER_IP', $port), 1).close()" 2>/dev/null && break
    sleep 0.1
  done
done
grep -q ready "$WORK/peer.log" || fail "http_client_peer.py did not start: $(tail -3 "$WORK/peer.log")"

failed() {
  echo "FAIL [$TARGET] interop http-get: $*"
  sed 's/^/    | /' "$APP_LOG" | grep -v 'building' | tail -8
  status=1
}
# get BOOT-ARGUMENTS...: runs http-get once (bounded) with the namespace's addresses and DNS; leaves its output in
# APP_LOG, its exit status in rc, its first summary line (`200, N bytes, fnv1a64 H`) in result, its wall time in wall.
get() {
  local start
  start=$(date +%s.%N)
  in_ns timeout 200 "$ROOT/swiftlet" run http-get --target "$TARGET" --net "service=tap:$TAP" -- \
    ip=$APP_IP/24 gw=$PEER_IP dns=$PEER_IP "$@" >"$APP_LOG" 2>&1
  rc=$?
  wall=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
  result=$(tr -d '\r' <"$APP_LOG" | sed -n 's/^http-get: \([0-9][0-9][0-9], .*\)/\1/p' | head -1)
}
has() { tr -d '\r' <"$APP_LOG" | grep -q "$@"; }
# The peer's `connection` lines so far.
peer_connections() { grep -c '^connection ' "$WORK/peer.log"; }

# --- python3 http.server: Content-Length ------------------------------------------------------------------------
get url=http://web.test:8000/blob
if [ "$rc" = 0 ] && [ "$result" = "$want" ] && has '^http-get: header Content-Length: '"$BYTES"; then
  ok "GET http://web.test:8000/blob (dnsmasq, python3 http.server): $result, as Python computed ($wall s)"
else
  failed "GET /blob: exit $rc, printed '${result:-nothing}', wanted '$want'"
fi
grep -q 'query\[A\] web.test' "$WORK/dnsmasq.log" && ok "dnsmasq answered the A query for web.test" ||
  failed "dnsmasq saw no A query for web.test"

get url=http://web.test:8000/missing
if [ "$rc" = 1 ] && has '^http-get: 404, ' && has '^http-get: status 404'; then
  ok "GET /missing: 404 said, exit 1"
else
  failed "GET /missing: exit $rc, wanted 1 and a 404"
fi

# --- the chunked, keep-alive peer -------------------------------------------------------------------------------
before=$(peer_connections)
get url=http://web.test:8001/chunked repeat=2
after=$(peer_connections)
requests=$(grep -c '^request .* GET /chunked$' "$WORK/peer.log")
if [ "$rc" = 0 ] && [ "$(tr -d '\r' <"$APP_LOG" | grep -c '^http-get: 200, 21 bytes, ')" = 2 ] &&
  has '^http-get: | hello, chunked world$' && has 'opened=1 reused=1 ' && [ $((after - before)) = 1 ] &&
  [ "$requests" = 2 ]; then
  ok "chunked GET twice: 'hello, chunked world' both times, 2 requests on 1 TCP connection (peer and client agree)"
else
  failed "chunked keep-alive: exit $rc, $((after - before)) connections for $requests requests at the peer," \
    "client: $(tr -d '\r' <"$APP_LOG" | grep '^http-get: client')"
fi

get url=http://web.test:8001/chunked-blob
if [ "$rc" = 0 ] && [ "$result" = "$want" ] && has '^http-get: header Transfer-Encoding: chunked'; then
  ok "GET /chunked-blob ($BYTES bytes in chunks of 1...9000): $result ($wall s)"
else
  failed "GET /chunked-blob: exit $rc, printed '${result:-nothing}', wanted '$want'"
fi

for method in POST PUT; do
  get url=http://web.test:8001/echo method=$method data=swiftlet-$method-body
  if [ "$rc" = 0 ] && has "^http-get: | swiftlet-$method-body$" && has "^http-get: header X-Method: $method$" &&
    grep -q "^request .* $method /echo$" "$WORK/peer.log"; then
    ok "$method /echo: the body came back (Content-Length both ways)"
  else
    failed "$method /echo: exit $rc"
  fi
done
get url=http://web.test:8001/thing method=DELETE
if [ "$rc" = 0 ] && has '^http-get: HTTP/1.1 204 No Content' && has '^http-get: 204, 0 bytes'; then
  ok "DELETE /thing: 204, no body"
else
  failed "DELETE /thing: exit $rc"
fi

get url=http://web.test:8001/close
if [ "$rc" = 0 ] && has '^http-get: | until the server closes$' && has 'opened=1 reused=0 '; then
  ok "GET /close: body read until the server closed (no Content-Length)"
else
  failed "GET /close: exit $rc"
fi

get url=http://web.test:8001/interim
if [ "$rc" = 0 ] && has '^http-get: HTTP/1.1 200 OK' && has '^http-get: | final$'; then
  ok "GET /interim: the 103 skipped, the 200 read"
else
  failed "GET /interim: exit $rc"
fi

get url=http://web.test:8001/redirect
if [ "$rc" = 1 ] && has '^http-get: 302, 5 bytes' && has '^http-get: header Location: /chunked'; then
  ok "GET /redirect without redirects=: the 302 is the answer (exit 1)"
else
  failed "GET /redirect (not followed): exit $rc"
fi
get url=http://web.test:8001/redirect redirects=2
if [ "$rc" = 0 ] && has '^http-get: | hello, chunked world$' && has ' redirects=1 '; then
  ok "GET /redirect redirects=2: followed to /chunked"
else
  failed "GET /redirect (followed): exit $rc"
fi
get url=http://web.test:8001/loop redirects=3
if [ "$rc" = 1 ] && has '^http-get: error: too many redirects$'; then
  ok "GET /loop redirects=3: 'too many redirects'"
else
  failed "GET /loop: exit $rc, wanted 'too many redirects'"
fi

# --- nginx -------------------------------------------------------------------------------------------------------
get url=http://web.test:8080/blob
if [ "$rc" = 0 ] && [ "$result" = "$want" ] && has '^http-get: header Server: nginx'; then
  ok "GET http://web.test:8080/blob from nginx: $result ($wall s)"
else
  failed "GET /blob from nginx: exit $rc, printed '${result:-nothing}', wanted '$want'"
fi
get url=http://web.test:8080/ repeat=3
if [ "$rc" = 0 ] && [ "$(tr -d '\r' <"$APP_LOG" | grep -c '^http-get: | hello from nginx$')" = 3 ] &&
  has 'opened=1 reused=2 '; then
  ok "nginx: 3 requests on 1 connection, the index each time"
else
  failed "nginx keep-alive: exit $rc, $(tr -d '\r' <"$APP_LOG" | grep '^http-get: client')"
fi

# --- errors ------------------------------------------------------------------------------------------------------
get url=http://nowhere.nx.test/
if [ "$rc" = 1 ] && has '^http-get: error: cannot resolve: name not found$'; then
  ok "unknown name: 'cannot resolve: name not found' (NXDOMAIN from dnsmasq), exit 1"
else
  failed "unknown name: exit $rc, wanted 'cannot resolve: name not found'"
fi

get url=http://$PEER_IP:8009/
if [ "$rc" = 1 ] && has '^http-get: error: cannot connect: connection refused$'; then
  ok "port 8009 (closed): 'cannot connect: connection refused', exit 1"
else
  failed "port 8009 (closed): exit $rc, wanted 1 and 'connection refused'"
fi

get url=http://web.test:8001/stall head-timeout=2
if [ "$rc" = 1 ] && has '^http-get: error: timed out waiting for the response head$' &&
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 60 else 1)" "$wall"; then
  ok "a server that never answers: 'timed out waiting for the response head' after head-timeout=2 ($wall s with boot)"
else
  failed "stall: exit $rc after $wall s, wanted the head timeout"
fi

get url=http://web.test:8001/big-header
if [ "$rc" = 1 ] && has '^http-get: error: response head over the header budget$' && has ' budget=1$'; then
  ok "a 20 KiB header field: 'response head over the header budget' (16 KiB default), counted"
else
  failed "big header: exit $rc, wanted the header budget error"
fi
get url=http://web.test:8001/big-header max-header=32768
if [ "$rc" = 0 ] && has '^http-get: 200, 0 bytes'; then
  ok "the same with max-header=32768: accepted"
else
  failed "big header with max-header=32768: exit $rc"
fi

get url=http://web.test:8000/blob max-body=1000
if [ "$rc" = 1 ] && has '^http-get: error: response body over the body budget$'; then
  ok "max-body=1000 and a Content-Length of $BYTES: 'response body over the body budget'"
else
  failed "body budget (Content-Length): exit $rc"
fi
get url=http://web.test:8001/chunked-blob max-body=1000
if [ "$rc" = 1 ] && has '^http-get: error: response body over the body budget$'; then
  ok "max-body=1000 and a chunked body: 'response body over the body budget'"
else
  failed "body budget (chunked): exit $rc"
fi
exit $status
