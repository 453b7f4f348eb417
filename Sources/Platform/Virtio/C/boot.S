/*
 * boot.S — PVH entry: from 32-bit protected mode to 64-bit C.
 *
 * QEMU (`-kernel`, machines pc, q35, microvm) and Firecracker find the entry
 * in an ELF note of type XEN_ELFNOTE_PHYS32_ENTRY (18, name "Xen") and start
 * it per the Xen PVH boot ABI (xen/include/public/arch-x86/hvm/start_info.h,
 * docs/misc/pvh.pandoc): 32-bit protected mode, paging off, flat %cs/%ds/%ss,
 * interrupts off, %ebx = physical address of `struct hvm_start_info`. The GDT
 * the loader used is not ours to keep, so we load our own at once.
 *
 * Steps (Intel SDM Vol. 3A §10.8.5 "Initializing IA-32e Mode"):
 *  1. zero .bss (our page tables and stacks live there);
 *  2. build a bootstrap identity map of 0..4 GiB with 2 MiB pages, RWX
 *     (paging.swift replaces it with the real, W^X one before main);
 *  3. CR4.PAE, EFER.LME (+ NXE when CPUID says NX exists), CR3, CR0.PG;
 *     also CR0.WP, CR0.MP and CR4.OSFXSR|OSXMMEXCPT so SSE works (Swift code
 *     uses it; SDM Vol. 3A §13.1.3), with CR0.EM and CR0.TS clear;
 *  4. far jump to a 64-bit code segment, load the boot stack and call
 *     virtio_boot_c(start_info) (boot.c), which never returns.
 */

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define SEL_CODE64 0x08
#define SEL_DATA 0x10

/* The PVH entry note: namesz 4, descsz 4, type 18, "Xen\0", 32-bit entry. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 4
    .long 18
    .asciz "Xen"
    .balign 4
    .long pvh_start32

    .section .boot.text, "ax", @progbits
    .code32
    .globl pvh_start32
    .type pvh_start32, @function
pvh_start32:
    cli
    cld
    lgdt virtio_gdt_ptr
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs

    /* 1. Zero .bss (the loader zero-fills p_memsz too, but we do not rely on it). */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* 2. Bootstrap identity map: PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs, 2048 x 2 MiB. */
    movl $boot_pdpt, %eax
    orl $0x3, %eax                          /* present | writable */
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $0x3, %eax
    movl $boot_pdpt, %edi
    movl $4, %ecx
1:  movl %eax, (%edi)
    addl $4096, %eax
    addl $8, %edi
    loop 1b
    movl $boot_pd, %edi
    movl $0x83, %eax                        /* present | writable | PS (2 MiB) */
    xorl %edx, %edx                         /* high dword of the entry */
    movl $2048, %ecx
2:  movl %eax, (%edi)
    movl %edx, 4(%edi)
    addl $0x200000, %eax
    adcl $0, %edx
    addl $8, %edi
    loop 2b

    /* 3. Long mode with SSE and NX. */
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl %ebx, %esi                         /* keep start info across CPUID */
    movl $0x80000000, %eax
    cpuid
    xorl %edi, %edi
    cmpl $0x80000001, %eax
    jb 3f
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 20), %edx                  /* CPUID.80000001H:EDX.NX */
    jz 3f
    movl $EFER_NXE, %edi
3:  movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    orl %edi, %eax
    wrmsr
    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS), %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0
    ljmp $SEL_CODE64, $long_mode

    .code64
/* The first 64-bit instruction: where `swiftlet debug` switches gdb to i386:x86-64 (docs/DEBUGGING.md §1). */
    .globl pvh_start64
pvh_start64:
long_mode:
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $virtio_boot_stack_top, %rsp
    xorl %ebp, %ebp
    fninit
    movl %esi, %edi                         /* arg 0: start info physical address */
    call virtio_boot_c
4:  cli
    hlt
    jmp 4b
    .size pvh_start32, . - pvh_start32

/*
 * GDT: null, 64-bit code (0x08), data (0x10), and a 16-byte TSS descriptor
 * (0x18) that traps.c fills in (SDM Vol. 3A §3.4.5, §8.2.3).
 */
    .section .data.gdt, "aw", @progbits
    .balign 16
    .globl virtio_gdt
virtio_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF                /* 0x08: code, long mode (L=1), DPL 0 */
    .quad 0x00CF92000000FFFF                /* 0x10: data, writable */
    .quad 0, 0                              /* 0x18: TSS, filled by traps.c */
virtio_gdt_end:
    .balign 8
    .word 0
    .globl virtio_gdt_ptr
virtio_gdt_ptr:
    .word virtio_gdt_end - virtio_gdt - 1
    .quad virtio_gdt

/*
 * Page-aligned boot data: bootstrap page tables, and the boot stack with an
 * unmapped guard page under it (paging.swift leaves the guard out of the
 * map, so an overflow faults instead of corrupting .bss).
 */
    .section .bss.boot, "aw", @nobits
    .balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4096 * 4
    .globl virtio_pt_pool_pages
virtio_pt_pool_pages: .skip 4096 * 32      /* VIRTIO_PT_POOL_PAGES, for paging.swift */

    .section .bss.stack, "aw", @nobits
    .balign 4096
    .globl virtio_boot_stack_guard
virtio_boot_stack_guard: .skip 4096
    .globl virtio_boot_stack
virtio_boot_stack: .skip 256 * 1024
    .globl virtio_boot_stack_top
virtio_boot_stack_top:
