#pragma once
/* Reading the boot disk through INT 13h extended reads. */
#include "bios.h"

/* A run of sectors on the boot disk: an MBR partition. */
struct disk_extent {
    uint32_t start_lba;
    uint32_t sectors;
};

void disk_init(uint8_t bios_drive);

/* Read `count` (<= BOUNCE_SECTORS) sectors at `lba` into the bounce buffer. */
void disk_read_sectors(uint64_t lba, uint32_t count);

/* Copy bytes [offset, offset+len) of the extent to physical address dest,
 * through the bounce buffer, with as few BIOS calls as the buffer allows.
 * `what` names the data in the error if the extent is too short. */
void disk_read_bytes(const struct disk_extent *ext, uint64_t offset,
                     uint32_t len, uint32_t dest, const char *what);
