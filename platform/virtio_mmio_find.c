/* Which virtio-mmio transports exist, and in what order.
 *
 * QEMU's microvm describes them in one of two ways (hw/i386/microvm.c in
 * QEMU 7.2): with ACPI off it appends `virtio_mmio.device=512@0x...:IRQ` to
 * the kernel command line for every transport that has a device; with ACPI on
 * (its default) it appends nothing and lists them only in the ACPI DSDT,
 * which would take an AML interpreter to read. So the command line comes
 * first, and when it names none (and there is no PCI bus, i.e. this is not a
 * PC machine whose addresses we might disturb) microvm's fixed window is
 * scanned: transport i at 0xfeb00000 + 512 * i, 8 of them with ACPI off, 24
 * with ACPI on (then on the second IOAPIC, GSI 24 + i).
 *
 * Order: QEMU plugs each -device into the highest-numbered free transport,
 * and lists the command-line entries from the highest transport down, so both
 * the command line and a top-down scan give the devices in the host's
 * command-line order: the root disk first. */
#include "virtio_mmio.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/console.h"
#include "../klib/string.h"

#define MICROVM_WINDOW_BASE 0xfeb00000ull
#define MICROVM_SLOT_SIZE 512u
#define MICROVM_MAX_SLOTS 24
#define MICROVM_SLOTS_WITHOUT_ACPI 8
#define MICROVM_SECOND_IOAPIC_GSI 24
#define MAGIC_VIRT 0x74726976
#define REG_DEVICE_ID 0x008

/* Longest command line looked at: QEMU's own entries take ~40 bytes each. */
#define CMDLINE_MAX 4096

static bool overlaps(const struct virtio_mmio_entry *a, const struct virtio_mmio_entry *b)
{
    return a->base < b->base + b->size && b->base < a->base + a->size;
}

static int from_cmdline(const char *cmdline, struct virtio_mmio_entry *out, int max)
{
    size_t len = strnlen(cmdline, CMDLINE_MAX), pos = 0;
    struct virtio_mmio_word w;
    int n = 0;
    while (virtio_mmio_cmdline_next(cmdline, len, &pos, &w)) {
        if (w.error) {
            kprintf("virtio-mmio: ignoring \"%.*s\" on the command line: %s\n", (int)w.len, w.text, w.error);
            continue;
        }
        bool clash = false;
        for (int i = 0; i < n && !clash; i++) clash = overlaps(&out[i], &w.entry);
        if (clash) {
            kprintf("virtio-mmio: ignoring \"%.*s\" on the command line: overlaps an earlier entry\n", (int)w.len,
                    w.text);
            continue;
        }
        if (n == max) {
            kprintf("virtio-mmio: more than %d devices on the command line; the rest are ignored\n", max);
            break;
        }
        out[n++] = w.entry;
    }
    return n;
}

static bool slot_is_transport(volatile uint8_t *slot) { return mmio_read32(slot) == MAGIC_VIRT; }

static int scan_window(struct virtio_mmio_entry *out, int max)
{
    volatile uint8_t *window = mmio_map(MICROVM_WINDOW_BASE, MICROVM_MAX_SLOTS * MICROVM_SLOT_SIZE);
    /* Past the eighth slot there are transports only when ACPI is on, and
     * then their interrupts are on the second IOAPIC. Empty addresses there
     * read as zero under QEMU. */
    bool acpi_layout = slot_is_transport(window + MICROVM_SLOTS_WITHOUT_ACPI * MICROVM_SLOT_SIZE);
    int n = 0;
    for (int i = MICROVM_MAX_SLOTS - 1; i >= 0 && n < max; i--) {
        volatile uint8_t *slot = window + i * MICROVM_SLOT_SIZE;
        if (!slot_is_transport(slot) || mmio_read32(slot + REG_DEVICE_ID) == VIRTIO_MMIO_NO_DEVICE) continue;
        /* With 8 transports the GSI depends on settings we cannot see
         * (5 + i with ACPI off, 16 + i with ACPI on but one IOAPIC). */
        uint32_t irq = acpi_layout ? MICROVM_SECOND_IOAPIC_GSI + (uint32_t)i : VIRTIO_MMIO_IRQ_UNKNOWN;
        out[n++] = (struct virtio_mmio_entry){MICROVM_WINDOW_BASE + (uint64_t)i * MICROVM_SLOT_SIZE,
                                              MICROVM_SLOT_SIZE, irq};
    }
    return n;
}

int virtio_mmio_find(const char *cmdline, bool may_scan, struct virtio_mmio_entry *out, int max)
{
    if (max <= 0) return 0;
    int n = cmdline ? from_cmdline(cmdline, out, max) : 0;
    if (n == 0 && may_scan) n = scan_window(out, max);
    return n;
}
