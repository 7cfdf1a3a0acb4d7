/* Volumes: disk files that hold one TFS filesystem and outlive the runs that
 * use them (`pith run --mount VOLUME:/data`). A volume is laid out like the
 * TFS half of an image (docs/image.md): an MBR whose entry 1 is type 0x7F,
 * the filesystem from LBA 2048 to the end, no kernel and no boot code. Its
 * uuid is random, so the kernel can tell volumes apart (fs/mounts.h). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define VOLUME_FIRST_LBA 2048           /* 1 MiB: the usual alignment */
#define VOLUME_MIN_BYTES (4ull << 20)
#define VOLUME_MAX_BYTES (1ull << 40)   /* MBR sector counts are 32-bit: stay below 2 TiB */

/* Write a new, empty volume of `bytes` at path (refused if path exists):
 * built in a temp file next to it and linked into place only when complete.
 * 0, or -1 with "CULPRIT: reason" in err. */
int volume_create(const char *path, uint64_t bytes, char *err, size_t errlen);

/* The uuid of the TFS filesystem in a volume or image (its 0x7F partition,
 * or the whole file without an MBR), mounted read-only to check it is sound.
 * 0, or -1 with "PATH: reason" in err. */
int volume_read_uuid(const char *path, uint8_t uuid[16], char *err, size_t errlen);
