#pragma once
#include "vfs.h"

#define EPOLLIN POLLIN
#define EPOLLOUT POLLOUT
#define EPOLLERR POLLERR
#define EPOLLHUP POLLHUP
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

/* Linux's struct epoll_event on x86_64: packed, 12 bytes. */
struct epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

struct file *epoll_create(struct heap *h);
bool file_is_epoll(const struct file *f);
/* f's last reference is going: it leaves every epoll watching it. */
void epoll_file_closing(struct file *f);
/* EPOLL_CTL_* for (fd, target) in ep; the syscall checked the arguments
 * Linux checks first. ev is NULL for DEL. */
int epoll_control(struct file *ep, int op, int fd, struct file *target, const struct epoll_event *ev);
/* Up to max ready events into out (kernel memory); waits until deadline_ns
 * (POLL_NO_WAIT: not at all) when none is ready. Returns the count. */
long epoll_collect(struct file *ep, struct epoll_event *out, int max, uint64_t deadline_ns);
