/* Stage 2's flow: gather what the kernel needs from the BIOS, load the
 * kernel ELF named by MBR entry 0, and enter it exactly as a PVH loader
 * (QEMU -kernel, Xen, Firecracker) would, so the kernel has one way in. */
#include "bios.h"
#include "layout.h"
#include "a20.h"
#include "disk.h"
#include "memmap.h"
#include "elf_load.h"
#include "rsdp.h"
#include "boot/pvh/start_info.h"

#define MBR_TYPE_PITH_KERNEL 0xda

struct mbr_partition {
    uint8_t status;
    uint8_t chs_first[3];
    uint8_t type;
    uint8_t chs_last[3];
    uint32_t start_lba;
    uint32_t sectors;
} __attribute__((packed));

/* Re-read LBA 0 rather than trusting 0x7c00: stage 2 then does not depend
 * on what stage 1 left in memory. */
static struct disk_extent find_kernel_partition(void)
{
    disk_read_sectors(0, 1);
    const uint8_t *mbr = (const uint8_t *)BOUNCE_ADDR;
    if (mbr[510] != 0x55 || mbr[511] != 0xaa)
        fatal("no MBR signature on the boot disk");
    struct mbr_partition p;
    memcpy(&p, mbr + 446, sizeof p);
    if (p.type != MBR_TYPE_PITH_KERNEL)
        fatal_code("no kernel partition (want type 0xda in MBR entry 0), found type", p.type);
    if (p.sectors == 0)
        fatal("kernel partition is empty");
    return (struct disk_extent){ .start_lba = p.start_lba, .sectors = p.sectors };
}

void stage2_main(uint32_t boot_drive);

void stage2_main(uint32_t boot_drive)
{
    disk_init((uint8_t)boot_drive);
    a20_enable();

    struct pvh_memmap_entry *map = (struct pvh_memmap_entry *)MEMMAP_ADDR;
    uint32_t map_n = memmap_collect(map, MEMMAP_MAX);

    struct disk_extent kernel = find_kernel_partition();
    uint32_t entry = elf_load_kernel(&kernel, map, map_n);

    struct pvh_start_info *si = (struct pvh_start_info *)START_INFO_ADDR;
    memset(si, 0, sizeof *si);
    si->magic = PVH_START_MAGIC;
    si->version = 1;
    si->rsdp_paddr = rsdp_find();
    si->memmap_paddr = MEMMAP_ADDR;
    si->memmap_entries = map_n;

#ifdef STAGE2_DEBUG
    debug_line("entering kernel at", entry);
#endif
    enter_kernel(entry, START_INFO_ADDR);
}
