/* Reading and copying sparse image files without touching their holes: an
 * image is 1 GiB long and mostly holes (docs/image.md, "Room to write"). */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* Call fn for each stretch of src: data (its bytes, read in chunks of at
 * most 1 MiB, so fn may be called several times for one stretch) or a hole
 * (buf NULL, len bytes of zeros). Holes are found with SEEK_DATA/SEEK_HOLE;
 * where the filesystem does not tell, everything is data. fn returns 0 to go
 * on. 0, or -1 with errno (fn's failure: its own errno). */
int sparse_walk(int src, uint64_t size, int (*fn)(void *ctx, const void *buf, uint64_t len), void *ctx);

/* One stretch of data in a sparse file. */
struct sparse_extent {
    uint64_t offset, length;
};

/* The data stretches of src's first size bytes, in order, found with
 * SEEK_DATA/SEEK_HOLE without reading anything (the whole file is one
 * stretch where the filesystem does not tell). *out is malloc'ed. 0, or -1
 * with errno. */
int sparse_extents(int src, uint64_t size, struct sparse_extent **out, size_t *n);

/* Copy src's first size bytes to dst (empty, same offsets), keeping holes as
 * holes; dst ends exactly size bytes long. 0, or -1 with errno. */
int sparse_copy(int src, int dst, uint64_t size);
