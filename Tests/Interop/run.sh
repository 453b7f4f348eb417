#!/usr/bin/env bash
# Runs every interop check (the Linux kernel, in network namespaces this suite
# creates and deletes, as the peer) in both modes and ends with `N passed, N failed`
# (one per script run: a script passes when every one of its `ok` lines did).
#
#   frames.sh     10,000 raw frames echoed byte-exact by Samples/frame-echo; 1,000 more at a
#                 TAP MTU of 9000 (the app must report it; 9014-byte frames round-trip)
#   ping.sh       flood pings of 56, 1472 (DF) and 3000 (fragmented) bytes at Samples/udp-echo, zero loss
#   udp.sh        datagrams of 1...1472 bytes echoed byte-exact on port 7; a closed port refuses
#   metrics.sh    udp-echo's metrics scrape parsed by prometheus_client, figures checked; log levels per subsystem
#   malformed.sh  3,000 malformed frames at every layer; still alive, answering, drops counted
#   dhcp-dns.sh   dns-lookup binds by DHCP from dnsmasq and resolves swiftlet.test (also static, NXDOMAIN)
#   http.sh       curl against Samples/http: the 612-byte index byte-exact, keep-alive (3 requests, 1 connection),
#                 /bytes/10485760 intact (SHA-256 of the pattern), 404, a malformed request answered 400
#   tcp-echo.sh   100 MiB (posix) / 10 MiB (virtio) of random data echoed intact by Samples/tcp-echo while it is
#                 sent, then a half-close; 200 concurrent connections each echoing 4 KiB
#   offload.sh    tcp-echo over a TAP captured by tcpdump: with the default offloads the capture shows frames above the
#                 MTU or partial checksums; with `offload=off` none (every frame ≤ 1514 bytes, checksums correct)
#   memory.sh     Samples/http at --memory 2M: its net device's out-of-memory line (device, part, bytes: the same in
#                 both modes); at 8M and 4M: the index page and a 10 MiB body, every byte
#   http-get.sh   the HTTP client library through Samples/http-get, names answered by dnsmasq: 10 MiB / 4 MiB from
#                 python3 http.server (Content-Length), a chunked peer (small and 10 MiB chunked bodies, two requests
#                 on one TCP connection, POST/PUT/DELETE, read-until-close, 1xx, redirects only when asked) and nginx
#                 (three requests, one connection), length and FNV-1a 64 as Python computes them; typed errors for an
#                 unknown name, a refused port, a server that never answers, a 20 KiB header and the body budget
#   tcp-loss.sh   4 MiB / 2 MiB echoed intact over a link losing 5 % and reordering both ways (lossy_link.py, a
#                 user-space netem); the app counts retransmissions
#   tcp-hostile.sh RFC 5961 blind RST/SYN injection (scapy: challenge ACKs, out-of-window ignored, exact RST
#                 resets); a 3 s hping3 SYN flood that an established connection and new ones survive; a spoofed-
#                 source flood after which a new connection still gets in
#   conformance.sh an RFC 5227 ARP probe for our address is answered; FIN/NULL/XMAS/PSH scans of a listening port
#                 draw nothing (RFC 9293 §3.10.7.2); a spoofed-fragment squatter does not stop fragmented pings
#   http-server.sh the HTTP library through Samples/http: curl (keep-alive across methods, a chunked upload, HEAD,
#                 100-continue), raw-socket malformed requests (400/413/431/501/505, bad chunks, short bodies; still
#                 serving after each), ab -k, wrk, GET /stats, and the 503 connection budget
#   http-attack.sh 200 concurrent 1 MiB POSTs to Samples/http (404, bodies dropped as they arrive; the page within
#                 5 s meanwhile), a slowloris of 300 header-dribbling clients (408 at the 10 s header deadline) while
#                 a probe keeps getting the page within 1 s, and an MSS-1 client fetching 1 MiB (48-byte segments);
#                 each prints the requests served and the heap high-water mark
#   kv.sh         Samples/kv over a block file: the HTTP API with curl, GET /metrics (the store's keys), a restart
#                 read by `swiftlet store` and served by the other mode, and SIGKILL power cuts under 4 writers
#                 (every acknowledged write survives)
#   profile.sh    `swiftlet profile http` under wrk: at least 100 samples, stacks through the HTTP server and
#                 TCPControlBlock by their Swift names (prod: the unikernel's timer sampler; dev: perf)
#   image.sh      (virtio only) disk images: hello from one qcow2 on SeaBIOS (pc) and OVMF (q35, an SMBIOS override),
#                 http from a BIOS image on q35; the Firecracker-shaped microvm (console exit status, http); the
#                 generated Firecracker config against Firecracker's schema (docs/DEPLOY.md)
#   libvirt.sh    (virtio only) ten http instances from one disk image as libvirt domains (`--emit libvirt`), in a
#                 libvirtd of its own inside a namespace: defined, started, each answering at its address, destroyed
#
# Needs root. usage: Tests/Interop/run.sh [posix|virtio|both]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TARGETS=${1:-both}
[ "$TARGETS" = both ] && TARGETS="posix virtio"
passed=0; failed=0; failures=""
# check SCRIPT ARGS...: runs one script, prints its time, and remembers it by name when it fails (the names are
# repeated last, beside the totals, so the end of a long log says what failed).
check() {
  local began=$(date +%s) name="${2##*/} ${*:3}"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures="$failures
  FAILED: $name"; fi
  echo "interop: $name took $(( $(date +%s) - began )) s"
}
start=$(date +%s)
for target in $TARGETS; do
  check bash "$HERE/frames.sh" "$target" 10000
  check bash "$HERE/frames.sh" "$target" 1000 microvm 9000
  check bash "$HERE/ping.sh" "$target"
  check bash "$HERE/udp.sh" "$target"
  check bash "$HERE/metrics.sh" "$target"
  check bash "$HERE/malformed.sh" "$target"
  check bash "$HERE/dhcp-dns.sh" "$target"
  check bash "$HERE/http.sh" "$target"
  check bash "$HERE/http-server.sh" "$target"
  check bash "$HERE/tcp-echo.sh" "$target"
  check bash "$HERE/offload.sh" "$target"
  check bash "$HERE/memory.sh" "$target"
  check bash "$HERE/http-get.sh" "$target"
  check bash "$HERE/tcp-loss.sh" "$target"
  check bash "$HERE/tcp-hostile.sh" "$target"
  check bash "$HERE/conformance.sh" "$target"
  check bash "$HERE/http-attack.sh" "$target"
  check bash "$HERE/kv.sh" "$target"
  check bash "$HERE/profile.sh" "$target"
  [ "$target" = virtio ] && check bash "$HERE/image.sh" "$target"
  [ "$target" = virtio ] && check bash "$HERE/libvirt.sh" "$target"
done
echo "interop: $(( $(date +%s) - start )) s$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
