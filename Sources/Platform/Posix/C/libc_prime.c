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
 *
 * It also makes sure fds 0, 1 and 2 are open (on /dev/null when the parent
 * closed them), so that the console's write(2) on fd 1 can never hit EBADF
 * (which the syscall wrapper treats as a platform bug) and no device fd
 * opened later can land on 1 or 2, where the filter allows writes.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char stdout_buffer[BUFSIZ];

void swiftlet_posix_prime_libc(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            open("/dev/null", O_RDWR); /* takes the lowest free fd: this one */
    fflush(stdout); /* anything the tender printed leaves before the buffer changes */
    setvbuf(stdout, stdout_buffer, _IOLBF, sizeof(stdout_buffer));
}
