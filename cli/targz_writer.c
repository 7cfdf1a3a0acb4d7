#include "targz_writer.h"
#include "sparse_file.h"

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

/* A number in a header field of width bytes: width - 1 octal digits and a
 * NUL, as GNU tar writes them, or GNU's base-256 form (0x80, then the value
 * big-endian) when it does not fit. */
static void number(unsigned char *field, size_t width, uint64_t v)
{
    if (v < (1ull << (3 * (width - 1)))) {
        for (size_t i = width - 1; i-- > 0; v >>= 3)
            field[i] = (unsigned char)('0' + (v & 7));
        field[width - 1] = '\0';
        return;
    }
    memset(field, 0, width);
    field[0] = 0x80;
    for (size_t i = 0; i < 8 && i < width - 1; i++)
        field[width - 1 - i] = (unsigned char)(v >> (8 * i));
}

/* The fields every member has. gnu: the old GNU magic ("ustar  "), which
 * sparse members need, else POSIX ustar's. */
static int fill_header(unsigned char h[RECORD], const char *name, uint64_t stored, unsigned mode, time_t mtime,
                       char type, int gnu)
{
    memset(h, 0, RECORD);
    size_t n = strlen(name);
    if (n == 0 || n > 99) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(h, name, n);                             /* name */
    number(h + 100, 8, mode & 07777);               /* mode */
    number(h + 108, 8, 0);                          /* uid */
    number(h + 116, 8, 0);                          /* gid */
    number(h + 124, 12, stored);                    /* size: the bytes that follow */
    number(h + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
    h[156] = (unsigned char)type;
    memcpy(h + 257, gnu ? "ustar  " : "ustar\0" "00", 8);   /* magic and version */
    memcpy(h + 265, "root", 4);                     /* uname */
    memcpy(h + 297, "root", 4);                     /* gname */
    return 0;
}

/* The checksum counts its own field as spaces; six digits, NUL, space. */
static void checksum(unsigned char h[RECORD])
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < RECORD; i++)
        sum += h[i];
    number(h + 148, 7, sum);
    h[155] = ' ';
}

int targz_begin(struct targz_writer *t, const char *name, uint64_t size, unsigned mode, time_t mtime)
{
    unsigned char h[RECORD];
    if (fill_header(h, name, size, mode, mtime, '0', 0) != 0)
        return -1;
    checksum(h);
    t->member_left = t->member_size = size;
    return pump(t, h, sizeof h, Z_NO_FLUSH);
}

/* Old GNU sparse entries: offset and length, 12 bytes each. */
#define SPARSE_IN_HEADER 4     /* at byte 386 of the member's header */
#define SPARSE_IN_EXTENSION 21 /* per extension record; its flag at byte 504 */

int targz_begin_sparse(struct targz_writer *t, const char *name, uint64_t size, const struct sparse_extent *map,
                       size_t n, unsigned mode, time_t mtime)
{
    uint64_t stored = 0;
    for (size_t i = 0; i < n; i++)
        stored += map[i].length;
    /* GNU tar ends the map with the file's end when it ends in a hole (or
     * has no data): a zero-length entry there gives the file its length. */
    int tail = n == 0 || map[n - 1].offset + map[n - 1].length < size;
    size_t entries = n + (size_t)tail;
    unsigned char h[RECORD];
    if (fill_header(h, name, stored, mode, mtime, 'S', 1) != 0)
        return -1;
    number(h + 483, 12, size);                      /* realsize */
    size_t e = 0;
    for (; e < entries && e < SPARSE_IN_HEADER; e++) {
        number(h + 386 + 24 * e, 12, e < n ? map[e].offset : size);
        number(h + 386 + 24 * e + 12, 12, e < n ? map[e].length : 0);
    }
    h[482] = e < entries;                           /* isextended */
    checksum(h);
    if (pump(t, h, sizeof h, Z_NO_FLUSH) != 0)
        return -1;
    while (e < entries) {
        memset(h, 0, sizeof h);
        for (size_t k = 0; k < SPARSE_IN_EXTENSION && e < entries; k++, e++) {
            number(h + 24 * k, 12, e < n ? map[e].offset : size);
            number(h + 24 * k + 12, 12, e < n ? map[e].length : 0);
        }
        h[504] = e < entries;
        if (pump(t, h, sizeof h, Z_NO_FLUSH) != 0)
            return -1;
    }
    t->member_left = t->member_size = stored;
    return 0;
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
