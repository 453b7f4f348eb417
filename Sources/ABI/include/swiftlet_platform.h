/*
 * swiftlet_platform.h — the platform half of Swiftlet's ABI.
 *
 * This header is the only door between the libOS (Sources/Runtime, Sources/Net)
 * and a platform (Sources/Platform/Posix, Sources/Platform/Virtio). It plays the
 * role of Solo5's solo5.h, split as Solo5 splits bindings from checks: the
 * public, checked ABI is Sources/Runtime/ABI.swift; the calls below are what a
 * platform implements. Runtime validates every argument (sizes, alignment,
 * handles, bounds) BEFORE calling into the platform, so a platform may assume
 * its input has been checked. A platform never reports a host errno: it
 * returns one of swiftlet_result_t.
 *
 * Error policy (as Solo5 §"error policy"):
 *  - calls returning swiftlet_result_t may fail with AGAIN (nothing to do now,
 *    try after the next yield), INVALID (argument rejected; nothing happened)
 *    or UNSPEC (the host failed; nothing more can be said);
 *  - calls returning void always succeed or abort the unikernel.
 *
 * Units: time is nanoseconds (swiftlet_time_t), offsets and sizes are bytes.
 * Everything is single-threaded: no call is re-entered.
 */
#ifndef SWIFTLET_PLATFORM_H
#define SWIFTLET_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Nanoseconds. Monotonic time counts from an arbitrary origin; wall time from the Unix epoch. */
typedef uint64_t swiftlet_time_t;

/** Result of a call that can fail. Mirrors Runtime's `ABIError` (0 is success). */
typedef enum {
    SWIFTLET_R_OK = 0,
    SWIFTLET_R_AGAIN = 1,
    SWIFTLET_R_INVALID = 2,
    SWIFTLET_R_UNSPEC = 3,
} swiftlet_result_t;

/*
 * Documented exit statuses. An app's own status (0...255) reaches the caller
 * of `swiftlet run` unchanged in both modes; these are the statuses the
 * libOS itself uses when it has to stop an app. Same numbers in dev and prod.
 */
/** The app (or the Swift runtime: fatalError, precondition) aborted. */
#define SWIFTLET_EXIT_ABORT 255
/** Memory fault: #PF in prod, SIGSEGV/SIGBUS in dev (page 0, W^X, NX, stack guard). */
#define SWIFTLET_EXIT_MEMORY_FAULT 254
/** Dev only: the sandbox stopped a system call a unikernel could not make. */
#define SWIFTLET_EXIT_SANDBOX 253
/** CPU trap other than a memory fault: #UD/#DE/... in prod, SIGILL/SIGFPE in dev (Swift traps are ud2). */
#define SWIFTLET_EXIT_CPU_TRAP 252
/**
 * A device broke its contract: prod, a virtqueue's used ring returned an id that is not a buffer in
 * flight or a length larger than the buffer, or a device did not answer in time; dev, a block file
 * shrank under the app. One line `swiftlet: device error: <kind> device '<name>': <what>`.
 */
#define SWIFTLET_EXIT_DEVICE 251

/*
 * Fault injection for tests (not an ABI call: nothing in the libOS calls it). A test image may
 * define `int32_t swiftlet_test_device_fault(uint32_t site)`; the platforms reference it weakly and
 * ask it, at each place a device hands something back, whether to corrupt it as a broken device
 * would. A production image does not define it, and then nothing is ever corrupted. Sites and answers:
 */
#define SWIFTLET_TEST_SITE_NET_RECEIVE 1  /* a received frame (prod: the receive queue's used ring) */
#define SWIFTLET_TEST_SITE_NET_TRANSMIT 2 /* a transmitted frame returned (prod: the transmit used ring) */
#define SWIFTLET_TEST_SITE_BLOCK 3        /* a block request done (prod: the request queue's used ring) */
#define SWIFTLET_TEST_FAULT_NONE 0
#define SWIFTLET_TEST_FAULT_BAD_ID 1     /* prod: an id that is no buffer in flight */
#define SWIFTLET_TEST_FAULT_BAD_LENGTH 2 /* prod: more bytes than the buffer holds; dev block: a short read */
#define SWIFTLET_TEST_FAULT_BAD_NUM_BUFFERS 3 /* prod net receive: a frame's num_buffers more than the ring holds */

/** Start information handed to Runtime once, by swiftlet_platform_start(). */
struct swiftlet_start_info {
    /** Boot arguments: NUL-terminated, words separated by single spaces, each `key=value`. Never NULL. */
    const char *cmdline;
    /** The heap region malloc serves from: prod, RAM above the image; dev, the arena the tender mapped. */
    uintptr_t heap_start;
    size_t heap_size;
};

