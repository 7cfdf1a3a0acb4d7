#include "targz_writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RECORD 512

static const unsigned char zeros[1 << 16];

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Compress len bytes (flush: Z_NO_FLUSH or Z_FINISH) and write what comes out. */
static int pump(struct targz_writer *t, const void *buf, size_t len, int flush)
{
    t->z.next_in = (Bytef *)buf;
    t->z.avail_in = (uInt)len;
    for (;;) {
        t->z.next_out = t->out;
        t->z.avail_out = sizeof t->out;
        int r = deflate(&t->z, flush);
        if (r == Z_STREAM_ERROR) {
            errno = EIO;
            return -1;
        }
        size_t have = sizeof t->out - t->z.avail_out;
        if (have && write_all(t->fd, t->out, have) != 0)
            return -1;
        if (flush == Z_FINISH ? r == Z_STREAM_END : t->z.avail_in == 0 && t->z.avail_out != 0)
            return 0;
    }
}

int targz_open(struct targz_writer *t, int fd)
{
    memset(&t->z, 0, sizeof t->z);
    t->fd = fd;
    t->member_left = 0;
    t->strategy = Z_DEFAULT_STRATEGY;
    /* 15 + 16: a gzip wrapper around the deflate stream, as gzip(1) writes. */
    if (deflateInit2(&t->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static void octal(char *field, size_t width, uint64_t v)
{
    /* width - 1 digits and a NUL, zero padded, as GNU tar writes them
     * (callers keep v below 8^(width-1)). */
    for (size_t i = width - 1; i-- > 0; v >>= 3)
        field[i] = (char)('0' + (v & 7));
    field[width - 1] = '\0';
}

int targz_begin(struct targz_writer *t, const char *name, uint64_t size, unsigned mode, time_t mtime)
{
    unsigned char h[RECORD];
    memset(h, 0, sizeof h);
    size_t n = strlen(name);
    if (n == 0 || n > 99) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(h, name, n);                             /* name */
    octal((char *)h + 100, 8, mode & 07777);        /* mode */
    octal((char *)h + 108, 8, 0);                   /* uid */
    octal((char *)h + 116, 8, 0);                   /* gid */
    if (size < (1ull << 33)) {
        octal((char *)h + 124, 12, size);           /* size */
    } else {
        h[124] = 0x80;                              /* GNU base-256 */
        for (int i = 0; i < 8; i++)
            h[135 - i] = (unsigned char)(size >> (8 * i));
    }
    octal((char *)h + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
    memset(h + 148, ' ', 8);                        /* checksum, counted as spaces */
    h[156] = '0';                                   /* a regular file */
    memcpy(h + 257, "ustar", 6);                    /* magic, NUL-terminated */
    memcpy(h + 263, "00", 2);                       /* version */
    memcpy(h + 265, "root", 4);                     /* uname */
    memcpy(h + 297, "root", 4);                     /* gname */
    unsigned sum = 0;
    for (int i = 0; i < RECORD; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);      /* six digits, NUL, space */
    h[155] = ' ';
    t->member_left = t->member_size = size;
    return pump(t, h, sizeof h, Z_NO_FLUSH);
}

/* Zeros (a hole) compress as well and three times faster as runs (Z_RLE);
 * data keeps the default matching. A switch ends the current block. */
static int use_strategy(struct targz_writer *t, int strategy)
{
    if (t->strategy == strategy)
        return 0;
    if (pump(t, NULL, 0, Z_BLOCK) != 0)
        return -1;
    t->z.next_out = t->out;
    t->z.avail_out = sizeof t->out;
    int r = deflateParams(&t->z, Z_DEFAULT_COMPRESSION, strategy);
    size_t have = sizeof t->out - t->z.avail_out;
    if (have && write_all(t->fd, t->out, have) != 0)
        return -1;
    if (r != Z_OK)
        return 0;   /* the old strategy stays: slower, still right */
    t->strategy = strategy;
    return 0;
}

int targz_write(struct targz_writer *t, const void *buf, uint64_t len)
{
    if (len > t->member_left) {
        errno = EFBIG;
        return -1;
    }
    if (len && use_strategy(t, buf ? Z_DEFAULT_STRATEGY : Z_RLE) != 0)
        return -1;
    t->member_left -= len;
    while (len) {
        size_t step = len < sizeof zeros ? (size_t)len : sizeof zeros;
        if (pump(t, buf ? buf : zeros, step, Z_NO_FLUSH) != 0)
            return -1;
        if (buf)
            buf = (const unsigned char *)buf + step;
        len -= step;
    }
    return 0;
}

int targz_end(struct targz_writer *t)
{
    if (t->member_left) {
        errno = EIO;   /* the member came out shorter than its header said */
        return -1;
    }
    size_t pad = (size_t)((RECORD - t->member_size % RECORD) % RECORD);
    return pad ? pump(t, zeros, pad, Z_NO_FLUSH) : 0;
}

int targz_close(struct targz_writer *t)
{
    /* Two zero records end the archive. */
    int rc = pump(t, zeros, 2 * RECORD, Z_FINISH);
    deflateEnd(&t->z);
    return rc;
}

void targz_abandon(struct targz_writer *t)
{
    deflateEnd(&t->z);
}
