#!/bin/bash
# bench/guest.sh — the prod `http` unikernel against the peer a user would pick: nginx in a Linux guest on the
# same QEMU (docs/BENCHMARKS.md, "Prod against nginx in a Linux guest").
#
# Both guests: QEMU pc, TCG, 1 vCPU, the same -m, a virtio-net PCI device on the tap backend (swlt0 in a network
# namespace this script makes, 10.0.0.1/24; the guest is 10.0.0.2), serving the same 612-byte page and a 10 MiB
# body. Clients run in the namespace.
#   swiftlet   Samples/http, started with `swiftlet run http --target virtio` (the image is built first, so the
#              start-up row includes the CLI's own start, a handicap for us)
#   linux      Debian's kernel (linux-image-amd64) and an initramfs this script builds from busybox-static, the
#              kernel's virtio-pci and virtio-net modules and Debian's nginx-light (1 worker, access log off,
#              sendfile on), its binary and shared libraries copied in
# Rows: start -> first HTTP 200 (curl polling every 20 ms), wrk -t1 -c10 keep-alive and `Connection: close`
# req/s, and the time to fetch the 10 MiB body; medians of RUNS; ratio swiftlet/linux (time rows: linux/swiftlet,
# so above 1 Swiftlet is ahead on every row).
#
# Why pc and not microvm: Debian's kernel finds no clock source on microvm under TCG (no PIT, no HPET: "tsc:
# Unable to calibrate against PIT") and hangs there; pc is what both boot reliably.
# usage: bench/guest.sh [SECONDS] [RUNS] [MEMORY]   (10, 3, 128M), as root; cleans up its namespace and guests.
#        GUEST_BENCH_KINDS="linux" bench/guest.sh ...   measures one side only (default "swiftlet linux")
#        GUEST_BENCH_KEEP=1 bench/guest.sh ...           keeps the work folder (initramfs, consoles)
#        GUEST_BENCH_SPLIT=1 bench/guest.sh ...          also says where the host's CPU went during each wrk run
#              (bench/cpu_split.py: QEMU's vCPU thread, its main loop, wrk, the host's user/system/irq+softirq/idle,
#              and for Swiftlet the virtqueue notifications and device interrupts per request from /metrics)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_RUN=${1:-10}
RUNS=${2:-3}
MEMORY=${3:-128M}
NS=swl-guest-$$
NSK=swl-guest-unused-$$
WORK=$(mktemp -d /tmp/swiftlet-guest.XXXXXX)
. bench/lib.sh
. bench/linux-guest.sh
GUEST_PID=

