/* The five instructions UMIP keeps from ring 3 (SGDT, SIDT, SLDT, STR,
 * SMSW): where they reach the kernel's tables they tell a program where
 * those are. Prints whether CPUID offers UMIP, then one line per
 * instruction: "NAME: SIGSEGV" or "NAME: ran". Not compared with Linux
 * (test/harden/tests.sh, harden_umip): Linux (5.10 on) with UMIP emulates
 * all five for old programs (Wine), with made-up values (GDT base
 * 0xfffffffffffe0000 and IDT base 0xffffffffffff0000, limits 0, LDT 0,
 * TR 0x40, the MSW of a typical CR0) and a warning in its log; Pith does not
 * emulate them: each is SIGSEGV, as on a CPU with UMIP and no emulation. */
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf back;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(back, 1);
}

static void do_sgdt(void) { unsigned char t[10]; __asm__ volatile("sgdt %0" : "=m"(t)); }
static void do_sidt(void) { unsigned char t[10]; __asm__ volatile("sidt %0" : "=m"(t)); }
static void do_sldt(void) { unsigned short v; __asm__ volatile("sldt %0" : "=r"(v)); }
static void do_str(void) { unsigned short v; __asm__ volatile("str %0" : "=r"(v)); }
static void do_smsw(void) { unsigned long v; __asm__ volatile("smsw %0" : "=r"(v)); }

static void try(const char *name, void (*insn)(void))
{
    if (sigsetjmp(back, 1) == 0) {
        insn();
        printf("%s: ran\n", name);
    } else {
        printf("%s: SIGSEGV\n", name);
    }
}

int main(void)
{
    unsigned a, b, c, d;
    int umip = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c >> 2 & 1);
    printf("umip: %s\n", umip ? "yes" : "no");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    try("sgdt", do_sgdt);
    try("sidt", do_sidt);
    try("sldt", do_sldt);
    try("str", do_str);
    try("smsw", do_smsw);
    return 0;
}
