/* cli/deps.c against real programs on this machine (a glibc one, a dynamic
 * musl one built here) and against trees of hand-made ELF files in a temp
 * directory: missing library, DT_NEEDED loop, $ORIGIN, wrong architecture,
 * garbage and truncated files, an unreadable file, and a sysroot. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/deps.h"
#include "cli/host_heap.h"
#include "cli/cmd_ldd.h"
#include "cli/manifest.h"

static int failures;
static char tmp[256];

static void check(int ok, const char *fmt, ...)
{
    if (ok) return;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures++;
}

/* ---- hand-made ELF files ---- */

struct fake {
    uint16_t type, machine;
    uint8_t class;
    const char *interp;
    const char *needed[4];
    const char *rpath, *runpath, *soname;
    uint64_t bad_needed_offset;     /* nonzero: the first DT_NEEDED points here */
};

#define F_SIZE 2048
#define F_STRTAB 256
#define F_INTERP 1280
#define F_DYN 1536

static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

static void write_bytes(const char *path, const void *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, b, n) != (ssize_t)n) {
        printf("FAIL cannot write %s\n", path);
        failures++;
    }
    if (fd >= 0) close(fd);
}

/* One PT_LOAD over the whole file at address 0, so addresses are offsets. */
static void make_elf(const char *path, const struct fake *f)
{
    uint8_t b[F_SIZE] = { 0 };
    int nph = f->interp ? 3 : 2;
    memcpy(b, "\177ELF", 4);
    b[4] = f->class ? f->class : 2;
    b[5] = 1;
    b[6] = 1;
    put16(b, 16, f->type ? f->type : 3);
    put16(b, 18, f->machine ? f->machine : 62);
    put32(b, 20, 1);
    put64(b, 32, 64);                   /* e_phoff */
    put16(b, 52, 64);
    put16(b, 54, 56);
    put16(b, 56, (uint16_t)nph);
    size_t ph = 64;
    put32(b, ph, 1); put32(b, ph + 4, 5);           /* PT_LOAD R+X */
    put64(b, ph + 32, F_SIZE); put64(b, ph + 40, F_SIZE); put64(b, ph + 48, 4096);
    ph += 56;
    put32(b, ph, 2); put32(b, ph + 4, 6);           /* PT_DYNAMIC */
    put64(b, ph + 8, F_DYN); put64(b, ph + 16, F_DYN);
    size_t dyn_bytes_at = ph + 32;
    ph += 56;
    if (f->interp) {
        size_t n = strlen(f->interp) + 1;
        memcpy(b + F_INTERP, f->interp, n);
        put32(b, ph, 3); put32(b, ph + 4, 4);
        put64(b, ph + 8, F_INTERP); put64(b, ph + 16, F_INTERP);
        put64(b, ph + 32, n); put64(b, ph + 40, n);
    }
    size_t s = 1, d = F_DYN;   /* strtab starts with "" */
#define STR(x) ({ size_t at_ = s; size_t n_ = strlen(x) + 1; memcpy(b + F_STRTAB + s, x, n_); s += n_; at_; })
#define DYN(t, v) do { put64(b, d, t); put64(b, d + 8, v); d += 16; } while (0)
    for (int i = 0; i < 4 && f->needed[i]; i++) {
        size_t at = STR(f->needed[i]);
        DYN(1, i == 0 && f->bad_needed_offset ? f->bad_needed_offset : at);
    }
    if (f->rpath) DYN(15, STR(f->rpath));
    if (f->runpath) DYN(29, STR(f->runpath));
    if (f->soname) DYN(14, STR(f->soname));
    DYN(5, F_STRTAB);
    DYN(10, s);
    DYN(0, 0);
    put64(b, dyn_bytes_at, d - F_DYN); put64(b, dyn_bytes_at + 8, d - F_DYN);
    write_bytes(path, b, F_SIZE);
}

