/* Generated files go through temp files in the run's work directory rather
 * than a new kind of manifest entry: the image writer only copies host files,
 * and this keeps it that way. */
#define _GNU_SOURCE
#include "guest_etc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"

int guest_path_taken(const struct manifest *m, const char *guest)
{
    size_t gl = strlen(guest);
    for (size_t i = 0; i < m->nentries; i++) {
        const struct manifest_entry *e = &m->entries[i];
        size_t el = strlen(e->guest);
        if (strcmp(e->guest, guest) == 0)
            return 1;
        if (e->kind != MANIFEST_TREE)
            continue;
        const char *rest = NULL;
        if (el == 1)
            rest = guest;   /* a tree copied to / */
        else if (gl > el && strncmp(guest, e->guest, el) == 0 && guest[el] == '/')
            rest = guest + el;
        if (!rest)
            continue;
        char host[PATH_MAX];
        struct stat st;
        if ((size_t)snprintf(host, sizeof host, "%s%s", e->source, rest) < sizeof host && lstat(host, &st) == 0)
            return 1;
    }
    return 0;
}

/* A minimal TZif (RFC 8536) for UTC: one local time type, no transitions,
 * once in the version 1 part and once in the 64-bit part, then the footer. */
static size_t utc_tzif(unsigned char *out)
{
    static const unsigned char header[20] = { 'T', 'Z', 'i', 'f', '2' };
    static const unsigned char counts[24] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4 };
    static const unsigned char data[10] = { 0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0 };
    size_t o = 0;
    for (int part = 0; part < 2; part++) {
        memcpy(out + o, header, sizeof header);
        o += sizeof header;
        memcpy(out + o, counts, sizeof counts);
        o += sizeof counts;
        memcpy(out + o, data, sizeof data);
        o += sizeof data;
    }
    memcpy(out + o, "\nUTC0\n", 6);
    return o + 6;
}

static int write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = write(fd, data, len);
    if (close(fd) != 0 || n != (ssize_t)len) {
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

int guest_etc_add_file(struct manifest *m, const char *workdir, const char *guest, const void *data, size_t len,
                       char *err, size_t errlen)
{
    if (guest_path_taken(m, guest))
        return 0;
    char host[PATH_MAX], why[512];
    /* One flat name per guest file: the work directory holds plain files only. */
    snprintf(host, sizeof host, "%s/guest%s", workdir, guest);
    for (char *p = host + strlen(workdir) + 6; *p; p++)
        if (*p == '/')
            *p = '_';
    if (write_file(host, data, len, err, errlen) != 0)
        return -1;
    if (manifest_add_file(m, guest, host, 0644, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", guest, why);
        return -1;
    }
    return 0;
}

int guest_etc_add(struct manifest *m, const char *workdir, const char *user, char *err, size_t errlen)
{
    char passwd[256], group[256], why[512] = "";
    const char *name = user && *user ? user : "root";
    /* One uid 0, whatever it is called: the kernel runs everything as root. */
    snprintf(passwd, sizeof passwd, "%s:x:0:0:%s:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
             name, name);
    snprintf(group, sizeof group, "%s:x:0:\nnogroup:x:65534:\n", name);
    static const char nsswitch[] =
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
        "networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n";
    static const char hosts[] =
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" GUEST_HOSTNAME "\n";
    static const char hostname[] = GUEST_HOSTNAME "\n";
    static const char resolv[] = "nameserver " GUEST_NAMESERVER "\n";
    struct { const char *guest; const char *text; } files[] = {
        { "/etc/passwd", passwd }, { "/etc/group", group }, { "/etc/nsswitch.conf", nsswitch },
        { "/etc/hosts", hosts }, { "/etc/hostname", hostname }, { "/etc/resolv.conf", resolv },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (guest_etc_add_file(m, workdir, files[i].guest, files[i].text, strlen(files[i].text), err, errlen) != 0)
            return -1;

    if (!guest_path_taken(m, "/etc/localtime")) {
        struct stat st;
        if (stat("/etc/localtime", &st) == 0 && S_ISREG(st.st_mode) && access("/etc/localtime", R_OK) == 0) {
            char real[PATH_MAX];
            if (!realpath("/etc/localtime", real) ||
                manifest_add_file(m, "/etc/localtime", real, 0644, why, sizeof why) != 0) {
                snprintf(err, errlen, "/etc/localtime: %s", why[0] ? why : strerror(errno));
                return -1;
            }
        } else {
            unsigned char tz[128];
            if (guest_etc_add_file(m, workdir, "/etc/localtime", tz, utc_tzif(tz), err, errlen) != 0)
                return -1;
        }
    }
    static const struct { const char *path; unsigned mode; } dirs[] = {
        { "/dev", 0755 }, { "/proc", 0555 }, { "/sys", 0555 }, { "/tmp", 01777 },
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (guest_path_taken(m, dirs[i].path))
            continue;
        if (manifest_add_dir(m, dirs[i].path, dirs[i].mode, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", dirs[i].path, why);
            return -1;
        }
    }
    return 0;
}
