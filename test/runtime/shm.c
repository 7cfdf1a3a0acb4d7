/* /dev/shm (memfs) and what programs build on it: files with tmpfs's
 * rules, shm_open and sem_open, one file mapped twice (the pages and the
 * shared futexes meet however the mappings are placed), pthread objects
 * with PTHREAD_PROCESS_SHARED in such a mapping used by threads, memfd.
 * Only deterministic results are printed: the same binary prints the same
 * lines on Linux (it leaves nothing in /dev/shm). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define TMPFS_MAGIC 0x01021994

static void nap(void) { usleep(20000); }

static int in_dir(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0) found++;
    closedir(d);
    return found;
}

static void files(void)
{
    const char *path = "/dev/shm/pith-shm-test";
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    FAILS(open(path, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
    CHECK(write(fd, "hello", 5) == 5);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
          (st.st_mode & 0777) == 0600);
    CHECK(ftruncate(fd, 100000) == 0 && fstat(fd, &st) == 0 && st.st_size == 100000);
    char buf[16] = { 1 };
    CHECK(pread(fd, buf, 4, 90000) == 4 && !buf[0] && !buf[3]);
    CHECK(ftruncate(fd, 3) == 0 && pread(fd, buf, sizeof buf, 0) == 3 && memcmp(buf, "hel", 3) == 0);
    CHECK(ftruncate(fd, 5) == 0 && pread(fd, buf, sizeof buf, 0) == 5 && buf[3] == 0 && buf[4] == 0);
    int fd2 = open(path, O_RDWR | O_TRUNC);
    CHECK(fd2 >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
    close(fd2);
    CHECK(in_dir("/dev/shm", "pith-shm-test") == 1);
    CHECK(in_dir("/dev", "shm") == 1);
    struct statfs sf;
    CHECK(statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC);
    CHECK(fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC);
    CHECK(mkdir("/dev/shm/pith-dir", 0700) == 0 && rename(path, "/dev/shm/pith-dir/f") == 0);
    /* A working directory in /dev/shm: relative names, "..", getcwd. */
    char cwd[256];
    CHECK(chdir("/dev/shm/pith-dir") == 0 && access("f", F_OK) == 0 && access("../pith-dir/f", F_OK) == 0);
    CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/dev/shm/pith-dir") == 0);
    CHECK(symlink("f", "g") == 0 && readlink("g", cwd, sizeof cwd) == 1 && access("g", F_OK) == 0 && unlink("g") == 0);
    CHECK(chdir("../..") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/dev") == 0 && chdir("/") == 0);
    FAILS(rmdir("/dev/shm/pith-dir"), ENOTEMPTY);
    CHECK(link("/dev/shm/pith-dir/f", path) == 0 && fstat(fd, &st) == 0 && st.st_nlink == 2);
    CHECK(unlink("/dev/shm/pith-dir/f") == 0 && rmdir("/dev/shm/pith-dir") == 0);
    /* Unlinked while open: the data stays until the last close. */
    CHECK(pwrite(fd, "data", 4, 0) == 4 && unlink(path) == 0);
    FAILS(access(path, F_OK), ENOENT);
    CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0 && pread(fd, buf, 4, 0) == 4 && memcmp(buf, "data", 4) == 0);
    CHECK(in_dir("/dev/shm", "pith-shm-test") == 0);
    close(fd);
    printf("files: create, excl, truncate, readdir, rename, link, symlink, cwd, unlink while open as Linux\n");
}

struct futex_wait {
    uint32_t *word;
    int op;
    long ret;
    int err;
};

static void *futex_waiter(void *p)
{
    struct futex_wait *w = p;
    struct timespec t = { 2, 0 };
    if (w->op & FUTEX_PRIVATE_FLAG) t = (struct timespec){ 0, 300000000 };
    w->ret = syscall(SYS_futex, w->word, w->op, 0, &t, NULL, 0);
    w->err = errno;
    return NULL;
}

/* Wake through one address until the waiter on the other is in the kernel. */
static long wake_until_found(uint32_t *word)
{
    for (int i = 0; i < 100; i++) {
        long n = syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (n) return n;
        nap();
    }
    return 0;
}

