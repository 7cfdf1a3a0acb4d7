/* Randomized file operations: `fsops_random SEED DIR [OPS]` performs OPS
 * (default 500) random operations chosen by SEED inside DIR (created; must
 * not exist): create, write at random offsets, append, truncate, rename
 * (plain, NOREPLACE, EXCHANGE), unlink, mkdir, rmdir, symlink, link,
 * fallocate, hole punching, chmod. It then prints a canonical dump of DIR:
 * sorted paths with type, mode, size, link count and a hash of the contents,
 * plus a digest of every operation's result (errno included).
 * test/run-tests runs it inside the VM on TFS and on the host in a temp dir
 * (the same static binary): the two dumps must be identical. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seeded_random.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 2
#endif
#define RENAME_NOREPLACE_FLAG 1
#define RENAME_EXCHANGE_FLAG 2


static const char *root;
static uint64_t results = 1469598103934665603ull;   /* FNV-1a over each op's result */
static int verbose;

static void mix(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        results ^= (v >> (i * 8)) & 0xff;
        results *= 1099511628211ull;
    }
}

/* A random path under root: up to two directory levels from a small set of
 * names, so operations often meet each other. */
static void random_path(char *out, size_t len)
{
    static const char *const dirs[] = { "d0", "d1", "d2" };
    static const char *const leaves[] = { "a", "b", "c", "d", "e", "d0", "d1", "d2" };
    int n = snprintf(out, len, "%s", root);
    unsigned depth = pick(3);
    for (unsigned i = 0; i < depth; i++) n += snprintf(out + n, len - (size_t)n, "/%s", dirs[pick(3)]);
    snprintf(out + n, len - (size_t)n, "/%s", leaves[pick(8)]);
}

static char buf[1 << 17];

static void fill(size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = next();
        memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
    }
}

static long op_write(const char *p, int append)
{
    int fd = open(p, O_WRONLY | O_CREAT | (append ? O_APPEND : 0), 0644);
    if (fd < 0) return -errno;
    size_t len = 1 + pick(pick(4) == 0 ? 40000 : 3000);
    off_t off = pick(4) == 0 ? (off_t)pick(200000) : (off_t)pick(10000);
    fill(len);
    long r = append ? write(fd, buf, len) : pwrite(fd, buf, len, off);
    if (r < 0) r = -errno;
    close(fd);
    return r;
}

static long op_truncate(const char *p)
{
    off_t size = pick(3) == 0 ? 0 : (off_t)pick(150000);
    return truncate(p, size) == 0 ? 0 : -errno;
}

static long op_fallocate(const char *p, int mode)
{
    int fd = open(p, O_WRONLY);
    if (fd < 0) return -errno;
    off_t off = (off_t)pick(120000), len = 1 + (off_t)pick(40000);
    long r = fallocate(fd, mode, off, len) == 0 ? 0 : -errno;
    close(fd);
    return r;
}

static long op_rename(const char *a, const char *b, unsigned flags)
{
    long r = flags ? syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags) : rename(a, b);
    return r == 0 ? 0 : -errno;
}

static long one_op(int i)
{
    char a[256], b[256] = "";
    random_path(a, sizeof a);
    unsigned op = pick(100);
    long r;
    const char *name;
    if (op < 22) name = "write", r = op_write(a, 0);
    else if (op < 28) name = "append", r = op_write(a, 1);
    else if (op < 36) name = "truncate", r = op_truncate(a);
    else if (op < 46) {
        random_path(b, sizeof b);
        unsigned kind = pick(6);
        name = kind == 0 ? "rename-noreplace" : kind == 1 ? "rename-exchange" : "rename";
        r = op_rename(a, b, kind == 0 ? RENAME_NOREPLACE_FLAG : kind == 1 ? RENAME_EXCHANGE_FLAG : 0);
    } else if (op < 54) name = "unlink", r = unlink(a) == 0 ? 0 : -errno;
    else if (op < 66) name = "mkdir", r = mkdir(a, 0755) == 0 ? 0 : -errno;
    else if (op < 72) name = "rmdir", r = rmdir(a) == 0 ? 0 : -errno;
    else if (op < 77) {
        random_path(b, sizeof b);
        /* Relative targets that may or may not resolve; never followed by the dump. */
        name = "symlink", r = symlink(b + strlen(root) + 1, a) == 0 ? 0 : -errno;
    } else if (op < 82) {
        random_path(b, sizeof b);
        name = "link", r = link(a, b) == 0 ? 0 : -errno;
    } else if (op < 87) name = "fallocate", r = op_fallocate(a, pick(2) ? FALLOC_FL_KEEP_SIZE : 0);
    else if (op < 93) name = "punch", r = op_fallocate(a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
    else name = "chmod", r = chmod(a, pick(2) ? 0600 : 0755) == 0 ? 0 : -errno;
    if (verbose) printf("op %d %s %s %s -> %ld\n", i, name, a + strlen(root), b[0] ? b + strlen(root) : "", r);
    return r;
}

/* ---- the dump ---- */

struct entry {
    char *path;
};

static int cmp_entry(const void *x, const void *y)
{
    return strcmp(((const struct entry *)x)->path, ((const struct entry *)y)->path);
}

static struct entry *entries;
static size_t nentries, cap;

static void collect(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("opendir %s: %s\n", dir, strerror(errno));
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *p;
        if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) exit(2);
        if (nentries == cap) {
            cap = cap ? cap * 2 : 64;
            entries = realloc(entries, cap * sizeof *entries);
        }
        entries[nentries++].path = p;
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) collect(p);
    }
    closedir(d);
}

static uint64_t hash_file(const char *p)
{
    uint64_t h = 1469598103934665603ull;
    int fd = open(p, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
    close(fd);
    return h;
}

static void dump(void)
{
    collect(root);
    qsort(entries, nentries, sizeof *entries, cmp_entry);
    size_t skip = strlen(root);
    for (size_t i = 0; i < nentries; i++) {
        const char *p = entries[i].path;
        struct stat st;
        if (lstat(p, &st) != 0) {
            printf("%s: lstat: %s\n", p + skip, strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            printf("%s dir %04o nlink %lu\n", p + skip, st.st_mode & 07777, (unsigned long)st.st_nlink);
        } else if (S_ISLNK(st.st_mode)) {
            char t[512];
            ssize_t n = readlink(p, t, sizeof t - 1);
            t[n < 0 ? 0 : n] = 0;
            printf("%s symlink -> %s\n", p + skip, t);
        } else {
            printf("%s file %04o size %lld nlink %lu hash %016llx\n", p + skip, st.st_mode & 07777,
                   (long long)st.st_size, (unsigned long)st.st_nlink, (unsigned long long)hash_file(p));
        }
    }
    printf("entries %zu results %016llx\n", nentries, (unsigned long long)results);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fsops_random SEED DIR [OPS] [-v]\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ull + 1;
    root = argv[2];
    int ops = argc > 3 ? atoi(argv[3]) : 500;
    verbose = argc > 4 && strcmp(argv[4], "-v") == 0;
    umask(022);
    if (mkdir(root, 0755) != 0) {
        printf("mkdir %s: %s\n", root, strerror(errno));
        return 1;
    }
    for (int i = 0; i < ops; i++) mix((uint64_t)one_op(i));
    /* Survives a sync: what the dump sees is what reached the disk. */
    sync();
    dump();
    return 0;
}
