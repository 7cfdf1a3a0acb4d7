/* TFS reader: mount a TFS filesystem from a block device and look things up.
 * Used by the kernel (the guest's root filesystem) and by host tools/tests.
 *
 * Mount reads the superblock, replays the whole metadata log into memory
 * (inodes in a hash table, one hash table per directory) and validates every
 * record, so after a successful mount lookups never touch the disk; only
 * tfs_read does. Errors are negative Linux errno values (klib/errno.h).
 * Not thread-safe: callers serialise access to one struct tfs. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../klib/errno.h"
#include "blockdev.h"

struct tfs;
struct tfs_node;

/* Mount the filesystem on `dev` (the TFS partition, not the whole disk; see
 * fs/mbr.h). On failure returns a negative errno and writes one line such as
 * "tfs: log record 12 at block 40: extent outside the disk" into err. */
int tfs_mount(struct heap *h, struct blockdev *dev, struct tfs **out, char *err, size_t errlen);
/* Free everything tfs_mount allocated. Nodes become invalid. */
void tfs_unmount(struct tfs *fs);

struct tfs_node *tfs_root(struct tfs *fs);

/* One name in `dir` ("." and ".." included). -ENOENT, -ENOTDIR, -ENAMETOOLONG. */
int tfs_lookup(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen,
               struct tfs_node **out);

/* Walk a path from `cwd` (or the root if it starts with '/'), following
 * symlinks in the middle and, if follow_last, at the end. At most 40 symlinks
 * are followed (-ELOOP). A trailing '/' requires a directory. Empty path or
 * missing component: -ENOENT; component not a directory: -ENOTDIR. */
int tfs_resolve(struct tfs *fs, struct tfs_node *cwd, const char *path, bool follow_last,
                struct tfs_node **out);

struct tfs_stat {
    uint64_t ino, size, blocks;   /* blocks: 512-byte units allocated */
    uint32_t mode;                /* Linux S_IF* | permission bits */
    uint32_t nlink;
    uint32_t uid, gid;
    uint64_t atime_ns, mtime_ns, ctime_ns;
};
void tfs_stat(struct tfs_node *n, struct tfs_stat *st);
uint32_t tfs_mode(const struct tfs_node *n);   /* shortcut for st.mode */
uint64_t tfs_ino(const struct tfs_node *n);

/* Read file data at `off`: returns bytes read (short only at EOF), 0 at or
 * past EOF, holes read as zeros. -EISDIR for directories, -EINVAL for other
 * non-regular files, -EIO if the device fails. */
int64_t tfs_read(struct tfs *fs, struct tfs_node *n, uint64_t off, void *buf, size_t len);

/* Copy a symlink's target (not NUL-terminated, like readlink(2)); returns the
 * number of bytes copied (truncated to len), -EINVAL if not a symlink. */
int tfs_readlink(struct tfs_node *n, char *buf, size_t len);

struct tfs_dirent {
    uint64_t ino;
    uint32_t mode;
    char name[256];   /* NUL-terminated */
};
/* Iterate a directory: *cookie starts at 0 and is advanced by each call.
 * Returns 1 with *out filled, 0 at the end, -ENOTDIR. "." and ".." come first,
 * then entries in the order they were created. Cookies stay valid as long as
 * the filesystem is mounted. */
int tfs_readdir(struct tfs *fs, struct tfs_node *dir, uint64_t *cookie, struct tfs_dirent *out);

#define TFS_CONFIG_TRACE (1u << 0)

/* The boot config stored in the image, or NULL if it has none. The strings
 * live as long as the mount. */
struct tfs_config {
    const char *program;
    int argc;
    const char *const *argv;   /* argv[argc] == NULL */
    int envc;
    const char *const *envp;   /* envp[envc] == NULL */
    uint32_t flags;            /* TFS_CONFIG_* */
    uint64_t layout_seed;      /* 0: the kernel randomizes; else loader/layout.h derives addresses from it */
};
const struct tfs_config *tfs_config(struct tfs *fs);
