#!/bin/sh
# check.sh — checks the Posix platform's sandbox and reporters without Runtime.
#
# Builds the platform (same flags as mk/image.mk) with probe.c as the app, runs
# each probe and compares its last output line and exit status with the
# expected report (addresses as patterns). Prints one line per probe and
# `N passed, N failed`; exits 1 if any failed.
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
swiftc $SWIFTFLAGS -module-name Platformposix -c "$POSIX"/*.swift -o "$OUT/Platform.o"
for c in "$POSIX"/C/*.c; do clang $CFLAGS -c "$c" -o "$OUT/$(basename "$c" .c).o"; done
clang -O0 -I "$ROOT/Sources/ABI/include" -c "$HERE/probe.c" -o "$OUT/probe.o"
objs=""
for c in "$POSIX"/C/*.c; do objs="$objs $OUT/$(basename "$c" .c).o"; done
clang -fuse-ld=lld -Wl,--gc-sections -o "$OUT/probe.elf" "$OUT/probe.o" "$OUT/Platform.o" $objs -lseccomp
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
expect_usage net-option 'swiftlet: device options are not supported yet: --net service=tap:tap0' --net service=tap:tap0
expect_usage block-option 'swiftlet: device options are not supported yet: --block=storage=disk.img' --block=storage=disk.img
expect_usage unknown-option "swiftlet: unknown option '--frob'; usage: .*probe.elf \[--\] key=value \.\.\." --frob
expect_usage no-equals "swiftlet: malformed boot argument 'foo': expected key=value" foo
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
expect double-free 255 'swiftlet: abort: abort\(\) called' probe=double-free
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
