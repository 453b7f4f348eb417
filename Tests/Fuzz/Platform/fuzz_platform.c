/*
 * fuzz_platform.c — the platform half of the ABI (swiftlet_platform.h) for the host fuzz build (docs/FUZZING.md).
 *
 * The harnesses drive the libOS's parsers and the receive path directly, so this platform has no devices: every
 * acquire is refused. Time and entropy are deterministic, so that a crashing input replays the same way
 * (fuzz_platform_reset() rewinds both before each input). The console goes to stderr; exit and abort end the
 * process through abort() so that libFuzzer records the input that led there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swiftlet_platform.h"

static uint64_t monotonic_ns = 1000000000ull;
static uint64_t random_state = 0x5357494654u;

/** Rewinds the clock and the random stream: each input starts from the same platform state. */
void fuzz_platform_reset(void) {
    monotonic_ns = 1000000000ull;
    random_state = 0x5357494654u;
}

/** Moves the virtual monotonic clock forward (never back). */
void fuzz_platform_advance(uint64_t ns) {
    monotonic_ns += ns;
}

void swiftlet_platform_start(struct swiftlet_start_info *si) {
    si->cmdline = "";
    si->heap_start = 0;
    si->heap_size = 0;
}

void swiftlet_platform_console_write(const char *buf, size_t len) {
    if (getenv("SWIFTLET_FUZZ_QUIET") != NULL) return;
    (void)!write(2, buf, len);
}

swiftlet_time_t swiftlet_platform_clock_monotonic(void) { return monotonic_ns; }

swiftlet_time_t swiftlet_platform_clock_wall(void) { return 1767225600ull * 1000000000ull; /* 2026-01-01 */ }

void swiftlet_platform_yield(swiftlet_time_t deadline, uint64_t *ready_set) {
    if (deadline > monotonic_ns && deadline != UINT64_MAX) monotonic_ns = deadline;
    *ready_set = 0;
}

/* SplitMix64: deterministic, not secret; the fuzz build has nothing to protect. */
void swiftlet_platform_random(void *buf, size_t len) {
    uint8_t *out = buf;
    while (len > 0) {
        uint64_t z = (random_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        size_t n = len < 8 ? len : 8;
        memcpy(out, &z, n);
        out += n;
        len -= n;
    }
}

void swiftlet_platform_exit(int status) {
    fprintf(stderr, "swiftlet-fuzz: the libOS exited with status %d\n", status);
    abort();
}

void swiftlet_platform_abort(const char *msg, size_t len) {
    fprintf(stderr, "swiftlet: abort: %.*s\n", (int)len, msg ? msg : "");
    abort();
}

/* No driver of ours talks to a device here (dev answers the same). */
swiftlet_result_t swiftlet_platform_driver_stats(struct swiftlet_driver_stats *stats) {
    (void)stats;
    return SWIFTLET_R_UNSPEC;
}

swiftlet_result_t swiftlet_platform_net_acquire(const char *name, swiftlet_handle_t *h, struct swiftlet_net_info *info) {
    (void)name, (void)h, (void)info;
    return SWIFTLET_R_INVALID;
}

swiftlet_result_t swiftlet_platform_net_read(swiftlet_handle_t h, uint8_t *buf, size_t size, size_t *read_size,
                                             struct swiftlet_net_frame_meta *meta) {
    (void)h, (void)buf, (void)size, (void)read_size, (void)meta;
    return SWIFTLET_R_INVALID;
}

swiftlet_result_t swiftlet_platform_net_write(swiftlet_handle_t h, const uint8_t *buf, size_t size,
                                              const struct swiftlet_net_frame_meta *meta) {
    (void)h, (void)buf, (void)size, (void)meta;
    return SWIFTLET_R_INVALID;
}

swiftlet_result_t swiftlet_platform_block_acquire(const char *name, swiftlet_handle_t *h,
                                                  struct swiftlet_block_info *info) {
    (void)name, (void)h, (void)info;
    return SWIFTLET_R_INVALID;
}

swiftlet_result_t swiftlet_platform_block_submit(swiftlet_handle_t h, const struct swiftlet_block_request *request) {
    (void)h, (void)request;
    return SWIFTLET_R_INVALID;
}

swiftlet_result_t swiftlet_platform_block_complete(swiftlet_handle_t h, uint64_t *tag, swiftlet_result_t *status) {
    (void)h, (void)tag, (void)status;
    return SWIFTLET_R_INVALID;
}

/* The fuzz build uses the C library's malloc (AddressSanitizer's), not the platforms' heap: no numbers to give. */
void swiftlet_platform_heap_stats(struct swiftlet_heap_stats *stats) {
    memset(stats, 0, sizeof *stats);
}
