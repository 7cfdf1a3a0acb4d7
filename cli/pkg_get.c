/* `pith pkg get`: apt decides what a package needs, pith only asks it.
 *
 * Which packages: what `apt-get install NAME` would install on a system with
 * nothing installed (Depends and Pre-Depends, no Recommends), found by
 * simulating that install against an empty dpkg status file, so alternatives,
 * virtual packages and versions are apt's own choice from the host's lists.
 * libc6 and the rest of the base come along: the guest has no libc of its
 * own. Left out are packages that hold nothing a program loads at run time
 * (NOT_NEEDED, the same list as scripts/fetch-debian), unless asked for by
 * name. Downloads go through `apt-get download`, which checks each file
 * against the lists apt verified with the archive's signature; nothing is
 * installed on the host. */
#define _GNU_SOURCE
#include "pkg.h"
#include "pkg_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const not_needed[] = {
    "dpkg", "install-info", "tar", "perl", "perl-base", "perl-modules-5.36", "libperl5.36", "mailcap",
    "media-types", "mime-support", "readline-common", "libtirpc-common", "gcc-12-base", "debconf",
    "sensible-utils", "tzdata", "debianutils", "lsb-base", "init-system-helpers", NULL,
};

#define OUT_MAX (256 * 1024)

/* Run argv in cwd (NULL: ours) with stdin from /dev/null and LC_ALL=C (apt's
 * messages untranslated); stdout and stderr land in out (NUL-terminated,
 * cut at outlen). Returns the exit status, or -1 if it could not run. */
static int run_capture(char *const argv[], const char *cwd, char *out, size_t outlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        setenv("LC_ALL", "C", 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t used = 0;
    char sink[4096];
    for (;;) {
        char *dst = used + 1 < outlen ? out + used : sink;
        size_t room = used + 1 < outlen ? outlen - used - 1 : sizeof sink;
        ssize_t n = read(p[0], dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            used += (size_t)n;
    }
    out[used] = '\0';
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* apt's first "E: " line, or its last line. */
static void apt_reason(const char *out, char *why, size_t len)
{
    const char *e = strstr(out, "E: ");
    while (e && e != out && e[-1] != '\n')
        e = strstr(e + 1, "E: ");
    if (e) {
        pkg_fmt(why, len, "%.*s", (int)strcspn(e + 3, "\n"), e + 3);
        return;
    }
    size_t n = strlen(out);
    while (n && out[n - 1] == '\n')
        n--;
    size_t start = n;
    while (start && out[start - 1] != '\n')
        start--;
    pkg_fmt(why, len, "%.*s", (int)(n - start), out + start);
    if (!why[0])
        pkg_fmt(why, len, "failed without a message");
}

static int is_not_needed(const char *name)
{
    for (const char *const *p = not_needed; *p; p++)
        if (strcmp(*p, name) == 0)
            return 1;
    return 0;
}

/* The packages NAME needs, NAME first. 0, or -1 with err. */
static int resolve(const char *name, const char *scratch, struct pkg_list *l, char *err, size_t errlen)
{
    char status[PATH_MAX], opt[PATH_MAX + 32];
    pkg_fmt(status, sizeof status, "%s/empty-status", scratch);
    int fd = open(status, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        pkg_fmt(err, errlen, "%s: %s", status, strerror(errno));
        return -1;
    }
    close(fd);
    pkg_fmt(opt, sizeof opt, "Dir::State::status=%s", status);
    char *argv[] = { "apt-get", "-s", "-q", "-o", opt, "-o", "APT::Install-Recommends=false", "-o",
                     "APT::Install-Suggests=false", "-o", "Debug::NoLocking=1", "install", (char *)name, NULL };
    char *out = malloc(OUT_MAX);
    if (!out) {
        pkg_fmt(err, errlen, "out of memory");
        return -1;
    }
    int rc = run_capture(argv, NULL, out, OUT_MAX);
    if (rc != 0) {
        char why[300];
        apt_reason(out, why, sizeof why);
        if (rc < 0 || rc == 127)
            pkg_fmt(err, errlen, "%s: cannot run apt-get (pith pkg needs a Debian host with apt)", name);
        else
            pkg_fmt(err, errlen, "%s: apt-get: %s", name, why);
        free(out);
        return -1;
    }
    memset(l, 0, sizeof *l);
    struct pkg_item self = { 0 };
    for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "Inst ", 5) != 0)
            continue;
        struct pkg_item it;
        memset(&it, 0, sizeof it);
        if (sscanf(line + 5, "%127[^ :\n]", it.name) != 1)
            continue;
        char *paren = strchr(line, '(');
        char *eol = strchr(line, '\n');
        if (!paren || (eol && paren > eol) || sscanf(paren + 1, "%127[^ )\n]", it.version) != 1)
            continue;
        if (strcmp(it.name, name) == 0) {
            self = it;
            continue;
        }
        if (is_not_needed(it.name))
            continue;
        if (l->n + 1 == PKG_MAX) {
            pkg_fmt(err, errlen, "%s: more than %d packages", name, PKG_MAX - 1);
            free(out);
            return -1;
        }
        l->v[++l->n] = it;   /* slot 0 is NAME's */
    }
    free(out);
    if (!self.name[0]) {
        pkg_fmt(err, errlen, "%s: apt-get would not install it (a virtual package? name a real one)", name);
        return -1;
    }
    l->v[0] = self;
    l->n++;
    return 0;
}

