/* TFS: mount a TFS filesystem from a block device, look things up, and (on
 * a writable mount) change it. Used by the kernel (the guest's root
 * filesystem) and by host tools/tests.
 *
 * Mount reads the superblock, replays the whole metadata log into memory
 * (inodes in a hash table, one hash table per directory) and validates every
 * record, so lookups never touch the disk. File data goes through a bounded
 * write-back block cache. Changes are collected into one pending transaction
 * that is appended to the log (after the data it references is written and
 * flushed) by tfs_fsync/tfs_sync, when it grows large, or at unmount; see
 * docs/tfs.md. Errors are negative Linux errno values (klib/errno.h).
 * Not thread-safe: callers serialise access to one struct tfs.
 *
 * Node lifetime: nodes returned by lookups stay valid until the next call
 * that can remove names (unlink, rmdir, rename) or unmount. Hold a reference
 * (tfs_node_get/tfs_node_put) to keep one longer: an open file, a cwd. An
 * unlinked node that is still referenced keeps its data until the last put. */
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

#define TFS_MOUNT_READONLY (1u << 0)   /* every change gives -EROFS; nothing is written */
struct tfs_mount_options {
    uint32_t flags;                    /* TFS_MOUNT_* */
    uint32_t cache_blocks;             /* block cache limit in 4 KiB blocks; 0 = 256 (1 MiB) */
    uint64_t (*clock_ns)(void *ctx);   /* wall clock for timestamps; NULL = always 0 */
    void *clock_ctx;
    /* Whether memory of a block lent by tfs_lend_page is still held by its
     * borrower (the kernel: a program mapping). Such blocks stay cached, so
     * mappings and read()/write() share one copy. NULL: lent blocks can be
     * evicted like any other (a mapping then keeps an older copy). */
    bool (*lent_in_use)(const void *block);
    /* Blocks [first, first+count) of n were holes and now have blocks (a
     * write, fallocate, a mapping's first store): mappings that stand in
     * zeros for them must look again. NULL: nobody to tell. */
    void (*holes_filled)(const struct tfs_node *n, uint64_t first, uint64_t count);
};
/* tfs_mount is tfs_mount_opts with TFS_MOUNT_READONLY. A writable mount also
 * builds the free-space bitmap (failing if two files claim one block) and
 * zeroes a torn log tail left by a crash. */
int tfs_mount_opts(struct heap *h, struct blockdev *dev, const struct tfs_mount_options *opt, struct tfs **out,
                   char *err, size_t errlen);
/* Turn a read-only mount (tfs_mount) into the writable mount opt describes
 * (its flags aside) without reading the filesystem again: what the kernel
 * does after reading the boot config. On failure the mount stays read-only
 * but should be unmounted; err holds the reason. */
int tfs_make_writable(struct tfs *fs, const struct tfs_mount_options *opt, char *err, size_t errlen);
/* Sync (writable mounts), then free everything. Nodes become invalid.
 * Returns the sync's result; the memory is freed either way. */
int tfs_unmount(struct tfs *fs);

struct tfs_node *tfs_root(struct tfs *fs);

/* One name in `dir` ("." and ".." included). -ENOENT, -ENOTDIR, -ENAMETOOLONG. */
int tfs_lookup(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen,
               struct tfs_node **out);

/* For the host tools, which see one image and nothing mounted in it (the
 * kernel walks paths with fs/walk.c, across mounts, using tfs_lookup).
 * Walk a path from `cwd` (or the root if it starts with '/'), following
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

/* The page cache's copy of file block fb (4 KiB, block aligned), for a
 * program mapping to share instead of copying: *page is the cached block's
 * memory, which the cache keeps pointing at file block fb's disk block while
 * it stays cached, and never reuses for anything else (see tfs_cache.c).
 * Bytes past the end of the file read as zero. A hole is filled with a new
 * zeroed block first when `fill` (a shared mapping about to write; the file
 * must be writable), else it is -ENODATA, as is a block past the end (the
 * caller copies instead). -EIO, -ENOMEM, -ENOSPC, -EROFS. */
int tfs_lend_page(struct tfs *fs, struct tfs_node *n, uint64_t fb, bool fill, void **page);
/* A program wrote to the lent page of file block fb through its mapping:
 * the block is dirty and the file's mtime moves. Bytes past the end of the
 * file in that page are zeroed again. No-op if the block has left the file. */
