/*
 * sandbox_policy.c — the seccomp policy that makes the dev process as narrow as a unikernel.
 *
 * Default action: SCMP_ACT_TRAP. A call not listed below does not run; the
 * kernel sends SIGSYS with si_syscall set (seccomp(2), "SECCOMP_RET_TRAP";
 * kernel Documentation/userspace-api/seccomp_filter.rst) and sigsys.c names
 * the call and the ABI call to use instead. A foreign architecture (i386
 * `int 0x80`, x32) is killed outright (SCMP_FLTATR_ACT_BADARCH). libseccomp
 * sets PR_SET_NO_NEW_PRIVS before loading (SCMP_FLTATR_CTL_NNP defaults on).
 *
 * The filter is built from modules, as Solo5's spt tender does
 * (tenders/spt/spt_core.c + spt_module_net.c + spt_module_block.c): the core
 * module below allows what every image needs; each device backend registers
 * its own module with sandbox_add_module() before lockdown, adding rules
 * pinned to its own host fd (e.g. read/write only on the TAP fd, pread64 /
 * pwrite64 only on the block fd with bounds, fdatasync on it) and the number
 * of fds it puts in the ppoll set.
 *
 * Every allowed call, and why (verified with `strace -f` on the hello sample
 * and the runtime dual-mode suite, whose tasks test runs 10,000 tasks; see
 * README.md beside this folder for what was observed):
 *   write(fd == 1 | fd == 2)   console (Runtime's console, the reports); stderr for glibc/tender text
 *   ppoll(nfds <= device fds, sigmask == NULL)
 *                              swiftlet_platform_yield: the only sleep; fds only once devices exist
 *   clock_gettime(MONOTONIC | REALTIME)
 *                              the two ABI clocks; normally served by the vDSO without a syscall,
 *                              the syscall is the fallback (e.g. when the clocksource is not vDSO-capable)
 *   getrandom                  swiftlet_platform_random (Runtime's arc4random_buf, hash seeds)
 *   exit_group                 swiftlet_platform_exit and every report's exit
 *   rt_sigprocmask(SIG_UNBLOCK), getpid, gettid, tgkill(own pid, own tid, SIGABRT)
 *                              glibc's abort() (raise → pthread_kill), so that abort() from C, the
 *                              Swift concurrency runtime or libstdc++ reaches faults.c's SIGABRT
 *                              reporter ("swiftlet: abort: abort() called", 255) instead of being
 *                              misreported as a blocked call. Signals can only go to this process.
 *   writev(fd == 2)            glibc's fatal messages (__libc_message: fortify, __libc_fatal) before its
 *                              abort(); glibc's malloc, the usual source, no longer runs
 * No memory call at all: brk, mmap, munmap, mremap, mprotect and madvise are
 * refused (and explained). malloc and friends are the shared heap's
 * (Sources/Platform/Heap/C/malloc.c replaces glibc's for the whole process)
 * over the arena the tender mapped before the lockdown (arena.c), so the
 * memory a unikernel has is fixed at boot here as in prod. Not allowed either:
 * rt_sigreturn (every handler of ours ends the process, none returns).
 *
 * Before the filter is loaded the tender closes every inherited fd but the
 * devices' (close_fds.c) and drops every capability (capabilities.c), so
 * what the allowed calls can reach is only what the tender opened.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* one module per device backend and per pcap: at most 64 devices and 64 pcaps */
#define MAX_MODULES 128

static struct {
    sandbox_module_fn fn;
    void *arg;
} modules[MAX_MODULES];
static unsigned module_count;
static unsigned poll_fd_count;
static int locked;

int sandbox_add_module(sandbox_module_fn fn, void *arg, unsigned poll_fds)
{
    if (locked || module_count == MAX_MODULES)
        return -1;
    modules[module_count].fn = fn;
    modules[module_count].arg = arg;
    module_count++;
    poll_fd_count += poll_fds;
    return 0;
}

/* seccomp_rule_add_array with an argument array, because the variadic
 * seccomp_rule_add and the SCMP_A*() macros are awkward to pass around. */
int sandbox_allow(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmps)
{
    return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmps);
}

#define allow sandbox_allow

