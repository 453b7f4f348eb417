/*
 * libc.c — the freestanding C library subset the image links against.
 *
 * Only what the Swift runtime, libswift_Concurrency.a and tree.o actually
 * reference (found from link errors): string functions, abort, and two C++
 * ABI hooks. memset, memcpy, memmove and memcmp are in memory.c, formatted
 * output in printf.c, malloc in the shared heap (Sources/Platform/Heap, both
 * platforms), ceil in math.swift. `putchar` and `arc4random_buf` belong to
 * Runtime.
 */
#include <stddef.h>
#include <stdint.h>
#include "swiftlet_platform.h"

void *memchr(const void *s, int c, size_t n) {
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c) return (void *)(p + i);
    return NULL;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

size_t strnlen(const char *s, size_t max) {
    size_t n = 0;
    while (n < max && s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (; n; n--, a++, b++) {
        if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
        if (!*a) return 0;
    }
    return 0;
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n) {
    size_t i = 0;
    for (; i < n && src[i]; i++) dst[i] = src[i];
    for (; i < n; i++) dst[i] = 0;
    return dst;
}

char *strchr(const char *s, int c) {
    for (;; s++) {
        if (*s == (char)c) return (char *)s;
        if (!*s) return NULL;
    }
}

/* There is one thread; errno only has to exist. */
static int errno_value;
int *__errno_location(void) { return &errno_value; }

__attribute__((noreturn)) void abort(void) {
    static const char msg[] = "abort() called";
    swiftlet_platform_abort(msg, sizeof msg - 1);
}

/* C++ ABI: a pure virtual call, and std::__throw_length_error (no exceptions here). */
__attribute__((noreturn)) void __cxa_pure_virtual(void) {
    static const char msg[] = "pure virtual function called";
    swiftlet_platform_abort(msg, sizeof msg - 1);
}

__attribute__((noreturn)) void _ZSt20__throw_length_errorPKc(const char *what) {
    swiftlet_platform_abort(what, what ? strlen(what) : 0);
}
