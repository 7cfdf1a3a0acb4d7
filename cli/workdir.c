#define _GNU_SOURCE
#include "workdir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pith_exit.h"

int workdir_create(struct workdir *w)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int n = snprintf(w->path, sizeof w->path, "%s/pith.XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof w->path) {
        pith_complain(tmp, "temp directory path too long");
        w->path[0] = '\0';
        return -1;
    }
    if (!mkdtemp(w->path)) {
        pith_complain(tmp, strerror(errno));
        w->path[0] = '\0';
        return -1;
    }
    /* Absolute, so the paths printed for gdb work from any directory. */
    char real[PATH_MAX];
    if (realpath(w->path, real) && strlen(real) < sizeof w->path)
        strcpy(w->path, real);
    return 0;
}

void workdir_file(const struct workdir *w, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", w->path, name);
}

/* The directory only ever holds plain files pith created. */
void workdir_remove(struct workdir *w)
{
    if (!w->path[0])
        return;
    DIR *d = opendir(w->path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(w->path);
    w->path[0] = '\0';
}
