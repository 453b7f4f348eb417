#!/bin/sh
# check.sh — checks the Posix platform's sandbox and reporters without Runtime.
#
# Builds the platform (same flags as mk/image.mk) with probe.c as the app, runs
# each probe and compares its last output line and exit status with the
# expected report (addresses as patterns). Prints one line per probe and
# `N passed, N failed`; exits 1 if any failed. Device probes use echo.c as
# the stream peer; the TAP probes run only as root with `ip` (in a network
# namespace of their own, deleted afterwards), the pcap check only with tcpdump.
#   sh Sources/Platform/Posix/check/check.sh [OUT_DIR]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
POSIX=$(dirname "$HERE")
ROOT=$(cd "$POSIX/../../.." && pwd)
OUT=${1:-$ROOT/.build-swiftlet/posix-check}
mkdir -p "$OUT"
TOOLCHAIN=$(dirname "$(dirname "$(command -v swiftc)")")
SWIFTFLAGS="-target x86_64-unknown-linux-gnu -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -wmo -parse-as-library -Osize -swift-version 5 -Xfrontend -function-sections -Xfrontend -disable-stack-protector \
  -Xcc -mno-red-zone -Xcc -fno-stack-protector -I $ROOT/Sources/ABI/include -I $POSIX/C/include"
CFLAGS="-target x86_64-unknown-linux-gnu -O2 -Wall -Wextra -ffunction-sections -fdata-sections -fno-stack-protector \
  -mno-red-zone -I $ROOT/Sources/ABI/include -I $TOOLCHAIN/include -I $POSIX/C/include"

set -e
# The platform imports the shared heap (Sources/Platform/Heap, module PlatformHeap), as mk/image.mk builds it.
HEAP="$ROOT/Sources/Platform/Heap"
swiftc $SWIFTFLAGS -module-name PlatformHeap -emit-module -emit-module-path "$OUT/PlatformHeap.swiftmodule" \
  -c "$HEAP"/*.swift -o "$OUT/PlatformHeap.o"
# ... and the device grammar it shares with the CLI and the boot words (Sources/DeviceSpec, module DeviceSpec).
swiftc $SWIFTFLAGS -module-name DeviceSpec -emit-module -emit-module-path "$OUT/DeviceSpec.swiftmodule" \
  -c "$ROOT"/Sources/DeviceSpec/*.swift -o "$OUT/DeviceSpec.o"
swiftc $SWIFTFLAGS -I "$OUT" -module-name Platformposix -c "$POSIX"/*.swift -o "$OUT/Platform.o"
for c in "$POSIX"/C/*.c; do clang $CFLAGS -c "$c" -o "$OUT/$(basename "$c" .c).o"; done
for c in "$HEAP"/C/*.c; do clang $CFLAGS -c "$c" -o "$OUT/heap_$(basename "$c" .c).o"; done
clang -O0 -I "$ROOT/Sources/ABI/include" -c "$HERE/probe.c" -o "$OUT/probe.o"
objs=""
for c in "$POSIX"/C/*.c; do objs="$objs $OUT/$(basename "$c" .c).o"; done
for c in "$HEAP"/C/*.c; do objs="$objs $OUT/heap_$(basename "$c" .c).o"; done
objs="$objs $OUT/PlatformHeap.o $OUT/DeviceSpec.o"
clang -fuse-ld=lld -Wl,--gc-sections -o "$OUT/probe.elf" "$OUT/probe.o" "$OUT/Platform.o" $objs -lseccomp
clang -O2 -Wall -o "$OUT/echo" "$HERE/echo.c"
clang -O0 -I "$ROOT/Sources/ABI/include" -c "$HERE/reenter.c" -o "$OUT/reenter.o"
clang -fuse-ld=lld -Wl,--gc-sections -o "$OUT/reenter.elf" "$OUT/reenter.o" "$OUT/Platform.o" \
  $(for o in $objs; do case $o in */sigsys.o|*/syscall_names.o) ;; *) echo "$o" ;; esac; done) -lseccomp
set +e

