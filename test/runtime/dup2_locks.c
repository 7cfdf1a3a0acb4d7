/* dup2/dup3 over an open descriptor close it, and on Linux that implicit
 * close drops the process's POSIX (F_SETLK) record locks on the file, as
 * close() does, whichever descriptor took them. One process sees this: an
 * open file description lock (F_OFD_GETLK through its own open) conflicts
 * with the POSIX locks of its own process. The same binary run on the host
 * must print the same lines; the last one says whether every check held.
 * Usage: dup2_locks [DIR] (default /dup2-locks). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) failures++;
    printf("%s %s\n", ok ? "PASS" : "FAIL", what);
}

static int write_lock(int fd)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    return fcntl(fd, F_SETLK, &fl);
}

/* Is some lock held on the file probe names, as a new OFD sees it? */
static int locked(int probe)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(probe, F_OFD_GETLK, &fl) != 0) {
        printf("F_OFD_GETLK: %s\n", strerror(errno));
        failures++;
        return -1;
    }
    return fl.l_type != F_UNLCK;
}

int main(int argc, char **argv)
{
    char path[512], other_path[512];
    const char *dir = argc > 1 ? argv[1] : "/dup2-locks";
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/locked", dir);
    snprintf(other_path, sizeof other_path, "%s/other", dir);
    int probe = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    int other = open(other_path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (probe < 0 || other < 0) {
        printf("open: %s\n", strerror(errno));
        return 1;
    }

    int a = open(path, O_RDWR);
    check(write_lock(a) == 0 && locked(probe) == 1, "POSIX lock seen by an OFD probe");
    dup2(other, a);
    check(locked(probe) == 0, "dup2 over the locking fd releases the POSIX lock");
    close(a);

    /* The lock belongs to the process and the file, not to a descriptor:
     * closing another open of the same file drops it too. */
    a = open(path, O_RDWR);
    int b = open(path, O_RDWR);
    check(write_lock(a) == 0 && locked(probe) == 1, "POSIX lock taken again");
    dup3(other, b, O_CLOEXEC);
    check(locked(probe) == 0, "dup3 over another fd of the file releases the POSIX lock");
    close(b);

    /* Replacing a descriptor of an unrelated file leaves the lock alone. */
    int c = open(other_path, O_RDONLY);
    check(write_lock(a) == 0 && locked(probe) == 1, "POSIX lock taken a third time");
    dup2(a, c);
    check(locked(probe) == 1, "dup2 over an fd of another file keeps the POSIX lock");
    close(c);
    check(locked(probe) == 0, "close of the dup2 copy releases the POSIX lock");
    close(a);

    close(other);
    close(probe);
    unlink(path);
    unlink(other_path);
    rmdir(dir);
    printf(failures ? "dup2 locks: %d failures\n" : "dup2 locks ok\n", failures);
    return failures != 0;
}
