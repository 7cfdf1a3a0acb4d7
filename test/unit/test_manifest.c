/* Manifest parsing and building: a full good manifest, quoting, path
 * normalisation, and every error with its FILE:LINE:COL. */
#include "../../cli/host_heap.h"
#include "../../cli/manifest.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char err[1024];

static struct manifest *parse(const char *text, const char *base)
{
    struct manifest *m = NULL;
    err[0] = 0;
    int rc = manifest_parse(host_heap(), text, strlen(text), "t.m", base, &m, err, sizeof(err));
    if (rc) return NULL;
    return m;
}

static const struct manifest_entry *entry(const struct manifest *m, const char *guest)
{
    for (size_t i = 0; i < m->nentries; i++)
        if (strcmp(m->entries[i].guest, guest) == 0) return &m->entries[i];
    return NULL;
}

static void test_good(void)
{
    const char *text =
        "# a comment\n"
        "\n"
        "program /bin/busybox   # trailing comment\n"
        "arg busybox\n"
        "arg \"two words\"\n"
        "arg \"q\\\"uote\\\\back\\nnl\\ttab\"\n"
        "arg \"\"\n"
        "arg a#b\n"
        "env PATH=/bin:/usr/bin\n"
        "env GREETING=\"hello world\"\n"
        "file /bin/busybox bb\n"
        "file //etc///passwd /abs/passwd mode 0600\n"
        "tree /srv www\n"
        "dir /tmp mode 1777\n"
        "dir /var/empty\n"
        "symlink /bin/sh busybox\n"
        "\toption   trace\r\n"
        "size 64M\n";
    struct manifest *m = parse(text, "/base");
    CHECK(m != NULL, "good manifest: %s", err);
    if (!m) return;
    CHECK(m->program && strcmp(m->program, "/bin/busybox") == 0, "program");
    CHECK(m->argc == 5, "argc %zu", m->argc);
    if (m->argc == 5) {
        CHECK(strcmp(m->argv[0], "busybox") == 0, "argv0");
        CHECK(strcmp(m->argv[1], "two words") == 0, "argv1 %s", m->argv[1]);
        CHECK(strcmp(m->argv[2], "q\"uote\\back\nnl\ttab") == 0, "escapes: %s", m->argv[2]);
        CHECK(strcmp(m->argv[3], "") == 0, "empty arg");
        CHECK(strcmp(m->argv[4], "a#b") == 0, "# inside a token");
    }
    CHECK(m->envc == 2 && strcmp(m->envp[1], "GREETING=hello world") == 0, "env quoting");
    const struct manifest_entry *e = entry(m, "/bin/busybox");
    CHECK(e && e->kind == MANIFEST_FILE && strcmp(e->source, "/base/bb") == 0 && !e->has_mode && e->line == 11,
          "file entry");
    e = entry(m, "/etc/passwd");
    CHECK(e && strcmp(e->source, "/abs/passwd") == 0 && e->has_mode && e->mode == 0600, "normalised path, mode");
    e = entry(m, "/srv");
    CHECK(e && e->kind == MANIFEST_TREE && strcmp(e->source, "/base/www") == 0, "tree");
    e = entry(m, "/tmp");
    CHECK(e && e->kind == MANIFEST_DIR && e->mode == 01777 && e->has_mode, "dir mode");
    e = entry(m, "/var/empty");
    CHECK(e && e->kind == MANIFEST_DIR && !e->has_mode, "dir default mode");
    e = entry(m, "/bin/sh");
    CHECK(e && e->kind == MANIFEST_SYMLINK && strcmp(e->source, "busybox") == 0, "symlink");
    CHECK(m->flags == MANIFEST_FLAG_TRACE, "option trace");
    CHECK(m->min_size == 64ull << 20, "size");
    manifest_free(m);

    m = parse("size 3G\n", NULL);
    CHECK(m && m->min_size == 3ull << 30, "size G");
    manifest_free(m);
    m = parse("size 4096", NULL);
    CHECK(m && m->min_size == 4096, "size without suffix or newline");
    manifest_free(m);
    m = parse("file /a rel/x\n", NULL);
    CHECK(m && strcmp(m->entries[0].source, "rel/x") == 0, "no base dir keeps relative host paths");
    manifest_free(m);
    m = parse("", NULL);
    CHECK(m && m->nentries == 0 && !m->program && !m->core_path, "empty manifest (core: the default)");
    manifest_free(m);
    m = parse("core //var/crash//app.core\n", NULL);
    CHECK(m && m->core_path && strcmp(m->core_path, "/var/crash/app.core") == 0, "core path normalised");
    manifest_free(m);
    m = parse("option no-wx\noption readonly-program\noption exec-protection\n", NULL);
    CHECK(m && m->flags == (MANIFEST_FLAG_NO_WX | MANIFEST_FLAG_READONLY_PROGRAM | MANIFEST_FLAG_EXEC_PROTECTION),
          "the mitigation options");
    manifest_free(m);
    m = parse("core none\ncore off\n", NULL);
    CHECK(m && m->core_path && !m->core_path[0], "core none/off: empty path, no core files");
    manifest_free(m);
}

