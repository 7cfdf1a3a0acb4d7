/* Synthetic files under /dev, /proc and /sys: what Linux programs and
 * runtimes read to learn about the machine. Generated on open from the
 * kernel's own state (the process, its memory, the CPUs, the clock). */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "vfs.h"

struct pseudo_node;

#define PSEUDO_NOT_MINE 1

/* path must be absolute and canonical (no ".", "..", "//"; "/proc/self" may
 * appear as is). Returns 0 and *out, -ENOENT (or -ENOTDIR) for a missing
 * path under one of the pseudo roots, or PSEUDO_NOT_MINE for any other path
 * (then the caller looks in TFS). A final symlink is NOT followed: the
 * caller calls pseudo_readlink and resolves the target itself. */
int pseudo_lookup(const char *path, struct pseudo_node **out);
void pseudo_stat(struct pseudo_node *n, struct linux_stat *st);
uint32_t pseudo_mode(struct pseudo_node *n);
/* Bytes copied (no NUL), or -EINVAL if n is not a symlink. */
int pseudo_readlink(struct pseudo_node *n, char *buf, size_t len);
/* Open n; returns the file or NULL with *err set (-ENOMEM, -EACCES, -EISDIR ...). */
struct file *pseudo_open(struct heap *h, struct pseudo_node *n, uint32_t flags, int *err);
