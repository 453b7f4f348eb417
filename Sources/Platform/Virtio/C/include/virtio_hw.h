/*
 * virtio_hw.h — the few x86_64 instructions Swift cannot spell, as static inline
 * C (imported into Swift as module `VirtioHW`), plus the symbols the C and
 * assembly files of the virtio platform export to its Swift code.
 *
 * Everything here is a thin wrapper over one instruction (Intel SDM Vol. 2) or
 * one linker-script symbol; policy lives in the Swift files.
 */
#ifndef VIRTIO_HW_H
#define VIRTIO_HW_H

#include <stdint.h>
#include <stddef.h>

/* ---- Port I/O (SDM Vol. 2: IN, OUT) ----------------------------------- */
static inline void virtio_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void virtio_outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void virtio_outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t virtio_inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t virtio_inw(uint16_t port) {
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t virtio_inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* ---- CPUID, MSRs, TSC ----------------------------------------------------- */
struct virtio_cpuid { uint32_t eax, ebx, ecx, edx; };
static inline struct virtio_cpuid virtio_cpuid(uint32_t leaf, uint32_t subleaf) {
    struct virtio_cpuid r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}
static inline uint64_t virtio_rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void virtio_wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
/**
 * RDTSC, ordered after earlier instructions (SDM Vol. 2 RDTSC: "If software
 * requires RDTSC to be executed only after all previous instructions have
 * executed ..., it can execute LFENCE immediately before RDTSC").
 */
static inline uint64_t virtio_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/** a * b / c with a 128-bit intermediate (MUL, DIV); saturates at UINT64_MAX. c must not be 0. */
static inline uint64_t virtio_muldiv(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t hi, lo, q, r;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
    if (hi >= c) return UINT64_MAX; /* quotient would not fit: DIV would fault (#DE) */
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c) : "cc");
    (void)r;
    return q;
}

/* ---- Control registers, TLB, interrupts ---------------------------------- */
static inline uint64_t virtio_read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t virtio_read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void virtio_write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline uint64_t virtio_read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void virtio_write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void virtio_cli(void) { __asm__ volatile("cli" : : : "memory"); }
/** Interrupts on: only the sampling profiler does this outside yield (Profile.swift). */
static inline void virtio_sti(void) { __asm__ volatile("sti" : : : "memory"); }
/**
 * STI; HLT back to back: STI's one-instruction interrupt shadow (SDM Vol. 2
 * STI) means an interrupt pending at STI is taken at the HLT, so no wake-up
 * is lost. CLI follows once HLT returns.
 */
static inline void virtio_sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" : : : "memory"); }
static inline void virtio_hlt(void) { __asm__ volatile("hlt" : : : "memory"); }
static inline void virtio_pause(void) { __asm__ volatile("pause" : : : "memory"); }
static inline void virtio_mfence(void) { __asm__ volatile("mfence" : : : "memory"); }
static inline void virtio_compiler_barrier(void) { __asm__ volatile("" : : : "memory"); }

/* ---- MMIO (volatile, never merged or reordered by the compiler) -------- */
static inline uint32_t virtio_mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void virtio_mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint8_t virtio_mmio_read8(uintptr_t a) { return *(volatile uint8_t *)a; }
static inline void virtio_mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline uint16_t virtio_mmio_read16(uintptr_t a) { return *(volatile uint16_t *)a; }
static inline void virtio_mmio_write16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
/*
 * Shared-memory (virtqueue) accesses: volatile so the compiler neither caches
 * a ring index the device moves nor merges or drops a store the device reads.
 * Ordering on x86 (TSO): loads are not reordered with older loads, stores not
 * with older stores (SDM Vol. 3A §9.2.2), so the virtio read and write
 * barriers (virtio 1.2 §2.7.14, §2.7.13.3.1) need only stop the compiler;
 * the full barrier before a notification check (§2.7.13.4) is MFENCE, the one
 * reordering x86 does allow being a later load passing an earlier store.
 */
static inline uint16_t virtio_ring_load16(const void *p) { return *(const volatile uint16_t *)p; }
static inline uint32_t virtio_ring_load32(const void *p) { return *(const volatile uint32_t *)p; }
static inline void virtio_ring_store16(void *p, uint16_t v) { *(volatile uint16_t *)p = v; }

/* ---- Entropy (SDM Vol. 2 RDRAND/RDSEED: CF=1 means a valid value) -------- */
static inline int virtio_rdrand64(uint64_t *out) {
    unsigned char ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    return ok;
}
static inline int virtio_rdseed64(uint64_t *out) {
    unsigned char ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    return ok;
}

/* ---- Symbols from boot.S, traps.c and the linker script ---------------- */
/** Addresses the linker script (link.ld) defines; see there. */
uintptr_t virtio_image_start(void);
uintptr_t virtio_text_start(void);
uintptr_t virtio_text_end(void);
uintptr_t virtio_rodata_start(void);
uintptr_t virtio_rodata_end(void);
uintptr_t virtio_data_start(void);
uintptr_t virtio_image_end(void);
/** The unmapped page under the boot stack, and the stack itself. */
uintptr_t virtio_stack_guard(void);
uintptr_t virtio_stack_top(void);

