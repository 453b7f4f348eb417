/*
 * signals.c — installs the SIGSYS explainer and the fault/abort reporters.
 *
 * Runs before lockdown (sigaction and sigaltstack are not in the filter).
 * Each handler:
 *  - runs on an alternate stack (sigaltstack(2)) mmap'd here with a PROT_NONE
 *    guard page below it, so a main-stack overflow is still reported;
 *  - blocks all the reported signals while it runs and is one-shot
 *    (SA_RESETHAND). A fault or forbidden call inside a handler therefore can
 *    never re-enter it: the kernel's force_sig_info_to_task() (kernel/signal.c)
 *    delivers a synchronous signal that is blocked by resetting it to SIG_DFL
 *    and unblocking it, so the process dies by that signal (SIGSYS: status 159
 *    in a shell) instead of looping — the filter "kills, not traps" then.
 * SIGPIPE is ignored so that a closed stdout makes console writes fail
 * (best effort, like a serial port nobody reads) instead of killing the app.
 * Before installing, it bounds the main stack (main_stack.c) so that a
 * runaway recursion faults, and is reported, instead of eating memory.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

enum { ALT_STACK_SIZE = 64 * 1024 };

const char *swiftlet_posix_install_handlers(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *mem = mmap(NULL, page + ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (mem == MAP_FAILED)
        return "cannot allocate the signal stack";
    if (mprotect(mem, page, PROT_NONE) != 0)
        return "cannot protect the signal stack's guard page";
    stack_t ss = {.ss_sp = mem + page, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        return "sigaltstack failed";

    main_stack_bound();

    static const struct {
        int sig;
        void (*handler)(int, siginfo_t *, void *);
    } table[] = {
        {SIGSYS, sigsys_explain}, {SIGSEGV, fault_report}, {SIGBUS, fault_report},
        {SIGILL, fault_report},   {SIGFPE, fault_report},  {SIGTRAP, fault_report},
        {SIGABRT, abort_report},
    };
    struct sigaction sa = {0};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        sigaddset(&sa.sa_mask, table[i].sig);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        sa.sa_sigaction = table[i].handler;
        if (sigaction(table[i].sig, &sa, NULL) != 0)
            return "sigaction failed";
    }

    struct sigaction ignore = {0};
    ignore.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &ignore, NULL) != 0)
        return "sigaction(SIGPIPE) failed";
    return NULL;
}
