/*
 * multiboot2.S — a second way in: Multiboot2 (GRUB) → the PVH entry.
 *
 * QEMU `-kernel` and Firecracker start the image through the PVH note
 * (boot.S). A disk image boots through GRUB (`swiftlet image`), and GRUB
 * 2.06 does not speak PVH: it loads Multiboot and Multiboot2 kernels. This
 * file makes the same ELF a Multiboot2 kernel and translates what GRUB hands
 * over into the `struct hvm_start_info` the PVH path already reads
 * (StartInfo.swift), then jumps to `pvh_start32`. Nothing after that point
 * knows which loader ran.
 *
 * Multiboot2 (spec 2.0, "The Multiboot2 Specification version 2.0"):
 *  - §3.1.1: the header is 8-aligned within the first 32768 bytes of the
 *    file (link.ld puts `.multiboot2` first in .text, near the start of the file);
 *    magic 0xE85250D6, architecture 0 (i386 protected mode), length, and a
 *    checksum that makes the four words sum to 0 mod 2^32; then 8-aligned tags.
 *  - §3.1.4: an information request tag (type 1) asking for the command line
 *    (info type 1) and the memory map (info type 6) — GRUB refuses to boot
 *    the kernel if it cannot supply them (flags 0: required).
 *  - §3.1.6: the entry address tag (type 3): GRUB jumps here instead of the
 *    ELF entry (which is the PVH entry and expects %ebx = hvm_start_info).
 *  - §3.3 machine state (i386): 32-bit protected mode, paging off, flat
 *    segments, interrupts off, %eax = 0x36D76289, %ebx = physical address of
 *    the boot information; the stack and the GDT are not ours to use (boot.S
 *    loads its own GDT first thing and uses no stack before long mode).
 *  - §3.6: the boot information: u32 total_size, u32 reserved, then tags
 *    (u32 type, u32 size, 8-aligned) up to an end tag (type 0). Type 1 is the
 *    NUL-terminated command line at +8 (GRUB 2.06 passes the words after the
 *    kernel's file name). Type 6 is the memory map: u32 entry_size at +8,
 *    u32 entry_version at +12, entries at +16, each {u64 base, u64 length,
 *    u32 type, u32 reserved} with E820 type numbers — byte for byte the PVH
 *    `hvm_memmap_table_entry`, so the start info simply points at GRUB's
 *    table (an entry_size other than 24 is left out: StartInfo then reports
 *    "no memory map").
 *
 * UEFI: without the EFI boot-services tag (type 7) GRUB calls
 * ExitBootServices and enters here exactly as on BIOS (32-bit, paging off),
 * so the kernel owns the machine and must not assume firmware services; it
 * uses none (COM1 and PCI configuration through ports 0xCF8/0xCFC work the
 * same under OVMF on q35). The Multiboot2 memory map GRUB derives from the
 * EFI map reports boot-services memory as available.
 *
 * The boot information stays where GRUB put it (outside our image: GRUB
 * allocates it apart from the loaded segments); StartInfo.copy reads the
 * command line and memory map before anything could overwrite them.
 */

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_BOOT_MAGIC 0x36D76289
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MMAP 6
#define PVH_START_MAGIC 0x336EC578

    .section .multiboot2, "a", @progbits
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long 0                                     /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
    .balign 8                                   /* information request: cmdline, mmap */
    .short 1, 0
    .long 16
    .long MB2_TAG_CMDLINE, MB2_TAG_MMAP
    .balign 8                                   /* entry address */
    .short 3, 0
    .long 12
    .long mb2_start32
    .balign 8                                   /* end */
    .short 0, 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax", @progbits
    .code32
    .globl mb2_start32
    .type mb2_start32, @function
mb2_start32:
    cli
    cld
    cmpl $MB2_BOOT_MAGIC, %eax
    jne 9f                                      /* not from a Multiboot2 loader: stop */
    leal 8(%ebx), %esi                          /* first tag */
1:  movl (%esi), %eax                           /* tag type */
    cmpl $MB2_TAG_END, %eax
    je 4f
    cmpl $MB2_TAG_CMDLINE, %eax
    jne 2f
    leal 8(%esi), %edx
    movl %edx, mb2_start_info + 24              /* cmdline_paddr (low half) */
    jmp 3f
2:  cmpl $MB2_TAG_MMAP, %eax
    jne 3f
    cmpl $24, 8(%esi)                           /* entry_size must match hvm_memmap_table_entry */
    jne 3f
    movl 4(%esi), %eax                          /* entries = (size - 16) / 24 */
    subl $16, %eax
    xorl %edx, %edx
    movl $24, %ecx
    divl %ecx
    movl %eax, mb2_start_info + 48              /* memmap_entries */
    leal 16(%esi), %edx
    movl %edx, mb2_start_info + 40              /* memmap_paddr (low half) */
3:  movl 4(%esi), %eax                          /* next tag: size rounded up to 8 */
    addl $7, %eax
    andl $~7, %eax
    addl %eax, %esi
    jmp 1b
4:  movl $mb2_start_info, %ebx
    jmp pvh_start32
9:  hlt
    jmp 9b
    .size mb2_start32, . - mb2_start32

/* The start info we build: in .data, since pvh_start32 zeroes .bss first. */
    .section .data.mb2_start_info, "aw", @progbits
    .balign 8
mb2_start_info:
    .long PVH_START_MAGIC                       /*  0 magic */
    .long 1                                     /*  4 version (has the memory map fields) */
    .long 0                                     /*  8 flags */
    .long 0                                     /* 12 nr_modules */
    .quad 0                                     /* 16 modlist_paddr */
    .quad 0                                     /* 24 cmdline_paddr */
    .quad 0                                     /* 32 rsdp_paddr (unused by the kernel) */
    .quad 0                                     /* 40 memmap_paddr */
    .long 0                                     /* 48 memmap_entries */
    .long 0                                     /* 52 reserved */
