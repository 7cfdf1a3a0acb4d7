/* In-memory TFS structures shared by fs/tfs_*.c. Not for use elsewhere.
 *
 * Who does what:
 *   tfs_mount.c   superblock choice, log replay, tree checks, mount/unmount
 *   tfs_reader.c  lookups, path walking, readdir, stat
 *   tfs_extent.c  a file's sorted extent array: map, insert, punch
 *   tfs_alloc.c   the free-block bitmap and blocks waiting to become free
 *   tfs_cache.c   the write-back block cache (file data)
 *   tfs_log.c     the pending transaction, commit, compaction, superblocks
 *   tfs_data.c    read/write/truncate/fallocate/seek on file contents
 *   tfs_namei.c   create/mkdir/symlink/link/unlink/rmdir/rename/setattr
 *   tfs_fsck.c    offline consistency check, statfs, grow, shrink, mkfs */
#pragma once
#include "tfs.h"
#include "tfs_format.h"
#include "tfs_guard.h"

struct tfs_extent {
    uint64_t file_block;
    uint64_t disk_block;
    uint64_t count;
};

struct tfs_dent {
    struct tfs_dent *hash_next;
    struct tfs_node *child;
    uint64_t hash;
    uint32_t index;   /* position in the directory's creation-order array */
    uint16_t namelen;
    char name[];      /* NUL-terminated for readdir's convenience */
};

struct tfs_node {
    struct tfs_node *hash_next;   /* chain in the inode table */
    uint64_t ino;
    uint32_t mode, nlink, uid, gid;
    uint64_t size, atime_ns, mtime_ns, ctime_ns;

    /* Directories: a chained hash table for lookup plus an array in creation
     * order so readdir cookies are plain indexes. Deleted entries leave a
     * NULL in the array so cookies stay valid. */
    struct tfs_node *parent;
    struct tfs_dent **buckets;
    uint32_t nbuckets, nentries;   /* nentries: used slots of `order` */
    struct tfs_dent **order;
    uint32_t order_cap;
    uint32_t nlive;                /* live entries */
    bool loop_checked;

    /* Regular files: extents sorted by file_block, never overlapping. */
    struct tfs_extent *extents;
    uint32_t nextents, extents_cap;
    uint64_t allocated_blocks;

    /* Symlinks. */
    char *target;
    uint32_t target_len;

    /* Writable mounts. */
    uint32_t refs;                 /* tfs_node_get references (open files, cwd) */
    uint32_t names;                /* directory entries naming this node */
    bool dead;                     /* freed in the log; lives on while referenced */
    bool dirty;                    /* an INODE record is due at the next commit */
    struct tfs_node *dirty_next;
    struct tfs_node *dead_next;
};

struct tfs_cache;

/* A range of disk blocks. */
struct tfs_range {
    uint64_t start, count;
};

struct tfs {
    tfs_guard_t guard;      /* held through every public call (fs/tfs_api.c) */
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

    /* ---- mount state ---- */
    bool writable;
    bool broken;           /* a device write failed: refuse further changes (-EIO) */
    uint64_t (*clock_ns)(void *ctx);
    void *clock_ctx;
    void (*holes_filled)(const struct tfs_node *n, uint64_t first, uint64_t count);
    struct tfs_cache *cache;
    uint64_t next_ino;
    struct tfs_node *dead_list;

    /* ---- the log as it is on disk ---- */
    uint64_t generation;
    uint64_t log_start, log_blocks;   /* the live log area */
    uint64_t log_used;                /* bytes of records in the area (8-aligned) */
    uint64_t log_records;             /* records in the area */
    uint64_t first_seq, next_seq;
    uint8_t tail_sector[512];         /* the sector holding byte log_used, as on disk */
    uint64_t spare_start, spare_blocks;   /* reserved target for the next compaction */

    /* ---- the pending transaction (not yet in the log) ---- */
    uint8_t *pend;
    size_t pend_len, pend_cap;
    size_t pend_last;                 /* offset of the last sub-record, for merging extents */
    bool pend_has_last;
    uint32_t ndirty;
    struct tfs_node *dirty_list;

