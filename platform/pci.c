/* PCI configuration access via the legacy mechanism #1 ports. It reaches the
 * first 256 bytes of each function, which is all virtio and the bridges on
 * QEMU's pc and q35 machines need; ECAM is not required. */
#include "pci.h"
#include "../kernel/io.h"
#include "../klib/errno.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc

static uint32_t config_address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)(dev & 31) << 11) |
           ((uint32_t)(fn & 7) << 8) | (off & 0xfc);
}

static uint32_t raw_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, fn, off));
    return inl(PCI_CONFIG_DATA);
}

uint32_t pci_read32(const struct pci_device *d, uint16_t off)
{
    return raw_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_device *d, uint16_t off)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
    return inw(PCI_CONFIG_DATA + (off & 2));
}

uint8_t pci_read8(const struct pci_device *d, uint16_t off)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
    return inb(PCI_CONFIG_DATA + (off & 3));
}

void pci_write32(const struct pci_device *d, uint16_t off, uint32_t v)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
    outl(PCI_CONFIG_DATA, v);
}

void pci_write16(const struct pci_device *d, uint16_t off, uint16_t v)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
    outw(PCI_CONFIG_DATA + (off & 2), v);
}

void pci_write8(const struct pci_device *d, uint16_t off, uint8_t v)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
    outb(PCI_CONFIG_DATA + (off & 3), v);
}

/* Write all-ones and read back to learn which address bits are writable; the
 * size is the lowest writable bit. Decoding is off meanwhile so the transient
 * all-ones address never claims someone else's cycles. */
static uint32_t probe_bar_mask(const struct pci_device *d, uint16_t off)
{
    uint32_t saved = pci_read32(d, off);
    pci_write32(d, off, 0xffffffffu);
    uint32_t mask = pci_read32(d, off);
    pci_write32(d, off, saved);
    return mask;
}

int pci_bar_decode(const struct pci_device *d, int index, struct pci_bar *out)
{
    if (index < 0 || index > 5) return -1;
    /* Walk from BAR0 so the upper half of a 64-bit BAR is never mistaken for
     * a BAR of its own (its contents are arbitrary address bits). */
    for (int i = 0; i < index; i++) {
        uint32_t v = pci_read32(d, PCI_BAR0 + 4 * i);
        if (!(v & 1) && ((v >> 1) & 3) == 2 && ++i == index) return -1;
    }
    uint16_t off = PCI_BAR0 + 4 * index;
    uint32_t low = pci_read32(d, off);
    *out = (struct pci_bar){0};

    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));

    int rc = 0;
    if (low & 1) {
        uint32_t mask = probe_bar_mask(d, off) & ~3u;
        out->is_io = true;
        out->addr = low & ~3u;
        /* I/O BARs only decode 16 bits on x86; the upper bits may read back 0. */
        mask |= 0xffff0000u;
        out->size = mask ? (uint32_t)(~mask + 1) : 0;
    } else {
        uint32_t type = (low >> 1) & 3;
        out->prefetchable = (low >> 3) & 1;
        uint64_t mask = probe_bar_mask(d, off) & ~0xfu;
        out->addr = low & ~0xfu;
        bool implemented = mask != 0;
        if (type == 2) {
            if (index == 5) {
                rc = -1;
                goto restore;
            }
            out->is_64bit = true;
            out->addr |= (uint64_t)pci_read32(d, off + 4) << 32;
            uint64_t high = probe_bar_mask(d, off + 4);
            mask |= high << 32;
            implemented = mask != 0;
        } else {
            mask |= 0xffffffff00000000ull;
        }
        out->size = implemented ? (~mask + 1) : 0;
    }
    if (out->size == 0) rc = -1;
restore:
    pci_write16(d, PCI_COMMAND, cmd);
    return rc;
}

void pci_enable(const struct pci_device *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER);
}

uint8_t pci_find_capability(const struct pci_device *d, uint8_t cap_id, uint8_t after)
{
    if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST)) return 0;
    uint8_t pos = after ? pci_read8(d, after + 1) : pci_read8(d, PCI_CAP_PTR);
    /* A malformed list could loop; there can be at most 48 capabilities in
     * the 192 bytes after the header. */
    for (int guard = 0; guard < 48 && pos >= 0x40; guard++) {
        pos &= 0xfc;
        if (pci_read8(d, pos) == cap_id) return pos;
        pos = pci_read8(d, pos + 1);
    }
    return 0;
}

static void fill_device(struct pci_device *p, uint8_t bus, uint8_t dev, uint8_t fn)
{
    p->bus = bus;
    p->dev = dev;
    p->fn = fn;
    uint32_t id = pci_read32(p, PCI_VENDOR_ID);
    p->vendor = id & 0xffff;
    p->device = id >> 16;
    uint32_t class = pci_read32(p, PCI_REVISION);
    p->prog_if = class >> 8;
    p->subclass = class >> 16;
    p->class_code = class >> 24;
    p->irq_line = pci_read8(p, PCI_INTERRUPT_LINE);
}

#define PCI_HEADER_BRIDGE 0x01
#define PCI_SECONDARY_BUS 0x19

/* Visit every present function; store into `out` when non-NULL (up to `cap`).
 * Returns how many functions exist. Starts at bus 0 and follows PCI-PCI
 * bridges to the buses firmware gave them: scanning all 256 buses costs
 * thousands of configuration cycles, which show in boot time. */
static int scan(struct pci_device *out, int cap)
{
    uint8_t queue[256];
    bool seen[256] = { false };
    int head = 0, tail = 0, n = 0;
    queue[tail++] = 0;
    seen[0] = true;
    while (head < tail) {
        int bus = queue[head++];
        for (int dev = 0; dev < 32; dev++) {
            if ((raw_read32(bus, dev, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff) continue;
            uint8_t header = raw_read32(bus, dev, 0, 0x0c) >> 16;
            int fns = (header & 0x80) ? 8 : 1;
            for (int fn = 0; fn < fns; fn++) {
                if ((raw_read32(bus, dev, fn, PCI_VENDOR_ID) & 0xffff) == 0xffff) continue;
                if (out && n < cap) fill_device(&out[n], bus, dev, fn);
                n++;
                uint8_t fn_header = raw_read32(bus, dev, fn, 0x0c) >> 16;
                if ((fn_header & 0x7f) == PCI_HEADER_BRIDGE) {
                    uint8_t secondary = raw_read32(bus, dev, fn, 0x18) >> 8;
                    if (secondary && !seen[secondary] && tail < 256) {
                        seen[secondary] = true;
                        queue[tail++] = secondary;
                    }
                }
            }
        }
    }
    return n;
}

int pci_enumerate(struct heap *h, struct pci_device **out)
{
    *out = NULL;
    int count = scan(NULL, 0);
    if (count == 0) return 0;
    struct pci_device *list = allocate(h, count * sizeof *list);
    if (!list) return -ENOMEM;
    int again = scan(list, count);
    if (again < count) count = again; /* cannot happen unless hot-unplug raced */
    *out = list;
    return count;
}
