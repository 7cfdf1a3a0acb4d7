/* TFS on a corrupted image (fs/tfs_*.c, built for the host as the pith tool
 * and the unit tests build it): tfs_fsck, a read-only mount that walks every
 * directory, reads every file and symlink and the boot config, then a
 * writable mount (free-space map, torn-tail repair) and its unmount.
 *
 * fsck's verdict must agree: a filesystem it calls clean mounts, mounts
 * writable, and is still clean after the writable mount's unmount.
 *
 * The input is the TFS partition's first bytes (or a whole disk with an MBR:
 * its TFS partition is used); the rest of a 4 GiB disk reads as zeros.
 * Before mounting, the harness recomputes the superblocks' and the log
 * records' checksums, so mutations reach the checks behind them instead of
 * all stopping at "bad checksum" (which the unit tests cover). */
#include "fuzz.h"

#include "../../cli/host_heap.h"
#include "../../fs/mbr.h"
#include "../../fs/tfs.h"
#include "../../fs/tfs_format.h"

#define DISK_SECTORS (1ull << 23)
#define MAX_NODES 2000
#define READ_MAX (64u << 10)

static void fix_checksums(uint8_t *img, size_t size)
{
    for (size_t sb = 0; sb < 2; sb++) {
        size_t at = sb * TFS_BLOCK_SIZE;
        if (at + TFS_BLOCK_SIZE > size) return;
        uint8_t *b = img + at;
        tfs_put32(b + TFS_SB_CRC, tfs_crc32c(0, b, TFS_SB_CRC));
        uint64_t start = tfs_get64(b + TFS_SB_LOG_START), blocks = tfs_get64(b + TFS_SB_LOG_BLOCKS);
        if (start >= size / TFS_BLOCK_SIZE) continue;
        size_t pos = (size_t)start * TFS_BLOCK_SIZE;
        size_t end = blocks < (size - pos) / TFS_BLOCK_SIZE ? pos + (size_t)blocks * TFS_BLOCK_SIZE : size;
        while (pos + TFS_REC_HEADER_SIZE <= end) {
            uint8_t *h = img + pos;
            uint32_t len = tfs_get32(h + TFS_REC_LEN);
            if (tfs_get16(h + TFS_REC_TYPE) == 0 || len > end - pos - TFS_REC_HEADER_SIZE) break;
            tfs_put32(h + TFS_REC_CRC, 0);
            tfs_put32(h + TFS_REC_CRC, tfs_crc32c(0, h, TFS_REC_HEADER_SIZE + len));
            pos += TFS_REC_HEADER_SIZE + len;
            pos = (pos + TFS_REC_ALIGN - 1) & ~(size_t)(TFS_REC_ALIGN - 1);
        }
    }
}

static void walk(struct tfs *fs, struct tfs_node *dir, int depth, int *budget)
{
    static uint8_t buf[READ_MAX];
    uint64_t cookie = 0;
    struct tfs_dirent d;
    while (--*budget > 0 && tfs_readdir(fs, dir, &cookie, &d) == 1) {
        if (!strcmp(d.name, ".") || !strcmp(d.name, "..")) continue;
        struct tfs_node *n;
        if (tfs_lookup(fs, dir, d.name, strlen(d.name), &n) != 0) continue;
        struct tfs_stat st;
        tfs_stat(n, &st);
        uint32_t type = st.mode & TFS_S_IFMT;
        if (type == TFS_S_IFDIR && depth < 16) {
            tfs_node_get(n);
            walk(fs, n, depth + 1, budget);
            tfs_node_put(fs, n);
        } else if (type == TFS_S_IFREG) {
            (void)tfs_read(fs, n, 0, buf, sizeof buf);
            if (st.size > sizeof buf) (void)tfs_read(fs, n, st.size - sizeof buf, buf, sizeof buf);
        } else if (type == TFS_S_IFLNK) {
            (void)tfs_readlink(n, (char *)buf, 4096);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1);
    FUZZ_ASSERT(img);
    memcpy(img, data, size);
    size_t start = 0;
    struct mbr_partition parts[4];
    if (size >= 512 && mbr_decode(img, parts))
        for (int i = 0; i < 4; i++)
            if (parts[i].type == MBR_TYPE_TFS && parts[i].start_lba) {
                start = (size_t)parts[i].start_lba * 512;
                break;
            }
    if (start < size) fix_checksums(img + start, size - start);

    struct file_blockdev disk;
    fuzz_disk(&disk, img, size, DISK_SECTORS);
    free(img);
    struct part_blockdev part;
    char err[512] = "";
    if (mbr_open_partition(&disk.dev, MBR_TYPE_TFS, &part, err, sizeof err) != 0)
        return 0;

    static char report[8192];
    bool clean = tfs_fsck(host_heap(), &part.dev, report, sizeof report) == 0;

    struct tfs *fs;
    if (tfs_mount(host_heap(), &part.dev, &fs, err, sizeof err) != 0) {
        if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "tfs: %s\n", err);
        FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
        if (clean) fprintf(stderr, "fuzz: fsck clean, mount fails: %s\n", err);
        FUZZ_ASSERT(!clean);
        return 0;
    }
    const struct tfs_config *cfg = tfs_config(fs);
    if (cfg) {
        for (int i = 0; i < cfg->argc; i++) (void)strlen(cfg->argv[i]);
        for (int i = 0; i < cfg->envc; i++) (void)strlen(cfg->envp[i]);
        for (int i = 0; i < 2 * cfg->mountc; i++) (void)strlen(cfg->mounts[i]);
    }
    int budget = MAX_NODES;
    walk(fs, tfs_root(fs), 0, &budget);
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "tfs: mounted, %d nodes seen\n", MAX_NODES - budget);
    struct tfs_mount_options opt = { .flags = 0 };
    int wrc = tfs_make_writable(fs, &opt, err, sizeof err);
    if (wrc == 0) {
        struct tfs_statfs sf;
        (void)tfs_statfs(fs, &sf);
    } else if (clean) {
        fprintf(stderr, "fuzz: fsck clean, writable mount fails: %s\n", err);
    }
    FUZZ_ASSERT(!clean || wrc == 0);
    (void)tfs_unmount(fs);
    /* A writable mount and its unmount never make a clean filesystem unclean. */
    if (clean && tfs_fsck(host_heap(), &part.dev, report, sizeof report) != 0) {
        fprintf(stderr, "fuzz: clean before a writable mount, not after:\n%s", report);
        abort();
    }
    return 0;
}
