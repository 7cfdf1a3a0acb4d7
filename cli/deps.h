/* Dependency collection for dynamically linked programs: which files the
 * guest's dynamic loader will open, and where it will look for them, found
 * by reading the ELF files (never by running anything).
 *
 * The search follows the loader named by PT_INTERP:
 *  - glibc: DT_RPATH of the needing object and of the objects that loaded it
 *    (each only if that object has no DT_RUNPATH), then DT_RUNPATH, then the
 *    directories of /etc/ld.so.conf (what ld.so.cache would hold), then
 *    /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib
 *    /usr/lib. LD_LIBRARY_PATH is not used: the guest does not inherit it.
 *  - musl (interpreter /lib/ld-musl-*): DT_RUNPATH or else DT_RPATH up the
 *    chain of loading objects, then /etc/ld-musl-x86_64.path or
 *    /lib:/usr/local/lib:/usr/lib; libc.so, libm.so, libpthread.so ... are
 *    the interpreter itself.
 * $ORIGIN, $LIB (lib/x86_64-linux-gnu, as Debian's glibc) and $PLATFORM
 * (x86_64) are substituted. Candidates of another ELF class or machine are
 * skipped like the loaders do. Each library is placed at the guest path the
 * loader will try (the search directory it was found in); a symlink on the
 * way is kept as a symlink and its target added too, so the guest sees the
 * host's tree. With a sysroot, every path is looked up inside it.
 *
 * The loader's configuration is always added when present: /etc/ld.so.cache
 * for glibc (its only way to the ld.so.conf directories), the path file for
 * musl. Extras, added when present in the root unless DEPS_NO_EXTRAS:
 * /etc/ssl/certs/ca-certificates.crt (any dynamic program); for glibc
 * programs also /etc/nsswitch.conf, libnss_files.so.2 and libnss_dns.so.2 (and what they
 * need), and the gconv configuration (gconv-modules, gconv-modules.d/,
 * gconv-modules.cache) with the few modules most programs ask for (UTF-16,
 * UTF-32, UTF-7, UNICODE, ISO8859-15, CP1252) - not the whole 8 MB
 * directory; add it with -f when a program needs exotic charsets. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct manifest;

enum deps_role { DEPS_PROGRAM, DEPS_INTERP, DEPS_LIBRARY, DEPS_EXTRA };

struct deps_file {
    char *guest;            /* absolute, normalised guest path */
    char *host;             /* regular file: the host file to copy; NULL for a symlink */
    char *target;           /* symlink: its target as stored in the guest; NULL for a file */
    enum deps_role role;
};

struct deps {
    struct deps_file *files;    /* the program first, then in discovery order */
    size_t nfiles, cap;
    char *interp;               /* PT_INTERP (guest path), NULL for a static program */
    bool musl;                  /* the interpreter is musl's */
};

#define DEPS_NO_EXTRAS (1u << 0)    /* skip CA certificates, NSS and gconv */

/* A shared object already in the image that the program may dlopen (python's
 * lib-dynload modules...): its DT_NEEDED are followed like the program's, but a
 * library it needs that cannot be found is left out rather than an error -
 * the module then fails to load in the guest as it would on such a host. */
struct deps_object {
    const char *host;
    const char *guest;
};

struct deps_options {
    const char *sysroot;        /* NULL or "": the host's own tree */
    const char *program_guest;  /* where the program sits in the guest; NULL: see deps_program_guest_path */
    unsigned flags;             /* DEPS_* */
    const struct deps_object *extra;   /* followed only for a dynamic program */
    size_t nextra;
};

/* Collect everything `program` (a host path) needs. On failure returns -1
 * and err holds "CULPRIT: reason", e.g.
 * "/usr/bin/foo: needs libbar.so.1, not found (searched /lib/...:...)". */
int deps_collect(const char *program, const struct deps_options *opt, struct deps **out,
                 char *err, size_t errlen);
void deps_free(struct deps *d);

/* The program's default guest path: with a sysroot that contains it, its
 * path inside the sysroot; else the path itself if absolute, else
 * /BASENAME (like run_guest_path). 0, or -1 if it does not fit. */
int deps_program_guest_path(const char *program, const char *sysroot, char *out, size_t outlen);

/* Add every file and symlink except the program itself (the caller adds it
 * with the mode it wants) to m. Guest paths already in m are left alone, so
 * files given with -f win. 0, or -1 with the manifest's message in err. */
int deps_add_to_manifest(const struct deps *d, struct manifest *m, char *err, size_t errlen);