static void expect_error(const char *text, const char *want)
{
    struct manifest *m = parse(text, NULL);
    CHECK(!m && strcmp(err, want) == 0, "for %s\n  got  '%s'\n  want '%s'", text, err, want);
    manifest_free(m);
}

static void test_errors(void)
{
    expect_error("frobnicate /x\n", "t.m:1:1: unknown directive 'frobnicate'");
    expect_error("# c\n  file /a\n", "t.m:2:10: file: missing argument");
    expect_error("program\n", "t.m:1:8: program: missing argument");
    expect_error("dir /a mode 8\n", "t.m:1:13: bad mode '8' (want octal 0..7777)");
    expect_error("dir /a mode 17777\n", "t.m:1:13: bad mode '17777' (want octal 0..7777)");
    expect_error("dir /a mode\n", "t.m:1:12: mode: missing argument");
    expect_error("dir /a perms 644\n", "t.m:1:8: dir: unexpected argument 'perms'");
    /* A quoted token's newline and control bytes come back escaped: one line. */
    expect_error("arg a \"x\\ny\\t\033\"\n", "t.m:1:7: arg: unexpected argument 'x\\ny\\t\\x1b'");
    expect_error("file a host\n", "t.m:1:6: a: relative guest path (must start with '/')");
    expect_error("dir /a\n\ndir /a/\n", "t.m:3:5: duplicate path /a (also on line 1)");
    expect_error("arg \"abc\n", "t.m:1:5: unterminated string");
    expect_error("arg \"a\\qb\"\n", "t.m:1:7: unknown escape '\\q'");
    expect_error("size 12X\n", "t.m:1:6: bad size '12X' (want N, NK, NM or NG)");
    expect_error("size 0\n", "t.m:1:6: bad size '0' (want N, NK, NM or NG)");
    expect_error("size 99999999999999999999\n", "t.m:1:6: bad size '99999999999999999999' (want N, NK, NM or NG)");
    expect_error("option foo\n", "t.m:1:8: unknown option 'foo'");
    expect_error("core crash\n", "t.m:1:6: core crash: relative guest path (must start with '/')");
    expect_error("core /\n", "t.m:1:6: core /: not a file name");
    expect_error("core\n", "t.m:1:5: core: missing argument");
    expect_error("symlink /a b c\n", "t.m:1:14: symlink: unexpected argument 'c'");
    expect_error("env NOEQUALS\n", "t.m:1:5: environment entry 'NOEQUALS' is not KEY=VALUE");
    expect_error("env =x\n", "t.m:1:5: environment entry '=x' is not KEY=VALUE");
    expect_error("dir /a/../b\n", "t.m:1:5: /a/../b: '.' or '..' in guest path");
    expect_error("file / x\n", "t.m:1:6: / must be a directory");
    expect_error("program bin/x\n", "t.m:1:9: program bin/x: relative guest path (must start with '/')");
    expect_error("symlink /l \"\"\n", "t.m:1:9: /l: empty symlink target");
    expect_error("arg a b c d e f g h i\n", "t.m:1:19: too many arguments");
}

