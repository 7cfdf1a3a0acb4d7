/* The files nearly every Linux program expects to find, written into each
 * image unless the user supplied them (with -f/-d): /etc/passwd, /etc/group,
 * /etc/nsswitch.conf, /etc/hosts, /etc/hostname, /etc/resolv.conf,
 * /etc/localtime, and the directories /dev /proc /sys /tmp so `ls /` shows
 * the mount points the kernel serves. */
#pragma once
#include <stddef.h>

struct manifest;

#define GUEST_HOSTNAME "pith"
/* QEMU user networking's built-in DNS forwarder. */
#define GUEST_NAMESERVER "10.0.2.3"

/* user: the name of uid 0 (NULL: root). Generated files are written into
 * directory `workdir`, which must outlive the image write. 0, or -1 with err. */
int guest_etc_add(struct manifest *m, const char *workdir, const char *user, char *err, size_t errlen);

/* One generated file: data written into workdir, added at guest path
 * `guest` unless something is there already. 0, or -1 with err. */
int guest_etc_add_file(struct manifest *m, const char *workdir, const char *guest, const void *data, size_t len,
                       char *err, size_t errlen);

/* 1 if m already puts something at guest path `guest` (an entry, or a file
 * inside a host tree it copies). */
int guest_path_taken(const struct manifest *m, const char *guest);
