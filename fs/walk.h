/* The one path walker: every path a program gives goes through it.
 *
 * It resolves a path a component at a time, from the global root for an
 * absolute path or from a starting directory otherwise. Filesystems meet at
 * mount points: the root TFS at "/", volumes where `--mount` put them, and
 * the synthetic trees at /dev, /proc and /sys, and memfs at /dev/shm; a mount point is entered by
 * name and left by "..". Symlinks are followed here, whichever filesystem
 * holds them, so a link on any filesystem may point into any other: an
 * absolute target restarts at the global root, a relative one continues in
 * the link's directory. Filesystems themselves only look up one name in one
 * directory (tfs_lookup, pseudo_lookup, memfs_lookup) and read links. Linux's limits
 * hold: 40 links per walk (-ELOOP), 255-byte names and 4095-byte paths
 * (-ENAMETOOLONG), a trailing slash requires a directory (-ENOTDIR). */
#pragma once
#include "tfs.h"
#include "pseudo.h"
#include "memfs.h"

#define WALK_PATH_MAX 4096   /* with its NUL; Linux's PATH_MAX */

/* A node in the file tree: a TFS node on a volume, or a synthetic node. */
struct vnode {
    struct tfs *fs;             /* the volume holding tfs */
    struct tfs_node *tfs;
    struct pseudo_node *pseudo; /* set instead of tfs under /dev, /proc, /sys */
    struct mem_node *mem;       /* set instead of tfs under /dev/shm (memfs) */
};

/* Where a walk stands: a node, and the absolute path it was reached by with
 * every symlink resolved (what getcwd and /proc/self/fd show, as on Linux). */
struct walk_pos {
    struct vnode node;
    char path[WALK_PATH_MAX];
};

/* The last component, for the calls that create or remove a name. */
struct walk_last {
    char name[256];
    size_t len;
    bool trailing_slash;
};

#define WALK_FOLLOW 1u   /* follow a symlink in the last component */
#define WALK_PARENT 2u   /* stop at the last component's directory; the name goes to *last */

/* Walk `path` from *pos (its start for a relative path; an absolute path
 * ignores it) and leave *pos on what the path names. With WALK_PARENT,
 * *pos ends on the directory that holds the last component and *last gets
 * the name, which need not exist; with WALK_PARENT | WALK_FOLLOW a last
 * component that is a symlink is followed to where it points (open with
 * O_CREAT through a dangling link creates the file it names). A path with no
 * last component ("/") is -EBUSY with WALK_PARENT, and so is a last name
 * that is a mount point. Errors: -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG. */
int walk_path(struct walk_pos *pos, const char *path, unsigned flags, struct walk_last *last);

/* Put *pos at the global root. */
void walk_root(struct walk_pos *pos);

uint32_t vnode_mode(const struct vnode *v);
bool vnode_is_dir(const struct vnode *v);
void vnode_stat(const struct vnode *v, struct linux_stat *st);
/* Bytes of the link's target copied (no NUL), or -EINVAL if v is not a symlink. */
long vnode_readlink(const struct vnode *v, char *buf, size_t len);
