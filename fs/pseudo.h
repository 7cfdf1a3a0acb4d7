/* Synthetic files under /dev, /proc and /sys: what Linux programs and
 * runtimes read to learn about the machine. Generated on open from the
 * kernel's own state (the process, its memory, the CPUs, the clock). */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "vfs.h"

struct pseudo_node;

/* The root of the tree mounted at absolute path abs ("/dev", "/proc" or
 * "/sys"), or NULL: fs/walk.c enters the trees there as mounts of their own. */
struct pseudo_node *pseudo_mount_root(const char *abs);
/* One name in directory dir; "." and ".." are the walker's. -ENOENT, -ENOTDIR.
 * Symlinks are not followed: the walker reads them with pseudo_readlink. */
int pseudo_lookup(struct pseudo_node *dir, const char *name, size_t len, struct pseudo_node **out);
/* n's directory, or NULL for the root of its tree. */
struct pseudo_node *pseudo_parent(struct pseudo_node *n);
/* The node an open pseudo file (or O_PATH handle) is on, or NULL if f is none. */
struct pseudo_node *pseudo_file_node(struct file *f);
void pseudo_stat(struct pseudo_node *n, struct linux_stat *st);
uint32_t pseudo_mode(struct pseudo_node *n);
/* Bytes copied (no NUL), or -EINVAL if n is not a symlink. */
int pseudo_readlink(struct pseudo_node *n, char *buf, size_t len);
/* Open n; returns the file or NULL with *err set (-ENOMEM, -EACCES, -EISDIR ...). */
struct file *pseudo_open(struct heap *h, struct pseudo_node *n, uint32_t flags, int *err);
