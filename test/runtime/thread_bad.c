/* Bad input to the thread and signal calls (issue 9 item 9) that Linux
 * answers with an errno: clone and clone3 flag combinations Linux refuses,
 * clone3's argument checks, sigaltstack's EFAULT/EPERM, execve's errors for
 * files it would not start. Every call here fails on Linux too (nothing is
 * cloned or executed), so the lines are the host's, except the two for fork
 * and vfork: Pith runs one process and answers ENOSYS, where the host makes
 * a child ("fork: a child that exited 0"). The futex address errors are in
 * futex_ops.c, the deaths (a handler or sigreturn frame that is garbage) in
 * signal_death.c. */
#define _GNU_SOURCE
#include "checks.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#define CLONE_ARGS_SIZE 88  /* up to set_tid_size (VER1) */

struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static const char *errname(int e)
{
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    case E2BIG: return "E2BIG";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ENOTDIR: return "ENOTDIR";
    case ENOSYS: return "ENOSYS";
    default: return "other";
    }
}

/* The errno of a raw system call that must fail. */
static const char *fails(long r)
{
    return r == -1 ? errname(errno) : "succeeded";
}

#define THREAD (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)

static void clone_flags(void)
{
    static const struct { const char *what; unsigned long flags; } cases[] = {
        { "CLONE_THREAD without CLONE_SIGHAND", CLONE_VM | CLONE_THREAD },
        { "CLONE_THREAD|CLONE_SIGHAND without CLONE_VM", CLONE_SIGHAND | CLONE_THREAD },
        { "CLONE_SIGHAND without CLONE_VM", CLONE_SIGHAND },
        { "CLONE_FS|CLONE_NEWNS", CLONE_FS | CLONE_NEWNS },
        { "CLONE_FS|CLONE_NEWUSER", CLONE_FS | CLONE_NEWUSER },
        { "a thread into CLONE_NEWPID", THREAD | CLONE_NEWPID },
        { "a thread into CLONE_NEWUSER", (THREAD & ~CLONE_FS) | CLONE_NEWUSER },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        errno = 0;
        long r = syscall(SYS_clone, cases[i].flags, 0, 0, 0, 0);
        if (r == 0) _exit(99);   /* cannot happen on Linux; never run on in a child */
        printf("clone %s: %s\n", cases[i].what, fails(r));
    }
}

static long clone3(struct clone3_args *a, size_t size)
{
    errno = 0;
    long r = syscall(SYS_clone3, a, size);
    if (r == 0) _exit(99);
    return r;
}

