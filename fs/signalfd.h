#pragma once
#include "vfs.h"

#define SFD_NONBLOCK O_NONBLOCK
#define SFD_CLOEXEC O_CLOEXEC

/* A signalfd (Linux's signalfd(2)): reading takes the reading thread's
 * pending signals in mask, as struct signalfd_siginfo records. */
struct file *signalfd_create(struct heap *h, uint64_t mask, int flags);
bool file_is_signalfd(const struct file *f);
/* A new mask for an existing signalfd; pollers look again. */
void signalfd_set_mask(struct file *f, uint64_t mask);
