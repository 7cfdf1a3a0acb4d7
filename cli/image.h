/* Writing a bootable Pith disk image (layout in docs/image.md):
 *   LBA 0      MBR: stage1 bytes 0..439, partition table, 0x55AA
 *   LBA 1..63  stage2 (zero padded)
 *   LBA 64..   kernel ELF (partition 0, type 0xDA)
 *   then       TFS filesystem from the manifest (partition 1, type 0x7F),
 *              starting on a 4 KiB boundary.
 * The image is written to a temporary file next to out_path and renamed into
 * place only when complete and verified (mounted back, program found);
 * on any failure nothing is left behind. */
#pragma once
#include "../klib/types.h"
#include "manifest.h"

struct boot_blobs {
    const void *stage1;   /* may be NULL: zeros (tests) */
    size_t stage1_len;    /* at most 512; only bytes 0..439 are used */
    const void *stage2;   /* may be NULL */
    size_t stage2_len;    /* at most 63 * 512 */
    const void *kernel;   /* may be NULL: partition 0 left unused */
    size_t kernel_len;
    const void *esp;      /* may be NULL: no EFI system partition (entry 2) */
    size_t esp_len;       /* a multiple of 512 */
};

#define IMAGE_KERNEL_LBA 64
#define IMAGE_STAGE2_MAX_SECTORS 63
#define IMAGE_ESP_ALIGN_SECTORS 2048   /* the ESP starts on a MiB boundary */

/* Room to write when the manifest sets no size: the filesystem is
 * IMAGE_ROOM_BYTES, or the files plus IMAGE_ROOM_BYTES when they alone need
 * more than half of it. The image file is sparse (ftruncate, free blocks never
 * written), so the room costs host disk only as the program fills it. */
#define IMAGE_ROOM_BYTES (1ull << 30)
/* The filesystem's blocks for a manifest without a size, given the blocks
 * its files need (tfs_plan_blocks). */
uint64_t image_room_blocks(uint64_t needed_blocks);

struct image_options {
    /* Test hook: TFS writes that succeed before every further one fails;
     * negative = never fail. */
    int64_t tfs_writes_before_failure;
};

/* Returns 0, or a negative errno with one line in err naming the culprit,
 * e.g. "/host/x: No such file or directory" (callers add their tool name). */
int image_write(const char *out_path, const struct boot_blobs *boot, const struct manifest *m, char *err,
                size_t errlen);
int image_write_opts(const char *out_path, const struct boot_blobs *boot, const struct manifest *m,
                     const struct image_options *opt, char *err, size_t errlen);
