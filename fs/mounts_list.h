/* The list of extra volumes the host hands the kernel (`pith run --mount
 * VOL:/data`): the fw_cfg file "opt/pith/mounts", one line per volume,
 *
 *     UUIDHEX /path\n
 *
 * UUIDHEX being the volume's TFS filesystem uuid as 32 lowercase hex digits
 * and /path its absolute mount point. One definition for both sides: the host
 * tool writes the text with mounts_list_format (cli/volume_check.c), the
 * kernel reads it with mounts_list_parse (fs/mounts.c); both files link this
 * one (fs/mounts_list.c is in the kernel and in the host library). */
#pragma once
#include "../klib/types.h"

#define MOUNTS_LIST_FW_CFG_NAME "opt/pith/mounts"
#define MOUNTS_LIST_MAX 8            /* volumes per run */
#define MOUNTS_LIST_PATH_MAX 256     /* a mount point's bytes, NUL included */
#define MOUNTS_LIST_UUID_HEX 32
/* The longest list the format allows: every line full. */
#define MOUNTS_LIST_TEXT_MAX (MOUNTS_LIST_MAX * (MOUNTS_LIST_UUID_HEX + 1 + MOUNTS_LIST_PATH_MAX))

struct mounts_list_entry {
    uint8_t uuid[16];
    char path[MOUNTS_LIST_PATH_MAX];   /* absolute, no trailing '/', not "/" */
    size_t len;                        /* strlen(path) */
};

struct mounts_list {
    int count;
    struct mounts_list_entry entries[MOUNTS_LIST_MAX];
};

/* Write list's text into out (NUL-terminated). Returns its length, or -1
 * with a reason in err when an entry's path is one the parser would refuse
 * or the text does not fit in outlen. */
int mounts_list_format(const struct mounts_list *list, char *out, size_t outlen, char *err, size_t errlen);

/* Parse len bytes of text (no NUL needed) into *list. An empty text is an
 * empty list. Trailing '/' of a path are dropped. 0, or -1 with
 * "CULPRIT: reason" in err (the bad line or path, and why). */
int mounts_list_parse(const char *text, size_t len, struct mounts_list *list, char *err, size_t errlen);
