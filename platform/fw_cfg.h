/* QEMU's firmware configuration device: named blobs the host tool hands the
 * kernel at boot (both boot paths see it), e.g. which extra volumes to mount
 * where. Absent on machines that are not QEMU: lookups give -ENODEV. */
#pragma once
#include "../klib/types.h"

/* QEMU's device is there and the host did not ask to ignore it (then the
 * machine is QEMU, and QEMU-only devices such as isa-debug-exit may be used). */
bool fw_cfg_present(void);

/* Copy the fw_cfg file `name` (e.g. "opt/pith/mounts") into buf, at most
 * len bytes; returns its full size, -ENOENT, or -ENODEV. */
int64_t fw_cfg_read_file(const char *name, void *buf, size_t len);
/* Copy the fixed item `key` (e.g. FW_CFG_NB_CPUS) into buf, at most len
 * bytes; 0, or -ENODEV. */
#define FW_CFG_NB_CPUS 0x0005
int fw_cfg_read_item(uint16_t key, void *buf, size_t len);
