/*
 * sandbox_block.c — the seccomp module of one block device, pinned to its own fd
 * (Solo5 tenders/spt/spt_module_block.c).
 *
 *   pread64(fd, buf, count, offset), pwrite64(fd, buf, count, offset)
 *       bounded so that offset + count <= capacity. BPF cannot add two 64-bit
 *       arguments, so the bound is bucketed by powers of two: for every 2^j up
 *       to the capacity one rule allows count == 2^j with offset <= capacity -
 *       2^j (unsigned 64-bit compares: a negative offset is huge and refused).
 *       Any allowed call then ends inside the disk, and Block.swift issues each
 *       transfer as pieces of exactly 2^j bytes. A write straddling the end can
 *       no longer grow the image file. (count <= 2^j would read better, but
 *       libseccomp 2.5.4 merges several such range rules on the same arguments
 *       wrongly: a straddling write passed; exact counts merge correctly.)
 *   fdatasync(fd)  the flush barrier.
 * Runtime's checks (whole blocks inside the capacity) come first; these rules
 * are the backstop that keeps a stray pread/pwrite off every other fd and
 * outside the disk.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/syscall.h>

enum { MAX_BLOCK = 64 };

static struct block_rule {
    int fd;
    uint64_t capacity;
} blocks[MAX_BLOCK];
static unsigned block_count;

static int rules_block(scmp_filter_ctx ctx, void *arg)
{
    const struct block_rule *r = arg;
    for (unsigned j = 0; j < 63 && (1ull << j) <= r->capacity; j++) {
        uint64_t piece = 1ull << j;
        struct scmp_arg_cmp io[3] = {
            ARG(0, SCMP_CMP_EQ, (unsigned)r->fd),
            ARG(2, SCMP_CMP_EQ, piece),
            ARG(3, SCMP_CMP_LE, r->capacity - piece),
        };
        TRY(sandbox_allow(ctx, SCMP_SYS(pread64), 3, io));
        TRY(sandbox_allow(ctx, SCMP_SYS(pwrite64), 3, io));
    }
    struct scmp_arg_cmp fd = ARG(0, SCMP_CMP_EQ, (unsigned)r->fd);
    TRY(sandbox_allow(ctx, SCMP_SYS(fdatasync), 1, &fd));
    return 0;
}

int swiftlet_posix_sandbox_block(int fd, uint64_t capacity)
{
    if (fd < 3 || capacity == 0 || block_count == MAX_BLOCK)
        return -1;
    struct block_rule *r = &blocks[block_count];
    r->fd = fd;
    r->capacity = capacity;
    if (sandbox_add_module(rules_block, r, 0) != 0)
        return -1;
    block_count++;
    return 0;
}
