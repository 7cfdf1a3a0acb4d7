/* The Linux system call interface. syscalls/table.c is the one place a
 * system call is wired to its handler; handlers live in sys_*.c by topic
 * and return a value or a negative errno, exactly as Linux's do. */
#pragma once
#include "../klib/types.h"
#include "../klib/errno.h"

#define SYSCALL_COUNT 451

typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* How --trace prints each argument: d signed, u unsigned, x hex, o octal,
 * f fd (AT_FDCWD by name), s user string, p pointer, '-' unused. The result
 * is printed in hex when ret_hex is set (addresses), else in decimal. */
struct syscall_def {
    syscall_fn fn;
    const char *args;
    bool ret_hex;
};

extern const struct syscall_def syscall_table[SYSCALL_COUNT];
extern const char *const syscall_names[SYSCALL_COUNT];

struct trap_frame;
void syscall_dispatch(struct trap_frame *f);

/* The most one read, write, sendfile or getrandom moves, as Linux's
 * MAX_RW_COUNT: INT_MAX rounded down to a page. */
#define MAX_RW_COUNT 0x7ffff000ull
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define AT_SYMLINK_FOLLOW 0x400


/* Handlers (one line each; see the sys_*.c files). */
long sys_read(int fd, uint64_t buf, uint64_t n);
long sys_write(int fd, uint64_t buf, uint64_t n);
long sys_pread64(int fd, uint64_t buf, uint64_t n, int64_t off);
long sys_pwrite64(int fd, uint64_t buf, uint64_t n, int64_t off);
long sys_readv(int fd, uint64_t iov, int cnt);
long sys_writev(int fd, uint64_t iov, int cnt);
long sys_lseek(int fd, int64_t off, int whence);
long sys_close(int fd);
long sys_ioctl(int fd, uint64_t cmd, uint64_t arg);
long sys_fstat(int fd, uint64_t st);
long sys_getdents64(int fd, uint64_t buf, uint64_t len);
long sys_dup(int fd);
long sys_dup2(int fd, int newfd);
long sys_dup3(int fd, int newfd, int flags);
long sys_fcntl(int fd, int cmd, uint64_t arg);
long sys_preadv(int fd, uint64_t iov, int cnt, int64_t off);
long sys_pwritev(int fd, uint64_t iov, int cnt, int64_t off);
long sys_preadv2(int fd, uint64_t iov, int cnt, int64_t off, int flags);
long sys_pwritev2(int fd, uint64_t iov, int cnt, int64_t off, int flags);
long sys_sendfile(int out_fd, int in_fd, uint64_t off, uint64_t count);
long sys_copy_file_range(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off, uint64_t len, unsigned flags);
long sys_close_range(unsigned first, unsigned last, unsigned flags);
long sys_openat2(int dirfd, uint64_t path, uint64_t how, uint64_t size);
long sys_pipe(uint64_t fds);
long sys_pipe2(uint64_t fds, int flags);
long sys_memfd_create(uint64_t name, unsigned flags);
long sys_flock(int fd, int op);
long sys_mincore(uint64_t addr, uint64_t len, uint64_t vec);
long sys_msync(uint64_t addr, uint64_t len, int flags);

long sys_socket(int domain, int type, int protocol);
long sys_socketpair(int domain, int type, int protocol, uint64_t sv);
long sys_bind(int fd, uint64_t addr, int addrlen);
long sys_listen(int fd, int backlog);
long sys_accept(int fd, uint64_t addr, uint64_t addrlen);
long sys_accept4(int fd, uint64_t addr, uint64_t addrlen, int flags);
long sys_connect(int fd, uint64_t addr, int addrlen);
long sys_shutdown(int fd, int how);
long sys_getsockname(int fd, uint64_t addr, uint64_t addrlen);
long sys_getpeername(int fd, uint64_t addr, uint64_t addrlen);
long sys_setsockopt(int fd, int level, int name, uint64_t val, int len);
long sys_getsockopt(int fd, int level, int name, uint64_t val, uint64_t len);
long sys_sendto(int fd, uint64_t buf, uint64_t len, int flags, uint64_t addr, int addrlen);
long sys_recvfrom(int fd, uint64_t buf, uint64_t len, int flags, uint64_t addr, uint64_t addrlen);
long sys_sendmsg(int fd, uint64_t msg, int flags);
long sys_recvmsg(int fd, uint64_t msg, int flags);
long sys_sendmmsg(int fd, uint64_t vec, unsigned vlen, int flags);
long sys_recvmmsg(int fd, uint64_t vec, unsigned vlen, int flags, uint64_t timeout);