static void test_building(void)
{
    struct manifest *m = manifest_new(host_heap());
    CHECK(manifest_set_program(m, "//bin//x/", err, sizeof(err)) == 0 && strcmp(m->program, "/bin/x") == 0,
          "program normalised");
    CHECK(manifest_set_program(m, "x", err, sizeof(err)) == -EINVAL && strstr(err, "relative"), "relative program");
    CHECK(manifest_add_file(m, "/a", "/h/a", 0755, err, sizeof(err)) == 0, "add file");
    CHECK(manifest_add_file(m, "/a", "/h/b", MANIFEST_MODE_FROM_HOST, err, sizeof(err)) == -EINVAL &&
              strcmp(err, "duplicate path /a") == 0, "duplicate: %s", err);
    CHECK(manifest_add_file(m, "/b", "/h/b", 010000, err, sizeof(err)) == -EINVAL, "bad mode");
    CHECK(manifest_add_dir(m, "/", 0700, err, sizeof(err)) == 0, "dir / allowed");
    CHECK(manifest_add_symlink(m, "/", "x", err, sizeof(err)) == -EINVAL, "symlink / rejected");
    CHECK(manifest_add_tree(m, "/t", "/h/t", err, sizeof(err)) == 0 && m->entries[m->nentries - 1].kind == MANIFEST_TREE, "tree");
    CHECK(manifest_add_arg(m, "x y", err, sizeof(err)) == 0 && manifest_add_env(m, "A=", err, sizeof(err)) == 0, "arg env");
    manifest_set_flags(m, MANIFEST_FLAG_TRACE);
    manifest_set_min_size(m, 1 << 20);
    CHECK(m->flags == 1 && m->min_size == 1 << 20 && m->argc == 1 && m->envc == 1 && m->nentries == 3, "fields");
    manifest_free(m);

    char out[64];
    CHECK(manifest_normalize_path("/", out, sizeof(out)) == NULL && strcmp(out, "/") == 0, "normalise /");
    CHECK(manifest_normalize_path("///", out, sizeof(out)) == NULL && strcmp(out, "/") == 0, "normalise ///");
    CHECK(manifest_normalize_path("/a/./b", out, sizeof(out)) != NULL, "reject .");
    CHECK(manifest_normalize_path("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof(out)) != NULL,
          "too long for the buffer");
}

static void test_load_file(void)
{
    char dir[] = "/tmp/test_manifest.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char path[128];
    snprintf(path, sizeof(path), "%s/m.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("program /p\nfile /p prog\n", f);
    fclose(f);
    struct manifest *m = NULL;
    int rc = manifest_load_file(host_heap(), path, &m, err, sizeof(err));
    char want[160];
    snprintf(want, sizeof(want), "%s/prog", dir);
    CHECK(rc == 0 && m && strcmp(m->entries[0].source, want) == 0, "host paths relative to the manifest: %s", err);
    manifest_free(m);
    f = fopen(path, "w");
    fputs("program /p\nbogus\n", f);
    fclose(f);
    rc = manifest_load_file(host_heap(), path, &m, err, sizeof(err));
    snprintf(want, sizeof(want), "%s:2:1: unknown directive 'bogus'", path);
    CHECK(rc == -EINVAL && strcmp(err, want) == 0, "file error position: %s", err);
    unlink(path);
    rc = manifest_load_file(host_heap(), path, &m, err, sizeof(err));
    CHECK(rc == -ENOENT && strstr(err, "No such file"), "missing manifest: %s", err);
    rmdir(dir);
}

static void test_mounts(void)
{
    struct manifest *m = parse("program /p\nfile /p /bin/true\nmount /data vol.img\nmount /srv/x /abs/v\n", "/base");
    CHECK(m && m->mountc == 4, "two mounts recorded (%zu strings)", m ? m->mountc : 0);
    if (m && m->mountc == 4) {
        CHECK(!strcmp(m->mounts[0], "/data") && !strcmp(m->mounts[1], "/base/vol.img"), "relative volume path: %s", m->mounts[1]);
        CHECK(!strcmp(m->mounts[2], "/srv/x") && !strcmp(m->mounts[3], "/abs/v"), "absolute volume path");
    }
    manifest_free(m);
    CHECK(!parse("program /p\nmount / v\n", NULL) && strstr(err, "over /"), "mount over / refused: %s", err);
    CHECK(!parse("program /p\nmount /d v\nmount /d/ w\n", NULL) && strstr(err, "two volumes"), "same mount point: %s", err);
}

/* "net SETTING [VALUE]": lines of the boot config's network settings,
 * checked with the kernel's parser, errors at the manifest line at fault. */
static void test_net(void)
{
    struct manifest *m = parse("program /p\nnet ip 10.0.2.15/24\n# gateway\nnet gateway 10.0.2.2\nnet dns 10.0.2.3\n"
                               "net hostname web\n", NULL);
    CHECK(m && m->net && !strcmp(m->net, "ip 10.0.2.15/24\ngateway 10.0.2.2\ndns 10.0.2.3\nhostname web\n"),
          "net lines collected: %s", m && m->net ? m->net : err);
    manifest_free(m);
    m = parse("net gateway 10.0.2.2\nnet ip 10.0.2.15/24\n", NULL);
    CHECK(m && m->net, "a gateway may come before its ip: %s", err);
    manifest_free(m);
    m = parse("net dhcp\n", NULL);
    CHECK(m && m->net && !strcmp(m->net, "dhcp\n"), "net dhcp: %s", err);
    manifest_free(m);
    m = parse("program /p\n", NULL);
    CHECK(m && !m->net, "no net lines: no settings");
    manifest_free(m);
    expect_error("net ip 10.0.2.300/24\n", "t.m:1:5: not an IPv4 address: '10.0.2.300'");
    expect_error("net\n", "t.m:1:4: net: missing argument");
    expect_error("net ip 10.0.2.15/24 x\n", "t.m:1:21: net: unexpected argument 'x'");
    expect_error("net colour blue\n", "t.m:1:5: unknown setting (known: dhcp, ip, gateway, ip6, gateway6, dns, hostname): 'colour'");
    expect_error("net ip 10.0.2.15/24\n\nnet ip 10.0.2.16/24\n", "t.m:3:1: net: a second ip '10.0.2.16/24'");
    expect_error("net gateway 10.0.2.2\nprogram /p\n", "t.m:1:1: net: gateway needs a static ip (with DHCP the server gives the route)");
    expect_error("net ip 10.0.2.15/24\nnet gateway 10.1.2.2\n", "t.m:2:1: net: gateway is outside the ip's subnet");
    /* The CLI sets the whole text at once. */
    m = manifest_new(host_heap());
    CHECK(manifest_set_net(m, "ip 10.0.2.15/24\ndns 1.1.1.1\n", err, sizeof err) == 0 && m->net, "set: %s", err);
    CHECK(manifest_set_net(m, "ip 10.0.2.15/24\nbogus\n", err, sizeof err) == -EINVAL &&
              !strcmp(err, "network settings: line 2: unknown setting (known: dhcp, ip, gateway, ip6, gateway6, dns, hostname): 'bogus'") &&
              !strcmp(m->net, "ip 10.0.2.15/24\ndns 1.1.1.1\n"),
          "a bad set keeps the old text: %s", err);
    manifest_free(m);
}

int main(void)
{
    test_net();
    test_mounts();
    test_good();
    test_errors();
    test_building();
    test_load_file();
    if (failures) {
        printf("test_manifest: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_manifest: %d checks ok\n", checks);
    return 0;
}
