/* Where KASLR may put the kernel image, shared by the build tool that makes
 * the relocation table (mk/kreloc.c), the early boot code that applies it
 * (boot/kaslr/kaslr_boot.c) and the kernel. docs/memory.md has the picture. */
#pragma once

/* The link-time base: physical address P of the image is mapped at
 * KASLR_LINK_BASE + P when the slide is 0. */
#define KASLR_LINK_BASE 0xffffffff80000000ull
/* The image must end below this: the top 16 MiB hold the legacy vsyscall
 * page (0xffffffffff600000), which must stay unmapped so a call there
 * faults and kernel/trap.c can emulate it. Staying in the top 2 GiB keeps
 * -mcmodel=kernel's sign-extended 32-bit addresses valid. */
#define KASLR_VA_LIMIT 0xffffffffff000000ull
/* The slide is a multiple of a page: the kernel maps its image with 4 KiB
 * pages (kernel/paging.c) and no kernel section asks for more alignment
 * (mk/kreloc.c refuses one that does). */
#define KASLR_ALIGN 4096ull
/* The boot page tables map the image with this many page tables (2 MiB
 * each); mk/kreloc.c refuses an image that would not fit. */
#define KASLR_BOOT_PTS 8
/* The table the build embeds (section .kreloc): a header, then the image
 * offsets (physical addresses) of the 64-bit fields, then of the 32-bit
 * fields, whose value is computed from a kernel address. */
struct kreloc_header {
    unsigned int magic, count64, count32, reserved;
};
#define KRELOC_MAGIC 0x6c65726bu /* "krel" */
