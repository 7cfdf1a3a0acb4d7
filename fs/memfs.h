/* memfs: files kept only in memory, mounted at /dev/shm (tmpfs semantics),
 * and the files behind memfd_create. shm_open and sem_open make their files
 * here and map them MAP_SHARED: a file's pages are the only copy of its
 * data, and every mapping of a page maps that page itself (lend_page), so
 * two mappings of one file, at any addresses, see each other's writes.
 *
 * Pages are taken from the machine when written and counted against one
 * limit for the whole filesystem (half of RAM, tmpfs's default): a write or
 * a mapping's first store past it gets ENOSPC (SIGBUS in a mapping), never
 * the kernel's last page. Reading a hole costs nothing.
 *
 * Like the pseudo trees, memfs only answers for one name in one directory;
 * fs/walk.c walks paths into it through its mount point. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "vfs.h"

struct mem_node;

/* The root of the memfs mounted exactly at abs ("/dev/shm"), or NULL. */
struct mem_node *memfs_mount_root(const char *abs);
/* One name in directory dir ("." and ".." are the walker's): -ENOENT, -ENOTDIR. */
int memfs_lookup(struct mem_node *dir, const char *name, size_t len, struct mem_node **out);
/* n's directory, or NULL for the root (and for files, which need none). */
struct mem_node *memfs_parent(struct mem_node *n);
uint32_t memfs_mode(struct mem_node *n);
void memfs_stat(struct mem_node *n, struct linux_stat *st);
/* Keep n alive while something outside memfs points at it (the working
 * directory); memfs_node_put lets it go. False (and nothing kept) if n was
 * removed since the walk that found it. */
bool memfs_node_get(struct mem_node *n);
void memfs_node_put(struct mem_node *n);

/* Names, with Linux's errors in Linux's order (EEXIST, ENOENT, ENOTDIR,
 * EISDIR, ENOTEMPTY, EPERM for a hard link to a directory, EINVAL for a
 * directory moved under itself); test/run-tests' shm_random checks them
 * against the host. Creating in a removed directory is -ENOENT. */
int memfs_create(struct mem_node *dir, const char *name, size_t len, uint32_t mode, struct mem_node **out);
int memfs_mkdir(struct mem_node *dir, const char *name, size_t len, uint32_t mode);
int memfs_unlink(struct mem_node *dir, const char *name, size_t len);
int memfs_rmdir(struct mem_node *dir, const char *name, size_t len);
int memfs_link(struct mem_node *src, struct mem_node *dir, const char *name, size_t len);
/* A socket node (S_IFSOCK): a bound AF_UNIX path. */
int memfs_mksock(struct mem_node *dir, const char *name, size_t len, uint32_t mode);
int memfs_symlink(struct mem_node *dir, const char *name, size_t len, const char *target);
/* Bytes of a symlink's target copied (no NUL), or -EINVAL if n is not one. */
long memfs_readlink(struct mem_node *n, char *buf, size_t len);
#define MEMFS_RENAME_NOREPLACE 1u
#define MEMFS_RENAME_EXCHANGE 2u
int memfs_rename(struct mem_node *odir, const char *oname, size_t olen, struct mem_node *ndir, const char *nname,
                 size_t nlen, unsigned flags);
/* Attributes: which of them by the TFS_SET_* bits (fs/tfs.h), times in ns. */
int memfs_setattr(struct mem_node *n, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t atime_ns,
                  uint64_t mtime_ns);
/* Set a regular file's size; what mappings had past the new end goes. -EFBIG. */
int memfs_truncate(struct mem_node *n, uint64_t size);
/* fallocate as tmpfs takes it: 0 and KEEP_SIZE give [off, off+len) its
 * pages (ENOSPC past the limit; the pages made stay), PUNCH_HOLE|KEEP_SIZE
 * gives them back (mappings see zeros there again); other modes
 * -EOPNOTSUPP. Mode bits are Linux's FALLOC_FL_*. */
int memfs_fallocate(struct mem_node *n, uint32_t mode, uint64_t off, uint64_t len);

/* Open n (a regular file or directory); NULL with *err. */
struct file *memfs_open(struct heap *h, struct mem_node *n, uint32_t flags, int *err);
/* A file with no name (memfd_create, O_TMPFILE): gone at its last close. */
struct file *memfs_open_unnamed(struct heap *h, uint32_t mode, uint32_t flags, int *err);
/* The node an open memfs file is on, or NULL if f is not one. */
struct mem_node *memfs_file_node(struct file *f);

struct memfs_usage {
    uint64_t max_pages, used_pages, files;
};
void memfs_usage(struct memfs_usage *u);
#define TMPFS_MAGIC 0x01021994
