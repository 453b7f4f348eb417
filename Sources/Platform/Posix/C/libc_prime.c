/*
 * libc_prime.c — runs glibc's lazily-initialised paths before lockdown.
 *
 * Nothing in Swiftlet uses stdio after lockdown (Runtime's console writes
 * through swiftlet_platform_console_write), but C code linked into the image
 * may (the Swift concurrency runtime prints fatal errors with puts/vprintf).
 * glibc allocates a FILE's buffer on first use and sizes it with
 * fstat/newfstatat, then asks isatty (ioctl TCGETS) whether to line-buffer
 * (libio/filedoalloc.c, _IO_file_doallocate). Giving stdout a static
 * line buffer now means neither call ever happens; output still leaves
 * through write(2) on fd 1. stderr is unbuffered and allocates nothing.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <stdio.h>

static char stdout_buffer[BUFSIZ];

void swiftlet_posix_prime_libc(void)
{
    fflush(stdout); /* anything the tender printed leaves before the buffer changes */
    setvbuf(stdout, stdout_buffer, _IOLBF, sizeof(stdout_buffer));
}
