/* `pith volume create`, and reading a volume's uuid for `pith run --mount`. */
#define _GNU_SOURCE
#include "volume.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fs/mbr.h"
#include "../fs/tfs.h"
#include "../fs/tfs_format.h"
#include "file_blockdev.h"
#include "host_heap.h"


/* The log holds metadata records between checkpoints: about 1/64 of the
 * volume, within bounds that keep a small volume usable and a big one sane. */
static uint64_t log_blocks_for(uint64_t blocks)
{
    uint64_t n = blocks / 64;
    return n < 64 ? 64 : n > 8192 ? 8192 : n;
}

static int random_uuid(uint8_t uuid[16])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, uuid, 16);
    close(fd);
    return n == 16 ? 0 : -1;
}

/* MBR and filesystem into an open, already sized file. */
static int format_volume(int fd, const char *path, uint64_t sectors, char *err, size_t errlen)
{
    uint8_t sector0[512] = { 0 };
    struct mbr_partition p = { .status = 0, .type = MBR_TYPE_TFS, .start_lba = VOLUME_FIRST_LBA,
                               .sectors = (uint32_t)(sectors - VOLUME_FIRST_LBA) };
    mbr_encode_entry(sector0, 1, &p);
    mbr_set_signature(sector0);
    if (pwrite(fd, sector0, sizeof sector0, 0) != (ssize_t)sizeof sector0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        return -1;
    }
    uint8_t uuid[16];
    if (random_uuid(uuid) != 0) {
        snprintf(err, errlen, "/dev/urandom: %s", strerror(errno ? errno : EIO));
        return -1;
    }
    struct file_blockdev fb;
    file_blockdev_init_fd(&fb, fd, VOLUME_FIRST_LBA, p.sectors, path);
    uint64_t blocks = p.sectors / TFS_SECTORS_PER_BLOCK;
    char why[256];
    if (tfs_mkfs_uuid(&fb.dev, blocks, log_blocks_for(blocks), uuid, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int volume_create(const char *path, uint64_t bytes, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        snprintf(err, errlen, "%s: already exists (a volume is never overwritten)", path);
        return -1;
    }
    if (bytes < VOLUME_MIN_BYTES || bytes > VOLUME_MAX_BYTES) {
        snprintf(err, errlen, "%s: size %llu out of range (4M to 1T)", path, (unsigned long long)bytes);
        return -1;
    }
    uint64_t sectors = bytes / 512 / TFS_SECTORS_PER_BLOCK * TFS_SECTORS_PER_BLOCK;
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (fchmod(fd, 0644) != 0 || ftruncate(fd, (off_t)(sectors * 512)) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0)
        rc = format_volume(fd, path, sectors, err, errlen);
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    /* link, not rename: a file that appeared meanwhile is not replaced. */
    if (rc == 0 && link(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, errno == EEXIST ? "already exists (a volume is never overwritten)"
                                                              : strerror(errno));
        rc = -1;
    }
    unlink(tmp);
    return rc;
}

int volume_read_uuid(const char *path, uint8_t uuid[16], char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    struct file_blockdev fb;
    int rc = file_blockdev_open(&fb, path, false);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return -1;
    }
    struct part_blockdev part;
    struct tfs *fs = NULL;
    char why[256];
    if (fb.dev.sectors == 0) {
        snprintf(err, errlen, "%s: empty file, not a volume", path);
        rc = -1;
    } else if (mbr_open_partition(&fb.dev, MBR_TYPE_TFS, &part, why, sizeof why) != 0 ||
               tfs_mount(host_heap(), &part.dev, &fs, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: not a volume (%s)", path, why);
        rc = -1;
    } else {
        struct tfs_statfs sf;
        rc = tfs_statfs(fs, &sf);
        if (rc == 0)
            memcpy(uuid, sf.uuid, 16);
        else
            snprintf(err, errlen, "%s: cannot read the filesystem's uuid", path);
        tfs_unmount(fs);
        rc = rc == 0 ? 0 : -1;
    }
    file_blockdev_close(&fb);
    return rc;
}
