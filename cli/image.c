/* Disk image assembly: boot blobs + MBR + TFS, written atomically. */
#include "image.h"
#include "file_blockdev.h"
#include "host_heap.h"
#include "tfs_writer.h"
#include "../fs/mbr.h"
#include "../fs/tfs.h"
#include "../fs/tfs_format.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    return 0;
}

/* Mount the freshly written filesystem back through the MBR and check the
 * program is there: catches writer bugs and manifests that forgot the
 * program before anyone boots the image. */
static int verify(int fd, uint64_t sectors, const struct manifest *m, char *err, size_t errlen)
{
    struct file_blockdev disk;
    file_blockdev_init_fd(&disk, fd, 0, sectors, "image");
    struct part_blockdev part;
    char why[256];
    int rc = mbr_open_partition(&disk.dev, MBR_TYPE_TFS, &part, why, sizeof(why));
    struct tfs *fs = NULL;
    if (!rc) rc = tfs_mount(host_heap(), &part.dev, &fs, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "internal error: the written image does not mount: %s", why);
        return -EIO;
    }
    struct tfs_node *n;
    rc = tfs_resolve(fs, NULL, m->program, true, &n);
    if (rc) {
        snprintf(err, errlen, "program %s: %s in the image", m->program,
                 rc == -ENOENT ? "not found" : rc == -ELOOP ? "symlink loop" : rc == -ENOTDIR ? "a parent is not a directory" : "cannot resolve");
    } else if ((tfs_mode(n) & 0170000) != 0100000) {
        snprintf(err, errlen, "program %s: not a regular file in the image", m->program);
        rc = -EINVAL;
    } else if (!(tfs_mode(n) & 0111)) {
        snprintf(err, errlen, "program %s: not executable (mode 0%o)", m->program, tfs_mode(n) & 07777);
        rc = -EACCES;
    }
    tfs_unmount(fs);
    return rc;
}

/* The ESP is mostly free clusters: its zeros stay holes in the sparse image. */
static int pwrite_nonzero(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    static const uint8_t zero[4096];
    for (size_t done = 0; done < len; done += sizeof zero) {
        size_t n = MIN(sizeof zero, len - done);
        if (memcmp(buf + done, zero, n) == 0) continue;
        int rc = pwrite_all(fd, buf + done, n, off + done);
        if (rc) return rc;
    }
    return 0;
}

static int write_image(int fd, const struct boot_blobs *boot, const struct manifest *m, struct tfs_plan *plan,
                       const struct image_options *opt, char *err, size_t errlen)
{
    size_t kernel_len = boot->kernel ? boot->kernel_len : 0, stage2_len = boot->stage2 ? boot->stage2_len : 0;
    uint64_t kernel_sectors = (kernel_len + 511) / 512;
    size_t esp_len = boot->esp ? boot->esp_len : 0;
    uint64_t esp_lba = esp_len ? ALIGN_UP(IMAGE_KERNEL_LBA + kernel_sectors, (uint64_t)IMAGE_ESP_ALIGN_SECTORS) : 0;
    uint64_t esp_sectors = esp_len / 512;
    uint64_t tfs_lba = ALIGN_UP(esp_len ? esp_lba + esp_sectors : IMAGE_KERNEL_LBA + kernel_sectors, (uint64_t)8);
    uint64_t tfs_sectors = tfs_plan_blocks(plan) * 8;
    uint64_t total = tfs_lba + tfs_sectors;
    if (total > UINT32_MAX) {
        snprintf(err, errlen, "image would be %llu MiB; an MBR disk holds at most 2 TiB", (unsigned long long)(total >> 11));
        return -EFBIG;
    }
    int rc;
    if (ftruncate(fd, (off_t)(total * 512)) != 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot size the image: %s", strerror(-rc));
        return rc;
    }

    uint8_t mbr[512] = { 0 };
    if (boot->stage1) memcpy(mbr, boot->stage1, MIN(boot->stage1_len, (size_t)MBR_BOOT_CODE_SIZE));
    if (kernel_len) {
        struct mbr_partition k = { 0x80, MBR_TYPE_PITH_KERNEL, IMAGE_KERNEL_LBA, (uint32_t)kernel_sectors };
        mbr_encode_entry(mbr, 0, &k);
    }
    struct mbr_partition t = { 0, MBR_TYPE_TFS, (uint32_t)tfs_lba, (uint32_t)tfs_sectors };
    mbr_encode_entry(mbr, 1, &t);
    if (esp_len) {
        struct mbr_partition e = { 0, MBR_TYPE_ESP, (uint32_t)esp_lba, (uint32_t)esp_sectors };
        mbr_encode_entry(mbr, 2, &e);
    }
    mbr_set_signature(mbr);
    rc = pwrite_all(fd, mbr, sizeof(mbr), 0);
    if (!rc && stage2_len) rc = pwrite_all(fd, boot->stage2, stage2_len, 512);
    if (!rc && kernel_len) rc = pwrite_all(fd, boot->kernel, kernel_len, IMAGE_KERNEL_LBA * 512ull);
    if (!rc && esp_len) rc = pwrite_nonzero(fd, boot->esp, esp_len, esp_lba * 512);
    if (rc) {
        snprintf(err, errlen, "writing the image: %s", strerror(-rc));
        return rc;
    }

    struct file_blockdev part;
    file_blockdev_init_fd(&part, fd, tfs_lba, tfs_sectors, "image");
    if (opt) part.writes_before_failure = opt->tfs_writes_before_failure;
    rc = tfs_plan_write(plan, &part.dev, err, errlen);
    if (!rc && m->program) rc = verify(fd, total, m, err, errlen);
    if (!rc && fsync(fd) != 0) {
        rc = -errno;
        snprintf(err, errlen, "writing the image: %s", strerror(-rc));
    }
    return rc;
}

