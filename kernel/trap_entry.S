/* Entry and exit for every trap, interrupt and system call. All of them
 * build a struct trap_frame (kernel/trap.h) and leave through trap_exit,
 * so signals and thread switches later have a single frame to edit. */
#include "percpu.h"
#include "segments.h"

.macro SAVE_REGS
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

.macro RESTORE_REGS
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
.endm

/* Vectors whose CPU frame carries an error code. */
.macro VECTOR n
        .balign 16
vector_\n:
.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
.else
        pushq $0
.endif
        pushq $\n
        jmp trap_common
.endm

        .text
        .globl trap_vectors
        .balign 16
trap_vectors:
.altmacro
.set i, 0
.rept 256
        VECTOR %i
.set i, i + 1
.endr

trap_common:
        /* vector and error code are on the stack; 16+8 bytes above is CS */
        testb $3, 24(%rsp)
        jz 1f
        swapgs
1:      SAVE_REGS
        cld
        /* An interrupt inside usercopy arrives with RFLAGS.AC set: close
         * SMAP for the handler (iretq restores the copy's AC). */
        testb $1, smap_enabled(%rip)
        jz 3f
        clac
3:      movq %rsp, %rdi
        call trap_handler
        testb $3, 144(%rsp)             /* frame's CS: back to ring 3? */
        jz trap_exit
        movq %rsp, %rdi
        call user_return                /* the one return-to-user point: preemption, signals */
        jmp trap_exit

        .globl trap_exit
trap_exit:
        cli
        RESTORE_REGS
        addq $16, %rsp                  /* vector, error */
        testb $3, 8(%rsp)
        jz 2f
        swapgs
2:      iretq

/* return_to_user(frame): start (or resume) ring 3 from a frame anywhere. */
        .globl return_to_user
return_to_user:
        movq %rdi, %rsp
        jmp trap_exit

/* SYSCALL arrives with the user %rip in %rcx and %rflags in %r11, on the user
 * stack. Switch stacks first, then build a frame like an interrupt's. */
        .globl syscall_entry
syscall_entry:
        swapgs
        movq %rsp, %gs:CPU_USER_RSP
        movq %gs:CPU_KERNEL_RSP, %rsp
        pushq $USER_DS
        pushq %gs:CPU_USER_RSP
        pushq %r11
        pushq $USER_CS
        pushq %rcx
        pushq $0
        pushq $-1
        SAVE_REGS
        cld
        sti
        movq %rsp, %rdi
        call syscall_dispatch
        movq %rsp, %rdi
        call user_return
        jmp trap_exit

/* Table of the 256 stubs for idt_init. */
.macro VECTORADDR n
        .quad vector_\n
.endm
        .section .rodata
        .globl trap_vector_table
        .balign 8
trap_vector_table:
.set i, 0
.rept 256
        VECTORADDR %i
.set i, i + 1
.endr
