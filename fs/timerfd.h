#pragma once
#include "vfs.h"

#define TFD_NONBLOCK O_NONBLOCK
#define TFD_CLOEXEC O_CLOEXEC
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2

/* Linux's struct itimerspec, in nanoseconds. */
struct timerfd_spec {
    uint64_t interval_ns;
    uint64_t value_ns;     /* time left until the next expiration; 0 disarmed */
};

/* A timerfd on clock (0 realtime, 1 monotonic, 7 boottime): read returns
 * how many times it expired since the last read. */
struct file *timerfd_create(struct heap *h, int clock, int flags);
/* Arm (value_ns non-zero; absolute on the file's clock with
 * TFD_TIMER_ABSTIME) or disarm; *old gets the previous setting. -EINVAL
 * when f is no timerfd. */
long timerfd_set(struct file *f, int flags, const struct timerfd_spec *spec, struct timerfd_spec *old);
long timerfd_get(struct file *f, struct timerfd_spec *cur);
