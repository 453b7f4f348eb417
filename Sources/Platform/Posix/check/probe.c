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
static const char *cmdline;
/** The value of boot argument `key=` as a number, or `otherwise`. */
static unsigned long long number(const char *key, unsigned long long otherwise)
{
    const char *p = strstr(cmdline, key);
    return p ? strtoull(p + strlen(key), NULL, 0) : otherwise;
}
static int devices(const char *name); /* the device probes, below main */
static unsigned char data_code[16] = {0xc3}; /* `ret`, in a non-executable page */
static _Alignas(4096) char page[4096];       /* a page of .bss for the memory-call probes */
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
    cmdline = si.cmdline;
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
    if (IS("mprotect-exec")) return mprotect(page, 4096, PROT_READ | PROT_EXEC);
    if (IS("mprotect-read")) return mprotect(page, 4096, PROT_READ);
    /* mmap of the block file (fd=N): past the pread/pwrite bounds, so only anonymous mappings are allowed. */
    if (IS("mmap-file")) {
        void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, (int)number("fd=", 3), 0);
        say(m == MAP_FAILED ? "mmap failed\n" : "mmap of the block file succeeded\n");
        return 0;
    }
    /* The memory calls, each refused since the heap's arena was mapped before the lockdown. */
    if (IS("mmap-anonymous")) return mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != 0;
    if (IS("brk")) return (int)syscall(SYS_brk, 0);
    if (IS("munmap")) return munmap(page, 4096);
    if (IS("mremap")) return mremap(page, 4096, 8192, MREMAP_MAYMOVE) != 0;
    if (IS("madvise")) return madvise(page, 4096, MADV_DONTNEED);
    if (IS("malloc-8m")) { char *volatile m = malloc(8 << 20); return m != 0; }
    if (IS("heap")) {
        for (int round = 0; round < 20; round++) {
            char *big = malloc(1 << 20);
            big = realloc(big, 4 << 20);
            memset(big, round, 4 << 20);
            free(big);
        }
        say("heap: 4 MiB allocated, written and freed 20 times\n");
        return 0;
    }
    /* ppoll with a signal mask (raw: glibc passes the pointer through): the mask is pinned to NULL. */
    if (IS("ppoll-sigmask")) {
        sigset_t none;
        sigemptyset(&none);
        struct timespec ts = {0, 1000};
        return (int)syscall(SYS_ppoll, NULL, 0, &ts, &none, 8);
    }
    /* Raw pwrite64 on the block fd (fd=N, the tender's first device fd) of a disk of cap=BYTES: inside the disk it
     * is allowed; straddling its end it must be stopped by the filter (offset + count bound, sandbox_block.c). */
    if (IS("raw-block-write-inside") || IS("raw-block-write-straddle")) {
        static char buf[1024];
        int fd = (int)number("fd=", 3);
        unsigned long long cap = number("cap=", 1048576);
        int straddle = IS("raw-block-write-straddle");
        long n = syscall(SYS_pwrite64, fd, buf, straddle ? 1024 : 512, (long)(cap - 512));
        say(n == (straddle ? 1024 : 512) ? "raw block write done\n" : "raw block write failed\n");
        return n > 0 ? 0 : 1;
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
            big = realloc(big, 4 << 20); /* grows in the heap (no mremap) */
            memset(big, 1, 4 << 20);
            free(big);
        }
        unsigned char random[100000];
        swiftlet_platform_random(random, sizeof random);
        printf("stdio %s\n", "works"); /* primed: no fstat/ioctl */
        fflush(stdout);
        return 0;
    }
    return devices(name);
}

/* ---- device probes ---------------------------------------------------------
 * Each prints one last line that check.sh matches, or "FAIL ..." and exits 1. */

#define OK SWIFTLET_R_OK
#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            char l_[160];                                                                          \
            snprintf(l_, sizeof l_, "FAIL %s (line %d)\n", what, __LINE__);                        \
            say(l_);                                                                               \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static uint64_t now_ns(void) { return swiftlet_platform_clock_monotonic(); }
/* The metadata of a plain frame (no offloads), and where a read's metadata goes. */
static const struct swiftlet_net_frame_meta plain;
static struct swiftlet_net_frame_meta meta;

