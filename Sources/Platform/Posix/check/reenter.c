/*
 * reenter.c — check.sh's re-entry probe: replaces sigsys.c's explainer with
 * one that itself makes a forbidden call. The kernel must kill the process
 * with SIGSYS (shell status 159), not trap into the handler again: signals.c
 * installs every handler with its signal blocked and SA_RESETHAND.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "swiftlet_platform.h"

void sigsys_explain(int sig, siginfo_t *info, void *uctx);

void sigsys_explain(int sig, siginfo_t *info, void *uctx)
{
    (void)sig, (void)info, (void)uctx;
    syscall(SYS_getppid); /* forbidden, inside the SIGSYS handler */
    write(1, "re-entered or survived\n", 23);
    syscall(SYS_exit_group, 7);
}

int main(void)
{
    struct swiftlet_start_info si;
    swiftlet_platform_start(&si);
    syscall(SYS_getppid);
    return 3;
}