uint64_t image_room_blocks(uint64_t needed_blocks)
{
    uint64_t room = IMAGE_ROOM_BYTES / TFS_BLOCK_SIZE;
    /* A round 1 GiB for ordinary programs; big contents (python with its
     * libraries is ~100 MiB, a dataset may be more) still get the full
     * room on top rather than what is left of 1 GiB. */
    return needed_blocks <= room / 2 ? room : needed_blocks + room;
}

int image_write_opts(const char *out_path, const struct boot_blobs *boot, const struct manifest *m,
                     const struct image_options *opt, char *err, size_t errlen)
{
    if (!m->program) {
        snprintf(err, errlen, "the manifest names no program");
        return -EINVAL;
    }
    if (boot->stage1_len > 512) {
        snprintf(err, errlen, "stage1 is %zu bytes; the MBR holds 512", boot->stage1_len);
        return -EFBIG;
    }
    if (boot->stage2_len > IMAGE_STAGE2_MAX_SECTORS * 512) {
        snprintf(err, errlen, "stage2 is %zu bytes; at most %d fit between the MBR and LBA 64", boot->stage2_len,
                 IMAGE_STAGE2_MAX_SECTORS * 512);
        return -EFBIG;
    }
    if (boot->esp && boot->esp_len % 512) {
        snprintf(err, errlen, "the EFI system partition is %zu bytes, not whole sectors", boot->esp_len);
        return -EINVAL;
    }
    struct tfs_plan *plan;
    int rc = tfs_plan_build(m, &plan, err, errlen);
    if (rc) return rc;
    if (!m->min_size) tfs_plan_reserve(plan, image_room_blocks(tfs_plan_blocks(plan)));

    size_t tlen = strlen(out_path) + 16;
    char *tmp = malloc(tlen);
    if (!tmp) {
        tfs_plan_free(plan);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    snprintf(tmp, tlen, "%s.tmp-XXXXXX", out_path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", out_path, strerror(-rc));
    } else {
        rc = write_image(fd, boot, m, plan, opt, err, errlen);
        mode_t mask = umask(0);
        umask(mask);
        if ((!rc && fchmod(fd, 0666 & ~mask) != 0) | (close(fd) != 0 && !rc)) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", tmp, strerror(-rc));
        }
        if (!rc && rename(tmp, out_path) != 0) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", out_path, strerror(-rc));
        }
        if (rc) unlink(tmp);
    }
    free(tmp);
    tfs_plan_free(plan);
    return rc;
}

int image_write(const char *out_path, const struct boot_blobs *boot, const struct manifest *m, char *err,
                size_t errlen)
{
    return image_write_opts(out_path, boot, m, NULL, err, errlen);
}
