/*
 * arena.c — the dev heap's memory: one anonymous mapping of the guest's size, and the early allocator.
 *
 * The heap itself is the shared allocator (Sources/Platform/Heap), as in prod.
 * Before the lockdown the tender maps its region here, once (Start.swift,
 * after the command line is parsed and before the devices are opened, whose
 * buffers then come out of it as virtio's do in prod); after the lockdown no
 * memory system call is allowed at all (brk, mmap, munmap, mremap: see
 * sandbox_policy.c), so the process can never hold more than the arena, the
 * stacks and what it had before.
 *
 * The mapping is private and anonymous: the kernel backs a page only when it
 * is first touched, so a large arena costs one mmap(2) at start and nothing
 * more until the app uses it; like prod's RAM, a page once touched stays
 * (free never returns memory to the host).
 *
 * The early allocator serves what is allocated before the arena exists: the
 * dynamic loader after relocation and the tender's argument parsing. It bumps
 * through a static region (in .bss, so untouched pages cost nothing) and never
 * frees; malloc.c recognises its blocks by address (a `free` of one does
 * nothing, a `realloc` moves it into the heap). A command line so long that the
 * region runs out ends the start with the out-of-memory line.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <sys/mman.h>

enum { EARLY_BYTES = 256 * 1024, EARLY_HEADER = 16 };

static _Alignas(4096) unsigned char early[EARLY_BYTES];
static size_t early_used;

void *swiftlet_early_malloc(size_t size, size_t alignment)
{
    if (alignment < EARLY_HEADER)
        alignment = EARLY_HEADER;
    uintptr_t base = (uintptr_t)early;
    uintptr_t payload = (base + early_used + EARLY_HEADER + alignment - 1) & ~(uintptr_t)(alignment - 1);
    size_t rounded = size ? (size + 15) & ~(size_t)15 : 16;
    if (size > EARLY_BYTES || payload + rounded > base + EARLY_BYTES)
        return NULL;
    ((uint64_t *)payload)[-1] = rounded; /* the block's usable size, just below it */
    early_used = payload + rounded - base;
    return (void *)payload;
}

size_t swiftlet_early_usable_size(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (a < (uintptr_t)early + EARLY_HEADER || a >= (uintptr_t)early + EARLY_BYTES)
        return 0;
    return (size_t)((const uint64_t *)p)[-1];
}

const char *swiftlet_posix_map_arena(uint64_t bytes, uintptr_t *start)
{
    void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return strerror(errno);
    *start = (uintptr_t)region;
    return NULL;
}

extern const char __ehdr_start[]; /* the ELF header: where the image starts (defined by the linker) */
extern const char _end[];          /* the end of .bss (defined by the linker) */

uint64_t swiftlet_posix_image_bytes(void) { return (uint64_t)(_end - __ehdr_start); }
