/* The PVH way in. QEMU's `-kernel` (and our BIOS stage 2, which imitates it)
 * jumps here in 32-bit protected mode, paging off, with %ebx pointing at a
 * struct pvh_start_info. We build just enough page tables to reach long
 * mode, let KASLR (boot/kaslr/kaslr_boot.c) move the kernel to its random
 * address and map it there, then enter it; kernel/paging.c replaces these
 * tables at once. */

#include "../long_mode.h"

#define KERNEL_VMA 0xffffffff80000000
#define PTE_PRESENT 0x1
#define PTE_WRITE 0x2
#define PTE_LARGE 0x80

        .section .note.Xen, "a", @note
        .balign 4
        .long 4                 /* name size */
        .long 8                 /* descriptor size */
        .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .balign 4
        .quad pvh_start32

        .section .boot.text, "ax"
        .code32
        .globl pvh_start32
pvh_start32:
        cli
        cld
        movl %ebx, %esi                 /* keep the start info pointer */
        lgdt boot_gdt_desc
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs

        /* Clear the four boot page-table pages. */
        movl $boot_pml4, %edi
        xorl %eax, %eax
        movl $(4 * 4096 / 4), %ecx
        rep stosl

        /* 1 GiB of 2 MiB pages, reachable from two places: identity (for
         * the code up to the jump to kmain) and the direct map. kaslr_boot
         * maps the kernel image in boot_pdpt_high. */
        movl $boot_pd, %edi
        movl $(PTE_PRESENT | PTE_WRITE | PTE_LARGE), %eax
        movl $512, %ecx
1:      movl %eax, (%edi)
        addl $0x200000, %eax
        addl $8, %edi
        loop 1b

        movl $boot_pd + (PTE_PRESENT | PTE_WRITE), %eax
        movl %eax, boot_pdpt_low
        movl $boot_pdpt_low + (PTE_PRESENT | PTE_WRITE), %eax
        movl %eax, boot_pml4
        movl %eax, boot_pml4 + 256 * 8
        movl $boot_pdpt_high + (PTE_PRESENT | PTE_WRITE), %eax
        movl %eax, boot_pml4 + 511 * 8

        ENTER_LONG_MODE $boot_pml4
        ljmp $0x08, $boot_long_mode

        .code64
boot_long_mode:
        /* kaslr_boot runs at physical addresses (on the boot stack's, too)
         * and patches the movabsq immediates below before they run. */
        movl $(boot_stack_top - KERNEL_VMA), %esp
        xorl %ebp, %ebp
        movl %esi, %ebx                 /* callee-saved: the start info */
        movl $boot_pdpt_high, %edi
        movl $(kreloc_table - KERNEL_VMA), %esi
        movl $(_kernel_text_start - KERNEL_VMA), %edx
        movl $(_kernel_end - KERNEL_VMA), %ecx
        movl $(kaslr_slide - KERNEL_VMA), %r8d
        call kaslr_boot
        movabsq $boot_stack_top, %rsp
        movl %ebx, %edi                 /* kmain(start_info physical address) */
        movabsq $kmain, %rax
        callq *%rax
2:      hlt
        jmp 2b

        .section .boot.data, "aw"
        .balign 8
boot_gdt:
        .quad 0
        .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
        .quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_desc:
        .word boot_gdt_desc - boot_gdt - 1
        .long boot_gdt

        .section .boot.bss, "aw", @nobits
        .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096

        /* Written by kaslr_boot through the identity map, read-only after. */
        .section .rodata
        .balign 8
        /* struct kaslr_result (boot/kaslr/kaslr_boot.c), field by field. */
        .globl kaslr_slide, kaslr_report, kaslr_slots, kaslr_refused, kaslr_host_text
kaslr_slide:    .quad 0
kaslr_report:   .quad 0
kaslr_slots:    .quad 0
kaslr_refused:  .quad 0
kaslr_host_text: .skip 40

        /* The boot CPU's stack until the program's first thread runs: the
         * loader runs on it (program_load alone takes ~12 KiB) and so does
         * every interrupt meanwhile, lwIP's DHCP included. As big as a
         * thread's kernel stack, with a guard page below it that paging_init
         * leaves unmapped: an overflow double-faults instead of overwriting
         * the .bss below (16 KiB without a guard once zeroed smap_enabled,
         * and usercopy then faulted forever). */
        .section .bss
        .balign 4096
        .globl boot_stack_guard
boot_stack_guard:       .skip 4096
boot_stack:             .skip 65536
        .globl boot_stack_top
boot_stack_top:
