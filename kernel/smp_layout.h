/* Fixed low pages for starting the other CPUs (kernel/ap_trampoline.S,
 * kernel/smp.c). A startup IPI names a 4 KiB page below 1 MiB; these lie
 * below the BIOS stage 1 (0x7c00) and above the real-mode IVT and BIOS data
 * area, in memory the page allocator never hands out (everything below the
 * kernel's end is reserved) and nothing needs once kmain has copied the
 * boot information. */
#pragma once

#define AP_TRAMPOLINE_PA 0x1000     /* the code and its mailbox */
#define AP_BOOT_PML4_PA 0x2000      /* its page table: PML4, */
#define AP_BOOT_PDPT_PA 0x3000      /* one PDPT and */
#define AP_BOOT_PD_PA 0x4000        /* one PD identity-mapping the first 2 MiB */
#define AP_LOW_END 0x5000
