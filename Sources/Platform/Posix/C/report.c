/*
 * report.c — async-signal-safe line formatting and output for the handlers.
 *
 * The SIGSYS explainer and the fault reporter run inside signal handlers, on
 * the alternate stack, after the seccomp filter is loaded. Per
 * signal-safety(7) they may not call malloc or stdio, and under the filter
 * they may only make the calls the filter allows. So lines are assembled in a
 * fixed buffer with hand-written hex/decimal formatting and leave through one
 * raw write(2) to fd 1 (the console), then the process ends with a raw
 * exit_group(2). Both are issued with an inline `syscall` instruction (not
 * the libc wrappers), so errno and thread cancellation are never touched.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>

#include "swiftlet_backtrace.h"

static void put(struct report_line *l, char c)
{
    if (l->len < sizeof(l->buf) - 1) /* always leave room for '\n' */
        l->buf[l->len++] = c;
}

void report_str(struct report_line *l, const char *s)
{
    while (s && *s)
        put(l, *s++);
}

void report_hex16(struct report_line *l, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    report_str(l, "0x");
    for (int shift = 60; shift >= 0; shift -= 4)
        put(l, digits[(v >> shift) & 0xf]);
}

void report_hex(struct report_line *l, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int shift = 60;
    report_str(l, "0x");
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        put(l, digits[(v >> shift) & 0xf]);
}

void report_dec(struct report_line *l, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        put(l, tmp[--n]);
}

/* A raw x86_64 system call: returns the kernel's value (-errno on failure) and never touches errno. */
static long raw_syscall3(long nr, long a0, long a1, long a2)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "rcx", "r11", "memory");
    return ret;
}

void report_emit(struct report_line *l)
{
    l->buf[l->len++] = '\n';
    size_t done = 0;
    while (done < l->len) {
        long r = raw_syscall3(SYS_write, 1, (long)(l->buf + done), (long)(l->len - done));
        if (r > 0)
            done += (size_t)r;
        else if (r != -EINTR)
            break; /* best effort: a closed or full console loses the line */
    }
}

void report_exit(int status)
{
    for (;;)
        raw_syscall3(SYS_exit_group, status, 0, 0);
}

void swiftlet_posix_exit_group(int status) { report_exit(status); }

/*
 * The backtrace lines that precede a report (docs/DEBUGGING.md §3):
 *
 *   swiftlet: image base 0x<where the PIE was loaded>
 *   swiftlet: frame #<n> 0x<return address>          (one per frame, innermost first)
 *
 * The host subtracts the base before looking addresses up in the ELF. The
 * frames must lie on the main stack, between `low` (the faulting %rsp, or the
 * reporter's own frame) and the top recorded by main_stack.c.
 */
extern const char __ehdr_start[]; /* the ELF header: the load base of a PIE (defined by the linker) */

static void report_frames(uint64_t fp, uint64_t low)
{
    struct report_line l = {.len = 0};
    report_str(&l, "swiftlet: image base ");
    report_hex16(&l, (uint64_t)(uintptr_t)__ehdr_start);
    report_emit(&l);
    uint64_t frames[SWIFTLET_BACKTRACE_MAX];
    uint64_t high = swiftlet_posix_stack_top;
    size_t n = swiftlet_backtrace_walk(fp, low, high, frames, SWIFTLET_BACKTRACE_MAX);
    for (size_t i = 0; i < n; i++) {
        l.len = 0;
        report_str(&l, "swiftlet: frame #");
        report_dec(&l, i);
        report_str(&l, " ");
        report_hex16(&l, frames[i]);
        report_emit(&l);
    }
}

void report_backtrace(const void *uctx)
{
    const greg_t *g = ((const ucontext_t *)uctx)->uc_mcontext.gregs;
    report_frames((uint64_t)g[REG_RBP], (uint64_t)g[REG_RSP]);
}

__attribute__((noinline)) void swiftlet_posix_report_backtrace_here(void)
{
    uint64_t fp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    report_frames(fp, fp);
}
