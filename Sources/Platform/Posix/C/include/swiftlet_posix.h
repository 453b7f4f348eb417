/*
 * swiftlet_posix.h — the C surface of the Posix (dev) platform, as seen from its Swift files.
 *
 * Embedded Swift has no Glibc module, so this header pulls in the few libc
 * declarations the Swift side uses (write, ppoll, clock_gettime, getrandom)
 * and declares the C parts of the platform: the tender's captured argv
 * (args.c), the lockdown steps (signals.c, libc_prime.c, sandbox_policy.c) and
 * the exit path. Only what Swift cannot do (signal handlers, variadic or
 * macro-only APIs, errno) lives in C.
 */
#ifndef SWIFTLET_POSIX_H
#define SWIFTLET_POSIX_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* ppoll(2) */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/** errno is a macro over a thread-local; Swift cannot read it directly. */
static inline int swiftlet_posix_errno(void) { return errno; }

/* ---- tender arguments (args.c) -------------------------------------------- */

/** argc as the kernel passed it to the process (captured by an ELF constructor). */
int swiftlet_posix_argc(void);
/** argv as the kernel passed it (argv[argc] == NULL). Never NULL after startup. */
char **swiftlet_posix_argv(void);

/* ---- lockdown (called once, in order, by swiftlet_platform_start) --------- */

/**
 * Installs the SIGSYS explainer and the fault/abort reporters on an mmap'd
 * alternate signal stack, and ignores SIGPIPE. Returns NULL or a reason.
 */
const char *swiftlet_posix_install_handlers(void);

/** Runs the lazily-initialised libc paths that would otherwise make system calls after lockdown. */
void swiftlet_posix_prime_libc(void);

/**
 * Loads the default-deny seccomp filter: the core rules plus each device
 * module's rules. After it returns NULL the process can only make the calls
 * listed in sandbox_policy.c. Returns NULL or a reason (nothing was loaded).
 */
const char *swiftlet_posix_sandbox_lock(void);

/* ---- exit ------------------------------------------------------------------ */

/** exit_group(2) without running atexit handlers or flushing stdio (as a unikernel halts). */
__attribute__((noreturn)) void swiftlet_posix_exit_group(int status);

#endif
