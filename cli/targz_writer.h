/* A streaming writer of gzip'd tar files (one pass, constant memory), for
 * `pith image export NAME -o FILE.tar.gz`: GCP's image format is one file
 * named disk.raw in such an archive. Members are regular files, plain ustar
 * ones or GNU sparse ones (what `tar --format=oldgnu -S` writes, the form
 * GCP's documentation asks for); a number too large for its octal field
 * (a size of 8 GiB or more) uses GNU tar's base-256 form. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <zlib.h>

struct targz_writer {
    int fd;
    z_stream z;
    uint64_t member_left;     /* bytes the current member still expects */
    uint64_t member_size;
    int strategy;             /* zlib's, for what is being compressed now */
    unsigned char out[1 << 16];
};

/* Start an archive written to fd. 0, or -1 (errno set). */
int targz_open(struct targz_writer *t, int fd);
/* A member's header: a regular file `name` (at most 99 bytes) of size bytes. */
int targz_begin(struct targz_writer *t, const char *name, uint64_t size, unsigned mode, time_t mtime);
/* A GNU sparse member: a file of size bytes whose data is the n stretches
 * of map (in order, not overlapping); the rest reads as zeros. Its content
 * is then the stretches' bytes, one after the other (targz_write with data
 * only), and `tar -x` makes the holes holes again. */
struct sparse_extent;
int targz_begin_sparse(struct targz_writer *t, const char *name, uint64_t size, const struct sparse_extent *map,
                       size_t n, unsigned mode, time_t mtime);
/* len bytes of the member's content; buf NULL means len zero bytes. */
int targz_write(struct targz_writer *t, const void *buf, uint64_t len);
/* After exactly size bytes: the padding to a 512-byte record. */
int targz_end(struct targz_writer *t);
/* The end-of-archive records and the gzip trailer; frees zlib's state (also on failure). */
int targz_close(struct targz_writer *t);
/* Free zlib's state without finishing (after a failure). */
void targz_abandon(struct targz_writer *t);
