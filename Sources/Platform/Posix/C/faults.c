/*
 * faults.c — reports CPU exceptions the way the unikernel does, then exits.
 *
 * The dev process sees CPU exceptions as signals; the kernel keeps the
 * hardware facts in the signal frame (x86 sigcontext: trapno, err, rip, rsp;
 * arch/x86/kernel/signal.c and traps.c). This file turns them back into the
 * unikernel's one-line reports, so the host can compare dev and prod
 * transcripts line for line:
 *
 *   swiftlet: memory fault: <what> at 0x<addr> (rip 0x<rip>, vector 14, error 0x<err>)
 *   swiftlet: cpu trap: <name> (rip 0x<rip>, vector <n>)
 *   swiftlet: abort: abort() called
 *
 * Each report is preceded by its backtrace (report.c, report_backtrace): the
 * image base and the return addresses of the interrupted context's frames;
 * the report line stays last, so tools that read the last line still work.
 *
 * Memory faults (#PF, #GP, #SS: SIGSEGV, SIGBUS) exit SWIFTLET_EXIT_MEMORY_FAULT
 * (254); other CPU traps (SIGILL: ud2, which is every Swift trap; SIGFPE;
 * SIGTRAP; SIGBUS from #AC) exit SWIFTLET_EXIT_CPU_TRAP (252); glibc's abort() (SIGABRT) exits
 * SWIFTLET_EXIT_ABORT (255).
 *
 * Page-fault error code (Intel SDM vol. 3A §4.7): bit 0 P (protection
 * violation, else not-present), bit 1 W/R, bit 2 U/S, bit 4 I/D (instruction
 * fetch). The unikernel runs in ring 0, where U/S is always 0; the dev
 * process runs in ring 3, where it is always 1. Bit 2 is therefore cleared
 * before printing so that both modes print the same code for the same fault.
 *
 * "stack overflow": the unikernel says it exactly when the address is in its
 * stack guard page. Here the main stack grows on demand below its mapping, so
 * the rule is: the address lies within 64 KiB of the faulting RSP (pushes,
 * calls and frame setup touch just below/above RSP; no other wild access
 * lands there by chance), or inside the gap below the lowest address
 * RLIMIT_STACK lets the main stack reach (the kernel's stack_guard_gap,
 * 256 pages by default, mm/mmap.c), plus 64 KiB of slack above it.
 *
 * Async-signal-safe: only report.c's raw write(2) and exit_group(2).
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <signal.h>
#include <sys/ucontext.h>

enum {
    PF_PROTECTION = 1u << 0,
    PF_WRITE = 1u << 1,
    PF_USER = 1u << 2,
    PF_FETCH = 1u << 4,
};

enum { NEAR_STACK = 64 * 1024, GUARD_GAP = 256 * 4096 };

static int is_stack_overflow(uint64_t addr, uint64_t rsp)
{
    if (addr + NEAR_STACK >= rsp && addr <= rsp + NEAR_STACK)
        return 1;
    uint64_t limit = swiftlet_posix_stack_limit;
    return limit != 0 && addr < limit + NEAR_STACK && addr + GUARD_GAP >= limit;
}

/**
 * x86 exception names by vector (Intel SDM vol. 3A table 6-1), for the ones a
 * process can see; spelled exactly as Platform/Virtio/Traps.swift spells them.
 */
static const char *vector_name(uint64_t vector)
{
    switch (vector) {
    case 0: return "divide error";
    case 1: return "debug";
    case 3: return "breakpoint";
    case 4: return "overflow";
    case 5: return "bound range exceeded";
    case 6: return "invalid opcode";
    case 7: return "device not available";
    case 12: return "stack fault";
    case 13: return "general protection fault";
    case 16: return "x87 floating-point error";
    case 17: return "alignment check";
    case 19: return "simd floating-point exception";
    default: return NULL;
    }
}

static void memory_fault(siginfo_t *info, const void *uctx, const greg_t *g)
{
    uint64_t vector = (uint64_t)g[REG_TRAPNO];
    uint64_t err = (uint64_t)g[REG_ERR];
    uint64_t addr = (uint64_t)(uintptr_t)info->si_addr;
    report_backtrace(uctx);
    struct report_line l = {.len = 0};
    report_str(&l, "swiftlet: memory fault: ");
    if (vector != 12 && vector != 13)
        vector = 14;
    if (vector == 14) {
        err &= ~(uint64_t)PF_USER;
        if (is_stack_overflow(addr, (uint64_t)g[REG_RSP]))
            report_str(&l, "stack overflow");
        else {
            report_str(&l, (err & PF_FETCH) ? "execute" : (err & PF_WRITE) ? "write" : "read");
            report_str(&l, (err & PF_PROTECTION) ? " of protected page" : " of unmapped page");
        }
    } else {
        /* #GP (e.g. a non-canonical address) or #SS: the CPU reports no address. */
        report_str(&l, vector_name(vector));
        addr = 0;
    }
    report_str(&l, " at ");
    report_hex16(&l, addr);
    report_str(&l, " (rip ");
    report_hex16(&l, (uint64_t)g[REG_RIP]);
    report_str(&l, ", vector ");
    report_dec(&l, vector);
    report_str(&l, ", error ");
    report_hex(&l, err);
    report_str(&l, ")");
    report_emit(&l);
    report_exit(SWIFTLET_EXIT_MEMORY_FAULT);
}

static void cpu_trap(int sig, const void *uctx, const greg_t *g)
{
    uint64_t vector = (uint64_t)g[REG_TRAPNO];
    const char *name = vector_name(vector);
    if (name == NULL) { /* not raised by the CPU (e.g. a signal sent by hand): name it by signal */
        vector = sig == SIGILL ? 6 : sig == SIGFPE ? 0 : sig == SIGBUS ? 17 : 3;
        name = vector_name(vector);
    }
    report_backtrace(uctx);
    struct report_line l = {.len = 0};
    report_str(&l, "swiftlet: cpu trap: ");
    report_str(&l, name);
    report_str(&l, " (rip ");
    report_hex16(&l, (uint64_t)g[REG_RIP]);
    report_str(&l, ", vector ");
    report_dec(&l, vector);
    report_str(&l, ")");
    report_emit(&l);
    report_exit(SWIFTLET_EXIT_CPU_TRAP);
}

/*
 * Classified by vector, as the unikernel does: #SS (12), #GP (13) and #PF (14)
 * are memory faults, anything else a CPU trap. So SIGBUS from #AC (17) is a
 * CPU trap, as in prod. A SIGSEGV/SIGBUS that no exception raised (trapno
 * outside the table) still counts as a memory fault.
 */
void fault_report(int sig, siginfo_t *info, void *uctx)
{
    const greg_t *g = ((const ucontext_t *)uctx)->uc_mcontext.gregs;
    uint64_t vector = (uint64_t)g[REG_TRAPNO];
    int memory = vector == 12 || vector == 13 || vector == 14;
    if (memory || ((sig == SIGSEGV || sig == SIGBUS) && vector_name(vector) == NULL))
        memory_fault(info, uctx, g);
    else
        cpu_trap(sig, uctx, g);
}

void abort_report(int sig, siginfo_t *info, void *uctx)
{
    (void)sig, (void)info;
    report_backtrace(uctx);
    struct report_line l = {.len = 0};
    report_str(&l, "swiftlet: abort: abort() called");
    report_emit(&l);
    report_exit(SWIFTLET_EXIT_ABORT);
}
