/* Inode numbers for objects that live in no filesystem (pipes, sockets,
 * epoll, eventfd, signalfd and timerfd files): stable for the object's
 * life and distinct between objects, as fstat and /proc/self/fd show them,
 * without telling the program where the object sits in kernel memory (the
 * pointer itself would give away the heap's layout). */
#pragma once
#include "../klib/types.h"

uint64_t anon_ino(const void *object);
