/* Ways a program dies of SIGSEGV through the signal machinery itself, as on
 * Linux (exit 139, and a core file). One per run, chosen by argv[1]:
 *   handler-unmapped     a handler at an address with nothing mapped
 *   handler-kernel       a handler in the kernel's half
 *   no-restorer          a handler without SA_RESTORER (x86_64 needs one)
 *   altstack-unmapped    SA_ONSTACK onto an alternate stack that is unmapped
 *   sigreturn-unmapped   rt_sigreturn with the stack pointer on nothing
 *   sigreturn-garbage    rt_sigreturn over a frame of 0xff bytes
 * Each .expect (signal_death*.expect) runs one; the host dies the same way. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct kernel_sigaction {
    uintptr_t handler;
    unsigned long flags;
    uintptr_t restorer;
    uint64_t mask;
};

static void harmless(int sig) { (void)sig; }

/* An address range that was mapped and no longer is. */
static uintptr_t unmapped(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, len);
    return (uintptr_t)p;
}

static void set_handler(uintptr_t handler, unsigned long flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = (void (*)(int))handler;
    sa.sa_flags = (int)flags;
    if (sigaction(SIGUSR1, &sa, NULL) != 0) perror("sigaction");
}

static void sigreturn_with_stack(uintptr_t sp)
{
    __asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" : : "r"(sp) : "rax", "rcx", "r11", "memory");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *mode = argc > 1 ? argv[1] : "handler-unmapped";
    printf("signal_death %s\n", mode);
    if (!strcmp(mode, "handler-unmapped")) {
        set_handler(unmapped(4096), 0);
    } else if (!strcmp(mode, "handler-kernel")) {
        set_handler(0xffffffff81000000ul, 0);
    } else if (!strcmp(mode, "no-restorer")) {
        struct kernel_sigaction ka = { (uintptr_t)harmless, 0, 0, 0 };
        if (syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8) != 0) perror("rt_sigaction");
    } else if (!strcmp(mode, "altstack-unmapped")) {
        stack_t ss = { .ss_sp = (void *)unmapped(65536), .ss_size = 65536 };
        if (sigaltstack(&ss, NULL) != 0) perror("sigaltstack");
        set_handler((uintptr_t)harmless, SA_ONSTACK);
    } else if (!strcmp(mode, "sigreturn-unmapped")) {
        sigreturn_with_stack(unmapped(65536) + 32768);
    } else if (!strcmp(mode, "sigreturn-garbage")) {
        static uint8_t frame[4096] __attribute__((aligned(16)));
        memset(frame, 0xff, sizeof frame);
        sigreturn_with_stack((uintptr_t)frame + 8);
    } else {
        printf("unknown mode\n");
        return 2;
    }
    raise(SIGUSR1);
    printf("survived\n");
    return 0;
}
