/* QEMU's fw_cfg device at its I/O ports: the signature check and the file
 * directory walk. Header-only so its two users share one copy: the kernel
 * (platform/fw_cfg.c) and KASLR's early boot code (boot/kaslr/), which runs
 * before the kernel is at its address and so may call nothing in it. */
#pragma once
#include "../klib/types.h"
#include "../kernel/io.h"

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NOT_FOUND (-1)

static inline void fw_cfg_select(uint16_t key) { outw(FW_CFG_SELECTOR, key); }

static inline void fw_cfg_read_bytes(void *buf, size_t n)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++) b[i] = inb(FW_CFG_DATA);
}

static inline uint32_t fw_cfg_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* "QEMU" at item 0 (an absent device reads 0xff). */
static inline bool fw_cfg_signature_found(void)
{
    uint8_t sig[4];
    fw_cfg_select(FW_CFG_SIGNATURE);
    fw_cfg_read_bytes(sig, sizeof sig);
    return sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
}

/* Copy the file `name` into buf (at most len bytes) and return its full
 * size, or FW_CFG_NOT_FOUND. The caller has checked the signature. */
static inline int64_t fw_cfg_find_file(const char *name, void *buf, size_t len)
{
    uint8_t count_be[4];
    fw_cfg_select(FW_CFG_FILE_DIR);
    fw_cfg_read_bytes(count_be, sizeof count_be);
    uint32_t count = fw_cfg_be32(count_be);
    for (uint32_t i = 0; i < count; i++) {
        /* Each entry: size (BE32), select (BE16), reserved (16), name[56]. */
        uint8_t entry[64];
        fw_cfg_read_bytes(entry, sizeof entry);
        const char *ename = (const char *)entry + 8;
        size_t k = 0;
        while (k < 56 && name[k] && ename[k] == name[k]) k++;
        if (k == 56 || name[k] || ename[k]) continue;
        uint32_t size = fw_cfg_be32(entry);
        fw_cfg_select((uint16_t)(entry[4] << 8 | entry[5]));
        fw_cfg_read_bytes(buf, size < len ? size : len);
        return size;
    }
    return FW_CFG_NOT_FOUND;
}
