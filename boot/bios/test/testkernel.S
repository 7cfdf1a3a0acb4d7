/* A stand-in kernel for testing the BIOS boot path. stage 2 must enter it
 * through its PVH note in 32-bit protected mode with EBX -> start info.
 * It checks what a real kernel relies on and reports on COM1:
 *   - start info magic/version, the memmap (printed), CPU mode (PE on, PG off, IF off)
 *   - every word of the pattern segment (PATTERN_BYTES, made by mkpattern.pl)
 *     and the end marker after it: the whole file was copied, in order
 *   - the bss after the pattern is zero. With -DREBOOT_TEST it first dirties
 *     the bss and resets the machine (RAM survives a reset), so the second
 *     boot proves stage 2 zeroes bss rather than finding it zero.
 * Then it writes to isa-debug-exit: 0 = pass (QEMU exits 1), 1 = fail (3). */

#define COM1 0x3f8
#define PVH_MAGIC 0x336ec578
#define PATTERN_MUL 0x9e3779b1
#define PATTERN_ADD 0x12345678
#define REBOOT_FLAG_ADDR 0x800000
#define REBOOT_FLAG 0x52424f4f          /* "OOBR": set before the reset */
#define BSS_BYTES 0x40000

        .section .note.Xen, "a", @note
        .balign 4
        .long 4, 4, 1                   /* another Xen note first: must be skipped */
        .asciz "Xen"
        .long 0
#ifndef NO_PVH_NOTE                     /* -DNO_PVH_NOTE: the error path */
        .long 4, 8, 18                  /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz "Xen"
        .balign 4
        .quad test_entry
#endif

        .section .text, "ax"
        .code32
        .globl test_entry
test_entry:
        movl $0x80000, %esp             /* low memory, ours to use now */
        movl %ebx, start_info
        cmpl $PVH_MAGIC, (%ebx)
        jne fail_magic
        cmpl $1, 4(%ebx)
        jne fail_version

        /* CPU state promised by the PVH ABI. */
        movl %cr0, %eax
        testl $1, %eax
        jz fail_mode
        testl $0x80000000, %eax
        jnz fail_mode
        pushfl
        popl %eax
        testl $0x200, %eax
        jnz fail_mode

#ifdef REBOOT_TEST
        cmpl $REBOOT_FLAG, REBOOT_FLAG_ADDR
        je 1f
        movl $REBOOT_FLAG, REBOOT_FLAG_ADDR
        movl $msg_reboot, %esi
        call puts
        movl $bss_start, %edi
        movl $BSS_BYTES / 4, %ecx
        movl $0xaaaaaaaa, %eax
        rep stosl
        movb $0xfe, %al                 /* keyboard controller: pulse reset */
        outb %al, $0x64
        hlt
1:
#endif

        movl $msg_ok1, %esi
        call puts
        movl start_info, %ebx
        movl 48(%ebx), %eax             /* memmap_entries */
        call putdec
        movl $msg_ok2, %esi
        call puts

        /* The memmap, one line per entry: addr size type. */
        movl 48(%ebx), %ecx             /* memmap_entries */
        movl 40(%ebx), %edi             /* memmap_paddr (low half) */
2:      testl %ecx, %ecx
        jz 3f
        movl $msg_mm, %esi
        call puts
        movl 4(%edi), %eax
        call puthex
        movl 0(%edi), %eax
        call puthex
        movb $' ', %al
        call putc
        movl 12(%edi), %eax
        call puthex
        movl 8(%edi), %eax
        call puthex
        movb $' ', %al
        call putc
        movl 16(%edi), %eax
        call putdec
        movl $msg_nl, %esi
        call puts
        addl $24, %edi
        decl %ecx
        jmp 2b
3:
        movl $msg_rsdp, %esi
        call puts
        movl 32(%ebx), %eax             /* rsdp_paddr (low half) */
        call puthex
        movl $msg_nl, %esi
        call puts

        /* Every pattern word, then the end marker. */
        movl $pattern_start, %esi
        xorl %ecx, %ecx