long sys_open(uint64_t path, int flags, int mode);
long sys_openat(int dirfd, uint64_t path, int flags, int mode);
long sys_stat(uint64_t path, uint64_t st);
long sys_lstat(uint64_t path, uint64_t st);
long sys_newfstatat(int dirfd, uint64_t path, uint64_t st, int flags);
long sys_statx(int dirfd, uint64_t path, int flags, unsigned mask, uint64_t buf);
long sys_access(uint64_t path, int mode);
long sys_faccessat(int dirfd, uint64_t path, int mode);
long sys_faccessat2(int dirfd, uint64_t path, int mode, int flags);
long sys_readlink(uint64_t path, uint64_t buf, uint64_t len);
long sys_readlinkat(int dirfd, uint64_t path, uint64_t buf, uint64_t len);
long sys_getcwd(uint64_t buf, uint64_t len);
long sys_chdir(uint64_t path);
long sys_fchdir(int fd);

long sys_mkdirat(int dirfd, uint64_t path, int mode);
long sys_mkdir(uint64_t path, int mode);
long sys_unlinkat(int dirfd, uint64_t path, int flags);
long sys_unlink(uint64_t path);
long sys_rmdir(uint64_t path);
long sys_renameat2(int od, uint64_t o, int nd, uint64_t n, unsigned flags);
long sys_renameat(int od, uint64_t o, int nd, uint64_t n);
long sys_rename(uint64_t o, uint64_t n);
long sys_linkat(int od, uint64_t o, int nd, uint64_t n, int flags);
long sys_link(uint64_t o, uint64_t n);
long sys_symlinkat(uint64_t target, int dirfd, uint64_t path);
long sys_symlink(uint64_t target, uint64_t path);
long sys_ftruncate(int fd, int64_t length);
long sys_truncate(uint64_t path, int64_t length);
long sys_fallocate(int fd, int mode, int64_t off, int64_t len);
long sys_fsync(int fd);
long sys_fdatasync(int fd);
long sys_syncfs(int fd);
long sys_sync(void);
long sys_fchmodat(int dirfd, uint64_t path, int mode);
long sys_chmod(uint64_t path, int mode);
long sys_fchmod(int fd, int mode);
long sys_fchownat(int dirfd, uint64_t path, int uid, int gid, int flags);
long sys_chown(uint64_t path, int uid, int gid);
long sys_lchown(uint64_t path, int uid, int gid);
long sys_fchown(int fd, int uid, int gid);
long sys_utimensat(int dirfd, uint64_t path, uint64_t times, int flags);
long sys_futimesat(int dirfd, uint64_t path, uint64_t times);
long sys_utimes(uint64_t path, uint64_t times);
long sys_statfs(uint64_t path, uint64_t buf);
long sys_fstatfs(int fd, uint64_t buf);

long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot);
long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
long sys_brk(uint64_t addr);
long sys_madvise(uint64_t addr, uint64_t len, int advice);

long sys_exit(int status);
long sys_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid, uint64_t tls);
long sys_clone3(uint64_t uargs, uint64_t size);
long sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp);
long sys_exit_group(int status);
long sys_getpid(void);
long sys_gettid(void);
long sys_getppid(void);
long sys_getuid(void);
long sys_getgid(void);
long sys_geteuid(void);
long sys_getegid(void);
long sys_getpgrp(void);
long sys_getpgid(int pid);
long sys_getsid(int pid);
long sys_setpgid(int pid, int pgid);
long sys_getresuid(uint64_t r, uint64_t e, uint64_t s);
long sys_getresgid(uint64_t r, uint64_t e, uint64_t s);
long sys_getgroups(int size, uint64_t list);
long sys_uname(uint64_t buf);
long sys_arch_prctl(int code, uint64_t addr);
long sys_set_tid_address(uint64_t addr);
long sys_set_robust_list(uint64_t head, uint64_t len);
long sys_get_robust_list(int tid, uint64_t head, uint64_t len);
long sys_prlimit64(int pid, int resource, uint64_t new_rlim, uint64_t old_rlim);
long sys_getrlimit(int resource, uint64_t rlim);
long sys_setrlimit(int resource, uint64_t rlim);
long sys_sched_getaffinity(int pid, uint64_t len, uint64_t mask);
long sys_sched_setaffinity(int pid, uint64_t len, uint64_t mask);
long sys_sched_yield(void);
long sys_umask(int mask);
long sys_sysinfo(uint64_t info);
long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
long sys_getrandom(uint64_t buf, uint64_t len, unsigned flags);
long sys_getcpu(uint64_t cpu, uint64_t node, uint64_t cache);
long sys_membarrier(int cmd, unsigned flags, int cpu_id);
long sys_times(uint64_t buf);
long sys_getrusage(int who, uint64_t buf);
long sys_personality(unsigned persona);

