/*
 * swiftlet_backtrace.h — the platforms' one frame-pointer walk, for the
 * backtrace every fault, trap and abort report carries (docs/DEBUGGING.md §3).
 *
 * Images keep frame pointers (mk/image.mk: -fno-omit-frame-pointer for C and
 * Swift), so each frame starts with `push %rbp; mov %rsp, %rbp`: at the frame
 * pointer lie the caller's frame pointer and, 8 bytes above it, the return
 * address (System V x86-64 psABI §3.2.2, "The Stack Frame", with %rbp as the
 * frame pointer). The walk runs inside a fault handler, where the stack may be
 * the very thing that broke, so it only reads a frame it has checked first:
 *  - the frame pointer is 8-byte aligned;
 *  - the frame (16 bytes) lies inside [low, high), the stack's known extent;
 *  - each frame pointer is above the one before (the stack grows down, so a
 *    caller's frame is always higher): a loop or a corrupt link ends the walk;
 *  - at most `max` frames;
 *  - a zero return address (the outermost frame) ends it.
 * Bit 60 of a saved frame pointer marks a Swift async frame on some targets
 * (the "extended frame" flag); it is cleared before the checks.
 *
 * Platform-side only (like swiftlet_virtio_net_hdr.h): the libOS never sees it.
 * Header-only and allocation-free, so it is safe in a signal handler and in
 * the unikernel's trap handler.
 */
#ifndef SWIFTLET_BACKTRACE_H
#define SWIFTLET_BACKTRACE_H

#include <stddef.h>
#include <stdint.h>

/** The most frames a report prints. */
#define SWIFTLET_BACKTRACE_MAX 24

/**
 * Follows the frame-pointer chain from `fp`, storing each frame's return
 * address in `out` (at most `max`), and returns how many it stored.
 * `low`/`high`: the bounds of the stack the frames must lie in (high exclusive).
 */
static inline size_t swiftlet_backtrace_walk(uint64_t fp, uint64_t low, uint64_t high, uint64_t *out, size_t max)
{
    size_t n = 0;
    uint64_t previous = 0;
    while (n < max) {
        fp &= ~((uint64_t)1 << 60);
        if ((fp & 7) != 0 || fp < low || high < 16 || fp > high - 16 || fp <= previous)
            break;
        const uint64_t *frame = (const uint64_t *)(uintptr_t)fp;
        uint64_t ret = frame[1];
        if (ret == 0)
            break;
        out[n++] = ret;
        previous = fp;
        fp = frame[0];
    }
    return n;
}

#endif
