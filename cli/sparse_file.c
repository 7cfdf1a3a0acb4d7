#define _GNU_SOURCE
#include "sparse_file.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static int walk_data(int src, uint64_t from, uint64_t to, char *buf,
                     int (*fn)(void *ctx, const void *buf, uint64_t len), void *ctx)
{
    while (from < to) {
        size_t want = to - from < CHUNK ? (size_t)(to - from) : CHUNK;
        ssize_t got = pread(src, buf, want, (off_t)from);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;   /* the file shrank under us */
            return -1;
        }
        if (fn(ctx, buf, (uint64_t)got) != 0)
            return -1;
        from += (uint64_t)got;
    }
    return 0;
}

int sparse_walk(int src, uint64_t size, int (*fn)(void *ctx, const void *buf, uint64_t len), void *ctx)
{
    char *buf = malloc(CHUNK);
    if (!buf)
        return -1;
    uint64_t pos = 0;
    int rc = 0;
    while (rc == 0 && pos < size) {
        off_t data = lseek(src, (off_t)pos, SEEK_DATA);
        uint64_t data_at = data < 0 ? (errno == ENXIO ? size : pos) : (uint64_t)data;
        if (data_at > size)
            data_at = size;
        if (data_at > pos) {
            rc = fn(ctx, NULL, data_at - pos);
            pos = data_at;
            continue;
        }
        off_t hole = lseek(src, (off_t)pos, SEEK_HOLE);
        uint64_t hole_at = hole < 0 ? size : (uint64_t)hole;
        if (hole_at > size || hole_at <= pos)
            hole_at = size;
        rc = walk_data(src, pos, hole_at, buf, fn, ctx);
        pos = hole_at;
    }
    int saved = errno;
    free(buf);
    errno = saved;
    return rc;
}

int sparse_extents(int src, uint64_t size, struct sparse_extent **out, size_t *n)
{
    size_t cap = 0;
    uint64_t pos = 0;
    *out = NULL;
    *n = 0;
    while (pos < size) {
        off_t data = lseek(src, (off_t)pos, SEEK_DATA);
        if (data < 0 && errno != ENXIO)
            data = (off_t)pos;   /* no SEEK_DATA here: all data */
        if (data < 0 || (uint64_t)data >= size)
            break;               /* ENXIO: only a hole is left */
        off_t hole = lseek(src, data, SEEK_HOLE);
        uint64_t end = hole < 0 || (uint64_t)hole > size || hole <= data ? size : (uint64_t)hole;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct sparse_extent *v = realloc(*out, cap * sizeof *v);
            if (!v) {
                free(*out);
                *out = NULL;
                return -1;
            }
            *out = v;
        }
        (*out)[(*n)++] = (struct sparse_extent){ (uint64_t)data, end - (uint64_t)data };
        pos = end;
    }
    return 0;
}

struct copy {
    int dst;
    uint64_t at;
};

static int copy_stretch(void *ctx, const void *buf, uint64_t len)
{
    struct copy *c = ctx;
    for (uint64_t done = 0; buf && done < len;) {
        ssize_t n = pwrite(c->dst, (const char *)buf + done, (size_t)(len - done), (off_t)(c->at + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (uint64_t)n;
    }
    c->at += len;   /* a hole: skipped, ftruncate makes it zeros */
    return 0;
}

int sparse_copy(int src, int dst, uint64_t size)
{
    struct copy c = { .dst = dst };
    if (sparse_walk(src, size, copy_stretch, &c) != 0)
        return -1;
    return ftruncate(dst, (off_t)size);
}
