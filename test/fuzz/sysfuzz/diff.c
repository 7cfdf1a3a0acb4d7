/* --diff: a fixed list of calls whose results depend neither on time nor on
 * addresses nor on the machine, one line each ("what: result"), so the same
 * binary's output in Pith and on Linux can be compared line for line
 * (test/fuzz/tests.sh, sysfuzz_diff). Mostly bad arguments: kernel and
 * unmapped pointers, lengths near 2^64, closed and negative fds, numbers
 * past the table; and the calls the fuzzer found wrong (regressions). */
#include "sysfuzz.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KPTR 0xffff800000000000ULL
#define KTEXT 0xffffffff80000000ULL
#define NONCANON 0x0000800000000000ULL

static void show(const char *what, long r)
{
    if (r < 0 && r >= -4095) out("%s: -%ld\n", what, -r);
    else out("%s: %ld\n", what, r);
}

int diff_main(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) != 0) { out("sysfuzz: pipe failed\n"); return 3; }
    char *page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + PAGE, PAGE);                       /* the page after is a hole */
    uint64_t pg = (uint64_t)page, end = pg + PAGE;
    strcpy(page, "/nonexistent");

    /* fds */
    show("read closed fd", sys6(0, 1000, pg, 1, 0, 0, 0));
    show("read fd -1", sys6(0, (uint64_t)-1, pg, 1, 0, 0, 0));
    show("read fd INT_MIN", sys6(0, 0x80000000ULL, pg, 1, 0, 0, 0));
    show("close fd -1", sys6(3, (uint64_t)-1, 0, 0, 0, 0, 0));
    show("dup2 onto -1", sys6(33, (uint64_t)p[0], (uint64_t)-1, 0, 0, 0, 0));
    show("dup3 same fd", sys6(292, (uint64_t)p[0], (uint64_t)p[0], 0, 0, 0, 0));
    show("fcntl bad cmd", sys6(72, (uint64_t)p[0], 0x7fff, 0, 0, 0, 0));
    /* pointers */
    show("write from kernel address", sys6(1, (uint64_t)p[1], KPTR, 8, 0, 0, 0));
    show("write from kernel text", sys6(1, (uint64_t)p[1], KTEXT, 8, 0, 0, 0));
    show("write from non-canonical", sys6(1, (uint64_t)p[1], NONCANON, 8, 0, 0, 0));
    show("write from NULL", sys6(1, (uint64_t)p[1], 0, 8, 0, 0, 0));
    show("write 0 bytes from kernel address", sys6(1, (uint64_t)p[1], KPTR, 0, 0, 0, 0));
    show("write straddling a hole", sys6(1, (uint64_t)p[1], end - 4, 8, 0, 0, 0));
    char drain[16];
    show("read back the straddling write", sys6(0, (uint64_t)p[0], (uint64_t)drain, sizeof drain, 0, 0, 0));
    sys6(1, (uint64_t)p[1], (uint64_t)"abcd", 4, 0, 0, 0);
    show("read into kernel address", sys6(0, (uint64_t)p[0], KPTR, 4, 0, 0, 0));
    show("read into non-canonical", sys6(0, (uint64_t)p[0], NONCANON, 4, 0, 0, 0));
    show("read what is left", sys6(0, (uint64_t)p[0], pg + 64, 16, 0, 0, 0));
    show("pipe2 into kernel address", sys6(293, KPTR, 0, 0, 0, 0, 0));
    show("pipe2 bad flags", sys6(293, pg + 256, 0x12345678, 0, 0, 0, 0));
    show("clock_gettime into kernel address", sys6(228, 1, KPTR, 0, 0, 0, 0));
    show("clock_gettime bad clock", sys6(228, 1000, pg + 256, 0, 0, 0, 0));
    show("clock_gettime straddling a hole", sys6(228, 1, end - 8, 0, 0, 0, 0));
    show("uname into kernel address", sys6(63, KTEXT, 0, 0, 0, 0, 0));
    show("open path in kernel memory", sys6(2, KPTR, 0, 0, 0, 0, 0));
    show("open path without NUL before a hole", (memset(page + PAGE - 16, 'a', 16),
                                                sys6(2, end - 16, 0, 0, 0, 0, 0)));
    show("open nonexistent", sys6(2, pg, 0, 0, 0, 0, 0));
    show("nanosleep from kernel address", sys6(35, KPTR, 0, 0, 0, 0, 0));
    show("rt_sigprocmask bad how", sys6(14, 99, pg + 512, 0, 8, 0, 0));
    show("rt_sigprocmask bad size", sys6(14, 0, pg + 512, 0, 7, 0, 0));
    show("rt_sigaction SIGKILL", sys6(13, 9, pg + 512, 0, 8, 0, 0));
    show("rt_sigaction signal 65", sys6(13, 65, 0, pg + 512, 8, 0, 0));
    show("kill bad signal", sys6(62, 0, 65, 0, 0, 0, 0));
    show("tgkill bad tid", sys6(234, (uint64_t)getpid(), (uint64_t)-5, 0, 0, 0, 0));
    show("futex bad op", sys6(202, pg + 1024, 0x7f, 0, 0, 0, 0));
    show("futex misaligned", sys6(202, pg + 1025, 1, 1, 0, 0, 0));
    show("futex kernel address", sys6(202, KPTR, 0, 0, 0, 0, 0));
    show("epoll_wait bad fd", sys6(232, 1000, pg, 1, 0, 0, 0));
    show("poll huge nfds", sys6(7, pg, 0x100000000ULL, 0, 0, 0, 0));
    show("getrandom into kernel address", sys6(318, KPTR, 16, 0, 0, 0, 0));
    show("getrandom bad flags", sys6(318, pg, 16, 0x100, 0, 0, 0));
    show("readv iovcnt -1", sys6(19, (uint64_t)p[0], pg, (uint64_t)-1, 0, 0, 0));
    show("readv iovcnt 1025", sys6(19, (uint64_t)p[0], pg, 1025, 0, 0, 0));
    show("pread negative offset", sys6(17, (uint64_t)p[0], pg, 1, (uint64_t)-1, 0, 0));
    show("lseek on a pipe", sys6(8, (uint64_t)p[0], 0, 0, 0, 0, 0));
    /* memory */
    show("munmap misaligned", sys6(11, pg + 1, PAGE, 0, 0, 0, 0));
    show("munmap length 0", sys6(11, pg, 0, 0, 0, 0, 0));
    show("munmap kernel address", sys6(11, KPTR, PAGE, 0, 0, 0, 0));
    show("munmap wrapping length", sys6(11, pg, (uint64_t)-PAGE, 0, 0, 0, 0));
    show("mprotect prot 1<<32", sys6(10, pg, PAGE, 0x100000000ULL, 0, 0, 0));
    show("mprotect PROT_SEM", sys6(10, pg, PAGE, PROT_READ | PROT_WRITE | 8, 0, 0, 0));
    show("mprotect a hole", sys6(10, end, PAGE, PROT_READ, 0, 0, 0));
    show("mmap length 0", sys6(9, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0));
    show("mmap huge length", sys6(9, 0, (uint64_t)-PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0));
    show("mmap no type", sys6(9, 0, PAGE, PROT_READ, MAP_ANONYMOUS, (uint64_t)-1, 0));
    show("mmap MAP_FIXED kernel address", sys6(9, KPTR, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                                                (uint64_t)-1, 0));
    show("madvise bad advice", sys6(28, pg, PAGE, 999, 0, 0, 0));
    show("mremap shrinking from a wrapping length", sys6(25, pg, (uint64_t)-PAGE, PAGE, 0, 0, 0));
    show("mremap to length 0", sys6(25, pg, PAGE, 0, 0, 0, 0));
    long brk0 = sys6(12, 0, 0, 0, 0, 0, 0);
    show("brk(~0) keeps the break", sys6(12, ~0ULL, 0, 0, 0, 0, 0) == brk0);
    show("brk(kernel address) keeps the break", sys6(12, KTEXT, 0, 0, 0, 0, 0) == brk0);
    show("brk(0x1000) keeps the break", sys6(12, 0x1000, 0, 0, 0, 0, 0) == brk0);
    /* the running program */
    show("open /proc/self/exe for writing", sys6(2, (uint64_t)"/proc/self/exe", O_WRONLY, 0, 0, 0, 0));
    show("open /proc/self/exe O_RDWR|O_TRUNC", sys6(2, (uint64_t)"/proc/self/exe", O_RDWR | O_TRUNC, 0, 0, 0, 0));
    show("truncate /proc/self/exe", sys6(76, (uint64_t)"/proc/self/exe", 0, 0, 0, 0, 0));
    /* numbers */
    show("syscall 1000", sys6(1000, 0, 0, 0, 0, 0, 0));
    show("syscall -1", sys6(-1, 0, 0, 0, 0, 0, 0));
    show("syscall 0x7fffffff", sys6(0x7fffffff, 0, 0, 0, 0, 0, 0));
    show("syscall x32 read (fd -1)", sys6(0x40000000, (uint64_t)-1, 0, 0, 0, 0, 0));
    show("syscall (1<<32)+close(fd -1): the upper half is ignored",
         sys6(0x100000003L, (uint64_t)-1, 0, 0, 0, 0, 0));
    show("syscall (1<<63)+getppid", sys6((long)0x800000000000006eULL, 0, 0, 0, 0, 0, 0) >= 0);
    out("sysfuzz: diff done\n");
    return 0;
}