H='0x[0-9a-f]{16}'
passed=0
failed=0
# expect NAME STATUS REGEX [ARGS...]: runs probe.elf ARGS, matches the last stdout line.
expect() {
    name=$1 status=$2 pattern=$3
    shift 3
    line=$("$OUT/probe.elf" "$@" 2>/dev/null | tail -n 1)
    got=$("$OUT/probe.elf" "$@" >/dev/null 2>&1; echo $?)
    if [ "$got" = "$status" ] && printf '%s\n' "$line" | grep -Eqx -- "$pattern"; then
        passed=$((passed + 1)); echo "ok $name"
    else
        failed=$((failed + 1)); echo "FAIL $name: status $got (want $status), line: $line"
    fi
}
# usage errors go to stderr
expect_usage() {
    name=$1 pattern=$2
    shift 2
    line=$("$OUT/probe.elf" "$@" 2>&1 >/dev/null)
    got=$("$OUT/probe.elf" "$@" >/dev/null 2>&1; echo $?)
    if [ "$got" = 2 ] && printf '%s\n' "$line" | grep -Eqx -- "$pattern"; then
        passed=$((passed + 1)); echo "ok $name"
    else
        failed=$((failed + 1)); echo "FAIL $name: status $got (want 2), line: $line"
    fi
}

B='swiftlet: blocked system call'
F='swiftlet: memory fault:'
expect boot-args 0 'cmdline=\[a=1 b=two c=x=y\]' a=1 -- b=two c=x=y
expect no-args 0 'cmdline=\[\]'
expect_usage unknown-option "swiftlet: unknown option '--frob'; usage: .*probe.elf \[--memory BYTES\] \[--net NAME=SPEC\]\.\.\. \[--block NAME=FILE\]\.\.\. \[--pcap NAME=FILE\]\.\.\. \[--\] key=value \.\.\." --frob
expect_usage no-equals "swiftlet: malformed boot argument 'foo': expected key=value" foo
expect_usage memory-too-small "swiftlet: --memory '4096': expected bytes in decimal, at least 1048576" --memory 4096
expect_usage empty-key "swiftlet: malformed boot argument '=v': expected key=value" =v
expect exit-0 0 'cmdline=.*'
expect exit-42 42 'cmdline=.*' probe=exit42
expect exit-200 200 'cmdline=.*' probe=exit200
expect open 253 "$B openat \(257\): a unikernel has no file system; declare a block device and use Runtime's block API" probe=open
expect socket 253 "$B socket \(41\): a unikernel has no host sockets; declare a net device and use the Net stack" probe=socket
expect fork 253 "$B clone \(56\): a unikernel runs one process with no threads; use async tasks" probe=fork
expect nanosleep 253 "$B clock_nanosleep \(230\): use Runtime's sleep\(for:\)" probe=nanosleep
expect write-fd3 253 "$B write \(1\): only the console \(fd 1 and 2\) can be written; use Runtime's console \(print\)" probe=write3
expect boottime 253 "$B clock_gettime \(228\): only the monotonic and wall clocks exist; use Runtime's clocks" probe=boottime
expect monotonic-syscall 0 'cmdline=.*' probe=monotonic-syscall
expect mmap-exec 253 "$B mmap \(9\): a unikernel cannot map executable memory" probe=mmap-exec
expect mprotect-exec 253 "$B mprotect \(10\): a unikernel cannot map executable memory" probe=mprotect-exec
expect mprotect-read 253 "$B mprotect \(10\): a unikernel's memory protections are fixed at boot" probe=mprotect-read
# No memory call after the lockdown: the heap is the arena mapped before it (C/arena.c).
M="a unikernel's memory is fixed at boot; allocate with malloc \(Swift does\), from the heap that --memory sizes"
expect mmap-anonymous 253 "$B mmap \(9\): $M" probe=mmap-anonymous
expect brk 253 "$B brk \(12\): $M" probe=brk
expect munmap 253 "$B munmap \(11\): $M" probe=munmap
expect mremap 253 "$B mremap \(25\): $M" probe=mremap
expect madvise 253 "$B madvise \(28\): $M" probe=madvise
# malloc is the shared heap's over the arena: exhaustion is one line and 255, as in prod.
expect heap-exhausted 255 "swiftlet: abort: out of memory: an allocation of 8388608 bytes failed with [0-9]+ of the heap's [0-9]+ bytes in use; give the guest more memory \(swiftlet run --memory\)" --memory 4194304 probe=malloc-8m
expect heap-too-small 255 'swiftlet: abort: heap region too small; give the guest more memory \(swiftlet run --memory\)' --memory 1048576
expect heap-after-lockdown 0 'heap: 4 MiB allocated, written and freed 20 times' probe=heap
expect ppoll-sigmask 253 "$B ppoll \(271\): a unikernel has no signals, so the sleep takes no signal mask; use Runtime's sleep\(for:\)" probe=ppoll-sigmask
expect block-sigsys 253 "$B rt_sigprocmask \(14\): a unikernel has no signals; use async tasks and Runtime's timers" probe=block-sigsys
expect page-zero 254 "$F read of unmapped page at 0x0000000000000000 \(rip $H, vector 14, error 0x0\)" probe=page-zero
expect write-text 254 "$F write of protected page at $H \(rip $H, vector 14, error 0x3\)" probe=write-text
expect execute-data 254 "$F execute of protected page at $H \(rip $H, vector 14, error 0x11\)" probe=execute-data
expect stack-overflow 254 "$F stack overflow at $H \(rip $H, vector 14, error 0x2\)" probe=stack-overflow
expect stack-overflow-big 254 "$F stack overflow at $H \(rip $H, vector 14, error 0x[0-9a-f]+\)" probe=stack-overflow-big
expect non-canonical 254 "$F general protection fault at 0x0000000000000000 \(rip $H, vector 13, error 0x0\)" probe=non-canonical
expect ud2 252 "swiftlet: cpu trap: invalid opcode \(rip $H, vector 6\)" probe=ud2
expect divide 252 "swiftlet: cpu trap: divide error \(rip $H, vector 0\)" probe=divide
expect int3 252 "swiftlet: cpu trap: breakpoint \(rip $H, vector 3\)" probe=int3
expect abort 255 'swiftlet: abort: abort\(\) called' probe=abort
expect double-free 255 'swiftlet: abort: free\(\): pointer not from malloc, or freed twice' probe=double-free
expect platform-abort 255 'swiftlet: abort: something broke' probe=platform-abort
expect sleep 0 'slept 1s ready=0' probe=sleep
expect memory 0 'stdio works' probe=memory
# A closed stdout is replaced by /dev/null: console writes still succeed.
if "$OUT/probe.elf" probe=memory >&- 2>/dev/null; then
    passed=$((passed + 1)); echo "ok stdout-closed"
