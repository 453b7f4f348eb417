#!/usr/bin/env bash
# bench/fleet.sh — a fleet on libvirt (docs/DEPLOY.md §4): N `http` unikernels against N Linux guests running busybox
# httpd, measured in the same run, one fleet at a time, all QEMU TCG domains on one libvirt network.
#
#   swiftlet (disk)    the domain XML and qcow2 `swiftlet image http --emit libvirt` writes (SeaBIOS -> GRUB -> the
#                      unikernel), N copies with their own name and ip= (as Tests/Interop/libvirt.sh)
#   swiftlet (kernel)  the same domains booting the stripped unikernel directly (<kernel>, <cmdline>: QEMU -kernel)
#   linux (peer)       Debian's kernel (linux-image-amd64) and an initramfs this script builds from busybox-static
#                      and the kernel's virtio modules: insmod, address the NIC, `busybox httpd` serving a 612-byte
#                      page (the size of http's); booted directly like the row above, same machine (q35), same
#                      memory (128 MiB), same NIC (virtio-net, no option ROM)
#
# For each: the wall time from the first `virsh start` to the last instance answering GET / with 200 and 612 bytes,
# and the resident memory (VmRSS) of each QEMU process once all answer (mean, min, max), then the ratios
# swiftlet/linux. Isolation as in Tests/Interop/libvirt.sh: libvirtd and virtlogd run inside a network namespace
# this script creates (an isolated bridge, no forwarding), every domain is destroyed and undefined, the daemons are
# stopped by pid and the namespace deleted on exit. Needs root; skips if a libvirtd already runs on this host.
#
# usage: bench/fleet.sh [N]       (default 10; on a shared 2-core host try 2 first: N TCG guests boot at once)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-10}
case "$N" in '' | *[!0-9]* | 0) echo "usage: bench/fleet.sh [N]  (N: instances per fleet, 1 to 50)" >&2; exit 2 ;; esac
[ "$N" -le 50 ] || { echo "bench/fleet.sh: N=$N is more than 50 (each instance is a 128 MiB TCG guest)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/fleet.sh: needs root (network namespace, libvirtd)" >&2; exit 1; }
for tool in libvirtd virtlogd virsh curl qemu-img grub-mkrescue python3; do
  command -v $tool >/dev/null || { echo "bench/fleet.sh: no $tool (./swiftlet setup installs it)" >&2; exit 1; }
done
if [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "bench/fleet.sh: a libvirtd already runs on this host; this script starts its own in a namespace, so it stops here"
  exit 1
fi

# The Linux peer's packages (Debian): the kernel with its modules, a static busybox, cpio.
linux_kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)
if [ -z "$linux_kernel" ] || [ ! -x /bin/busybox ] || ! file -L /bin/busybox | grep -q statically || ! command -v cpio >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-image-amd64 busybox-static cpio >/dev/null 2>&1
  linux_kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)
