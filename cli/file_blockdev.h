/* A struct blockdev over a host file (or a window of one) or a memory buffer.
 * Used by the image writer and by tests, which can make writes fail on
 * purpose to check that nothing half-written survives. Asynchronous requests
 * (submit/poll) complete at once and are reported by the next poll. */
#pragma once
#include "../fs/blockdev.h"

struct file_blockdev {
    struct blockdev dev;
    int fd;                   /* -1 for a memory device */
    uint8_t *mem;
    uint64_t first_sector;    /* file devices: byte offset = (first_sector + s) * 512 */
    bool owns_fd;
    /* Test hook: number of write calls that still succeed before every
     * further write fails with -EIO; negative = never fail. */
    int64_t writes_before_failure;
    struct bio_list finished;   /* submitted requests (already done) awaiting poll */
};

/* A window [first_sector, first_sector+sectors) of an open file descriptor.
 * Reads past the end of the file return zeros (sparse images). */
void file_blockdev_init_fd(struct file_blockdev *fb, int fd, uint64_t first_sector, uint64_t sectors,
                           const char *name);
/* A device over `sectors` * 512 bytes of memory. */
void file_blockdev_init_mem(struct file_blockdev *fb, void *mem, uint64_t sectors, const char *name);
/* Open a whole host file (read-only unless writable); its size is rounded
 * down to whole sectors. Returns 0 or -errno (host errno values). */
int file_blockdev_open(struct file_blockdev *fb, const char *path, bool writable);
/* Close the file if file_blockdev_open opened it. */
void file_blockdev_close(struct file_blockdev *fb);
