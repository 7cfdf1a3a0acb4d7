/* Uploading an image's data blocks through a bounded pool of threads (see
 * upload.h). One mutex guards the shared cursor, the counters, the first
 * error and the progress display; hashing, reading and sending happen
 * outside it. */
#define _GNU_SOURCE
#include "upload.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upload_progress.h"

static bool all_zero(const unsigned char *b, size_t n)
{
    /* Word at a time; the buffers are malloc'd, hence aligned. */
    const uint64_t *w = (const uint64_t *)b;
    for (size_t i = 0; i < n / 8; i++)
        if (w[i]) return false;
    for (size_t i = n & ~(size_t)7; i < n; i++)
        if (b[i]) return false;
    return true;
}

/* Read block i (zero padded past the end of the file). */
static bool read_block(int fd, uint64_t size, uint32_t bs, uint64_t i, unsigned char *buf, char *err, size_t errlen)
{
    uint64_t off = i * bs;
    size_t want = size - off < bs ? (size_t)(size - off) : bs;
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, buf + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            snprintf(err, errlen, "reading the image at byte %llu: %s", (unsigned long long)(off + got),
                     r < 0 ? strerror(errno) : "the file shrank");
            return false;
        }
        got += (size_t)r;
    }
    memset(buf + want, 0, bs - want);
    return true;
}

uint8_t *upload_scan(int fd, uint64_t size, uint32_t bs, uint64_t *data_blocks, char *err, size_t errlen)
{
    uint64_t blocks = (size + bs - 1) / bs;
    uint8_t *map = calloc(blocks / 8 + 1, 1);
    unsigned char *buf = malloc(bs);
    *data_blocks = 0;
    if (!map || !buf) {
        snprintf(err, errlen, "out of memory");
        free(map);
        free(buf);
        return NULL;
    }
    uint64_t i = 0;
    while (i < blocks) {
        /* Jump over holes without reading them; filesystems without SEEK_DATA read everything. */
        off_t data = lseek(fd, (off_t)(i * bs), SEEK_DATA);
        if (data < 0 && errno == ENXIO) break;   /* only a hole from here to the end */
        if (data >= 0 && (uint64_t)data / bs > i) {
            i = (uint64_t)data / bs;
            continue;
        }
        if (!read_block(fd, size, bs, i, buf, err, errlen)) {
            free(map);
            free(buf);
            return NULL;
        }
        if (!all_zero(buf, bs)) {
            map[i / 8] |= (uint8_t)(1u << (i % 8));
            (*data_blocks)++;
        }
        i++;
    }
    free(buf);
    return map;
}

struct pool {
    int fd;
    uint64_t size, blocks, next;
    const uint8_t *data_map;
    struct upload_sink *sink;
    struct upload_state *state;
    pthread_mutex_t lock;
    uint64_t sent;
    bool failed;
    char *err;
    size_t errlen;
    struct upload_progress progress;
};

static void fail(struct pool *p, const char *msg)
{
    pthread_mutex_lock(&p->lock);
    if (!p->failed) snprintf(p->err, p->errlen, "%s", msg);
    p->failed = true;
    pthread_mutex_unlock(&p->lock);
}

/* The next block to send, or false when there is none (or a worker failed). */
static bool take(struct pool *p, uint64_t *out)
{
    pthread_mutex_lock(&p->lock);
    bool got = false;
    while (!p->failed && p->next < p->blocks) {
        uint64_t i = p->next++;
        if (upload_bit(p->data_map, i) && !upload_state_is_done(p->state, i)) {
            *out = i;
            got = true;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return got;
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    char err[1024];
    unsigned bs = p->sink->block_size;
    unsigned char *buf = malloc(bs);
    void *w = buf ? p->sink->worker_open(p->sink->ctx, err, sizeof err) : NULL;
    if (!buf) snprintf(err, sizeof err, "out of memory");
    if (!w) {
        fail(p, err);
        free(buf);
        return NULL;
    }
    uint64_t i;
    while (take(p, &i)) {
        unsigned char sha[EVP_MAX_MD_SIZE];
        unsigned int shalen = 0;
        if (!read_block(p->fd, p->size, bs, i, buf, err, sizeof err)) {
            fail(p, err);
            break;
        }
        if (!EVP_Digest(buf, bs, sha, &shalen, EVP_sha256(), NULL) || shalen != 32) {
            fail(p, "SHA-256 failed (libcrypto)");
            break;
        }
        if (!p->sink->put_block(p->sink->ctx, w, i, buf, sha, err, sizeof err)) {
            fail(p, err);
            break;
        }
        upload_state_block_done(p->state, i);
        pthread_mutex_lock(&p->lock);
        p->sent++;
        upload_progress_update(&p->progress, p->sent, upload_now());
        pthread_mutex_unlock(&p->lock);
    }
    p->sink->worker_close(p->sink->ctx, w);
    free(buf);
    return NULL;
}

bool upload_blocks(int fd, uint64_t size, const uint8_t *data_map, struct upload_sink *sink,
                   struct upload_state *state, unsigned jobs, enum upload_output out,
                   struct upload_result *res, char *err, size_t errlen)
{
    struct pool p = {
        .fd = fd, .size = size, .blocks = (size + sink->block_size - 1) / sink->block_size,
        .data_map = data_map, .sink = sink, .state = state, .err = err, .errlen = errlen,
    };
    pthread_mutex_init(&p.lock, NULL);
    uint64_t to_send = 0;
    for (uint64_t i = 0; i < p.blocks; i++)
        if (upload_bit(data_map, i) && !upload_state_is_done(state, i)) to_send++;
    res->blocks_resumed = res->blocks_data - to_send;
    if (jobs == 0) jobs = 1;
    if (jobs > to_send) jobs = to_send ? (unsigned)to_send : 1;
    upload_progress_start(&p.progress, out, to_send, sink->block_size, upload_now());
    pthread_t *threads = calloc(jobs, sizeof *threads);
    unsigned started = 0;
    if (!threads) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (; started < jobs && to_send; started++) {
        int rc = pthread_create(&threads[started], NULL, worker, &p);
        if (rc != 0) {
            if (started == 0) {
                snprintf(err, errlen, "cannot start an upload thread: %s", strerror(rc));
                p.failed = true;
            }
            break;
        }
    }
    for (unsigned t = 0; t < started; t++) pthread_join(threads[t], NULL);
    free(threads);
    if (!p.failed) upload_progress_end(&p.progress, p.sent, upload_now());
    else if (out == UPLOAD_BAR) fputc('\n', stderr);
    res->blocks_sent = p.sent;
    pthread_mutex_destroy(&p.lock);
    return !p.failed;
}
