/* Where stage 2 keeps things in low memory. Everything stage 2 owns lies
 * below 1 MiB, where the kernel never loads (we refuse segments below 1 MiB),
 * so loading the kernel cannot overwrite the loader or the start info.
 *
 *   0x00000-0x004ff  BIOS interrupt table and data area (left alone)
 *   0x01000-0x01c3f  struct pvh_start_info + pvh_memmap_entry[128]  (for the kernel)
 *   0x02000-0x07bff  stack (grows down from 0x7c00)
 *   0x07c00-0x07dff  the MBR, stage 1 (still there; not used by stage 2)
 *   0x08000-0x0ffff  stage 2: code, data, bss (16-bit addressable, so the
 *                    real-mode call thunk can run from it)
 *   0x10000-0x1fdff  disk bounce buffer, 127 sectors (never crosses 64 KiB)
 *   0x20000-0x2ffff  ELF header and program headers
 *   0x30000-0x3ffff  ELF notes
 */
#pragma once

#define STAGE2_ADDR         0x8000
#define STAGE2_MAGIC        0x32485450u   /* "PTH2": stage 1 checks it */
#define STACK_TOP           0x7c00

#define START_INFO_ADDR     0x1000
#define MEMMAP_ADDR         0x1040
#define MEMMAP_MAX          128

#define BOUNCE_ADDR         0x10000
#define BOUNCE_SECTORS      127           /* the largest count every BIOS takes */

#define ELF_HEADERS_ADDR    0x20000
#define ELF_HEADERS_MAX     0x10000
#define ELF_NOTES_ADDR      0x30000
#define ELF_NOTES_MAX       0x10000

#define KERNEL_MIN_PADDR    0x100000      /* kernels load at or above 1 MiB */

/* GDT selectors (stage2.S). */
#define SEL_CODE32          0x08
#define SEL_DATA32          0x10
#define SEL_CODE16          0x18
#define SEL_DATA16          0x20
#define SEL_TSS             0x28
