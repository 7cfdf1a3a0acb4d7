/* Sockets: the generic layer every address family plugs into.
 *
 * A socket is an open file (struct file) whose ops are the socket file ops
 * (net/socket.c) and whose priv is a struct socket. Each family (AF_UNIX in
 * net/unix*.c, AF_NETLINK in net/netlink.c, AF_INET/AF_INET6 over lwIP)
 * registers a struct sock_family; its create makes the family's own object,
 * which embeds a struct socket first and names the per-type struct sock_ops.
 * syscalls/sys_socket.c does the user-memory side of every socket call
 * (addresses, msghdr, option buffers) and calls the ops with kernel copies.
 *
 * Shared rules, so no family repeats them:
 * - Blocking goes through socket_wait (kernel/wait.h underneath): one
 *   deadline per call from socket_deadline (O_NONBLOCK / MSG_DONTWAIT: no
 *   wait; SO_RCVTIMEO / SO_SNDTIMEO: their timeout), -EAGAIN when it may not
 *   wait or the timeout passes, -EINTR for a signal (SA_RESTART restarts it).
 * - Readiness: everything that may change what a socket's poll reports wakes
 *   sock->wq (or a queue the family's poll names with poll_wait), so poll,
 *   select and epoll work unchanged (fs/vfs.h's poll op).
 * - SO_ERROR: socket_set_error stores a pending error and wakes; the calls
 *   that report it take it with socket_take_error.
 * - EPIPE: socket_epipe raises SIGPIPE unless MSG_NOSIGNAL.
 * - Options at SOL_SOCKET go to the family's setsockopt/getsockopt first;
 *   -ENOPROTOOPT from it (or no op) lets the generic layer answer (SO_TYPE,
 *   SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_ERROR, SO_SNDBUF, SO_RCVBUF,
 *   SO_RCVTIMEO, SO_SNDTIMEO, SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER, ...),
 *   storing them in struct socket where families read them.
 *
 * Locks: sock->lock guards the generic fields below that change after
 * creation (error, shut, listening, the options); families guard their own
 * state with their own locks (docs/locking.md). */
#pragma once
#include "../fs/vfs.h"
#include "../kernel/wait.h"

/* Address families (Linux's numbers). */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define AF_MAX 46

/* Socket types, and the flags socket(2) and accept4(2) take beside them. */
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_RDM 4
#define SOCK_SEQPACKET 5
#define SOCK_DCCP 6
#define SOCK_PACKET 10
#define SOCK_MAX 11
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC

/* send/recv flags. */
#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_CONFIRM 0x800
#define MSG_ERRQUEUE 0x2000
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
/* sock->shut bits: this side may no longer receive / send. */
#define SOCK_SHUT_RD 1
#define SOCK_SHUT_WR 2

/* Option levels and SOL_SOCKET options (Linux x86_64). */
#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_NO_CHECK 11
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_BSDCOMPAT 14
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define SO_BINDTODEVICE 25
#define SO_TIMESTAMP_OLD 29
#define SO_ACCEPTCONN 30
#define SO_PEERSEC 31
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PASSSEC 34
#define SO_MARK 36
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SO_PEEK_OFF 42
#define SO_BUSY_POLL 46
#define SO_INCOMING_CPU 49
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67

/* Control messages at SOL_SOCKET. */
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2

/* The largest socket address (struct sockaddr_storage). */
#define SOCKADDR_MAX 128
struct sockaddr_k {
    uint16_t family;
    uint8_t data[SOCKADDR_MAX - 2];
};

struct ucred_k {
    int32_t pid;
    uint32_t uid, gid;
};

/* A family's ioctl op answers this for a command it does not know: the
 * generic layer then tries the interface ioctls (Linux's own value). */
#define ENOIOCTLCMD 515
#ifndef ESOCKTNOSUPPORT
#define ESOCKTNOSUPPORT 94
#endif

/* ---- messages: user data, the peer's name and control data ----
 *
 * A struct sock_msg is a send or receive in the kernel's hands: the data
 * vector (user iovecs, or kernel memory for sendfile and kernel senders)
 * with a cursor, the name, and the control data. Families move bytes with
 * sock_msg_copy_in / sock_msg_copy_out (never under a spinlock: user memory
 * may fault), walk a send's control messages with sock_msg_next_cmsg, and
 * add a receive's with sock_msg_put_cmsg. */
struct sock_iov {
    uint64_t base, len;     /* the user's struct iovec */
};

