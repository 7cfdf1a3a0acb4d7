#define _GNU_SOURCE
#include "elf_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void object_list_free(struct object_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].host);
        free((char *)l->v[i].guest);
    }
    free(l->v);
}

/* An ELF executable or shared object (by its first bytes), which may need libraries. */
static int is_elf_object(const char *path)
{
    unsigned char h[18];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == (ssize_t)sizeof h && memcmp(h, "\177ELF", 4) == 0 && h[4] == 2 && (h[16] == 2 || h[16] == 3) &&
           h[17] == 0;
}

static int collect_objects(struct object_list *l, const char *host, const char *guest, int depth)
{
    struct stat st;
    if (lstat(host, &st) != 0 || depth > 64)
        return 0;
    if (S_ISREG(st.st_mode)) {
        if (st.st_size < 64 || !is_elf_object(host))
            return 0;
        if (l->n == l->cap) {
            size_t ncap = l->cap ? l->cap * 2 : 32;
            struct deps_object *nv = realloc(l->v, ncap * sizeof *nv);
            if (!nv)
                return -1;
            l->v = nv;
            l->cap = ncap;
        }
        char *h = strdup(host), *g = strdup(guest);
        if (!h || !g) {
            free(h);
            free(g);
            return -1;
        }
        l->v[l->n++] = (struct deps_object){ h, g };
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(host);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    char *hp = malloc(PATH_MAX), *gp = malloc(PATH_MAX);
    if (!hp || !gp)
        rc = -1;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_type != DT_UNKNOWN && e->d_type != DT_REG && e->d_type != DT_DIR)
            continue;
        if ((size_t)snprintf(hp, PATH_MAX, "%s/%s", host, e->d_name) >= PATH_MAX ||
            (size_t)snprintf(gp, PATH_MAX, "%s/%s", strcmp(guest, "/") ? guest : "", e->d_name) >= PATH_MAX)
            continue;
        rc = collect_objects(l, hp, gp, depth + 1);
    }
    closedir(d);
    free(hp);
    free(gp);
    return rc;
}

int elf_tree_collect(struct object_list *l, const char *host, const char *guest)
{
    return collect_objects(l, host, guest, 0);
}
