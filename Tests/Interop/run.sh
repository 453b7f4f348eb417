#!/usr/bin/env bash
# Runs every interop check (the Linux kernel, in network namespaces this suite
# creates and deletes, as the peer) in both modes and ends with `N passed, N failed`
# (one per script run: a script passes when every one of its `ok` lines did).
#
#   frames.sh     10,000 raw frames echoed byte-exact by Samples/frame-echo; 1,000 more at a
#                 TAP MTU of 9000 (the app must report it; 9014-byte frames round-trip)
#   ping.sh       flood pings of 56, 1472 (DF) and 3000 (fragmented) bytes at Samples/udp-echo, zero loss
#   udp.sh        datagrams of 1...1472 bytes echoed byte-exact on port 7; a closed port refuses
#   malformed.sh  3,000 malformed frames at every layer; still alive, answering, drops counted
#   dhcp-dns.sh   dns-lookup binds by DHCP from dnsmasq and resolves swiftlet.test (also static, NXDOMAIN)
#
# Needs root. usage: Tests/Interop/run.sh [posix|virtio|both]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TARGETS=${1:-both}
[ "$TARGETS" = both ] && TARGETS="posix virtio"
passed=0; failed=0
check() {
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
start=$(date +%s)
for target in $TARGETS; do
  check bash "$HERE/frames.sh" "$target" 10000
  check bash "$HERE/frames.sh" "$target" 1000 microvm 9000
  check bash "$HERE/ping.sh" "$target"
  check bash "$HERE/udp.sh" "$target"
  check bash "$HERE/malformed.sh" "$target"
  check bash "$HERE/dhcp-dns.sh" "$target"
done
echo "interop: $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
