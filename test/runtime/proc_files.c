/* The files under /dev, /proc and /sys that runtimes read: each is checked
 * against what the program can see for itself (its own addresses, its
 * arguments, the memory it was given). Prints one line per mismatch and
 * exits 1 if there was any. Run with -m 128M (see proc_files.expect). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                        \
    do {                                        \
        if (!(cond)) {                          \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                \
            printf("\n");                       \
            failures++;                         \
        }                                       \
    } while (0)

/* The whole file, NUL-terminated, read in small pieces to exercise offsets. */
static char *slurp(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("FAIL open %s: %s\n", path, strerror(errno));
        failures++;
        return NULL;
    }
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 100 + 1 > cap) buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, 100);
        if (n < 0) {
            printf("FAIL read %s: %s\n", path, strerror(errno));
            failures++;
            break;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

/* The maps line covering addr: its permissions and name. */
static int find_mapping(const char *maps, uintptr_t addr, char perms[5], char *name, size_t namelen)
{
    const char *line = maps;
    while (*line) {
        unsigned long start, end, off, ino;
        unsigned major, minor;
        int consumed = 0;
        if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &start, &end, perms, &off, &major, &minor, &ino,
                   &consumed) < 7) {
            printf("FAIL unparsable maps line: %.80s\n", line);
            failures++;
            return -1;
        }
        const char *nl = strchr(line, '\n');
        if (!nl) nl = line + strlen(line);
        if (addr >= start && addr < end) {
            const char *n = line + consumed;
            size_t l = (size_t)(nl - n);
            if (l >= namelen) l = namelen - 1;
            memcpy(name, n, l);
            name[l] = 0;
            return 0;
        }
        line = *nl ? nl + 1 : nl;
    }
    return -1;
}

static void check_maps(void)
{
    char *maps = slurp("/proc/self/maps", NULL);
    if (!maps) return;
    char perms[5], name[256], exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = 0;
    int local = 0;
    if (find_mapping(maps, (uintptr_t)check_maps, perms, name, sizeof name) < 0)
        CHECK(0, "no mapping holds the code at %p", (void *)check_maps);
    else {
        CHECK(perms[0] == 'r' && perms[2] == 'x', "code mapping perms %s", perms);
        CHECK(strcmp(name, exe) == 0, "code mapping named '%s', expected the exe '%s'", name, exe);
    }
    if (find_mapping(maps, (uintptr_t)&local, perms, name, sizeof name) < 0)
        CHECK(0, "no mapping holds the stack at %p", (void *)&local);
    else {
        CHECK(strcmp(perms, "rw-p") == 0, "stack perms %s", perms);
        CHECK(strcmp(name, "[stack]") == 0, "stack mapping named '%s'", name);
    }
    /* Memory from the brk area shows as [heap]. */
    void *old = sbrk(0);
    if (old != (void *)-1 && sbrk(8192) != (void *)-1) {
        free(maps);
        maps = slurp("/proc/self/maps", NULL);
        if (find_mapping(maps, (uintptr_t)old, perms, name, sizeof name) < 0)
            CHECK(0, "no mapping holds the brk area at %p", old);
        else
            CHECK(strcmp(name, "[heap]") == 0 && perms[1] == 'w', "brk area shows as '%s' %s", name, perms);
    }
    free(maps);
}

