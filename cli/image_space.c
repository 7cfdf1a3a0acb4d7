/* Used and free space of a mounted filesystem, in units people read. */
#include "image_space.h"
#include "../fs/tfs.h"
#include <stdio.h>

void image_human_size(uint64_t bytes, char *out, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (bytes < 1024) {
        snprintf(out, len, "%llu B", (unsigned long long)bytes);
        return;
    }
    unsigned u = 0;
    while (u + 1 < sizeof units / sizeof *units && bytes >> (10 * (u + 2))) u++;
    unsigned shift = 10 * (u + 1);
    /* Rounded down, so free space is never overstated: 1023.9 MiB free
     * prints as "1023 MiB", not "1.0 GiB". */
    uint64_t whole = bytes >> shift;
    if (whole >= 10) {
        snprintf(out, len, "%llu %s", (unsigned long long)whole, units[u]);
    } else {
        uint64_t tenths = (uint64_t)(((unsigned __int128)bytes * 10) >> shift);
        snprintf(out, len, "%llu.%llu %s", (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10), units[u]);
    }
}

void image_space_line(struct tfs *fs, char *out, size_t len)
{
    struct tfs_statfs st;
    tfs_statfs(fs, &st);
    char used[32], total[32], free_text[32];
    image_human_size((st.blocks - st.free_blocks) * st.block_size, used, sizeof used);
    image_human_size(st.blocks * st.block_size, total, sizeof total);
    image_human_size(st.free_blocks * st.block_size, free_text, sizeof free_text);
    snprintf(out, len, "used %s of %s (%s free)", used, total, free_text);
}
