/* Everything the kernel would refuse about --mount (fs/mounts.c), refused on
 * the host first with the culprit named, before anything is created; then
 * the list the kernel reads, in the one format both sides share. */
#include "volume_check.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "pith_exit.h"
#include "volume.h"

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Everything the kernel would refuse (fs/mounts.c), refused here first with
 * the culprit named: before anything is created. */
int volume_set_check(const struct pith_args *a, const char *root_image, struct volume_set *v)
{
    char why[600];
    v->n = 0;
    for (int i = 0; i < a->mountc; i++) {
        const char *vol = a->mounts[i].volume, *point = a->mounts[i].path;
        char norm[PATH_MAX];
        const char *bad = strchr(point, '\n') ? "newline in the mount point" : manifest_normalize_path(point, norm, sizeof norm);
        if (bad) {
            snprintf(why, sizeof why, "--mount: bad mount point (%s)", bad);
            return pith_complain(point, why);
        }
        if (strcmp(norm, "/") == 0)
            return pith_complain(point, "--mount: cannot mount over / (the image's own filesystem)");
        if (strlen(norm) >= MOUNTS_LIST_PATH_MAX)
            return pith_complain(point, "--mount: mount point too long");
        for (int j = 0; j < v->n; j++)
            if (strcmp(v->point[j], norm) == 0)
                return pith_complain(point, "--mount: two volumes at the same mount point");
        if (volume_read_uuid(vol, v->uuid[v->n], why, sizeof why) != 0) {
            fprintf(stderr, "pith: %s\n", why);
            return PITH_EXIT_USAGE;
        }
        if (access(vol, W_OK) != 0)
            return pith_complain(vol, strerror(errno));
        if (same_file(vol, root_image))
            return pith_complain(vol, "--mount: the volume is the image being booted");
        for (int j = 0; j < v->n; j++)
            if (same_file(vol, v->paths[j])) {
                return pith_complain(vol, "--mount: the same volume twice");
            } else if (memcmp(v->uuid[j], v->uuid[v->n], 16) == 0) {
                snprintf(why, sizeof why, "--mount: same filesystem uuid as %s (one volume mounted twice, or a copy of it)",
                         v->paths[j]);
                return pith_complain(vol, why);
            }
        v->paths[v->n] = vol;
        strcpy(v->point[v->n], norm);
        v->n++;
    }
    return 0;
}

int volume_set_write_list(const struct volume_set *v, const char *path)
{
    static struct mounts_list list;
    static char text[MOUNTS_LIST_TEXT_MAX + 1];
    char why[160];
    list.count = v->n;
    for (int i = 0; i < v->n; i++) {
        memcpy(list.entries[i].uuid, v->uuid[i], 16);
        snprintf(list.entries[i].path, sizeof list.entries[i].path, "%s", v->point[i]);
    }
    int len = mounts_list_format(&list, text, sizeof text, why, sizeof why);
    if (len < 0)
        return pith_complain(path, why);
    FILE *f = fopen(path, "we");
    if (!f)
        return pith_complain(path, strerror(errno));
    size_t put = fwrite(text, 1, (size_t)len, f);
    if (fclose(f) != 0 || put != (size_t)len)
        return pith_complain(path, strerror(errno));
    return 0;
}
