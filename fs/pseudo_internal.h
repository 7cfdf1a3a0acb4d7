/* Shared by the pseudo file trees (fs/pseudo*.c): the node type, the text
 * builder that generated files write into, and the three roots. */
#pragma once
#include "pseudo.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define S_IFCHR 0020000

enum pseudo_kind { PSEUDO_DIR, PSEUDO_FILE, PSEUDO_LINK, PSEUDO_CHR };

/* A growing text buffer. Generators append; failure to grow is sticky and
 * reported once at the end, so generators need no error paths. */
struct pseudo_text {
    struct heap *heap;
    char *buf;
    size_t len, cap;
    bool failed;
};
void text_printf(struct pseudo_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_append(struct pseudo_text *t, const char *s, size_t n);

struct pseudo_node {
    const char *name;
    uint8_t kind;           /* enum pseudo_kind */
    uint16_t perm;          /* permission bits; 0 = the kind's default */
    uint32_t rdev;          /* PSEUDO_CHR: (major << 8) | minor */
    int index;              /* which fd / CPU a generated node stands for */
    /* PSEUDO_DIR: fixed children (NULL-terminated), then generated ones. */
    struct pseudo_node *const *children;
    int (*next_child)(struct pseudo_node *dir, uint64_t *cookie, struct pseudo_node **out);
    /* PSEUDO_FILE: the whole text, made at open. */
    void (*generate)(struct pseudo_node *n, struct pseudo_text *t);
    /* PSEUDO_FILE instead of generate: contents made at each read, for
     * binary files too large to snapshot (pagemap). */
    int64_t (*read_at)(struct pseudo_node *n, void *buf, size_t len, uint64_t off);
    /* PSEUDO_FILE: optional; without it opening for writing is -EACCES. */
    int64_t (*write)(struct pseudo_node *n, const char *buf, size_t len);
    /* PSEUDO_LINK: the target, either a string that outlives the call or one
     * formatted into scratch (PSEUDO_SCRATCH bytes). */
    const char *(*target)(struct pseudo_node *n, char *scratch);
    /* PSEUDO_CHR: the open file's ops, or open_dev for devices another file owns. */
    const struct file_ops *dev_ops;
    struct file *(*open_dev)(struct heap *h, uint32_t flags);
    /* Filled by pseudo_tree_init / the generating directory. */
    struct pseudo_node *parent;
    uint64_t ino, dev;
    char own_name[12];      /* name storage for generated nodes */
};

#define PSEUDO_SCRATCH 64

/* What an open pseudo file keeps in file->priv. */
struct pseudo_open {
    struct pseudo_node *node;
    size_t len;             /* bytes of generated text in data */
    char data[];
};

/* Give a generated child its identity under dir (name from own_name). */
void pseudo_adopt(struct pseudo_node *dir, struct pseudo_node *child, uint64_t id);
/* fstat for every open pseudo file. */
int pseudo_file_stat(struct file *f, struct linux_stat *st);
int64_t pseudo_no_ioctl(struct file *f, uint64_t cmd, uint64_t arg);

extern struct pseudo_node pseudo_dev_root, pseudo_proc_root, pseudo_sys_root;
extern struct pseudo_node pseudo_proc_pid_dir;   /* /proc/1 */
extern struct pseudo_node pseudo_pagemap;        /* /proc/1/pagemap (fs/pseudo_pagemap.c) */
extern struct pseudo_node pseudo_proc_task_dir;  /* /proc/1/task (fs/pseudo_proc_task.c) */
/* A thread's files under /proc/1/task/TID (node->index is the TID), made
 * by fs/pseudo_proc_pid.c like the process's own. */
void pseudo_gen_task_stat(struct pseudo_node *n, struct pseudo_text *t);
void pseudo_gen_task_status(struct pseudo_node *n, struct pseudo_text *t);
void pseudo_gen_task_comm(struct pseudo_node *n, struct pseudo_text *t);
int64_t pseudo_write_task_comm(struct pseudo_node *n, const char *buf, size_t len);
/* /proc/thread-self's target (fs/pseudo_proc_task.c). */
const char *pseudo_thread_self(struct pseudo_node *n, char *scratch);

/* /proc/cpuinfo (fs/pseudo_cpuinfo.c). */
void pseudo_gen_cpuinfo(struct pseudo_node *n, struct pseudo_text *t);
/* Resident user pages of the process, from its page table, and how many of
 * them are shared with the page cache (file pages; may be NULL). */
uint64_t pseudo_resident_pages(uint64_t *file);
/* Ticks (1/100 s) since boot, the unit of /proc/stat and /proc/self/stat. */
#define PSEUDO_HZ 100
