/* The provider-neutral part of uploading a raw disk image as fixed-size
 * blocks (docs/cloud.md): find the blocks that hold data (holes and all-zero
 * blocks are skipped), hash each with SHA-256, hand them to a provider's
 * put_block from a bounded pool of threads, remember every block that
 * arrived in a resume file, and report progress.
 *
 * The provider (cli/cloud/aws_upload.c for AWS) supplies the three calls
 * below; retries live in the provider's transport (cli/cloud/aws_http.c),
 * which knows which answers mean "try again". */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upload_state.h"

struct upload_sink {
    void *ctx;
    uint32_t block_size;
    /* Per worker thread: a connection of its own. NULL with err on failure. */
    void *(*worker_open)(void *ctx, char *err, size_t errlen);
    void (*worker_close)(void *ctx, void *worker);
    /* Send block index (block_size bytes, zero padded past the image's end). */
    bool (*put_block)(void *ctx, void *worker, uint64_t index, const void *data,
                      const unsigned char sha256[32], char *err, size_t errlen);
};

enum upload_output { UPLOAD_QUIET, UPLOAD_LINES, UPLOAD_BAR };

struct upload_result {
    uint64_t image_bytes;       /* the image file's size */
    uint64_t blocks_total;      /* blocks the image spans */
    uint64_t blocks_data;       /* of those, the ones that are not all zeros */
    uint64_t blocks_resumed;    /* data blocks an earlier, interrupted run had sent */
    uint64_t blocks_sent;       /* data blocks this run sent */
    double seconds;             /* wall time of the sending (the scan included) */
    unsigned retries;           /* requests the transport repeated */
};

/* The blocks of fd (size bytes) that hold data: a bitmap of
 * ceil(size / block_size) bits, set for blocks with a nonzero byte. Holes are
 * found with SEEK_DATA and never read. NULL with err on a read error. */
uint8_t *upload_scan(int fd, uint64_t size, uint32_t block_size, uint64_t *data_blocks,
                     char *err, size_t errlen);

/* Send every data block of fd that state does not list as done, jobs at a
 * time; each one that arrives is added to state. false with the first
 * failure in err (the blocks sent so far stay recorded for a rerun). */
bool upload_blocks(int fd, uint64_t size, const uint8_t *data_map, struct upload_sink *sink,
                   struct upload_state *state, unsigned jobs, enum upload_output out,
                   struct upload_result *res, char *err, size_t errlen);

static inline bool upload_bit(const uint8_t *map, uint64_t i) { return map[i / 8] >> (i % 8) & 1; }
