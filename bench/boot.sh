#!/usr/bin/env bash
# bench/boot.sh — boot figures for the `hello` sample, with peers measured in the same run.
#
#   image size   stripped hello and http unikernels (virtio) and dev-mode ELFs (posix), against their budgets
#                (Tests/SwiftletTests/FootprintTests.swift)
#   memory       the smallest --memory (whole MiB) at which http serves its index page and a 10 MiB body
#                (/bytes/10485760, every byte), in prod (QEMU's -m) and dev (the heap's arena), over a TAP in a
#                network namespace this script creates and deletes (as root; otherwise the row says so)
#   boot         QEMU start -> first console line, median of RUNS (TCG), microvm and pc,
#                vs a Debian Linux guest (kernel + busybox initramfs) on the same QEMU -> first init line
#   dev start    process start -> first line, vs a C "hello" process (same run)
#
# usage: bench/boot.sh [RUNS]        (default 10; the Linux peer runs min(RUNS,3) times: it is slow)
# Needs root for apt-get when the Linux peer's packages are missing; without them that row says so.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
LINUX_RUNS=$(( RUNS < 3 ? RUNS : 3 ))
FIRST=bench/first_line.py
WORK=$(mktemp -d /tmp/swiftlet-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

posix=$(./swiftlet build hello --target posix | tail -1)
virtio=$(./swiftlet build hello --target virtio | tail -1)
virtio_stripped="${virtio%.elf}.stripped"
posix_stripped="${posix%.elf}.stripped"
http_posix=$(./swiftlet build http --target posix | tail -1)
http_virtio=$(./swiftlet build http --target virtio | tail -1)
size() { stat -c %s "$1"; }

# smallest_memory TARGET: the least --memory (MiB, from 2) at which `swiftlet run http --target TARGET --memory NM`
# answers GET / with 200 and GET /bytes/10485760 with all its bytes, in a namespace of our own (10.0.0.1 the peer,
# 10.0.0.2 the app), deleted after each try.
smallest_memory() {
  local target=$1 ns=swl-bench-mem-$$ m code got pid
  for m in 2 3 4 5 6 7 8 10 12 16 24 32; do
    ip netns add "$ns" || return 1
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip tuntap add dev swlm0 mode tap
    ip netns exec "$ns" ip addr add 10.0.0.1/24 dev swlm0
    ip netns exec "$ns" ip link set swlm0 up
    ip netns exec "$ns" ./swiftlet run http --target "$target" --memory "${m}M" --net service=tap:swlm0 -- \
      ip=10.0.0.2/24 gw=10.0.0.1 >"$WORK/mem-$m.log" 2>&1 &
    pid=$!
    code=000 got=0
    for _ in $(seq 1 60); do
      grep -q '^http: .* serving port' "$WORK/mem-$m.log" && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if grep -q '^http: .* serving port' "$WORK/mem-$m.log"; then
      code=$(ip netns exec "$ns" curl -s -m 20 -o /dev/null -w '%{http_code}' http://10.0.0.2/ || true)
      got=$(ip netns exec "$ns" curl -s -m 120 -o /dev/null -w '%{size_download}' http://10.0.0.2/bytes/10485760 \
        || true)
    fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    if [ "$code" = 200 ] && [ "$got" = 10485760 ]; then echo "$m"; return 0; fi
  done
  return 1
}

qemu() { # machine image
  echo qemu-system-x86_64 -M "$1" -accel tcg -cpu max -m 128M -display none -serial stdio \
    -no-reboot -nodefaults -kernel "$2" \
    -chardev "file,id=swiftlet-exit,path=$WORK/exit" \
    -device isa-debugcon,iobase=0x402,chardev=swiftlet-exit \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
}

row() { printf '| %-44s | %-22s | %s\n' "$1" "$2" "$3"; }
# ours/peer to three places; "n/a" when either side has no number (a peer that FAILED, a zero).
ratio() {
  python3 -c "
import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2])
    print(f'{a/b:.3f}' if b else 'n/a')
except ValueError:
    print('n/a')" "$1" "$2"
}

echo "# Swiftlet boot benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
echo
row "measure" "Swiftlet (median min max, ms)" "peer (median min max, ms) ; ratio swiftlet/peer"
row "---" "---" "---"
row "hello unikernel image, stripped (bytes)" "$(size "$virtio_stripped")" "budget 100352 (target 65536)"
row "hello dev ELF, stripped (bytes)" "$(size "$posix_stripped")" ""
row "http unikernel image, stripped (bytes)" "$(size "${http_virtio%.elf}.stripped")" "budget 374784 (target 327680)"
row "http dev ELF, stripped (bytes)" "$(size "${http_posix%.elf}.stripped")" ""
if [ "$(id -u)" = 0 ] && command -v curl >/dev/null; then
  row "http unikernel: smallest --memory serving (MiB)" "$(smallest_memory virtio || echo 'none up to 32')" \
    "/ and 10 MiB; microvm, TAP, TCG (budget 8, Tests/Interop/memory.sh)"
  row "http dev: smallest --memory serving (MiB)" "$(smallest_memory posix || echo 'none up to 32')" \
    "/ and 10 MiB; TAP (the same rule: docs/ARCHITECTURE.md, Memory)"
else
  row "http: smallest --memory serving (MiB)" "n/a" "needs root (netns, TAP) and curl"
fi

# Dev mode: process start -> first line, vs a C hello.
cat > "$WORK/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
C
cc -O2 -o "$WORK/chello" "$WORK/hello.c"
ours=$(python3 $FIRST "$RUNS" "" -- "$posix")
peer=$(python3 $FIRST "$RUNS" "" -- "$WORK/chello")
row "dev: process start -> first line" "$ours" "C hello: $peer ; ratio $(ratio "${ours%% *}" "${peer%% *}")"

# Linux guest peer (Debian kernel + busybox-static initramfs).
linux_kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | tail -1 || true)
if [ -z "$linux_kernel" ] || [ ! -x /bin/busybox ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-image-amd64 busybox-static cpio >/dev/null 2>&1 || true
    linux_kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | tail -1 || true)
  fi
fi
if [ -n "$linux_kernel" ] && [ -x /bin/busybox ] && command -v cpio >/dev/null; then
  mkdir -p "$WORK/initrd/bin"
  cp /bin/busybox "$WORK/initrd/bin/busybox"
  printf '#!/bin/busybox sh\n/bin/busybox echo linux-guest-first-line\n/bin/busybox poweroff -f\n' > "$WORK/initrd/init"
  chmod +x "$WORK/initrd/init"
  (cd "$WORK/initrd" && find . | cpio -o -H newc --quiet > "$WORK/initrd.cpio")
fi

for machine in microvm pc; do
  ours=$(python3 $FIRST "$RUNS" "" -- $(qemu "$machine" "$virtio"))
  if [ -f "$WORK/initrd.cpio" ]; then
    peer=$(python3 $FIRST "$LINUX_RUNS" linux-guest-first-line -- qemu-system-x86_64 -M "$machine" -accel tcg \
      -cpu max -m 256M -display none -serial stdio -no-reboot -nodefaults -kernel "$linux_kernel" \
      -initrd "$WORK/initrd.cpio" -append "console=ttyS0 quiet panic=-1" || true)
    row "virtio $machine: QEMU start -> first line" "$ours" "Linux guest ($(basename "$linux_kernel")): $peer ; ratio $(ratio "${ours%% *}" "${peer%% *}")"
  else
    row "virtio $machine: QEMU start -> first line" "$ours" "Linux guest peer unavailable (needs linux-image-amd64, busybox-static, cpio)"
  fi
done
