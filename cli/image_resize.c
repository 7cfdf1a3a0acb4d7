/* `pith image resize IMAGE SIZE`: grow an image file, its TFS partition
 * (MBR entry of type 0x7F) and the filesystem in it. Shrinking is refused.
 *
 * Order, chosen so the image mounts at every instant, even if the host
 * crashes half-way:
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
 * unknown, so the larger partition and file stay: valid with either copy. */
#include "image_cmd.h"
#include "host_heap.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool pwrite_sector0(int fd, const uint8_t sector0[512])
{
    return pwrite(fd, sector0, 512, 0) == 512 && fsync(fd) == 0;
}

int image_resize(int argc, char **argv)
{
    if (argc != 3) return image_fail("image resize", "usage: pith image resize IMAGE SIZE");
    const char *path = argv[1];
    uint64_t new_size;
    if (!image_parse_size(argv[2], &new_size))
        return image_fail(argv[2], "bad size (bytes, or a number with K, M, G or T)");

    struct image_handle img;
    if (!image_open(&img, path, true)) return IMAGE_EXIT_BAD_INPUT;
    int fd = img.file.fd;
    char msg[600];
    struct stat st;
    uint8_t sector0[512], old0[512];
    struct mbr_partition parts[4];
    if (fstat(fd, &st) != 0 || pread(fd, sector0, 512, 0) != 512) {
        image_fail(path, strerror(errno ? errno : EIO));
        goto fail_closed;
    }
    memcpy(old0, sector0, 512);
    int idx = -1;
    if (mbr_decode(sector0, parts))
        for (int i = 0; i < 4 && idx < 0; i++)
            if (parts[i].type == MBR_TYPE_TFS) idx = i;
    if (idx < 0) {
        image_fail(path, "no partition table with a TFS partition: not a Pith disk image");
        goto fail_closed;
    }
    uint64_t old_size = (uint64_t)st.st_size;
    if (new_size <= old_size) {
        snprintf(msg, sizeof msg, "resize only grows: the image is already %llu bytes",
                 (unsigned long long)old_size);
        image_fail(path, msg);
        goto fail_closed;
    }
    uint64_t start = parts[idx].start_lba;
    uint64_t new_sectors = new_size / SECTOR_SIZE > start ? (new_size / SECTOR_SIZE - start) & ~7ull : 0;
    if (new_sectors > UINT32_MAX) {
        image_fail(argv[2], "too large: an MBR partition holds at most 2 TiB");
        goto fail_closed;
    }
    if (new_sectors <= parts[idx].sectors) {
        image_fail(argv[2], "too small to add a 4 KiB block to the filesystem");
        goto fail_closed;
    }

    /* 1-2: enlarge the file, mount over the larger window. */
    if (ftruncate(fd, (off_t)new_size) != 0) {
        image_fail(path, strerror(errno));
        goto fail_closed;
    }
    file_blockdev_init_fd(&img.file, fd, 0, new_size / SECTOR_SIZE, path);
    img.file.owns_fd = true;
    if (part_blockdev_init(&img.part, &img.file.dev, start, new_sectors, path) != 0) {
        image_fail(path, "partition does not fit the enlarged file");
        goto fail_restore;
    }
    struct tfs_mount_options opt = { 0 };
    char err[512];
    if (tfs_mount_opts(host_heap(), &img.part.dev, &opt, &img.fs, err, sizeof err) != 0) {
        image_fail(path, err);
        goto fail_restore;
    }
    /* 3: the larger partition. */
    struct mbr_partition p = parts[idx];
    p.sectors = (uint32_t)new_sectors;
    mbr_encode_entry(sector0, idx, &p);
    if (!pwrite_sector0(fd, sector0)) {
        image_fail(path, strerror(errno ? errno : EIO));
        tfs_unmount(img.fs);
        img.fs = NULL;
        goto fail_restore;
    }
    /* 4: the filesystem takes the new space. */
    int rc = tfs_grow(img.fs, new_sectors / 8);
    int urc = tfs_unmount(img.fs);
    img.fs = NULL;
    if (rc == 0) rc = urc;
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    if (rc != 0) {
        snprintf(msg, sizeof msg, "growing the filesystem failed: %s (the partition is larger, the filesystem "
                 "may still have its old size)", strerror(-rc));
        image_fail(path, msg);
        image_close(&img);
        return IMAGE_EXIT_BAD_INPUT;
    }
    image_close(&img);
    return IMAGE_EXIT_OK;

fail_restore:
    if (memcmp(old0, sector0, 512) != 0) pwrite_sector0(fd, old0);
    if (ftruncate(fd, (off_t)old_size) == 0) fsync(fd);
fail_closed:
    image_close(&img);
    return IMAGE_EXIT_BAD_INPUT;
}