static void posix_shm(void)
{
    shm_unlink("/pith-t1");
    int fd = shm_open("/pith-t1", O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    FAILS(shm_open("/pith-t1", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
    FAILS(shm_open("/pith/t1", O_RDWR | O_CREAT, 0600), EINVAL);
    CHECK(ftruncate(fd, 8192) == 0);
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b);
    strcpy(a + 4096, "through a");
    CHECK(strcmp(b + 4096, "through a") == 0);
    char buf[16] = { 0 };
    CHECK(pread(fd, buf, 9, 4096) == 9 && strcmp(buf, "through a") == 0);
    CHECK(pwrite(fd, "xyz", 3, 0) == 3 && memcmp(a, "xyz", 3) == 0 && memcmp(b, "xyz", 3) == 0);

    /* A shared futex: waiting at b, woken at a (the same word). */
    uint32_t *wa = (uint32_t *)(a + 64), *wb = (uint32_t *)(b + 64);
    *wa = 0;
    struct futex_wait w = { .word = wb, .op = FUTEX_WAIT };
    pthread_t t;
    pthread_create(&t, NULL, futex_waiter, &w);
    CHECK(wake_until_found(wa) == 1);
    pthread_join(t, NULL);
    CHECK(w.ret == 0);
    /* A private futex keys on the address: a wake at a misses b's waiter. */
    w = (struct futex_wait){ .word = wb, .op = FUTEX_WAIT | FUTEX_PRIVATE_FLAG };
    pthread_create(&t, NULL, futex_waiter, &w);
    nap();
    CHECK(syscall(SYS_futex, wa, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0) == 0);
    pthread_join(t, NULL);
    CHECK(w.ret == -1 && w.err == ETIMEDOUT);

    CHECK(shm_unlink("/pith-t1") == 0);
    FAILS(shm_unlink("/pith-t1"), ENOENT);
    strcpy(b, "still mapped");
    CHECK(strcmp(a, "still mapped") == 0);
    munmap(a, 8192);
    munmap(b, 8192);
    close(fd);
    printf("shm_open: two mappings share pages and shared futexes; private ones stay apart\n");
}

struct sem_arg {
    sem_t *sem;
    int ret;
};

static void *sem_waiter(void *p)
{
    struct sem_arg *s = p;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 5;
    s->ret = sem_timedwait(s->sem, &t);
    return NULL;
}

static void posix_sem(void)
{
    sem_unlink("pith-sem");
    sem_t *s = sem_open("/pith-sem", O_CREAT | O_EXCL, 0600, 0);
    CHECK(s != SEM_FAILED);
    FAILS(sem_open("/pith-sem", O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED ? -1 : 0, EEXIST);
    /* The semaphore's file (glibc names it sem.NAME, musl NAME), mapped a
     * second time by hand. */
    const char *file = access("/dev/shm/sem.pith-sem", F_OK) == 0 ? "/dev/shm/sem.pith-sem" : "/dev/shm/pith-sem";
    int fd = open(file, O_RDWR);
    CHECK(fd >= 0);
    sem_t *alias = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(alias != MAP_FAILED && (void *)alias != (void *)s);
    struct sem_arg arg = { .sem = alias, .ret = -2 };
    pthread_t t;
    pthread_create(&t, NULL, sem_waiter, &arg);
    nap();
    CHECK(sem_post(s) == 0);
    pthread_join(t, NULL);
    CHECK(arg.ret == 0);
    int v = -1;
    CHECK(sem_getvalue(s, &v) == 0 && v == 0);
    CHECK(sem_post(alias) == 0 && sem_getvalue(s, &v) == 0 && v == 1);
    munmap(alias, sizeof(sem_t));
    close(fd);
    CHECK(sem_close(s) == 0);
    CHECK(sem_unlink("/pith-sem") == 0);
    FAILS(sem_unlink("/pith-sem"), ENOENT);
    FAILS(access(file, F_OK), ENOENT);
    printf("sem_open: a post through one mapping wakes a waiter in another\n");
}

struct shared_objects {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    pthread_barrier_t barrier;
    int counter, arrived;
};

#define WORKERS 4
#define ROUNDS 2000

static void *worker(void *p)
{
    struct shared_objects *o = p;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&o->mutex);
        o->counter++;
        pthread_mutex_unlock(&o->mutex);
        if (i % 256 == 0) sched_yield();
    }
    pthread_mutex_lock(&o->mutex);
    o->arrived++;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->mutex);
    pthread_barrier_wait(&o->barrier);
    return NULL;
}

