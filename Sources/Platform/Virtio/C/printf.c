/*
 * printf.c — a small printf family for the Concurrency runtime's diagnostics
 * (puts, vprintf, vsnprintf, snprintf, printf). Output goes to the console.
 *
 * Supported: flags '-' and '0', a width and precision (digits or '*'),
 * length modifiers hh h l ll z j t, conversions d i u x X o p c s %.
 * Unknown conversions are printed as-is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "swiftlet_platform.h"

size_t strlen(const char *s);

struct out { char *buf; size_t cap, len; };

static void put(struct out *o, char c) {
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, int left, char pad) {
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left) while (fill-- > 0) put(o, pad);
    for (size_t i = 0; i < n; i++) put(o, s[i]);
    if (left) while (fill-- > 0) put(o, ' ');
}

int vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
    struct out o = { buf, cap, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(&o, *fmt); continue; }
        fmt++;
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '0') zero = 1;
            else if (*fmt == ' ' || *fmt == '+' || *fmt == '#') continue;
            else break;
        }
        if (*fmt == '*') { width = va_arg(ap, int); if (width < 0) { left = 1; width = -width; } fmt++; }
        else while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') { prec = va_arg(ap, int); fmt++; }
            else while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
        }
        for (;; fmt++) {
            if (*fmt == 'l') lng++;
            else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't') lng = 2;
            else if (*fmt == 'h') continue;
            else break;
        }
        char tmp[32];
        char pad = zero && !left ? '0' : ' ';
        switch (*fmt) {
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p': {
            uint64_t v;
            int neg = 0, base = 10;
            if (*fmt == 'p') { v = (uintptr_t)va_arg(ap, void *); base = 16; put(&o, '0'); put(&o, 'x'); width -= 2; }
            else if (*fmt == 'd' || *fmt == 'i') {
                int64_t s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
                if (s < 0) { neg = 1; v = (uint64_t)0 - (uint64_t)s; } else v = (uint64_t)s;
            } else {
                v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
                base = (*fmt == 'o') ? 8 : (*fmt == 'u') ? 10 : 16;
            }
            const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            size_t n = 0;
            do { tmp[sizeof tmp - 1 - n++] = digits[v % base]; v /= base; } while (v);
            if (neg) {
                if (pad == '0') { put(&o, '-'); width--; }
                else tmp[sizeof tmp - 1 - n++] = '-';
            }
            put_padded(&o, tmp + sizeof tmp - n, n, width, left, pad);
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            size_t n = 0;
            while (s[n] && (prec < 0 || (int)n < prec)) n++;
            put_padded(&o, s, n, width, left, ' ');
            break;
        }
        case '%': put(&o, '%'); break;
        case 0: fmt--; break;
        default: put(&o, '%'); put(&o, *fmt); break;
        }
    }
    if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap) {
    char buf[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap2);
    va_end(ap2);
    swiftlet_platform_console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    return n;
}

int printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s) {
    swiftlet_platform_console_write(s, strlen(s));
    swiftlet_platform_console_write("\n", 1);
    return 0;
}