/**
 * Called once, first, by Runtime. The platform finishes its setup (dev: the
 * tender has opened devices and installs the seccomp filter here, after its
 * last print; prod: already booted) and fills `si`. Never fails: a platform
 * that cannot start reports why on the console and exits.
 */
void swiftlet_platform_start(struct swiftlet_start_info *si);

/*
 * Memory. Both platforms serve malloc and friends from one heap, the same allocator over a fixed region
 * (Sources/Platform/Heap): prod, the largest RAM range above the image; dev, an anonymous arena of the
 * guest's size mapped before the lockdown (no memory system call is allowed after it). A request the heap
 * cannot serve ends the unikernel with `swiftlet: abort: out of memory: an allocation of N bytes failed with
 * U of the heap's H bytes in use; ...` and SWIFTLET_EXIT_ABORT, in both modes.
 */
/** The heap's numbers, in bytes. Chunks count whole (payload, 16-byte header, rounding to 16). */
struct swiftlet_heap_stats {
    /** The region's first byte and size (0 and 0 before the heap exists). */
    uintptr_t start;
    size_t size;
    /** Allocated now, and the most ever allocated at once since start (the high-water mark). */
    size_t in_use;
    size_t high_water;
};

/** Fills `stats`. Never fails, never allocates. */
void swiftlet_platform_heap_stats(struct swiftlet_heap_stats *stats);

/** Writes `len` bytes to the console (stdout / COM1). Best effort, never fails, may block briefly. */
void swiftlet_platform_console_write(const char *buf, size_t len);

/** Monotonic clock in ns; never goes back. */
swiftlet_time_t swiftlet_platform_clock_monotonic(void);

/** Wall clock in ns since 1970-01-01T00:00:00Z. */
swiftlet_time_t swiftlet_platform_clock_wall(void);

/**
 * Sleeps until the monotonic clock reaches `deadline` or a device handle becomes
 * ready, whichever is first; a deadline in the past returns at once. On return
 * `*ready_set` has bit h set for each ready device handle h (0 when woken by the
 * deadline): a net device with a frame to read, a block device with a
 * completion to take. May return early (spuriously) with an empty set.
 */
void swiftlet_platform_yield(swiftlet_time_t deadline, uint64_t *ready_set);

/** Fills `buf` with `len` bytes from a cryptographically strong source. Always succeeds or aborts. */
void swiftlet_platform_random(void *buf, size_t len);

/** Ends the unikernel with `status` (0...255), which reaches `swiftlet run`'s caller unchanged. */
__attribute__((noreturn)) void swiftlet_platform_exit(int status);

/** Prints `msg` (may be NULL/0) and ends with SWIFTLET_EXIT_ABORT. */
__attribute__((noreturn)) void swiftlet_platform_abort(const char *msg, size_t len);

/* ---- Observability ---------------------------------------------------------
 * Prod's sampling profiler (docs/PROFILING.md); the heap's figures are swiftlet_platform_heap_stats above.
 */

/**
 * Starts sampling the interrupted instruction pointer and a bounded frame-pointer walk `hz` times a second
 * into a fixed buffer (samples that find it full are counted as dropped). Called at most once, by Runtime.
 * OK: sampling; INVALID: `hz` outside 1...10000; UNSPEC: this platform has no sampling profiler (dev: use perf).
 */
swiftlet_result_t swiftlet_platform_profile_start(uint32_t hz);

/**
 * Writes the samples taken so far to the console as `swiftlet-profile:` lines (docs/PROFILING.md gives the
 * format) and empties the buffer. Does nothing when the profiler is not running.
 */
void swiftlet_platform_profile_dump(void);

/** The platform's device-driver counters since start (docs/OBSERVABILITY.md, docs/DEVICES.md). */
struct swiftlet_driver_stats {
    /** Notifications the drivers sent to devices (virtqueue kicks: an exit to the hypervisor each). */
    uint64_t notifications;
    /** Device interrupts taken. */
    uint64_t interrupts;
    /** Queues started, and how many of them use VIRTIO_F_RING_EVENT_IDX (virtio 1.2 §2.7.10). */
    uint64_t queues;
    uint64_t event_index_queues;
};

/**
 * Fills `stats`. OK; UNSPEC (and all zero): the platform drives no device itself (dev: the host kernel does,
 * and what it costs is system calls, seen with strace or perf). Never allocates.
 */
swiftlet_result_t swiftlet_platform_driver_stats(struct swiftlet_driver_stats *stats);

/* ---- Devices -------------------------------------------------------------
 * Handles are small integers 0..63 so that readiness fits one uint64_t set.
 */
typedef uint64_t swiftlet_handle_t;