struct sock_cmsg {
    int level, type;
    const void *data;
    size_t len;             /* of data */
};

struct sock_msg {
    const struct sock_iov *iov;
    int iovcnt;
    bool kernel_data;       /* iov bases are kernel addresses */
    size_t len;             /* bytes the vector holds in all */
    int cur;                /* cursor: entry and offset in it */
    uint64_t cur_off;
    size_t done;            /* bytes moved so far */
    /* send: the destination if given (namelen 0: none); recv: the family
     * fills in the source and its length (0: the family has none). */
    struct sockaddr_k name;
    uint32_t namelen;
    /* send: a kernel copy of the control buffer. */
    const void *control;
    size_t controllen;
    /* recv: where control messages go in user memory, and how much is used. */
    uint64_t ucontrol;
    size_t ucontrol_cap, ucontrol_used;
    int flags;              /* MSG_* the caller passed */
    int out_flags;          /* recv: msg_flags to report (MSG_TRUNC, MSG_CTRUNC, MSG_EOR) */
};

/* Bytes the vector still holds past the cursor. */
static inline size_t sock_msg_left(const struct sock_msg *m) { return m->len - m->done; }
/* Copy n bytes from the vector at the cursor into dst and advance: n, or
 * -EFAULT (nothing advanced past the bad byte's entry). */
long sock_msg_copy_in(struct sock_msg *m, void *dst, size_t n);
/* Copy n bytes from src into the vector at the cursor and advance. */
long sock_msg_copy_out(struct sock_msg *m, const void *src, size_t n);
/* The next control message of a send after *pos (start at 0): 1 and *out,
 * 0 at the end, -EINVAL for a malformed one (Linux's CMSG rules). */
int sock_msg_next_cmsg(const struct sock_msg *m, size_t *pos, struct sock_cmsg *out);
/* Append a control message to a receive. If it does not fit, MSG_CTRUNC is
 * set and as much as fits is written (as Linux's put_cmsg). Returns the
 * bytes of data that fit, or -EFAULT. */
long sock_msg_put_cmsg(struct sock_msg *m, int level, int type, const void *data, size_t len);
/* SCM_RIGHTS on a receive: install as many of the n files as the control
 * buffer has room for as new descriptors (MSG_CMSG_CLOEXEC: close-on-exec)
 * and add their message; MSG_CTRUNC if not all fit. The caller still owns
 * its references to every file (those installed took their own). */
void sock_msg_put_rights(struct sock_msg *m, struct file *const *files, int n);

/* ---- a socket ---- */

struct socket;
struct sock_family;

struct sock_ops {
    int (*bind)(struct socket *s, const struct sockaddr_k *addr, uint32_t len);
    int (*listen)(struct socket *s, int backlog);
    /* A connection taken from the queue (new socket with one reference, for
     * the caller's file) or -EAGAIN/-EINTR/... nonblock: O_NONBLOCK. */
    int (*accept)(struct socket *s, struct socket **out, bool nonblock);
    int (*connect)(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock);
    /* Bytes sent or a negative errno; m->flags has MSG_DONTWAIT set when
     * the file is O_NONBLOCK. */
    long (*sendmsg)(struct socket *s, struct sock_msg *m);
    long (*recvmsg)(struct socket *s, struct sock_msg *m);
    int (*shutdown)(struct socket *s, int how);
    int (*setsockopt)(struct socket *s, int level, int name, const void *val, uint32_t len);
    /* *len in: the caller's buffer size (>= 0); out: the bytes to copy back. */
    int (*getsockopt)(struct socket *s, int level, int name, void *val, uint32_t *len);
    int (*getname)(struct socket *s, struct sockaddr_k *addr, uint32_t *len, bool peer);
    long (*ioctl)(struct socket *s, uint64_t cmd, uint64_t arg);
    uint32_t (*poll)(struct socket *s, struct poll_table *pt);
    /* The file closed (its last reference): disconnect, wake peers. The
     * socket may live on while others hold references. */
    void (*release)(struct socket *s);
    /* The last reference went: free the family's object. */
    void (*destroy)(struct socket *s);
};