else
    failed=$((failed + 1)); echo "FAIL stdout-closed: status $?"
fi
# An unlimited stack rlimit is capped, so the overflow is still reported.
line=$(sh -c "ulimit -s unlimited; exec '$OUT/probe.elf' probe=stack-overflow" 2>/dev/null | tail -n 1)
if printf '%s\n' "$line" | grep -Eq "^$F stack overflow"; then
    passed=$((passed + 1)); echo "ok stack-overflow-unlimited-rlimit"
else
    failed=$((failed + 1)); echo "FAIL stack-overflow-unlimited-rlimit: $line"
fi

# ---- devices ------------------------------------------------------------------
# run_check NAME STATUS REGEX CMD...: runs CMD once; matches its last stdout line and status.
run_check() {
    name=$1 status=$2 pattern=$3
    shift 3
    line=$("$@" 2>"$OUT/stderr" | tail -n 1)
    got=$(cat "$OUT/status")
    if [ "$got" = "$status" ] && printf '%s\n' "$line" | grep -Eqx -- "$pattern"; then
        passed=$((passed + 1)); echo "ok $name"
    else
        failed=$((failed + 1)); echo "FAIL $name: status $got (want $status), line: $line $(head -c 300 "$OUT/stderr")"
    fi
}
# run_usage NAME REGEX CMD...: CMD must print one line on stderr matching REGEX and exit 2.
run_usage() {
    name=$1 pattern=$2
    shift 2
    "$@" >/dev/null 2>"$OUT/stderr"
    got=$?
    line=$(cat "$OUT/stderr")
    if [ "$got" = 2 ] && [ "$(wc -l <"$OUT/stderr")" = 1 ] && printf '%s\n' "$line" | grep -Eqx -- "$pattern"; then
        passed=$((passed + 1)); echo "ok $name"
    else
        failed=$((failed + 1)); echo "FAIL $name: status $got (want 2), stderr: $line"
    fi
}
# probe ARGS...: runs probe.elf, its status in $OUT/status (for run_check's pipeline).
probe() { "$OUT/probe.elf" "$@"; echo $? >"$OUT/status"; }
# spawned ARGS...: probe.elf with the far end of an echo socketpair ("@FD" in ARGS is its number).
spawned() { "$OUT/echo" spawn "$OUT/probe.elf" "$@"; echo $? >"$OUT/status"; }
# listening PATH: starts an echo server on PATH and waits until it listens.
listening() {
    mode=${2:-listen}
    rm -f "$OUT/echo.out"
    "$OUT/echo" "$mode" "$1" >"$OUT/echo.out" &
    for _ in $(seq 100); do grep -q ready "$OUT/echo.out" 2>/dev/null && return; sleep 0.05; done
}

