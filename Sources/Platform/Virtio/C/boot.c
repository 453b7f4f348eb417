/*
 * boot.c — first C code after boot.S: static TLS, then the platform, then main.
 *
 * Embedded Swift and libswift_Concurrency.a are built for the linux-gnu
 * triple, so compiled code may address thread-local storage through %fs
 * (and read a stack canary at %fs:0x28). We give the single thread a static
 * TLS block laid out as x86-64 TLS variant II (Drepper, "ELF Handling For
 * Thread-Local Storage", §3.4.2; System V x86-64 psABI §3.4.6): the PT_TLS
 * image (.tdata, then zeroed .tbss) ends at the thread pointer, which points
 * at a zeroed TCB whose first word points to itself (%fs:0 = TP). The thread
 * pointer is the FS base, MSR IA32_FS_BASE 0xC0000100 (SDM Vol. 4).
 */
#include <stdint.h>
#include <string.h>
#include "virtio_hw.h"

#define MSR_FS_BASE 0xC0000100
#define TLS_ALIGN 64        /* == p_align of PT_TLS: the anchor below forces it */
#define TLS_MAX (16 * 1024) /* static TLS the image may use */
#define TCB_SIZE 256        /* self pointer at 0, stack guard at 0x28, ... all zero */

/* Linker-script symbols (link.ld). */
extern char __image_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __image_end[];
extern char __tdata_start[], __tdata_end[], __tbss_end[];
extern char virtio_boot_stack_guard[], virtio_boot_stack_top[];
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

/* Forces a PT_TLS segment aligned to TLS_ALIGN, so the layout above is exact. */
__attribute__((used, aligned(TLS_ALIGN))) __thread char virtio_tls_anchor;

static uint8_t tls_area[TLS_MAX + TCB_SIZE] __attribute__((aligned(TLS_ALIGN)));

static char cmdline[VIRTIO_CMDLINE_MAX];
static struct virtio_memmap_entry memmap[VIRTIO_MEMMAP_MAX];
extern char virtio_pt_pool_pages[];

static struct virtio_pvclock pvclock __attribute__((aligned(64)));
volatile struct virtio_pvclock *virtio_pvclock_area(void) { return &pvclock; }

char *virtio_cmdline_buffer(void) { return cmdline; }
struct virtio_memmap_entry *virtio_memmap_buffer(void) { return memmap; }
uintptr_t virtio_pt_pool(void) { return (uintptr_t)virtio_pt_pool_pages; }

uintptr_t virtio_image_start(void) { return (uintptr_t)__image_start; }
uintptr_t virtio_text_start(void) { return (uintptr_t)__text_start; }
uintptr_t virtio_text_end(void) { return (uintptr_t)__text_end; }
uintptr_t virtio_rodata_start(void) { return (uintptr_t)__rodata_start; }
uintptr_t virtio_rodata_end(void) { return (uintptr_t)__rodata_end; }
uintptr_t virtio_data_start(void) { return (uintptr_t)__data_start; }
uintptr_t virtio_image_end(void) { return (uintptr_t)__image_end; }
uintptr_t virtio_stack_guard(void) { return (uintptr_t)virtio_boot_stack_guard; }
uintptr_t virtio_stack_top(void) { return (uintptr_t)virtio_boot_stack_top; }

/* Runs before any Swift code: it may not call anything that touches %fs. */
static void tls_setup(void) {
    uintptr_t image = (uintptr_t)__tdata_start;
    size_t filesz = (size_t)(__tdata_end - __tdata_start);
    size_t memsz = (size_t)(__tbss_end - __tdata_start);
    size_t block = (memsz + TLS_ALIGN - 1) & ~(size_t)(TLS_ALIGN - 1);
    if (block > TLS_MAX) {
        static const char msg[] = "swiftlet: abort: static TLS too large\n";
        for (const char *p = msg; *p; p++) virtio_outb(0x3F8, (uint8_t)*p);
        for (;;) virtio_hlt();
    }
    uint8_t *tp = tls_area + block;
    for (size_t i = 0; i < filesz; i++) tp[-(ptrdiff_t)block + i] = ((const uint8_t *)image)[i];
    /* .tbss and the TCB are already zero (.bss). */
    *(uintptr_t *)tp = (uintptr_t)tp;
    virtio_wrmsr(MSR_FS_BASE, (uint64_t)(uintptr_t)tp);
}

/* platform.swift */
void virtio_platform_init(uint32_t start_info);
/* The app: Swift's @main emits a C `main`. */
int main(int argc, char **argv);
__attribute__((noreturn)) void swiftlet_platform_exit(int status);

__attribute__((noreturn)) void virtio_boot_c(uint32_t start_info) {
    tls_setup();
    virtio_platform_init(start_info);
    for (void (**f)(void) = __init_array_start; f < __init_array_end; f++) (*f)();
    int status = main(0, 0);
    swiftlet_platform_exit(status);
}