int tfs_page_written(struct tfs *fs, struct tfs_node *n, uint64_t fb);
/* Whether file block fb of n is in the cache (a hole never is). */
bool tfs_page_cached(struct tfs *fs, struct tfs_node *n, uint64_t fb);

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
#define TFS_CONFIG_READONLY_ROOT (1u << 1)   /* the kernel mounts the root read-only */
#define TFS_CONFIG_CORE_PATH (1u << 2)       /* one more string after the mounts: core_path */
#define TFS_CONFIG_NET (1u << 3)             /* one more string after that: the network settings (net/net_config.h) */
#define TFS_CONFIG_MOUNT_UUIDS (1u << 4)     /* one more string after that: the volumes' uuids (mount_uuids) */
#define TFS_CONFIG_KERNEL_OPTIONS (1u << 5)  /* one more string, last: kernel_options */
/* The program's exploit mitigations (kernel/hardening.h; docs/manifest.md "option"). */
#define TFS_CONFIG_NO_WX (1u << 8)             /* no memory both writable and executable */
#define TFS_CONFIG_READONLY_PROGRAM (1u << 9)  /* executable files (the program, its libraries) cannot change */
#define TFS_CONFIG_EXEC_PROTECTION (1u << 10)  /* only executable files' pages ever run */

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
    int mountc;                /* volumes the image expects (for the host tool that boots it) */
    const char *const *mounts; /* mountc pairs: guest mount point, host volume path */
    const char *core_path;     /* where a core file goes; "" = none; NULL = the default (/core) */
    const char *net;           /* network settings in net/net_config.h's text form; NULL: none given */
    /* The filesystem uuid of each volume in mounts, as 32 lowercase hex
     * digits each, concatenated (all zeros: not known when the image was
     * written); NULL in images from before. How the kernel finds its volumes
     * where no host hands it a mount list (fs/mounts.c). */
    const char *mount_uuids;
    /* Words for the kernel itself, for tests only (kernel/selftest.h:
     * "selftest=NAME"); NULL: none. The program never sees them. */
    const char *kernel_options;
};
const struct tfs_config *tfs_config(struct tfs *fs);

/* ---- writing (writable mounts; otherwise every call gives -EROFS) ----
 * After a device error the filesystem refuses further changes with -EIO
 * (what is on disk stays consistent; remount to recover). Names: 1..255
 * bytes, no '/' or NUL, not "." or ".." (-EINVAL; -ENAMETOOLONG if longer).
 * ENOSPC leaves the filesystem consistent and the change not made. */

void tfs_node_get(struct tfs_node *n);
/* Drop a reference; the last put of an unlinked node frees its blocks. */
void tfs_node_put(struct tfs *fs, struct tfs_node *n);

/* New regular file / directory / symlink named `name` in `dir`; *out gets
 * the node (not referenced). -EEXIST, -ENOTDIR, -ENOENT (dir was removed),
 * -ENAMETOOLONG, -ENOSPC, -EROFS, -EIO. mode holds permission bits only. */
int tfs_create(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode,
               uint32_t uid, uint32_t gid, struct tfs_node **out);
/* A socket node (S_IFSOCK, no data): what bind(2) of an AF_UNIX path makes. */
int tfs_mksock(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode,
               uint32_t uid, uint32_t gid, struct tfs_node **out);
int tfs_mkdir(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode,
              uint32_t uid, uint32_t gid, struct tfs_node **out);
/* target: 1..4095 bytes, no NUL (-ENAMETOOLONG / -EINVAL, -ENOENT if empty). */
int tfs_symlink(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, const char *target,
                size_t targetlen, uint32_t uid, uint32_t gid, struct tfs_node **out);
/* Another name for a non-directory (-EPERM for directories, -EMLINK). */
int tfs_link(struct tfs *fs, struct tfs_node *node, struct tfs_node *dir, const char *name, size_t namelen);
/* Remove a non-directory name (-EISDIR for a directory). */
int tfs_unlink(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen);
/* Remove an empty directory (-ENOTEMPTY, -ENOTDIR, -EBUSY for the root,
 * -EINVAL for "."). */
int tfs_rmdir(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen);

#define TFS_RENAME_NOREPLACE 1u
#define TFS_RENAME_EXCHANGE 2u
/* rename(2)/renameat2(2): replaces an existing target (a directory only by
 * an empty directory: -ENOTEMPTY, -EISDIR, -ENOTDIR as Linux); moving a
 * directory into its own subtree is -EINVAL; NOREPLACE gives -EEXIST;
 * EXCHANGE swaps two existing names (-ENOENT if one is missing). */
int tfs_rename(struct tfs *fs, struct tfs_node *olddir, const char *oldname, size_t oldlen, struct tfs_node *newdir,
               const char *newname, size_t newlen, unsigned flags);

/* Write file data at `off`, extending the file as needed (the gap stays a
 * hole). Returns bytes written: short only when the disk fills after some
 * progress; -ENOSPC if nothing could be written, -EFBIG past 16 TiB,
 * -EISDIR, -EINVAL (not a regular file). Updates mtime/ctime. */
