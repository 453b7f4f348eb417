/*
 * oom.c — malloc and friends are glibc's (its __libc_* entry points), except
 * that a request glibc cannot serve (the RLIMIT_DATA of `--memory`, or a host
 * out of memory) ends the process with one line and exit 255 (abort), as the
 * virtio platform's allocator does: nothing in the image recovers from a NULL
 * malloc (Swift's allocations trap on it), and the line says what to do.
 * Defining these in the executable overrides glibc's for the whole process.
 */
#include "posix_internal.h" /* first: it defines _GNU_SOURCE */

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

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
    return p;
}

void *malloc(size_t size) { return served(__libc_malloc(size), size); }

void *calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return served(__libc_calloc(n, size), bytes);
}

void *realloc(void *p, size_t size) { return served(__libc_realloc(p, size), size); }

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