/** Frame `seq` of the echo test: a length from 1 to max and bytes that depend on seq. */
static size_t frame_for(uint64_t seq, uint8_t *buf, size_t max)
{
    size_t len = 1 + (size_t)((seq * 7919) % max);
    if (seq % 5 == 0)
        len = max; /* many full-size frames, so that short writes happen */
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq * 31 + i * 17 + (i >> 8));
    return len;
}

/** Submits one block request and waits (in yield) for its completion: the request's status, or the submit's
 *  own result when it was not accepted. */
static swiftlet_result_t block_io(swiftlet_handle_t h, uint32_t op, uint64_t offset, void *buf, size_t size)
{
    static uint64_t next_tag = 1;
    struct swiftlet_block_request r = {.op = op, .tag = next_tag++, .offset = offset, .buffer = buf, .size = size};
    swiftlet_result_t submitted = swiftlet_platform_block_submit(h, &r);
    if (submitted != OK)
        return submitted;
    for (;;) {
        uint64_t tag, ready;
        swiftlet_result_t status;
        if (swiftlet_platform_block_complete(h, &tag, &status) == OK)
            return tag == r.tag ? status : SWIFTLET_R_UNSPEC;
        swiftlet_platform_yield(swiftlet_platform_clock_monotonic() + 10000000, &ready);
    }
}
#define block_read(h, o, b, n) block_io(h, SWIFTLET_BLOCK_OP_READ, o, b, n)
#define block_write(h, o, b, n) block_io(h, SWIFTLET_BLOCK_OP_WRITE, o, b, n)
#define block_flush(h) block_io(h, SWIFTLET_BLOCK_OP_FLUSH, 0, NULL, 0)

static int probe_block(void)
{
    swiftlet_handle_t h, other;
    struct swiftlet_block_info bi;
    struct swiftlet_net_info ni;
    CHECK(swiftlet_platform_block_acquire("disk", &h, &bi) == OK, "acquire disk");
    CHECK(swiftlet_platform_block_acquire("disk", &other, &bi) == SWIFTLET_R_INVALID, "second acquire");
    CHECK(swiftlet_platform_net_acquire("disk", &other, &ni) == SWIFTLET_R_INVALID, "acquire as net");
    CHECK(swiftlet_platform_block_acquire("nope", &other, &bi) == SWIFTLET_R_INVALID, "unknown name");
    uint64_t bs = bi.block_size, cap = bi.capacity;
    size_t n = cap / bs >= 9 ? 8 : (size_t)(cap / bs);
    uint8_t *out = malloc(n * bs), *in = malloc(n * bs);
    for (size_t i = 0; i < n * bs; i++)
        out[i] = (uint8_t)(i * 13 + i / bs + number("seed=", 1));
    uint64_t at = cap - n * bs; /* the last n blocks: reaches the capacity exactly */
    CHECK(block_write(h, at, out, n * bs) == OK, "write");
    CHECK(block_flush(h) == OK, "flush");
    memset(in, 0, n * bs);
    CHECK(block_read(h, at, in, n * bs) == OK, "read");
    CHECK(memcmp(in, out, n * bs) == 0, "read back what was written");
    CHECK(block_read(h, cap, in, bs) == SWIFTLET_R_INVALID, "read at capacity");
    CHECK(block_write(h, at + 1, out, bs) == SWIFTLET_R_INVALID, "misaligned offset");
    CHECK(block_write(h, 0, out, bs - 1) == SWIFTLET_R_INVALID, "partial block");
    CHECK(block_read(h + 1, 0, in, bs) == SWIFTLET_R_INVALID, "no such handle");
    /* A full queue: queue_depth requests are accepted, the next is AGAIN; the yield reports the disk ready
     * and every completion comes back once, with its tag. */
    CHECK(bi.queue_depth >= 32 && bi.queue_depth <= 64, "queue depth");
    struct swiftlet_block_request r = {.op = SWIFTLET_BLOCK_OP_READ, .offset = at, .buffer = in, .size = bs};
    for (uint32_t i = 0; i < bi.queue_depth; i++) {
        r.tag = 1000 + i;
        CHECK(swiftlet_platform_block_submit(h, &r) == OK, "submit up to the queue depth");
    }
    CHECK(swiftlet_platform_block_submit(h, &r) == SWIFTLET_R_AGAIN, "submit past the queue depth");
    uint64_t ready = 0, seen = 0, tag;
    swiftlet_platform_yield(swiftlet_platform_clock_monotonic() + 1000000000ull, &ready);
    CHECK(ready == (1ull << h), "a disk with completions is ready");
    swiftlet_result_t status;
    for (uint32_t i = 0; i < bi.queue_depth; i++) {
        CHECK(swiftlet_platform_block_complete(h, &tag, &status) == OK && status == OK, "completion");
        CHECK(tag >= 1000 && tag < 1000 + bi.queue_depth && !(seen & (1ull << (tag - 1000))), "completion tag");
        seen |= 1ull << (tag - 1000);
    }
    CHECK(swiftlet_platform_block_complete(h, &tag, &status) == SWIFTLET_R_AGAIN, "no completion left");
    char line[160];
    snprintf(line, sizeof line, "block ok handle=%llu capacity=%llu block-size=%llu blocks=%zu\n",
             (unsigned long long)h, (unsigned long long)cap, (unsigned long long)bs, n);
    say(line);
    return 0;
}

