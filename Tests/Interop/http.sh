#!/usr/bin/env bash
# Interop: curl (the Linux kernel's TCP) against Samples/http over a TAP interface in a network namespace this
# script creates and always deletes. Needs root.
#
#   index       GET / is 200 with exactly the 612-byte page of Samples/http/StaticSite.swift (indexPage)
#   keep-alive  three URLs in one curl run share one connection (num_connects 1, 0, 0), each answered right
#   bytes       GET /bytes/SIZE (10 MiB) arrives whole: its SHA-256 equals the pattern's
#               (HTTPByteGenerator: the 64-byte line "0-9a-zA-Z+\n" repeated), computed here in Python
#   404         GET /nope is 404
#   400         a request with a malformed header line is answered 400
#
# usage: Tests/Interop/http.sh posix|virtio [SIZE]   (SIZE: 10485760 in both modes)
# Prints one `ok`/`FAIL` line per check; exit 0 when all passed.
set -uo pipefail
TARGET=${1:-}
CHECK=http
source "$(dirname "$0")/lib.sh"
SIZE=${2:-10485760}
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null 2>&1
command -v curl >/dev/null || fail "no curl (apt-get install curl)"

start_app http
URL=http://$APP_IP
WORK=$(mktemp -d /tmp/swiftlet-http.XXXXXX)
trap 'rm -rf "$WORK"; interop_cleanup' EXIT

# The page as the source spells it: the multi-line literal, its 8-space indentation and the line break before the
# closing delimiter removed (Swift's multi-line string rules).
python3 - "$ROOT/Samples/http/StaticSite.swift" >"$WORK/golden" <<'EOF'
import sys
text = open(sys.argv[1]).read()
body = text.split('indexPage: StaticString = """\n', 1)[1].split('        """', 1)[0]
sys.stdout.write("".join(line[8:] if line.strip() else line.lstrip(" ") for line in body.splitlines(True))[:-1])
EOF
code=$(in_ns curl -s -m 30 -o "$WORK/index" -w '%{http_code}' "$URL/")
if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/index")" = 612 ] && cmp -s "$WORK/index" "$WORK/golden"; then
  ok "GET / is 200 with the 612-byte index page, byte-exact"
else
  failed "GET /: status ${code:-none}, $(stat -c %s "$WORK/index" 2>/dev/null || echo 0) bytes" \
    "(golden $(stat -c %s "$WORK/golden") bytes$(cmp -s "$WORK/index" "$WORK/golden" || echo ', differs'))"
fi

# Keep-alive: curl reuses the connection for URLs of the same host in one run; num_connects is per transfer.
out=$(in_ns curl -s -m 30 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}:%{http_code}:%{size_download} ' \
  "$URL/" "$URL/index.html" "$URL/bytes/1000")
if [ "$out" = "1:200:612 0:200:612 0:200:1000 " ]; then
  ok "keep-alive: 3 requests on one connection (num_connects:status:bytes $out)"
else
  failed "keep-alive: num_connects:status:bytes per request: ${out:-nothing} (wanted 1:200:612 0:200:612 0:200:1000)"
fi

want=$(python3 -c '
import hashlib, sys
n = int(sys.argv[1]); line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n"
h = hashlib.sha256(); h.update(line * (n // 64)); h.update(line[: n % 64]); print(h.hexdigest())' "$SIZE")
start=$(date +%s.%N)
out=$(in_ns curl -s -m 200 -o "$WORK/bytes" -w '%{http_code} %{size_download} %{speed_download}' "$URL/bytes/$SIZE")
end=$(date +%s.%N)
read -r code got speed <<<"$out"
have=$(sha256sum "$WORK/bytes" | cut -d' ' -f1)
wall=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$end")
if [ "${code:-}" = 200 ] && [ "${got:-}" = "$SIZE" ] && [ "$have" = "$want" ]; then
  ok "GET /bytes/$SIZE: 200, $SIZE bytes intact (sha256 ${want:0:16}) in $wall s ($(python3 -c \
    "print(f'{float(\"${speed:-0}\") / 1048576:.1f}')") MiB/s)"
else
  failed "GET /bytes/$SIZE: status ${code:-none}, ${got:-0} bytes, sha256 ${have:0:16} (want ${want:0:16}), $wall s"
fi
rm -f "$WORK/bytes"

code=$(in_ns curl -s -m 30 -o /dev/null -w '%{http_code}' "$URL/nope")
if [ "$code" = 404 ]; then ok "GET /nope is 404"; else failed "GET /nope: status ${code:-none}, wanted 404"; fi

out=$(in_ns timeout 40 python3 "$INTEROP/tcp_client.py" --timeout 30 http-malformed "$APP_IP" 80 2>&1)
if [ $? = 0 ]; then ok "malformed request: ${out#ok http-malformed: }"; else failed "${out#FAIL }"; fi

counters=$(fresh_counters)
if [ -n "$counters" ] && [ "$(counter "$counters" tcp rx)" -gt 0 ]; then
  ok "counters: tcp rx=$(counter "$counters" tcp rx) tx=$(counter "$counters" tcp tx)" \
    "retx=$(counter "$counters" tcp retx) drop=$(counter "$counters" tcp drop)"
else
  failed "no tcp counters printed: ${counters:-none}"
fi
app_alive || failed "http died"
exit $status
