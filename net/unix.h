/* AF_UNIX internals, shared by net/unix*.c.
 *
 * A unix socket's receive queue holds messages (struct unix_skb): the
 * bytes, the sender's credentials, descriptors in flight (SCM_RIGHTS) and
 * a reference to the sender, whose `wmem` counts the bytes it has queued
 * at peers (a stream writer waits while wmem >= SO_SNDBUF, as Linux's).
 * A listening socket's queue holds embryos instead: server-side sockets
 * already connected to their client, handed out by accept.
 *
 * Locks: unix_sock.sock.lock guards state, peer, the queue, the accept queue
 * and the address; never two of them at once (a connect or a send drops
 * its own before taking the peer's). `names_lock` (unix_addr.c) guards the
 * table of bound names and is taken before no other. A reader holds
 * `readers` (a mutex) across its copy to user memory so stream reads do
 * not interleave; the spinlock is dropped around every user copy. Wakes:
 * the socket's own `sock.wq` for its readers, writers, acceptors and
 * connectors; `unix_dgram_room` (global) for datagram senders waiting for
 * room in some receiver's queue. */
#pragma once
#include "socket.h"
#include "../kernel/mutex.h"

#define UNIX_PATH_MAX 108
#define UNIX_ADDR_MAX (2 + UNIX_PATH_MAX)   /* sizeof(struct sockaddr_un) */
#define UNIX_MAX_DGRAM_QLEN 10              /* net.unix.max_dgram_qlen */
#define SCM_MAX_FD 253

enum unix_state { UNIX_UNCONNECTED, UNIX_LISTENING, UNIX_CONNECTED };

struct unix_skb {
    struct unix_skb *next;
    struct unix_sock *sender;   /* referenced: its wmem, its name for recvfrom */
    size_t len, off;            /* bytes, and bytes already read (streams) */
    struct ucred_k cred;
    struct file **files;        /* SCM_RIGHTS in flight, referenced */
    int nfiles, files_cap;
    struct unix_sock *embryo;   /* on a listener's queue: the connection (referenced) */
    char data[];
};

/* Its lock is sock.lock, which also guards the generic fields (shut, error). */
struct unix_sock {
    struct socket sock;
    enum unix_state state;
    bool dead;                  /* released: no more messages accepted */
    bool embryo;                /* on a listener's queue, not yet accepted */
    struct unix_sock *peer;     /* referenced */
    struct unix_skb *head, *tail;
    int qlen;
    size_t qbytes;
    size_t wmem;                /* bytes of ours queued at peers (atomic) */
    int backlog;
    struct mutex readers;
    /* The bound name (addrlen 0: none); path sockets also key by node. */
    struct sockaddr_k addr;
    uint32_t addrlen;
    bool in_names;              /* listed in the name table */
    bool by_path;
    uint64_t path_dev, path_ino;
    struct unix_sock *names_next;
};

static inline struct unix_sock *unix_of(struct socket *s) { return (struct unix_sock *)s; }

extern struct wait_queue unix_dgram_room;

/* unix.c */
struct unix_sock *unix_new(struct heap *h, int type);
void unix_skb_free(struct unix_skb *skb);
/* Append to u's queue (u->lock held). */
void unix_queue_locked(struct unix_sock *u, struct unix_skb *skb);
/* A message of n data bytes (uninitialised), sender referenced. */
struct unix_skb *unix_skb_new(struct unix_sock *sender, size_t n);
uint32_t unix_poll(struct socket *s, struct poll_table *pt);
void unix_register(void);

/* unix_scm.c: control messages of a send, credentials and rights of a receive. */
struct unix_scm {
    struct ucred_k cred;
    struct file **files;
    int nfiles, cap;
};
int unix_scm_from_msg(struct unix_sock *u, const struct sock_msg *m, struct unix_scm *scm);
void unix_scm_release(struct heap *h, struct unix_scm *scm);
/* Move the scm's files to the message (the scm no longer owns them). */
void unix_scm_attach(struct unix_scm *scm, struct unix_skb *skb);
/* On a receive: SCM_CREDENTIALS if the receiver asked (SO_PASSCRED), then SCM_RIGHTS. */
void unix_scm_deliver(struct unix_sock *u, struct sock_msg *m, const struct ucred_k *cred, struct file **files,
                      int nfiles);

/* unix_addr.c: names. */
/* Check a sockaddr_un (Linux's rules) and normalise its length (a path
 * ends at its first NUL): 0 or -EINVAL. */
int unix_addr_check(struct sockaddr_k *a, uint32_t *len);
int unix_bind(struct socket *s, const struct sockaddr_k *addr, uint32_t len);
int unix_autobind(struct unix_sock *u);
/* The bound socket a name refers to (referenced), or -ENOENT (no such
 * path), -ECONNREFUSED (nobody bound there), -EPROTOTYPE (another type). */
int unix_find(const struct sockaddr_k *a, uint32_t len, int type, struct unix_sock **out);
void unix_unbind(struct unix_sock *u);
int unix_getname(struct socket *s, struct sockaddr_k *addr, uint32_t *len, bool peer);

/* unix_stream.c (SOCK_STREAM; connect, listen and accept for SEQPACKET too) */
int unix_listen(struct socket *s, int backlog);
int unix_accept(struct socket *s, struct socket **out, bool nonblock);
int unix_stream_connect(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock);
long unix_stream_sendmsg(struct socket *s, struct sock_msg *m);
long unix_stream_recvmsg(struct socket *s, struct sock_msg *m);

/* unix_dgram.c (SOCK_DGRAM, and SEQPACKET's messages) */
int unix_dgram_connect(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock);
long unix_dgram_sendmsg(struct socket *s, struct sock_msg *m);
long unix_dgram_recvmsg(struct socket *s, struct sock_msg *m);
long unix_seqpacket_sendmsg(struct socket *s, struct sock_msg *m);
long unix_seqpacket_recvmsg(struct socket *s, struct sock_msg *m);