fi
[ -n "$linux_kernel" ] && [ -x /bin/busybox ] || { echo "bench/fleet.sh: no Debian kernel or busybox (apt-get install linux-image-amd64 busybox-static cpio)" >&2; exit 1; }
kver=${linux_kernel#/boot/vmlinuz-}

WORK=$(mktemp -d /tmp/swiftlet-fleet.XXXXXX)
chmod 755 "$WORK"  # libvirt's QEMU runs as libvirt-qemu and reads the images from here
NS=swl-fleet-$$
VIRSH=(virsh -q -c qemu:///system)
LIBVIRTD_PID=
VIRTLOGD_PID=
cleanup() {
  for domain in $("${VIRSH[@]}" list --all --name 2>/dev/null | grep '^swl-f'); do
    "${VIRSH[@]}" destroy "$domain" >/dev/null 2>&1
    "${VIRSH[@]}" undefine "$domain" >/dev/null 2>&1
  done
  "${VIRSH[@]}" net-destroy swl-bench >/dev/null 2>&1
  [ -n "$LIBVIRTD_PID" ] && kill "$LIBVIRTD_PID" 2>/dev/null
  [ -n "$VIRTLOGD_PID" ] && kill "$VIRTLOGD_PID" 2>/dev/null
  sleep 0.5
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS" || { echo "bench/fleet.sh: cannot create namespace $NS" >&2; exit 1; }
in_ns ip link set lo up
in_ns virtlogd --daemon --pid-file="$WORK/virtlogd.pid" || { echo "virtlogd did not start" >&2; exit 1; }
in_ns libvirtd --daemon --pid-file="$WORK/libvirtd.pid" || { echo "libvirtd did not start" >&2; exit 1; }
for _ in $(seq 1 100); do
  [ -s "$WORK/libvirtd.pid" ] && "${VIRSH[@]}" version >/dev/null 2>&1 && break
  sleep 0.1
done
LIBVIRTD_PID=$(cat "$WORK/libvirtd.pid" 2>/dev/null)
VIRTLOGD_PID=$(cat "$WORK/virtlogd.pid" 2>/dev/null)
[ -n "$LIBVIRTD_PID" ] || { echo "libvirtd wrote no pid" >&2; exit 1; }
echo "<network><name>swl-bench</name><bridge name='swlfbr0' stp='off'/><ip address='10.0.2.1' netmask='255.255.255.0'/></network>" \
  >"$WORK/net.xml"
"${VIRSH[@]}" net-create "$WORK/net.xml" >/dev/null || { echo "virsh net-create failed" >&2; exit 1; }

# --- the three fleets' domain XML -----------------------------------------------------------------------------------
# Swiftlet, disk: what --emit libvirt writes (instance i: swl-fu-i at 10.0.2.(10+i)).
"$ROOT/swiftlet" image http --emit libvirt --boot bios --accel tcg --name swl-fu-1 --network swl-bench \
  --console-log "$WORK/fu-1.log" -o "$WORK/fu-1.xml" -- ip=10.0.2.11/24 >"$WORK/emit.log" 2>&1 ||
  { echo "swiftlet image --emit libvirt failed: $(tail -2 "$WORK/emit.log")" >&2; exit 1; }
unikernel=$("$ROOT/swiftlet" build http --target virtio 2>/dev/null | tail -1)
unikernel=${unikernel%.elf}.stripped
[ -s "$unikernel" ] || { echo "no stripped http unikernel at $unikernel" >&2; exit 1; }
cp "$unikernel" "$WORK/http.elf"

# Linux: busybox + the virtio modules (in modprobe's dependency order) + init + a 612-byte page.
mkdir -p "$WORK/initrd/bin" "$WORK/initrd/modules" "$WORK/initrd/www" "$WORK/initrd/proc" "$WORK/initrd/sys" "$WORK/initrd/dev"
cp /bin/busybox "$WORK/initrd/bin/busybox"
: >"$WORK/initrd/modules/order"
for module in virtio_pci virtio_net; do
  modprobe -S "$kver" --show-depends "$module" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$WORK/initrd/modules/" && basename "$ko" >>"$WORK/initrd/modules/order"
done
[ -s "$WORK/initrd/modules/order" ] || { echo "no virtio modules for $kver (apt-get install linux-image-$kver)" >&2; exit 1; }
python3 -c 'import sys; head = "<!DOCTYPE html><html><body><h1>busybox httpd</h1>"; tail = "</body></html>\n"; open(sys.argv[1], "w").write(head + "x" * (612 - len(head) - len(tail)) + tail)' \
  "$WORK/initrd/www/index.html"
cat >"$WORK/initrd/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for ko in $(cat /modules/order); do insmod /modules/$ko; done
address=$(sed -n 's/.*swl_ip=\([0-9./]*\).*/\1/p' /proc/cmdline)
ip link set lo up
ip link set eth0 up
ip addr add "$address" dev eth0
echo "linux-guest: eth0 $address, busybox httpd on port 80"
exec httpd -f -p 80 -h /www
INIT
chmod +x "$WORK/initrd/init"
(cd "$WORK/initrd" && find . | cpio -o -H newc --quiet) >"$WORK/initrd.cpio"
cp "$linux_kernel" "$WORK/vmlinuz"
chmod 644 "$WORK/vmlinuz" "$WORK/initrd.cpio" "$WORK/http.elf"

# instance_xml KIND I: the domain XML of instance I of fleet KIND (disk, kernel, linux), derived from the generated one.
instance_xml() {
  python3 - "$WORK/fu-1.xml" "$1" "$2" "$WORK" <<'PY'
import sys, xml.etree.ElementTree as ET
source, kind, i, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tree = ET.parse(source)
domain = tree.getroot()
prefix = {"disk": "swl-fu", "kernel": "swl-fk", "linux": "swl-fl"}[kind]
address = f"10.0.2.{ {'disk': 10, 'kernel': 60, 'linux': 110}[kind] + i}/24"
domain.find("name").text = f"{prefix}-{i}"
domain.find("devices/serial/source").set("path", f"{work}/{prefix}-{i}.log")
for entry in domain.iter("entry"):
    entry.text = entry.text.replace("ip=10.0.2.11/24", "ip=" + address)
if kind != "disk":
    # Direct kernel boot: no disk, no firmware menu; the words on the command line.
    os_ = domain.find("os")
    for tag in ("boot", "smbios"):
        os_.remove(os_.find(tag))
    devices = domain.find("devices")
    devices.remove(devices.find("disk"))
    devices.remove(devices.find("controller[@type='scsi']"))
    domain.remove(domain.find("sysinfo"))
    if kind == "kernel":
        ET.SubElement(os_, "kernel").text = f"{work}/http.elf"
        ET.SubElement(os_, "cmdline").text = f"ip={address} @net.service=#0"
    else:
        ET.SubElement(os_, "kernel").text = f"{work}/vmlinuz"
        ET.SubElement(os_, "initrd").text = f"{work}/initrd.cpio"
        ET.SubElement(os_, "cmdline").text = f"console=ttyS0 quiet panic=-1 swl_ip={address}"
tree.write(sys.stdout, encoding="unicode")
PY
}

# run_fleet KIND BASE: defines and starts N domains of KIND (addresses 10.0.2.(BASE+i)), waits until each answers,
# samples QEMU's RSS, destroys them; prints "SECONDS MEAN_MIB MIN_MIB MAX_MIB" or "failed: ...".
run_fleet() {
  local kind=$1 base=$2 i code answered=0 start took rss deadline
  local prefix
  prefix=$(case $kind in disk) echo swl-fu ;; kernel) echo swl-fk ;; linux) echo swl-fl ;; esac)
  for i in $(seq 1 "$N"); do
    instance_xml "$kind" "$i" >"$WORK/$prefix-$i.xml" &&
      "${VIRSH[@]}" define "$WORK/$prefix-$i.xml" >/dev/null 2>>"$WORK/define.log" ||
      { echo "failed: virsh define $prefix-$i: $(tail -1 "$WORK/define.log")"; return; }
  done
  declare -A up=()
  start=$(date +%s.%N)
  for i in $(seq 1 "$N"); do "${VIRSH[@]}" start "$prefix-$i" >/dev/null 2>>"$WORK/start.log"; done
  deadline=$(( $(date +%s) + 60 + 30 * N ))
  while [ "$(date +%s)" -lt $deadline ] && [ $answered -lt "$N" ]; do
    for i in $(seq 1 "$N"); do
      [ -n "${up[$i]:-}" ] && continue
      code=$(in_ns curl -s -m 1 -o "$WORK/page" -w '%{http_code}' "http://10.0.2.$((base + i))/" 2>/dev/null)
      if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/page")" = 612 ]; then up[$i]=1; answered=$((answered + 1)); fi
    done
    [ $answered -lt "$N" ] && sleep 0.2
  done
  took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
  rss=$(for pid in $(ip netns pids "$NS"); do
    case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in *qemu-system-*) awk '/^VmRSS/ {print $2}' "/proc/$pid/status" ;; esac
  done | awk '{ s += $1; n++; if (!min || $1 < min) min = $1; if ($1 > max) max = $1 }
              END { if (n) printf "%.1f %.1f %.1f %d", s / n / 1024, min / 1024, max / 1024, n }')
  for i in $(seq 1 "$N"); do
    "${VIRSH[@]}" destroy "$prefix-$i" >/dev/null 2>&1
    "${VIRSH[@]}" undefine "$prefix-$i" >/dev/null 2>&1
  done
  if [ $answered = "$N" ]; then
    echo "$took $rss"
  else
    echo "failed: $answered of $N answered in $took s; console 1: $(tr -d '\r' <"$WORK/$prefix-1.log" 2>/dev/null | grep -a . | tail -2 | tr '\n' '|')"
  fi
}

