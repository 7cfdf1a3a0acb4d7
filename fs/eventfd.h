#pragma once
#include "vfs.h"

#define EFD_SEMAPHORE 1
#define EFD_NONBLOCK O_NONBLOCK
#define EFD_CLOEXEC O_CLOEXEC

/* An eventfd: a 64-bit counter that write adds to and read takes. */
struct file *eventfd_create(struct heap *h, uint64_t initval, int flags);