/* apt-get download's file name: NAME_VERSION_ARCH.deb, ':' as %3a. */
static int deb_file(const char *debs, const struct pkg_item *it, char *out, size_t len)
{
    char ver[256];
    size_t j = 0;
    for (size_t i = 0; it->version[i] && j + 4 < sizeof ver; i++) {
        if (it->version[i] == ':') {
            memcpy(ver + j, "%3a", 3);
            j += 3;
        } else {
            ver[j++] = it->version[i];
        }
    }
    ver[j] = '\0';
    static const char *const arches[] = { "amd64", "all" };
    for (int a = 0; a < 2; a++) {
        char path[PATH_MAX * 2];
        pkg_fmt(out, len, "%s_%s_%s.deb", it->name, ver, arches[a]);
        pkg_fmt(path, sizeof path, "%s/%s", debs, out);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -1;
}

/* Fetch every package of l that CACHE/.debs lacks, then fill in the deb names. */
static int download(const char *name, struct pkg_list *l, const char *debs, const char *scratch, char *err,
                    size_t errlen)
{
    char dl[PATH_MAX];
    pkg_fmt(dl, sizeof dl, "%s/dl", scratch);
    if (mkdir(dl, 0755) != 0) {
        pkg_fmt(err, errlen, "%s: %s", dl, strerror(errno));
        return -1;
    }
    char **argv = calloc((size_t)l->n + 8, sizeof *argv);
    char (*specs)[260] = calloc((size_t)l->n, sizeof *specs);
    if (!argv || !specs) {
        free(argv);
        free(specs);
        pkg_fmt(err, errlen, "out of memory");
        return -1;
    }
    int argc = 0, missing = 0;
    argv[argc++] = "apt-get";
    argv[argc++] = "download";
    argv[argc++] = "-q";
    /* As root apt hands downloads to its _apt user, who cannot enter a home
     * directory; the files are checked against the signed lists either way. */
    if (geteuid() == 0) {
        argv[argc++] = "-o";
        argv[argc++] = "APT::Sandbox::User=root";
    }
    for (int i = 0; i < l->n; i++) {
        if (deb_file(debs, &l->v[i], l->v[i].deb, sizeof l->v[i].deb) == 0)
            continue;
        pkg_fmt(specs[i], sizeof specs[i], "%s=%s", l->v[i].name, l->v[i].version);
        argv[argc++] = specs[i];
        missing++;
    }
    int rc = 0;
    if (missing) {
        char *out = malloc(OUT_MAX);
        int st = out ? run_capture(argv, dl, out, OUT_MAX) : -1;
        if (st != 0) {
            char why[300] = "out of memory";
            if (out)
                apt_reason(out, why, sizeof why);
            pkg_fmt(err, errlen, "%s: apt-get download: %s", name, why);
            rc = -1;
        }
        free(out);
        /* Into the shared store, one rename each (same filesystem). */
        DIR *d = rc == 0 ? opendir(dl) : NULL;
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".deb") != 0)
                continue;
            char from[PATH_MAX * 2], to[PATH_MAX * 2];
            pkg_fmt(from, sizeof from, "%s/%s", dl, e->d_name);
            pkg_fmt(to, sizeof to, "%s/%s", debs, e->d_name);
            if (rename(from, to) != 0) {
                pkg_fmt(err, errlen, "%s: %s", to, strerror(errno));
                rc = -1;
                break;
            }
        }
        if (d)
            closedir(d);
    }
    for (int i = 0; rc == 0 && i < l->n; i++)
        if (deb_file(debs, &l->v[i], l->v[i].deb, sizeof l->v[i].deb) != 0) {
            pkg_fmt(err, errlen, "%s: apt-get download gave no file for %s %s", name, l->v[i].name, l->v[i].version);
            rc = -1;
        }
    free(argv);
    free(specs);
    return rc;
}

