/*
 * traps.c — TSS with IST stacks and the IDT (Intel SDM Vol. 3A §6.10–6.14, §8.7).
 *
 * Every exception vector goes to a stub in isr.S that reports and exits
 * (traps.swift). Four vectors get their own Interrupt Stack Table stack, so
 * they are handled even when the faulting stack is unusable (SDM Vol. 3A
 * §6.14.5): #PF (a stack overflow faults on the guard page with %rsp already
 * there), #DF, #GP/#SS, and NMI/#MC; and, once the sampling profiler starts
 * (it lets the timer interrupt running code: profile.c), the LAPIC timer, on a
 * stack the profiler gives it. Vectors 32 and up are interrupts:
 * see isr.S for which get an EOI.
 */
#include <stdint.h>
#include "virtio_hw.h"

/* 64-bit TSS (SDM Vol. 3A §8.7, Figure 8-11). */
struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};

/* 64-bit interrupt gate (SDM Vol. 3A §6.14.1, Figure 6-8). */
struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

#define IST_STACK_SIZE (16 * 1024)
enum { IST_PF = 1, IST_DF = 2, IST_GP_SS = 3, IST_NMI_MC = 4, IST_COUNT = 4, IST_TIMER = 5 };

static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));

extern uint64_t virtio_gdt[];
extern const uint64_t virtio_exception_stubs[32];
extern char virtio_isr_timer[], virtio_isr_eoi[], virtio_isr_ignore[];

volatile uintptr_t virtio_lapic_eoi;
void *volatile virtio_profile_isr;
volatile uint64_t virtio_timer_ticks;
volatile uint64_t virtio_device_interrupts;

static void set_gate(int vector, uintptr_t handler, uint8_t ist) {
    idt[vector] = (struct idt_gate){
        .offset_low = (uint16_t)handler,
        .selector = 0x08,
        .ist = ist,
        .type_attr = 0x8E, /* present, DPL 0, 64-bit interrupt gate (IF cleared on entry) */
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_high = (uint32_t)(handler >> 32),
    };
}

void virtio_traps_install(void) {
    for (int i = 0; i < IST_COUNT; i++)
        tss.ist[i] = (uint64_t)(uintptr_t)&ist_stacks[i][IST_STACK_SIZE];
    tss.iomap_base = sizeof tss; /* no I/O permission bitmap */

    /* TSS descriptor at GDT selector 0x18: 16 bytes (SDM Vol. 3A §8.2.3, Figure 8-4). */
    uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof tss - 1;
    virtio_gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ULL << 40) /* P, type 9 */
                    | (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    virtio_gdt[4] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(0x18));

    for (int v = 0; v < 32; v++) {
        uint8_t ist = 0;
        switch (v) {
        case 14: ist = IST_PF; break;
        case 8: ist = IST_DF; break;
        case 12: case 13: ist = IST_GP_SS; break;
        case 2: case 18: ist = IST_NMI_MC; break;
        }
        set_gate(v, virtio_exception_stubs[v], ist);
    }
    for (int v = 32; v < 256; v++) {
        uintptr_t h = (uintptr_t)virtio_isr_eoi;
        if (v < 48 || v == VIRTIO_SPURIOUS_VECTOR) h = (uintptr_t)virtio_isr_ignore;
        if (v == VIRTIO_TIMER_VECTOR) h = (uintptr_t)virtio_isr_timer;
        set_gate(v, h, 0);
    }
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
        sizeof idt - 1, (uint64_t)(uintptr_t)idt,
    };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void virtio_traps_timer_stack(void *top) {
    tss.ist[IST_TIMER - 1] = (uint64_t)(uintptr_t)top;
    idt[VIRTIO_TIMER_VECTOR].ist = IST_TIMER; /* read at each interrupt: no reload needed */
}
