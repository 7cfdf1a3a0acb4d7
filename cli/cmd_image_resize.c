/* `pith image resize IMAGE SIZE`: grow or shrink an image file, its TFS
 * partition (MBR entry of type 0x7F) and the filesystem in it.
 *
 * Both directions keep the rule the kernel checks, filesystem <= partition
 * <= file, at every instant, so the image mounts even if the host crashes
 * half-way.
 *
 * Growing:
 *   1. enlarge the file (zeros at the end: unused by anything);
 *   2. mount the filesystem over the enlarged window (checks it is sane);
 *   3. write the partition entry with the new sector count, fsync: the
 *      partition is now larger than the filesystem, which is allowed;
 *   4. tfs_grow rewrites the superblocks with the new block count, unmount,
 *      fsync.
 * Writing the table after the filesystem instead would leave a window where
 * the superblock claims more blocks than the partition holds, and the kernel
 * refuses such an image. A failure before step 4 restores the old table and
 * file size. If step 4 itself fails, which superblock copy reached the disk is
 * unknown, so the larger partition and file stay: valid with either copy.
 *
 * Shrinking, the same steps in reverse:
 *   1. mount; tfs_shrink refuses if a block past the new end is in use
 *      (nothing has changed then), else rewrites the superblocks; unmount,
 *      fsync;
 *   2. write the smaller partition entry, fsync;
 *   3. cut the file, fsync.
 * A failure after step 1 leaves a smaller filesystem in a larger partition
 * or file: valid, and a second resize finishes the job. */
#include "cmd_image.h"
#include "image_handle.h"
#include "host_heap.h"
#include "image_space.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct resize_job {
    struct image_handle img;
    const char *path, *size_arg;
    uint64_t old_size, new_size;
    uint8_t sector0[512];
    struct mbr_partition parts[4];
    int idx;                     /* the TFS partition's entry */
    struct mbr_partition part;   /* as it is now */
    uint64_t new_sectors;        /* the partition's new length */
};

static bool pwrite_sector0(int fd, const uint8_t sector0[512])
{
    return pwrite(fd, sector0, 512, 0) == 512 && fsync(fd) == 0;
}

static int mount_writable(struct resize_job *j)
{
    struct tfs_mount_options opt = { 0 };
    char err[512];
    if (tfs_mount_opts(host_heap(), &j->img.part.dev, &opt, &j->img.fs, err, sizeof err) != 0) {
        image_fail(j->path, err);
        return -1;
    }
    return 0;
}

/* Unmount the filesystem and flush the image file; the first error of the
 * resize step (rc), the unmount and the flush, as -errno. */
static int unmount_synced(struct resize_job *j, int rc)
{
    int urc = tfs_unmount(j->img.fs);
    j->img.fs = NULL;
    if (rc == 0) rc = urc;
    if (rc == 0 && fsync(j->img.file.fd) != 0) rc = -errno;
    return rc;
}

static int grow(struct resize_job *j)
{
    int fd = j->img.file.fd;
    uint8_t old0[512];
    memcpy(old0, j->sector0, 512);
    /* 1-2: enlarge the file, mount over the larger window. */
    if (ftruncate(fd, (off_t)j->new_size) != 0) {
        image_fail(j->path, strerror(errno));
        return IMAGE_EXIT_BAD_INPUT;
    }
    file_blockdev_init_fd(&j->img.file, fd, 0, j->new_size / SECTOR_SIZE, j->path);
    j->img.file.owns_fd = true;
    if (part_blockdev_init(&j->img.part, &j->img.file.dev, j->part.start_lba, j->new_sectors, j->path) != 0) {
        image_fail(j->path, "partition does not fit the enlarged file");
        goto fail_restore;
    }
    if (mount_writable(j) != 0) goto fail_restore;
    /* 3: the larger partition. */
    struct mbr_partition p = j->part;
    p.sectors = (uint32_t)j->new_sectors;
    mbr_encode_entry(j->sector0, j->idx, &p);
    if (!pwrite_sector0(fd, j->sector0)) {
        image_fail(j->path, strerror(errno ? errno : EIO));
        tfs_unmount(j->img.fs);
        j->img.fs = NULL;
        goto fail_restore;
    }
    /* 4: the filesystem takes the new space. */
    int rc = unmount_synced(j, tfs_grow(j->img.fs, j->new_sectors / 8));
    if (rc != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "growing the filesystem failed: %s (the partition is larger, the filesystem "
                 "may still have its old size)", strerror(-rc));
        return image_fail(j->path, msg);
    }
    return IMAGE_EXIT_OK;

