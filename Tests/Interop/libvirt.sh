#!/usr/bin/env bash
# A fleet on libvirt (docs/DEPLOY.md §4): ten `http` unikernels from one disk image, each defined from the domain
# XML `swiftlet image http --emit libvirt` writes, started with virsh (QEMU TCG domains), reached over a libvirt
# network, then destroyed. virtio only; needs root.
#
#   define   every generated domain is accepted by `virsh define` (libvirt's own schema check)
#   fleet    all ten answer GET / with the 612-byte page, each at its own address (its OEM string's ip=); the
#            wall time from the first `virsh start` to the last 200, and QEMU's RSS per instance
#   destroy  `virsh destroy` stops each one; nothing is left running
#   uefi     one domain from `--emit libvirt --boot uefi`: libvirt picks OVMF without Secure Boot (the loader and a
#            per-domain NVRAM in `virsh dumpxml`), it boots through GRUB's EFI loader and answers GET / with the page;
#            destroyed and undefined with its NVRAM
#
# Isolation: libvirtd and virtlogd are started by this script inside a network namespace of its own, so the
# libvirt network (an isolated bridge, no forwarding, no DHCP) and every QEMU live in that namespace; all are
# stopped by pid and the namespace deleted on exit. If a libvirtd already runs on this host the script says so and
# skips (it would not start a second one).
# usage: Tests/Interop/libvirt.sh virtio [COUNT]   (COUNT: 10)
set -uo pipefail
TARGET=${1:-}
CHECK=libvirt
source "$(dirname "$0")/lib.sh"
COUNT=${2:-10}
[ "$TARGET" = virtio ] || { echo "skip [$TARGET] interop libvirt: libvirt domains are virtio only"; exit 0; }
for tool in libvirtd virtlogd virsh curl grub-mkrescue qemu-img; do
  command -v $tool >/dev/null || fail "no $tool (./swiftlet setup installs libvirt-daemon-system, libvirt-clients, ...)"
done
if [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "skip [$TARGET] interop libvirt: a libvirtd already runs on this host (this test starts its own in a namespace)"
  exit 0
fi
WORK=$(mktemp -d /tmp/swiftlet-libvirt.XXXXXX)
VIRSH=(virsh -q -c qemu:///system)
LIBVIRTD_PID=
VIRTLOGD_PID=
libvirt_cleanup() {
  for i in $(seq 1 "$COUNT"); do
    "${VIRSH[@]}" destroy "swl-http-$i" >/dev/null 2>&1
    "${VIRSH[@]}" undefine "swl-http-$i" >/dev/null 2>&1
  done
  "${VIRSH[@]}" destroy swl-http-uefi >/dev/null 2>&1
  "${VIRSH[@]}" undefine --nvram swl-http-uefi >/dev/null 2>&1
  "${VIRSH[@]}" net-destroy swl-fleet >/dev/null 2>&1
  [ -n "$LIBVIRTD_PID" ] && kill "$LIBVIRTD_PID" 2>/dev/null
  [ -n "$VIRTLOGD_PID" ] && kill "$VIRTLOGD_PID" 2>/dev/null
  sleep 0.5
  rm -rf "$WORK"
  interop_cleanup
}
trap libvirt_cleanup EXIT

make_namespace  # lib.sh's namespace; its TAP is unused here, the bridge below is the network
in_ns virtlogd --daemon --pid-file="$WORK/virtlogd.pid" || fail "virtlogd did not start"
in_ns libvirtd --daemon --pid-file="$WORK/libvirtd.pid" || fail "libvirtd did not start"
for _ in $(seq 1 100); do
  [ -s "$WORK/libvirtd.pid" ] && "${VIRSH[@]}" version >/dev/null 2>&1 && break
  sleep 0.1
done
LIBVIRTD_PID=$(cat "$WORK/libvirtd.pid" 2>/dev/null)
VIRTLOGD_PID=$(cat "$WORK/virtlogd.pid" 2>/dev/null)
[ -n "$LIBVIRTD_PID" ] || fail "libvirtd wrote no pid"
cat >"$WORK/net.xml" <<'EOF'
<network><name>swl-fleet</name><bridge name='swlbr0' stp='off'/><ip address='10.0.1.1' netmask='255.255.255.0'/></network>
EOF
"${VIRSH[@]}" net-create "$WORK/net.xml" >/dev/null || fail "virsh net-create failed"

# One image, COUNT domains: `--emit libvirt` writes the first domain and its disk image; the others are that XML
# with their own name, address and console (the same disk: each domain writes to its own transient overlay).
chmod 755 "$WORK"  # libvirt's QEMU runs as libvirt-qemu and must read the image
xml=$("$ROOT/swiftlet" image http --emit libvirt --boot bios --name swl-http-1 --network swl-fleet \
  --console-log "$WORK/console-1.log" -o "$WORK/http-1.xml" -- ip=10.0.1.11/24 2>"$WORK/emit.log" | tail -1)
[ -s "$xml" ] && [ -s "$WORK/http-1.bios.qcow2" ] || fail "swiftlet image --emit libvirt: $(tail -2 "$WORK/emit.log")"
defined=0
for i in $(seq 1 "$COUNT"); do
  [ $i = 1 ] || sed -e "s|swl-http-1<|swl-http-$i<|; s|ip=10.0.1.11/|ip=10.0.1.$((10 + i))/|; s|console-1.log|console-$i.log|" \
    "$xml" >"$WORK/http-$i.xml"
  "${VIRSH[@]}" define "$WORK/http-$i.xml" >/dev/null 2>"$WORK/define-$i.log" && defined=$((defined + 1))
done
if [ $defined = "$COUNT" ]; then ok "define: $COUNT domains (one generated, its copies renamed) accepted by virsh define"
else failed "define: $defined of $COUNT accepted; $(head -2 "$WORK/define-1.log")"; fi

start=$(date +%s.%N)
for i in $(seq 1 "$COUNT"); do "${VIRSH[@]}" start "swl-http-$i" >/dev/null 2>>"$WORK/start.log"; done
[ -s "$WORK/start.log" ] && failed "virsh start: $(head -2 "$WORK/start.log" | tr '\n' ' ')"
answered=0
declare -A up
deadline=$(( $(date +%s) + 180 ))
while [ "$(date +%s)" -lt $deadline ]; do
  for i in $(seq 1 "$COUNT"); do
    [ -n "${up[$i]:-}" ] && continue
    code=$(in_ns curl -s -m 1 -o "$WORK/page-$i" -w '%{http_code}' "http://10.0.1.$((10 + i))/" 2>/dev/null)
    if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/page-$i")" = 612 ]; then up[$i]=1; answered=$((answered + 1)); fi
  done
  [ $answered = "$COUNT" ] && break
  sleep 0.2
done
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
rss=$(for pid in $(ip netns pids "$NS"); do
  case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in *qemu-system-*) awk '/^VmRSS/ {print $2}' "/proc/$pid/status" ;; esac
done | awk '{ s += $1; n++ } END { if (n) printf "%d QEMU processes, %.1f MiB RSS each (mean)", n, s / n / 1024 }')
if [ $answered = "$COUNT" ]; then
  ok "fleet: all $COUNT http instances answered GET / (612 bytes) at their own addresses, $took s from the first" \
    "virsh start to the last 200 (TCG); $rss"