int64_t tfs_write(struct tfs *fs, struct tfs_node *n, uint64_t off, const void *buf, size_t len);
/* Set the size; shrinking frees blocks, growing adds a hole. */
int tfs_truncate(struct tfs *fs, struct tfs_node *n, uint64_t size);

#define TFS_FALLOC_KEEP_SIZE 0x1u
#define TFS_FALLOC_PUNCH_HOLE 0x2u
/* mode 0 or KEEP_SIZE: allocate (zeroed) blocks for [off, off+len);
 * PUNCH_HOLE|KEEP_SIZE: make the range read as zeros and free whole blocks.
 * Other modes: -EOPNOTSUPP. len 0: -EINVAL. */
int tfs_fallocate(struct tfs *fs, struct tfs_node *n, uint32_t mode, uint64_t off, uint64_t len);

#define TFS_SET_MODE (1u << 0)    /* permission bits only (07777) */
#define TFS_SET_UID (1u << 1)
#define TFS_SET_GID (1u << 2)
#define TFS_SET_ATIME (1u << 3)
#define TFS_SET_MTIME (1u << 4)
/* chmod/chown/utimens: changes the selected fields; ctime becomes now. */
int tfs_setattr(struct tfs *fs, struct tfs_node *n, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid,
                uint64_t atime_ns, uint64_t mtime_ns);

/* Durable on return: dirty data written, device flushed, pending log
 * records appended, device flushed. fsync/fdatasync sync the whole
 * filesystem (one log), which is what both need and no slower. */
int tfs_fsync(struct tfs *fs, struct tfs_node *n, bool datasync);
int tfs_sync(struct tfs *fs);

/* The page cache's memory: blocks held and how many of them are dirty. */
void tfs_cache_usage(struct tfs *fs, uint64_t *blocks, uint64_t *dirty);
/* Give memory back when the machine runs out: frees up to `want` cached
 * blocks that are clean, not mapped by a program and long unused; returns
 * how many. */
size_t tfs_reclaim(struct tfs *fs, size_t want);

/* lseek SEEK_DATA / SEEK_HOLE: the next data / hole offset at or after
 * off (EOF counts as a hole); -ENXIO at or past EOF, -EINVAL if not a file. */
int64_t tfs_seek_data(struct tfs *fs, struct tfs_node *n, uint64_t off);
int64_t tfs_seek_hole(struct tfs *fs, struct tfs_node *n, uint64_t off);

struct tfs_statfs {
    uint64_t block_size;     /* 4096 */
    uint64_t blocks;         /* all blocks in the filesystem */
    uint64_t free_blocks;    /* not in use */
    uint64_t avail_blocks;   /* usable for file data (free minus the log's reserve) */
    uint64_t files;          /* inodes in use */
    uint64_t free_files;     /* inode numbers are 64-bit: effectively unlimited */
    uint32_t name_max;       /* 255 */
    bool readonly;
    uint8_t uuid[16];
};
int tfs_statfs(struct tfs *fs, struct tfs_statfs *st);

/* Grow the filesystem to new_blocks (4 KiB blocks, at most the device
 * size, which the caller enlarged first); the new space becomes free. A
 * superblock rewrite makes it durable. -EINVAL if smaller, -ENOSPC if the
 * device is too small. */
int tfs_grow(struct tfs *fs, uint64_t new_blocks);
/* Shrink the filesystem to new_blocks (before the caller shrinks the
 * device): allowed when no block at or past new_blocks is in use, including
 * the log areas. A superblock rewrite makes it durable; the device may stay
 * larger. -EINVAL if larger, -ENOSPC if blocks past the end are in use. */
int tfs_shrink(struct tfs *fs, uint64_t new_blocks);
/* One past the highest block in use (writable mounts): the smallest
 * block count tfs_shrink accepts. */
uint64_t tfs_blocks_in_use_end(const struct tfs *fs);

/* Check a filesystem offline (the device is only read): everything mount
 * checks, plus no block used twice (extents, log, superblocks), nlink of
 * every inode matches its directory entries, no inode left unreachable.
 * Returns 0 when clean, -EINVAL when a problem was found (report lists
 * them, one per line, "tfs: ..." first), or the mount's error. */
int tfs_fsck(struct heap *h, struct blockdev *dev, char *report, size_t len);

/* Write an empty filesystem (a root directory and nothing else) over the
 * first `blocks` blocks of dev: for tests and tools. */
int tfs_mkfs(struct blockdev *dev, uint64_t blocks, uint64_t log_blocks, char *err, size_t errlen);
/* The same with the filesystem's uuid given (volumes get a random one, so the
 * kernel can tell them apart); tfs_mkfs derives it from the size. */
int tfs_mkfs_uuid(struct blockdev *dev, uint64_t blocks, uint64_t log_blocks, const uint8_t uuid[16], char *err,
                  size_t errlen);
