/* Resuming an interrupted upload: a small text file per (image, destination)
 * under ${XDG_STATE_HOME:-~/.local/state}/pith/uploads/ that names the
 * snapshot being written and lists the blocks already stored in it:
 *
 *     pith-upload 1
 *     snapshot snap-0123456789abcdef0
 *     block 0
 *     block 17
 *     ...
 *     completed
 *
 * The file's name is a hash of the image's identity (absolute path, device,
 * inode, size, modification time) and the destination, so a changed image
 * starts afresh while a rerun of the same command continues where the last
 * one stopped. It is removed when the whole upload succeeded. Block lines
 * are appended as blocks arrive; one cut short by a crash is ignored (that
 * block is just sent again) and ended before the next line is appended. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct upload_state {
    char path[1024];
    char snapshot[128];         /* empty: nothing started yet */
    bool completed;             /* the snapshot was completed; only registration was left */
    uint64_t blocks;            /* bits in done */
    uint8_t *done;              /* blocks stored in the snapshot */
    uint64_t done_count;
    int fd;                     /* open for appending once begun, else -1 */
    bool torn;                  /* the file ends in a partial line */
    pthread_mutex_t lock;       /* done, done_count and fd appends from the upload threads */
};

/* Find (or not) the state of image_path going to destination. A state file
 * that is unreadable or for another block count is ignored. false only when
 * the image cannot be identified or the directory made, with err. */
bool upload_state_open(struct upload_state *st, const char *image_path, const char *destination,
                       uint64_t blocks, char *err, size_t errlen);
/* Start a new state for snapshot (replacing any earlier one). */
bool upload_state_begin(struct upload_state *st, const char *snapshot, char *err, size_t errlen);
/* Record block i as stored (thread-safe). */
void upload_state_block_done(struct upload_state *st, uint64_t i);
bool upload_state_is_done(struct upload_state *st, uint64_t i);
/* Record that the snapshot is complete. */
void upload_state_completed(struct upload_state *st);
/* The upload finished: forget it. */
void upload_state_remove(struct upload_state *st);
void upload_state_close(struct upload_state *st);
