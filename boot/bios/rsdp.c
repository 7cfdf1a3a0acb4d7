/* The ACPI root pointer, so the kernel need not search for it: the BIOS
 * puts it on a 16-byte boundary in the first KiB of the EBDA or in
 * 0xe0000-0xfffff. A 128 KiB scan costs well under a millisecond. */
#include "rsdp.h"
#include "bios.h"

static bool rsdp_valid(const uint8_t *p)
{
    if (memcmp(p, "RSD PTR ", 8) != 0)
        return false;
    uint8_t sum = 0;
    for (int i = 0; i < 20; i++)   /* the ACPI 1.0 part has its own checksum */
        sum += p[i];
    return sum == 0;
}

static uint32_t scan(uint32_t start, uint32_t end)
{
    for (uint32_t a = start; a + 20 <= end; a += 16)
        if (rsdp_valid((const uint8_t *)(uintptr_t)a))
            return a;
    return 0;
}

uint32_t rsdp_find(void)
{
    /* The BDA word at 0x40e holds the EBDA segment. (Hidden from gcc's
     * bounds checker, which treats constant addresses as null + offset.) */
    const volatile uint16_t *bda_ebda;
    __asm__("" : "=r"(bda_ebda) : "0"(0x40e));
    uint32_t ebda = (uint32_t)*bda_ebda << 4;
    uint32_t found = 0;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        found = scan(ebda, ebda + 1024);
    if (found == 0)
        found = scan(0xe0000, 0x100000);
    return found;
}
