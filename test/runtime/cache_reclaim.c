/* Cached file data never stands between the program and memory: after the
 * page cache has filled with a file's blocks, the program can still touch
 * more memory than MemFree shows (up to MemAvailable), because the kernel
 * takes clean cached blocks back when pages run out, as Linux does. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long meminfo_kb(const char *field)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long v = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) v = strtoul(line + n, NULL, 10);
    if (f) fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "cache_reclaim.dat";
    static char chunk[64 * 1024];
    memset(chunk, 'r', sizeof chunk);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) { perror(path); return 1; }
    for (int i = 0; i < 24 * 16; i++)   /* 24 MiB */
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) { perror("write"); return 1; }
    if (fsync(fd) != 0) { perror("fsync"); return 1; }
    /* Small reads go through the cache: it ends up full of clean blocks. */
    for (off_t off = 0; off < 24 << 20; off += 4096)
        if (pread(fd, chunk, 4096, off) != 4096) { perror("pread"); return 1; }
    close(fd);

    unsigned long free_kb = meminfo_kb("MemFree:"), avail_kb = meminfo_kb("MemAvailable:"),
                  cached_kb = meminfo_kb("Cached:");
    if (cached_kb < 4096 || avail_kb < free_kb + 4096) {
        printf("FAIL: the cache did not fill (free %lu kB, available %lu kB, cached %lu kB)\n",
               free_kb, avail_kb, cached_kb);
        return 1;
    }
    /* Halfway between what is free and what is available. */
    size_t want = (size_t)(free_kb + (avail_kb - free_kb) / 2) * 1024;
    char *p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t i = 0; i < want; i += 4096) p[i] = 1;
    printf("touched %zu MiB, %lu MiB more than MemFree: cache reclaim ok\n", want >> 20,
           (unsigned long)((want >> 10) - free_kb) >> 10);
    unlink(path);
    return 0;
}