/**
 * Walks the frames from frame pointer `fp` (an interrupted context whose %rsp was `sp`) and returns how many
 * return addresses it stored in virtio_backtrace_frames(), innermost first; only frames inside the boot stack
 * are read (backtrace.c).
 */
size_t virtio_backtrace(uint64_t fp, uint64_t sp);
/** The same from the caller of this function (abort reports). */
size_t virtio_backtrace_here(void);
/** The return addresses the last walk stored. */
const uint64_t *virtio_backtrace_frames(void);

/** Installs the GDT with a TSS (IST stacks) and the IDT; traps.c. */
void virtio_traps_install(void);
/** Vector the LAPIC timer interrupt uses; its handler only acknowledges it. */
#define VIRTIO_TIMER_VECTOR 0xEF
/** Vector every virtio device interrupt (MSI-X, I/O APIC pin) is delivered on; isr.S EOIs it. */
#define VIRTIO_DEVICE_VECTOR 0x40
/** Vector programmed as the LAPIC spurious-interrupt vector. */
#define VIRTIO_SPURIOUS_VECTOR 0xFF
/** Where the timer ISR sends its EOI: 0 = none yet, else xAPIC EOI register address; 1 = x2APIC EOI MSR. */
extern volatile uintptr_t virtio_lapic_eoi;
/** Counts LAPIC timer interrupts (the ISR increments it). */
extern volatile uint64_t virtio_timer_ticks;
/** Counts device interrupts (every vector isr.S only EOIs: VIRTIO_DEVICE_VECTOR; swiftlet_platform_driver_stats). */
extern volatile uint64_t virtio_device_interrupts;

/** The most return addresses a profile sample keeps (profile.c). */
#define VIRTIO_PROFILE_DEPTH 32

/** The sampling profiler's state (profile.c, Profile.swift). */
struct virtio_profile {
    volatile uint32_t running;  /* the timer is re-armed every period */
    volatile uint32_t active;   /* ticks record samples (cleared while a dump reads the buffer) */
    uint32_t tsc_deadline;      /* re-arm through IA32_TSC_DEADLINE, else the initial-count register */
    uint32_t x2apic;
    uintptr_t initial_count_register; /* xAPIC: the MMIO address of the initial-count register */
    uint64_t period_tsc;        /* TSC ticks per sample */
    uint32_t period_count;      /* LAPIC timer ticks per sample (one-shot mode, divide by 1) */
    uint32_t hz;
    uint64_t *buffer;           /* `capacity` words */
    size_t capacity, used;
    uint64_t samples, dropped;
};
extern struct virtio_profile virtio_profiler;
/** Arms the timer for one period from now (profile.c). */
void virtio_profile_rearm(void);

/** The register frame the ISR stubs in isr.S push, lowest address first. */
struct virtio_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (SDM Vol. 3A §6.14.1) */
};

/**
 * Where the LAPIC timer's ISR (isr.S) jumps while the sampling profiler runs: NULL until it starts, then
 * isr.S's virtio_isr_profile (set by virtio_profile_enable, profile.c), so an image without the profiler links none
 * of its code.
 */
extern void *volatile virtio_profile_isr;
/** Points the timer's ISR at the profiler's entry (profile.c). */
void virtio_profile_enable(void);
/** The profiler's timer tick (profile.c): one sample, re-arm, EOI. */
void virtio_profile_tick(const struct virtio_trap_frame *f);
/** Gives the LAPIC timer interrupt its own stack (IST, traps.c), ending at `top` (16-byte aligned). */
void virtio_traps_timer_stack(void *top);

/** KVM's pvclock time info (Linux Documentation/virt/kvm/x86/msr.rst, MSR_KVM_SYSTEM_TIME_NEW). */
struct virtio_pvclock {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
};
/** A 64-byte-aligned pvclock area in .bss (boot.c). */
volatile struct virtio_pvclock *virtio_pvclock_area(void);

/** Static storage for boot data copied out of the PVH start info (boot.c). */
#define VIRTIO_CMDLINE_MAX 4096
#define VIRTIO_MEMMAP_MAX 128
/** PVH memory map entry (Xen start_info.h, struct hvm_memmap_table_entry). */
struct virtio_memmap_entry { uint64_t addr, size; uint32_t type, reserved; };
char *virtio_cmdline_buffer(void);
struct virtio_memmap_entry *virtio_memmap_buffer(void);
/** Pool of zeroed, page-aligned pages for page tables (boot.S). */
#define VIRTIO_PT_POOL_PAGES 32
uintptr_t virtio_pt_pool(void);

/** A test image's injected device fault for `site` (test_faults.c; SWIFTLET_TEST_* in swiftlet_platform.h). */
int32_t virtio_test_fault(uint32_t site);

#endif
