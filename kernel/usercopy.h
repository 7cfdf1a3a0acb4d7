/* Safe access to the program's memory: every pointer from a syscall goes
 * through these. They return 0 or -EFAULT, never fault the kernel. */
#pragma once
#include "../klib/types.h"
#include "mm.h"

extern bool smap_enabled;
long usercopy(void *dst, const void *src, size_t n);
long userzero(void *dst, size_t n);
long user_cmpxchg32(uint32_t *uaddr, uint32_t *expected, uint32_t desired);


static inline bool user_range_ok(uint64_t addr, size_t n)
{
    return addr + n >= addr && addr + n <= USER_TOP;
}

/* Atomically: if the word at uaddr (4-byte aligned) holds *expected, store
 * desired. *expected gets the value found either way. 0 or -EFAULT. */
static inline long cmpxchg_user32(uint64_t uaddr, uint32_t *expected, uint32_t desired)
{
    if (!user_range_ok(uaddr, 4) || (uaddr & 3)) return -14;
    return user_cmpxchg32((uint32_t *)uaddr, expected, desired);
}

static inline long copy_from_user(void *dst, uint64_t src, size_t n)
{
    if (!user_range_ok(src, n)) return -14;
    return usercopy(dst, (const void *)src, n);
}

static inline long copy_to_user(uint64_t dst, const void *src, size_t n)
{
    if (!user_range_ok(dst, n)) return -14;
    return usercopy((void *)dst, src, n);
}

static inline long zero_user(uint64_t dst, size_t n)
{
    if (!user_range_ok(dst, n)) return -14;
    return userzero((void *)dst, n);
}

/* Copy a NUL-terminated string of at most max-1 bytes; returns its length,
 * -EFAULT, or -ENAMETOOLONG. */
long copy_string_from_user(char *dst, uint64_t src, size_t max);
