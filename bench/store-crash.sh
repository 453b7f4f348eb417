#!/usr/bin/env bash
# bench/store-crash.sh — the store's crash suite at scale: the host test StoreCrashTests with
# STORE_CRASH_SCALE raising its seeds, transactions, bit flips and device faults (default 6: tens of
# thousands of power cuts, each reopened and checked with several kept subsets and tears). Built in release
# (with -enable-testing) in its own scratch folder, .build-store-crash.
#   bench/store-crash.sh [SCALE]
# Prints the suite's counts (cut points, images, flips, faults) and exits with `swift test`'s status.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
scale="${1:-${STORE_CRASH_SCALE:-6}}"
cd "$root" || exit 1
STORE_CRASH_SCALE="$scale" swift test -c release -Xswiftc -enable-testing --scratch-path "$root/.build-store-crash" \
    --filter StoreCrashTests 2>&1 |
    grep -E "store-crash:|error:|Executed [0-9]+ tests|failed \("
exit "${PIPESTATUS[0]}"