static unsigned long field_kb(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

static void check_meminfo(void)
{
    char *m = slurp("/proc/meminfo", NULL);
    if (!m) return;
    unsigned long total = field_kb(m, "MemTotal:"), free_kb = field_kb(m, "MemFree:");
    unsigned long avail = field_kb(m, "MemAvailable:");
    /* The machine has 128 MiB; the firmware and kernel image keep some. */
    CHECK(total > 96 * 1024 && total <= 128 * 1024, "MemTotal %lu kB for a 128M machine", total);
    CHECK(free_kb > 0 && free_kb <= total, "MemFree %lu kB of %lu", free_kb, total);
    CHECK(avail >= free_kb && avail <= total, "MemAvailable %lu kB", avail);
    CHECK(strstr(m, "SwapTotal:") != NULL, "no SwapTotal line");
    free(m);
}

static void check_process_files(const char *argv0, int argc, char **argv)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
    if (n > 0) {
        exe[n] = 0;
        CHECK(exe[0] == '/', "exe '%s' is not absolute", exe);
        if (argv0[0] == '/') CHECK(strcmp(exe, argv0) == 0, "exe '%s' but argv[0] '%s'", exe, argv0);
        struct stat a, b;
        CHECK(stat("/proc/self/exe", &a) == 0 && stat(exe, &b) == 0 && a.st_ino == b.st_ino,
              "stat through /proc/self/exe is not the program");
    }
    char *s = slurp("/proc/self/stat", NULL);
    if (s) {
        int pid = 0;
        char comm[64] = "", state = 0;
        int ppid = -1;
        CHECK(sscanf(s, "%d (%63[^)]) %c %d", &pid, comm, &state, &ppid) == 4, "stat: '%.60s'", s);
        CHECK(pid == getpid(), "stat pid %d, getpid %d", pid, getpid());
        CHECK(strcmp(comm, "proc_files") == 0, "stat comm '%s'", comm);
        CHECK(state == 'R', "stat state %c", state);
        free(s);
    }
    s = slurp("/proc/self/status", NULL);
    if (s) {
        CHECK(strstr(s, "Name:\tproc_files\n") != NULL, "status has no Name line");
        CHECK(field_kb(s, "Pid:") == (unsigned long)getpid(), "status Pid");
        CHECK(field_kb(s, "VmRSS:") > 0, "status VmRSS is 0");
        CHECK(field_kb(s, "VmSize:") >= field_kb(s, "VmRSS:"), "VmSize below VmRSS");
        CHECK(field_kb(s, "Threads:") == 1, "status Threads");
        free(s);
    }
    size_t len;
    s = slurp("/proc/self/cmdline", &len);
    if (s) {
        size_t off = 0;
        for (int i = 0; i < argc; i++) {
            CHECK(off < len && strcmp(s + off, argv[i]) == 0, "cmdline argument %d is '%s', expected '%s'", i,
                  off < len ? s + off : "", argv[i]);
            off += strlen(argv[i]) + 1;
        }
        CHECK(off == len, "cmdline has %zu bytes, argv %zu", len, off);
        free(s);
    }
    s = slurp("/proc/self/comm", NULL);
    if (s) CHECK(strcmp(s, "proc_files\n") == 0, "comm '%s'", s);
    free(s);
    /* Writing comm renames the process, as prctl(PR_SET_NAME) does. */
    int fd = open("/proc/self/comm", O_WRONLY);
    CHECK(fd >= 0 && write(fd, "renamed\n", 8) == 8, "write /proc/self/comm: %s", strerror(errno));
    if (fd >= 0) close(fd);
    s = slurp("/proc/self/comm", NULL);
    if (s) CHECK(strcmp(s, "renamed\n") == 0, "comm after rename '%s'", s);
    free(s);
    fd = open("/proc/self/comm", O_WRONLY);
    if (fd >= 0 && write(fd, "proc_files", 10) != 10) CHECK(0, "restoring comm");
    if (fd >= 0) close(fd);
}

static void check_fd_dir(void)
{
    int probe = open("/dev/null", O_RDONLY);
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL, "opendir /proc/self/fd: %s", strerror(errno));
    if (!d) return;
    int seen[4] = { 0 }, dot = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) dot++;
        else if (atoi(e->d_name) < 4) seen[atoi(e->d_name)] = 1;
    }
    closedir(d);
    CHECK(dot == 2, "fd dir has %d of . and ..", dot);
    CHECK(seen[0] && seen[1] && seen[2], "fd dir lacks 0, 1 or 2");
    char target[256], link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", probe);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    CHECK(n > 0 && strcmp(target, "/dev/null") == 0, "%s -> '%s'", link, target);
    close(probe);
}