D=$OUT/dev
rm -rf "$D"; mkdir -p "$D"
truncate -s 1M "$D/d512.img" "$D/d4096.img" "$D/a,b.img"
: >"$D/empty.img"
truncate -s 1000 "$D/odd.img"
truncate -s 1536 "$D/three.img"
P="$OUT/probe.elf"
U='swiftlet:'
run_usage net-needs-value "$U --net needs a value: --net NAME=tap:IFACE\|socket:PATH\|fd:FD\[,mac=M\]\[,mtu=N\]" "$P" --net
run_usage net-needs-name "$U --net expects NAME=VALUE, got 'service'; usage: --net NAME=.*" "$P" --net service
run_usage bad-name "$U --block: device name 'a b' has a character other than A-Z a-z 0-9 - _; use 1-31 characters of A-Z a-z 0-9 - _" "$P" --block "a b=x"
run_usage long-name "$U --net: device name '$(printf 'x%.0s' $(seq 32))' is longer than 31 characters; use 1-31 .*" "$P" --net "$(printf 'x%.0s' $(seq 32))=tap:t"
run_usage long-block-name "$U --block: device name '$(printf 'x%.0s' $(seq 21))' is longer than 20 characters \(a block device's name must fit the virtio-blk serial\); .*" "$P" --block "$(printf 'x%.0s' $(seq 21))=x"
run_usage unknown-backend "$U net device service: unknown backend 'udp:1'; use tap:IFACE, socket:PATH or fd:FD" "$P" --net=service=udp:1
run_usage bad-mac "$U net device service: mac '02:00' is not six hex bytes; write it like 02:53:57:00:00:01" "$P" --net service=socket:/x,mac=02:00
run_usage long-mac-digits "$U net device service: mac '0000000000000000000000:00:00:00:00:01' is not six hex bytes; .*" "$P" --net service=socket:/x,mac=0000000000000000000000:00:00:00:00:01
run_usage multicast-mac "$U net device service: mac '01:00:5e:00:00:01' is a multicast address; the first byte must be even \(e.g. 02\)" "$P" --net service=socket:/x,mac=01:00:5e:00:00:01
run_usage zero-mac "$U net device service: mac '00:00:00:00:00:00' is all zeros, which no NIC may use; .*" "$P" --net service=socket:/x,mac=00:00:00:00:00:00
run_usage bad-mtu "$U net device service: bad mtu '67'; use a number from 68 to 65535" "$P" --net service=socket:/x,mtu=67
run_usage unknown-setting "$U net device service: unknown or repeated setting 'speed=10'; use mac=M, mtu=N and offload=on\|off at most once each" "$P" --net service=socket:/x,speed=10
run_usage bad-offload "$U net device service: bad offload 'maybe'; use offload=on or offload=off" "$P" --net service=socket:/x,offload=maybe
run_usage tap-missing "$U cannot open TAP interface swlnosuch0 for net device service: no such interface; create it first \(ip tuntap add dev swlnosuch0 mode tap\)" "$P" --net service=tap:swlnosuch0
run_usage socket-missing "$U cannot connect net device service to socket $D/none.sock: no such file or directory; start a server listening on $D/none.sock first" "$P" --net service=socket:$D/none.sock
run_usage fd-low "$U net device service: bad fd '1'; use the number of an inherited connected stream socket, 3 or more" "$P" --net service=fd:1
run_usage fd-closed "$U net device service: fd 97 is not an open file descriptor; pass an inherited connected stream socket \(as passt --fd takes\)" "$P" --net service=fd:97
run_usage fd-not-socket "$U net device service: fd 5 is not a socket; pass .*" sh -c 'exec 5</dev/null; exec "$0" --net service=fd:5' "$P"
run_usage block-missing "$U cannot open block file $D/none.img for block device storage: no such file or directory; create it first \(e.g. truncate -s 64M $D/none.img\)" "$P" --block storage=$D/none.img
run_usage block-directory "$U cannot open block file $D for block device storage: is a directory; give the path of a raw disk image file" "$P" --block storage=$D
run_usage block-empty "$U block file $D/empty.img for block device storage is empty; give it a size that is a multiple of 512 bytes \(e.g. truncate -s 64M $D/empty.img\)" "$P" --block storage=$D/empty.img
run_usage block-odd-size "$U block file $D/odd.img for block device storage is 1000 bytes, not a multiple of the block size 512; resize it \(e.g. truncate -s 64M $D/odd.img\)" "$P" --block storage=$D/odd.img
run_usage block-not-4096 "$U block file $D/three.img for block device storage is 1536 bytes, not a multiple of the block size 4096; .*" "$P" --block storage=$D/three.img,block-size=4096
run_usage bad-block-size "$U block device storage: bad block-size '1000'; use block-size=512 or block-size=4096" "$P" --block storage=$D/d512.img,block-size=1000
run_usage unsupported-block-size "$U block device storage: bad block-size '65536'; use block-size=512 or block-size=4096" "$P" --block storage=$D/d512.img,block-size=65536
run_usage duplicate-name "$U device name disk is declared twice; give each --net and --block device its own name" "$P" --block disk=$D/d512.img --net disk=socket:/x
run_usage pcap-without-net "$U --pcap service: no net device is named service; declare it with --net service=\.\.\." "$P" --pcap service=$D/x.pcap
run_usage pcap-of-block "$U --pcap disk: disk is a block device; a pcap records a net device's frames" "$P" --block disk=$D/d512.img --pcap disk=$D/x.pcap
run_usage pcap-twice "$U --pcap net is given twice; give one pcap file per net device" "$P" --pcap net=a --pcap net=b
run_usage too-many-devices "$U too many devices at d64: at most 64 --net and --block devices \(handles 0\.\.\.63\)" "$P" $(for i in $(seq 0 64); do echo --block d$i=x; done)
run_usage pcap-unwritable "$U cannot create pcap file /nonexistent/x.pcap for net device net: no such file or directory; give a path you can write" "$OUT/echo" spawn "$P" --net net=fd:@FD --pcap net=/nonexistent/x.pcap