4:      cmpl $pattern_end, %esi
        jae 5f
        movl %ecx, %eax
        imull $PATTERN_MUL, %eax
        addl $PATTERN_ADD, %eax
        cmpl %eax, (%esi)
        jne fail_pattern
        addl $4, %esi
        incl %ecx
        jmp 4b
5:      cmpl $0x48544950, end_marker    /* "PITHEND!" */
        jne fail_marker
        cmpl $0x21444e45, end_marker + 4
        jne fail_marker
        movl $msg_pattern, %esi
        call puts
        movl $pattern_end - pattern_start, %eax
        call putdec
        movl $msg_bytes, %esi
        call puts

        movl $bss_start, %esi
6:      cmpl $bss_start + BSS_BYTES, %esi
        jae 7f
        cmpl $0, (%esi)
        jne fail_bss
        addl $4, %esi
        jmp 6b
7:      movl $msg_bss, %esi
        call puts
        movl $0, %eax
        outl %eax, $0xf4
        hlt

fail_magic:     movl $msg_fail_magic, %esi
                jmp fail
fail_version:   movl $msg_fail_version, %esi
                jmp fail
fail_mode:      movl $msg_fail_mode, %esi
                jmp fail
fail_pattern:   movl $msg_fail_pattern, %esi
                jmp fail
fail_marker:    movl $msg_fail_marker, %esi
                jmp fail
fail_bss:       movl $msg_fail_bss, %esi
fail:   call puts
        movl $1, %eax
        outl %eax, $0xf4
        cli
        hlt

/* putc(al), puts(esi), putdec(eax), puthex(eax): preserve other registers. */
putc:   pushl %edx
        pushl %eax
        movw $COM1 + 5, %dx
1:      inb %dx, %al
        testb $0x20, %al
        jz 1b
        popl %eax
        movw $COM1, %dx
        outb %al, %dx
        popl %edx
        ret
puts:   pushl %eax
        pushl %esi
1:      lodsb
        testb %al, %al
        jz 2f
        call putc
        jmp 1b
2:      popl %esi
        popl %eax
        ret
putdec: pushal
        movl $10, %ebx
        xorl %ecx, %ecx
1:      xorl %edx, %edx
        divl %ebx
        pushl %edx
        incl %ecx
        testl %eax, %eax
        jnz 1b
2:      popl %eax
        addb $'0', %al
        call putc
        loop 2b
        popal
        ret
puthex: pushal
        movl %eax, %edx
        movl $8, %ecx
1:      roll $4, %edx
        movl %edx, %eax
        andl $0xf, %eax
        movb hexdigits(%eax), %al
        call putc
        loop 1b
        popal
        ret

        .section .rodata, "a"
hexdigits:      .ascii "0123456789abcdef"
msg_ok1:        .asciz "stage2 ok, "
msg_ok2:        .asciz " memmap entries\n"
msg_mm:         .asciz "  memmap "
msg_nl:         .asciz "\n"
msg_rsdp:       .asciz "  rsdp "
msg_pattern:    .asciz "pattern ok, "
msg_bytes:      .asciz " bytes\n"
msg_bss:        .asciz "bss zero ok\n"
msg_reboot:     .asciz "bss dirtied, rebooting\n"
msg_fail_magic: .asciz "FAIL: start info magic\n"
msg_fail_version: .asciz "FAIL: start info version\n"
msg_fail_mode:  .asciz "FAIL: CPU mode (PE/PG/IF)\n"
msg_fail_pattern: .asciz "FAIL: pattern mismatch\n"
msg_fail_marker: .asciz "FAIL: end marker missing\n"
msg_fail_bss:   .asciz "FAIL: bss not zero\n"

        .section .data, "aw"
        .balign 4
start_info:     .long 0
pattern_start:
        .incbin PATTERN_FILE
pattern_end:
end_marker:     .ascii "PITHEND!"

        .section .bss, "aw", @nobits
        .balign 4
bss_start:
        .skip BSS_BYTES