/*
 * Offloads (swiftlet_net_info.offloads): work a net device does on frames so
 * that the libOS need not. They are virtio-net's offload features (virtio 1.2
 * §5.1.3, §5.1.6.2, §5.1.6.4) and Linux TAP's IFF_VNET_HDR/TUNSETOFFLOAD; a
 * backend that has none (passt, a stream socket, QEMU's user netdev) reports 0
 * and every frame is a plain frame of at most mtu + 14 bytes.
 */
/** Completes the TCP/UDP checksum of a frame written with SWIFTLET_NET_F_CSUM_PARTIAL (VIRTIO_NET_F_CSUM). */
#define SWIFTLET_NET_OFFLOAD_TX_CSUM (1u << 0)
/** Segments a TCP/IPv4 frame of up to SWIFTLET_NET_MAX_OFFLOAD_FRAME bytes written with gso_size > 0 into
 *  frames of at most gso_size payload bytes each (VIRTIO_NET_F_HOST_TSO4). Implies TX_CSUM. */
#define SWIFTLET_NET_OFFLOAD_TX_TSO4 (1u << 1)
/** May hand frames whose checksum it vouches for: SWIFTLET_NET_F_CSUM_VALID or _PARTIAL (VIRTIO_NET_F_GUEST_CSUM). */
#define SWIFTLET_NET_OFFLOAD_RX_CSUM (1u << 2)
/** May hand TCP/IPv4 frames of up to SWIFTLET_NET_MAX_OFFLOAD_FRAME bytes, several segments' data in one
 *  (VIRTIO_NET_F_GUEST_TSO4); read buffers must then hold that many bytes. Implies RX_CSUM. */
#define SWIFTLET_NET_OFFLOAD_RX_TSO4 (1u << 3)
/** The largest frame with a TSO offload: a 64 KiB IPv4 datagram and its Ethernet header. */
#define SWIFTLET_NET_MAX_OFFLOAD_FRAME (65535 + 14)

/** Frame flag: the L4 checksum field holds only the pseudo-header sum; the rest is summed from csum_start to
 *  the end and stored at csum_start + csum_offset (virtio 1.2 §5.1.6.2 VIRTIO_NET_HDR_F_NEEDS_CSUM). Written
 *  frames: only with TX_CSUM. Read frames: the data came from a trusted sender and needs no check. */
#define SWIFTLET_NET_F_CSUM_PARTIAL (1u << 0)
/** Frame flag (read only): the device checked the L4 checksum and it is right (VIRTIO_NET_HDR_F_DATA_VALID). */
#define SWIFTLET_NET_F_CSUM_VALID (1u << 1)

/** Per-frame offload metadata, beside each frame read or written (a platform-neutral virtio_net_hdr). */
struct swiftlet_net_frame_meta {
    uint16_t flags;       /* SWIFTLET_NET_F_* */
    uint16_t gso_size;    /* TCP payload bytes per segment of a TSO frame; 0: not segmented */
    uint16_t csum_start;  /* CSUM_PARTIAL: where the summed region starts (the L4 header), from the frame start */
    uint16_t csum_offset; /* CSUM_PARTIAL: where in that region the checksum goes (TCP 16, UDP 6) */
};

/** Network device facts returned by acquire. */
struct swiftlet_net_info {
    uint8_t mac_address[6];
    size_t mtu;        /* plain frames carry up to mtu + 14 bytes (Ethernet header, no FCS) */
    uint32_t offloads; /* SWIFTLET_NET_OFFLOAD_* this device performs */
};

/** Acquires the net device declared as `name`. INVALID: no such device, or acquired already. */
swiftlet_result_t swiftlet_platform_net_acquire(const char *name, swiftlet_handle_t *h,
                                                struct swiftlet_net_info *info);
/**
 * Non-blocking: one whole frame into buf and its length, or AGAIN. buf holds mtu + 14 bytes, or
 * SWIFTLET_NET_MAX_OFFLOAD_FRAME with RX_TSO4. `meta` receives the frame's flags (0 without RX offloads);
 * a frame longer than mtu + 14 has gso_size > 0.
 */
swiftlet_result_t swiftlet_platform_net_read(swiftlet_handle_t h, uint8_t *buf, size_t size,
                                             size_t *read_size, struct swiftlet_net_frame_meta *meta);
/**
 * Non-blocking: queues one frame, or AGAIN when the transmit queue is full. `meta` is zero for a plain frame
 * (size <= mtu + 14); Runtime has checked it against the device's offloads (flags, gso_size, csum_start and
 * csum_offset inside the frame, size <= SWIFTLET_NET_MAX_OFFLOAD_FRAME for a TSO frame).
 */
swiftlet_result_t swiftlet_platform_net_write(swiftlet_handle_t h, const uint8_t *buf, size_t size,
                                              const struct swiftlet_net_frame_meta *meta);

