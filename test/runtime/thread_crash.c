/* Programs that die of SIGSEGV for the core-file tests (test/core/tests.sh):
 *   thread_crash threads N   N threads wait in park_here(); one more thread
 *                            crashes in crash_here(): the core must show
 *                            all N+2 threads and the crash
 *   thread_crash nolimit     RLIMIT_CORE set to 0 first: no core
 *   thread_crash fill FILE   fills the disk with FILE first: the core is cut
 *                            short, the kernel says so, the program still
 *                            exits 139 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static pthread_barrier_t started;
static int never[2];
volatile int *volatile null_pointer;

__attribute__((noinline)) static void park_here(void)
{
    char c;
    while (read(never[0], &c, 1) != 0) {}
}

__attribute__((noinline)) void crash_here(int value)
{
    *null_pointer = value;
}

static void *parked(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&started);
    park_here();
    return NULL;
}

static void *crasher(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&started);
    usleep(100 * 1000);   /* the others reach their read */
    crash_here(42);
    return NULL;
}

static void fill(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    static char block[1 << 16];
    memset(block, 'x', sizeof block);
    while (write(fd, block, sizeof block) > 0) {}
    printf("filled: %s\n", strerror(errno));
    close(fd);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "nolimit")) {
        struct rlimit r = { 0, RLIM_INFINITY };
        if (setrlimit(RLIMIT_CORE, &r) != 0) perror("setrlimit");
        printf("crashing with RLIMIT_CORE 0\n");
        crash_here(1);
    }
    if (argc >= 3 && !strcmp(argv[1], "fill")) {
        fill(argv[2]);
        crash_here(2);
    }
    int n = argc >= 3 && !strcmp(argv[1], "threads") ? atoi(argv[2]) : 3;
    if (pipe(never) != 0) return 1;
    pthread_barrier_init(&started, NULL, (unsigned)n + 2);
    pthread_t t;
    for (int i = 0; i < n; i++) pthread_create(&t, NULL, parked, NULL);
    pthread_create(&t, NULL, crasher, NULL);
    printf("%d threads parked, one crashing\n", n);
    pthread_barrier_wait(&started);
    park_here();
    return 0;
}
