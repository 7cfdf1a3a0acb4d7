/* Break a copy of a good Pith image in one specific way, for the bad-image
 * tests in test/run-tests (the kernel must refuse it with exit 251 and
 * `pith image fsck` must report the same problem):
 *   corrupt_image MODE IMAGE
 *   magic        both superblocks get a wrong magic
 *   log-byte     one byte of the first log record flipped (checksum fails)
 *   log-outside  both superblocks point the log past the end of the disk
 *                (checksums recomputed, so only the geometry check can catch it)
 *   truncate     the file cut 16 KiB into the filesystem
 * Prints one line naming what it did; exit 2 on usage or I/O errors. */
#include "../../fs/mbr.h"
#include "../../fs/tfs_format.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "corrupt_image: %s\n", what);
    return 2;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv)
{
    if (argc != 3) return die("usage: corrupt_image magic|log-byte|log-outside|truncate IMAGE");
    const char *mode = argv[1];
    int fd = open(argv[2], O_RDWR);
    if (fd < 0) return die("cannot open the image");
    uint8_t s0[512];
    struct mbr_partition parts[4];
    if (pread(fd, s0, 512, 0) != 512 || !mbr_decode(s0, parts) || parts[1].type != MBR_TYPE_TFS)
        return die("no TFS partition in entry 1");
    off_t base = (off_t)parts[1].start_lba * 512;
    static uint8_t sb[2][TFS_BLOCK_SIZE];
    for (int i = 0; i < 2; i++)
        if (pread(fd, sb[i], TFS_BLOCK_SIZE, base + (off_t)i * TFS_BLOCK_SIZE) != TFS_BLOCK_SIZE)
            return die("cannot read the superblocks");

    if (strcmp(mode, "magic") == 0) {
        for (int i = 0; i < 2; i++) memcpy(sb[i] + TFS_SB_MAGIC, "NOT-TFS!", 8);
    } else if (strcmp(mode, "log-outside") == 0) {
        for (int i = 0; i < 2; i++) {
            put64(sb[i] + TFS_SB_LOG_START, get64(sb[i] + TFS_SB_BLOCK_COUNT) + 1000);
            put32(sb[i] + TFS_SB_CRC, tfs_crc32c(0, sb[i], TFS_SB_CRC));
        }
    } else if (strcmp(mode, "log-byte") == 0) {
        /* The valid copy with the higher generation is the one mount uses. */
        const uint8_t *s = get64(sb[1] + TFS_SB_GENERATION) > get64(sb[0] + TFS_SB_GENERATION) ? sb[1] : sb[0];
        off_t at = base + (off_t)(get64(s + TFS_SB_LOG_START) * TFS_BLOCK_SIZE) + TFS_REC_HEADER_SIZE + 5;
        uint8_t b;
        if (pread(fd, &b, 1, at) != 1) return die("cannot read the log");
        b ^= 0x20;
        if (pwrite(fd, &b, 1, at) != 1) return die("cannot write");
        printf("flipped a byte of the first log record\n");
        return close(fd) == 0 ? 0 : 2;
    } else if (strcmp(mode, "truncate") == 0) {
        if (ftruncate(fd, base + 16384) != 0) return die("cannot truncate");
        printf("truncated to %lld bytes\n", (long long)base + 16384);
        return close(fd) == 0 ? 0 : 2;
    } else {
        return die("unknown mode");
    }
    for (int i = 0; i < 2; i++)
        if (pwrite(fd, sb[i], TFS_BLOCK_SIZE, base + (off_t)i * TFS_BLOCK_SIZE) != TFS_BLOCK_SIZE)
            return die("cannot write the superblocks");
    printf("superblocks changed: %s\n", mode);
    return close(fd) == 0 ? 0 : 2;
}