cleanup() {
  [ -n "$GUEST_PID" ] && kill "$GUEST_PID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  if [ -n "${GUEST_BENCH_KEEP:-}" ]; then echo "bench/guest.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench/guest.sh: run as root (it makes a network namespace and a TAP)" >&2; exit 1; }
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v cpio >/dev/null || need+=(cpio)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
file -L /bin/busybox 2>/dev/null | grep -q statically || need+=(busybox-static)
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || need+=(linux-image-amd64)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || { echo "bench/guest.sh: cannot install ${need[*]} (apt-get install ${need[*]})" >&2; exit 1; }
fi
linux_kernel=$(ls /boot/vmlinuz-*-amd64 | sort -V | tail -1)
kver=${linux_kernel#/boot/vmlinuz-}

./swiftlet build http --target virtio >/dev/null || { echo "bench/guest.sh: building http failed" >&2; exit 1; }

# --- The Linux guest's initramfs -------------------------------------------------------------------------------
I=$WORK/initrd
linux_guest_initramfs "$I" "$kver" virtio_pci virtio_net || exit 1
mkdir -p "$I/www/bytes" "$I/var/lib/nginx" "$I/var/log/nginx"
# nginx and every shared library it loads, at the same paths.
for file in /usr/sbin/nginx $(ldd /usr/sbin/nginx | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
  mkdir -p "$I$(dirname "$file")" && cp -L "$file" "$I$file"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$I/etc/passwd"
echo 'root:x:0:' >"$I/etc/group"
echo 'nogroup:x:65534:' >>"$I/etc/group"
cat >"$I/etc/nginx.conf" <<'CONF'
user root;
worker_processes 1;
daemon off;
error_log stderr warn;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server { listen 80; root /www; }
}
CONF
# The same sizes as Samples/http's page and body (only their lengths matter to the rows).
page_612 "$I/www/index.html" nginx
head -c 10485760 /dev/zero >"$I/www/bytes/10485760"
cat >>"$I/init" <<'INIT'
ip link set lo up
ip link set eth0 up
ip addr add 10.0.0.2/24 dev eth0
INIT
# GUEST_BENCH_SPLIT: /proc/interrupts served as /irq.txt (nginx cannot send a procfs file: its size reads 0), for
# cpu_split.py's interrupts per request.
[ -n "${GUEST_BENCH_SPLIT:-}" ] && echo '(while true; do cat /proc/interrupts >/www/irq.tmp; mv /www/irq.tmp /www/irq.txt; sleep 0.2; done) &' >>"$I/init"
cat >>"$I/init" <<'INIT'
echo "linux-guest: nginx on port 80"
exec /usr/sbin/nginx -c /etc/nginx.conf
INIT
(cd "$I" && find . | cpio -o -H newc --quiet) >"$WORK/initrd.cpio"

# --- Namespace -------------------------------------------------------------------------------------------------
ip netns add "$NS" || { echo "bench/guest.sh: cannot make namespace $NS" >&2; exit 1; }
in_a ip link set lo up
in_a ip tuntap add dev swlt0 mode tap
in_a sysctl -qw net.ipv6.conf.swlt0.disable_ipv6=1
in_a ip addr add 10.0.0.1/24 dev swlt0
in_a ip link set swlt0 up

start_guest() {  # KIND: starts it in the namespace, its pid in GUEST_PID
  if [ "$1" = swiftlet ]; then
    in_a ./swiftlet run http --target virtio --machine pc --accel tcg --memory "$MEMORY" \
      --net service=tap:swlt0 -- ip=10.0.0.2/24 gw=10.0.0.1 >"$WORK/guest.log" 2>&1 &
  else
    in_a qemu-system-x86_64 -M pc -accel tcg -cpu max -smp 1 -m "$MEMORY" -nodefaults -no-user-config \
      -display none -serial stdio -kernel "$linux_kernel" -initrd "$WORK/initrd.cpio" -append "console=ttyS0 quiet" \
      -netdev tap,id=n0,ifname=swlt0,script=no,downscript=no -device virtio-net-pci,netdev=n0 \
      >"$WORK/guest.log" 2>&1 &
  fi
  GUEST_PID=$!
}

stop_guest() {
  [ -n "$GUEST_PID" ] || return 0
  pkill -TERM -P "$GUEST_PID" 2>/dev/null
  kill "$GUEST_PID" 2>/dev/null
  wait "$GUEST_PID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  GUEST_PID=
  sleep 0.5
}

# first_200: seconds from now until GET / answers 200 (gives up after 120 s: prints FAILED)
first_200() {
  python3 - "$NS" <<'PY'
import subprocess, sys, time
start = time.monotonic()
while time.monotonic() - start < 120:
    r = subprocess.run(["ip", "netns", "exec", sys.argv[1], "curl", "-s", "-o", "/dev/null", "-m", "1",
                        "-w", "%{http_code}", "http://10.0.0.2/"], capture_output=True, text=True)
    if r.stdout == "200":
        print(f"{time.monotonic() - start:.3f}")
        sys.exit(0)
    time.sleep(0.02)
print("FAILED")
PY
}

SPLIT_LABEL=
wrk_rate() {  # [HEADER...]: wrk's requests/s, or FAILED
  if [ -n "${GUEST_BENCH_SPLIT:-}" ]; then  # -H VALUE: cpu_split.py takes the value alone
    python3 bench/cpu_split.py "$NS" "$SECONDS_PER_RUN" "$SPLIT_LABEL" "${2:-}" >"$WORK/split.out"
    head -1 "$WORK/split.out"
    tail -n +2 "$WORK/split.out" >>"$WORK/split.md"
    return
  fi
  in_a wrk -t1 -c10 -d"${SECONDS_PER_RUN}s" "$@" http://10.0.0.2/ 2>/dev/null \
    | awk '/Requests\/sec/ { print $2; found = 1 } END { if (!found) print "FAILED" }'
}

body_time() {  # seconds to fetch the 10 MiB body, or FAILED
  in_a curl -s -o /dev/null -m 60 -w '%{http_code} %{size_download} %{time_total}\n' http://10.0.0.2/bytes/10485760 \
    | awk '$1 == 200 && $2 == 10485760 { print $3; found = 1 } END { if (!found) print "FAILED" }'
}

declare -A R
for kind in ${GUEST_BENCH_KINDS:-swiftlet linux}; do
  starts=() keep=() close=() body=()
  for run in $(seq "$RUNS"); do
    start_guest "$kind"
    starts+=("$(first_200)")
    if [ "${starts[-1]}" = FAILED ]; then  # say why: the guest's console
      echo "bench/guest.sh: $kind never answered GET / with 200; its console ends:" >&2
      tail -n 15 "$WORK/guest.log" | sed 's/^/  | /' >&2
    fi
    SPLIT_LABEL="$kind keep-alive #$run"
    keep+=("$(wrk_rate)")
    SPLIT_LABEL="$kind close #$run"
    close+=("$(wrk_rate -H 'Connection: close')")
    body+=("$(body_time)")
    stop_guest
  done
  R[$kind.start]=$(median "${starts[@]}")
  R[$kind.keep]=$(median "${keep[@]}")
  R[$kind.close]=$(median "${close[@]}")
  R[$kind.body]=$(median "${body[@]}")
  R[$kind.all]="start ${starts[*]}; keep-alive ${keep[*]}; close ${close[*]}; body ${body[*]}"
done

ratio() {  # A B [inverse]: A/B (or B/A), n/a when either is not a number
  python3 -c "
import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2])
    print(f'{(b / a if sys.argv[3] == \"inverse\" else a / b):.2f}')
except (ValueError, ZeroDivisionError):
    print('n/a')" "$1" "$2" "${3:-}"
}

