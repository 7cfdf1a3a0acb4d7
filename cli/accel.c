/* The probe runs as a child `pith run --accel kvm` of this same binary, so
 * it takes exactly the path a real run takes (image, machine, QEMU command
 * line); only the CPU model comes from the environment. */
#define _GNU_SOURCE
#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "embedded.h"
#include "kvm_error.h"

#define PROBE_TIMEOUT "20s"

/* ---- the cache key: this host, this QEMU, this kernel --------------------- */

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

/* The QEMU binary pith would run, as a path; identified by size and mtime. */
static uint64_t hash_qemu(uint64_t h)
{
    const char *q = getenv("PITH_QEMU");
    if (!q || !*q)
        q = "qemu-system-x86_64";
    h = fnv_str(h, q);
    char found[PATH_MAX] = "";
    if (strchr(q, '/')) {
        snprintf(found, sizeof found, "%s", q);
    } else {
        const char *path = getenv("PATH");
        for (const char *p = path ? path : ""; *p;) {
            const char *colon = strchrnul(p, ':');
            snprintf(found, sizeof found, "%.*s/%s", (int)(colon - p), p, q);
            if (access(found, X_OK) == 0)
                break;
            found[0] = '\0';
            p = *colon ? colon + 1 : colon;
        }
    }
    struct stat st;
    if (found[0] && stat(found, &st) == 0) {
        h = fnv(h, &st.st_size, sizeof st.st_size);
        h = fnv(h, &st.st_mtime, sizeof st.st_mtime);
    }
    return h;
}

/* The host: its kernel and its CPU as the kernel sees it. */
static uint64_t hash_host(uint64_t h)
{
    struct utsname u;
    if (uname(&u) == 0) {
        h = fnv_str(h, u.nodename);
        h = fnv_str(h, u.release);
        h = fnv_str(h, u.version);
    }
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[4096];
        int seen = 0;
        while (seen < 2 && fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10) || !strncmp(line, "flags", 5)) {
                h = fnv_str(h, line);
                seen++;
            }
        fclose(f);
    }
    return h;
}

static int cache_path(char *out, size_t outlen)
{
    const char *base = getenv("XDG_CACHE_HOME");
    char dir[PATH_MAX];
    if (base && *base)
        snprintf(dir, sizeof dir, "%s/pith", base);
    else if (getenv("HOME") && *getenv("HOME"))
        snprintf(dir, sizeof dir, "%s/.cache/pith", getenv("HOME"));
    else
        return -1;
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, pith_kernel_start, (size_t)(pith_kernel_end - pith_kernel_start));
    h = hash_qemu(h);
    h = hash_host(h);
    int n = snprintf(out, outlen, "%s/accel-%016llx", dir, (unsigned long long)h);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static void mkdir_parents(const char *file)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", file);
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(d, 0755);
            *p = '/';
        }
}

/* The cache holds one line: "kvm CPU-MODEL" or "tcg WHY". */
static int cache_read(const char *path, struct accel_choice *c)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[400];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    line[strcspn(line, "\n")] = '\0';
    if (!strncmp(line, "kvm ", 4) && line[4]) {
        c->kvm = 1;
        snprintf(c->cpu_model, sizeof c->cpu_model, "%.90s", line + 4);
        return 0;
    }
    if (!strncmp(line, "tcg ", 4) && line[4]) {
        c->kvm = 0;
        snprintf(c->why_not, sizeof c->why_not, "%.230s", line + 4);
        return 0;
    }
    return -1;
}

static void cache_write(const char *path, const struct accel_choice *c)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    mkdir_parents(path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;   /* no cache: the next run probes again */
    fprintf(f, "%s %s\n", c->kvm ? "kvm" : "tcg", c->kvm ? c->cpu_model : c->why_not);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        unlink(tmp);
}

/* ---- the probe -------------------------------------------------------------- */

struct probe_dir {
    char path[PATH_MAX - 32];
};

static int probe_dir_file(const struct probe_dir *d, const char *name, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%s", d->path, name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static void probe_dir_remove(const struct probe_dir *d)
{
    static const char *const names[] = { "accel_probe", "out", "err" };
    char f[PATH_MAX];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (probe_dir_file(d, names[i], f, sizeof f) == 0)
            unlink(f);
    rmdir(d->path);
}

static int write_probe_program(const char *path)
{
    size_t len = (size_t)(pith_probe_end - pith_probe_start);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, pith_probe_start, len);
    int bad = n != (ssize_t)len;
    return close(fd) != 0 || bad ? -1 : 0;
}

static void read_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* What the failed probe's output says, as a phrase. */
static void describe_failure(const char *out, const char *err, int status, char *why, size_t whylen)
{
    if (kvm_error_describe(err, why, whylen))
        return;
    const char *msr = strstr(err, "failed to set MSR");
    if (msr) {
        snprintf(why, whylen, "QEMU could not start the CPU under KVM: %.40s", msr);
        why[strcspn(why, "\n")] = '\0';
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
        snprintf(why, whylen, "the probe boot did not finish within " PROBE_TIMEOUT);
        return;
    }
    const char *said = strstr(out, "pith-probe failed: ");
    if (said) {
        snprintf(why, whylen, "the probe program failed: %s", said + 19);
        why[strcspn(why, "\r\n")] = '\0';
        return;
    }
    const char *line = *err ? err : "no output";
    snprintf(why, whylen, "the probe boot failed (%s %d): %s",
             WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
             line);
    why[strcspn(why, "\n")] = '\0';
}

