/* INT 13h AH=42h reads into a fixed bounce buffer below 1 MiB (the BIOS can
 * only address the first MiB in real mode), then a protected-mode copy to
 * wherever the data belongs. 127 sectors per call: the largest count all
 * BIOSes accept, and 0x10000 + 127*512 stays inside one 64 KiB segment. */
#include "disk.h"
#include "layout.h"

struct dap {
    uint8_t size;
    uint8_t reserved;
    uint16_t count;
    uint16_t buf_off;
    uint16_t buf_seg;
    uint64_t lba;
} __attribute__((packed));

static struct dap dap;     /* bss: below 64 KiB, reachable as DS:SI */
static uint8_t drive;

void disk_init(uint8_t bios_drive)
{
    drive = bios_drive;
}

void disk_read_sectors(uint64_t lba, uint32_t count)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        /* Rebuilt each time: a failed call may have changed the count. */
        dap.size = sizeof dap;
        dap.reserved = 0;
        dap.count = (uint16_t)count;
        dap.buf_off = BOUNCE_ADDR & 0xf;
        dap.buf_seg = BOUNCE_ADDR >> 4;
        dap.lba = lba;
        struct bios_regs r = {
            .eax = 0x4200, .edx = drive, .esi = (uint32_t)(uintptr_t)&dap, .ds = 0,
        };
        bios_int(0x13, &r);
        if (!(r.eflags & EFLAGS_CF))
            return;
        struct bios_regs reset = { .eax = 0x0000, .edx = drive };
        bios_int(0x13, &reset);
    }
    fatal_code("disk read error at LBA", (uint32_t)lba);
}

void disk_read_bytes(const struct disk_extent *ext, uint64_t offset,
                     uint32_t len, uint32_t dest, const char *what)
{
    uint64_t ext_bytes = (uint64_t)ext->sectors * 512;
    if (offset > ext_bytes || len > ext_bytes - offset)
        fatal(what);

    while (len > 0) {
        uint32_t skip = (uint32_t)(offset & 511);
        uint32_t sectors = (skip + len + 511) / 512;
        if (sectors > BOUNCE_SECTORS)
            sectors = BOUNCE_SECTORS;
        disk_read_sectors(ext->start_lba + (offset >> 9), sectors);
        uint32_t chunk = sectors * 512 - skip;
        if (chunk > len)
            chunk = len;
        memcpy((void *)(uintptr_t)dest, (const uint8_t *)BOUNCE_ADDR + skip, chunk);
        dest += chunk;
        offset += chunk;
        len -= chunk;
    }
}
