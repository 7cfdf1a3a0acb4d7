/* Robust futex lists: a thread that exits holding a PTHREAD_MUTEX_ROBUST
 * mutex leaves it to the next locker with EOWNERDEAD (whether that locker
 * came later or was already waiting, plain or priority-inheriting), and
 * set_robust_list / get_robust_list check their arguments as Linux does; a
 * robust list pointing at garbage does not stop a thread from exiting.
 * The same binary prints the same lines on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"

static void nap(void) { usleep(50000); }

static pthread_mutex_t robust, robust_pi;

static void make_robust(pthread_mutex_t *m, int protocol)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setprotocol(&a, protocol);
    CHECK(pthread_mutex_init(m, &a) == 0);
}

struct owner_arg {
    pthread_mutex_t *m;
    int linger_ms;      /* hold the lock this long before exiting */
    volatile int locked;
};

static void *owner(void *p)
{
    struct owner_arg *o = p;
    CHECK(pthread_mutex_lock(o->m) == 0);
    o->locked = 1;
    usleep(o->linger_ms * 1000);
    return NULL;   /* exits holding it */
}

/* The owner exits first; then the lock is taken. */
static void owner_gone(pthread_mutex_t *m)
{
    struct owner_arg o = { .m = m };
    pthread_t t;
    pthread_create(&t, NULL, owner, &o);
    pthread_join(t, NULL);
    CHECK(pthread_mutex_lock(m) == EOWNERDEAD);
    CHECK(pthread_mutex_consistent(m) == 0);
    CHECK(pthread_mutex_unlock(m) == 0);
    CHECK(pthread_mutex_lock(m) == 0);
    CHECK(pthread_mutex_unlock(m) == 0);
}

/* The lock is waited for while its owner exits. */
static void waiter_woken(pthread_mutex_t *m)
{
    struct owner_arg o = { .m = m, .linger_ms = 150 };
    pthread_t t;
    pthread_create(&t, NULL, owner, &o);
    while (!o.locked) usleep(1000);
    CHECK(pthread_mutex_lock(m) == EOWNERDEAD);
    CHECK(pthread_mutex_consistent(m) == 0);
    CHECK(pthread_mutex_unlock(m) == 0);
    pthread_join(t, NULL);
}

struct robust_head {
    void *next;
    long futex_offset;
    void *pending;
};

static long set_list(void *head, size_t len) { return syscall(SYS_set_robust_list, head, len); }

static void *garbage_list(void *p)
{
    static struct robust_head unmapped_next = { (void *)0x1000, 0, NULL };
    static struct robust_head bad_offset = { NULL, -(1l << 47), NULL };
    static struct robust_head loop;
    static struct robust_head *heads[] = { &unmapped_next, &bad_offset, &loop, (struct robust_head *)0xdead000 };
    int which = (int)(intptr_t)p;
    bad_offset.next = &bad_offset.pending;   /* an entry whose word is nowhere */
    bad_offset.pending = &bad_offset;        /* ... and the entry after it is the head */
    loop.next = &loop.pending;               /* an entry that points to itself */
    loop.pending = &loop.pending;
    CHECK(set_list(heads[which], sizeof(struct robust_head)) == 0);
    return NULL;
}

static void arguments(void)
{
    struct robust_head h = { &h, 0, NULL };
    FAILS(set_list(&h, sizeof h - 1), EINVAL);
    FAILS(set_list(&h, sizeof h + 8), EINVAL);
    printf("set_robust_list: a wrong size is EINVAL\n");

    void *head = NULL;
    size_t len = 0;
    CHECK(syscall(SYS_get_robust_list, 0, &head, &len) == 0 && len == sizeof h);
    CHECK(syscall(SYS_get_robust_list, (int)syscall(SYS_gettid), &head, &len) == 0);
    FAILS(syscall(SYS_get_robust_list, 999999, &head, &len), ESRCH);
    FAILS(syscall(SYS_get_robust_list, 0, (void *)8, &len), EFAULT);
    printf("get_robust_list: size 24, unknown thread ESRCH, bad pointer EFAULT\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    arguments();
    make_robust(&robust, PTHREAD_PRIO_NONE);
    make_robust(&robust_pi, PTHREAD_PRIO_INHERIT);
    owner_gone(&robust);
    printf("robust: the owner exited, the next lock gives EOWNERDEAD, consistent works\n");
    waiter_woken(&robust);
    printf("robust: a waiter is woken with EOWNERDEAD\n");
    owner_gone(&robust_pi);
    waiter_woken(&robust_pi);
    printf("robust pi: the lock goes to the next locker with EOWNERDEAD\n");
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, garbage_list, (void *)(intptr_t)i) == 0);
        CHECK(pthread_join(t, NULL) == 0);
    }
    printf("robust list garbage: threads still exit cleanly\n");
    nap();
    if (failures) printf("robust: %d checks failed\n", failures);
    else printf("robust: all checks passed\n");
    return failures != 0;
}