echo "# Swiftlet prod vs nginx in a Linux guest, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(qemu-system-x86_64 --version | head -1)"
echo "# bench/guest.sh $SECONDS_PER_RUN $RUNS $MEMORY: pc, TCG, 1 vCPU, -m $MEMORY, virtio-net-pci on a tap; wrk -t1 -c10 -d${SECONDS_PER_RUN}s; medians of $RUNS"
echo "# peer: Linux $kver + $(/usr/sbin/nginx -v 2>&1 | sed 's/.*: //') (1 worker, access log off) in an initramfs"
echo
printf '| %-40s | %-12s | %-12s | %s\n' "measure" "Swiftlet http" "nginx guest" "ratio (above 1: Swiftlet ahead)"
printf '| %-40s | %-12s | %-12s | %s\n' "---" "---" "---" "---"
printf '| %-40s | %-12s | %-12s | %s\n' "HTTP keep-alive, 612 B page (req/s)" "${R[swiftlet.keep]:--}" "${R[linux.keep]:--}" "$(ratio "${R[swiftlet.keep]:--}" "${R[linux.keep]:--}")"
printf '| %-40s | %-12s | %-12s | %s\n' "HTTP Connection: close (req/s)" "${R[swiftlet.close]:--}" "${R[linux.close]:--}" "$(ratio "${R[swiftlet.close]:--}" "${R[linux.close]:--}")"
printf '| %-40s | %-12s | %-12s | %s\n' "10 MiB body (s)" "${R[swiftlet.body]:--}" "${R[linux.body]:--}" "$(ratio "${R[swiftlet.body]:--}" "${R[linux.body]:--}" inverse)"
printf '| %-40s | %-12s | %-12s | %s\n' "start -> first HTTP 200 (s)" "${R[swiftlet.start]:--}" "${R[linux.start]:--}" "$(ratio "${R[swiftlet.start]:--}" "${R[linux.start]:--}" inverse)"
echo
echo "# every run: swiftlet: ${R[swiftlet.all]:--}"
echo "#            linux:    ${R[linux.all]:--}"
if [ -n "${GUEST_BENCH_SPLIT:-}" ] && [ -s "$WORK/split.md" ]; then
  echo
  echo "# where the CPU went during each wrk run (% of one core; the host has $(nproc)): bench/cpu_split.py"
  echo "| run | req/s | QEMU vCPU | QEMU main loop | QEMU other | wrk | host user | host system | host irq+softirq | host idle | kicks/req | interrupts/req |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  cat "$WORK/split.md"
fi