fail_restore:
    if (memcmp(old0, j->sector0, 512) != 0) pwrite_sector0(fd, old0);
    if (ftruncate(fd, (off_t)j->old_size) == 0) fsync(fd);
    return IMAGE_EXIT_BAD_INPUT;
}

/* The refusal when blocks past the new end are in use: names the smallest
 * size that would work, so the user can ask for that instead. */
static int too_small(struct resize_job *j)
{
    uint64_t end = j->part.start_lba * SECTOR_SIZE + tfs_blocks_in_use_end(j->img.fs) * 4096;
    char human[32], msg[300];
    image_human_size(end, human, sizeof human);
    snprintf(msg, sizeof msg, "too small: the filesystem has blocks in use up to %s into the image "
             "(the smallest size is %llu bytes)", human, (unsigned long long)end);
    return image_fail(j->size_arg, msg);
}

static int shrink(struct resize_job *j)
{
    int fd = j->img.file.fd;
    uint64_t new_end = j->part.start_lba + j->new_sectors;
    for (int i = 0; i < 4; i++)
        if (i != j->idx && j->parts[i].sectors && j->parts[i].start_lba + (uint64_t)j->parts[i].sectors > new_end)
            return image_fail(j->size_arg, "too small: another partition lies past the new end");
    /* 1: the filesystem gives up the blocks past the new end. */
    if (mount_writable(j) != 0) return IMAGE_EXIT_BAD_INPUT;
    int rc = tfs_shrink(j->img.fs, j->new_sectors / 8);
    if (rc == -ENOSPC) {
        int status = too_small(j);
        tfs_unmount(j->img.fs);
        j->img.fs = NULL;
        return status;
    }
    rc = unmount_synced(j, rc);
    if (rc != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "shrinking the filesystem failed: %s (the image is unchanged, or its "
                 "filesystem is smaller than its partition: both mount)", strerror(-rc));
        return image_fail(j->path, msg);
    }
    /* 2-3: the smaller partition, then the shorter file. */
    struct mbr_partition p = j->part;
    p.sectors = (uint32_t)j->new_sectors;
    mbr_encode_entry(j->sector0, j->idx, &p);
    if (!pwrite_sector0(fd, j->sector0) || ftruncate(fd, (off_t)j->new_size) != 0 || fsync(fd) != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s (the filesystem is smaller already; the image still mounts, run "
                 "resize again to finish)", strerror(errno ? errno : EIO));
        return image_fail(j->path, msg);
    }
    return IMAGE_EXIT_OK;
}

int image_resize(int argc, char **argv)
{
    if (argc != 3) return image_fail("image resize", "usage: pith image resize IMAGE SIZE");
    struct resize_job j = { .path = argv[1], .size_arg = argv[2], .idx = -1 };
    if (!image_parse_size(j.size_arg, &j.new_size))
        return image_fail(j.size_arg, "bad size (bytes, or a number with K, M, G or T)");
    if (!image_open(&j.img, j.path, true)) return IMAGE_EXIT_BAD_INPUT;
    int status = IMAGE_EXIT_BAD_INPUT;
    struct stat st;
    if (fstat(j.img.file.fd, &st) != 0 || pread(j.img.file.fd, j.sector0, 512, 0) != 512) {
        image_fail(j.path, strerror(errno ? errno : EIO));
        goto out;
    }
    if (mbr_decode(j.sector0, j.parts))
        for (int i = 0; i < 4 && j.idx < 0; i++)
            if (j.parts[i].type == MBR_TYPE_TFS) j.idx = i;
    if (j.idx < 0) {
        image_fail(j.path, "no partition table with a TFS partition: not a Pith disk image");
        goto out;
    }
    j.part = j.parts[j.idx];
    j.old_size = (uint64_t)st.st_size;
    uint64_t start = j.part.start_lba;
    j.new_sectors = j.new_size / SECTOR_SIZE > start ? (j.new_size / SECTOR_SIZE - start) & ~7ull : 0;
    if (j.new_sectors > UINT32_MAX) {
        image_fail(j.size_arg, "too large: an MBR partition holds at most 2 TiB");
        goto out;
    }
    if (j.new_size == j.old_size && j.new_sectors == j.part.sectors) {
        status = IMAGE_EXIT_OK;   /* already that size */
        goto out;
    }
    if (j.new_sectors == j.part.sectors) {
        /* Sizes count in whole 4 KiB blocks past the partition's start. */
        image_fail(j.size_arg, "the filesystem would keep its size: change it by at least 4 KiB");
        goto out;
    }
    status = j.new_sectors > j.part.sectors ? grow(&j) : shrink(&j);
out:
    image_close(&j.img);
    return status;
}
