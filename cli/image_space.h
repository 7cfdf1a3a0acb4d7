/* How full a filesystem is, for people: `pith image ls` and `pith image
 * fsck` print "used 1.2 MiB of 1.0 GiB (1023 MiB free)". */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct tfs;

/* "512 B", "4.0 KiB", "1.2 MiB", "1023 MiB", "1.0 GiB": powers of 1024, one
 * decimal below 10, rounded down. */
void image_human_size(uint64_t bytes, char *out, size_t len);
/* "used U of T (F free)": blocks in use (superblocks, log, file data) and
 * the rest of the filesystem. */
void image_space_line(struct tfs *fs, char *out, size_t len);
