/*
 * sigsys.c — the SIGSYS explainer: says which system call the sandbox stopped and what to use instead.
 *
 * When the seccomp filter (sandbox_policy.c) returns SECCOMP_RET_TRAP the call
 * is not executed and the kernel sends SIGSYS with si_code SYS_SECCOMP,
 * si_syscall = the call number and the arguments still in the registers of
 * the saved context (seccomp(2); kernel Documentation/userspace-api/
 * seccomp_filter.rst). The handler prints one line
 *
 *   swiftlet: blocked system call <name> (<number>): <advice>
 *
 * and ends the process with SWIFTLET_EXIT_SANDBOX (253). It is async-signal-
 * safe (report.c: one raw write(2), then exit_group(2)); a forbidden call made
 * inside it is killed by the kernel, not trapped again (see signals.c).
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>

static const char ADVICE_FILES[] =
    "a unikernel has no file system; declare a block device and use Runtime's block API";
static const char ADVICE_SOCKETS[] =
    "a unikernel has no host sockets; declare a net device and use the Net stack";
static const char ADVICE_PROCESSES[] =
    "a unikernel runs one process with no threads; use async tasks";
static const char ADVICE_SLEEP[] = "use Runtime's sleep(for:)";
static const char ADVICE_WAIT[] =
    "a unikernel has one event loop; await in async tasks (Runtime's executor waits for you)";
static const char ADVICE_EXEC[] = "a unikernel cannot map executable memory";
static const char ADVICE_MAP_FILE[] =
    "a unikernel has no files to map; declare a block device and use Runtime's block API";
static const char ADVICE_PROTECT[] = "a unikernel's memory protections are fixed at boot";
static const char ADVICE_MEMORY[] =
    "a unikernel's memory is fixed at boot; allocate with malloc (Swift does), from the heap that --memory sizes";
static const char ADVICE_POLL_MASK[] =
    "a unikernel has no signals, so the sleep takes no signal mask; use Runtime's sleep(for:)";
static const char ADVICE_SIGNALS[] = "a unikernel has no signals; use async tasks and Runtime's timers";
static const char ADVICE_CONSOLE[] =
    "only the console (fd 1 and 2) can be written; use Runtime's console (print)";
static const char ADVICE_CLOCK[] =
    "only the monotonic and wall clocks exist; use Runtime's clocks";
static const char ADVICE_DEFAULT[] =
    "a unikernel has no such system call; only the Swiftlet ABI is available";

static const char *advice_for(long nr, const greg_t *g)
{
    switch (nr) {
    case SYS_open: case SYS_openat: case SYS_openat2: case SYS_creat: case SYS_close:
    case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
    case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2: case SYS_lseek:
    case SYS_stat: case SYS_fstat: case SYS_lstat: case SYS_newfstatat: case SYS_statx:
    case SYS_statfs: case SYS_fstatfs: case SYS_access: case SYS_faccessat: case SYS_faccessat2:
    case SYS_readlink: case SYS_readlinkat: case SYS_getdents: case SYS_getdents64:
    case SYS_mkdir: case SYS_mkdirat: case SYS_rmdir: case SYS_unlink: case SYS_unlinkat:
    case SYS_rename: case SYS_renameat: case SYS_renameat2: case SYS_link: case SYS_linkat:
    case SYS_symlink: case SYS_symlinkat: case SYS_chdir: case SYS_fchdir: case SYS_getcwd:
    case SYS_truncate: case SYS_ftruncate: case SYS_fsync: case SYS_fdatasync: case SYS_sync:
    case SYS_chmod: case SYS_fchmod: case SYS_fchmodat: case SYS_chown: case SYS_fchown:
    case SYS_fchownat: case SYS_lchown: case SYS_utimensat: case SYS_dup: case SYS_dup2:
    case SYS_dup3: case SYS_fcntl: case SYS_ioctl: case SYS_pipe: case SYS_pipe2:
    case SYS_memfd_create: case SYS_sendfile: case SYS_splice:
        return ADVICE_FILES;
    case SYS_socket: case SYS_socketpair: case SYS_connect: case SYS_bind: case SYS_listen:
    case SYS_accept: case SYS_accept4: case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg:
    case SYS_recvmsg: case SYS_sendmmsg: case SYS_recvmmsg: case SYS_shutdown:
    case SYS_getsockname: case SYS_getpeername: case SYS_setsockopt: case SYS_getsockopt:
        return ADVICE_SOCKETS;
    case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork: case SYS_execve:
    case SYS_execveat: case SYS_wait4: case SYS_waitid: case SYS_set_robust_list:
    case SYS_futex: case SYS_sched_yield: case SYS_unshare: case SYS_setns: case SYS_ptrace:
        return ADVICE_PROCESSES;
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_pause: case SYS_alarm:
    case SYS_setitimer: case SYS_timer_create: case SYS_timerfd_create:
        return ADVICE_SLEEP;
    case SYS_ppoll:
        /* allowed only with nfds <= the device fds and a NULL sigmask (arg 3, in r10) */
        return g[REG_R10] != 0 ? ADVICE_POLL_MASK : ADVICE_WAIT;
    case SYS_poll: case SYS_select: case SYS_pselect6: case SYS_epoll_create:
    case SYS_epoll_create1: case SYS_epoll_ctl: case SYS_epoll_wait: case SYS_epoll_pwait:
    case SYS_epoll_pwait2: case SYS_eventfd: case SYS_eventfd2: case SYS_io_uring_setup:
        return ADVICE_WAIT;
    case SYS_mmap:
        /* never allowed after the lockdown: the heap's arena was mapped before (arena.c) */
        if (g[REG_RDX] & PROT_EXEC)
            return ADVICE_EXEC;
        return (g[REG_R10] & MAP_ANONYMOUS) ? ADVICE_MEMORY : ADVICE_MAP_FILE;
    case SYS_brk: case SYS_munmap: case SYS_mremap: case SYS_madvise:
        return ADVICE_MEMORY;
    case SYS_mprotect: case SYS_pkey_mprotect:
        return (g[REG_RDX] & PROT_EXEC) ? ADVICE_EXEC : ADVICE_PROTECT;
    case SYS_rt_sigaction: case SYS_rt_sigprocmask: case SYS_sigaltstack: case SYS_kill: case SYS_tkill:
    case SYS_tgkill: case SYS_rt_sigqueueinfo: case SYS_signalfd: case SYS_signalfd4:
        return ADVICE_SIGNALS;
    case SYS_write: case SYS_writev:
        return ADVICE_CONSOLE;
    case SYS_clock_gettime: case SYS_clock_getres: case SYS_gettimeofday: case SYS_time:
    case SYS_clock_settime: case SYS_settimeofday:
        return ADVICE_CLOCK;
    default:
        return ADVICE_DEFAULT;
    }
}

void sigsys_explain(int sig, siginfo_t *info, void *uctx)
{
    (void)sig;
    const greg_t *g = ((const ucontext_t *)uctx)->uc_mcontext.gregs;
    long nr = info->si_syscall;
    const char *name = (nr >= 0 && (unsigned long)nr < swiftlet_posix_syscall_count &&
                        swiftlet_posix_syscall_names[nr])
                           ? swiftlet_posix_syscall_names[nr]
                           : "unknown";
    report_backtrace(uctx);
    struct report_line l = {.len = 0};
    report_str(&l, "swiftlet: blocked system call ");
    report_str(&l, name);
    report_str(&l, " (");
    report_dec(&l, (uint64_t)nr);
    report_str(&l, "): ");
    report_str(&l, advice_for(nr, g));
    report_emit(&l);
    report_exit(SWIFTLET_EXIT_SANDBOX);
}
