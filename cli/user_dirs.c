#include "user_dirs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p, every new directory private to the user. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int r = mkdir(path, 0700);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int user_dir(enum user_dir_kind kind, const char *sub, int create, char *out, size_t outlen, char *err,
             size_t errlen)
{
    const char *xdg = getenv(kind == USER_DIR_DATA ? "XDG_DATA_HOME" : "XDG_RUNTIME_DIR");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/pith", xdg);
    else if (kind == USER_DIR_RUNTIME)
        n = snprintf(out, outlen, "/tmp/pith-%u", (unsigned)getuid());
    else if (home && home[0] == '/')
        n = snprintf(out, outlen, "%s/.local/share/pith", home);
    else {
        snprintf(err, errlen, "XDG_DATA_HOME, HOME: neither is set to an absolute path");
        return -1;
    }
    if (n > 0 && (size_t)n < outlen && sub)
        n += snprintf(out + n, outlen - (size_t)n, "/%s", sub);
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "%s: path too long", xdg ? xdg : home ? home : "/tmp");
        return -1;
    }
    if (create && make_dirs(out) != 0) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    /* /tmp is everyone's: /tmp/pith-UID made there first by someone else (or
     * a symlink planted in its place) must not receive our sockets. */
    if (create && kind == USER_DIR_RUNTIME && !(xdg && xdg[0] == '/')) {
        char base[64];
        struct stat st;
        snprintf(base, sizeof base, "/tmp/pith-%u", (unsigned)getuid());
        if (lstat(base, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
            snprintf(err, errlen, "%s: not a private directory of this user's (set XDG_RUNTIME_DIR)", base);
            return -1;
        }
    }
    return 0;
}

void user_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}
