/*
 * memory.c — memset, memcpy, memmove and memcmp for the unikernel.
 *
 * Every payload byte passes through memcpy (the app's buffer into the TCP send ring, the ring into a
 * transmit slot, a receive slot into the ring, the ring into the app), so its speed is the stack's
 * bulk rate. These move 64 bytes per loop iteration with unaligned 16-byte SSE loads and stores
 * (the image runs with SSE enabled; an interrupt that runs C or Swift code saves the SSE state,
 * isr.S), then 8 bytes, then single bytes.
 *
 * Why not `rep movsb`: on a CPU with ERMS it is fast, but QEMU's TCG emulates a `rep` string
 * instruction one element per translated-block pass, so a byte copy costs a block dispatch per byte;
 * the 64-byte loop costs one per 64 bytes (docs/BENCHMARKS.md, "Copies under TCG").
 *
 * `no_builtin` keeps the compiler from turning these loops back into calls to themselves; `minsize`
 * keeps it from unrolling and vectorizing them further (the loops are already what TCG wants, and the
 * image stays small: about 480 bytes for all four).
 */
#include <stddef.h>
#include <stdint.h>

/* Unaligned, aliasing-safe access to 16 and 8 bytes. */
typedef long long chunk16 __attribute__((vector_size(16), aligned(1), may_alias));
typedef uint64_t chunk8 __attribute__((aligned(1), may_alias));

__attribute__((no_builtin, minsize)) void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    uint64_t byte = (unsigned char)c;
    uint64_t word = byte * 0x0101010101010101ull;
    chunk16 wide = {(long long)word, (long long)word};
    for (; n >= 64; n -= 64, d += 64) {
        *(chunk16 *)(d) = wide;
        *(chunk16 *)(d + 16) = wide;
        *(chunk16 *)(d + 32) = wide;
        *(chunk16 *)(d + 48) = wide;
    }
    for (; n >= 8; n -= 8, d += 8) *(chunk8 *)d = word;
    for (; n; n--) *d++ = (unsigned char)byte;
    return dst;
}

/* Copies low to high; correct for overlapping ranges when dst is below src (each block is read
 * before any byte of it can be overwritten). */
__attribute__((no_builtin, minsize)) static void copy_forward(unsigned char *d, const unsigned char *s, size_t n) {
    for (; n >= 64; n -= 64, d += 64, s += 64) {
        chunk16 a = *(const chunk16 *)(s), b = *(const chunk16 *)(s + 16);
        chunk16 e = *(const chunk16 *)(s + 32), f = *(const chunk16 *)(s + 48);
        *(chunk16 *)(d) = a;
        *(chunk16 *)(d + 16) = b;
        *(chunk16 *)(d + 32) = e;
        *(chunk16 *)(d + 48) = f;
    }
    for (; n >= 8; n -= 8, d += 8, s += 8) *(chunk8 *)d = *(const chunk8 *)s;
    for (; n; n--) *d++ = *s++;
}

/* Copies high to low, for overlapping ranges with dst above src. */
__attribute__((no_builtin, minsize)) static void copy_backward(unsigned char *d, const unsigned char *s, size_t n) {
    d += n;
    s += n;
    for (; n >= 64; n -= 64) {
        d -= 64;
        s -= 64;
        chunk16 a = *(const chunk16 *)(s), b = *(const chunk16 *)(s + 16);
        chunk16 e = *(const chunk16 *)(s + 32), f = *(const chunk16 *)(s + 48);
        *(chunk16 *)(d + 48) = f;
        *(chunk16 *)(d + 32) = e;
        *(chunk16 *)(d + 16) = b;
        *(chunk16 *)(d) = a;
    }
    for (; n >= 8; n -= 8) {
        d -= 8;
        s -= 8;
        *(chunk8 *)d = *(const chunk8 *)s;
    }
    while (n--) *--d = *--s;
}

__attribute__((no_builtin, minsize)) void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    copy_forward(dst, src, n);
    return dst;
}

__attribute__((no_builtin, minsize)) void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0) return dst;
    if (d < s || d >= s + n) copy_forward(d, s, n);
    else copy_backward(d, s, n);
    return dst;
}

__attribute__((no_builtin, minsize)) int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    /* Skip equal 8-byte words, then find the first differing byte. */
    for (; n >= 8 && *(const chunk8 *)x == *(const chunk8 *)y; n -= 8, x += 8, y += 8) {}
    for (; n; n--, x++, y++)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

/* LLVM turns equality-only memcmp calls into bcmp. */
int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
