/* The path walker, case by case. `path_walk common DIR` builds a small tree
 * in DIR and prints one line per case; it prints the same lines on Linux,
 * so the test compares them with a run on the host. `path_walk guest` checks
 * what needs Pith's mounts: symlinks between the root, a volume at /data
 * and /proc (test/cli/tests.sh, cli_path_walk, sets them up). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *what, int r)
{
    if (r < 0) printf("%s: %s\n", what, strerror(errno));
    else printf("%s: ok\n", what);
}

static void try_open(const char *what, const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    report(what, fd);
    if (fd >= 0) close(fd);
}

/* The first line of a file, to show which file a path reached. */
static void first_line(const char *what, const char *path)
{
    char buf[128] = "";
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: %s\n", what, strerror(errno));
        return;
    }
    if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\n")] = 0;
    printf("%s: %s\n", what, buf);
}

static void same_node(const char *what, const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0) {
        printf("%s: %s\n", what, strerror(errno));
        return;
    }
    printf("%s: %s\n", what, sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev ? "same" : "different");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        printf("write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static int common(const char *dir)
{
    if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
        perror(dir);
        return 1;
    }
    mkdir("d", 0755);
    mkdir("d/e", 0755);
    write_file("f", "file f\n");
    write_file("d/e/g", "file g\n");
    symlink("../f", "d/rel");           /* relative: from the link's directory */
    symlink("d", "dl");
    symlink("e/g", "d/eg");
    symlink("loop", "loop");
    symlink("nowhere/new", "dangling_dir");
    symlink("created", "dangling");
    first_line("relative symlink", "d/rel");
    first_line("symlink in the middle", "dl/e/g");
    first_line("relative symlink in a linked dir", "dl/eg");
    first_line("dotdot", "d/e/../../f");
    first_line("dotdot after a symlink", "dl/e/../../f");
    same_node("dotdot at root", "/..", "/");
    same_node("dotdot beyond root", "/../../..", "/");
    try_open("loop", "loop", O_RDONLY);
    try_open("O_NOFOLLOW on a symlink", "dl", O_RDONLY | O_NOFOLLOW);
    try_open("O_NOFOLLOW on a file", "f", O_RDONLY | O_NOFOLLOW);
    try_open("O_NOFOLLOW|O_PATH on a symlink", "dl", O_PATH | O_NOFOLLOW);
    try_open("trailing slash on a file", "f/", O_RDONLY);
    try_open("trailing slash on a dir", "d/", O_RDONLY);
    try_open("trailing slash on a dir symlink", "dl/", O_RDONLY | O_NOFOLLOW);
    try_open("file in the middle", "f/x", O_RDONLY);
    struct stat st;
    report("stat trailing slash on a file", stat("f/", &st));
    report("lstat dir symlink with slash", lstat("dl/", &st));
    printf("lstat dir symlink with slash is a dir: %d\n", S_ISDIR(st.st_mode));
    report("mkdir through a symlinked dir", mkdir("dl/m", 0755));
    report("rmdir through a symlinked dir", rmdir("dl/m"));
    try_open("O_CREAT through a dangling symlink", "dangling", O_CREAT | O_WRONLY);
    report("the dangling symlink's target exists", stat("created", &st));
    try_open("O_CREAT|O_EXCL on a dangling symlink", "dangling", O_CREAT | O_EXCL | O_WRONLY);
    try_open("O_CREAT through a link to a missing dir", "dangling_dir", O_CREAT | O_WRONLY);
    /* Linux follows at most 40 links in one walk. */
    char name[32], target[32];
    for (int i = 0; i < 41; i++) {
        snprintf(name, sizeof name, "chain%d", i);
        snprintf(target, sizeof target, i == 40 ? "f" : "chain%d", i + 1);
        symlink(target, name);
    }
    try_open("40 links", "chain1", O_RDONLY);
    try_open("41 links", "chain0", O_RDONLY);
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    try_open("256-byte name", longname, O_RDONLY);
    longname[255] = 0;
    try_open("255-byte name", longname, O_RDONLY);
    static char longpath[5000];
    for (size_t i = 0; i + 2 < sizeof longpath; i += 2) memcpy(longpath + i, "./", 2);
    longpath[4096] = 0;
    try_open("4096-byte path", longpath, O_RDONLY);
    longpath[4094] = 'f';
    longpath[4095] = 0;
    try_open("4095-byte path", longpath, O_RDONLY);
    char cwd[4096];
    if (chdir("dl/e") == 0 && getcwd(cwd, sizeof cwd)) {
        const char *tail = strrchr(cwd, '/');
        printf("getcwd after chdir through a symlink ends in: %s\n", tail && tail > cwd ? tail - 2 : cwd);
        first_line("dotdot from a cwd reached through a symlink", "../../f");
    }
    int dfd = open("..", O_RDONLY | O_DIRECTORY);
    first_line("../f from d/e (none)", "../f");
    if (dfd >= 0) {
        int fd = openat(dfd, "e/g", O_RDONLY);
        report("openat relative to a dirfd", fd);
        if (fd >= 0) close(fd);
        fd = openat(dfd, "rel", O_RDONLY);
        report("openat of a relative symlink from a dirfd", fd);
        if (fd >= 0) close(fd);
        report("unlinkat through a dirfd", unlinkat(dfd, "eg", 0));
        close(dfd);
    }
    return 0;
}

