/* CRC-32C for TFS superblocks and log records. Table-driven; the table is
 * built on first use so the file needs no generated data. */
#include "tfs_format.h"

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc_table[256];
static bool crc_table_ready;

static void build_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        crc_table[i] = c;
    }
    crc_table_ready = true;
}

uint32_t tfs_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (!crc_table_ready) build_table();
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
