#include "mounts.h"
#include "mounts_list.h"
#include "mbr.h"
#include "tfs.h"
#include "../platform/fw_cfg.h"
#include "../kernel/console.h"
#include "../kernel/panic.h"
#include "../kernel/clock.h"
#include "../kernel/mm.h"
#include "../kernel/kernel.h"
#include "../kernel/process.h"
#include "../klib/string.h"
#include "../klib/errno.h"

static uint64_t wall_clock(void *ctx) { return clock_realtime_ns(); }

static size_t reclaim_cache(void *fs, size_t want) { return tfs_reclaim(fs, want); }

/* Zeros a mapping shows for a hole must give way to the block it got. */
static void holes_filled(const struct tfs_node *n, uint64_t first, uint64_t count)
{
    if (kernel.process) vm_file_holes_filled(&kernel.process->vm, n, first * PAGE_SIZE, (first + count) * PAGE_SIZE);
}

int make_tfs_writable(struct tfs *fs, uint32_t cache_blocks, char *err, size_t errlen)
{
    struct tfs_mount_options opt = { .cache_blocks = cache_blocks, .clock_ns = wall_clock,
                                     .lent_in_use = kernel_page_shared, .holes_filled = holes_filled };
    int r = tfs_make_writable(fs, &opt, err, errlen);
    if (r == 0) page_alloc_add_reclaimer(reclaim_cache, fs);
    return r;
}

static NORETURN void mount_fail(const char *path, const char *why)
{
    kprintf("pith: volume for %s: %s\n", path, why);
    machine_exit(EXIT_BAD_IMAGE);
}

/* Find, among the extra disks, the TFS volume with this UUID. */
static struct tfs *mount_volume(struct heap *h, struct blockdev **disks, int ndisks, const uint8_t uuid[16],
                                const char *path)
{
    char err[160];
    for (int i = 0; i < ndisks; i++) {
        if (!disks[i]) continue;
        struct part_blockdev *part = allocate(h, sizeof *part);
        if (!part) panic("out of memory");
        struct tfs *fs;
        if (mbr_open_partition(disks[i], MBR_TYPE_TFS, part, err, sizeof err) < 0 ||
            tfs_mount(h, &part->dev, &fs, err, sizeof err) < 0) {
            deallocate(h, part, sizeof *part);
            continue;
        }
        struct tfs_statfs st;
        if (tfs_statfs(fs, &st) != 0 || memcmp(st.uuid, uuid, 16) != 0) {
            tfs_unmount(fs);
            deallocate(h, part, sizeof *part);
            continue;
        }
        if (make_tfs_writable(fs, 0, err, sizeof err) < 0) mount_fail(path, err);
        disks[i] = NULL;   /* one volume per disk */
        return fs;
    }
    mount_fail(path, "no attached disk holds a filesystem with that UUID");
}

/* No host to say which disk is which (a cloud, or --cloud-like): the image's
 * boot config names its volumes with the uuids they had when it was written
 * (TFS_CONFIG_MOUNT_UUIDS), put here into the mount list's own text so one
 * parser reads both. Returns the text's length. */
static int64_t list_from_config(const struct tfs_config *cfg, char *text, size_t room)
{
    static const char zeros[MOUNTS_LIST_UUID_HEX + 1] = "00000000000000000000000000000000";
    size_t n = 0;
    for (int i = 0; cfg && i < cfg->mountc; i++) {
        const char *path = cfg->mounts[2 * i];
        const char *uuid = cfg->mount_uuids ? cfg->mount_uuids + MOUNTS_LIST_UUID_HEX * i : zeros;
        if (!memcmp(uuid, zeros, MOUNTS_LIST_UUID_HEX))
            mount_fail(path, "the image does not record this volume's uuid (write it again with this pith)");
        size_t plen = strlen(path);
        if (n + MOUNTS_LIST_UUID_HEX + plen + 2 > room) mount_fail(path, "too many volumes in the boot config");
        memcpy(text + n, uuid, MOUNTS_LIST_UUID_HEX);
        text[n + MOUNTS_LIST_UUID_HEX] = ' ';
        memcpy(text + n + MOUNTS_LIST_UUID_HEX + 1, path, plen);
        n += MOUNTS_LIST_UUID_HEX + 1 + plen;
        text[n++] = '\n';
    }
    return (int64_t)n;
}

void mounts_attach(struct heap *h, struct mount_table *t, struct blockdev **disks, int ndisks,
                   const struct tfs_config *cfg)
{
    /* Once, at boot: static rather than 4.6 KiB of a boot stack. */
    static char text[MOUNTS_LIST_TEXT_MAX + 1];
    static struct mounts_list list;
    char err[160];
    int64_t n = fw_cfg_read_file(MOUNTS_LIST_FW_CFG_NAME, text, sizeof text);
    /* No fw_cfg (a cloud), or QEMU run by hand without pith's list. */
    if (n == -ENODEV || n == -ENOENT) n = list_from_config(cfg, text, sizeof text);
    if (n <= 0) return;
    if (mounts_list_parse(text, (size_t)n, &list, err, sizeof err) != 0) {
        kprintf("pith: volume for %s\n", err);
        machine_exit(EXIT_BAD_IMAGE);
    }
    for (int i = 0; i < list.count; i++) {
        struct mount *m = &t->mounts[t->count];
        memcpy(m->path, list.entries[i].path, list.entries[i].len + 1);
        m->len = list.entries[i].len;
        m->fs = mount_volume(h, disks, ndisks, list.entries[i].uuid, m->path);
        t->count++;
    }
}

struct tfs *mount_at(struct mount_table *t, const char *abs)
{
    for (int i = 0; i < t->count; i++)
        if (strcmp(abs, t->mounts[i].path) == 0) return t->mounts[i].fs;
    return NULL;
}

void mounts_sync(struct mount_table *t)
{
    for (int i = 0; i < t->count; i++) {
        int r = tfs_sync(t->mounts[i].fs);
        if (r < 0) kprintf("pith: writing %s back failed (error %d)\n", t->mounts[i].path, -r);
    }
}
