/* Progress of an upload on stderr: a bar redrawn in place on a terminal,
 * a plain line per 10% otherwise, nothing when quiet. */
#pragma once
#include <stdint.h>

#include "upload.h"

struct upload_progress {
    enum upload_output mode;
    uint64_t total;             /* blocks to send in this run */
    uint32_t block_size;
    double start, last_draw;
    unsigned last_tenth;
};

void upload_progress_start(struct upload_progress *p, enum upload_output mode, uint64_t total,
                           uint32_t block_size, double now);
/* done blocks sent so far; the caller serialises calls. */
void upload_progress_update(struct upload_progress *p, uint64_t done, double now);
void upload_progress_end(struct upload_progress *p, uint64_t done, double now);

/* Seconds on the monotonic clock. */
double upload_now(void);
