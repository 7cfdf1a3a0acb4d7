/* struct sock_msg (net/socket.h): the data vector with a cursor, and the
 * control messages in Linux's cmsghdr layout and rules. */
#include "socket.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"
#include "../klib/string.h"

/* struct cmsghdr on x86_64: size_t len, int level, int type; data 8-aligned. */
#define CMSG_HDR 16
#define CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define CMSG_SPACE(n) (CMSG_HDR + CMSG_ALIGN(n))
#define CMSG_LEN(n) (CMSG_HDR + (n))

static long move(struct sock_msg *m, void *kbuf, size_t n, bool in)
{
    size_t moved = 0;
    while (moved < n && m->cur < m->iovcnt) {
        const struct sock_iov *v = &m->iov[m->cur];
        size_t chunk = MIN(n - moved, v->len - m->cur_off);
        if (chunk) {
            uint64_t at = v->base + m->cur_off;
            char *k = (char *)kbuf + moved;
            if (m->kernel_data) {
                if (in) memcpy(k, (const void *)at, chunk);
                else memcpy((void *)at, k, chunk);
            } else if ((in ? copy_from_user(k, at, chunk) : copy_to_user(at, k, chunk)) < 0) {
                return -EFAULT;
            }
        }
        moved += chunk;
        m->cur_off += chunk;
        m->done += chunk;
        if (m->cur_off == v->len) {
            m->cur++;
            m->cur_off = 0;
        }
    }
    return (long)moved;
}

long sock_msg_copy_in(struct sock_msg *m, void *dst, size_t n) { return move(m, dst, n, true); }

long sock_msg_copy_out(struct sock_msg *m, const void *src, size_t n) { return move(m, (void *)src, n, false); }

int sock_msg_next_cmsg(const struct sock_msg *m, size_t *pos, struct sock_cmsg *out)
{
    const uint8_t *c = m->control;
    size_t at = *pos;
    if (m->controllen < CMSG_HDR || at + CMSG_HDR > m->controllen) return 0;
    uint64_t len;
    int level, type;
    memcpy(&len, c + at, 8);
    memcpy(&level, c + at + 8, 4);
    memcpy(&type, c + at + 12, 4);
    if (len < CMSG_HDR || len > m->controllen - at) return -EINVAL;
    *out = (struct sock_cmsg){ .level = level, .type = type, .data = c + at + CMSG_HDR, .len = len - CMSG_HDR };
    *pos = at + CMSG_ALIGN(len);
    return 1;
}

long sock_msg_put_cmsg(struct sock_msg *m, int level, int type, const void *data, size_t len)
{
    size_t room = m->ucontrol_cap - m->ucontrol_used;
    if (!m->ucontrol || room < CMSG_HDR) {
        m->out_flags |= MSG_CTRUNC;
        return 0;
    }
    size_t cmlen = CMSG_LEN(len);
    if (room < cmlen) {
        m->out_flags |= MSG_CTRUNC;
        cmlen = room;
    }
    struct {
        uint64_t len;
        int level, type;
    } h = { cmlen, level, type };
    uint64_t at = m->ucontrol + m->ucontrol_used;
    if (copy_to_user(at, &h, sizeof h) < 0 || copy_to_user(at + CMSG_HDR, data, cmlen - CMSG_HDR) < 0) return -EFAULT;
    m->ucontrol_used += MIN(CMSG_SPACE(len), room);
    return (long)(cmlen - CMSG_HDR);
}

void sock_msg_put_rights(struct sock_msg *m, struct file *const *files, int n)
{
    size_t room = m->ucontrol ? m->ucontrol_cap - m->ucontrol_used : 0;
    int max = room <= CMSG_HDR ? 0 : (int)MIN((room - CMSG_HDR) / sizeof(int), (size_t)n);
    uint64_t at = m->ucontrol + m->ucontrol_used;
    struct fdtable *t = &current_process()->fds;
    bool cloexec = (m->flags & MSG_CMSG_CLOEXEC) != 0;
    int i = 0;
    for (; i < max; i++) {
        int fd = fd_install(t, files[i], 0, cloexec);
        if (fd < 0) break;
        if (copy_to_user(at + CMSG_HDR + (uint64_t)i * sizeof(int), &fd, sizeof fd) < 0) {
            fd_close(t, fd);
            break;
        }
    }
    if (i > 0) {
        struct {
            uint64_t len;
            int level, type;
        } h = { CMSG_LEN((size_t)i * sizeof(int)), SOL_SOCKET, SCM_RIGHTS };
        copy_to_user(at, &h, sizeof h);
        m->ucontrol_used += MIN(CMSG_SPACE((size_t)i * sizeof(int)), room);
    }
    if (i < n) m->out_flags |= MSG_CTRUNC;
}
