/* From the SYSCALL instruction to a handler, and --trace's log line. */
#include "syscalls.h"
#include "../kernel/trap.h"
#include "../kernel/sched.h"
#include "../kernel/kernel.h"
#include "../kernel/cputime.h"
#include "../kernel/console.h"
#include "../kernel/usercopy.h"
#include "../klib/format.h"

static void trace_arg(char *buf, size_t size, char kind, uint64_t v)
{
    switch (kind) {
    case 'd': format_sn(buf, size, "%ld", (long)v); break;
    case 'u': format_sn(buf, size, "%lu", v); break;
    case 'o': format_sn(buf, size, "0%lo", v); break;
    case 'p': format_sn(buf, size, v ? "0x%lx" : "NULL", v); break;
    case 'f':
        if ((int)v == AT_FDCWD) format_sn(buf, size, "AT_FDCWD");
        else format_sn(buf, size, "%d", (int)v);
        break;
    case 's': {
        char s[64];
        long n = copy_string_from_user(s, v, sizeof s);
        if (n >= 0) format_sn(buf, size, "\"%s\"", s);
        else if (n == -ENAMETOOLONG) format_sn(buf, size, "\"%.60s\"...", s);
        else format_sn(buf, size, "%p", (void *)v);
        break;
    }
    default: format_sn(buf, size, v ? "0x%lx" : "0", v); break;
    }
}

static void trace(uint64_t nr, const uint64_t a[6], long ret)
{
    char line[512];
    size_t len = 0;
    const char *name = nr < SYSCALL_COUNT && syscall_names[nr] ? syscall_names[nr] : NULL;
    if (name) len += format_sn(line + len, sizeof line - len, "%s(", name);
    else len += format_sn(line + len, sizeof line - len, "syscall_%lu(", nr);
    const char *kinds = nr < SYSCALL_COUNT && syscall_table[nr].fn ? syscall_table[nr].args : "xxxxxx";
    for (int i = 0; kinds[i] && i < 6 && len < sizeof line - 80; i++) {
        if (i) len += format_sn(line + len, sizeof line - len, ", ");
        trace_arg(line + len, sizeof line - len, kinds[i], a[i]);
        while (line[len]) len++;
    }
    bool hex = nr < SYSCALL_COUNT && syscall_table[nr].ret_hex && ret >= 0;
    if (ret == -ENOSYS && !(nr < SYSCALL_COUNT && syscall_table[nr].fn))
        format_sn(line + len, sizeof line - len, ") = -ENOSYS (not implemented)\n");
    else if (hex) format_sn(line + len, sizeof line - len, ") = 0x%lx\n", (uint64_t)ret);
    else format_sn(line + len, sizeof line - len, ") = %ld\n", ret);
    kprintf("[trace] %s", line);
}

void syscall_dispatch(struct trap_frame *f)
{
    /* Linux reads the number from eax alone: the upper half of rax is ignored */
    uint64_t nr = (uint32_t)f->rax;
    uint64_t a[6] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };
    long ret = -ENOSYS;
    /* The unused error slot keeps the number, for restarting the call
     * after a signal (kernel/signal.c), as Linux's orig_ax. */
    f->error = nr;
    cputime_enter_kernel();
    if (nr < SYSCALL_COUNT && syscall_table[nr].fn)
        ret = syscall_table[nr].fn(a[0], a[1], a[2], a[3], a[4], a[5]);
    if (kernel.trace) trace(nr, a, ret);
    cputime_leave_kernel();
    f->rax = (uint64_t)ret;
}
