#!/usr/bin/env bash
# Runs every interop check (the Linux kernel, in network namespaces this suite
# creates and deletes, as the peer) in both modes and ends with `N passed, N failed`.
# Needs root. usage: Tests/Interop/run.sh [posix|virtio|both]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TARGETS=${1:-both}
[ "$TARGETS" = both ] && TARGETS="posix virtio"
passed=0; failed=0
check() {
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
for target in $TARGETS; do
  check bash "$HERE/frames.sh" "$target" 10000
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
