/* Written once for the host tool and the kernel: freestanding (klib only). */
#include "mounts_list.h"
#include "../klib/format.h"
#include "../klib/string.h"

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* The length of path once trailing '/' are dropped, or 0 if the path is not
 * one a volume can be mounted at (relative, "/", a newline, too long). */
static size_t mount_point_len(const char *path, size_t len)
{
    if (len == 0 || path[0] != '/') return 0;
    while (len > 1 && path[len - 1] == '/') len--;
    if (len < 2 || len >= MOUNTS_LIST_PATH_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '\n' || path[i] == '\0') return 0;
    return len;
}

int mounts_list_format(const struct mounts_list *list, char *out, size_t outlen, char *err, size_t errlen)
{
    size_t used = 0;
    if (list->count < 0 || list->count > MOUNTS_LIST_MAX) {
        format_sn(err, errlen, "at most %d volumes", MOUNTS_LIST_MAX);
        return -1;
    }
    for (int i = 0; i < list->count; i++) {
        const struct mounts_list_entry *e = &list->entries[i];
        size_t len = mount_point_len(e->path, strnlen(e->path, MOUNTS_LIST_PATH_MAX));
        if (len == 0) {
            format_sn(err, errlen, "%.64s: bad mount point", e->path);
            return -1;
        }
        if (used + MOUNTS_LIST_UUID_HEX + 1 + len + 1 >= outlen) {
            format_sn(err, errlen, "the mount list does not fit in %zu bytes", outlen);
            return -1;
        }
        for (int k = 0; k < 16; k++) {
            out[used++] = hex_digits[e->uuid[k] >> 4];
            out[used++] = hex_digits[e->uuid[k] & 15];
        }
        out[used++] = ' ';
        memcpy(out + used, e->path, len);
        used += len;
        out[used++] = '\n';
    }
    if (outlen) out[used] = '\0';
    return (int)used;
}

/* A bad piece of the text as the culprit of an error: at most 64 bytes of it. */
static int fail(char *err, size_t errlen, const char *what, size_t len, const char *why)
{
    format_sn(err, errlen, "%.*s: %s", (int)(len > 64 ? 64 : len), what, why);
    return -1;
}

int mounts_list_parse(const char *text, size_t len, struct mounts_list *list, char *err, size_t errlen)
{
    list->count = 0;
    if (len > MOUNTS_LIST_TEXT_MAX) return fail(err, errlen, "(all)", 5, "mount list too long");
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        size_t n = 0;
        while (pos + n < len && line[n] != '\n') n++;
        pos += n + 1;
        if (n < MOUNTS_LIST_UUID_HEX + 2 || line[MOUNTS_LIST_UUID_HEX] != ' ')
            return fail(err, errlen, line, n, "bad line in the mount list");
        struct mounts_list_entry *e = &list->entries[list->count];
        for (int k = 0; k < 16; k++) {
            int hi = hex_value(line[2 * k]), lo = hex_value(line[2 * k + 1]);
            if (hi < 0 || lo < 0) return fail(err, errlen, line, n, "bad line in the mount list");
            e->uuid[k] = (uint8_t)(hi << 4 | lo);
        }
        const char *path = line + MOUNTS_LIST_UUID_HEX + 1;
        size_t plen = n - MOUNTS_LIST_UUID_HEX - 1;
        if (path[0] != '/') return fail(err, errlen, line, n, "bad line in the mount list");
        if (list->count == MOUNTS_LIST_MAX) return fail(err, errlen, path, plen, "too many volumes");
        size_t keep = mount_point_len(path, plen);
        if (keep == 0) return fail(err, errlen, path, plen, "bad mount point");
        memcpy(e->path, path, keep);
        e->path[keep] = '\0';
        e->len = keep;
        list->count++;
    }
    return 0;
}
