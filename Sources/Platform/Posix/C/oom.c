/*
 * oom.c — malloc and friends are glibc's (its __libc_* entry points), except
 * that a request glibc cannot serve (the RLIMIT_DATA of `--memory`, or a host
 * out of memory) ends the process with one line and exit 255 (abort), as the
 * virtio platform's allocator does: nothing in the image recovers from a NULL
 * malloc (Swift's allocations trap on it), and the line says what to do.
 * Defining these in the executable overrides glibc's for the whole process.
 *
 * They also keep the heap figures of swiftlet_platform_heap_stats: bytes in use
 * (malloc_usable_size of every live block, plus glibc's 8-byte chunk header,
 * as the virtio allocator counts its headers) and the high-water mark. The
 * image is single-threaded, so plain counters do.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *p);

static uint64_t heap_in_use, heap_high_water;

static size_t chunk_bytes(void *p) { return p ? malloc_usable_size(p) + sizeof(size_t) : 0; }

/* Saturating: a block glibc allocated internally before the process could count it may still be freed here. */
static void count_freed(size_t bytes) { heap_in_use = bytes < heap_in_use ? heap_in_use - bytes : 0; }

static void count_allocated(void *p)
{
    heap_in_use += chunk_bytes(p);
    if (heap_in_use > heap_high_water)
        heap_high_water = heap_in_use;
}

void swiftlet_platform_heap_stats(struct swiftlet_heap_stats *stats)
{
    stats->in_use = heap_in_use;
    stats->high_water = heap_high_water;
    stats->size = 0; /* glibc grows the heap as RLIMIT_DATA (--memory) allows */
}

__attribute__((noreturn)) static void exhausted(size_t size)
{
    swiftlet_posix_report_backtrace_here();
    struct report_line line = { .len = 0 };
    report_str(&line, "swiftlet: abort: out of memory: an allocation of ");
    report_dec(&line, size);
    report_str(&line, " bytes failed; give the guest more memory (swiftlet run --memory)");
    report_emit(&line);
    report_exit(255);
}

static void *served(void *p, size_t size)
{
    if (!p && size)
        exhausted(size);
    count_allocated(p);
    return p;
}

void *malloc(size_t size) { return served(__libc_malloc(size), size); }

void free(void *p)
{
    count_freed(chunk_bytes(p));
    __libc_free(p);
}

void *calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return served(__libc_calloc(n, size), bytes);
}

void *realloc(void *p, size_t size)
{
    size_t before = chunk_bytes(p);
    void *q = __libc_realloc(p, size);
    if (!q && size)
        exhausted(size);
    if (q || !size)
        count_freed(before); /* moved, grown in place, or freed (size 0) */
    count_allocated(q);
    return q;
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    *out = served(__libc_memalign(alignment, size), size);
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1)))
        return NULL;
    return served(__libc_memalign(alignment, size), size);
}

void *memalign(size_t alignment, size_t size) { return aligned_alloc(alignment, size); }