run_check block-512 0 'block ok handle=0 capacity=1048576 block-size=512 blocks=8' probe --block disk=$D/d512.img probe=block
run_check block-4096 0 'block ok handle=0 capacity=1048576 block-size=4096 blocks=8' probe --block disk=$D/d4096.img,block-size=4096 probe=block
run_check block-comma-in-path 0 'block ok handle=0 .*' probe --block "disk=$D/a,,b.img" probe=block
run_check block-stamp 0 'stamped' probe --block disk=$D/d512.img probe=stamp seed=77
run_check block-persists 0 'block 0 holds stamp-77' probe --block disk=$D/d512.img probe=read-stamp
run_check raw-block-write-inside 0 'raw block write done' probe --block disk=$D/d512.img probe=raw-block-write-inside fd=3 cap=1048576
run_check raw-block-write-straddle 253 "$B pwrite64 \(18\): .*" probe --block disk=$D/d512.img probe=raw-block-write-straddle fd=3 cap=1048576
# A block file that shrinks under the app: the read meets end of file inside the capacity, a device error (251).
truncate -s 1M "$D/shrink.img"
(sleep 0.2; truncate -s 512K "$D/shrink.img") &
run_check block-file-shrank 251 "swiftlet: device error: block device 'disk': block file: end of file reading byte 1048064 of a disk of 1048576 bytes: the file shrank" \
    probe --block disk=$D/shrink.img probe=block-shrunk
