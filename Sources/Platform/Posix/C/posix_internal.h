/*
 * posix_internal.h — private declarations shared by the Posix platform's C files.
 *
 * Not visible to Swift (the Swift-facing surface is include/swiftlet_posix.h).
 * Everything declared in the "async-signal-safe" section may be called from a
 * signal handler: it only uses raw system calls (write(2), exit_group(2)), no
 * malloc, no stdio, no locks, no errno (see signal-safety(7)).
 */
#ifndef SWIFTLET_POSIX_INTERNAL_H
#define SWIFTLET_POSIX_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <seccomp.h>

#include "include/swiftlet_posix.h"
#include "swiftlet_platform.h"

/* ---- generated syscall name table (syscall_names.c) ---------------------- */
extern const char *const swiftlet_posix_syscall_names[];
extern const unsigned swiftlet_posix_syscall_count;

/* ---- async-signal-safe reporting (report.c) ------------------------------ */

/** A fixed-size line being assembled on the (alternate) signal stack. */
struct report_line {
    char buf[256];
    size_t len;
};

void report_str(struct report_line *l, const char *s);
/** Appends `0x` and exactly 16 lower-case hex digits. */
void report_hex16(struct report_line *l, uint64_t v);
/** Appends `0x` and the hex digits of `v` without leading zeros (`0x0` for zero). */
void report_hex(struct report_line *l, uint64_t v);
void report_dec(struct report_line *l, uint64_t v);
/** Appends '\n' and writes the whole line to fd 1 with raw write(2), retrying EINTR and partial writes. */
void report_emit(struct report_line *l);
/**
 * Prints the backtrace lines of a report (`swiftlet: image base ...`, `swiftlet: frame #n ...`) for the
 * interrupted context `uctx` (a ucontext_t from a signal handler): a frame-pointer walk from its %rbp over the
 * main stack (swiftlet_backtrace.h).
 */
void report_backtrace(const void *uctx);
/** exit_group(2) by raw system call; never returns. */
__attribute__((noreturn)) void report_exit(int status);

/* ---- sandbox (sandbox_policy.c) ------------------------------------------ */

/**
 * A policy module adds the seccomp rules one part of the platform needs, each
 * pinned as tightly as its arguments allow (Solo5 spt: tenders/spt/spt_module_*.c).
 * Returns 0 or a negative libseccomp error.
 */
typedef int (*sandbox_module_fn)(scmp_filter_ctx ctx, void *arg);

/**
 * Registers a device backend's rules, to be added when swiftlet_posix_sandbox_lock()
 * runs; `poll_fds` is how many fds the backend adds to the yield ppoll set.
 * Call before lockdown (the tender's device setup). Returns 0, or -1 when
 * already locked or out of module slots.
 */
int sandbox_add_module(sandbox_module_fn fn, void *arg, unsigned poll_fds);

/** Adds one ALLOW rule for `nr` whose `n` argument comparisons must all hold. */
int sandbox_allow(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmps);

/** An argument comparison: `arg i_ op_ v_` (SCMP_CMP_EQ, _LT, _LE, ...), 64-bit unsigned. */
#define ARG(i_, op_, v_) ((struct scmp_arg_cmp){.arg = (i_), .op = (op_), .datum_a = (scmp_datum_t)(v_)})
/** `(arg i_ & mask_) == v_`. */
#define ARG_MASKED(i_, mask_, v_)                                                                  \
    ((struct scmp_arg_cmp){.arg = (i_), .op = SCMP_CMP_MASKED_EQ, .datum_a = (mask_), .datum_b = (v_)})

/** Returns a negative libseccomp result from the enclosing module function. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
    } while (0)

/* ---- fault, abort and SIGSYS handlers (sigsys.c, faults.c) --------------- */
void sigsys_explain(int sig, siginfo_t *info, void *uctx);
void fault_report(int sig, siginfo_t *info, void *uctx);
void abort_report(int sig, siginfo_t *info, void *uctx);
/* ---- main stack (main_stack.c) ------------------------------------------- */
/** Highest address of the main thread's stack (page-rounded); args.c stores envp here first. */
extern uintptr_t swiftlet_posix_stack_top;
/** Lowest address the main stack may grow to (0: unknown), for faults.c's stack-overflow rule. */
extern uintptr_t swiftlet_posix_stack_limit;
/** Caps RLIMIT_STACK when unlimited and records the two bounds above. */
void main_stack_bound(void);

#endif
