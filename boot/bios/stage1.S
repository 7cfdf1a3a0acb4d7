/* Stage 1: the MBR boot code (at most 440 bytes; the image writer adds the
 * partition table and the 0x55AA signature).
 *
 * The BIOS loads us at 0x7c00 in real mode with DL = boot drive. We read the
 * 63 sectors after the MBR (LBA 1..63, stage 2) to 0x8000 with one INT 13h
 * extended read, check stage 2's magic and jump to its entry with DL intact.
 * We stay at 0x7c00 (no relocation), so stage 2 may still find the MBR there.
 *
 * On failure we print one word to the screen and to COM1 and halt. */

#include "layout.h"                     /* STAGE2_ADDR, STAGE2_MAGIC */

#define STAGE2_SECTORS  63
#define COM1            0x3f8

        .code16
        .section .text
        .globl _start
_start:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $0x7c00, %sp
        /* Some BIOSes enter at 07c0:0000; make CS:IP agree with our link address. */
        ljmp $0, $1f
1:      sti
        cld
        movb %dl, boot_drive

        /* Extended reads need the EDD extensions; say so plainly if absent. */
        movb $0x41, %ah
        movw $0x55aa, %bx
        int $0x13
        movw $msg_nolba, %si
        jc fail
        cmpw $0xaa55, %bx
        jne fail
        testb $1, %cl
        jz fail

        /* 63 sectors to 0000:8000 end at 0xfe00: no 64 KiB boundary is
         * crossed and the count is under every BIOS's 127-sector limit.
         * Retry a few times with a disk reset: real drives can spin up late. */
        movw $3, %di
read:   movw $STAGE2_SECTORS, dap_count  /* a failed call may have changed it */
        movw $dap, %si
        movb boot_drive, %dl
        movb $0x42, %ah
        int $0x13
        jnc loaded
        xorb %ah, %ah
        movb boot_drive, %dl
        int $0x13
        decw %di
        jnz read
        movw $msg_disk, %si
        jmp fail

loaded: movw $msg_nostage2, %si
        cmpl $STAGE2_MAGIC, STAGE2_ADDR
        jne fail
        movb boot_drive, %dl
        ljmp $0, $STAGE2_ADDR + 4

/* Print the NUL-terminated string at DS:SI on screen and COM1, then halt. */
fail:   lodsb
        testb %al, %al
        jz halt
        movb %al, %cl
        movw $COM1 + 5, %dx             /* line status: wait for room, not forever */
        movw $0xffff, %bx
2:      inb %dx, %al
        testb $0x20, %al
        jnz 3f
        decw %bx
        jnz 2b
3:      movw $COM1, %dx
        movb %cl, %al
        outb %al, %dx
        movb $0x0e, %ah
        movw $0x0007, %bx
        int $0x10
        jmp fail
halt:   cli
        hlt
        jmp halt

msg_disk:       .asciz "pith: disk error\r\n"
msg_nolba:      .asciz "pith: no LBA\r\n"
msg_nostage2:   .asciz "pith: no stage2\r\n"

        .balign 4
dap:    .byte 16, 0                     /* size of this packet, reserved */
dap_count:
        .word STAGE2_SECTORS
        .word STAGE2_ADDR, 0            /* buffer offset, segment */
        .quad 1                         /* first LBA */
boot_drive:
        .byte 0
