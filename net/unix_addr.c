/* AF_UNIX names: abstract names (a leading NUL) live only in the table
 * here; a path name is also a socket node in the filesystem (TFS or memfs,
 * S_IFSOCK, made through the one path walker), and the table keys it by
 * the node's (device, inode), so connect(2) finds the socket by walking
 * the path as any other call would: a stale node (its socket closed) is
 * ECONNREFUSED, a missing one ENOENT, as on Linux. The node outlives the
 * socket until the program unlinks it, as on Linux. */
#include "unix.h"
#include "../syscalls/path.h"
#include "../klib/errno.h"
#include "../klib/string.h"
#include "../klib/format.h"

#define S_IFMT 0170000
#define S_IFSOCK 0140000

static struct spinlock names_lock;
static struct unix_sock *names;     /* every bound socket */
static unsigned autobind_next;

int unix_addr_check(struct sockaddr_k *a, uint32_t *len)
{
    if (*len <= 2 || *len > UNIX_ADDR_MAX || a->family != AF_UNIX) return -EINVAL;
    if (a->data[0]) {
        /* A path ends at its first NUL, or at the length given. */
        a->data[*len - 2] = 0;
        *len = (uint32_t)(2 + strlen((const char *)a->data) + 1);
    }
    return 0;
}

static bool same_name(const struct unix_sock *u, const struct sockaddr_k *a, uint32_t len)
{
    return !u->by_path && u->addrlen == len && !memcmp(u->addr.data, a->data, len - 2);
}

/* Take the name for u (names_lock held): -EINVAL if u has one already. */
static int take_name_locked(struct unix_sock *u, const struct sockaddr_k *a, uint32_t len)
{
    uint64_t irq = spin_lock_irqsave(&u->sock.lock);
    bool bound = u->addrlen != 0;
    if (!bound) {
        u->addr = *a;
        u->addrlen = len;
    }
    spin_unlock_irqrestore(&u->sock.lock, irq);
    if (bound) return -EINVAL;
    u->in_names = true;
    u->names_next = names;
    names = u;
    return 0;
}

int unix_autobind(struct unix_sock *u)
{
    uint64_t irq = spin_lock_irqsave(&names_lock);
    int r = 0;
    if (!u->addrlen) {
        struct sockaddr_k a = { .family = AF_UNIX };
        for (unsigned tries = 0; tries <= 0xfffff; tries++) {
            unsigned n = autobind_next++ & 0xfffff;
            a.data[0] = 0;
            format_sn((char *)a.data + 1, 6, "%05x", n);
            bool used = false;
            for (struct unix_sock *o = names; o && !used; o = o->names_next) used = same_name(o, &a, 8);
            if (!used) break;
        }
        r = take_name_locked(u, &a, 8);
    }
    spin_unlock_irqrestore(&names_lock, irq);
    return r;
}

static int bind_path(struct unix_sock *u, const struct sockaddr_k *a, uint32_t len)
{
    const char *path = (const char *)a->data;
    struct walk_pos dir;
    struct walk_last last;
    long r = resolve_parent(AT_FDCWD, path, false, &dir, &last);
    if (r == -EBUSY) r = -EEXIST;
    if (r < 0) return r == -EEXIST ? -EADDRINUSE : (int)r;
    uint32_t mode = 0777 & ~current_process()->umask;
    if (dir.node.mem) {
        r = memfs_mksock(dir.node.mem, last.name, last.len, mode);
    } else {
        struct tfs_node *n;
        r = tfs_mksock(dir.node.fs, dir.node.tfs, last.name, last.len, mode, 0, 0, &n);
    }
    if (r < 0) return r == -EEXIST ? -EADDRINUSE : (int)r;
    struct walk_pos at;
    struct linux_stat st;
    if ((r = resolve_at(AT_FDCWD, path, 0, false, &at)) < 0) return (int)r;
    vnode_stat(&at.node, &st);
    uint64_t irq = spin_lock_irqsave(&names_lock);
    r = take_name_locked(u, a, len);
    if (!r) {
        u->by_path = true;
        u->path_dev = st.st_dev;
        u->path_ino = st.st_ino;
    }
    spin_unlock_irqrestore(&names_lock, irq);
    if (r) {
        /* Linux makes the node before it finds the socket bound: it takes it away again. */
        if (dir.node.mem) memfs_unlink(dir.node.mem, last.name, last.len);
        else tfs_unlink(dir.node.fs, dir.node.tfs, last.name, last.len);
    }
    return (int)r;
}

