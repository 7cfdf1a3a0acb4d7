/* Upload progress on stderr (see upload_progress.h). */
#include "upload_progress.h"

#include <stdio.h>
#include <time.h>

#define BAR_WIDTH 30

double upload_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void upload_progress_start(struct upload_progress *p, enum upload_output mode, uint64_t total,
                           uint32_t block_size, double now)
{
    p->mode = mode;
    p->total = total;
    p->block_size = block_size;
    p->start = now;
    p->last_draw = 0;
    p->last_tenth = 0;
}

static double mib_per_s(const struct upload_progress *p, uint64_t done, double now)
{
    double t = now - p->start;
    return t > 0 ? (double)done * p->block_size / (1024.0 * 1024.0) / t : 0;
}

static void draw_bar(struct upload_progress *p, uint64_t done, double now)
{
    unsigned fill = p->total ? (unsigned)(done * BAR_WIDTH / p->total) : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    for (unsigned i = 0; i < BAR_WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\rpith: uploading [%s] %3u%% %llu/%llu blocks %.1f MiB/s ", bar,
            p->total ? (unsigned)(done * 100 / p->total) : 100, (unsigned long long)done,
            (unsigned long long)p->total, mib_per_s(p, done, now));
    fflush(stderr);
}

void upload_progress_update(struct upload_progress *p, uint64_t done, double now)
{
    if (p->mode == UPLOAD_BAR) {
        if (now - p->last_draw < 0.1) return;
        p->last_draw = now;
        draw_bar(p, done, now);
    } else if (p->mode == UPLOAD_LINES && p->total) {
        unsigned tenth = (unsigned)(done * 10 / p->total);
        if (tenth <= p->last_tenth || tenth >= 10) return;
        p->last_tenth = tenth;
        fprintf(stderr, "pith: uploaded %u%% (%llu of %llu blocks, %.1f MiB/s)\n", tenth * 10,
                (unsigned long long)done, (unsigned long long)p->total, mib_per_s(p, done, now));
    }
}

void upload_progress_end(struct upload_progress *p, uint64_t done, double now)
{
    if (p->mode == UPLOAD_BAR) {
        draw_bar(p, done, now);
        fputc('\n', stderr);
    } else if (p->mode == UPLOAD_LINES) {
        fprintf(stderr, "pith: uploaded %llu of %llu blocks in %.1f s (%.1f MiB/s)\n", (unsigned long long)done,
                (unsigned long long)p->total, now - p->start, mib_per_s(p, done, now));
    }
}
