/* The relay never blocks on the socket: input waits in `pending` until the
 * guest takes it, and stdin is only read again when pending is empty, so a
 * guest that does not read its input cannot stall its own output. */
#define _GNU_SOURCE
#include "console.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

size_t console_escape(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        out[o++] = in[i];
        if (in[i] == CONSOLE_ESCAPE)
            out[o++] = CONSOLE_ESCAPE;
    }
    return o;
}

void console_relay_init(struct console_relay *r, int sock, int in_fd, int out_fd)
{
    r->sock = sock;
    r->in_fd = in_fd;
    r->out_fd = out_fd;
    r->sock_open = 1;
    r->in_open = in_fd >= 0;
    r->out_broken = 0;
    r->plen = r->poff = 0;
    r->copy_fd = -1;
    r->skip_until = NULL;
    r->nheld = 0;
    if (!r->in_open) {   /* no stdin at all: the guest sees end of file at once */
        r->pending[0] = CONSOLE_ESCAPE;
        r->pending[1] = CONSOLE_EOF;
        r->plen = 2;
    }
}

void console_relay_poll_setup(const struct console_relay *r, short *sock_events, int *in_fd)
{
    *sock_events = r->sock_open ? POLLIN : 0;
    if (r->sock_open && r->poff < r->plen)
        *sock_events |= POLLOUT;
    *in_fd = r->in_open && r->poff == r->plen && r->sock_open ? r->in_fd : -1;
}

static void write_out(struct console_relay *r, const uint8_t *buf, size_t n)
{
    while (n && !r->out_broken) {
        ssize_t w = write(r->out_fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            r->out_broken = 1;   /* e.g. `pith run ... | head`: keep the guest going */
            break;
        }
        buf += w;
        n -= (size_t)w;
    }
}

static void show(struct console_relay *r, const uint8_t *buf, size_t n)
{
    write_out(r, buf, n);
    for (size_t done = 0; r->copy_fd > 0 && done < n;) {
        ssize_t w = write(r->copy_fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
}

static void stop_skipping(struct console_relay *r)
{
    r->skip_until = NULL;
    show(r, r->held, r->nheld);
    r->nheld = 0;
}

/* While skipping: hold the bytes until the line comes (then drop them and
 * it) or the room runs out (then show everything: it is not coming). */
static void take(struct console_relay *r, const uint8_t *buf, size_t n)
{
    while (n && r->skip_until) {
        size_t room = sizeof r->held - r->nheld, k = n < room ? n : room;
        memcpy(r->held + r->nheld, buf, k);
        r->nheld += k;
        buf += k;
        n -= k;
        size_t mlen = strlen(r->skip_until);
        uint8_t *at = memmem(r->held, r->nheld, r->skip_until, mlen);
        if (at) {
            size_t after = r->nheld - (size_t)(at - r->held) - mlen;
            memmove(r->held, at + mlen, after);
            r->nheld = after;
            stop_skipping(r);
        } else if (r->nheld == sizeof r->held) {
            stop_skipping(r);
        }
    }
    if (n)
        show(r, buf, n);
}

/* 1 if it read something, 0 at EOF or nothing available. */
static int read_guest(struct console_relay *r)
{
    uint8_t buf[65536];
    ssize_t n = read(r->sock, buf, sizeof buf);
    if (n > 0) {
        take(r, buf, (size_t)n);
        return 1;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        r->sock_open = 0;
    return 0;
}

void console_relay_on_sock(struct console_relay *r, short revents)
{
    if (revents & (POLLIN | POLLHUP | POLLERR))
        read_guest(r);
    if (r->sock_open && (revents & POLLOUT) && r->poff < r->plen) {
        ssize_t n = send(r->sock, r->pending + r->poff, r->plen - r->poff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            r->poff += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            r->poff = r->plen;   /* the guest is gone; its output is still read */
        if (r->poff == r->plen)
            r->poff = r->plen = 0;
    }
}

void console_relay_on_input(struct console_relay *r, short revents)
{
    if (!(revents & (POLLIN | POLLHUP | POLLERR)) || r->plen)
        return;
    uint8_t buf[4096];
    ssize_t n = read(r->in_fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n > 0) {
        r->plen = console_escape(buf, (size_t)n, r->pending);
    } else {
        r->pending[0] = CONSOLE_ESCAPE;
        r->pending[1] = CONSOLE_EOF;
        r->plen = 2;
        r->in_open = 0;
    }
    r->poff = 0;
}

void console_relay_drain(struct console_relay *r)
{
    /* QEMU is gone, so its end is closed: reads end with EOF, never block long. */
    while (r->sock_open) {
        struct pollfd p = { r->sock, POLLIN, 0 };
        if (poll(&p, 1, 1000) <= 0)
            break;
        read_guest(r);
    }
    if (r->skip_until)
        stop_skipping(r);
}