struct socket {
    const struct sock_ops *ops;
    const struct sock_family *fam;
    struct heap *heap;
    uint32_t refs;
    int family, type, protocol;
    struct file *file;          /* its open file (not referenced; NULL once closed) */
    struct spinlock lock;
    struct wait_queue wq;       /* woken whenever its readiness may change */
    int error;                  /* pending SO_ERROR (positive errno) */
    uint8_t shut;               /* SOCK_SHUT_* */
    bool listening;             /* SO_ACCEPTCONN */
    bool passcred, reuseaddr, reuseport, keepalive, broadcast, oobinline, dontroute, timestamp;
    uint64_t rcvtimeo_ns, sndtimeo_ns;  /* 0: wait forever */
    bool rcvtimeo_zero, sndtimeo_zero;  /* a negative timeval was set: never wait (Linux) */
    uint32_t sndbuf, rcvbuf;    /* as SO_SNDBUF / SO_RCVBUF report them (Linux doubles what is set) */
    int rcvlowat, priority;
    uint32_t mark;
    struct { int onoff, secs; } linger;
    struct ucred_k peercred;    /* SO_PEERCRED: set by the family at connect */
    char fd_name[32];           /* "socket:[INODE]", what /proc/self/fd shows */
};

struct sock_family {
    int family;
    /* A new socket of this family (type already checked to be below
     * SOCK_MAX): fill *out (socket_init) or return -ESOCKTNOSUPPORT,
     * -EPROTONOSUPPORT, -ENOMEM, ... */
    int (*create)(struct heap *h, int type, int protocol, struct socket **out);
    /* socketpair: two connected sockets; NULL: -EOPNOTSUPP. */
    int (*pair)(struct heap *h, int type, int protocol, struct socket **a, struct socket **b);
};

/* Make the family available to socket(2); called once at boot by each
 * family's init (net/net_init.c). */
void socket_register_family(const struct sock_family *fam);
const struct sock_family *socket_family(int family);

/* Linux's defaults and limits for buffer sizes (net.core.*mem_*). */
#define SOCK_WMEM_DEFAULT 212992
#define SOCK_RMEM_DEFAULT 212992
#define SOCK_WMEM_MAX 212992
#define SOCK_RMEM_MAX 212992
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

/* Fill the generic part of a family's new socket: one reference. */
void socket_init(struct socket *s, struct heap *h, const struct sock_family *fam, const struct sock_ops *ops,
                 int type, int protocol);
static inline void socket_get(struct socket *s) { __atomic_add_fetch(&s->refs, 1, __ATOMIC_ACQ_REL); }
void socket_put(struct socket *s);

/* The socket open as f, or NULL if f is not a socket. */
struct socket *socket_of(struct file *f);
bool file_is_socket(const struct file *f);
/* A new file for s (taking over the caller's reference); NULL: no memory
 * (the reference is dropped). flags: O_NONBLOCK. */
struct file *socket_file(struct socket *s, uint32_t flags);

/* ---- blocking ---- */

/* No waiting: the call answers -EAGAIN at once when it would block. */
#define SOCK_NO_WAIT 0
/* The deadline of one call: SOCK_NO_WAIT for O_NONBLOCK or MSG_DONTWAIT,
 * else from SO_SNDTIMEO (sending) or SO_RCVTIMEO, WAIT_FOREVER if unset. */
uint64_t socket_deadline(struct socket *s, bool sending, int msg_flags);
/* Wait on q (NULL: s->wq) until cond(arg): 0 once it holds; -EAGAIN when
 * the deadline is SOCK_NO_WAIT or passes first; -EINTR for a signal. */
int socket_wait(struct socket *s, struct wait_queue *q, uint64_t deadline, bool (*cond)(void *), void *arg);

/* ---- errors ---- */

void socket_set_error(struct socket *s, int err);
/* The pending error (positive), cleared; 0 if none. */
int socket_take_error(struct socket *s);
/* -EPIPE, and SIGPIPE to the calling thread unless MSG_NOSIGNAL. */
long socket_epipe(int msg_flags);

/* ---- helpers families share ---- */

/* Generic SOL_SOCKET options (the layer's own answer; a family's option op
 * may call these for options it also wants to see). */
int socket_setsockopt_generic(struct socket *s, int name, const void *val, uint32_t len);
int socket_getsockopt_generic(struct socket *s, int name, void *val, uint32_t *len);
/* Send / receive through the file's read and write (kernel buffers), as
 * sendfile and write/read on a socket do. */
long socket_send_kernel(struct socket *s, const void *buf, size_t n, int flags);
/* read/readv/write/writev on a socket: a whole user vector as one message. */
long socket_file_transfer(struct file *f, const struct sock_iov *iov, int cnt, bool write);
/* The sender's credentials (the one process, as Linux reports it). */
struct ucred_k socket_current_cred(void);
