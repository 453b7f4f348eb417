/*
 * backtrace.c — the frames of a trap or abort report (docs/DEBUGGING.md §3).
 *
 * The unikernel runs on one stack, the boot stack (boot.S: 256 KiB above an
 * unmapped guard page); async tasks keep their frames on the heap but run on
 * it. A walk (swiftlet_backtrace.h) may only visit frames inside it, from the
 * interrupted %rsp (or the reporter's own frame) up to its top. The trap
 * handler itself runs on an IST stack, so the faulting stack is never the one
 * being written while it is read.
 */
#include <stddef.h>
#include <stdint.h>
#include "swiftlet_backtrace.h"
#include "virtio_hw.h"

static uint64_t stack_low(uint64_t sp)
{
    uint64_t bottom = (uint64_t)virtio_stack_guard() + 4096;
    return sp > bottom ? sp : bottom;
}

/* One report at a time (a fault inside a report exits at once), so one static buffer. */
static uint64_t frames[SWIFTLET_BACKTRACE_MAX];

const uint64_t *virtio_backtrace_frames(void) { return frames; }

size_t virtio_backtrace(uint64_t fp, uint64_t sp)
{
    return swiftlet_backtrace_walk(fp, stack_low(sp), (uint64_t)virtio_stack_top(), frames, SWIFTLET_BACKTRACE_MAX);
}

__attribute__((noinline)) size_t virtio_backtrace_here(void)
{
    uint64_t fp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    return swiftlet_backtrace_walk(fp, stack_low(fp), (uint64_t)virtio_stack_top(), frames, SWIFTLET_BACKTRACE_MAX);
}