/* Move everything under src into dst (both real directories); src is gone
 * afterwards. What both hold: directories merge, the rest from src wins. */
static int merge_into(const char *src, const char *dst)
{
    if (mkdir(dst, 0755) != 0 && errno != EEXIST)
        return -1;
    DIR *d = opendir(src);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char s[PATH_MAX], t[PATH_MAX];
        if ((size_t)pkg_fmt(s, sizeof s, "%s/%s", src, e->d_name) >= sizeof s ||
            (size_t)pkg_fmt(t, sizeof t, "%s/%s", dst, e->d_name) >= sizeof t) {
            rc = -1;
            break;
        }
        struct stat ss, ts;
        if (lstat(t, &ts) != 0) {
            rc = rename(s, t);
        } else if (lstat(s, &ss) == 0 && S_ISDIR(ss.st_mode) && S_ISDIR(ts.st_mode)) {
            rc = merge_into(s, t);
        } else {
            rc = pkg_remove_tree(t);
            if (rc == 0)
                rc = rename(s, t);
        }
    }
    closedir(d);
    return rc == 0 ? rmdir(src) : rc;
}

/* As an installed Debian 12 root looks (usrmerge): /bin, /sbin, /lib and
 * /lib64 are links into /usr, which dpkg-deb -x alone does not make. */
static int usrmerge(const char *root)
{
    static const char *const dirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
    char usr[PATH_MAX];
    pkg_fmt(usr, sizeof usr, "%s/usr", root);
    if (mkdir(usr, 0755) != 0 && errno != EEXIST)
        return -1;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char top[PATH_MAX], under[PATH_MAX], target[16];
        pkg_fmt(top, sizeof top, "%s/%s", root, dirs[i]);
        pkg_fmt(under, sizeof under, "%s/usr/%s", root, dirs[i]);
        pkg_fmt(target, sizeof target, "usr/%s", dirs[i]);
        struct stat st;
        int real = lstat(top, &st) == 0 && S_ISDIR(st.st_mode);
        if (real && merge_into(top, under) != 0)
            return -1;
        if (real || i == 0 || i == 1 || i == 2 || i == 4) {
            if (mkdir(under, 0755) != 0 && errno != EEXIST)
                return -1;
            if (symlink(target, top) != 0 && errno != EEXIST)
                return -1;
        }
    }
    return 0;
}

/* What every installed Debian system has and no package in the tree ships
 * (base-files, base-passwd and maintainer scripts make them): the static
 * system accounts of Debian policy 9.2.2 (nginx.conf says "user www-data"),
 * and /run with /var/run pointing at it (pid files). Written only where the
 * packages left nothing. */
