/* Shared by memfs's files: memfs.c (names, directories, attributes),
 * memfs_pages.c (a file's pages and their accounting), memfs_file.c (open
 * files). One lock guards all of it (memfs.lock, docs/locking.md): the tree,
 * every node's fields and its page tree. Nothing under it sleeps or
 * allocates: pages and nodes are allocated with it dropped, then the state
 * is looked at again. */
#pragma once
#include "memfs.h"
#include "../kernel/spinlock.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFLNK 0120000

/* Pages of a file: 512^4 of them (the page tree is at most four levels). */
#define MEMFS_MAX_SIZE (1ull << 48)
#define MEMFS_DEV 0x18   /* st_dev: a filesystem of its own, as tmpfs is */

struct mem_dirent {
    struct mem_dirent *next;    /* in creation order */
    struct mem_node *node;
    uint64_t serial;            /* readdir's position: increasing along the list */
    size_t len;
    char name[];                /* NUL-terminated */
};

/* Nodes are never given back to the heap: a dead one (no name, no hold)
 * goes on memfs.free_nodes for the next node made. A pointer the walker
 * got just before another CPU removed the node thus still points at a
 * node, and every use that could bring it back checks `live` under the
 * lock first (open, chdir, readlink). */
struct mem_node {
    bool live;
    struct mem_node *free_next;
    uint32_t mode, uid, gid;
    uint32_t nlink;             /* names; a directory: 2 + subdirectories, 0 once removed */
    uint32_t holds;             /* open files and memfs_node_get callers */
    uint64_t ino;
    uint64_t atime_ns, mtime_ns, ctime_ns;
    /* Regular files: the size and a radix tree of pages, 512 slots a level;
     * height 0 is a lone page (index 0). */
    uint64_t size;
    uint64_t root;              /* physical address, 0 = nothing yet */
    int height;
    uint64_t pages;             /* data pages held (st_blocks) */
    char *target;               /* symlinks: the target (size + 1 bytes) */
    /* Directories. */
    struct mem_node *parent;
    struct mem_dirent *entries, **tail;
    uint64_t next_serial;
};

struct memfs {
    struct spinlock lock;
    struct heap *heap;
    struct mem_node *root;
    uint64_t max_pages;         /* what all files and page tables may hold */
    uint64_t used_pages;        /* atomic: reserved outside the lock */
    uint64_t next_ino, files;
    struct mem_node *free_nodes;
};
extern struct memfs memfs;

/* memfs_pages.c. Under memfs.lock unless said. */
uint64_t memfs_page_at(struct mem_node *n, uint64_t idx);
/* The page at idx, made if missing (*made set); drops and retakes the lock
 * to allocate. n must be held. 0 or -ENOSPC / -ENOMEM. */
int memfs_page_make(struct mem_node *n, uint64_t idx, uint64_t *irq, uint64_t *pa, bool *made);
/* Give back every page at index `first` and above, and the tables emptied. */
void memfs_pages_drop(struct mem_node *n, uint64_t first);
/* The same for the pages with index in [first, end). */
void memfs_pages_drop_range(struct mem_node *n, uint64_t first, uint64_t end);
/* A node with no names and no holds: its pages and itself go. */
void memfs_node_free(struct mem_node *n);
/* Free n if nothing keeps it any more (no name, no hold). */
void memfs_maybe_free(struct mem_node *n);
uint64_t memfs_now(void);
/* A node with no name, held once for the caller (memfs_node_put). */
int memfs_node_unnamed(uint32_t mode, struct mem_node **out);
