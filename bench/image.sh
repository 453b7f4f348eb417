#!/usr/bin/env bash
# bench/image.sh — QEMU start -> first HTTP 200 from Samples/http, booted from each disk image kind, against the
# same image booted with -kernel (PVH), all in the same run (docs/BENCHMARKS.md, docs/DEPLOY.md).
#
#   kernel microvm   -kernel on -M microvm (virtio-mmio net): the fastest path, the reference
#   kernel q35       -kernel on -M q35 (SeaBIOS runs first, virtio-net-pci): the same machine as the images
#   image bios q35   `swiftlet image http --boot both` on -M q35: SeaBIOS -> GRUB (i386-pc) -> Multiboot2
#   image uefi q35   the same image with OVMF: UEFI -> GRUB (x86_64-efi) -> ExitBootServices -> Multiboot2
#
# Each row: median, min, max of RUNS (TCG), and the ratio of its median to `kernel q35`'s. curl polls GET / every
# 50 ms from a network namespace this script creates and deletes (one TAP, no route out). Needs root.
# usage: bench/image.sh [RUNS]    (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
[ "$(id -u)" = 0 ] || { echo "bench/image.sh needs root (network namespace, TAP)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/swiftlet-bench-image.XXXXXX)
NS=swl-bench-img-$$
QPID=
cleanup() {
  [ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
MAC=02:53:57:56:df:de   # any MAC: the image names its NIC by position (@net.service=#0); -kernel rows pass this one
ARGS="ip=10.0.0.2/24 gw=10.0.0.1"

kernel=$(./swiftlet build http --target virtio | tail -1)
kernel=${kernel%.elf}.stripped
disk=$(./swiftlet image http --boot both -o "$WORK/http.raw" -- $ARGS | tail -1)

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip tuntap add dev swlb0 mode tap
ip netns exec "$NS" ip addr add 10.0.0.1/24 dev swlb0
ip netns exec "$NS" ip link set swlb0 up

# once KIND: one boot, prints ms from QEMU's start to the first 200 (or "fail").
once() {
  # romfile= : no iPXE option ROM on the NIC, so neither firmware tries a network boot first.
  local kind=$1 machine=q35 boot=() dev=virtio-net-pci,romfile=
  case "$kind" in
    kernel-microvm) machine=microvm; dev=virtio-net-device; boot=(-kernel "$kernel" -append "$ARGS @net.service=$MAC") ;;
    kernel-q35) boot=(-kernel "$kernel" -append "$ARGS @net.service=$MAC") ;;
    image-bios) boot=(-drive "file=$disk,format=raw,if=none,id=disk,snapshot=on" -device ide-hd,drive=disk,bootindex=0) ;;
    image-uefi)
      cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
      boot=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
            -drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd"
            -drive "file=$disk,format=raw,if=none,id=disk,snapshot=on" -device ide-hd,drive=disk,bootindex=0) ;;
  esac
  local start end code
  start=$(date +%s%N)
  ip netns exec "$NS" qemu-system-x86_64 -M $machine -accel tcg -cpu max -m 128M -display none -serial none \
    -no-reboot -nodefaults "${boot[@]}" -netdev tap,id=n0,ifname=swlb0,script=no,downscript=no \
    -device $dev,netdev=n0,mac=$MAC >/dev/null 2>&1 &
  QPID=$!
  code=000
  for _ in $(seq 1 1200); do
    code=$(ip netns exec "$NS" curl -s -m 1 -o /dev/null -w '%{http_code}' http://10.0.0.2/ || true)
    [ "$code" = 200 ] && break
    kill -0 "$QPID" 2>/dev/null || break
    sleep 0.05
  done
  end=$(date +%s%N)
  kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null || true
  QPID=
  if [ "$code" = 200 ]; then echo $(( (end - start) / 1000000 )); else echo fail; fi
}

declare -A MEDIAN
echo "# Swiftlet image boot benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
echo
echo "| boot path (Samples/http, TCG)   | QEMU start -> first HTTP 200 (median min max, ms) | ratio to kernel q35"
echo "| ---                             | ---                   | ---"
for kind in kernel-q35 kernel-microvm image-bios image-uefi; do
  times=()
  for _ in $(seq 1 "$RUNS"); do times+=("$(once $kind)"); done
  stats=$(printf '%s\n' "${times[@]}" | python3 -c '
import statistics, sys
v = [float(x) for x in sys.stdin.read().split() if x != "fail"]
print(f"{statistics.median(v):.0f} {min(v):.0f} {max(v):.0f}" if v else "fail")')
  MEDIAN[$kind]=${stats%% *}
  ratio=$(python3 -c "import sys; a, b = sys.argv[1], sys.argv[2]; print(f'{float(a)/float(b):.2f}' if a != 'fail' and b != 'fail' else '-')" \
    "${MEDIAN[$kind]}" "${MEDIAN[kernel-q35]}")
  printf '| %-31s | %-21s | %s\n' "$kind" "$stats" "$ratio"
done