    /* ---- free space ---- */
    uint64_t *bitmap;                 /* bit set = block in use */
    uint64_t bitmap_words;
    uint64_t free_blocks;
    uint64_t alloc_cursor;
    struct tfs_range *pfree;          /* freed by the pending transaction */
    size_t npfree, pfree_cap;
};

/* ---- tables (tfs_mount.c) ---- */
uint64_t tfs_hash_name(const char *name, size_t len);
struct tfs_node *tfs_inode_find(struct tfs *fs, uint64_t ino);
int tfs_inode_insert(struct tfs *fs, struct tfs_node *node);
void tfs_inode_remove(struct tfs *fs, struct tfs_node *node);
struct tfs_dent *tfs_dir_find(struct tfs_node *dir, const char *name, size_t len);
/* Add name -> child to dir (no checks); -ENOMEM. */
int tfs_dir_add(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len, struct tfs_node *child);
/* Remove an entry found with tfs_dir_find and free it. */
void tfs_dir_remove(struct tfs *fs, struct tfs_node *dir, struct tfs_dent *d);
void tfs_node_free(struct heap *h, struct tfs_node *n);
const char *tfs_bad_name(const uint8_t *name, size_t len);

static inline bool tfs_is_dir(const struct tfs_node *n) { return (n->mode & TFS_S_IFMT) == TFS_S_IFDIR; }
static inline bool tfs_is_reg(const struct tfs_node *n) { return (n->mode & TFS_S_IFMT) == TFS_S_IFREG; }
static inline bool tfs_is_lnk(const struct tfs_node *n) { return (n->mode & TFS_S_IFMT) == TFS_S_IFLNK; }

/* ---- extents (tfs_extent.c) ---- */
/* Index of the last extent starting at or before fb, or -1. */
int64_t tfs_extent_find(const struct tfs_node *n, uint64_t fb);
/* Disk block holding file block fb, 0 for a hole; *run = blocks that follow
 * in the same state (mapped contiguously on disk, or hole), capped at max. */
uint64_t tfs_extent_map(const struct tfs_node *n, uint64_t fb, uint64_t max, uint64_t *run);
/* Unmap [fb, fb+count). Each disk range that stops being used is passed to
 * freed(ctx, range) (may be NULL). -ENOMEM if an extent had to be split. */
int tfs_extent_punch(struct heap *h, struct tfs_node *n, uint64_t fb, uint64_t count,
                     void (*freed)(void *ctx, uint64_t disk, uint64_t count), void *ctx);
/* Map [fb, fb+count) to disk blocks from db; the range must be unmapped. */
int tfs_extent_insert(struct heap *h, struct tfs_node *n, uint64_t fb, uint64_t db, uint64_t count);

/* ---- free space (tfs_alloc.c) ---- */
/* Build the bitmap from the superblocks, the log, the spare area and all
 * extents; fails with a message if a block is claimed twice. */
int tfs_alloc_init(struct tfs *fs, char *err, size_t errlen);
bool tfs_block_used(const struct tfs *fs, uint64_t b);
void tfs_mark_used(struct tfs *fs, uint64_t start, uint64_t count);
void tfs_mark_free(struct tfs *fs, uint64_t start, uint64_t count);
/* Up to `want` contiguous free blocks, preferably at `goal`; returns the
 * first block and sets *got, or 0 when nothing is free. Data allocations
 * leave tfs_meta_reserve() blocks for the log. */
uint64_t tfs_alloc(struct tfs *fs, uint64_t goal, uint64_t want, uint64_t *got, bool data);
/* `count` contiguous free blocks or 0. */
uint64_t tfs_alloc_exact(struct tfs *fs, uint64_t count);
uint64_t tfs_meta_reserve(const struct tfs *fs);
/* Blocks freed by a change become reusable once the change is durable. */
int tfs_free_later(struct tfs *fs, uint64_t start, uint64_t count);
void tfs_release_frees(struct tfs *fs);
/* Callback form of tfs_free_later for tfs_extent_punch (also drops cached copies). */
void tfs_freed_cb(void *fs, uint64_t disk, uint64_t count);

