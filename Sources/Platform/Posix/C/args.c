/*
 * args.c — captures the process's argc/argv for the tender.
 *
 * glibc calls every ELF constructor (.init_array) with (argc, argv, envp) —
 * see the "init_array" handling in glibc's csu/libc-start.c (call_init), a
 * glibc extension that the SysV ABI does not promise. This lets the platform
 * read its command line even though `main` belongs to the app (Swift's @main).
 * Parsing happens later, in Swift (TenderArguments.swift).
 */
#include "posix_internal.h"

static int captured_argc;
static char **captured_argv;
static char *empty_argv[] = {"swiftlet", NULL};

/** Also records where the main thread's stack begins (envp sits near its top) for faults.c. */
__attribute__((constructor)) static void capture_arguments(int argc, char **argv, char **envp)
{
    captured_argc = argc;
    captured_argv = argv;
    swiftlet_posix_stack_top = (uintptr_t)envp;
}

int swiftlet_posix_argc(void) { return captured_argv ? captured_argc : 1; }

char **swiftlet_posix_argv(void) { return captured_argv ? captured_argv : empty_argv; }
