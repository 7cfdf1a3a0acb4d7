/* MADV_DONTNEED while other threads of the process fault, write, protect and
 * unshare pages beside it: glibc drops an exiting thread's stack this way,
 * Go's scavenger returns heap pages this way, while other threads run. Each
 * worker owns a slice of one shared anonymous mapping and of one private
 * file mapping; it fills its pages, drops them (they must read back as zeros,
 * or as the file's bytes), and fills them again, while one more thread
 * flips a neighbouring range between PROT_NONE and read-write. On one CPU
 * this checks the semantics; with several it races the page-table walks
 * (the madvise loop takes the address space's lock). Same lines on Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "checks.h"

enum { WORKERS = 4, PAGES = 32, ROUNDS = 6, PAGE = 4096 };

static unsigned char *anon, *filemap, *flipper;
static int bad_zero[WORKERS], bad_file[WORKERS], bad_fill[WORKERS];
static volatile int stop_flipping;

static unsigned char file_byte(size_t off) { return (unsigned char)(off * 7 + 3); }

static void *worker(void *arg)
{
    int w = (int)(intptr_t)arg;
    unsigned char *a = anon + (size_t)w * PAGES * PAGE;
    unsigned char *f = filemap + (size_t)w * PAGES * PAGE;
    size_t fbase = (size_t)w * PAGES * PAGE;
    for (int round = 0; round < ROUNDS; round++) {
        for (int p = 0; p < PAGES; p++) {
            memset(a + (size_t)p * PAGE, round + 1, PAGE);
            f[(size_t)p * PAGE + 5] = (unsigned char)(round + 100);   /* a private copy of the file page */
        }
        for (int p = 0; p < PAGES; p++)
            if (a[(size_t)p * PAGE + 100] != round + 1) bad_fill[w]++;
        if (madvise(a, PAGES * PAGE, MADV_DONTNEED) != 0) bad_zero[w]++;
        if (madvise(f, PAGES * PAGE, MADV_DONTNEED) != 0) bad_file[w]++;
        for (int p = 0; p < PAGES; p++) {
            if (a[(size_t)p * PAGE] || a[(size_t)p * PAGE + PAGE - 1]) bad_zero[w]++;
            size_t off = (size_t)p * PAGE + 5;
            if (f[off] != file_byte(fbase + off)) bad_file[w]++;
        }
        if (round % 8 == 7) sched_yield();
    }
    return NULL;
}

static void *flip(void *arg)
{
    (void)arg;
    long flips = 0;
    while (!stop_flipping) {
        mprotect(flipper, 16 * PAGE, PROT_NONE);
        mprotect(flipper, 16 * PAGE, PROT_READ | PROT_WRITE);
        flipper[(flips % 16) * PAGE] = 1;
        if (++flips % 4 == 0) usleep(100);   /* let the workers run: a flip storm starves them under TCG on a loaded host */
    }
    return NULL;
}

int main(void)
{
    char path[] = "/tmp/madvise_threadsXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    size_t fsize = (size_t)WORKERS * PAGES * PAGE;
    unsigned char *buf = malloc(fsize);
    for (size_t i = 0; i < fsize; i++) buf[i] = file_byte(i);
    CHECK(write(fd, buf, fsize) == (ssize_t)fsize);
    free(buf);

    anon = mmap(NULL, fsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    filemap = mmap(NULL, fsize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    flipper = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(anon != MAP_FAILED && filemap != MAP_FAILED && flipper != MAP_FAILED);

    pthread_t t[WORKERS], flipper_thread;
    CHECK(pthread_create(&flipper_thread, NULL, flip, NULL) == 0);
    for (int w = 0; w < WORKERS; w++) CHECK(pthread_create(&t[w], NULL, worker, (void *)(intptr_t)w) == 0);
    for (int w = 0; w < WORKERS; w++) pthread_join(t[w], NULL);
    stop_flipping = 1;
    pthread_join(flipper_thread, NULL);

    int zero = 0, file = 0, fill = 0;
    for (int w = 0; w < WORKERS; w++) {
        zero += bad_zero[w];
        file += bad_file[w];
        fill += bad_fill[w];
    }
    printf("anonymous pages dropped read back as zeros: %d wrong\n", zero);
    printf("private file pages dropped read back as the file: %d wrong\n", file);
    printf("pages filled again hold the new bytes: %d wrong\n", fill);
    CHECK(zero == 0 && file == 0 && fill == 0);
    unlink(path);
    printf(failures ? "madvise_threads: FAILED\n" : "madvise_threads: all checks passed\n");
    return failures != 0;
}
