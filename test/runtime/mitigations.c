/* The program's exploit mitigations (kernel/hardening.h), seen from the
 * program: each line is one operation a mitigation may refuse and what it
 * returned. Run with the options off it prints what Linux prints for the
 * same binary (the host run is the reference); mitigations_*.expect boot it
 * with --no-wx, --readonly-program and --exec-protection and expect the
 * refusals (EACCES).
 *   mitigations TOOL [self]
 * TOOL: an executable file in a writable directory (the image marks it
 * executable); the program works next to it and finally renames a file over
 * it and unlinks it. "self": also open the program's own file for writing
 * (Linux says ETXTBSY there, so only the option runs ask). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *result(long r)
{
    static char buf[32];
    if (r != -1) return "ok";
    switch (errno) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    case ETXTBSY: return "ETXTBSY";
    }
    snprintf(buf, sizeof buf, "errno %d", errno);
    return buf;
}

static long map_result(void *p) { return p == MAP_FAILED ? -1 : 0; }

static void *anon(int prot) { return mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); }

static void memory(const char *tool, const char *plain)
{
    void *p = anon(PROT_READ | PROT_WRITE | PROT_EXEC);
    printf("mmap anonymous rwx: %s\n", result(map_result(p)));
    p = anon(PROT_READ | PROT_WRITE);
    printf("mprotect anonymous rw to rwx: %s\n", result(mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)));
    printf("mmap anonymous rx: %s\n", result(map_result(anon(PROT_READ | PROT_EXEC))));

    /* What a JIT does: write the code, then make it executable and run it. */
    unsigned char *code = anon(PROT_READ | PROT_WRITE);
    code[0] = 0xb8, code[1] = 42, code[2] = code[3] = code[4] = 0, code[5] = 0xc3;   /* mov eax, 42; ret */
    long r = mprotect(code, 4096, PROT_READ | PROT_EXEC);
    printf("mprotect written anonymous rw to rx: %s\n", result(r));
    if (r == 0) printf("jit code returned %d\n", ((int (*)(void))code)());

    int fd = open(tool, O_RDONLY);
    void *t = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    printf("mmap executable file rx: %s\n", result(map_result(t)));
    if (t != MAP_FAILED) {
        printf("mprotect its private copy rx to rw: %s\n", result(mprotect(t, 4096, PROT_READ | PROT_WRITE)));
        printf("mprotect it back rw to rx: %s\n", result(mprotect(t, 4096, PROT_READ | PROT_EXEC)));
    }
    void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mprotect a read-only mapping of it to rx: %s\n", result(mprotect(ro, 4096, PROT_READ | PROT_EXEC)));
    close(fd);

    fd = open(plain, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(fd, "plain", 5) != 5) printf("write %s failed\n", plain);
    printf("mmap plain file rx: %s\n", result(map_result(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0))));
    close(fd);

    fd = (int)syscall(SYS_memfd_create, "code", 0);
    if (fd < 0 || ftruncate(fd, 4096) != 0) printf("memfd failed\n");
    printf("mmap memfd rx: %s\n", result(map_result(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0))));
    close(fd);
}

static void files(const char *tool, const char *plain, const char *made, const char *other)
{
    printf("chmod plain file to 0755: %s\n", result(chmod(plain, 0755)));
    int fd = open(made, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) printf("create %s failed\n", made);
    else printf("file created with mode 0755 has mode %o\n", st.st_mode & 07777);
    close(fd);

    struct stat ts;
    if (stat(tool, &ts) != 0) printf("stat %s failed\n", tool);
    fd = open(tool, O_WRONLY);
    printf("open executable file for writing: %s\n", result(fd));
    if (fd >= 0) close(fd);
    fd = open(tool, O_RDONLY);
    printf("open executable file read-only: %s\n", result(fd));
    if (fd >= 0) close(fd);
    printf("truncate executable file: %s\n", result(truncate(tool, ts.st_size)));
    printf("chmod executable file: %s\n", result(chmod(tool, ts.st_mode & 07777)));
    fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close(fd);
    printf("rename a file over executable file: %s\n", result(rename(other, tool)));
    unlink(other);
    printf("unlink executable file: %s\n", result(unlink(tool)));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mitigations TOOL [self]\n");
        return 2;
    }
    umask(022);
    char dir_buf[4096], plain[4200], made[4200], other[4200];
    snprintf(dir_buf, sizeof dir_buf, "%s", argv[1]);
    const char *dir = dirname(dir_buf);
    snprintf(plain, sizeof plain, "%s/plain", dir);
    snprintf(made, sizeof made, "%s/made", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    memory(argv[1], plain);
    files(argv[1], plain, made, other);
    if (argc > 2 && strcmp(argv[2], "self") == 0) {
        int fd = open("/proc/self/exe", O_WRONLY);
        printf("open the program's own file for writing: %s\n", result(fd));
    }
    unlink(plain);
    unlink(made);
    printf("done\n");
    return 0;
}