static int guest(void)
{
    first_line("image symlink to /proc/self/status", "/links/status_link");
    report("symlink on the root to /proc/self/status", symlink("/proc/self/status", "/proc_status"));
    first_line("root symlink to /proc/self/status", "/proc_status");
    write_file("/data/target", "on the volume\n");
    report("symlink on the root to the volume", symlink("/data/target", "/to_volume"));
    first_line("root symlink to a volume file", "/to_volume");
    report("symlink on the volume to /etc/passwd", symlink("/etc/passwd", "/data/passwd"));
    first_line("volume symlink to /etc/passwd", "/data/passwd");
    report("relative symlink out of the volume", symlink("../etc/passwd", "/data/rel_passwd"));
    first_line("volume relative symlink to ../etc/passwd", "/data/rel_passwd");
    same_node("dotdot out of the volume", "/data/..", "/");
    same_node("dotdot out of /proc", "/proc/..", "/");
    same_node("dotdot out of /proc/self", "/proc/self/..", "/proc");
    first_line("dotdot across a mount", "/data/../data/target");
    first_line("/proc/self/../self/status", "/proc/self/../self/status");
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink /proc/self/exe: %s\n", n > 0 && buf[0] == '/' && strstr(buf, "path_walk") ? "ok" : buf);
    try_open("O_NOFOLLOW on /proc/self", "/proc/self", O_RDONLY | O_NOFOLLOW);
    try_open("/proc/self/missing", "/proc/self/missing", O_RDONLY);
    try_open("trailing slash on /proc/self/status", "/proc/self/status/", O_RDONLY);
    report("chdir /data", chdir("/data"));
    first_line("relative dotdot from the volume", "../etc/passwd");
    report("chdir /proc/self", chdir("/proc/self"));
    first_line("status relative to /proc/self", "status");
    char cwd[256];
    printf("getcwd in /proc/self: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    first_line("dotdot from /proc/1 to the root", "../../data/target");
    int pfd = open("/proc", O_RDONLY | O_DIRECTORY);
    int fd = openat(pfd, "self/status", O_RDONLY);
    report("openat from a /proc dirfd", fd);
    report("rmdir of a mount point", rmdir("/data"));
    report("bad path pointer", open((const char *)8, O_RDONLY));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "common") == 0) return common(argv[2]);
    if (argc == 2 && strcmp(argv[1], "guest") == 0) return guest();
    fprintf(stderr, "usage: path_walk common DIR | path_walk guest\n");
    return 2;
}