/* One probe boot under KVM with cpu_model. 0 if the program ran to its end. */
static int probe_once(const struct probe_dir *d, const char *cpu_model, char *err_text, size_t errlen,
                      char *why, size_t whylen)
{
    char prog[PATH_MAX], out[PATH_MAX], err[PATH_MAX], self[PATH_MAX];
    probe_dir_file(d, "accel_probe", prog, sizeof prog);
    probe_dir_file(d, "out", out, sizeof out);
    probe_dir_file(d, "err", err, sizeof err);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(why, whylen, "cannot find pith itself: %s", strerror(errno));
        return -1;
    }
    self[n] = '\0';
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0)
            _exit(126);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        setenv(ACCEL_PROBE_CPU_ENV, cpu_model, 1);
        setenv("TMPDIR", d->path, 1);
        execl(self, self, "run", "--accel", "kvm", "--timeout", PROBE_TIMEOUT, prog, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    static char out_text[4096];
    read_file(out, out_text, sizeof out_text);
    read_file(err, err_text, errlen);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(out_text, "pith-probe ok"))
        return 0;
    describe_failure(out_text, err_text, status, why, whylen);
    return -1;
}

/* Features QEMU's "host" model asks for that some KVM hosts refuse; each is
 * dropped only when QEMU says so. */
static const struct { const char *complaint, *drop; } cpu_drops[] = {
    { "failed to set MSR 0x10a", ",-arch-capabilities" },
};

static void probe(struct accel_choice *c)
{
    struct probe_dir d;
    const char *tmp = getenv("TMPDIR");
    snprintf(d.path, sizeof d.path, "%s/pith-probe.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char prog[PATH_MAX];
    if (!mkdtemp(d.path) || probe_dir_file(&d, "accel_probe", prog, sizeof prog) != 0 ||
        write_probe_program(prog) != 0) {
        snprintf(c->why_not, sizeof c->why_not, "cannot write the probe program: %s", strerror(errno));
        probe_dir_remove(&d);
        return;
    }
    snprintf(c->cpu_model, sizeof c->cpu_model, "host");
    static char err_text[16384];
    for (;;) {
        if (probe_once(&d, c->cpu_model, err_text, sizeof err_text, c->why_not, sizeof c->why_not) == 0) {
            c->kvm = 1;
            c->why_not[0] = '\0';
            break;
        }
        size_t i;
        for (i = 0; i < sizeof cpu_drops / sizeof cpu_drops[0]; i++)
            if (strstr(err_text, cpu_drops[i].complaint) && !strstr(c->cpu_model, cpu_drops[i].drop))
                break;
        if (i == sizeof cpu_drops / sizeof cpu_drops[0] ||
            strlen(c->cpu_model) + strlen(cpu_drops[i].drop) >= sizeof c->cpu_model)
            break;
        strcat(c->cpu_model, cpu_drops[i].drop);
    }
    probe_dir_remove(&d);
}

/* ---- the choice ------------------------------------------------------------- */

static void verdict(struct accel_choice *c)
{
    char path[PATH_MAX];
    int cacheable = cache_path(path, sizeof path) == 0;
    if (cacheable && cache_read(path, c) == 0)
        return;
    probe(c);
    if (cacheable)
        cache_write(path, c);
}

int accel_choose(enum accel_mode want, struct accel_choice *out)
{
    memset(out, 0, sizeof *out);
    if (want == ACCEL_TCG)
        return 0;
    if (!qemu_kvm_present()) {
        if (want == ACCEL_KVM) {
            fprintf(stderr, "pith: --accel kvm: /dev/kvm cannot be opened: %s\n", strerror(errno));
            return 2;
        }
        return 0;
    }
    verdict(out);
    if (out->kvm)
        return 0;
    if (want == ACCEL_KVM) {
        fprintf(stderr, "pith: --accel kvm: KVM cannot run Pith on this host: %s\n", out->why_not);
        return 2;
    }
    fprintf(stderr, "pith: KVM cannot run Pith on this host (%s); running under TCG (--accel tcg silences this)\n",
            out->why_not);
    return 0;
}

int accel_report(void)
{
    struct accel_choice c;
    memset(&c, 0, sizeof c);
    if (!qemu_kvm_present()) {
        printf("tcg (no usable /dev/kvm: %s)\n", strerror(errno));
        return 0;
    }
    verdict(&c);
    if (c.kvm)
        printf("kvm (cpu %s)\n", c.cpu_model);
    else
        printf("tcg (KVM cannot run Pith on this host: %s)\n", c.why_not);
    return 0;
}
