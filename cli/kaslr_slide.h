/* The kernel's KASLR switch for one `pith run` (the fw_cfg file
 * opt/pith/kaslr, docs/boot.md). Under --gdb pith chooses the slide itself,
 * from the same range the kernel's own choice uses, so the gdb command it
 * prints can give the kernel's symbols at their real addresses. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* The slides the kernel would choose from for the kernel ELF at path
 * (boot/kaslr/kaslr_boot.c): every multiple of KASLR_ALIGN up to *max_slide.
 * 0, or -1 (why says what) if the file is not a Pith kernel. */
int kaslr_slide_range(const char *kernel_elf, uint64_t *max_slide, char *why, size_t whylen);

/* What to put in opt/pith/kaslr: "off" with --no-kaslr (*slide = 0);
 * under --gdb "slide=0x..." with a random slide from the kernel's range
 * (in *slide); else NULL (no file: the kernel picks). If the kernel cannot
 * be read, "off" and a line on stderr saying why. */
const char *kaslr_run_setting(int no_kaslr, int gdb, const char *kernel_elf, uint64_t *slide, char *buf, size_t len);