static const char base_passwd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
    "sys:x:3:3:sys:/dev:/usr/sbin/nologin\n"
    "sync:x:4:65534:sync:/bin:/bin/sync\n"
    "games:x:5:60:games:/usr/games:/usr/sbin/nologin\n"
    "man:x:6:12:man:/var/cache/man:/usr/sbin/nologin\n"
    "lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n"
    "mail:x:8:8:mail:/var/mail:/usr/sbin/nologin\n"
    "news:x:9:9:news:/var/spool/news:/usr/sbin/nologin\n"
    "uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin\n"
    "proxy:x:13:13:proxy:/bin:/usr/sbin/nologin\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "backup:x:34:34:backup:/var/backups:/usr/sbin/nologin\n"
    "list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin\n"
    "irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin\n"
    "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char base_group[] =
    "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmail:x:8:\n"
    "news:x:9:\nuucp:x:10:\nman:x:12:\nproxy:x:13:\nkmem:x:15:\ndialout:x:20:\nfax:x:21:\nvoice:x:22:\n"
    "cdrom:x:24:\nfloppy:x:25:\ntape:x:26:\nsudo:x:27:\naudio:x:29:\ndip:x:30:\nwww-data:x:33:\n"
    "backup:x:34:\noperator:x:37:\nlist:x:38:\nirc:x:39:\nsrc:x:40:\nshadow:x:42:\nutmp:x:43:\n"
    "video:x:44:\nsasl:x:45:\nplugdev:x:46:\nstaff:x:50:\ngames:x:60:\nusers:x:100:\nnogroup:x:65534:\n";

static int write_new(const char *root, const char *rel, const char *text)
{
    char path[PATH_MAX];
    pkg_fmt(path, sizeof path, "%s/%s", root, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    size_t n = strlen(text);
    int bad = write(fd, text, n) != (ssize_t)n;
    return close(fd) != 0 || bad ? -1 : 0;
}

static int base_layout(const char *root)
{
    static const struct { const char *rel; mode_t mode; } dirs[] = {
        { "etc", 0755 }, { "run", 0755 }, { "run/lock", 01777 }, { "tmp", 01777 }, { "var", 0755 }, { "var/tmp", 01777 },
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[PATH_MAX];
        pkg_fmt(path, sizeof path, "%s/%s", root, dirs[i].rel);
        if (mkdir(path, dirs[i].mode) != 0 && errno != EEXIST)
            return -1;
        chmod(path, dirs[i].mode);
    }
    static const struct { const char *rel, *target; } links[] = { { "var/run", "/run" }, { "var/lock", "/run/lock" } };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char path[PATH_MAX];
        pkg_fmt(path, sizeof path, "%s/%s", root, links[i].rel);
        if (symlink(links[i].target, path) != 0 && errno != EEXIST)
            return -1;
    }
    return write_new(root, "etc/passwd", base_passwd) || write_new(root, "etc/group", base_group) ? -1 : 0;
}

static int same_packages(const struct pkg_list *a, const struct pkg_list *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i].name, b->v[i].name) || strcmp(a->v[i].version, b->v[i].version))
            return 0;
    return 1;
}

static int du_tree(const char *path, unsigned long long *total, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    *total += (unsigned long long)st.st_blocks * 512;
    if (!S_ISDIR(st.st_mode) || depth > 64)
        return 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX];
        if ((size_t)pkg_fmt(p, sizeof p, "%s/%s", path, e->d_name) < sizeof p)
            du_tree(p, total, depth + 1);
    }
    closedir(d);
    return 0;
}

