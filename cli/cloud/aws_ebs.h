/* The EBS direct APIs pith uses to write a snapshot without a bucket:
 * StartSnapshot, PutSnapshotBlock, CompleteSnapshot (docs/cloud.md). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws_http.h"

#define EBS_BLOCK_SIZE (512u * 1024u)

/* StartSnapshot's reply body[0..len): snap_id gets its SnapshotId (under cap
 * bytes), or false with the reason in err (unreadable, no id, a block size
 * pith does not write). */
bool ebs_read_start_reply(const char *body, size_t len, char *snap_id, size_t cap, char *err, size_t errlen);
/* StartSnapshot of a volume of size_gib GiB. snap_id gets "snap-..." */
bool ebs_start_snapshot(struct aws_http *h, uint64_t size_gib, const char *description,
                        char *snap_id, size_t cap, char *err, size_t errlen);

/* PutSnapshotBlock: EBS_BLOCK_SIZE bytes at block index, with their SHA-256
 * (base64) as the checksum the service verifies. */
bool ebs_put_block(struct aws_http *h, const char *snap_id, uint64_t index, const void *data,
                   const char *sha256_b64, char *err, size_t errlen);

/* CompleteSnapshot: changed is the number of blocks written. */
bool ebs_complete_snapshot(struct aws_http *h, const char *snap_id, uint64_t changed,
                           char *err, size_t errlen);
