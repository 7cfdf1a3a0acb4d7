/* Where a second CPU starts. A startup IPI puts it in real mode at
 * AP_TRAMPOLINE_PA (kernel/smp.c copies this code there, below 1 MiB, where
 * a SIPI's page number can point). It goes straight to long mode: PAE, the
 * boot page table kernel/smp.c built in the pages after this one (the
 * first 2 MiB identity-mapped for the next few instructions, the kernel's
 * upper half shared), LME, then paging and protection together and a far
 * jump into a 64-bit segment. From there it takes its stack and calls
 * ap_entry(struct cpu *) in the higher half, which moves to the kernel's
 * own page table (this code's page is not mapped there). The mailbox at the end is written by the boot CPU before
 * each startup IPI; only one CPU starts at a time. */
#include "smp_layout.h"
#include "../boot/long_mode.h"

#define TRAMP(sym) (AP_TRAMPOLINE_PA + (sym) - ap_trampoline_start)

        .section .rodata
        .balign 16
        .globl ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
        .code16
        cli
        cld
        xorw %ax, %ax
        movw %ax, %ds
        lgdtl TRAMP(tramp_gdt_desc)
        ENTER_LONG_MODE TRAMP(ap_mailbox_boot_cr3)
        ljmpl $0x08, $TRAMP(tramp_long_mode)

        .code64
tramp_long_mode:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movq TRAMP(ap_mailbox_stack), %rsp
        movq TRAMP(ap_mailbox_cpu), %rdi
        movq TRAMP(ap_mailbox_entry), %rbx
        xorl %ebp, %ebp
        callq *%rbx
1:      hlt
        jmp 1b

        .balign 8
tramp_gdt:
        .quad 0
        .quad 0x00af9a000000ffff                /* 0x08: 64-bit code */
        .quad 0x00cf92000000ffff                /* 0x10: data */
tramp_gdt_desc:
        .word tramp_gdt_desc - tramp_gdt - 1
        .long TRAMP(tramp_gdt)

        .balign 8
        .globl ap_mailbox_boot_cr3, ap_mailbox_stack, ap_mailbox_cpu, ap_mailbox_entry
ap_mailbox_boot_cr3:    .quad 0
ap_mailbox_stack:       .quad 0
ap_mailbox_cpu:         .quad 0
ap_mailbox_entry:       .quad 0
ap_trampoline_end:
