/* In-memory TFS structures shared by the mount code (tfs_mount.c) and the
 * query code (tfs_reader.c). Not for use outside fs/tfs_*.c. */
#pragma once
#include "tfs.h"
#include "tfs_format.h"

struct tfs_extent {
    uint64_t file_block;
    uint64_t disk_block;
    uint64_t count;
};

struct tfs_dent {
    struct tfs_dent *hash_next;
    struct tfs_node *child;
    uint64_t hash;
    uint16_t namelen;
    char name[];   /* NUL-terminated for readdir's convenience */
};

struct tfs_node {
    struct tfs_node *hash_next;   /* chain in the inode table */
    uint64_t ino;
    uint32_t mode, nlink, uid, gid;
    uint64_t size, atime_ns, mtime_ns, ctime_ns;

    /* Directories: a chained hash table for lookup plus an array in creation
     * order so readdir cookies are plain indexes. */
    struct tfs_node *parent;
    struct tfs_dent **buckets;
    uint32_t nbuckets, nentries;
    struct tfs_dent **order;
    uint32_t order_cap;
    bool loop_checked;

    /* Regular files: extents sorted by file_block, never overlapping. */
    struct tfs_extent *extents;
    uint32_t nextents, extents_cap;
    uint64_t allocated_blocks;

    /* Symlinks. */
    char *target;
    uint32_t target_len;
};

struct tfs {
    struct heap *heap;
    struct blockdev *dev;
    uint64_t block_count, data_start, root_ino;
    uint8_t uuid[16];

    struct tfs_node **itab;
    uint64_t itab_size, inode_count;
    struct tfs_node *root;

    bool has_config;
    struct tfs_config config;
    void *config_mem;
    size_t config_mem_len;

    uint8_t sector[512];   /* bounce buffer for unaligned data reads */
};

uint64_t tfs_hash_name(const char *name, size_t len);
struct tfs_node *tfs_inode_find(struct tfs *fs, uint64_t ino);
struct tfs_dent *tfs_dir_find(struct tfs_node *dir, const char *name, size_t len);
static inline bool tfs_is_dir(const struct tfs_node *n) { return (n->mode & TFS_S_IFMT) == TFS_S_IFDIR; }
static inline bool tfs_is_reg(const struct tfs_node *n) { return (n->mode & TFS_S_IFMT) == TFS_S_IFREG; }
static inline bool tfs_is_lnk(const struct tfs_node *n) { return (n->mode & TFS_S_IFMT) == TFS_S_IFLNK; }
