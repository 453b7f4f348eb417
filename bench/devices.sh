#!/usr/bin/env bash
# bench/devices.sh — device throughput in both modes, with peers measured in the same run.
#
#   block: sequential write (+flush) and read MB/s of a 64 MiB file with 4 KiB and 64 KiB
#          requests through Samples/disk-tool (mode=bench), vs dd with the same block sizes
#          on the same file.
#   net:   frames/s echoed by Samples/frame-echo over a TAP interface (dev: the tender's
#          TAP backend; prod: QEMU's tap netdev + our virtio-net), vs the same raw-socket
#          peer talking to an echo through the Linux kernel's packet path over a veth pair.
#          Everything runs in network namespaces this script creates and deletes.
#
# usage: bench/devices.sh [FRAMES]   (default 20000 frames; prod uses FRAMES/4: TCG is slow)
# Needs root (namespaces, TAP). Machine: microvm, TCG.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FRAMES=${1:-20000}
WORK=$(mktemp -d /tmp/swiftlet-devbench.XXXXXX)
NS=swl-bench-$$
cleanup() {
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

row() { printf '| %-40s | %-14s | %-14s | %s\n' "$1" "$2" "$3" "$4"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.3f}' if b else 'n/a')" "$1" "$2"; }
mbps() { python3 -c "import sys; print(f'{float(sys.argv[1])/(float(sys.argv[3])-float(sys.argv[2]))/1e6:.1f}')" "$1" "$2" "$3"; }

echo "# Swiftlet device benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
echo
row "measure" "posix" "virtio (TCG)" "peer ; ratios posix/peer, virtio/peer"
row "---" "---" "---" "---"

for target in posix virtio; do ./swiftlet build disk-tool --target $target >/dev/null; ./swiftlet build frame-echo --target $target >/dev/null; done

# --- block -------------------------------------------------------------------
DISK=$WORK/disk.img
SIZE=$((64 << 20))
truncate -s $SIZE "$DISK"
for bs in 4096 65536; do
  declare -A w r
  for target in posix virtio; do
    line=$(./swiftlet run disk-tool --target $target --block "storage=$DISK" -- mode=bench request=$bs 2>/dev/null | grep 'disk-tool: bench')
    w[$target]=$(sed -n 's/.*write [0-9]* bytes \[\([0-9]*\) MB\/s\].*/\1/p' <<<"$line")
    r[$target]=$(sed -n 's/.*read [0-9]* bytes \[\([0-9]*\) MB\/s\].*/\1/p' <<<"$line")
  done
  t0=$(date +%s.%N); dd if=/dev/zero of="$DISK" bs=$bs count=$((SIZE / bs)) conv=notrunc,fdatasync status=none; t1=$(date +%s.%N)
  ddw=$(mbps $SIZE "$t0" "$t1")
  t0=$(date +%s.%N); dd if="$DISK" of=/dev/null bs=$bs status=none; t1=$(date +%s.%N)
  ddr=$(mbps $SIZE "$t0" "$t1")
  row "block write+flush MB/s, ${bs} B requests" "${w[posix]:-?}" "${w[virtio]:-?}" "dd $ddw ; $(ratio "${w[posix]:-0}" "$ddw"), $(ratio "${w[virtio]:-0}" "$ddw")"
  row "block read MB/s, ${bs} B requests" "${r[posix]:-?}" "${r[virtio]:-?}" "dd $ddr ; $(ratio "${r[posix]:-0}" "$ddr"), $(ratio "${r[virtio]:-0}" "$ddr")"
done

# --- net ---------------------------------------------------------------------
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
frames_per_second() { sed -n 's/.* \([0-9]*\) frames\/s.*/\1/p'; }
declare -A fps
for target in posix virtio; do
  count=$FRAMES; [ $target = virtio ] && count=$((FRAMES / 4))
  ip netns exec "$NS" ip tuntap add dev swlb0 mode tap
  ip netns exec "$NS" sysctl -qw net.ipv6.conf.swlb0.disable_ipv6=1
  ip netns exec "$NS" ip link set swlb0 up
  ip netns exec "$NS" ./swiftlet run frame-echo --target $target --net service=tap:swlb0 -- quiet=1 >"$WORK/echo.log" 2>&1 &
  pid=$!
  mac=
  for _ in $(seq 1 300); do
    mac=$(sed -n 's/^frame-echo: service mac \([0-9a-f:]*\) .*/\1/p' "$WORK/echo.log"); [ -n "$mac" ] && break; sleep 0.1
  done
  out=$(ip netns exec "$NS" timeout 300 python3 Tests/Interop/frame_peer.py swlb0 "$mac" $count --window 8 --sizes 60)
  fps[$target]=$(frames_per_second <<<"$out")
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  ip netns exec "$NS" ip link del swlb0
done
ip netns exec "$NS" ip link add swlv0 type veth peer name swlv1
for dev in swlv0 swlv1; do ip netns exec "$NS" sysctl -qw net.ipv6.conf.$dev.disable_ipv6=1; ip netns exec "$NS" ip link set $dev up; done
ip netns exec "$NS" python3 Tests/Interop/kernel_echo.py swlv1 $FRAMES 300 >"$WORK/kecho.log" &
kpid=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/kecho.log" && break; sleep 0.1; done
mac=$(ip netns exec "$NS" cat /sys/class/net/swlv1/address)
kfps=$(ip netns exec "$NS" timeout 300 python3 Tests/Interop/frame_peer.py swlv0 "$mac" $FRAMES --window 8 --sizes 60 | frames_per_second)
kill $kpid 2>/dev/null; wait $kpid 2>/dev/null
row "net frames/s echoed (60 B, window 8)" "${fps[posix]:-?}" "${fps[virtio]:-?}" "kernel veth + AF_PACKET echo $kfps ; $(ratio "${fps[posix]:-0}" "${kfps:-0}"), $(ratio "${fps[virtio]:-0}" "${kfps:-0}")"
