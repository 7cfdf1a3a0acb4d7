/* /proc/self/task: one directory per live thread, named by its TID, with
 * the thread's stat, status and comm; pthread_setname_np and
 * pthread_getname_np on other threads go through task/TID/comm; prctl
 * PR_SET_NAME names only the calling thread; /proc/thread-self is the
 * caller's task directory. The same binary prints the same lines on Linux. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "checks.h"

#define WORKERS 3

static pthread_barrier_t named, checked;
static int tids[WORKERS];
static char own_name[WORKERS][16];
static char thread_self[WORKERS][64];

static int my_tid(void) { return (int)syscall(SYS_gettid); }

static int read_text(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

static void *worker(void *p)
{
    int i = (int)(long)p;
    tids[i] = my_tid();
    char name[16];
    snprintf(name, sizeof name, "worker-%d", i);
    CHECK(pthread_setname_np(pthread_self(), name) == 0);
    CHECK(readlink("/proc/thread-self", thread_self[i], sizeof thread_self[i] - 1) > 0);
    pthread_barrier_wait(&named);
    pthread_barrier_wait(&checked);   /* the main thread renamed us meanwhile */
    CHECK(prctl(PR_GET_NAME, own_name[i]) == 0);
    return NULL;
}

/* The TIDs listed in /proc/self/task, in listing order. */
static int list_tasks(int *out, int max)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0) tid = -1;
        if (n < max) out[n] = (int)tid;
        n++;
    }
    closedir(d);
    return n;
}

static int contains(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_barrier_init(&named, NULL, WORKERS + 1);
    pthread_barrier_init(&checked, NULL, WORKERS + 1);
    char main_name[16] = { 0 }, buf[1024], path[128];
    CHECK(prctl(PR_GET_NAME, main_name) == 0);
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, (void *)(long)i);
    pthread_barrier_wait(&named);

    int listed[16];
    int n = list_tasks(listed, 16);
    CHECK(n == WORKERS + 1);
    CHECK(contains(listed, n, getpid()) && contains(listed, n, my_tid()));
    for (int i = 0; i < WORKERS; i++) CHECK(contains(listed, n, tids[i]));
    printf("task: %d entries, named by the threads' ids\n", n);

    for (int i = 0; i < WORKERS; i++) {
        char want[32];
        snprintf(want, sizeof want, "worker-%d\n", i);
        snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[i]);
        CHECK(read_text(path, buf, sizeof buf) > 0 && strcmp(buf, want) == 0);
        char got[16] = { 0 };
        CHECK(pthread_getname_np(t[i], got, sizeof got) == 0 && strncmp(got, want, strlen(want) - 1) == 0);
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
        snprintf(want, sizeof want, "%d (worker-%d) ", tids[i], i);
        CHECK(read_text(path, buf, sizeof buf) > 0 && strncmp(buf, want, strlen(want)) == 0);
        snprintf(path, sizeof path, "/proc/%d/task/%d/status", getpid(), tids[i]);
        char pid_line[32], tgid_line[32];
        snprintf(pid_line, sizeof pid_line, "\nPid:\t%d\n", tids[i]);
        snprintf(tgid_line, sizeof tgid_line, "\nTgid:\t%d\n", getpid());
        CHECK(read_text(path, buf, sizeof buf) > 0 && strstr(buf, pid_line) && strstr(buf, tgid_line) &&
              strncmp(buf, "Name:\tworker-", 13) == 0);
        snprintf(want, sizeof want, "%d/task/%d", getpid(), tids[i]);
        CHECK(strcmp(thread_self[i], want) == 0);
        snprintf(want, sizeof want, "renamed-%d", i);
        CHECK(pthread_setname_np(t[i], want) == 0);
    }
    /* The process's comm is the main thread's: the workers' names left it alone. */
    CHECK(read_text("/proc/self/comm", buf, sizeof buf) > 0 && strncmp(buf, main_name, strlen(main_name)) == 0 &&
          buf[strlen(main_name)] == '\n');
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", getpid());
    CHECK(read_text(path, buf, sizeof buf) > 0 && strncmp(buf, main_name, strlen(main_name)) == 0);
    printf("task: comm, stat, status per thread; thread-self; names set and read across threads\n");
    pthread_barrier_wait(&checked);
    for (int i = 0; i < WORKERS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < WORKERS; i++) {
        char want[16];
        snprintf(want, sizeof want, "renamed-%d", i);
        CHECK(strcmp(own_name[i], want) == 0);
    }
    printf("prctl: each thread sees the name given to it\n");

    n = list_tasks(listed, 16);
    CHECK(n == 1 && listed[0] == getpid());
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[0]);
    FAILS(open(path, O_RDONLY), ENOENT);
    printf("task: joined threads are gone (%d entry left)\n", n);
    if (failures) printf("proc_task: %d checks failed\n", failures);
    else printf("proc_task: all checks passed\n");
    return failures != 0;
}
