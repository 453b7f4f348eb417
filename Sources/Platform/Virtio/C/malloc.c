/*
 * malloc.c — the C allocator API over Heap.swift (which Swift may not name
 * `malloc`/`free` itself: those symbols are reserved for its runtime).
 * Argument checks and errno-style results follow POSIX/C11, except that a
 * request the heap cannot serve ends the unikernel (virtio_heap_exhausted,
 * Heap.swift: one line, exit 255) instead of returning NULL: nothing in the
 * image recovers from a NULL malloc (Swift's allocations trap on it, the
 * concurrency runtime writes through it), and the line says what to do.
 * Drivers that can make do with less call Heap.allocate directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EINVAL 22

void *virtio_heap_malloc(size_t size);
void virtio_heap_free(void *p);
void *virtio_heap_realloc(void *p, size_t size);
void *virtio_heap_memalign(size_t alignment, size_t size);
size_t virtio_heap_usable_size(void *p);
_Noreturn void virtio_heap_exhausted(size_t size);

static void *served(void *p, size_t size) {
    if (!p) virtio_heap_exhausted(size);
    return p;
}

void *malloc(size_t size) { return served(virtio_heap_malloc(size), size); }
void free(void *p) { virtio_heap_free(p); }
void *realloc(void *p, size_t size) { return size ? served(virtio_heap_realloc(p, size), size) : virtio_heap_realloc(p, size); }

void *calloc(size_t n, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) return NULL;
    void *p = served(virtio_heap_malloc(bytes), bytes);
    memset(p, 0, bytes);
    return p;
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
    *out = served(virtio_heap_memalign(alignment, size), size);
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1))) return NULL;
    return served(virtio_heap_memalign(alignment, size), size);
}

void *memalign(size_t alignment, size_t size) { return aligned_alloc(alignment, size); }

size_t malloc_usable_size(void *p) { return p ? virtio_heap_usable_size(p) : 0; }