else
  failed "fleet: $answered of $COUNT answered within 180 s;" \
    "console 1: $(tr -d '\r' <"$WORK/console-1.log" 2>/dev/null | grep -a . | tail -2 | tr '\n' '|')"
fi

destroyed=0
for i in $(seq 1 "$COUNT"); do "${VIRSH[@]}" destroy "swl-http-$i" >/dev/null 2>&1 && destroyed=$((destroyed + 1)); done
running=$("${VIRSH[@]}" list --name | grep -c . || true)
if [ $destroyed = "$COUNT" ] && [ "$running" = 0 ]; then ok "destroy: $COUNT destroyed, no domain left running"
else failed "destroy: $destroyed of $COUNT destroyed, $running still running"; fi

# UEFI: OVMF through libvirt's firmware selection, NVRAM made by libvirt, the disk on virtio-scsi (OVMF's driver).
uefi_xml=$("$ROOT/swiftlet" image http --emit libvirt --boot uefi --name swl-http-uefi --network swl-fleet \
  --console-log "$WORK/console-uefi.log" -o "$WORK/http-uefi.xml" -- ip=10.0.1.50/24 2>"$WORK/emit-uefi.log" | tail -1)
if [ -s "$uefi_xml" ] && "${VIRSH[@]}" define "$uefi_xml" >/dev/null 2>"$WORK/define-uefi.log"; then
  start=$(date +%s.%N)
  "${VIRSH[@]}" start swl-http-uefi >/dev/null 2>"$WORK/start-uefi.log"
  # libvirt 9 resolves firmware='efi' to a loader and an NVRAM file when the domain starts: the live XML has them.
  dumped=$("${VIRSH[@]}" dumpxml swl-http-uefi)
  loader=$(sed -n "s|.*<loader [^>]*>\(.*\)</loader>.*|\1|p" <<<"$dumped")
  nvram=$(sed -n "s|.*<nvram[^>]*>\(.*\)</nvram>.*|\1|p" <<<"$dumped")
  code=000
  deadline=$(( $(date +%s) + 120 ))
  while [ "$(date +%s)" -lt $deadline ]; do
    code=$(in_ns curl -s -m 1 -o "$WORK/page-uefi" -w '%{http_code}' http://10.0.1.50/ 2>/dev/null)
    [ "$code" = 200 ] && break
    sleep 0.5
  done
  took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
  nvram_made=no
  [ -n "$nvram" ] && [ -s "$nvram" ] && nvram_made=yes
  if [ "$code" = 200 ] && [ "$(stat -c %s "$WORK/page-uefi")" = 612 ] && [[ "$loader" == *OVMF* ]] &&
    [ $nvram_made = yes ] && ! grep -q "secure='yes'" <<<"$dumped"; then
    ok "uefi: an --emit libvirt --boot uefi domain booted OVMF ($(basename "$loader"), NVRAM $(basename "$nvram")," \
      "no Secure Boot) -> GRUB -> http: GET / is 200, 612 bytes, $took s after virsh start (TCG)"
  else
    failed "uefi: status $code after $took s, loader '${loader}', nvram '${nvram}' (made: $nvram_made); $(head -2 "$WORK/start-uefi.log")" \
      "console: $(tr -d '\r' <"$WORK/console-uefi.log" 2>/dev/null | grep -a . | tail -2 | tr '\n' '|')"
  fi
  "${VIRSH[@]}" destroy swl-http-uefi >/dev/null 2>&1
  if "${VIRSH[@]}" undefine --nvram swl-http-uefi >/dev/null 2>&1 && [ -n "$nvram" ] && [ ! -e "$nvram" ]; then
    ok "uefi: destroyed and undefined, its NVRAM removed"
  else
    failed "uefi: undefine --nvram left ${nvram:-no nvram}"
  fi
else
  failed "uefi: generate/define: $(tail -2 "$WORK/emit-uefi.log" "$WORK/define-uefi.log" 2>/dev/null | tr '\n' ' ')"
fi
exit $status
