/* AF_UNIX control messages: SCM_RIGHTS (descriptors in flight hold their
 * files; a receive installs new descriptors for them, MSG_CTRUNC closes
 * what does not fit) and SCM_CREDENTIALS (the sender's pid/uid/gid, or
 * what it sent, checked as Linux checks it; delivered when the receiver
 * set SO_PASSCRED). */
#include "unix.h"
#include "../kernel/process.h"
#include "../klib/errno.h"
#include "../klib/string.h"

static int add_rights(struct heap *h, struct unix_scm *scm, const struct sock_cmsg *c)
{
    int n = (int)(c->len / sizeof(int));
    if (n <= 0) return 0;
    if (scm->nfiles + n > SCM_MAX_FD) return -EINVAL;
    if (scm->nfiles + n > scm->cap) {
        struct file **grown = allocate(h, (size_t)(scm->nfiles + n) * sizeof *grown);
        if (!grown) return -ENOMEM;
        if (scm->nfiles) memcpy(grown, scm->files, (size_t)scm->nfiles * sizeof *grown);
        if (scm->files) deallocate(h, scm->files, (size_t)scm->cap * sizeof *grown);
        scm->files = grown;
        scm->cap = scm->nfiles + n;
    }
    struct fdtable *t = &current_process()->fds;
    for (int i = 0; i < n; i++) {
        int fd;
        memcpy(&fd, (const char *)c->data + (size_t)i * sizeof(int), sizeof fd);
        struct file *f = fd_get(t, fd);
        if (!f) return -EBADF;
        scm->files[scm->nfiles++] = f;
    }
    return 0;
}

int unix_scm_from_msg(struct unix_sock *u, const struct sock_msg *m, struct unix_scm *scm)
{
    *scm = (struct unix_scm){ .cred = socket_current_cred() };
    size_t pos = 0;
    struct sock_cmsg c;
    int r;
    while ((r = sock_msg_next_cmsg(m, &pos, &c)) > 0) {
        if (c.level != SOL_SOCKET) continue;
        if (c.type == SCM_RIGHTS) {
            if ((r = add_rights(u->sock.heap, scm, &c))) break;
        } else if (c.type == SCM_CREDENTIALS) {
            struct ucred_k cred;
            if (c.len != sizeof cred) {
                r = -EINVAL;
                break;
            }
            memcpy(&cred, c.data, sizeof cred);
            /* The program is root: any uid and gid; the pid must exist. */
            if (cred.pid != PROCESS_PID) {
                r = -ESRCH;
                break;
            }
            if (cred.uid == UINT32_MAX || cred.gid == UINT32_MAX) {
                r = -EINVAL;
                break;
            }
            scm->cred = cred;
        } else {
            r = -EINVAL;
            break;
        }
    }
    if (r < 0) {
        unix_scm_release(u->sock.heap, scm);
        return r;
    }
    return 0;
}

void unix_scm_release(struct heap *h, struct unix_scm *scm)
{
    for (int i = 0; i < scm->nfiles; i++) file_put(scm->files[i]);
    if (scm->files) deallocate(h, scm->files, (size_t)scm->cap * sizeof *scm->files);
    scm->files = NULL;
    scm->nfiles = scm->cap = 0;
}

void unix_scm_attach(struct unix_scm *scm, struct unix_skb *skb)
{
    skb->cred = scm->cred;
    skb->files = scm->files;
    skb->nfiles = scm->nfiles;
    skb->files_cap = scm->cap;
    scm->files = NULL;
    scm->nfiles = scm->cap = 0;
}

void unix_scm_deliver(struct unix_sock *u, struct sock_msg *m, const struct ucred_k *cred, struct file **files,
                      int nfiles)
{
    if (__atomic_load_n(&u->sock.passcred, __ATOMIC_RELAXED) && cred)
        sock_msg_put_cmsg(m, SOL_SOCKET, SCM_CREDENTIALS, cred, sizeof *cred);
    if (nfiles) sock_msg_put_rights(m, files, nfiles);
}
