/* Files from threads on two CPUs at once (issue 9: TFS safe for concurrent
 * callers). Four threads each create, write, read back, rename and unlink
 * their own files, write their own stripes of one shared file with pwrite,
 * map it and read it, and list the directory, all at the same time; then
 * the shared file must hold every stripe and the directory exactly the
 * survivors. The same lines on a two-CPU Linux host. */
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
    printf("smp_files: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
