/* MBR partition tables: find a partition on a disk and expose it as its own
 * block device (struct part_blockdev), plus the encoder the image writer uses
 * so the table layout lives in one place. */
#pragma once
#include "../klib/types.h"
#include "blockdev.h"

#define MBR_TYPE_PITH_KERNEL 0xDA   /* entry 0: the raw kernel ELF */
#define MBR_TYPE_TFS 0x7F           /* entry 1: the TFS filesystem */
#define MBR_TYPE_ESP 0xEF           /* entry 2: the EFI system partition (UEFI boot) */
#define MBR_TABLE_OFFSET 446
#define MBR_ENTRY_SIZE 16
#define MBR_BOOT_CODE_SIZE 440      /* bytes 0..439 belong to stage 1 */

struct mbr_partition {
    uint8_t status;       /* 0x80 = active */
    uint8_t type;         /* 0 = unused entry */
    uint32_t start_lba;
    uint32_t sectors;
};

/* Decode the four entries of a 512-byte sector 0. Returns false if the
 * sector has no 0x55AA signature. */
bool mbr_decode(const uint8_t sector0[512], struct mbr_partition out[4]);
/* Write entry `index` (0..3) into sector 0, CHS fields set to "use LBA". */
void mbr_encode_entry(uint8_t sector0[512], int index, const struct mbr_partition *p);
/* Set the 0x55AA signature at bytes 510..511. */
void mbr_set_signature(uint8_t sector0[512]);

/* A window [start, start+sectors) of a parent device. Accesses outside the
 * window fail with -EIO instead of reaching the parent. Asynchronous
 * requests are offset and forwarded to the parent's queue. */
struct part_blockdev {
    struct blockdev dev;
    struct blockdev *parent;
    uint64_t start;
    struct bio_list finished;   /* completed without reaching the parent's queue */
};
/* -EINVAL if the window does not fit inside the parent. */
int part_blockdev_init(struct part_blockdev *p, struct blockdev *parent, uint64_t start, uint64_t sectors,
                       const char *name);

/* Open the first partition of `type` on `disk`. If sector 0 has no MBR
 * signature the whole disk is used (a bare filesystem image). Returns 0, or a
 * negative errno with a one-line message in err (no such partition,
 * partition outside the disk, read error). */
int mbr_open_partition(struct blockdev *disk, uint8_t type, struct part_blockdev *out, char *err, size_t errlen);
