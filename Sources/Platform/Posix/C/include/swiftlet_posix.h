/*
 * swiftlet_posix.h — the C surface of the Posix (dev) platform, as seen from its Swift files.
 *
 * Embedded Swift has no Glibc module, so this header pulls in the few libc
 * declarations the Swift side uses (write, ppoll, clock_gettime, getrandom,
 * read/readv/writev, pread/pwrite, fdatasync) and declares the C parts of the
 * platform: the tender's captured argv (args.c), the device backends' opening
 * (host_open.c) and sandbox modules (sandbox_net.c, sandbox_block.c,
 * sandbox_pcap.c), the heap's arena (arena.c), the lockdown steps (signals.c,
 * libc_prime.c, sandbox_policy.c) and the exit path. Only what Swift cannot do (signal handlers, variadic or
 * macro-only APIs, errno) lives in C.
 */
#ifndef SWIFTLET_POSIX_H
#define SWIFTLET_POSIX_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* ppoll(2) */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/** errno is a macro over a thread-local; Swift cannot read it directly. */
static inline int swiftlet_posix_errno(void) { return errno; }

/* ---- tender arguments (args.c) -------------------------------------------- */

/** argc as the kernel passed it to the process (captured by an ELF constructor). */
int swiftlet_posix_argc(void);
/** argv as the kernel passed it (argv[argc] == NULL). Never NULL after startup. */
char **swiftlet_posix_argv(void);

/* ---- lockdown (called once, in order, by swiftlet_platform_start) --------- */

/**
 * Installs the SIGSYS explainer and the fault/abort reporters on an mmap'd
 * alternate signal stack, and ignores SIGPIPE. Returns NULL or a reason.
 */
const char *swiftlet_posix_install_handlers(void);

/** Runs the lazily-initialised libc paths that would otherwise make system calls after lockdown. */
void swiftlet_posix_prime_libc(void);

/**
 * Maps the heap's arena: `bytes` of private anonymous read-write memory (C/arena.c), at `*start`. The tender
 * hands it to the shared heap (Sources/Platform/Heap) once, before the devices are opened. Returns NULL or a
 * reason.
 */
const char *swiftlet_posix_map_arena(uint64_t bytes, uintptr_t *start);

/** The image's own extent in memory, from its ELF header to the end of its .bss (for the arena rule, Arena.swift). */
uint64_t swiftlet_posix_image_bytes(void);

/**
 * Loads the default-deny seccomp filter: the core rules plus each device
 * module's rules. After it returns NULL the process can only make the calls
 * listed in sandbox_policy.c. Returns NULL or a reason (nothing was loaded).
 */
const char *swiftlet_posix_sandbox_lock(void);

/**
 * Closes every fd but 0-2 and the `count` fds in `keep` (the devices' fds) with close_range(2)
 * (C/close_fds.c). Returns NULL or a reason.
 */
const char *swiftlet_posix_close_inherited_fds(const int32_t *keep, unsigned count);

/**
 * Empties the capability bounding (when allowed), ambient, effective, permitted and inheritable
 * sets, then reads them back (C/capabilities.c). Returns NULL, or a reason when any is left.
 */
const char *swiftlet_posix_drop_capabilities(void);

/* ---- device backends: opening (host_open.c, before lockdown only) --------- */

/** Opens a raw disk image read-write. Returns the fd or -errno; fills its size and whether it is a regular file. */
int swiftlet_posix_open_block_file(const char *path, uint64_t *size, int *regular);
/** Creates or truncates a pcap file for writing. Returns the fd or -errno. */
int swiftlet_posix_open_pcap_file(const char *path);
/**
 * Attaches to TAP interface `iface` (/dev/net/tun, TUNSETIFF IFF_TAP|IFF_NO_PI[|IFF_VNET_HDR], O_NONBLOCK);
 * IFF_VNET_HDR and its offloads only when `offload` is non-zero (`offload=off` asks for a plain TAP).
 * Returns the fd or -errno; `*stage` is 0 if opening /dev/net/tun failed, 1 if TUNSETIFF did, 2 if there is no
 * such interface. `*vnet_header` is 1 when each frame carries a 10-byte virtio_net_hdr; `*offloads` has the
 * SWIFTLET_NET_OFFLOAD_* bits the interface performs.
 */
int swiftlet_posix_open_tap(const char *iface, int offload, int *stage, int *vnet_header, uint32_t *offloads);
/** Connects a non-blocking UNIX stream socket to `path`. Returns the fd or -errno. */
int swiftlet_posix_connect_unix(const char *path);
/** Adopts an inherited connected stream socket (non-blocking from now). Returns 0 or -errno. */
int swiftlet_posix_adopt_stream_fd(int fd);
/** A short lower-case description of an errno value. */
const char *swiftlet_posix_errno_text(int err);

/* ---- device backends: sandbox modules (before lockdown only) -------------- */

/** Allows the net backend's calls on `fd` only (TAP: readv/write; stream: read/writev) and one more ppoll fd. */
int swiftlet_posix_sandbox_net(int fd, int stream);
/** Allows pread64/pwrite64 on `fd` with count <= capacity and offset < capacity, and fdatasync(fd). */
int swiftlet_posix_sandbox_block(int fd, uint64_t capacity);
/** Allows write(2) on the pcap file's `fd`. */
int swiftlet_posix_sandbox_pcap(int fd);

/* ---- exit ------------------------------------------------------------------ */

/**
 * Prints the backtrace lines that precede an abort report (`swiftlet: image base ...`, then
 * `swiftlet: frame #n 0x...` per caller), walking the frame pointers from its caller (report.c).
 * Async-signal-safe.
 */
void swiftlet_posix_report_backtrace_here(void);

/** exit_group(2) without running atexit handlers or flushing stdio (as a unikernel halts). */
__attribute__((noreturn)) void swiftlet_posix_exit_group(int status);

/** A test image's injected device fault for `site` (C/test_faults.c; SWIFTLET_TEST_* in swiftlet_platform.h). */
int32_t swiftlet_posix_test_fault(uint32_t site);

#endif
