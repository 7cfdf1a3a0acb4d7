#define _GNU_SOURCE
#include "image_store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user_dirs.h"

#define IMAGE_FILE "disk.img"
#define META_FILE "meta"

bool image_store_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > IMAGE_STORE_NAME_MAX || name[0] == '.' || name[0] == '-')
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int image_store_dir(int create, char *out, size_t outlen, char *err, size_t errlen)
{
    return user_dir(USER_DIR_DATA, "images", create, out, outlen, err, errlen);
}

static int name_path(const char *name, const char *file, char *out, size_t outlen, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (!image_store_name_ok(name)) {
        snprintf(err, errlen, "%s: not an image name (1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -)", name,
                 IMAGE_STORE_NAME_MAX);
        return -1;
    }
    if (image_store_dir(0, dir, sizeof dir, err, errlen) != 0)
        return -1;
    int n = snprintf(out, outlen, "%s/%s%s%s", dir, name, file ? "/" : "", file ? file : "");
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    return 0;
}

int image_store_image_path(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    return name_path(name, IMAGE_FILE, out, outlen, err, errlen);
}

int image_resolve(const char *name_or_path, char *out, size_t outlen, char *err, size_t errlen)
{
    struct stat st;
    int is_path = strchr(name_or_path, '/') != NULL || stat(name_or_path, &st) == 0 ||
                  !image_store_name_ok(name_or_path);
    if (!is_path) {
        char stored[PATH_MAX], why[256];
        if (image_store_image_path(name_or_path, stored, sizeof stored, why, sizeof why) == 0 &&
            stat(stored, &st) == 0) {
            if (strlen(stored) >= outlen) {
                snprintf(err, errlen, "%s: path too long", stored);
                return -1;
            }
            strcpy(out, stored);
            return 0;
        }
        snprintf(err, errlen, "%s: no such file, and no stored image of that name ('pith image ls' lists them)",
                 name_or_path);
        return -1;
    }
    if (strlen(name_or_path) >= outlen) {
        snprintf(err, errlen, "%s: path too long", name_or_path);
        return -1;
    }
    strcpy(out, name_or_path);
    return 0;
}

int image_store_read_meta(const char *name, struct image_store_meta *m, char *err, size_t errlen)
{
    char path[PATH_MAX];
    memset(m, 0, sizeof *m);
    if (name_path(name, META_FILE, path, sizeof path, err, errlen) != 0)
        return -1;
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[PATH_MAX + 32];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        long long v;
        if (strncmp(line, "program ", 8) == 0)
            snprintf(m->program, sizeof m->program, "%.*s", (int)sizeof m->program - 1, line + 8);
        else if (sscanf(line, "created %lld", &v) == 1)
            m->created = (time_t)v;
        else if (sscanf(line, "size %lld", &v) == 1 && v >= 0)
            m->size = (uint64_t)v;
    }
    fclose(f);
    return 0;
}

int image_store_write_meta(const char *dir, const struct image_store_meta *m, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, META_FILE);
    FILE *f = fopen(path, "we");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* A newline in PROG would start a line of its own: store it as a space. */
    fputs("program ", f);
    for (const char *p = m->program; *p; p++)
        fputc(*p == '\n' ? ' ' : *p, f);
    fprintf(f, "\ncreated %lld\nsize %llu\n", (long long)m->created, (unsigned long long)m->size);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int image_store_list(char ***names, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    *names = NULL;
    if (image_store_dir(0, dir, sizeof dir, err, errlen) != 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;   /* nothing stored yet */
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        /* Temporary directories start with '.', which no name does. */
        if (!image_store_name_ok(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(*names, (size_t)cap * sizeof *nv);
            if (!nv)
                break;
            *names = nv;
        }
        if (((*names)[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(d);
    if (n)
        qsort(*names, (size_t)n, sizeof **names, by_name);
    return n;
}
