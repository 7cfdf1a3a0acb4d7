/* Files from threads on two CPUs at once (issue 9: TFS safe for concurrent
 * callers). Four threads each create, write, read back, rename and unlink
 * their own files, write their own stripes of one shared file with pwrite,
 * map it and read it, and list the directory, all at the same time; then
 * the shared file must hold every stripe and the directory exactly the
 * survivors. Last, the threads read ranges of the shared file (all in the
 * cache: reads that share the volume's guard) while the main thread writes
 * another file, and every byte must be right. The same lines on a two-CPU
 * Linux host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "checks.h"

#define THREADS 4
#define ROUNDS 160
#define STRIPE 4096
#define STRIPES_PER_THREAD 16
#define TOP "/tmp/smp_files"

static int shared_fd;

static void fill(char *buf, size_t n, int thread, int round)
{
    for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + (thread * 7 + round * 3 + (int)i) % 26);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char name[64], renamed[64], buf[STRIPE], back[STRIPE];
    for (int r = 0; r < ROUNDS; r++) {
        snprintf(name, sizeof name, TOP "/t%d-%d", id, r);
        snprintf(renamed, sizeof renamed, TOP "/t%d-%d.done", id, r);
        int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
        CHECK(fd >= 0);
        size_t len = 100 + (size_t)(r * 97) % (STRIPE - 100);
        fill(buf, len, id, r);
        CHECK(write(fd, buf, len) == (ssize_t)len);
        CHECK(pread(fd, back, len, 0) == (ssize_t)len && memcmp(buf, back, len) == 0);
        close(fd);
        CHECK(rename(name, renamed) == 0);
        struct stat st;
        CHECK(stat(renamed, &st) == 0 && st.st_size == (off_t)len);
        /* Keep every fourth file; unlink the rest. */
        if (r % 4) CHECK(unlink(renamed) == 0);
        /* This thread's stripe of the shared file. */
        int s = id * STRIPES_PER_THREAD + r % STRIPES_PER_THREAD;
        fill(buf, STRIPE, id, s);
        CHECK(pwrite(shared_fd, buf, STRIPE, (off_t)s * STRIPE) == STRIPE);
        if (r % 10 == 0) {
            DIR *d = opendir(TOP);
            CHECK(d != NULL);
            if (d) {
                while (readdir(d)) {}
                closedir(d);
            }
        }
    }
    return NULL;
}

#define READS 1500
static int wrong_reads;

static void *reader(void *arg)
{
    unsigned seed = 12345u + (unsigned)(intptr_t)arg;
    static const size_t total = (size_t)THREADS * STRIPES_PER_THREAD * STRIPE;
    char got[3 * STRIPE], want[STRIPE];
    for (int i = 0; i < READS; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t off = (seed >> 8) % total, len = 1 + (seed >> 3) % sizeof got;
        if (len > total - off) len = total - off;
        CHECK(pread(shared_fd, got, len, (off_t)off) == (ssize_t)len);
        /* Compare stripe by stripe with what fill() put there. */
        for (size_t done = 0; done < len;) {
            size_t s = (off + done) / STRIPE, in = (off + done) % STRIPE, n = STRIPE - in;
            if (n > len - done) n = len - done;
            fill(want, STRIPE, (int)(s / STRIPES_PER_THREAD), (int)s);
            if (memcmp(got + done, want + in, n) != 0) __atomic_add_fetch(&wrong_reads, 1, __ATOMIC_RELAXED);
            done += n;
        }
    }
    return NULL;
}

static void cached_reads(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, reader, (void *)(intptr_t)i);
    int fd = open(TOP "/beside", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    char buf[STRIPE];
    memset(buf, 'w', sizeof buf);
    for (int i = 0; i < 200; i++) CHECK(pwrite(fd, buf, sizeof buf, (off_t)(i % 50) * STRIPE) == STRIPE);
    close(fd);
    CHECK(unlink(TOP "/beside") == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("reads beside a writer: %d threads x %d, %d wrong\n", THREADS, READS, wrong_reads);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    mkdir("/tmp", 0777);
    mkdir(TOP, 0755);
    shared_fd = open(TOP "/shared", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(shared_fd >= 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);

    size_t total = (size_t)THREADS * STRIPES_PER_THREAD * STRIPE;
    char *map = mmap(NULL, total, PROT_READ, MAP_SHARED, shared_fd, 0);
    CHECK(map != MAP_FAILED);
    int good = 0;
    char want[STRIPE];
    for (int s = 0; map != MAP_FAILED && s < THREADS * STRIPES_PER_THREAD; s++) {
        fill(want, STRIPE, s / STRIPES_PER_THREAD, s);
        good += memcmp(map + (size_t)s * STRIPE, want, STRIPE) == 0;
    }
    printf("shared file: %d of %d stripes right\n", good, THREADS * STRIPES_PER_THREAD);

    int kept = 0, others = 0;
    DIR *d = opendir(TOP);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (strstr(e->d_name, ".done")) kept++;
        else if (strcmp(e->d_name, "shared") != 0) others++;
    }
    if (d) closedir(d);
    printf("directory: %d kept, %d strays\n", kept, others);
    cached_reads();
    printf("smp_files: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