static void mkdirs(const char *fmt, ...)
{
    char p[512], cmd[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, sizeof p, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
    if (system(cmd) != 0) { printf("FAIL %s\n", cmd); failures++; }
}

static char *tpath(const char *fmt, ...)
{
    static char bufs[8][700];
    static int k;
    char *p = bufs[k++ % 8], rel[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(p, sizeof bufs[0], "%s/%s", tmp, rel);
    return p;
}

/* ---- helpers on results ---- */

static const struct deps_file *find(const struct deps *d, const char *guest)
{
    for (size_t i = 0; i < d->nfiles; i++)
        if (strcmp(d->files[i].guest, guest) == 0) return &d->files[i];
    return NULL;
}

static size_t count_suffix(const struct deps *d, const char *suffix)
{
    size_t n = 0, sl = strlen(suffix);
    for (size_t i = 0; i < d->nfiles; i++) {
        size_t gl = strlen(d->files[i].guest);
        n += gl >= sl && strcmp(d->files[i].guest + gl - sl, suffix) == 0;
    }
    return n;
}

static struct deps *collect_ok(const char *what, const char *prog, const char *sysroot, const char *guest,
                               unsigned flags)
{
    struct deps_options o = { .sysroot = sysroot, .program_guest = guest, .flags = flags };
    struct deps *d = NULL;
    char err[1024] = "";
    int rc = deps_collect(prog, &o, &d, err, sizeof err);
    check(rc == 0 && d, "%s: refused: %s", what, err);
    return rc == 0 ? d : NULL;
}

static void collect_fails(const char *what, const char *prog, const char *sysroot, const char *want1,
                          const char *want2)
{
    struct deps_options o = { .sysroot = sysroot, .flags = DEPS_NO_EXTRAS };
    struct deps *d = NULL;
    char err[1024] = "";
    int rc = deps_collect(prog, &o, &d, err, sizeof err);
    if (getenv("TEST_VERBOSE")) printf("%s: %s\n", what, err);
    check(rc != 0, "%s: accepted", what);
    check(rc != 0 && strchr(err, '\n') == NULL && err[0], "%s: bad message '%s'", what, err);
    if (rc != 0 && want1) check(strstr(err, want1) != NULL, "%s: message '%s' lacks '%s'", what, err, want1);
    if (rc != 0 && want2) check(strstr(err, want2) != NULL, "%s: message '%s' lacks '%s'", what, err, want2);
    deps_free(d);
}

/* ---- the cases ---- */

static void test_glibc_host(void)
{
    const char *prog = access("/usr/bin/python3.11", R_OK) == 0 ? "/usr/bin/python3.11" : "/bin/ls";
    struct deps *d = collect_ok("glibc program", prog, NULL, NULL, 0);
    if (!d) return;
    check(d->nfiles > 2 && d->files[0].role == DEPS_PROGRAM && strcmp(d->files[0].guest, prog) == 0,
          "glibc: the program is not first");
    check(d->interp && !d->musl, "glibc: interpreter not seen");
    check(d->interp && find(d, d->interp) != NULL, "glibc: interpreter %s not in the list", d->interp);
    check(count_suffix(d, "/libc.so.6") == 1, "glibc: libc.so.6 not listed exactly once");
    check(count_suffix(d, "/libnss_files.so.2") <= 1, "glibc: NSS module twice");
    for (size_t i = 0; i < d->nfiles; i++) {
        const struct deps_file *f = &d->files[i];
        check((f->host != NULL) != (f->target != NULL), "glibc: %s is neither file nor symlink", f->guest);
        if (f->host) check(access(f->host, R_OK) == 0, "glibc: %s <- %s unreadable", f->guest, f->host);
        /* every symlink's target is in the image too */
        if (f->target && f->target[0] == '/') check(find(d, f->target) != NULL, "glibc: dangling %s", f->guest);
    }
    /* into a manifest, next to the program the caller adds */
    struct manifest *m = manifest_new(host_heap());
    char err[512] = "";
    check(m && manifest_add_file(m, prog, prog, 0755, err, sizeof err) == 0, "manifest: %s", err);
    check(deps_add_to_manifest(d, m, err, sizeof err) == 0, "deps_add_to_manifest: %s", err);
    check(m->nentries == d->nfiles, "manifest: %zu entries for %zu files", m->nentries, d->nfiles);
    check(deps_add_to_manifest(d, m, err, sizeof err) == 0 && m->nentries == d->nfiles,
          "deps_add_to_manifest twice: %s", err);
    for (size_t i = 0; i < m->nentries; i++) {
        const struct deps_file *f = find(d, m->entries[i].guest);
        check(f && (m->entries[i].kind == MANIFEST_SYMLINK) == (f->target != NULL), "manifest: kind of %s",
              m->entries[i].guest);
    }
    manifest_free(m);
    deps_free(d);
}

static void test_musl_host(void)
{
    if (system("command -v musl-gcc >/dev/null 2>&1") != 0) {
        printf("skip musl: musl-gcc not installed\n");
        return;
    }
    char cmd[1024];
    FILE *f = fopen(tpath("m.c"), "w");
    if (!f) { check(0, "musl: cannot write source"); return; }
    fputs("#include <stdio.h>\n#include <math.h>\nint main(int c,char**v){(void)v;printf(\"%f\\n\",sqrt(c));return 0;}\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "musl-gcc -O -o '%s' '%s' -lm", tpath("musl_hello"), tpath("m.c"));
    if (system(cmd) != 0) { check(0, "musl: %s failed", cmd); return; }
    struct deps *d = collect_ok("musl program", tpath("musl_hello"), NULL, NULL, 0);
    if (!d) return;
    check(d->musl && d->interp && strcmp(d->interp, "/lib/ld-musl-x86_64.so.1") == 0, "musl: interpreter %s",
          d->interp ? d->interp : "(none)");
    check(find(d, "/lib/ld-musl-x86_64.so.1") != NULL, "musl: interpreter not listed");
    size_t files = 0;
    for (size_t i = 0; i < d->nfiles; i++) files += d->files[i].role == DEPS_INTERP && d->files[i].host;
    check(files == 1, "musl: the interpreter is not exactly one file (%zu)", files);
    check(count_suffix(d, "/libc.so") <= 1 && count_suffix(d, "/libm.so") == 0, "musl: libc/libm copied apart");
    deps_free(d);
}

static const char *host_interp = "/lib64/ld-linux-x86-64.so.2";

static void test_missing(void)
{
    mkdirs("%s/miss", tmp);
    make_elf(tpath("miss/prog"), &(struct fake){ .interp = host_interp, .needed = { "libpith_missing.so.7" } });
    collect_fails("missing library", tpath("miss/prog"), NULL, "libpith_missing.so.7", tpath("miss/prog"));
    /* missing deeper down: the message names the library that needs it */
    mkdirs("%s/miss/lib", tmp);
    make_elf(tpath("miss/prog2"), &(struct fake){ .interp = host_interp, .needed = { "libmid.so" },
                                                   .runpath = "$ORIGIN/lib" });
    make_elf(tpath("miss/lib/libmid.so"), &(struct fake){ .needed = { "libgone.so.1" } });
    collect_fails("missing indirect", tpath("miss/prog2"), NULL, "libgone.so.1", tpath("miss/lib/libmid.so"));
    make_elf(tpath("miss/nointerp"), &(struct fake){ .needed = { "libc.so.6" } });
    collect_fails("needs but no PT_INTERP", tpath("miss/nointerp"), NULL, "PT_INTERP", NULL);
    make_elf(tpath("miss/badinterp"), &(struct fake){ .interp = "/nonexistent/ld.so.1", .needed = { "libc.so.6" } });
    collect_fails("missing interpreter", tpath("miss/badinterp"), NULL, "/nonexistent/ld.so.1", NULL);
}

static void test_loop_and_origin(void)
{
    mkdirs("%s/loop/lib", tmp);
    make_elf(tpath("loop/prog"), &(struct fake){ .interp = host_interp, .needed = { "liba.so" },
                                                  .runpath = "$ORIGIN/lib" });
    make_elf(tpath("loop/lib/liba.so"), &(struct fake){ .needed = { "libb.so" }, .runpath = "${ORIGIN}" });
    make_elf(tpath("loop/lib/libb.so"), &(struct fake){ .needed = { "liba.so" }, .runpath = "$ORIGIN" });
    struct deps *d = collect_ok("DT_NEEDED loop", tpath("loop/prog"), NULL, NULL, DEPS_NO_EXTRAS);
    if (d) {
        check(count_suffix(d, "/liba.so") == 1 && count_suffix(d, "/libb.so") == 1, "loop: not each once");
        check(find(d, tpath("loop/lib/liba.so")) != NULL, "loop: liba.so not at %s", tpath("loop/lib/liba.so"));
        deps_free(d);
    }

    /* DT_RPATH with $ORIGIN/.., inherited by the library it loads; the
     * guest path follows the program's guest directory, the host path its
     * host directory. */
    mkdirs("%s/rp/bin", tmp);
    mkdirs("%s/rp/lib", tmp);
    make_elf(tpath("rp/bin/prog"), &(struct fake){ .interp = host_interp, .needed = { "libr.so" },
                                                    .rpath = "$ORIGIN/../lib" });
    make_elf(tpath("rp/lib/libr.so.1.0"), &(struct fake){ .needed = { "libs.so" } });
    if (symlink("libr.so.1.0", tpath("rp/lib/libr.so")) != 0) check(0, "symlink libr.so");
    make_elf(tpath("rp/lib/libs.so"), &(struct fake){ .soname = "libs.so" });
    d = collect_ok("$ORIGIN rpath", tpath("rp/bin/prog"), NULL, "/app/bin/prog", DEPS_NO_EXTRAS);
    if (d) {
        const struct deps_file *l = find(d, "/app/lib/libr.so"), *t = find(d, "/app/lib/libr.so.1.0"),
                               *s = find(d, "/app/lib/libs.so");
        check(l && l->target && strcmp(l->target, "libr.so.1.0") == 0, "rpath: symlink /app/lib/libr.so not kept");
        check(t && t->host && strcmp(t->host, tpath("rp/lib/libr.so.1.0")) == 0, "rpath: libr.so.1.0 host %s",
              t && t->host ? t->host : "(none)");
        check(s != NULL, "rpath: libs.so not found through the program's DT_RPATH");
        deps_free(d);
    }
    /* DT_RUNPATH in the program turns its DT_RPATH off, and a RUNPATH is
     * not inherited by what it loads: libs.so is not found. */
    make_elf(tpath("rp/bin/prog2"), &(struct fake){ .interp = host_interp, .needed = { "libr.so" },
                                                     .rpath = "$ORIGIN/../lib", .runpath = "$ORIGIN/../lib" });
    collect_fails("RUNPATH not inherited", tpath("rp/bin/prog2"), NULL, "libs.so", "libr.so.1.0");
}

static void test_bad_files(void)
{
    mkdirs("%s/bad/lib", tmp);
    mkdirs("%s/bad/lib2", tmp);
    /* wrong architecture only: an error saying so */
    make_elf(tpath("bad/lib/libw.so"), &(struct fake){ .machine = 183 });
    make_elf(tpath("bad/wrongarch"), &(struct fake){ .interp = host_interp, .needed = { "libw.so" },
                                                      .runpath = "$ORIGIN/lib" });
    collect_fails("wrong architecture", tpath("bad/wrongarch"), NULL, "libw.so", "aarch64");
    /* a 32-bit one first, a good one later in the path: skipped like ld.so does */
    make_elf(tpath("bad/lib/libv.so"), &(struct fake){ .class = 1 });
    make_elf(tpath("bad/lib2/libv.so"), &(struct fake){ 0 });
    make_elf(tpath("bad/skiparch"), &(struct fake){ .interp = host_interp, .needed = { "libv.so" },
                                                     .runpath = "$ORIGIN/lib:$ORIGIN/lib2" });
    struct deps *d = collect_ok("wrong arch skipped", tpath("bad/skiparch"), NULL, NULL, DEPS_NO_EXTRAS);
    if (d) {
        check(find(d, tpath("bad/lib2/libv.so")) && !find(d, tpath("bad/lib/libv.so")), "skip: wrong libv.so chosen");
        deps_free(d);
    }
    /* garbage and truncated files: errors naming the file */
    write_bytes(tpath("bad/lib/libg.so"), "this is not an ELF file\n", 24);
    make_elf(tpath("bad/garbage"), &(struct fake){ .interp = host_interp, .needed = { "libg.so" },
                                                    .runpath = "$ORIGIN/lib" });
    collect_fails("garbage library", tpath("bad/garbage"), NULL, tpath("bad/lib/libg.so"), "not an ELF");
    make_elf(tpath("bad/lib/libt.so"), &(struct fake){ 0 });
    if (truncate(tpath("bad/lib/libt.so"), 100) != 0) check(0, "truncate");
    make_elf(tpath("bad/truncated"), &(struct fake){ .interp = host_interp, .needed = { "libt.so" },
                                                      .runpath = "$ORIGIN/lib" });
    collect_fails("truncated library", tpath("bad/truncated"), NULL, tpath("bad/lib/libt.so"), NULL);
    write_bytes(tpath("bad/lib/libe.so"), "", 0);
    make_elf(tpath("bad/empty"), &(struct fake){ .interp = host_interp, .needed = { "libe.so" },
                                                  .runpath = "$ORIGIN/lib" });
    collect_fails("empty library", tpath("bad/empty"), NULL, tpath("bad/lib/libe.so"), NULL);
    /* a DT_NEEDED string offset beyond the string table */
    make_elf(tpath("bad/badstr"), &(struct fake){ .interp = host_interp, .needed = { "libx.so" },
                                                   .bad_needed_offset = 1u << 30 });
    collect_fails("DT_NEEDED outside strtab", tpath("bad/badstr"), NULL, tpath("bad/badstr"), "string table");
    /* the program itself garbage */
    write_bytes(tpath("bad/notelf"), "#!/bin/sh\necho hi\n", 18);
    collect_fails("program not ELF", tpath("bad/notelf"), NULL, tpath("bad/notelf"), NULL);
    collect_fails("program missing", tpath("bad/nonexistent"), NULL, tpath("bad/nonexistent"), NULL);
    /* an executable where a library should be */
    make_elf(tpath("bad/lib/libexe.so"), &(struct fake){ .type = 2 });
    make_elf(tpath("bad/exe"), &(struct fake){ .interp = host_interp, .needed = { "libexe.so" },
                                                .runpath = "$ORIGIN/lib" });
    collect_fails("executable as library", tpath("bad/exe"), NULL, tpath("bad/lib/libexe.so"), "shared library");

    if (geteuid() == 0) {
        printf("skip unreadable library: running as root, chmod 000 does not stop reads\n");
    } else {
        make_elf(tpath("bad/lib/libu.so"), &(struct fake){ 0 });
        chmod(tpath("bad/lib/libu.so"), 0);
        make_elf(tpath("bad/unreadable"), &(struct fake){ .interp = host_interp, .needed = { "libu.so" },
                                                           .runpath = "$ORIGIN/lib" });
        collect_fails("unreadable library", tpath("bad/unreadable"), NULL, "libu.so", "ermission denied");
    }
}

static void test_sysroot(void)
{
    char S[700];    /* tpath's buffers are reused */
    snprintf(S, sizeof S, "%s", tpath("root"));
    mkdirs("%s/lib64", S);
    mkdirs("%s/lib/x86_64-linux-gnu", S);
    mkdirs("%s/usr/lib/x86_64-linux-gnu", S);
    mkdirs("%s/usr/bin", S);
    mkdirs("%s/srv/extra", S);
    mkdirs("%s/opt", S);
    mkdirs("%s/etc/ld.so.conf.d", S);
    mkdirs("%s/etc/ssl/certs", S);
    make_elf(tpath("root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), &(struct fake){ .soname = "ld-linux-x86-64.so.2" });
    /* absolute targets must stay inside the sysroot */
    if (symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", tpath("root/lib64/ld-linux-x86-64.so.2")) != 0 ||
        symlink("/srv/extra", tpath("root/opt/extra")) != 0 ||
        symlink("libfoo.so.1.0", tpath("root/lib/x86_64-linux-gnu/libfoo.so.1")) != 0)
        check(0, "sysroot symlinks");
    make_elf(tpath("root/usr/lib/x86_64-linux-gnu/libc.so.6"), &(struct fake){ .soname = "libc.so.6",
                                                                              .needed = { "ld-linux-x86-64.so.2" } });
    make_elf(tpath("root/lib/x86_64-linux-gnu/libfoo.so.1.0"), &(struct fake){ .needed = { "libc.so.6" } });
    make_elf(tpath("root/srv/extra/libextra.so"), &(struct fake){ .needed = { "libc.so.6" } });
    make_elf(tpath("root/usr/bin/prog"), &(struct fake){ .interp = "/lib64/ld-linux-x86-64.so.2",
                                                          .needed = { "libfoo.so.1", "libextra.so", "libc.so.6" } });
    write_bytes(tpath("root/etc/ld.so.conf"), "# test\ninclude ld.so.conf.d/*.conf\n", 35);
    write_bytes(tpath("root/etc/ld.so.conf.d/extra.conf"), "/opt/extra\n", 11);
    write_bytes(tpath("root/etc/ssl/certs/ca-certificates.crt"), "certs\n", 6);

    char guest[256];
    check(deps_program_guest_path(tpath("root/usr/bin/prog"), S, guest, sizeof guest) == 0 &&
          strcmp(guest, "/usr/bin/prog") == 0, "sysroot: program guest path %s", guest);
    struct deps *d = collect_ok("sysroot", tpath("root/usr/bin/prog"), S, NULL, 0);
    if (!d) return;
    const struct deps_file *f;
    check(d->nfiles && strcmp(d->files[0].guest, "/usr/bin/prog") == 0, "sysroot: program guest %s",
          d->nfiles ? d->files[0].guest : "");
    f = find(d, "/lib64/ld-linux-x86-64.so.2");
    check(f && f->target && strcmp(f->target, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2") == 0,
          "sysroot: interpreter symlink");
    f = find(d, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    check(f && f->host && strcmp(f->host, tpath("root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")) == 0,
          "sysroot: interpreter file %s", f && f->host ? f->host : "(none)");
    f = find(d, "/lib/x86_64-linux-gnu/libfoo.so.1");
    check(f && f->target && strcmp(f->target, "libfoo.so.1.0") == 0, "sysroot: libfoo symlink");
    check(find(d, "/lib/x86_64-linux-gnu/libfoo.so.1.0") != NULL, "sysroot: libfoo.so.1.0");
    f = find(d, "/opt/extra/libextra.so");
    check(f && f->host && strcmp(f->host, tpath("root/srv/extra/libextra.so")) == 0,
          "sysroot: ld.so.conf include / absolute dir symlink: %s", f && f->host ? f->host : "(none)");
    f = find(d, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    check(f && f->host, "sysroot: libc.so.6 not in /usr/lib/x86_64-linux-gnu");
    check(count_suffix(d, "/ld-linux-x86-64.so.2") == 2, "sysroot: ld.so needed by libc reloaded");
    check(find(d, "/etc/ssl/certs/ca-certificates.crt") != NULL, "sysroot: CA certificates missing");
    size_t rl = strlen(S);
    for (size_t i = 0; i < d->nfiles; i++)
        if (d->files[i].host)
            check(strncmp(d->files[i].host, S, rl) == 0, "sysroot: %s taken from outside: %s", d->files[i].guest,
                  d->files[i].host);
    deps_free(d);
    /* the same program without its libraries in the sysroot */
    unlink(tpath("root/srv/extra/libextra.so"));
    collect_fails("sysroot missing", tpath("root/usr/bin/prog"), S, "libextra.so", "sysroot");
    collect_fails("sysroot not a directory", tpath("root/usr/bin/prog"), tpath("root/etc/ld.so.conf"),
                  "not a directory", NULL);
}

/* ldd_main's exit status, its output thrown away */
static int run_ldd(int argc, char **argv)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        _exit(ldd_main(argc, argv));
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_ldd(void)
{
    char *ok[] = { "ldd", "/bin/ls", NULL };
    char *sys[] = { "ldd", "--sysroot", tpath("root"), tpath("root/usr/bin/prog"), NULL };
    char *missing[] = { "ldd", tpath("miss/prog"), NULL };
    char *none[] = { "ldd", NULL };
    char *badopt[] = { "ldd", "--frob", "/bin/ls", NULL };
    check(run_ldd(2, ok) == 0, "ldd /bin/ls: not 0");
    check(run_ldd(4, sys) == 2, "ldd --sysroot with a missing library: not 2");
    check(run_ldd(2, missing) == 2, "ldd missing: not 2");
    check(run_ldd(1, none) == 2, "ldd without a program: not 2");
    check(run_ldd(3, badopt) == 2, "ldd --frob: not 2");
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "%s/test_deps.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp)) {
        printf("FAIL mkdtemp\n");
        return 1;
    }
    if (access(host_interp, R_OK) != 0) printf("skip host glibc checks: no %s\n", host_interp);
    else {
        test_glibc_host();
        test_missing();
        test_loop_and_origin();
        test_bad_files();
    }
    test_musl_host();
    test_sysroot();
    test_ldd();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", tmp, tmp);
    if (system(cmd) != 0) printf("warning: could not remove %s\n", tmp);
    return failures ? 1 : 0;
}
