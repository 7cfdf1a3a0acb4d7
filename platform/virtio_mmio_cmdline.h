/* The `virtio_mmio.device=SIZE@BASE:IRQ[:ID]` words that QEMU's microvm (and
 * Firecracker) append to the kernel command line, one per populated virtio-mmio
 * transport, in the syntax Linux's virtio_mmio driver reads. Pure parsing:
 * no device is touched, so the host unit tests run it too
 * (test/unit/test_virtio_mmio_cmdline.c). */
#pragma once
#include "../klib/types.h"

/* Registers up to the device-specific config space, which starts at 0x100. */
#define VIRTIO_MMIO_REGS_SIZE 0x100

struct virtio_mmio_entry {
    uint64_t base;  /* physical address of the register block */
    uint64_t size;  /* bytes of register block + device config */
    uint32_t irq;   /* GSI the transport raises; kept for interrupt-driven drivers */
};

/* One `virtio_mmio.device=` word, as found. */
struct virtio_mmio_word {
    const char *text;   /* the whole word, for messages (not NUL-terminated) */
    size_t len;
    const char *error;  /* why the word is unusable, or NULL when `entry` is valid */
    struct virtio_mmio_entry entry;
};

/* Find the next `virtio_mmio.device=` (or `virtio-mmio.device=`) word in
 * cmdline[*pos, len), fill *w and move *pos past it. Returns false when no
 * such word is left. A NUL byte ends the command line. */
bool virtio_mmio_cmdline_next(const char *cmdline, size_t len, size_t *pos, struct virtio_mmio_word *w);
