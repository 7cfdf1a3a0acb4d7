/* The Linux file API on TFS, checked by the program itself: each CHECK that
 * fails prints what went wrong; the last line says whether all held. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf(" (errno %d %s)\n", errno, strerror(errno)); } } while (0)

static const char *root;

static char *at(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", root, name);
    return buf[i];
}

static size_t slurp(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return (size_t)-1;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    buf[r < 0 ? 0 : r] = 0;
    return (size_t)r;
}

static void names_and_links(void)
{
    int fd = open(at("a"), O_CREAT | O_EXCL | O_WRONLY, 0640);
    CHECK(fd >= 0, "create a");
    CHECK(write(fd, "hello", 5) == 5, "write a");
    close(fd);
    CHECK(open(at("a"), O_CREAT | O_EXCL | O_WRONLY, 0640) < 0 && errno == EEXIST, "O_EXCL on existing");
    struct stat st;
    CHECK(stat(at("a"), &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_size == 5, "stat a mode %o size %ld",
          st.st_mode, (long)st.st_size);
    CHECK(link(at("a"), at("b")) == 0, "link");
    CHECK(stat(at("a"), &st) == 0 && st.st_nlink == 2, "nlink 2 (got %ld)", (long)st.st_nlink);
    CHECK(symlink("a", at("s")) == 0, "symlink");
    char t[64] = {0};
    CHECK(readlink(at("s"), t, sizeof t) == 1 && t[0] == 'a', "readlink");
    CHECK(rename(at("b"), at("c")) == 0, "rename");
    CHECK(access(at("b"), F_OK) < 0 && errno == ENOENT, "old name gone");
    CHECK(syscall(SYS_renameat2, AT_FDCWD, at("a"), AT_FDCWD, at("c"), 1 /* NOREPLACE */) < 0 && errno == EEXIST,
          "RENAME_NOREPLACE");
    fd = open(at("d"), O_CREAT | O_WRONLY, 0600);
    write(fd, "dd", 2);
    close(fd);
    CHECK(syscall(SYS_renameat2, AT_FDCWD, at("c"), AT_FDCWD, at("d"), 2 /* EXCHANGE */) == 0, "RENAME_EXCHANGE");
    char buf[64];
    CHECK(slurp(at("d"), buf, sizeof buf) == 5 && !strcmp(buf, "hello"), "exchanged content d=%s", buf);
    CHECK(unlink(at("c")) == 0 && unlink(at("d")) == 0, "unlink");
    CHECK(stat(at("a"), &st) == 0 && st.st_nlink == 1, "nlink back to 1");
}

static void dirs(void)
{
    CHECK(mkdir(at("dir"), 0755) == 0, "mkdir");
    CHECK(mkdir(at("dir"), 0755) < 0 && errno == EEXIST, "mkdir twice");
    int fd = open(at("dir/x"), O_CREAT | O_WRONLY, 0644);
    close(fd);
    CHECK(rmdir(at("dir")) < 0 && errno == ENOTEMPTY, "rmdir non-empty");
    CHECK(unlink(at("dir")) < 0 && errno == EISDIR, "unlink a directory");
    DIR *d = opendir(at("dir"));
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) n++;
    if (d) closedir(d);
    CHECK(n == 3, "readdir saw %d entries, want 3", n);
    CHECK(unlink(at("dir/x")) == 0 && rmdir(at("dir")) == 0, "rmdir empty");
    CHECK(chdir(root) == 0, "chdir");
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd) && !strcmp(cwd, root), "getcwd %s", cwd);
}

