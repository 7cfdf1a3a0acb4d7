/* Entering long mode, for the two places a CPU does it: the boot CPU's PVH
 * entry (32-bit protected mode) and the other CPUs' trampoline (real mode;
 * the same instructions with operand-size prefixes). An assembler macro:
 * include it from .S files only. The caller follows it with a far jump to
 * a 64-bit code segment. */
#pragma once

#define MSR_EFER_NUMBER 0xc0000080
#define LONG_MODE_CR4 (1 << 5)                          /* PAE */
#define LONG_MODE_EFER ((1 << 8) | (1 << 11) | (1 << 0)) /* LME, NXE, SCE */
#define LONG_MODE_CR0 ((1 << 31) | (1 << 16) | 1)        /* PG, WP, PE */

/* cr3: where the first page table's physical address is (a register or
 * memory operand for movl); clobbers %eax, %ecx, %edx. */
.macro ENTER_LONG_MODE cr3
        movl \cr3, %eax
        movl %eax, %cr3
        movl %cr4, %eax
        orl $LONG_MODE_CR4, %eax
        movl %eax, %cr4
        movl $MSR_EFER_NUMBER, %ecx
        rdmsr
        orl $LONG_MODE_EFER, %eax
        wrmsr
        movl %cr0, %eax
        orl $LONG_MODE_CR0, %eax
        movl %eax, %cr0
.endm
