/* Kernel self-tests of the protections a program cannot reach: the boot
 * config's kernel options (hidden `pith run --selftest NAME`, for
 * test/harden/) name one, and it runs just before the program would load.
 * Each one breaks a rule on purpose and must end in a panic that names the
 * protection; if it comes back, nothing stopped it, and that panics too
 * with "nothing stopped it". Not for users: documented in kernel/README.md
 * and test/README.md only. */
#include "selftest.h"
#include "cpu.h"
#include "mm.h"
#include "paging.h"
#include "panic.h"
#include "../klib/string.h"

extern char _kernel_text_start[];

/* A program-half address the program does not have yet. */
#define SELFTEST_USER_PAGE 0x200000ul

static volatile size_t smash_extra = 0;

/* Writes from its array up to its frame pointer: over the stack
 * protector's copy of the guard (just below the saved %rbp) and nothing of
 * its callers, so the backtrace reaches them. */
__attribute__((noinline)) static void smash_own_stack(void)
{
    char buf[16];
    volatile char *p = buf;
    size_t n = (size_t)((char *)__builtin_frame_address(0) - buf) + smash_extra;
    for (size_t i = 0; i < n; i++) p[i] = 0x41;
}

/* A page of the program's half, as a program's page is mapped (user,
 * readable, executable unless nx), holding one `ret`. */
static void *user_page(bool nx)
{
    uint64_t pa = page_alloc();
    if (!pa) panic("selftest: out of memory");
    *(uint8_t *)phys_to_virt(pa) = 0xc3;
    if (page_map(paging_root(), SELFTEST_USER_PAGE, pa, PTE_U | (nx ? PTE_NX : 0)) < 0)
        panic("selftest: out of memory");
    return (void *)SELFTEST_USER_PAGE;
}

/* Make one kernel page's entry break a rule, then audit as the boot does. */
static void audit_after(uint64_t va, uint64_t set, uint64_t clear)
{
    uint64_t *e = page_lookup(paging_root(), va);
    if (!e) panic("selftest: %lx is not mapped", va);
    *e = (*e | set) & ~clear;
    tlb_flush_page_local(va);
    paging_audit(paging_root(), true);
}

static void run(const char *name)
{
    if (strcmp(name, "stack_smash") == 0) {
        smash_own_stack();
    } else if (strcmp(name, "stack_canary_threads") == 0) {
        selftest_stack_canary_threads();    /* kernel/selftest_canary.c */
        smash_own_stack();
    } else if (strcmp(name, "exec_user_page") == 0) {
        void (*code)(void) = (void (*)(void))user_page(false);
        code();
    } else if (strcmp(name, "read_user_page") == 0) {
        volatile uint8_t *p = user_page(true);
        (void)*p;
    } else if (strcmp(name, "wx_mapping") == 0) {
        uint64_t va = kstack_alloc(1);
        if (!va) panic("selftest: out of memory");
        audit_after(va, 0, PTE_NX);
    } else if (strcmp(name, "user_wx_mapping") == 0) {
        /* The program's half: what the exit audit under no-wx looks for. */
        uint64_t *e = page_lookup(paging_root(), (uint64_t)user_page(false));
        *e |= PTE_W;
        paging_audit(paging_root(), true);
    } else if (strcmp(name, "writable_text") == 0) {
        audit_after((uint64_t)_kernel_text_start, PTE_W, 0);
    } else if (strcmp(name, "writable_text_alias") == 0) {
        audit_after((uint64_t)phys_to_virt(virt_to_phys(_kernel_text_start)), PTE_W, 0);
    } else {
        panic("selftest %s: no such self-test", name);
    }
}

void selftest_run(const char *options)
{
    static const char key[] = "selftest=";
    /* Space-separated words; the first "selftest=NAME" counts. */
    for (const char *at = options; at && *at;) {
        while (*at == ' ') at++;
        const char *end = at;
        while (*end && *end != ' ') end++;
        if ((size_t)(end - at) > sizeof key - 1 && strncmp(at, key, sizeof key - 1) == 0) {
            char name[32];
            size_t n = MIN((size_t)(end - at) - (sizeof key - 1), sizeof name - 1);
            memcpy(name, at + sizeof key - 1, n);
            name[n] = 0;
            run(name);
            panic("selftest %s: nothing stopped it (smep %d, smap %d)", name, cpu_features.smep, cpu_features.smap);
        }
        at = end;
    }
}
