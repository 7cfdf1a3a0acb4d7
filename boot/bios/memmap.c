/* INT 15h EAX=E820: the one memory map interface every PC BIOS has had
 * since the late 1990s. */
#include "memmap.h"

#define SMAP 0x534d4150u   /* "SMAP" */

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t ext_attrs;    /* ACPI 3.0; bit 0 clear = ignore the entry */
} __attribute__((packed));

/* In stage 2's bss, so below 64 KiB where ES:DI can reach it. */
static struct e820_entry e820_buf;

uint32_t memmap_collect(struct pvh_memmap_entry *out, uint32_t max)
{
    uint32_t n = 0;
    uint32_t cont = 0;
    do {
        /* A BIOS returning only 20 bytes leaves this as "valid". */
        e820_buf.ext_attrs = 1;
        struct bios_regs r = {
            .eax = 0xe820, .ebx = cont, .ecx = sizeof e820_buf, .edx = SMAP,
            .edi = (uint32_t)(uintptr_t)&e820_buf, .es = 0,
        };
        bios_int(0x15, &r);
        /* Carry or a missing signature ends the list (or means no E820). */
        if ((r.eflags & EFLAGS_CF) || r.eax != SMAP)
            break;
        cont = r.ebx;
        if (r.ecx > 20 && !(e820_buf.ext_attrs & 1))
            continue;
        if (e820_buf.size == 0)
            continue;
        out[n].addr = e820_buf.addr;
        out[n].size = e820_buf.size;
        out[n].type = e820_buf.type;
        out[n].reserved = 0;
        n++;
    } while (cont != 0 && n < max);
    if (n == 0)
        fatal("no E820 memory map from the BIOS");
    return n;
}

bool memmap_is_ram(const struct pvh_memmap_entry *map, uint32_t n,
                   uint64_t start, uint64_t end)
{
    for (uint32_t i = 0; i < n; i++)
        if (map[i].type == PVH_MEMMAP_RAM && start >= map[i].addr &&
            end <= map[i].addr + map[i].size)
            return true;
    return false;
}
