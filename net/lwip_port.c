/* The few functions lwIP needs from its platform (net/port/arch/cc.h,
 * lwipopts.h): memory from the kernel heap, the clock, randomness, atoi and
 * diagnostics. lwIP calls these only under net_lock (net/net_stack.c). */
#include "lwip/opt.h"
#include "lwip/sys.h"
#include "net_stack.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "../kernel/cpu.h"
#include "../kernel/panic.h"
#include "../klib/heap.h"
#include "../klib/string.h"

/* struct heap wants the size back on free; lwIP's mem_free does not give
 * it, so each block carries it in front (16 bytes keep the alignment). */
struct lwip_block {
    uint64_t size;
    uint64_t pad;
};

void *pith_lwip_malloc(unsigned long size)
{
    struct heap *h = net_heap();
    size_t total = size + sizeof(struct lwip_block);
    struct lwip_block *b = allocate(h, total);
    if (!b) return NULL;
    b->size = total;
    return b + 1;
}

void *pith_lwip_calloc(unsigned long n, unsigned long size)
{
    if (size && n > (unsigned long)-1 / 2 / size) return NULL;
    void *p = pith_lwip_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void pith_lwip_free(void *p)
{
    if (!p) return;
    struct lwip_block *b = (struct lwip_block *)p - 1;
    deallocate(net_heap(), b, b->size);
}

u32_t sys_now(void)
{
    return (u32_t)(clock_monotonic_ns() / 1000000);
}

uint32_t pith_lwip_rand(void)
{
    return (uint32_t)cpu_random64();
}

int atoi(const char *s)
{
    int sign = 1, v = 0;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '-' || *s == '+') sign = *s++ == '-' ? -1 : 1;
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    return sign * v;
}

void pith_lwip_diag(const char *fmt, ...)
{
    (void)fmt;  /* LWIP_DEBUG is off: nothing calls this in practice */
}

NORETURN void pith_lwip_assert(const char *msg, const char *file, int line)
{
    panic("lwIP assertion \"%s\" failed at %s:%d", msg, file, line);
}