static void clone3_args(void)
{
    struct clone3_args a;
    memset(&a, 0, sizeof a);
    a.flags = THREAD;
    printf("clone3 size 0: %s\n", fails(clone3(&a, 0)));
    printf("clone3 size 32: %s\n", fails(clone3(&a, 32)));
    printf("clone3 size past a page: %s\n", fails(clone3(&a, 4097)));
    printf("clone3 args unmapped: %s\n", fails(clone3((void *)8, CLONE_ARGS_SIZE)));
    a.flags = THREAD | SIGCHLD;
    printf("clone3 signal in flags: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.flags = THREAD | CLONE_DETACHED;
    printf("clone3 CLONE_DETACHED: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.flags = THREAD | (1ul << 40);
    printf("clone3 unknown flag: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.flags = THREAD;
    a.exit_signal = SIGCHLD;
    printf("clone3 thread with an exit signal: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.exit_signal = 65;
    a.flags = CLONE_VM;
    printf("clone3 exit signal 65: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.exit_signal = 0;
    a.flags = THREAD;
    a.stack = 0x10000;
    printf("clone3 stack without a size: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.stack = 0;
    a.stack_size = 4096;
    printf("clone3 size without a stack: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.stack_size = 0;
    a.set_tid_size = 1;
    printf("clone3 set_tid_size without set_tid: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    a.flags = CLONE_THREAD;
    a.set_tid_size = 0;
    printf("clone3 CLONE_THREAD alone: %s\n", fails(clone3(&a, CLONE_ARGS_SIZE)));
    /* A bigger struct whose extra bytes are not zero: a newer field asked for. */
    static uint8_t big[128];
    memset(big, 0, sizeof big);
    struct clone3_args *b = (void *)big;
    b->flags = THREAD;
    big[100] = 1;
    printf("clone3 unknown field set: %s\n", fails(clone3(b, sizeof big)));
}

static volatile int eperm_seen = -1;
static char altstack[16384];

static void on_alt(int sig)
{
    (void)sig;
    stack_t other = { .ss_sp = malloc(16384), .ss_size = 16384 };
    errno = 0;
    eperm_seen = sigaltstack(&other, NULL) == -1 && errno == EPERM;
    free(other.ss_sp);
}

static void altstacks(void)
{
    void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    errno = 0;
    printf("sigaltstack new unmapped: %s\n", fails(syscall(SYS_sigaltstack, gone, NULL)));
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    printf("sigaltstack old unmapped: %s\n", fails(syscall(SYS_sigaltstack, NULL, gone)));
    stack_t mode3 = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 3 };
    errno = 0;
    printf("sigaltstack flags ONSTACK|DISABLE: %s\n", fails(sigaltstack(&mode3, NULL)));
    stack_t tiny = { .ss_sp = altstack, .ss_size = 2047 };
    errno = 0;
    printf("sigaltstack 2047 bytes: %s\n", fails(sigaltstack(&tiny, NULL)));
    stack_t disable = { .ss_size = 1, .ss_flags = SS_DISABLE };
    errno = 0;
    printf("sigaltstack disable with a tiny size: %s\n", sigaltstack(&disable, NULL) == 0 ? "ok" : errname(errno));
    errno = 0;
    CHECK(sigaltstack(&ss, NULL) == 0);
    struct sigaction sa = { .sa_handler = on_alt, .sa_flags = SA_ONSTACK };
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("sigaltstack change while on it: %s\n", eperm_seen == 1 ? "EPERM" : "not EPERM");
    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL) == 0);
}

static void execs(void)
{
    char dir[] = "/tmp/thread_bad.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return;
    }
    char text[64], plain[64], empty[64];
    snprintf(text, sizeof text, "%s/text", dir);
    snprintf(plain, sizeof plain, "%s/plain", dir);
    snprintf(empty, sizeof empty, "%s/empty", dir);
    int fd = open(text, O_WRONLY | O_CREAT, 0755);
    CHECK(fd >= 0 && write(fd, "just words\n", 11) == 11 && close(fd) == 0);
    fd = open(plain, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0 && write(fd, "\177ELF", 4) == 4 && close(fd) == 0);
    fd = open(empty, O_WRONLY | O_CREAT, 0755);
    CHECK(fd >= 0 && close(fd) == 0);
    char *argv[] = { "x", NULL }, *bad_string[] = { (char *)8, NULL };
    char missing[80];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    struct { const char *what, *path; char **argv, **envp; } cases[] = {
        { "a missing file", missing, argv, NULL },
        { "an empty path", "", argv, NULL },
        { "a directory", dir, argv, NULL },
        { "no execute bit", plain, argv, NULL },
        { "a path through a file", "/proc/self/exe/x", argv, NULL },
        { "a text file", text, argv, NULL },
        { "an empty file", empty, argv, NULL },
        { "argv unmapped", "/proc/self/exe", (char **)8, NULL },
        { "envp unmapped", "/proc/self/exe", argv, (char **)8 },
        { "an argument unmapped", "/proc/self/exe", bad_string, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        errno = 0;
        long r = syscall(SYS_execve, cases[i].path, cases[i].argv, cases[i].envp);
        printf("execve %s: %s\n", cases[i].what, fails(r));
    }
    errno = 0;
    printf("execve path unmapped: %s\n", fails(syscall(SYS_execve, (char *)8, argv, NULL)));
    unlink(text);
    unlink(plain);
    unlink(empty);
    rmdir(dir);
}

static void processes(void)
{
    errno = 0;
    pid_t p = fork();
    if (p == 0) _exit(0);
    int st = -1;
    if (p > 0) waitpid(p, &st, 0);
    printf("fork: %s\n", p == -1 ? errname(errno) : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "a child that exited 0" : "?");
    errno = 0;
    p = vfork();
    if (p == 0) _exit(0);
    st = -1;
    if (p > 0) waitpid(p, &st, 0);
    printf("vfork: %s\n", p == -1 ? errname(errno) : WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "a child that exited 0" : "?");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    clone_flags();
    clone3_args();
    altstacks();
    execs();
    processes();
    if (failures) {
        printf("thread_bad: %d checks failed\n", failures);
        return 1;
    }
    printf("thread_bad: done\n");
    return 0;
}
