/*
 * sandbox_block.c — the seccomp module of one block device, pinned to its own fd
 * (Solo5 tenders/spt/spt_module_block.c).
 *
 *   pread64(fd, buf, count, offset), pwrite64(fd, buf, count, offset)
 *       with count (arg 2) <= capacity and offset (arg 3) < capacity, compared
 *       as unsigned 64-bit values (a negative offset is huge, so it is refused);
 *   fdatasync(fd)  the flush barrier.
 * Runtime's checks (whole blocks inside the capacity) come first; these rules
 * are the backstop that keeps a stray pread/pwrite off every other fd and
 * outside the disk. count + offset is not checked by the filter (BPF has no
 * 64-bit add); Block.swift never issues such a request.
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
    struct scmp_arg_cmp io[3] = {
        ARG(0, SCMP_CMP_EQ, (unsigned)r->fd),
        ARG(2, SCMP_CMP_LE, r->capacity),
        ARG(3, SCMP_CMP_LT, r->capacity),
    };
    TRY(sandbox_allow(ctx, SCMP_SYS(pread64), 3, io));
    TRY(sandbox_allow(ctx, SCMP_SYS(pwrite64), 3, io));
    TRY(sandbox_allow(ctx, SCMP_SYS(fdatasync), 1, io));
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
