#include "usercopy.h"
#include "../klib/errno.h"

bool smap_enabled;

long copy_string_from_user(char *dst, uint64_t src, size_t max)
{
    size_t len = 0;
    while (len < max) {
        /* Never read past the page the string might end on. */
        size_t chunk = MIN(max - len, PAGE_SIZE - ((src + len) & (PAGE_SIZE - 1)));
        long r = copy_from_user(dst + len, src + len, chunk);
        if (r) return r;
        for (size_t i = 0; i < chunk; i++)
            if (!dst[len + i]) return (long)(len + i);
        len += chunk;
    }
    return -ENAMETOOLONG;
}
