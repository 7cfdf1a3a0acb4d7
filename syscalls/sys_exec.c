/* execve. Pith runs one program and cannot replace it yet, but programs
 * that search PATH (shells, execvp, posix_spawnp) learn from execve's
 * errors which candidate exists and try the next one: those errors are
 * Linux's, in Linux's order (the file first, then the argument and
 * environment vectors, then the file's format). Only a file Linux would
 * start gets -ENOSYS, which --trace explains. */
#include "syscalls.h"
#include "path.h"
#include "../kernel/console.h"
#include "../kernel/usercopy.h"
#include "../klib/string.h"

#define S_IFMT 0170000
#define S_IFREG 0100000
#define VECTOR_MAX (1u << 20)   /* far past what fits in Linux's argument space */

/* Every pointer of a NULL-terminated vector readable, and every string it
 * points at (Linux's count, then copy_strings). NULL is an empty vector. */
static long check_vector(uint64_t uvec)
{
    if (!uvec) return 0;
    char probe[256];
    for (uint32_t i = 0; i < VECTOR_MAX; i++) {
        uint64_t s;
        if (copy_from_user(&s, uvec + 8ul * i, sizeof s) < 0) return -EFAULT;
        if (!s) return 0;
        long r = copy_string_from_user(probe, s, sizeof probe);
        if (r == -EFAULT) return r;
    }
    return -E2BIG;
}

static long not_started(const char *path, const char *why)
{
    if (kernel.trace) kprintf("[trace] execve: %s would start, but %s: not implemented\n", path, why);
    return -ENOSYS;
}

long sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    if (!path[0]) return -ENOENT;
    struct walk_pos w;
    if ((r = resolve_at(AT_FDCWD, path, 0, true, &w)) < 0) return r;
    uint32_t mode = vnode_mode(&w.node);
    /* Only a regular file with an execute bit runs, also for root. */
    if ((mode & S_IFMT) != S_IFREG || !(mode & 0111)) return -EACCES;
    if ((r = check_vector(uargv)) < 0 || (r = check_vector(uenvp)) < 0) return r;
    uint8_t head[4] = { 0 };
    if (w.node.tfs) {
        int64_t n = tfs_read(w.node.fs, w.node.tfs, 0, head, sizeof head);
        if (n < 0) return n;
    }
    if (!memcmp(head, "\177ELF", 4)) return not_started(path, "one program runs per machine");
    if (head[0] == '#' && head[1] == '!') return not_started(path, "scripts start a second program");
    return -ENOEXEC;     /* no format Linux knows */
}