long sys_clock_gettime(int clk, uint64_t ts);
long sys_clock_getres(int clk, uint64_t ts);
long sys_gettimeofday(uint64_t tv, uint64_t tz);
long sys_time(uint64_t t);
long sys_poll(uint64_t fds, unsigned nfds, int timeout_ms);
long sys_ppoll(uint64_t fds, unsigned nfds, uint64_t ts, uint64_t sigmask, uint64_t sigsetsize);
long sys_select(int n, uint64_t in, uint64_t out, uint64_t ex, uint64_t tv);
long sys_pselect6(int n, uint64_t in, uint64_t out, uint64_t ex, uint64_t ts, uint64_t sig);
long sys_epoll_create(int size);
long sys_epoll_create1(int flags);
long sys_epoll_ctl(int epfd, int op, int fd, uint64_t event);
long sys_epoll_wait(int epfd, uint64_t events, int max, int timeout_ms);
long sys_epoll_pwait(int epfd, uint64_t events, int max, int timeout_ms, uint64_t sigmask, uint64_t size);
long sys_epoll_pwait2(int epfd, uint64_t events, int max, uint64_t ts, uint64_t sigmask, uint64_t size);
long sys_eventfd(unsigned initval);
long sys_eventfd2(unsigned initval, int flags);
long sys_nanosleep(uint64_t req, uint64_t rem);
long sys_clock_nanosleep(int clk, int flags, uint64_t req, uint64_t rem);

long sys_rt_sigaction(int sig, uint64_t act, uint64_t old, uint64_t size);
long sys_rt_sigprocmask(int how, uint64_t set, uint64_t old, uint64_t size);
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_rt_sigpending(uint64_t set, uint64_t size);
long sys_sigaltstack(uint64_t ss, uint64_t old);
long sys_rt_sigreturn(void);
long sys_pause(void);
long sys_rt_sigsuspend(uint64_t mask, uint64_t size);
long sys_rt_sigtimedwait(uint64_t set, uint64_t info, uint64_t ts, uint64_t size);
long sys_rt_sigqueueinfo(int pid, int sig, uint64_t info);
long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uint64_t info);
long sys_signalfd(int fd, uint64_t mask, uint64_t size);
long sys_signalfd4(int fd, uint64_t mask, uint64_t size, int flags);
/* The sigmask argument of ppoll, pselect6 and epoll_pwait(2), read as
 * Linux reads it (syscalls/sys_poll.c); *given false when it is NULL. */
long read_sigmask_arg(uint64_t usigmask, uint64_t size, uint64_t *mask, bool *given);
long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t timeout, uint64_t uaddr2, uint32_t val3);
long sys_futex_waitv(uint64_t uwaiters, unsigned nr, unsigned flags, uint64_t utimeout, int clockid);
long sys_timerfd_create(int clock, int flags);
long sys_timer_create(int clk, uint64_t uevent, uint64_t uid);
long sys_timer_settime(int id, int flags, uint64_t unew, uint64_t uold);
long sys_timer_gettime(int id, uint64_t ucur);
long sys_timer_getoverrun(int id);
long sys_timer_delete(int id);
long sys_getitimer(int which, uint64_t ucur);
long sys_setitimer(int which, uint64_t unew, uint64_t uold);
long sys_alarm(unsigned seconds);
long sys_timerfd_settime(int fd, int flags, uint64_t unew, uint64_t uold);
long sys_timerfd_gettime(int fd, uint64_t ucur);