/* ---- block cache (tfs_cache.c) ---- */
int tfs_cache_create(struct heap *h, struct blockdev *dev, uint32_t max_blocks, struct tfs_cache **out);
void tfs_cache_destroy(struct tfs_cache *c);
/* The cached copy of `block`: read from disk if `fill`, else zeroed. Valid
 * until the next cache call. */
int tfs_cache_get(struct tfs_cache *c, uint64_t block, bool fill, uint8_t **out);
/* As tfs_cache_get with fill, for sharing with a program's mapping: the
 * memory stays valid for the borrower (see tfs_cache.c). */
/* lent_in_use(data) tells whether lent memory is still mapped somewhere;
 * such blocks are not evicted. */
void tfs_cache_watch_lent(struct tfs_cache *c, bool (*lent_in_use)(const void *data));
int tfs_cache_lend(struct tfs_cache *c, uint64_t block, uint8_t **out);
void tfs_cache_dirty(struct tfs_cache *c, uint64_t block);
bool tfs_cache_has(struct tfs_cache *c, uint64_t block);
/* The cached data of `block` moved to the front of the LRU list, or NULL:
 * the one cache call made with the volume's guard held only shared. */
uint8_t *tfs_cache_peek(struct tfs_cache *c, uint64_t block);
void tfs_cache_drop(struct tfs_cache *c, uint64_t start, uint64_t count);
/* Write every dirty block (sorted, merged into large requests). */
int tfs_cache_writeback(struct tfs_cache *c);
/* A read missed `block`, followed on disk by `avail` blocks of the same file
 * (itself included): read a window of them into the cache, several requests
 * at once; longer when the miss continues the previous window. Blocks
 * already cached are left alone. 0 or a negative errno. */
int tfs_cache_readahead(struct tfs_cache *c, uint64_t block, uint64_t avail);
void tfs_cache_stats(struct tfs_cache *c, uint32_t *blocks, uint32_t *dirty);
/* Give up to `want` clean, unmapped, long-unused blocks' memory back (the
 * kernel asks when memory runs out); returns how many were freed. */
size_t tfs_cache_shrink(struct tfs_cache *c, size_t want);

/* ---- log (tfs_log.c) ---- */
#define TFS_SUB_INODE_BYTES (TFS_SUB_HEADER_SIZE + TFS_INODE_LEN)
#define TFS_SUB_EXTENT_BYTES (TFS_SUB_HEADER_SIZE + TFS_EXTENT_LEN)
/* Make room for `bytes` more of sub-records (plus the INODE records of up
 * to 4 nodes the change dirties); may commit or compact first. */
int tfs_log_reserve(struct tfs *fs, size_t bytes);
void tfs_log_add(struct tfs *fs, uint16_t type, const void *payload, uint32_t len);
void tfs_log_add2(struct tfs *fs, uint16_t type, const void *a, uint32_t alen, const void *b, uint32_t blen);
void tfs_log_extent(struct tfs *fs, uint64_t ino, uint64_t fb, uint64_t db, uint64_t count);
void tfs_log_inode_now(struct tfs *fs, struct tfs_node *n);
void tfs_mark_dirty(struct tfs *fs, struct tfs_node *n);
void tfs_undirty(struct tfs *fs, struct tfs_node *n);
/* Data, then the pending records, each followed by a device flush. */
int tfs_commit(struct tfs *fs);
int tfs_device_flush(struct tfs *fs);
/* After replay on a writable mount: zero a torn tail, load tail_sector. */
int tfs_log_open(struct tfs *fs, char *err, size_t errlen);
void tfs_encode_inode(const struct tfs_node *n, uint8_t *p);
int tfs_write_supers(struct tfs *fs);
uint64_t tfs_now(struct tfs *fs);
/* Mark the filesystem broken after a device error and pass the error on. */
int tfs_fail(struct tfs *fs, int rc);

