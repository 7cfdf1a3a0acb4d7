/* The three memory helpers C needs without a libc. Kept as plain loops:
 * the loader copies little outside the kernel image itself. */
#include "bios.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    /* Word copies for the bulk: the kernel image goes through here. */
    while (n >= 4 && (((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
        *(uint32_t *)d = *(const uint32_t *)s;
        d += 4, s += 4, n -= 4;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
