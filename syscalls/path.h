/* Path resolution for the path-based system calls. */
#pragma once
#include "syscalls.h"
#include "../kernel/process.h"
#include "../fs/tfs.h"
#include "../fs/pseudo.h"

/* What a path names: a file in TFS or a synthetic one under /dev, /proc, /sys. */
struct vnode {
    struct tfs *fs;             /* the volume holding tfs */
    struct tfs_node *tfs;
    struct pseudo_node *pseudo;
};

/* Copy a user path into buf (PATH_MAX_LEN bytes): its length or -EFAULT/-ENAMETOOLONG. */
long user_path(char *buf, uint64_t upath);
/* Lexically join a directory and a path into a canonical absolute path. */
void join_path(const char *dir, const char *path, char *out, size_t size);
/* The absolute path a dirfd-relative path names (lexically). */
void absolute_path(struct process *p, int dirfd, const char *path, char *out, size_t size);
/* Resolve dirfd + path (AT_EMPTY_PATH in flags allows ""). */
long resolve_at(int dirfd, const char *path, int flags, bool follow, struct vnode *out);
/* The directory that would hold path's last component, and that component
 * (pointing into path). -EEXIST-like cases ("/", "." or "..") give -EINVAL
 * unless the caller checks; a trailing slash sets *must_be_dir. */
long resolve_parent(int dirfd, const char *path, struct tfs **fs, struct tfs_node **dir, const char **name,
                    size_t *namelen, bool *must_be_dir);
uint32_t vnode_mode(const struct vnode *v);
void vnode_stat(const struct vnode *v, struct linux_stat *st);
long vnode_readlink(const struct vnode *v, char *buf, size_t len);

/* Truncate a regular file and drop what mappings had of the lost part. */
long truncate_file(struct tfs *fs, struct tfs_node *n, uint64_t length);
