#pragma once
#include "vfs.h"

/* A pipe: two files sharing a 64 KiB ring. */
int pipe_create(struct heap *h, struct file **read_end, struct file **write_end, uint32_t flags);