static void data(void)
{
    int fd = open(at("f"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(pwrite(fd, "xyz", 3, 10000) == 3, "pwrite past EOF");
    struct stat st;
    fstat(fd, &st);
    CHECK(st.st_size == 10003, "size after sparse write %ld", (long)st.st_size);
    char z[8] = {1};
    CHECK(pread(fd, z, 4, 100) == 4 && !z[0] && !z[3], "hole reads zeros");
    off_t data = lseek(fd, 0, SEEK_DATA);
    CHECK(data >= 4096 && data <= 10000, "SEEK_DATA %ld", (long)data);
    CHECK(lseek(fd, 0, SEEK_HOLE) == 0, "SEEK_HOLE at 0");
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate");
    CHECK(fallocate(fd, 0, 0, 65536) == 0 && fstat(fd, &st) == 0 && st.st_size == 65536, "fallocate");
    CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync");
    close(fd);
    fd = open(at("f"), O_WRONLY | O_APPEND);
    write(fd, "END", 3);
    close(fd);
    CHECK(stat(at("f"), &st) == 0 && st.st_size == 65539, "O_APPEND size %ld", (long)st.st_size);
    fd = open(at("v"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
    CHECK(writev(fd, iov, 2) == 5, "writev");
    char x[3], y[3];
    struct iovec rv[2] = { { x, 2 }, { y, 3 } };
    CHECK(preadv(fd, rv, 2, 0) == 5 && !memcmp(x, "ab", 2) && !memcmp(y, "cde", 3), "preadv");
    CHECK(fchmod(fd, 0600) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600, "fchmod");
    struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
    CHECK(futimens(fd, ts) == 0 && fstat(fd, &st) == 0 && st.st_mtime == 2000, "futimens mtime %ld", (long)st.st_mtime);
    int out = open(at("copy"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    off_t off = 0;
    CHECK(sendfile(out, fd, &off, 5) == 5 && off == 5, "sendfile");
    CHECK(copy_file_range(fd, &(loff_t){ 0 }, out, &(loff_t){ 5 }, 5, 0) == 5, "copy_file_range");
    char c[16] = {0};
    CHECK(pread(out, c, 15, 0) == 10 && !strcmp(c, "abcdeabcde"), "copied %s", c);
    close(out);
    close(fd);
    struct statfs sf;
    CHECK(statfs(root, &sf) == 0 && sf.f_bsize == 4096 && sf.f_blocks > 0, "statfs");
}

static void descriptors(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    /* Both ends are one inode, another pipe is another; and the number is
     * not a kernel pointer shifted (it once was: the heap's layout). */
    struct stat e0, e1, other_pipe;
    int q[2];
    CHECK(pipe(q) == 0 && fstat(p[0], &e0) == 0 && fstat(p[1], &e1) == 0 && fstat(q[0], &other_pipe) == 0, "fstat pipes");
    CHECK(e0.st_ino == e1.st_ino && e0.st_ino != 0 && other_pipe.st_ino != e0.st_ino, "pipe inodes %lu %lu %lu",
          (unsigned long)e0.st_ino, (unsigned long)e1.st_ino, (unsigned long)other_pipe.st_ino);
    CHECK((uint64_t)e0.st_ino << 4 < 0xffff800000000000ull, "pipe inode %lx looks like a kernel address",
          (unsigned long)e0.st_ino);
    close(q[0]);
    close(q[1]);
    CHECK(write(p[1], "pipe!", 5) == 5, "pipe write");
    char b[8] = {0};
    CHECK(read(p[0], b, 8) == 5 && !strcmp(b, "pipe!"), "pipe read");
    close(p[1]);
    CHECK(read(p[0], b, 8) == 0, "pipe EOF");
    close(p[0]);
    int fd = open(at("a"), O_RDONLY);
    int d = dup2(fd, 100);
    CHECK(d == 100 && fcntl(100, F_GETFD) == 0, "dup2");
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "cloexec");
    CHECK(flock(fd, LOCK_EX) == 0, "flock ex");
    int other = open(at("a"), O_RDONLY);
    CHECK(flock(other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK, "flock conflict");
    CHECK(flock(fd, LOCK_UN) == 0 && flock(other, LOCK_SH | LOCK_NB) == 0, "flock after unlock");
    struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
    CHECK(fcntl(fd, F_SETLK, &fl) == 0, "POSIX lock");
    close(other);
    close(d);
    close(fd);
    int m = memfd_create("scratch", MFD_CLOEXEC);
    CHECK(m >= 0 && write(m, "mem", 3) == 3 && pread(m, b, 3, 0) == 3, "memfd");
    char link[64] = {0};
    char self[32];
    snprintf(self, sizeof self, "/proc/self/fd/%d", m);
    readlink(self, link, sizeof link - 1);
    CHECK(strstr(link, "memfd:scratch") != NULL, "memfd link %s", link);
    close(m);
    int t = open(root, O_TMPFILE | O_RDWR, 0600);
    CHECK(t >= 0 && write(t, "tmp", 3) == 3, "O_TMPFILE");
    close(t);
    fd = open(at("shared"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    ftruncate(fd, 4096);
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED, "mmap shared");
    if (map != MAP_FAILED) {
        strcpy(map, "mapped");
        CHECK(msync(map, 4096, MS_SYNC) == 0, "msync");
        CHECK(pread(fd, b, 6, 0) == 6 && !memcmp(b, "mapped", 6), "written back");
        munmap(map, 4096);
    }
    close(fd);
}

int main(void)
{
    root = "/file-api";
    mkdir(root, 0755);
    names_and_links();
    dirs();
    data();
    descriptors();
    printf(failures ? "file api: %d failures\n" : "file api ok\n", failures);
    return failures != 0;
}
