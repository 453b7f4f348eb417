/*
 * profile.c — the sampling profiler's interrupt half (docs/PROFILING.md).
 *
 * With `profile=HZ` (Profile.swift starts it) the LAPIC timer interrupts the
 * running code HZ times a second and isr.S (virtio_isr_profile, which
 * virtio_profile_enable makes the timer's ISR jump to) calls virtio_profile_tick with the
 * interrupted registers, on its own IST stack (traps.c), with the SSE state
 * saved around the call. A tick records one sample into a fixed buffer
 * allocated at start:
 *
 *     word 0        n, the number of addresses that follow (1 + frames)
 *     word 1        the interrupted %rip
 *     words 2..n    return addresses of a frame-pointer walk from the
 *                   interrupted %rbp over the boot stack, at most
 *                   VIRTIO_PROFILE_DEPTH (swiftlet_backtrace.h: every link is
 *                   checked to lie inside the stack before it is read)
 *
 * A sample that does not fit is counted in `dropped` and lost. Then the tick
 * re-arms the timer for the next period (TSC-deadline: IA32_TSC_DEADLINE =
 * now + period; one-shot: the initial-count register = period, Intel SDM Vol.
 * 3A §11.5.4) and sends the EOI. Samples taken inside yield's HLT have the
 * HLT as their %rip: the idle time.
 */
#include <stddef.h>
#include <stdint.h>
#include "swiftlet_backtrace.h"
#include "virtio_hw.h"

struct virtio_profile virtio_profiler;

extern char virtio_isr_profile[];

void virtio_profile_enable(void) { virtio_profile_isr = virtio_isr_profile; }

__attribute__((target("general-regs-only"))) static void profile_record(const struct virtio_trap_frame *f)
{
    struct virtio_profile *p = &virtio_profiler;
    uint64_t frames[VIRTIO_PROFILE_DEPTH];
    uint64_t bottom = (uint64_t)virtio_stack_guard() + 4096;
    uint64_t low = f->rsp > bottom ? f->rsp : bottom;
    size_t depth = 0;
    if (f->rsp >= bottom && f->rsp < (uint64_t)virtio_stack_top())
        depth = swiftlet_backtrace_walk(f->rbp, low, (uint64_t)virtio_stack_top(), frames, VIRTIO_PROFILE_DEPTH);
    size_t words = 2 + depth;
    if (p->used + words > p->capacity) {
        p->dropped++;
        return;
    }
    uint64_t *out = p->buffer + p->used;
    out[0] = 1 + depth;
    out[1] = f->rip;
    for (size_t i = 0; i < depth; i++)
        out[2 + i] = frames[i];
    p->used += words;
    p->samples++;
}

__attribute__((target("general-regs-only"))) void virtio_profile_tick(const struct virtio_trap_frame *f)
{
    struct virtio_profile *p = &virtio_profiler;
    virtio_timer_ticks++;
    if (p->active)
        profile_record(f);
    if (p->running)
        virtio_profile_rearm();
    uintptr_t eoi = virtio_lapic_eoi;
    if (eoi == 1)
        virtio_wrmsr(0x80B, 0);
    else if (eoi != 0)
        virtio_mmio_write32(eoi, 0);
}

__attribute__((target("general-regs-only"))) void virtio_profile_rearm(void)
{
    struct virtio_profile *p = &virtio_profiler;
    if (p->tsc_deadline) {
        virtio_wrmsr(0x6E0, virtio_rdtsc() + p->period_tsc);
    } else if (p->x2apic) {
        virtio_wrmsr(0x838, p->period_count); /* initial count, MSR 0x800 + 0x380/16 */
    } else {
        virtio_mmio_write32(p->initial_count_register, p->period_count);
    }
}
