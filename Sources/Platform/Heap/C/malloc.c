/*
 * malloc.c — the C allocator API over Heap.swift, the same in both platforms
 * (which Swift may not name `malloc`/`free` itself: those symbols are reserved
 * for its runtime). Argument checks and errno-style results follow POSIX/C11,
 * except that a request the heap cannot serve ends the unikernel (one line,
 * exit 255, below) instead of returning NULL: nothing in the image recovers
 * from a NULL malloc (Swift's allocations trap on it, the concurrency runtime
 * writes through it), and the line says what to do. The virtio drivers, which
 * can make do with less, call Heap.allocate directly.
 *
 * In dev these definitions in the executable replace glibc's for the whole
 * process (glibc's own internal calls go through the PLT to them: "Replacing
 * malloc" in the glibc manual lists the functions to define, all below), so
 * after the lockdown nothing but this heap allocates, and glibc's malloc never
 * runs. A request made before the heap exists (the dynamic loader, the
 * tender's argument parsing) is served by the platform's early allocator
 * (Platform/Posix/C/arena.c, a small static region whose blocks are never
 * freed); prod has none, as its heap exists before anything allocates.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "swiftlet_platform.h"

#define EINVAL 22

/* Heap.swift */
void *swiftlet_heap_malloc(size_t size);
void swiftlet_heap_free(void *p);
void *swiftlet_heap_realloc(void *p, size_t size);
void *swiftlet_heap_memalign(size_t alignment, size_t size);
size_t swiftlet_heap_usable_size(void *p);

/*
 * The platform's early allocator, for requests before the heap exists (dev only; weak, so prod links without it):
 * `swiftlet_early_malloc` returns a block aligned to `alignment` (a power of two) or NULL;
 * `swiftlet_early_usable_size` returns a block's usable size, or 0 when `p` is not an early block.
 */
__attribute__((weak)) void *swiftlet_early_malloc(size_t size, size_t alignment);
__attribute__((weak)) size_t swiftlet_early_usable_size(const void *p);

static size_t early_size(const void *p) { return swiftlet_early_usable_size ? swiftlet_early_usable_size(p) : 0; }

/* ---- out of memory --------------------------------------------------------- */

/* The report path is cold: built for size (clang's minsize), it costs about 400 bytes of text, not 2,700. */
#define COLD __attribute__((cold, noinline, minsize))

COLD static void put(char *line, size_t *len, size_t cap, const char *s)
{
    while (*s && *len < cap)
        line[(*len)++] = *s++;
}

COLD static void put_decimal(char *line, size_t *len, size_t cap, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && *len < cap)
        line[(*len)++] = digits[--n];
}

/*
 * `swiftlet: abort: out of memory: an allocation of N bytes failed with U of the heap's H bytes in use; give the
 * guest more memory (swiftlet run --memory)`, exit 255 (SWIFTLET_EXIT_ABORT), in both modes. Formatted without
 * allocating (the heap is full); a second exhaustion while reporting the first only exits.
 */
COLD _Noreturn static void exhausted(size_t size)
{
    static char line[192];
    static int reporting;
    if (reporting)
        swiftlet_platform_exit(SWIFTLET_EXIT_ABORT);
    reporting = 1;
    struct swiftlet_heap_stats stats;
    swiftlet_platform_heap_stats(&stats);
    size_t len = 0, cap = sizeof line;
    put(line, &len, cap, "out of memory: an allocation of ");
    put_decimal(line, &len, cap, size);
    if (stats.size == 0) {
        put(line, &len, cap, " bytes failed before the heap was set up");
    } else {
        put(line, &len, cap, " bytes failed with ");
        put_decimal(line, &len, cap, stats.in_use);
        put(line, &len, cap, " of the heap's ");
        put_decimal(line, &len, cap, stats.size);
        put(line, &len, cap, " bytes in use");
    }
    put(line, &len, cap, "; give the guest more memory (swiftlet run --memory)");
    swiftlet_platform_abort(line, len);
}

/* ---- the allocator API ------------------------------------------------------ */

/** A block of `size` bytes aligned to `alignment` (a power of two), or the exhaustion line. */
static void *allocate(size_t size, size_t alignment)
{
    void *p = alignment <= 16 ? swiftlet_heap_malloc(size) : swiftlet_heap_memalign(alignment, size);
    if (!p && swiftlet_early_malloc) {
        struct swiftlet_heap_stats stats;
        swiftlet_platform_heap_stats(&stats);
        if (stats.size == 0)
            p = swiftlet_early_malloc(size, alignment);
    }
    if (!p)
        exhausted(size);
    return p;
}

void *malloc(size_t size) { return allocate(size, 16); }

void free(void *p)
{
    if (p && !early_size(p)) /* an early block is never freed: the region is static */
        swiftlet_heap_free(p);
}

void *calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    void *p = allocate(bytes, 16);
    memset(p, 0, bytes);
    return p;
}

void *realloc(void *p, size_t size)
{
    size_t early = p ? early_size(p) : 0;
    if (early) { /* moves out of the early region (into the heap, once it exists) */
        void *q = allocate(size, 16);
        memcpy(q, p, early < size ? early : size);
        return q;
    }
    void *q = swiftlet_heap_realloc(p, size);
    if (!q)
        exhausted(size); /* the old block is intact, but nothing could use it */
    return q;
}

void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return realloc(p, bytes);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    *out = allocate(size, alignment);
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1)))
        return NULL;
    return allocate(size, alignment);
}

void *memalign(size_t alignment, size_t size) { return aligned_alloc(alignment, size); }
void *valloc(size_t size) { return allocate(size, 4096); }
void *pvalloc(size_t size) { return allocate((size + 4095) & ~(size_t)4095, 4096); }

size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    size_t early = early_size(p);
    return early ? early : swiftlet_heap_usable_size(p);
}