/** What every image needs: console, clocks, yield, entropy, exit (memory is the arena, mapped before). */
static int rules_core(scmp_filter_ctx ctx, void *arg)
{
    (void)arg;
    struct scmp_arg_cmp a;

    a = ARG(0, SCMP_CMP_EQ, 1);
    TRY(allow(ctx, SCMP_SYS(write), 1, &a));
    a = ARG(0, SCMP_CMP_EQ, 2);
    TRY(allow(ctx, SCMP_SYS(write), 1, &a));

    /* ppoll(fds, nfds, timeout, sigmask, sigsetsize): the fds and the timeout live in memory and
     * cannot be filtered (a BPF filter sees only the argument registers, never what a pointer points
     * to), so the count is pinned to the number of device fds and the signal mask to NULL: Yield.swift
     * never passes one (glibc's ppoll hands the pointer through unchanged), and with a mask a sleep
     * could unblock signals for its duration. */
    struct scmp_arg_cmp poll[2] = {ARG(1, SCMP_CMP_LE, poll_fd_count), ARG(3, SCMP_CMP_EQ, 0)};
    TRY(allow(ctx, SCMP_SYS(ppoll), 2, poll));

    a = ARG(0, SCMP_CMP_EQ, CLOCK_MONOTONIC);
    TRY(allow(ctx, SCMP_SYS(clock_gettime), 1, &a));
    a = ARG(0, SCMP_CMP_EQ, CLOCK_REALTIME);
    TRY(allow(ctx, SCMP_SYS(clock_gettime), 1, &a));

    TRY(allow(ctx, SCMP_SYS(getrandom), 0, NULL));
    TRY(allow(ctx, SCMP_SYS(exit_group), 0, NULL));
    return 0;
}

/**
 * glibc abort(): raise(SIGABRT) = rt_sigprocmask + getpid + gettid + tgkill,
 * pinned to ourselves, and writev to stderr for glibc's own fatal messages.
 */
static int rules_abort(scmp_filter_ctx ctx, void *arg)
{
    (void)arg;
    pid_t self = getpid(); /* single-threaded: the main thread's tid is the pid */
    struct scmp_arg_cmp kill[3] = {ARG(0, SCMP_CMP_EQ, self), ARG(1, SCMP_CMP_EQ, self),
                                   ARG(2, SCMP_CMP_EQ, SIGABRT)};
    /* abort() only unblocks SIGABRT (stdlib/abort.c); blocking stays forbidden, so no
     * one can block SIGSYS and turn an explained trap into a bare kill. */
    struct scmp_arg_cmp unblock = ARG(0, SCMP_CMP_EQ, SIG_UNBLOCK);
    TRY(allow(ctx, SCMP_SYS(rt_sigprocmask), 1, &unblock));
    TRY(allow(ctx, SCMP_SYS(getpid), 0, NULL));
    TRY(allow(ctx, SCMP_SYS(gettid), 0, NULL));
    TRY(allow(ctx, SCMP_SYS(tgkill), 3, kill));
    /* glibc's fatal-error message before its own abort(): __libc_message writes it with one writev to
     * fd 2 (then maps a page for the core dump's copy, which the filter stops and explains: mmap, 253). */
    struct scmp_arg_cmp to_stderr = ARG(0, SCMP_CMP_EQ, 2);
    TRY(allow(ctx, SCMP_SYS(writev), 1, &to_stderr));
    return 0;
}

const char *swiftlet_posix_sandbox_lock(void)
{
    if (locked)
        return "the sandbox is already locked";
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (ctx == NULL)
        return "seccomp_init failed";
    const char *why = NULL;
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0)
        why = "seccomp_attr_set(BADARCH) failed";
    else if (rules_core(ctx, NULL) < 0)
        why = "adding the core seccomp rules failed";
    else if (rules_abort(ctx, NULL) < 0)
        why = "adding the abort seccomp rules failed";
    for (unsigned i = 0; why == NULL && i < module_count; i++)
        if (modules[i].fn(ctx, modules[i].arg) < 0)
            why = "adding a device's seccomp rules failed";
    if (why == NULL && seccomp_load(ctx) < 0)
        why = "seccomp_load failed (is seccomp enabled in this kernel?)";
    seccomp_release(ctx);
    if (why == NULL)
        locked = 1;
    return why;
}
