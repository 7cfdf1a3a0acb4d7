/* The MBR reader (fs/mbr.c): any sector 0 gives a partition window that
 * lies inside the disk, or a one-line refusal; the window refuses accesses
 * outside itself. The disk is the input followed by zeros, 8 GiB in all. */
#include "fuzz.h"

#include "../../fs/mbr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct file_blockdev disk;
    uint64_t sectors = size >= 512 && data[511] == 0xAA ? 1ull << 24 : (size + 511) / 512;
    fuzz_disk(&disk, data, size, sectors);
    static const uint8_t types[] = { MBR_TYPE_PITH_KERNEL, MBR_TYPE_TFS, MBR_TYPE_ESP, 0x83 };
    uint8_t sector[512];
    for (size_t t = 0; t < sizeof types; t++) {
        struct part_blockdev part;
        char err[256] = "";
        if (mbr_open_partition(&disk.dev, types[t], &part, err, sizeof err) != 0) {
            FUZZ_ASSERT(err[0]);
            continue;
        }
        FUZZ_ASSERT(part.start + part.dev.sectors <= disk.dev.sectors);
        if (part.dev.sectors) {
            FUZZ_ASSERT(part.dev.read(&part.dev, 0, sector, 1) == 0);
            FUZZ_ASSERT(part.dev.read(&part.dev, part.dev.sectors - 1, sector, 1) == 0);
        }
        FUZZ_ASSERT(part.dev.read(&part.dev, part.dev.sectors, sector, 1) != 0);
    }
    if (size >= 512) {
        struct mbr_partition p[4];
        (void)mbr_decode(data, p);
    }
    return 0;
}