/** Writes (mode 'w') or reads and prints (mode 'r') a stamp in block 0, to see it survive a run. */
static int probe_stamp(char mode)
{
    swiftlet_handle_t h;
    struct swiftlet_block_info bi;
    CHECK(swiftlet_platform_block_acquire("disk", &h, &bi) == OK, "acquire disk");
    uint8_t *b = calloc(1, bi.block_size);
    if (mode == 'w') {
        snprintf((char *)b, 64, "stamp-%llu", number("seed=", 0));
        CHECK(block_write(h, 0, b, bi.block_size) == OK, "write stamp");
        CHECK(block_flush(h) == OK, "flush");
        say("stamped\n");
    } else {
        CHECK(block_read(h, 0, b, bi.block_size) == OK, "read stamp");
        char line[100];
        snprintf(line, sizeof line, "block 0 holds %.63s\n", (char *)b);
        say(line);
    }
    return 0;
}

static int probe_handles(void)
{
    swiftlet_handle_t a, n, b, x;
    struct swiftlet_block_info bi;
    struct swiftlet_net_info ni;
    CHECK(swiftlet_platform_block_acquire("b", &b, &bi) == OK, "acquire b");
    CHECK(swiftlet_platform_net_acquire("n", &n, &ni) == OK, "acquire n");
    CHECK(swiftlet_platform_block_acquire("a", &a, &bi) == OK, "acquire a");
    CHECK(swiftlet_platform_block_acquire("n", &x, &bi) == SWIFTLET_R_INVALID, "net as block");
    CHECK(swiftlet_platform_net_acquire("a", &x, &ni) == SWIFTLET_R_INVALID, "block as net");
    char line[200];
    snprintf(line, sizeof line, "handles a=%llu n=%llu b=%llu mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%zu\n",
             (unsigned long long)a, (unsigned long long)n, (unsigned long long)b, ni.mac_address[0],
             ni.mac_address[1], ni.mac_address[2], ni.mac_address[3], ni.mac_address[4], ni.mac_address[5],
             ni.mtu);
    say(line);
    return 0;
}

