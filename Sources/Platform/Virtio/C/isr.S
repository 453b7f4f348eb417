/*
 * isr.S — interrupt and exception entry stubs (Intel SDM Vol. 3A §6.12–6.14).
 *
 * Exceptions 0–31 are fatal: each stub pushes a dummy error code when the CPU
 * pushes none (SDM Vol. 3A Table 6-1: 8, 10–14, 17, 21, 29, 30 have one), then
 * its vector, saves the general registers as `struct virtio_trap_frame`
 * (virtio_hw.h) and calls virtio_trap (traps.swift), which prints one line
 * and exits. #PF, #DF, #GP and #SS run on their own IST stacks (traps.c), so
 * a stack overflow into the guard page is still reported.
 *
 * Interrupts: the LAPIC timer (VIRTIO_TIMER_VECTOR) counts a tick and sends
 * an EOI; legacy PIC vectors 0x20–0x2F (masked, but a spurious IRQ 7/15 can
 * still arrive) and the LAPIC spurious vector 0xFF are ignored without EOI
 * (SDM Vol. 3A §11.9); any other vector gets an EOI and is ignored.
 */

    .text
    .code64

/* The general registers in `struct virtio_trap_frame` order (virtio_hw.h): the trap and profiler entries. */
.macro SAVE_GPRS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro EXC n, has_error
    .balign 16
exc_\n:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\n
    jmp trap_common
.endm

EXC 0, 0
EXC 1, 0
EXC 2, 0
EXC 3, 0
EXC 4, 0
EXC 5, 0
EXC 6, 0
EXC 7, 0
EXC 8, 1
EXC 9, 0
EXC 10, 1
EXC 11, 1
EXC 12, 1
EXC 13, 1
EXC 14, 1
EXC 15, 0
EXC 16, 0
EXC 17, 1
EXC 18, 0
EXC 19, 0
EXC 20, 0
EXC 21, 1
EXC 22, 0
EXC 23, 0
EXC 24, 0
EXC 25, 0
EXC 26, 0
EXC 27, 0
EXC 28, 0
EXC 29, 1
EXC 30, 1
EXC 31, 0

trap_common:
    SAVE_GPRS
    cld
    movq %rsp, %rdi
    andq $-16, %rsp
    call virtio_trap                        /* never returns */
1:  cli
    hlt
    jmp 1b

/* LAPIC timer: count, EOI, return. Without the profiler it is only ever taken inside yield's sti;hlt. With it
 * (profile.c) it interrupts running code too, and jumps to virtio_isr_profile, which the profiler set when it
 * started: an image that never starts it links none of the profiler's code (that entry has its own section). */
    .balign 16
    .globl virtio_isr_timer
virtio_isr_timer:
    cmpq $0, virtio_profile_isr(%rip)
    jne 1f
    pushq %rax
    pushq %rcx
    pushq %rdx
    lock incq virtio_timer_ticks(%rip)
    call lapic_eoi
    popq %rdx
    popq %rcx
    popq %rax
    iretq
1:  jmp *virtio_profile_isr(%rip)

/* The profiler's timer entry: the registers are saved as a virtio_trap_frame, the SSE state with FXSAVE (the
 * interrupted code owns it), and virtio_profile_tick records a sample, re-arms and sends the EOI. The profiler
 * gives the gate its own IST stack (traps.c), so no interrupted stack is written. */
    .section .text.virtio_isr_profile,"ax",@progbits
    .balign 16
    .globl virtio_isr_profile
virtio_isr_profile:
    pushq $0                                /* error */
    pushq $0xEF                             /* vector */
    SAVE_GPRS
    cld
    movq %rsp, %rdi
    movq %rsp, %rbx                         /* callee-saved: survives the call */
    andq $-16, %rsp
    subq $512, %rsp
    fxsave64 (%rsp)
    call virtio_profile_tick
    fxrstor64 (%rsp)
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq
    .text

/* Any other LAPIC-delivered vector (the devices' VIRTIO_DEVICE_VECTOR): count, EOI and ignore. */
    .balign 16
    .globl virtio_isr_eoi
virtio_isr_eoi:
    pushq %rax
    pushq %rcx
    pushq %rdx
    lock incq virtio_device_interrupts(%rip)
    call lapic_eoi
    popq %rdx
    popq %rcx
    popq %rax
    iretq

/* PIC spurious IRQs and the LAPIC spurious vector: no EOI (SDM Vol. 3A §11.9). */
    .balign 16
    .globl virtio_isr_ignore
virtio_isr_ignore:
    iretq

/* EOI to the local APIC: xAPIC MMIO write, or the x2APIC EOI MSR (0x80B). Clobbers rax, rcx, rdx. */
lapic_eoi:
    movq virtio_lapic_eoi(%rip), %rax
    testq %rax, %rax
    jz 2f
    cmpq $1, %rax
    je 1f
    movl $0, (%rax)
    ret
1:  movl $0x80B, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
2:  ret

    .section .rodata.isr, "a", @progbits
    .balign 8
    .globl virtio_exception_stubs
virtio_exception_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exc_\n
    .endr
