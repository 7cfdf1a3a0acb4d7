/* From UEFI's 64-bit identity-mapped world to the kernel's PVH entry:
 * 32-bit protected mode, paging off, %ebx = start info (boot/README.md).
 * Copied by loader.c to a page below 4 GiB and called there as
 * enter_pvh(entry %rdi, start_info %rsi, stack_top %rdx); everything here is
 * position-independent (rip-relative, or registers). */
        .text
        .code64
        .globl enter_pvh, enter_pvh_end
enter_pvh:
        cli
        /* Load our GDT (32-bit code 0x08, data 0x10) from this copy. */
        leaq gdt(%rip), %rax
        subq $16, %rsp
        movw $(gdt_end - gdt - 1), (%rsp)
        movq %rax, 2(%rsp)
        lgdt (%rsp)
        /* Far return into 32-bit compatibility mode, still paged. */
        leaq 1f(%rip), %rax
        pushq $0x08
        pushq %rax
        lretq
        .code32
1:      movl $0x10, %eax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl %edx, %esp
        /* Paging off (this page is identity-mapped), which leaves long
         * mode; then clear EFER.LME and CR4 as a BIOS would leave them. */
        movl %cr0, %eax
        andl $0x7fffffff, %eax
        movl %eax, %cr0
        movl $0xc0000080, %ecx
        rdmsr
        andl $~0x100, %eax
        wrmsr
        xorl %eax, %eax
        movl %eax, %cr4
        movl %esi, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %ebp, %ebp
        jmp *%edi

        .balign 8
gdt:    .quad 0
        .quad 0x00cf9a000000ffff        /* 0x08: code, base 0, 4 GiB, 32-bit */
        .quad 0x00cf92000000ffff        /* 0x10: data, base 0, 4 GiB */
gdt_end:
enter_pvh_end:

        .section .note.GNU-stack, "", @progbits