/*
 * Block devices: asynchronous whole-block I/O (docs/DEVICES.md §5, §7).
 *
 * A request is submitted without waiting and completes later; completions are
 * taken one at a time with swiftlet_platform_block_complete. A device with a
 * completion waiting to be taken sets its handle's bit in the ready set of
 * swiftlet_platform_yield (and a yield whose deadline is in the future returns
 * at once while one is waiting), so the libOS sleeps in yield like it does for
 * frames. At most `queue_depth` requests are in flight at once: a request is
 * in flight from a successful submit until its completion has been taken.
 *
 * Ordering: requests in flight may complete in any order (virtio 1.2 §5.2.6);
 * two requests in flight to overlapping blocks, at least one of them a write,
 * leave the blocks (or the bytes read) undefined, so Runtime never submits
 * such a pair. A FLUSH completes OK once every WRITE that had completed (been
 * taken) before the FLUSH was submitted is on stable storage; it says nothing
 * of writes still in flight. Nothing is atomic beyond one 512-byte sector.
 *
 * Buffers: the request's buffer is lent to the platform from submit until its
 * completion is taken; the caller must neither free nor touch it meanwhile
 * (the device may read or write it at any time in between). No short reads
 * or writes: a request completes OK having moved all `size` bytes, or fails.
 */

/** Block device facts returned by acquire. */
struct swiftlet_block_info {
    uint64_t capacity;    /* bytes */
    uint64_t block_size;  /* bytes, a power of two >= 512 */
    uint32_t queue_depth; /* requests in flight the device accepts at once, >= 1 */
};

/** What a block request does (swiftlet_block_request.op). */
typedef enum {
    /** Reads `size` bytes at `offset` into `buffer`. */
    SWIFTLET_BLOCK_OP_READ = 0,
    /** Writes `size` bytes of `buffer` at `offset`. */
    SWIFTLET_BLOCK_OP_WRITE = 1,
    /** Durability barrier (see above); `offset`, `buffer` and `size` are 0/NULL. */
    SWIFTLET_BLOCK_OP_FLUSH = 2,
} swiftlet_block_op_t;

/** One block request. The platform copies the struct at submit; the buffer it points to stays lent. */
struct swiftlet_block_request {
    uint32_t op;      /* swiftlet_block_op_t */
    uint64_t tag;     /* the caller's, handed back unchanged by swiftlet_platform_block_complete */
    uint64_t offset;  /* bytes, a multiple of block_size; offset + size <= capacity */
    uint8_t *buffer;  /* size bytes; the device writes it for READ, reads it for WRITE */
    size_t size;      /* bytes, a non-zero multiple of block_size (0 for FLUSH) */
};

/**
 * Acquires the block device declared as `name` and fills `info`.
 * Does not block. INVALID: no such device, a net device of that name, or acquired already.
 */
swiftlet_result_t swiftlet_platform_block_acquire(const char *name, swiftlet_handle_t *h,
                                                  struct swiftlet_block_info *info);
/**
 * Submits one request and returns without waiting for it.
 * Preconditions (checked by Runtime; the platform rejects what it can cheaply):
 * `h` an acquired block device; `op` one of swiftlet_block_op_t; for READ and
 * WRITE, `offset` and `size` multiples of the block size, `size` > 0, the
 * whole range inside the capacity, `buffer` non-NULL.
 *  - OK: the request is in flight; its completion will be taken, with `tag`,
 *    from swiftlet_platform_block_complete. The platform may already have
 *    performed it (dev does).
 *  - AGAIN: queue_depth requests are in flight; nothing was submitted. Retry
 *    after taking a completion.
 *  - INVALID: a precondition failed; nothing was submitted or transferred.
 *  - UNSPEC: the device is unusable (it broke earlier); nothing was submitted.
 * A request that reaches the device and fails there is submitted OK and
 * completes with UNSPEC.
 */
swiftlet_result_t swiftlet_platform_block_submit(swiftlet_handle_t h,
                                                 const struct swiftlet_block_request *request);
/**
 * Non-blocking: takes one completed request of device `h` (in no particular
 * order), writing its tag to `*tag` and its outcome to `*status`; the request
 * is then no longer in flight and its buffer is the caller's again.
 * `*status` is OK (all `size` bytes moved; for FLUSH, the durability promise
 * above holds) or UNSPEC (the device or host failed: a READ's buffer holds
 * undefined bytes, a WRITE's blocks hold old, new or torn data, and after a
 * failed FLUSH the durability of every earlier write is unknown).
 * Returns OK when a completion was taken, AGAIN when none is waiting, INVALID
 * for a handle that is not an acquired block device.
 */
swiftlet_result_t swiftlet_platform_block_complete(swiftlet_handle_t h, uint64_t *tag,
                                                   swiftlet_result_t *status);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTLET_PLATFORM_H */
