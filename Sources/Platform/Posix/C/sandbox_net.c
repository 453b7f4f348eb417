/*
 * sandbox_net.c — the seccomp module of one net device backend, pinned to its own fd
 * (Solo5 tenders/spt/spt_module_net.c).
 *
 * Exactly the calls Net.swift makes on that fd, and only on that fd:
 *   TAP:    readv(fd)   one frame (after its virtio_net_hdr) into the caller's buffer,
 *                       overflow into a scratch buffer (so an oversized frame is seen
 *                       and dropped, never cut)
 *           writev(fd)  the virtio_net_hdr and one frame (a TAP write is one frame,
 *                       all or nothing)
 *   stream: read(fd)    bytes into the device's receive buffer (QEMU stream framing)
 *           writev(fd)  the 4-byte length and the frame in one call, or the
 *                       rest of a frame a short write left behind
 * and one more ppoll slot (sandbox_add_module's poll_fds) for the yield set.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/syscall.h>

enum { MAX_NET = 64 };

static struct net_rule {
    int fd;
    int stream;
} nets[MAX_NET];
static unsigned net_count;

static int rules_net(scmp_filter_ctx ctx, void *arg)
{
    const struct net_rule *r = arg;
    struct scmp_arg_cmp on_fd = ARG(0, SCMP_CMP_EQ, (unsigned)r->fd);
    if (r->stream) {
        TRY(sandbox_allow(ctx, SCMP_SYS(read), 1, &on_fd));
        TRY(sandbox_allow(ctx, SCMP_SYS(writev), 1, &on_fd));
    } else {
        TRY(sandbox_allow(ctx, SCMP_SYS(readv), 1, &on_fd));
        TRY(sandbox_allow(ctx, SCMP_SYS(writev), 1, &on_fd));
    }
    return 0;
}

int swiftlet_posix_sandbox_net(int fd, int stream)
{
    if (fd < 3 || net_count == MAX_NET)
        return -1;
    struct net_rule *r = &nets[net_count];
    r->fd = fd;
    r->stream = stream != 0;
    if (sandbox_add_module(rules_net, r, 1) != 0)
        return -1;
    net_count++;
    return 0;
}