row() { printf '| %-58s | %-16s | %-30s |\n' "$1" "$2" "$3"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }

echo "# Swiftlet fleet benchmark, $(date -u +%Y-%m-%dT%H:%MZ), N=$N per fleet, $(nproc) cores, TCG," \
  "$(qemu-system-x86_64 --version | head -1), libvirt $(libvirtd --version | awk '{print $NF}')"
echo
row "fleet of $N (q35, 128 MiB, virtio-net, one at a time)" "all answer (s)" "QEMU RSS MiB: mean (min-max)"
row "---" "---" "---"
declare -A result
for kind in disk kernel linux; do
  base=$(case $kind in disk) echo 10 ;; kernel) echo 60 ;; linux) echo 110 ;; esac)
  result[$kind]=$(run_fleet $kind $base)
  label=$(case $kind in
    disk) echo "swiftlet http, disk image (SeaBIOS -> GRUB), --emit libvirt" ;;
    kernel) echo "swiftlet http, direct kernel boot" ;;
    linux) echo "Linux $kver + busybox httpd, direct kernel boot" ;;
  esac)
  read -r took mean min max count <<<"${result[$kind]}"
  if [ "$took" = failed: ]; then row "$label" "failed" "${result[$kind]}"
  else row "$label" "$took" "$mean ($min-$max), $count processes"; fi
done
echo
read -r lt lm _ <<<"${result[linux]}"
for kind in disk kernel; do
  read -r t m _ <<<"${result[$kind]}"
  if [ "$t" != failed: ] && [ "$lt" != failed: ]; then
    echo "ratio swiftlet ($kind) / linux: wall time $(ratio "$t" "$lt"), RSS per instance $(ratio "$m" "$lm")"
  fi
done