static void process_shared(void)
{
    int fd = shm_open("/pith-objects", O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && ftruncate(fd, sizeof(struct shared_objects)) == 0);
    struct shared_objects *a = mmap(NULL, sizeof *a, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    struct shared_objects *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED);
    CHECK(shm_unlink("/pith-objects") == 0);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_barrierattr_t ba;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    CHECK(pthread_mutex_init(&a->mutex, &ma) == 0);
    CHECK(pthread_cond_init(&a->cond, &ca) == 0);
    CHECK(pthread_barrier_init(&a->barrier, &ba, WORKERS + 1) == 0);
    /* The workers use the second mapping, the main thread the first. */
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, b);
    pthread_mutex_lock(&a->mutex);
    while (a->arrived < WORKERS) pthread_cond_wait(&a->cond, &a->mutex);
    pthread_mutex_unlock(&a->mutex);
    pthread_barrier_wait(&a->barrier);
    for (int i = 0; i < WORKERS; i++) pthread_join(t[i], NULL);
    CHECK(a->counter == WORKERS * ROUNDS && b->counter == WORKERS * ROUNDS);
    printf("process-shared: mutex counted %d, condvar and barrier across two mappings\n", a->counter);
    munmap(a, sizeof *a);
    munmap(b, sizeof *b);
    close(fd);
}

/* fallocate as tmpfs takes it, and SEEK_DATA/SEEK_HOLE on a file of data. */
static void space(void)
{
    int fd = memfd_create("space", 0);
    CHECK(fd >= 0 && fallocate(fd, 0, 0, 3 * 4096) == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 3 * 4096 && st.st_blocks == 24);
    CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * 4096, 4096) == 0 && fstat(fd, &st) == 0 && st.st_size == 3 * 4096);
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    memset(m, 'x', 3 * 4096);
    CHECK(lseek(fd, 0, SEEK_DATA) == 0 && lseek(fd, 5, SEEK_HOLE) == 3 * 4096);
    FAILS(lseek(fd, 3 * 4096, SEEK_DATA), ENXIO);
    /* A hole punched in the middle: the mapping and reads see zeros there. */
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096 + 100, 4096) == 0);
    char buf[8];
    CHECK(m[4096 + 99] == 'x' && m[4096 + 100] == 0 && m[2 * 4096 + 99] == 0 && m[2 * 4096 + 100] == 'x');
    CHECK(pread(fd, buf, 1, 2 * 4096 + 50) == 1 && buf[0] == 0);
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0 && m[0] == 0 && m[4095] == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 3 * 4096);
    FAILS(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
    FAILS(fallocate(fd, 0x08 /* FALLOC_FL_COLLAPSE_RANGE */, 0, 4096), EOPNOTSUPP);
    munmap(m, 3 * 4096);
    close(fd);
    printf("fallocate: allocate, keep size, punch holes as tmpfs\n");
}

static void memfd(void)
{
    int fd = memfd_create("pith", MFD_CLOEXEC);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
    char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *b = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED);
    strcpy(a, "memfd");
    CHECK(strcmp(b, "memfd") == 0);
    /* /proc/self/maps marks shared mappings 's'. */
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int shared = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long lo;
        char perms[5];
        if (sscanf(line, "%lx-%*x %4s", &lo, perms) == 2 && lo == (unsigned long)a) shared = strcmp(perms, "rw-s") == 0;
    }
    if (maps) fclose(maps);
    CHECK(shared);
    char link[64], target[64] = { 0 };
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    CHECK(readlink(link, target, sizeof target - 1) > 0 && strcmp(target, "/memfd:pith (deleted)") == 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_size == 4096);
    munmap(a, 4096);
    munmap(b, 4096);
    close(fd);
    printf("memfd: two mappings share pages\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    files();
    posix_shm();
    posix_sem();
    process_shared();
    memfd();
    space();
    if (failures) printf("shm: %d checks failed\n", failures);
    else printf("shm: all checks passed\n");
    return failures != 0;
}
