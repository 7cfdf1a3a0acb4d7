/* Stage 2's assembly: the real-mode entry from stage 1, the GDT, the
 * protected-mode <-> real-mode thunk used for every BIOS call, and the final
 * jump into the kernel's PVH entry.
 *
 * Why protected mode with a thunk rather than unreal mode: SeaBIOS (and
 * other BIOSes) run parts of INT 13h in 32-bit mode and reload segment
 * registers with 64 KiB limits on the way back, silently undoing unreal
 * mode. Running our C in flat protected mode and entering real mode only
 * for the `int` instruction is immune to that. */

#include "layout.h"

/* Offsets in struct bios_regs (bios.h). */
#define R_EAX 0
#define R_EBX 4
#define R_ECX 8
#define R_EDX 12
#define R_ESI 16
#define R_EDI 20
#define R_EBP 24
#define R_EFLAGS 28
#define R_DS 32
#define R_ES 34
#define R_SIZE 36

        .section .text.entry, "ax"
        .code16
        .globl _start
_start:
        .long STAGE2_MAGIC
        /* Stage 1 jumps here (0000:8004) with DL = boot drive. */
        cli
        cld
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movl $STACK_TOP, %esp
        movzbl %dl, %ebp

        /* The sectors after stage 2's file are not guaranteed to be zero. */
        movw $__bss_start, %di
        movw $__bss_end, %cx
        subw %di, %cx
        xorb %al, %al
        rep stosb

        lgdtl gdt_desc
        movl %cr0, %eax
        orb $1, %al
        movl %eax, %cr0
        ljmpl $SEL_CODE32, $1f

        .code32
1:      movw $SEL_DATA32, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl $STACK_TOP, %esp
        pushl %ebp                      /* stage2_main(boot drive) */
        call stage2_main
        jmp halt_forever

        .text
/* void bios_int(uint8_t vector, struct bios_regs *regs) */
        .code32
        .globl bios_int
bios_int:
        pushl %ebp
        pushl %ebx
        pushl %esi
        pushl %edi
        movl 20(%esp), %eax
        movb %al, int_vector            /* the far jumps below flush prefetch */
        movl 24(%esp), %esi
        movl $rm_regs, %edi
        movl $R_SIZE / 4, %ecx
        rep movsl
        movl %esp, saved_esp

        /* Through 16-bit protected mode, so the segment caches hold real-mode
         * limits (64 KiB) when PE is cleared. */
        ljmp $SEL_CODE16, $2f
        .code16
2:      movw $SEL_DATA16, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl %cr0, %eax
        andb $0xfe, %al
        movl %eax, %cr0
        ljmp $0, $3f

3:      xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movw rm_regs + R_ES, %es
        movl rm_regs + R_EAX, %eax
        movl rm_regs + R_EBX, %ebx
        movl rm_regs + R_ECX, %ecx
        movl rm_regs + R_EDX, %edx
        movl rm_regs + R_ESI, %esi
        movl rm_regs + R_EDI, %edi
        movl rm_regs + R_EBP, %ebp
        pushw rm_regs + R_DS
        popw %ds
        sti                             /* the BIOS may wait on timer/disk IRQs */
        .byte 0xcd                      /* int $vector */
int_vector:
        .byte 0
        cli
        /* DS may be anything now; CS is 0 and writable in real mode. */
        movl %eax, %cs:rm_regs + R_EAX
        movl %ebx, %cs:rm_regs + R_EBX
        movl %ecx, %cs:rm_regs + R_ECX
        movl %edx, %cs:rm_regs + R_EDX
        movl %esi, %cs:rm_regs + R_ESI
        movl %edi, %cs:rm_regs + R_EDI
        movl %ebp, %cs:rm_regs + R_EBP
        movw %ds, %cs:rm_regs + R_DS
        movw %es, %cs:rm_regs + R_ES
        pushfl
        popl %cs:rm_regs + R_EFLAGS

        xorw %ax, %ax
        movw %ax, %ds
        lgdtl gdt_desc
        movl %cr0, %eax
        orb $1, %al
        movl %eax, %cr0
        ljmpl $SEL_CODE32, $4f

        .code32
4:      movw $SEL_DATA32, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        movl saved_esp, %esp
        cld
        movl 24(%esp), %edi
        movl $rm_regs, %esi
        movl $R_SIZE / 4, %ecx
        rep movsl
        popl %edi
        popl %esi
        popl %ebx
        popl %ebp
        ret

/* void enter_kernel(uint32_t entry, uint32_t start_info): the PVH boot ABI.
 * 32-bit protected mode, flat CS/DS/ES/SS (base 0, limit 4 GiB), paging off,
 * CR4 = 0, EFLAGS = 0x2 (IF, TF, VM clear), TR = a 32-bit TSS with base 0 and
 * limit 0x67, EBX = start info. Other GPRs are zero; ESP = STACK_TOP, a
 * small usable stack in low memory (the ABI does not promise one). */
        .globl enter_kernel
enter_kernel:
        movl 4(%esp), %eax
        movl 8(%esp), %ebx
        movl $STACK_TOP - 4, %esp
        movl %eax, (%esp)               /* `ret` below jumps there */
        movw $SEL_TSS, %ax
        ltr %ax
        xorl %eax, %eax
        movl %eax, %cr4
        pushl $0x2
        popfl
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %esi, %esi
        xorl %edi, %edi
        xorl %ebp, %ebp
        ret

        .globl halt_forever
halt_forever:
        cli
        hlt
        jmp halt_forever

        .data
        .balign 8
gdt:    .quad 0
        .quad 0x00cf9a000000ffff        /* SEL_CODE32: flat 4 GiB code */
        .quad 0x00cf92000000ffff        /* SEL_DATA32: flat 4 GiB data */
        .quad 0x00009a000000ffff        /* SEL_CODE16: 64 KiB, for leaving PE */
        .quad 0x000092000000ffff        /* SEL_DATA16 */
        .quad 0x0000890000000067        /* SEL_TSS: 32-bit TSS, base 0, limit 0x67 */
gdt_end:
        .balign 4
        .word 0
gdt_desc:
        .word gdt_end - gdt - 1
        .long gdt

        .bss
        .balign 4
rm_regs:
        .skip R_SIZE
saved_esp:
        .skip 4
