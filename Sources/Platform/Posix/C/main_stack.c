/*
 * main_stack.c — gives the main thread's stack a fixed size, as a unikernel's stack has.
 *
 * Linux grows the main stack on demand up to RLIMIT_STACK, re-checked at each
 * growth (mm/mmap.c, acct_stack_growth), so lowering the soft limit now still
 * bounds it. With an unlimited limit (`ulimit -s unlimited`) a runaway
 * recursion would grow until the OOM killer sends SIGKILL, which nothing can
 * report; so an unlimited (or larger) limit is capped at MAIN_STACK_MAX and the
 * overflow becomes a guard-gap fault that faults.c reports as "stack overflow".
 *
 * It also records the stack's extent for that rule: the top from AT_EXECFN
 * (the kernel copies the executable's name last, at the very top of the
 * initial stack: fs/binfmt_elf.c, create_elf_tables) and the lowest address
 * the stack may reach, top − RLIMIT_STACK.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

/** 8 MiB: Linux's default limit, and room for the deepest recursion a Swiftlet app should need. */
enum { MAIN_STACK_MAX = 8 * 1024 * 1024 };

uintptr_t swiftlet_posix_stack_top;
uintptr_t swiftlet_posix_stack_limit;

void main_stack_bound(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0)
        return;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAIN_STACK_MAX) {
        rl.rlim_cur = MAIN_STACK_MAX;
        if (setrlimit(RLIMIT_STACK, &rl) != 0)
            return;
    }

    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t top = (uintptr_t)getauxval(AT_EXECFN);
    if (top == 0)
        top = swiftlet_posix_stack_top; /* envp, captured by args.c */
    top = (top + page - 1) & ~(page - 1);
    swiftlet_posix_stack_top = top;
    if (rl.rlim_cur < top)
        swiftlet_posix_stack_limit = top - rl.rlim_cur;
}
