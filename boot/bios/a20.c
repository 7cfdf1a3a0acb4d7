/* Enable the A20 gate so addresses at and above 1 MiB do not wrap, trying
 * the cheap ways first: already on (most modern machines and QEMU), the
 * BIOS call, the "fast A20" port 0x92, then the keyboard controller. */
#include "bios.h"
#include "a20.h"

static volatile uint32_t a20_probe;

/* With A20 off, the address 1 MiB above a20_probe aliases it. */
static bool a20_is_on(void)
{
    volatile uint32_t *alias = (volatile uint32_t *)((uintptr_t)&a20_probe + 0x100000);
    for (int tries = 0; tries < 1000; tries++) {
        a20_probe = 0xa20a20u + tries;
        *alias = ~(0xa20a20u + tries);
        if (a20_probe == 0xa20a20u + (uint32_t)tries)
            return true;
    }
    return false;
}

static void kbc_wait_input_empty(void)
{
    for (uint32_t spin = 0; spin < 100000 && (inb(0x64) & 2); spin++)
        ;
}

void a20_enable(void)
{
    if (a20_is_on())
        return;

    struct bios_regs r = { .eax = 0x2401 };
    bios_int(0x15, &r);
    if (a20_is_on())
        return;

    uint8_t sys = inb(0x92);
    outb(0x92, (uint8_t)((sys | 0x02) & ~0x01));   /* bit 0 would reset the machine */
    if (a20_is_on())
        return;

    kbc_wait_input_empty();
    outb(0x64, 0xd1);           /* write output port */
    kbc_wait_input_empty();
    outb(0x60, 0xdf);           /* A20 on */
    kbc_wait_input_empty();
    if (a20_is_on())
        return;

    fatal("cannot enable A20");
}
