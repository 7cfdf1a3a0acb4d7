/* The resume file of an upload (see upload_state.h). */
#include "upload_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST) return false;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

static void load(struct upload_state *st)
{
    FILE *f = fopen(st->path, "r");
    if (!f) return;
    char line[256];
    bool header = fgets(line, sizeof line, f) && strcmp(line, "pith-upload 1\n") == 0;
    while (header && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n') {
            st->torn = true;   /* a line cut short by a crash: the next append ends it first */
            break;
        }
        line[--n] = '\0';
        char *end;
        if (strncmp(line, "snapshot ", 9) == 0 && n - 9 < sizeof st->snapshot) {
            strcpy(st->snapshot, line + 9);
        } else if (strncmp(line, "block ", 6) == 0) {
            unsigned long long i = strtoull(line + 6, &end, 10);
            if (*end || i >= st->blocks) continue;
            if (!(st->done[i / 8] >> (i % 8) & 1)) st->done_count++;
            st->done[i / 8] |= (uint8_t)(1u << (i % 8));
        } else if (strcmp(line, "completed") == 0) {
            st->completed = true;
        }
    }
    fclose(f);
    if (!header || !st->snapshot[0]) {
        st->snapshot[0] = '\0';
        st->completed = false;
        st->done_count = 0;
        memset(st->done, 0, (st->blocks + 7) / 8);
    }
}

bool upload_state_open(struct upload_state *st, const char *image_path, const char *destination,
                       uint64_t blocks, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    st->fd = -1;
    pthread_mutex_init(&st->lock, NULL);
    st->blocks = blocks;
    st->done = calloc((blocks + 7) / 8 + 1, 1);
    if (!st->done) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    char real[PATH_MAX];
    struct stat sb;
    if (!realpath(image_path, real) || stat(real, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", image_path, strerror(errno));
        return false;
    }
    char identity[PATH_MAX + 1024];
    int n = snprintf(identity, sizeof identity, "%s\n%ju\n%ju\n%jd\n%jd.%09ld\n%s", real, (uintmax_t)sb.st_dev,
                     (uintmax_t)sb.st_ino, (intmax_t)sb.st_size, (intmax_t)sb.st_mtim.tv_sec,
                     sb.st_mtim.tv_nsec, destination);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (n < 0 || (size_t)n >= sizeof identity ||
        !EVP_Digest(identity, (size_t)n, digest, &dlen, EVP_sha256(), NULL)) {
        snprintf(err, errlen, "%s: cannot name its upload state", image_path);
        return false;
    }
    char dir[900];
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof dir, "%s/pith/uploads", xdg);
    else
        snprintf(dir, sizeof dir, "%s/.local/state/pith/uploads", home && *home ? home : "/tmp");
    if (!mkdirs(dir)) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return false;
    }
    char hex[33];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    snprintf(st->path, sizeof st->path, "%s/%s", dir, hex);
    load(st);
    return true;
}

bool upload_state_begin(struct upload_state *st, const char *snapshot, char *err, size_t errlen)
{
    if (st->fd >= 0) close(st->fd);
    memset(st->done, 0, (st->blocks + 7) / 8);
    st->done_count = 0;
    st->completed = false;
    st->torn = false;
    snprintf(st->snapshot, sizeof st->snapshot, "%s", snapshot);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.new", st->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char text[256];
    int n = snprintf(text, sizeof text, "pith-upload 1\nsnapshot %s\n", snapshot);
    if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0 || rename(tmp, st->path) != 0) {
        snprintf(err, errlen, "%s: %s", st->path, strerror(errno));
        if (fd >= 0) close(fd);
        unlink(tmp);
        return false;
    }
    close(fd);
    st->fd = open(st->path, O_WRONLY | O_APPEND);
    if (st->fd < 0) {
        snprintf(err, errlen, "%s: %s", st->path, strerror(errno));
        return false;
    }
    return true;
}

static void append(struct upload_state *st, const char *line)
{
    if (st->fd < 0) {
        st->fd = open(st->path, O_WRONLY | O_APPEND);
        if (st->fd < 0) return;   /* a lost record only means a block sent again */
    }
    if (st->torn) {
        ssize_t w = write(st->fd, "\n", 1);
        st->torn = w != 1;
    }
    ssize_t w = write(st->fd, line, strlen(line));
    (void)w;
}

void upload_state_block_done(struct upload_state *st, uint64_t i)
{
    char line[40];
    snprintf(line, sizeof line, "block %" PRIu64 "\n", i);
    pthread_mutex_lock(&st->lock);
    if (!(st->done[i / 8] >> (i % 8) & 1)) st->done_count++;
    st->done[i / 8] |= (uint8_t)(1u << (i % 8));
    append(st, line);
    pthread_mutex_unlock(&st->lock);
}

bool upload_state_is_done(struct upload_state *st, uint64_t i)
{
    pthread_mutex_lock(&st->lock);
    bool d = st->done[i / 8] >> (i % 8) & 1;
    pthread_mutex_unlock(&st->lock);
    return d;
}

void upload_state_completed(struct upload_state *st)
{
    st->completed = true;
    append(st, "completed\n");
    if (st->fd >= 0) fsync(st->fd);
}

void upload_state_remove(struct upload_state *st)
{
    if (st->path[0]) unlink(st->path);
}

void upload_state_close(struct upload_state *st)
{
    if (st->fd >= 0) close(st->fd);
    st->fd = -1;
    free(st->done);
    st->done = NULL;
    pthread_mutex_destroy(&st->lock);
}
