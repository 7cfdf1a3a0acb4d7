#include "fw_cfg.h"
#include "../kernel/io.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019

static void select_item(uint16_t key) { outw(FW_CFG_SELECTOR, key); }

static void read_bytes(void *buf, size_t n)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++) b[i] = inb(FW_CFG_DATA);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static bool signature_found(void)
{
    char sig[4];
    select_item(FW_CFG_SIGNATURE);
    read_bytes(sig, sizeof sig);
    return memcmp(sig, "QEMU", 4) == 0;
}

/* The file `name` of the file directory, whose presence was checked. */
static int64_t find_file(const char *name, void *buf, size_t len)
{
    uint8_t count_be[4];
    select_item(FW_CFG_FILE_DIR);
    read_bytes(count_be, sizeof count_be);
    uint32_t count = be32(count_be);
    for (uint32_t i = 0; i < count; i++) {
        /* Each entry: size (BE32), select (BE16), reserved (16), name[56]. */
        uint8_t entry[64];
        read_bytes(entry, sizeof entry);
        char ename[57];
        memcpy(ename, entry + 8, 56);
        ename[56] = 0;
        if (strcmp(ename, name) != 0) continue;
        uint32_t size = be32(entry);
        uint16_t sel = (uint16_t)(entry[4] << 8 | entry[5]);
        select_item(sel);
        read_bytes(buf, MIN((size_t)size, len));
        return size;
    }
    return -ENOENT;
}

/* q35 always has fw_cfg; `pith run --cloud-like` hands the kernel this one
 * file to make it behave as on a machine without (docs/boot.md). Asked
 * once: the answer cannot change. */
#define IGNORE_FILE "opt/pith/ignore-fw_cfg"

bool fw_cfg_present(void)
{
    static int known = -1;
    if (known < 0) known = signature_found() && find_file(IGNORE_FILE, NULL, 0) == -ENOENT;
    return known;
}

int fw_cfg_read_item(uint16_t key, void *buf, size_t len)
{
    if (!fw_cfg_present()) return -ENODEV;
    select_item(key);
    read_bytes(buf, len);
    return 0;
}

int64_t fw_cfg_read_file(const char *name, void *buf, size_t len)
{
    if (!fw_cfg_present()) return -ENODEV;
    return find_file(name, buf, len);
}