static int probe_net_echo(void)
{
    swiftlet_handle_t h;
    struct swiftlet_net_info ni;
    CHECK(swiftlet_platform_net_acquire("net", &h, &ni) == OK, "acquire net");
    size_t max = ni.mtu + 14;
    uint8_t *out = malloc(max), *in = malloc(max), *want = malloc(max);
    uint64_t frames = number("frames=", 1000), window = number("window=", 64);
    uint64_t sent = 0, received = 0, again = 0, t0 = now_ns(), last = t0;
    while (received < frames) {
        int progress = 0;
        while (sent < frames && sent - received < window) {
            size_t len = frame_for(sent, out, max);
            swiftlet_result_t r = swiftlet_platform_net_write(h, out, len, &plain);
            if (r == SWIFTLET_R_AGAIN) {
                again++;
                break;
            }
            CHECK(r == OK, "write");
            sent++, progress = 1;
        }
        for (;;) {
            size_t len = 0;
            swiftlet_result_t r = swiftlet_platform_net_read(h, in, max, &len, &meta);
            if (r == SWIFTLET_R_AGAIN)
                break;
            CHECK(r == OK, "read");
            size_t want_len = frame_for(received, want, max);
            CHECK(len == want_len && memcmp(in, want, len) == 0, "echoed frame differs");
            received++, progress = 1;
        }
        if (progress) {
            last = now_ns();
        } else {
            CHECK(now_ns() - last < 5000000000ull, "no progress for 5 s");
            uint64_t ready = 0;
            swiftlet_platform_yield(now_ns() + 1000000000ull, &ready);
        }
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    char line[200];
    snprintf(line, sizeof line, "net echo ok frames=%llu again=%llu rate=%.0f frames/s\n",
             (unsigned long long)received, (unsigned long long)again, (double)received / seconds);
    say(line);
    return 0;
}

static int probe_net_yield(void)
{
    swiftlet_handle_t h;
    struct swiftlet_net_info ni;
    CHECK(swiftlet_platform_net_acquire("net", &h, &ni) == OK, "acquire net");
    uint8_t frame[60] = {1, 2, 3}, in[2000];
    uint64_t ready = 1, t0 = now_ns();
    swiftlet_platform_yield(t0 + 200000000ull, &ready);
    CHECK(ready == 0 && now_ns() - t0 >= 200000000ull, "idle yield sleeps to its deadline");
    CHECK(swiftlet_platform_net_write(h, frame, sizeof frame, &plain) == OK, "write 1");
    CHECK(swiftlet_platform_net_write(h, frame, sizeof frame, &plain) == OK, "write 2");
    t0 = now_ns();
    swiftlet_platform_yield(t0 + 5000000000ull, &ready);
    CHECK(ready == (1ull << h) && now_ns() - t0 < 1000000000ull, "yield wakes on a readable fd");
    while (now_ns() - t0 < 50000000ull) /* let the second echo arrive too (vDSO clock: no syscall) */
        ;
    size_t len = 0;
    CHECK(swiftlet_platform_net_read(h, in, sizeof in, &len, &meta) == OK && len == 60, "read 1");
    t0 = now_ns();
    swiftlet_platform_yield(t0 + 5000000000ull, &ready);
    CHECK(ready == (1ull << h) && now_ns() - t0 < 100000000ull, "yield reports a buffered frame at once");
    CHECK(swiftlet_platform_net_read(h, in, sizeof in, &len, &meta) == OK && len == 60, "read 2");
    CHECK(swiftlet_platform_net_read(h, in, sizeof in, &len, &meta) == SWIFTLET_R_AGAIN, "then AGAIN");
    CHECK(swiftlet_platform_net_write(h, frame, 0, &plain) == SWIFTLET_R_INVALID, "empty frame");
    CHECK(swiftlet_platform_net_write(h, frame, ni.mtu + 15, &plain) == SWIFTLET_R_INVALID, "frame too long");
    CHECK(swiftlet_platform_net_read(h, in, ni.mtu + 13, &len, &meta) == SWIFTLET_R_INVALID, "short buffer");
    CHECK(swiftlet_platform_net_read(h + 1, in, sizeof in, &len, &meta) == SWIFTLET_R_INVALID, "no such handle");
    say("net yield ok\n");
    return 0;
}

static int probe_net_closed(void)
{
    swiftlet_handle_t h;
    struct swiftlet_net_info ni;
    CHECK(swiftlet_platform_net_acquire("net", &h, &ni) == OK, "acquire net");
    uint8_t in[2000] = {0};
    uint64_t ready = 0, t0 = now_ns();
    swiftlet_platform_yield(t0 + 5000000000ull, &ready);
    CHECK(ready == (1ull << h) && now_ns() - t0 < 1000000000ull, "a hang-up wakes the yield");
    size_t len = 0;
    CHECK(swiftlet_platform_net_read(h, in, sizeof in, &len, &meta) == SWIFTLET_R_AGAIN, "read after close: AGAIN");
    CHECK(swiftlet_platform_net_write(h, in, 60, &plain) == OK, "write after close: dropped, OK");
    t0 = now_ns();
    swiftlet_platform_yield(t0 + 200000000ull, &ready);
    CHECK(ready == 0 && now_ns() - t0 >= 200000000ull, "a closed link no longer wakes the yield");
    say("net peer closed ok\n");
    return 0;
}

/** ARP who-has 10.211.0.1 over TAP; the host kernel's reply proves both directions. */
static int probe_tap_arp(void)
{
    swiftlet_handle_t h;
    struct swiftlet_net_info ni;
    CHECK(swiftlet_platform_net_acquire("net", &h, &ni) == OK, "acquire net");
    const uint8_t *m = ni.mac_address;
    uint8_t req[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, m[0], m[1], m[2], m[3], m[4], m[5], 0x08, 0x06,
                       0, 1, 0x08, 0, 6, 4, 0, 1, m[0], m[1], m[2], m[3], m[4], m[5], 10, 211, 0, 2,
                       0, 0, 0, 0, 0, 0, 10, 211, 0, 1};
    uint8_t in[70000];
    uint64_t t0 = now_ns();
    for (int attempt = 0; attempt < 5; attempt++) {
        CHECK(swiftlet_platform_net_write(h, req, sizeof req, &plain) == OK, "write ARP request");
        uint64_t until = now_ns() + 1000000000ull;
        while (now_ns() < until) {
            uint64_t ready = 0;
            swiftlet_platform_yield(until, &ready);
            size_t len = 0;
            while (swiftlet_platform_net_read(h, in, sizeof in, &len, &meta) == OK) {
                if (len >= 42 && in[12] == 0x08 && in[13] == 0x06 && in[21] == 2 && memcmp(in, m, 6) == 0 &&
                    memcmp(in + 28, (uint8_t[]){10, 211, 0, 1}, 4) == 0) {
                    char line[160];
                    snprintf(line, sizeof line,
                             "tap arp ok: 10.211.0.1 is at %02x:%02x:%02x:%02x:%02x:%02x after %llu ms, offloads 0x%x\n",
                             in[22], in[23], in[24], in[25], in[26], in[27],
                             (unsigned long long)((now_ns() - t0) / 1000000), (unsigned)ni.offloads);
                    say(line);
                    return 0;
                }
            }
        }
    }
    CHECK(0, "no ARP reply from 10.211.0.1");
}

/** Reads the disk's last block after a pause in which check.sh shrinks the file: a device error (251). */
static int probe_block_shrunk(void)
{
    swiftlet_handle_t h;
    struct swiftlet_block_info bi;
    CHECK(swiftlet_platform_block_acquire("disk", &h, &bi) == OK, "acquire disk");
    uint64_t ready, until = now_ns() + 600000000ull;
    while (now_ns() < until)
        swiftlet_platform_yield(until, &ready);
    static uint8_t block[65536];
    swiftlet_result_t status = block_read(h, bi.capacity - bi.block_size, block, bi.block_size);
    say(status == OK ? "read the last block\n" : "read failed\n");
    return 1;
}

static int devices(const char *name)
{
    if (strcmp(name, "block-shrunk") == 0) return probe_block_shrunk();
    if (strcmp(name, "block") == 0) return probe_block();
    if (strcmp(name, "stamp") == 0) return probe_stamp('w');
    if (strcmp(name, "read-stamp") == 0) return probe_stamp('r');
    if (strcmp(name, "handles") == 0) return probe_handles();
    if (strcmp(name, "net-echo") == 0) return probe_net_echo();
    if (strcmp(name, "net-yield") == 0) return probe_net_yield();
    if (strcmp(name, "net-closed") == 0) return probe_net_closed();
    if (strcmp(name, "tap-arp") == 0) return probe_tap_arp();
    if (strcmp(name, "pread-stdout") == 0) {
        char b[512];
        return (int)pread(1, b, sizeof b, 0);
    }
    if (strcmp(name, "pwrite-raw") == 0 || strcmp(name, "pwrite-past") == 0 || strcmp(name, "pread-huge") == 0) {
        /* the disk is the first device backend opened: fd 3 (fds 0-2 are always open) */
        swiftlet_handle_t h;
        struct swiftlet_block_info bi;
        CHECK(swiftlet_platform_block_acquire("disk", &h, &bi) == OK, "acquire disk");
        static char b[1 << 16];
        if (name[1] == 'r')
            return (int)pread(3, b, bi.capacity + 512, 0); /* count > capacity */
        ssize_t n = pwrite(3, b, 512, strcmp(name, "pwrite-past") == 0 ? (off_t)bi.capacity : 0);
        CHECK(n == 512, "raw pwrite inside the disk");
        say("raw pwrite inside the disk ok\n");
        return 0;
    }
    say("unknown probe\n");
    return 3;
}