static void check_devices(void)
{
    char buf[4096];
    int fd = open("/dev/zero", O_RDONLY);
    memset(buf, 0x5a, sizeof buf);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf) == sizeof buf, "read /dev/zero");
    int nonzero = 0;
    for (size_t i = 0; i < sizeof buf; i++) nonzero |= buf[i];
    CHECK(!nonzero, "/dev/zero gave non-zero bytes");
    close(fd);

    fd = open("/dev/null", O_RDWR);
    CHECK(fd >= 0 && write(fd, buf, 100) == 100, "write /dev/null");
    CHECK(read(fd, buf, 10) == 0, "read /dev/null is not EOF");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
          "/dev/null is not char 1:3");
    close(fd);

    fd = open("/dev/full", O_WRONLY);
    errno = 0;
    CHECK(fd >= 0 && write(fd, buf, 10) == -1 && errno == ENOSPC, "write /dev/full: %s", strerror(errno));
    close(fd);

    fd = open("/dev/urandom", O_RDONLY);
    uint64_t r[4] = { 0 };
    CHECK(fd >= 0 && read(fd, r, sizeof r) == sizeof r, "read /dev/urandom");
    CHECK(r[0] | r[1] | r[2] | r[3], "/dev/urandom gave zeros");
    close(fd);

    CHECK(stat("/dev/stdout", &st) == 0, "stat /dev/stdout (through /proc/self/fd/1): %s", strerror(errno));
}

static void check_system_files(void)
{
    char *s = slurp("/sys/devices/system/cpu/online", NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char want[32];
    if (cpus == 1) snprintf(want, sizeof want, "0\n");
    else snprintf(want, sizeof want, "0-%ld\n", cpus - 1);
    if (s) CHECK(strcmp(s, want) == 0, "cpu/online is '%s', expected '%s'", s, want);
    free(s);
    s = slurp("/proc/cpuinfo", NULL);
    if (s) {
        long blocks = 0;
        for (char *p = s; (p = strstr(p, "processor\t: ")); p++) blocks++;
        CHECK(blocks == cpus, "cpuinfo has %ld processors, sysconf says %ld", blocks, cpus);
        CHECK(strstr(s, "flags\t\t: fpu") != NULL, "cpuinfo flags do not start with fpu");
        CHECK(strstr(s, " sse2") != NULL, "cpuinfo flags lack sse2");
        free(s);
    }
    s = slurp("/proc/sys/kernel/hostname", NULL);
    if (s) CHECK(strcmp(s, "pith\n") == 0, "hostname '%s'", s);
    free(s);
    s = slurp("/proc/uptime", NULL);
    if (s) CHECK(strtod(s, NULL) > 0, "uptime '%s'", s);
    free(s);
    s = slurp("/proc/stat", NULL);
    if (s) {
        CHECK(strncmp(s, "cpu  ", 5) == 0, "/proc/stat starts '%.10s'", s);
        char *b = strstr(s, "\nbtime ");
        long btime = b ? atol(b + 7) : 0;
        CHECK(btime > 1600000000, "btime %ld", btime);
        free(s);
    }
    DIR *d = opendir("/proc");
    int self = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) self |= !strcmp(e->d_name, "self");
    if (d) closedir(d);
    CHECK(self, "/proc does not list self");
    errno = 0;
    CHECK(open("/proc/meminfo", O_WRONLY) < 0 && errno == EACCES, "writing /proc/meminfo: %s", strerror(errno));
    CHECK(open("/proc/nonexistent", O_RDONLY) < 0 && errno == ENOENT, "/proc/nonexistent");
}

int main(int argc, char **argv)
{
    check_maps();
    check_meminfo();
    check_process_files(argv[0], argc, argv);
    check_fd_dir();
    check_devices();
    check_system_files();
    if (failures) {
        printf("proc_files: %d checks failed\n", failures);
        return 1;
    }
    printf("proc_files: all checks passed\n");
    return 0;
}