wait
run_check handles-in-option-order 0 'handles a=2 n=1 b=0 mac=02:53:57:eb:0c:34 mtu=1500' spawned --block b=$D/d512.img --net n=fd:@FD --block a=$D/d4096.img probe=handles
run_check mac-and-mtu 0 'handles a=2 n=1 b=0 mac=02:00:00:00:00:2a mtu=9000' spawned --block b=$D/d512.img --net n=fd:@FD,mac=02:00:00:00:00:2A,mtu=9000 --block a=$D/d4096.img probe=handles
run_check raw-pwrite-inside-the-disk 0 'raw pwrite inside the disk ok' probe --block disk=$D/d512.img probe=pwrite-raw
run_check mmap-block-file 253 "$B mmap \(9\): a unikernel has no files to map; declare a block device and use Runtime's block API" probe --block disk=$D/d512.img probe=mmap-file fd=3
run_check pwrite-past-capacity 253 "$B pwrite64 \(18\): a unikernel has no file system; declare a block device and use Runtime's block API" probe --block disk=$D/d512.img probe=pwrite-past
run_check pread-count-over-capacity 253 "$B pread64 \(17\): .*" probe --block disk=$D/d512.img probe=pread-huge
run_check pread-on-stdout 253 "$B pread64 \(17\): a unikernel has no file system; declare a block device and use Runtime's block API" probe --block disk=$D/d512.img probe=pread-stdout
run_check net-fd-yield 0 'net yield ok' spawned --net net=fd:@FD probe=net-yield
run_check net-fd-echo 0 'net echo ok frames=20000 .*' spawned --net net=fd:@FD probe=net-echo frames=20000
run_check net-fd-echo-jumbo 0 'net echo ok frames=3000 .*' spawned --net net=fd:@FD,mtu=65535 probe=net-echo frames=3000 window=200
listening "$D/echo.sock"
run_check net-socket-echo 0 'net echo ok frames=10000 .*' probe --net net=socket:$D/echo.sock,mtu=9000 probe=net-echo frames=10000
wait
listening "$D/close.sock" close
run_check net-peer-closed 0 'net peer closed ok' probe --net net=socket:$D/close.sock probe=net-closed
wait
if grep -qx 'swiftlet: net device net: the peer closed the connection; frames sent from now on are dropped' "$OUT/stderr"; then
    passed=$((passed + 1)); echo "ok net-peer-closed-is-said"
else
    failed=$((failed + 1)); echo "FAIL net-peer-closed-is-said: $(cat "$OUT/stderr")"
fi
run_check pcap-echo 0 'net echo ok frames=100 .*' spawned --net net=fd:@FD --pcap net=$D/echo.pcap probe=net-echo frames=100
if command -v tcpdump >/dev/null 2>&1; then
    records=$(tcpdump -r "$D/echo.pcap" -nn -tt 2>/dev/null | grep -c '^[0-9]\{10\}\.')
    if [ "$records" = 200 ] && tcpdump -r "$D/echo.pcap" 2>&1 | grep -q 'link-type EN10MB'; then
        passed=$((passed + 1)); echo "ok pcap-readable-by-tcpdump"
    else
        failed=$((failed + 1)); echo "FAIL pcap-readable-by-tcpdump: $records records"
    fi
else
    echo "skip pcap-readable-by-tcpdump (no tcpdump)"
