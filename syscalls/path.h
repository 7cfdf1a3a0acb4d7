/* From the paths system calls take to the path walker (fs/walk.h): where a
 * relative path starts (the working directory or a dirfd), AT_EMPTY_PATH,
 * and the parent-plus-name form the calls that make or remove names use. */
#pragma once
#include "syscalls.h"
#include "../kernel/process.h"
#include "../fs/walk.h"

/* Copy a user path into buf (PATH_MAX_LEN bytes): its length or -EFAULT/-ENAMETOOLONG. */
long user_path(char *buf, uint64_t upath);
/* Walk dirfd + path to what it names (following a final symlink if
 * `follow`); AT_EMPTY_PATH in at_flags lets "" name dirfd itself. */
long resolve_at(int dirfd, const char *path, int at_flags, bool follow, struct walk_pos *out);
/* The directory that would hold path's last component (a TFS or memfs
 * directory: nothing is made under /dev, /proc or /sys, -EACCES) and that name in
 * *last; a trailing slash sets last->trailing_slash. "/" or a mount point
 * as the name is -EBUSY. With `follow`, a last component that is a symlink
 * is followed to the name it points at (open with O_CREAT). */
long resolve_parent(int dirfd, const char *path, bool follow, struct walk_pos *dir, struct walk_last *last);

/* Truncate a regular file and drop what mappings had of the lost part. */
long truncate_file(struct tfs *fs, struct tfs_node *n, uint64_t length);