/* config_mem holds argv, envp and mounts pointer arrays (each NULL
 * terminated), then the strings: the pointer part's size. */
static inline size_t tfs_config_pointer_bytes(uint32_t argc, uint32_t envc, uint32_t mountc)
{
    return (size_t)(argc + 1 + envc + 1 + 2 * mountc + 1) * sizeof(char *);
}

/* The public calls of fs/tfs.h, called with the volume guard held: fs/tfs_api.c
 * takes it around each; TFS code calling another entry point calls these. */
int tfs_lookup_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen,
               struct tfs_node **out);
int tfs_resolve_locked(struct tfs *fs, struct tfs_node *cwd, const char *path, bool follow_last,
                struct tfs_node **out);
/* Read what the cache holds of [off, off+len), stopping at the first block
 * it lacks: the bytes read, or -errno. With the guard held shared. */
int64_t tfs_read_cached(struct tfs *fs, struct tfs_node *n, uint64_t off, void *buf, size_t len);
int64_t tfs_read_locked(struct tfs *fs, struct tfs_node *n, uint64_t off, void *buf, size_t len);
int tfs_lend_page_locked(struct tfs *fs, struct tfs_node *n, uint64_t fb, bool fill, void **page);
int tfs_page_written_locked(struct tfs *fs, struct tfs_node *n, uint64_t fb);
bool tfs_page_cached_locked(struct tfs *fs, struct tfs_node *n, uint64_t fb);
int tfs_readdir_locked(struct tfs *fs, struct tfs_node *dir, uint64_t *cookie, struct tfs_dirent *out);
void tfs_node_put_locked(struct tfs *fs, struct tfs_node *n);
int tfs_create_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode,
               uint32_t uid, uint32_t gid, struct tfs_node **out);
int tfs_mksock_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode,
                      uint32_t uid, uint32_t gid, struct tfs_node **out);
int tfs_mkdir_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode,
              uint32_t uid, uint32_t gid, struct tfs_node **out);
int tfs_symlink_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, const char *target,
                size_t targetlen, uint32_t uid, uint32_t gid, struct tfs_node **out);
int tfs_link_locked(struct tfs *fs, struct tfs_node *node, struct tfs_node *dir, const char *name, size_t namelen);
int tfs_unlink_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen);
int tfs_rmdir_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen);
int tfs_rename_locked(struct tfs *fs, struct tfs_node *olddir, const char *oldname, size_t oldlen, struct tfs_node *newdir,
               const char *newname, size_t newlen, unsigned flags);
int64_t tfs_write_locked(struct tfs *fs, struct tfs_node *n, uint64_t off, const void *buf, size_t len);
int tfs_truncate_locked(struct tfs *fs, struct tfs_node *n, uint64_t size);
int tfs_fallocate_locked(struct tfs *fs, struct tfs_node *n, uint32_t mode, uint64_t off, uint64_t len);
int tfs_setattr_locked(struct tfs *fs, struct tfs_node *n, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid,
                uint64_t atime_ns, uint64_t mtime_ns);
int tfs_fsync_locked(struct tfs *fs, struct tfs_node *n, bool datasync);
int tfs_sync_locked(struct tfs *fs);
void tfs_cache_usage_locked(struct tfs *fs, uint64_t *blocks, uint64_t *dirty);
size_t tfs_reclaim_locked(struct tfs *fs, size_t want);
int64_t tfs_seek_data_locked(struct tfs *fs, struct tfs_node *n, uint64_t off);
int64_t tfs_seek_hole_locked(struct tfs *fs, struct tfs_node *n, uint64_t off);
int tfs_statfs_locked(struct tfs *fs, struct tfs_statfs *st);
int tfs_grow_locked(struct tfs *fs, uint64_t new_blocks);
int tfs_shrink_locked(struct tfs *fs, uint64_t new_blocks);