fi
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
    NS=swl-check-$$
    trap 'ip netns del "$NS" 2>/dev/null' EXIT
    trap 'exit 130' INT TERM
    ip netns add "$NS" && ip netns exec "$NS" sh -c 'ip link set lo up && ip tuntap add dev swl0 mode tap &&
        ip tuntap add dev swl1 mode tap user 0 && ip tuntap add dev swltun mode tun && ip addr add 10.211.0.1/24 dev swl0 && ip link set swl0 up'
    run_check tap-arp 0 'tap arp ok: 10\.211\.0\.1 is at .*, offloads 0xf' \
        sh -c 'ip netns exec "$0" "$1" --net net=tap:swl0 probe=tap-arp; echo $? >"$2"' "$NS" "$P" "$OUT/status"
    # offload=off: a plain TAP (no virtio_net_hdr), so no offloads either way.
    run_check tap-offload-off 0 'tap arp ok: 10\.211\.0\.1 is at .*, offloads 0x0' \
        sh -c 'ip netns exec "$0" "$1" --net net=tap:swl0,offload=off probe=tap-arp; echo $? >"$2"' "$NS" "$P" "$OUT/status"
    # A persistent tap with no owner is open to anyone who can open /dev/net/tun; swl1 belongs to root.
    command -v setpriv >/dev/null 2>&1 || echo "skip tap-permission (no setpriv)"
    command -v setpriv >/dev/null 2>&1 && run_usage tap-permission "$U cannot open TAP interface swl1 for net device net: permission denied; run as root or create a persistent tap owned by you \(ip tuntap add \.\.\. user \\\$USER\)" \
        ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups "$P" --net net=tap:swl1
    run_usage tap-is-a-tun "$U cannot open TAP interface swltun for net device net: invalid argument; swltun is not a tap interface \(ip tuntap add dev swltun mode tap\)" \
        ip netns exec "$NS" "$P" --net net=tap:swltun
    ip netns exec "$NS" "$P" --net net=tap:swl0 probe=sleep >/dev/null &
    sleep 0.3
    run_usage tap-busy "$U cannot open TAP interface swl0 for net device net: device or resource busy; another process has it open" \
        ip netns exec "$NS" "$P" --net net=tap:swl0
    wait
    ip netns del "$NS"
else
    echo "skip tap-arp, tap-permission (needs root and ip)"
fi

# Inherited fds are closed before lockdown: only 0-2 and the devices' fds (here the block file, 3) are left.
# fds_of PID: the open fds of PID, space-separated, in order.
fds_of() { ls /proc/"$1"/fd 2>/dev/null | sort -n | tr '\n' ' '; }
sh -c 'exec 5</dev/null 7</dev/null 9>/dev/null; exec "$0" --block disk="$1" probe=sleep' "$P" "$D/d512.img" >/dev/null &
pid=$!
sleep 0.4
fds=$(fds_of $pid)
status_lines=$(grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/$pid/status 2>/dev/null | tr -s '\t' ' ' | tr '\n' ';')
wait $pid
if [ "$fds" = "0 1 2 3 " ]; then
    passed=$((passed + 1)); echo "ok inherited-fds-closed"
else
    failed=$((failed + 1)); echo "FAIL inherited-fds-closed: open fds after lockdown: $fds (want 0 1 2 3)"
fi
# Capabilities: none left after lockdown (as root the tender starts with all of them), no new privileges, filtered.
want='CapInh: 0000000000000000;CapPrm: 0000000000000000;CapEff: 0000000000000000;'
if [ "$(id -u)" = 0 ]; then
    want="${want}CapBnd: 0000000000000000;"
fi
case "$status_lines" in
*"$want"*"CapAmb: 0000000000000000;NoNewPrivs: 1;Seccomp: 2;"*)
    passed=$((passed + 1)); echo "ok capabilities-dropped (uid $(id -u))" ;;
*)
    failed=$((failed + 1)); echo "FAIL capabilities-dropped: $status_lines" ;;
esac

# A forbidden call inside the SIGSYS handler is killed by the kernel (SIGSYS, 159), not re-trapped.
out=$(sh -c '"$0"; exit $?' "$OUT/reenter.elf" 2>/dev/null)
got=$?
if [ "$got" = 159 ] && [ -z "$out" ]; then
    passed=$((passed + 1)); echo "ok sigsys-handler-reentry-is-killed"
else
    failed=$((failed + 1)); echo "FAIL sigsys-handler-reentry-is-killed: status $got, output: $out"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
