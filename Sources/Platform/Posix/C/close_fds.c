/*
 * close_fds.c — closes every file descriptor the process inherited, except 0-2 and the devices'.
 *
 * A unikernel starts with no open files; a dev process starts with whatever
 * its parent left open (a shell's redirections, a CI runner's pipes, a leaked
 * socket). The filter pins each device call to its own fd, so an inherited fd
 * cannot be used through it, but it could still be handed to ppoll or be
 * the fd a future rule trusts by number. So the tender closes them all just
 * before lockdown, after the devices are open: fds 0, 1 and 2 (the console,
 * made valid by libc_prime.c) and the fds listed in `keep` (each device's:
 * TAP, sockets, inherited `fd:` sockets, block files, pcaps) survive.
 * close_range(2) (Linux 5.9) closes each gap between kept fds in one call;
 * an older kernel gets a close(2) loop up to the RLIMIT_NOFILE soft limit.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/** Closes fds [low, high] (high may be ~0u); 0 or -errno. */
static int close_span(unsigned low, unsigned high)
{
    if (low > high)
        return 0;
    if (syscall(SYS_close_range, low, high, 0) == 0)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    struct rlimit limit;
    unsigned top = high;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur - 1 < top)
        top = (unsigned)(limit.rlim_cur - 1);
    for (unsigned fd = low; fd <= top && fd >= low; fd++)
        close((int)fd);
    return 0;
}

const char *swiftlet_posix_close_inherited_fds(const int32_t *keep, unsigned count)
{
    /* the kept fds in increasing order (at most 128 devices and pcaps: insertion sort) */
    int32_t sorted[128];
    if (count > sizeof sorted / sizeof sorted[0])
        return "too many device fds to keep";
    for (unsigned i = 0; i < count; i++) {
        unsigned j = i;
        while (j > 0 && sorted[j - 1] > keep[i]) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = keep[i];
    }
    unsigned next = 3;
    for (unsigned i = 0; i < count; i++) {
        if (sorted[i] < 3 || (unsigned)sorted[i] < next)
            continue;
        if (close_span(next, (unsigned)sorted[i] - 1) != 0)
            return "close_range failed";
        next = (unsigned)sorted[i] + 1;
    }
    return close_span(next, ~0u) == 0 ? NULL : "close_range failed";
}