/* One NAME: resolve, download, unpack aside, rename into place. */
static int get_one(const char *cache, const char *name)
{
    static struct pkg_list want, have;
    char err[1024], scratch[PATH_MAX], debs[PATH_MAX], tree[PATH_MAX], root[PATH_MAX + 8];
    pkg_fmt(debs, sizeof debs, "%s/" PKG_DEBS, cache);
    pkg_fmt(tree, sizeof tree, "%s/%s", cache, name);
    if (mkdir(debs, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "pith: pkg get: %s: %s\n", debs, strerror(errno));
        return 2;
    }
    pkg_fmt(scratch, sizeof scratch, "%s/.tmp.%d.XXXXXX", cache, (int)getpid());
    if (!mkdtemp(scratch)) {
        fprintf(stderr, "pith: pkg get: %s: %s\n", cache, strerror(errno));
        return 2;
    }
    int rc = resolve(name, scratch, &want, err, sizeof err);
    if (rc == 0 && pkg_record_read(tree, &have) == 0 && have.format == PKG_FORMAT && same_packages(&want, &have)) {
        printf("%s %s: up to date (%d package%s) in %s\n", name, want.v[0].version, want.n, want.n == 1 ? "" : "s",
               tree);
        pkg_remove_tree(scratch);
        return 0;
    }
    if (rc == 0)
        rc = download(name, &want, debs, scratch, err, sizeof err);
    pkg_fmt(root, sizeof root, "%s/root", scratch);
    if (rc == 0 && mkdir(root, 0755) != 0) {
        pkg_fmt(err, sizeof err, "%s: %s", root, strerror(errno));
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < want.n; i++) {
        char deb[PATH_MAX * 2], out[2048];
        pkg_fmt(deb, sizeof deb, "%s/%s", debs, want.v[i].deb);
        char *argv[] = { "dpkg-deb", "-x", deb, root, NULL };
        int st = run_capture(argv, NULL, out, sizeof out);
        if (st != 0) {
            char why[300];
            apt_reason(out, why, sizeof why);
            pkg_fmt(err, sizeof err, "%s: dpkg-deb -x %s: %s", name, want.v[i].deb,
                     st < 0 || st == 127 ? "cannot run dpkg-deb" : why);
            /* A damaged download must not be reused. */
            if (st > 0 && st != 127)
                unlink(deb);
            rc = -1;
        }
    }
    if (rc == 0 && usrmerge(root) != 0) {
        pkg_fmt(err, sizeof err, "%s: merging /bin, /sbin, /lib into /usr: %s", name, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && base_layout(root) != 0) {
        pkg_fmt(err, sizeof err, "%s: the base accounts and directories: %s", name, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && pkg_record_write(root, &want) != 0) {
        pkg_fmt(err, sizeof err, "%s: cannot write its record: %s", name, strerror(errno));
        rc = -1;
    }
    /* Whole or not at all: a new tree by rename, a current one by exchange. */
    if (rc == 0 && rename(root, tree) != 0) {
        if ((errno == EEXIST || errno == ENOTEMPTY) && renameat2(AT_FDCWD, root, AT_FDCWD, tree, RENAME_EXCHANGE) == 0) {
            /* the old tree now sits at root, removed with the scratch directory */
        } else {
            pkg_fmt(err, sizeof err, "%s: %s", tree, strerror(errno));
            rc = -1;
        }
    }
    pkg_remove_tree(scratch);
    if (rc != 0) {
        fprintf(stderr, "pith: pkg get: %s\n", err);
        return 2;
    }
    unsigned long long bytes = 0;
    char size[32];
    du_tree(tree, &bytes, 0);
    pkg_format_size(bytes, size, sizeof size);
    printf("%s %s: %d package%s, %s in %s\n", name, want.v[0].version, want.n, want.n == 1 ? "" : "s", size, tree);
    return 0;
}

int pkg_get(int argc, char **argv)
{
    char cache[PATH_MAX], err[512];
    if (argc < 2) {
        fprintf(stderr, "pith: pkg get: usage: pith pkg get NAME...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (!pkg_valid_name(argv[i])) {
            fprintf(stderr, "pith: pkg get: '%s' is not a Debian package name\n", argv[i]);
            return 2;
        }
    if (pkg_cache_dir(cache, sizeof cache, 1, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    pkg_sweep_stale(cache);
    for (int i = 1; i < argc; i++) {
        int rc = get_one(cache, argv[i]);
        if (rc)
            return rc;
    }
    return 0;
}
