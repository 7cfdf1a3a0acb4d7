#include "fw_cfg.h"
#include "fw_cfg_dir.h"
#include "../kernel/io.h"
#include "../klib/errno.h"
#include "../klib/string.h"

/* q35 always has fw_cfg; `pith run --cloud-like` hands the kernel this one
 * file to make it behave as on a machine without (docs/boot.md). Asked
 * once: the answer cannot change. */
#define IGNORE_FILE "opt/pith/ignore-fw_cfg"

bool fw_cfg_present(void)
{
    static int known = -1;
    if (known < 0) known = fw_cfg_signature_found() && fw_cfg_find_file(IGNORE_FILE, NULL, 0) == FW_CFG_NOT_FOUND;
    return known;
}

int fw_cfg_read_item(uint16_t key, void *buf, size_t len)
{
    if (!fw_cfg_present()) return -ENODEV;
    fw_cfg_select(key);
    fw_cfg_read_bytes(buf, len);
    return 0;
}

int64_t fw_cfg_read_file(const char *name, void *buf, size_t len)
{
    if (!fw_cfg_present()) return -ENODEV;
    int64_t size = fw_cfg_find_file(name, buf, len);
    return size == FW_CFG_NOT_FOUND ? -ENOENT : size;
}
