/*
 * probe.c — a tiny C "app" for check.sh: boots the Posix platform, then does
 * one forbidden or faulting thing chosen by the boot argument `probe=NAME`.
 *
 * It stands in for a Swift app so the sandbox and the reporters can be checked
 * without Runtime; check.sh compares each probe's one line and exit status
 * with what the unikernel would print. Built with -O0 so no fault is optimised away.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "swiftlet_platform.h"

static void say(const char *s) { swiftlet_platform_console_write(s, strlen(s)); }
static unsigned char data_code[16] = {0xc3}; /* `ret`, in a non-executable page */
static int helper(void) { return 1; }
static int recurse(int n)
{
    volatile char pad[256];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}
static int recurse_big_frames(int n)
{
    volatile char pad[200000];
    pad[sizeof pad - 1] = (char)n; /* touches the far end of the frame first */
    return recurse_big_frames(n + 1) + pad[0];
}

int main(void)
{
    struct swiftlet_start_info si;
    swiftlet_platform_start(&si);
    say("cmdline=[");
    say(si.cmdline);
    say("]\n");
    const char *p = strstr(si.cmdline, "probe=");
    if (p == NULL)
        return 0;
    p += 6;
    char name[32] = {0};
    for (int i = 0; i < 31 && p[i] && p[i] != ' '; i++)
        name[i] = p[i];
#define IS(x) (strcmp(name, x) == 0)
    if (IS("exit42")) swiftlet_platform_exit(42);
    if (IS("exit200")) swiftlet_platform_exit(200);
    if (IS("open")) return open("/etc/passwd", O_RDONLY);
    if (IS("socket")) return socket(AF_INET, SOCK_STREAM, 0);
    if (IS("fork")) return fork();
    if (IS("nanosleep")) return usleep(1000);
    if (IS("write3")) return (int)write(3, "x", 1);
    if (IS("boottime")) { struct timespec ts; return (int)syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &ts); }
    if (IS("monotonic-syscall")) { struct timespec ts; return (int)syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts); }
    if (IS("mmap-exec")) return mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != 0;
    if (IS("mprotect-exec")) {
        void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return mprotect(m, 4096, PROT_READ | PROT_EXEC);
    }
    if (IS("block-sigsys")) { sigset_t s; sigemptyset(&s); sigaddset(&s, SIGSYS); return sigprocmask(SIG_BLOCK, &s, 0); }
    if (IS("page-zero")) return *(volatile int *)0;
    if (IS("write-text")) { *(volatile char *)(void *)helper = 0; return 1; }
    if (IS("execute-data")) { ((void (*)(void))(void *)data_code)(); return 1; }
    if (IS("stack-overflow")) return recurse(0);
    if (IS("stack-overflow-big")) return recurse_big_frames(0);
    if (IS("non-canonical")) return *(volatile int *)0x8000000000000000ull;
    if (IS("ud2")) __builtin_trap();
    if (IS("divide")) { volatile int zero = 0; return 10 / zero; }
    if (IS("int3")) __asm__ volatile("int3");
    if (IS("abort")) abort();
    if (IS("double-free")) { char *volatile m = malloc(32); free(m); free(m); return 0; }
    if (IS("platform-abort")) swiftlet_platform_abort("something broke", 15);
    if (IS("sleep")) {
        uint64_t ready = 7, t0 = swiftlet_platform_clock_monotonic();
        swiftlet_platform_yield(t0 + 1000000000ull, &ready);
        uint64_t ms = (swiftlet_platform_clock_monotonic() - t0) / 1000000;
        swiftlet_platform_yield(t0, &ready); /* past deadline: at once */
        char line[80];
        snprintf(line, sizeof line, "slept %s ready=%llu\n", ms >= 1000 && ms < 1100 ? "1s" : "WRONG",
                 (unsigned long long)ready);
        say(line);
        return 0;
    }
    if (IS("memory")) {
        void *blocks[1000];
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 1000; i++) blocks[i] = malloc((size_t)(i * 37 % 5000) + 1);
            for (int i = 0; i < 1000; i++) free(blocks[i]);
            char *big = malloc(1 << 20);
            big = realloc(big, 4 << 20); /* mremap */
            memset(big, 1, 4 << 20);
            free(big);
        }
        unsigned char random[100000];
        swiftlet_platform_random(random, sizeof random);
        printf("stdio %s\n", "works"); /* primed: no fstat/ioctl */
        fflush(stdout);
        return 0;
    }
    say("unknown probe\n");
    return 3;
}