int unix_bind(struct socket *s, const struct sockaddr_k *addr, uint32_t len)
{
    struct unix_sock *u = unix_of(s);
    struct sockaddr_k a = *addr;
    if (len == 2 && a.family == AF_UNIX) return unix_autobind(u);
    int r = unix_addr_check(&a, &len);
    if (r) return r;
    if (a.data[0]) return bind_path(u, &a, len);
    uint64_t irq = spin_lock_irqsave(&names_lock);
    if (u->addrlen) r = -EINVAL;
    for (struct unix_sock *o = names; o && !r; o = o->names_next)
        if (same_name(o, &a, len)) r = -EADDRINUSE;
    if (!r) r = take_name_locked(u, &a, len);
    spin_unlock_irqrestore(&names_lock, irq);
    return r;
}

int unix_find(const struct sockaddr_k *addr, uint32_t len, int type, struct unix_sock **out)
{
    struct sockaddr_k a = *addr;
    int r = unix_addr_check(&a, &len);
    if (r) return r;
    struct unix_sock *found = NULL;
    if (a.data[0]) {
        struct walk_pos at;
        long w = resolve_at(AT_FDCWD, (const char *)a.data, 0, true, &at);
        if (w < 0) return (int)w;
        if ((vnode_mode(&at.node) & S_IFMT) != S_IFSOCK) return -ECONNREFUSED;
        struct linux_stat st;
        vnode_stat(&at.node, &st);
        uint64_t irq = spin_lock_irqsave(&names_lock);
        for (struct unix_sock *o = names; o && !found; o = o->names_next)
            if (o->by_path && o->path_dev == st.st_dev && o->path_ino == st.st_ino) found = o;
        if (found) socket_get(&found->sock);
        spin_unlock_irqrestore(&names_lock, irq);
    } else {
        uint64_t irq = spin_lock_irqsave(&names_lock);
        for (struct unix_sock *o = names; o && !found; o = o->names_next)
            if (same_name(o, &a, len)) found = o;
        if (found) socket_get(&found->sock);
        spin_unlock_irqrestore(&names_lock, irq);
    }
    if (!found) return -ECONNREFUSED;
    if (found->sock.type != type) {
        socket_put(&found->sock);
        return -EPROTOTYPE;
    }
    *out = found;
    return 0;
}

void unix_unbind(struct unix_sock *u)
{
    uint64_t irq = spin_lock_irqsave(&names_lock);
    if (u->in_names) {
        for (struct unix_sock **p = &names; *p; p = &(*p)->names_next) {
            if (*p == u) {
                *p = u->names_next;
                break;
            }
        }
        u->in_names = false;
    }
    spin_unlock_irqrestore(&names_lock, irq);
}

static void name_of(struct unix_sock *u, struct sockaddr_k *a, uint32_t *len)
{
    uint64_t irq = spin_lock_irqsave(&u->sock.lock);
    if (u->addrlen) {
        *a = u->addr;
        *len = u->addrlen;
    } else {
        *a = (struct sockaddr_k){ .family = AF_UNIX };
        *len = 2;
    }
    spin_unlock_irqrestore(&u->sock.lock, irq);
}

int unix_getname(struct socket *s, struct sockaddr_k *addr, uint32_t *len, bool peer)
{
    struct unix_sock *u = unix_of(s);
    if (!peer) {
        name_of(u, addr, len);
        return 0;
    }
    uint64_t irq = spin_lock_irqsave(&s->lock);
    struct unix_sock *p = u->peer;
    if (p) socket_get(&p->sock);
    spin_unlock_irqrestore(&s->lock, irq);
    if (!p) return -ENOTCONN;
    name_of(p, addr, len);
    socket_put(&p->sock);
    return 0;
}
