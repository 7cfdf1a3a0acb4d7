/* Manifest text parsing and in-memory building. See manifest.h and
 * docs/manifest.md. */
#include "manifest.h"
#include "hardening_opts.h"
#include "escape.h"
#include "../klib/path.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUEST_PATH_MAX 4096
#define MANIFEST_FILE_MAX (16u << 20)

/* ---- memory ---- */

static char *copy_str(struct heap *h, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = allocate(h, n);
    if (p) memcpy(p, s, n);
    return p;
}

static void free_str(struct heap *h, char *s)
{
    if (s) deallocate(h, s, strlen(s) + 1);
}

/* Grow *arr (elements of `size` bytes) so one more fits. */
static bool grow(struct heap *h, void **arr, size_t *cap, size_t used, size_t size)
{
    if (used < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *n = allocate(h, ncap * size);
    if (!n) return false;
    if (used) memcpy(n, *arr, used * size);
    deallocate(h, *arr, *cap * size);
    *arr = n;
    *cap = ncap;
    return true;
}

struct manifest *manifest_new(struct heap *h)
{
    struct manifest *m = allocate_zero(h, sizeof(*m));
    if (m) m->heap = h;
    return m;
}

void manifest_free(struct manifest *m)
{
    if (!m) return;
    struct heap *h = m->heap;
    free_str(h, m->program);
    for (size_t i = 0; i < m->argc; i++) free_str(h, m->argv[i]);
    for (size_t i = 0; i < m->envc; i++) free_str(h, m->envp[i]);
    for (size_t i = 0; i < m->mountc; i++) free_str(h, m->mounts[i]);
    free_str(h, m->core_path);
    free_str(h, m->net);
    free_str(h, m->kernel_options);
    for (size_t i = 0; i < m->nentries; i++) {
        free_str(h, m->entries[i].guest);
        free_str(h, m->entries[i].source);
    }
    deallocate(h, m->argv, m->argv_cap * sizeof(char *));
    deallocate(h, m->envp, m->envp_cap * sizeof(char *));
    deallocate(h, m->mounts, m->mounts_cap * sizeof(char *));
    deallocate(h, m->entries, m->entries_cap * sizeof(struct manifest_entry));
    deallocate(h, m, sizeof(*m));
}

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

/* ---- paths ---- */

const char *manifest_normalize_path(const char *in, char *out, size_t outlen)
{
    if (in[0] != '/') return "relative guest path (must start with '/')";
    /* A manifest names paths exactly: no "." or ".." to fold away. */
    const char *p = in, *s;
    size_t n;
    while ((s = path_component(&p, &n))) {
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return "'.' or '..' in guest path";
        if (n > 255) return "guest path component longer than 255 bytes";
    }
    return path_normalize(in, out, outlen) == 0 ? NULL : "guest path too long";
}

/* ---- building ---- */

int manifest_set_program(struct manifest *m, const char *guest_path, char *err, size_t errlen)
{
    char norm[GUEST_PATH_MAX];
    const char *why = manifest_normalize_path(guest_path, norm, sizeof(norm));
    if (why) {
        snprintf(err, errlen, "program %s: %s", guest_path, why);
        return -EINVAL;
    }
    if (strcmp(norm, "/") == 0) {
        snprintf(err, errlen, "program cannot be /");
        return -EINVAL;
    }
    char *p = copy_str(m->heap, norm);
    if (!p) return oom(err, errlen);
    free_str(m->heap, m->program);
    m->program = p;
    return 0;
}

int manifest_set_core(struct manifest *m, const char *path, char *err, size_t errlen)
{
    char norm[GUEST_PATH_MAX] = "";
    if (strcmp(path, "none") != 0 && strcmp(path, "off") != 0) {
        const char *why = manifest_normalize_path(path, norm, sizeof(norm));
        if (!why && strcmp(norm, "/") == 0) why = "not a file name";
        if (why) {
            snprintf(err, errlen, "core %s: %s", path, why);
            return -EINVAL;
        }
    }
    char *c = copy_str(m->heap, norm);
    if (!c) return oom(err, errlen);
    free_str(m->heap, m->core_path);
    m->core_path = c;
    return 0;
}

int manifest_set_kernel_options(struct manifest *m, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    char *text = allocate(m->heap, klen + vlen + 1);
    if (!text) return -ENOMEM;
    memcpy(text, key, klen);
    memcpy(text + klen, value, vlen + 1);
    free_str(m->heap, m->kernel_options);
    m->kernel_options = text;
    return 0;
}

static int push_string(struct manifest *m, char ***arr, size_t *n, size_t *cap, const char *s, char *err, size_t errlen)
{
    char *c = copy_str(m->heap, s);
    if (!c || !grow(m->heap, (void **)arr, cap, *n, sizeof(char *))) {
        free_str(m->heap, c);
        return oom(err, errlen);
    }
    (*arr)[(*n)++] = c;
    return 0;
}

int manifest_add_arg(struct manifest *m, const char *arg, char *err, size_t errlen)
{
    return push_string(m, &m->argv, &m->argc, &m->argv_cap, arg, err, errlen);
}

int manifest_add_mount(struct manifest *m, const char *guest_path, const char *host_volume, char *err, size_t errlen)
{
    char norm[GUEST_PATH_MAX];
    const char *why = manifest_normalize_path(guest_path, norm, sizeof(norm));
    if (why || strcmp(norm, "/") == 0) {
        snprintf(err, errlen, "%s: %s", guest_path, why ? why : "cannot mount a volume over /");
        return -EINVAL;
    }
    for (size_t i = 0; i < m->mountc; i += 2)
        if (strcmp(m->mounts[i], norm) == 0) {
            snprintf(err, errlen, "%s: two volumes at one mount point", norm);
            return -EEXIST;
        }
    if (m->mountc / 2 >= 8) {
        snprintf(err, errlen, "%s: too many volumes (at most 8)", norm);
        return -E2BIG;
    }
    int rc = push_string(m, &m->mounts, &m->mountc, &m->mounts_cap, norm, err, errlen);
    if (!rc) rc = push_string(m, &m->mounts, &m->mountc, &m->mounts_cap, host_volume, err, errlen);
    return rc;
}

int manifest_add_env(struct manifest *m, const char *kv, char *err, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(err, errlen, "environment entry '%s' is not KEY=VALUE", kv);
        return -EINVAL;
    }
    return push_string(m, &m->envp, &m->envc, &m->envp_cap, kv, err, errlen);
}

static int add_entry(struct manifest *m, enum manifest_kind kind, const char *guest, const char *source,
                     uint32_t mode, int line, char *err, size_t errlen)
{
    char norm[GUEST_PATH_MAX];
    const char *why = manifest_normalize_path(guest, norm, sizeof(norm));
    if (why) {
        snprintf(err, errlen, "%s: %s", guest, why);
        return -EINVAL;
    }
    if (strcmp(norm, "/") == 0 && (kind == MANIFEST_FILE || kind == MANIFEST_SYMLINK)) {
        snprintf(err, errlen, "/ must be a directory");
        return -EINVAL;
    }
    if (mode != MANIFEST_MODE_FROM_HOST && mode > 07777) {
        snprintf(err, errlen, "%s: bad mode 0%o", norm, mode);
        return -EINVAL;
    }
    if (source && !source[0]) {
        snprintf(err, errlen, "%s: empty %s", norm, kind == MANIFEST_SYMLINK ? "symlink target" : "host path");
        return -EINVAL;
    }
    if (kind == MANIFEST_SYMLINK && strlen(source) > 4095) {
        snprintf(err, errlen, "%s: symlink target too long", norm);
        return -EINVAL;
    }
    for (size_t i = 0; i < m->nentries; i++) {
        if (strcmp(m->entries[i].guest, norm) != 0) continue;
        if (m->entries[i].line)
            snprintf(err, errlen, "duplicate path %s (also on line %d)", norm, m->entries[i].line);
        else
            snprintf(err, errlen, "duplicate path %s", norm);
        return -EINVAL;
    }
    if (!grow(m->heap, (void **)&m->entries, &m->entries_cap, m->nentries, sizeof(*m->entries)))
        return oom(err, errlen);
    struct manifest_entry *e = &m->entries[m->nentries];
    *e = (struct manifest_entry){ .kind = kind, .line = line };
    e->guest = copy_str(m->heap, norm);
    e->source = source ? copy_str(m->heap, source) : NULL;
    if (!e->guest || (source && !e->source)) {
        free_str(m->heap, e->guest);
        free_str(m->heap, e->source);
        return oom(err, errlen);
    }
    e->has_mode = mode != MANIFEST_MODE_FROM_HOST;
    e->mode = e->has_mode ? mode : 0;
    m->nentries++;
    return 0;
}

int manifest_add_file(struct manifest *m, const char *guest, const char *host, uint32_t mode, char *err, size_t errlen)
{
    return add_entry(m, MANIFEST_FILE, guest, host, mode, 0, err, errlen);
}

int manifest_add_tree(struct manifest *m, const char *guest, const char *host_dir, char *err, size_t errlen)
{
    return add_entry(m, MANIFEST_TREE, guest, host_dir, MANIFEST_MODE_FROM_HOST, 0, err, errlen);
}

int manifest_add_dir(struct manifest *m, const char *guest, uint32_t mode, char *err, size_t errlen)
{
    return add_entry(m, MANIFEST_DIR, guest, NULL, mode, 0, err, errlen);
}

int manifest_add_symlink(struct manifest *m, const char *guest, const char *target, char *err, size_t errlen)
{
    return add_entry(m, MANIFEST_SYMLINK, guest, target, MANIFEST_MODE_FROM_HOST, 0, err, errlen);
}

void manifest_set_flags(struct manifest *m, uint32_t flags) { m->flags = flags; }
void manifest_set_min_size(struct manifest *m, uint64_t bytes) { m->min_size = bytes; }

/* ---- text parsing ---- */

#define MAX_TOKENS 8
#define TOKEN_MAX 8192

struct token {
    int col;                 /* 1-based column of the first character */
    char text[TOKEN_MAX];
};

#define MANIFEST_NET_LINES_MAX 32

struct parser {
    struct manifest *m;
    const char *filename, *base_dir;
    int line;
    char *err;
    size_t errlen;
    struct token tok[MAX_TOKENS];
    int ntok;
    int end_col;             /* column just past the last token */
    int net_line[MANIFEST_NET_LINES_MAX];   /* the manifest line of each net line */
    int nnet;
};

static int perr(struct parser *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(struct parser *p, int col, const char *fmt, ...)
{
    char msg[512], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "%s:%d:%d: %s", p->filename, p->line, col, msg);
    escape_controls(p->err, p->errlen, line);   /* a quoted token may hold a newline */
    return -EINVAL;
}

/* Split one line into tokens: runs of bare characters and "quoted" parts
 * (escapes \" \\ \n \t) up to whitespace; '#' at a token start ends the line. */
static int tokenize(struct parser *p, const char *s, size_t len)
{
    size_t i = 0;
    p->ntok = 0;
    p->end_col = 1;
    for (;;) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) i++;
        if (i == len || s[i] == '#') return 0;
        if (p->ntok == MAX_TOKENS) return perr(p, (int)i + 1, "too many arguments");
        struct token *t = &p->tok[p->ntok];
        t->col = (int)i + 1;
        size_t o = 0;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            char c = s[i];
            if (c == '"') {
                size_t qstart = i++;
                for (;;) {
                    if (i == len) return perr(p, (int)qstart + 1, "unterminated string");
                    c = s[i];
                    if (c == '"') {
                        i++;
                        break;
                    }
                    if (c == '\\') {
                        if (i + 1 == len) return perr(p, (int)qstart + 1, "unterminated string");
                        char e = s[i + 1];
                        if (e == 'n') c = '\n';
                        else if (e == 't') c = '\t';
                        else if (e == '"' || e == '\\') c = e;
                        else return perr(p, (int)i + 1, "unknown escape '\\%c'", e);
                        i++;
                    }
                    if (c == 0) return perr(p, (int)i + 1, "NUL byte in string");
                    if (o + 1 >= TOKEN_MAX) return perr(p, t->col, "argument too long");
                    t->text[o++] = c;
                    i++;
                }
            } else {
                if (c == 0) return perr(p, (int)i + 1, "NUL byte in manifest");
                if (o + 1 >= TOKEN_MAX) return perr(p, t->col, "argument too long");
                t->text[o++] = c;
                i++;
            }
        }
        t->text[o] = 0;
        p->ntok++;
        p->end_col = (int)i + 1;
    }
}

static bool parse_octal(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '7') return false;
        v = v * 8 + (uint32_t)(*s - '0');
        if (v > 07777) return false;
    }
    *out = v;
    return true;
}

static bool parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s < '0' || *s > '9') return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    unsigned shift = 0;
    if (*s) {
        switch (*s) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        case 'T': case 't': shift = 40; break;
        default: return false;
        }
        if (s[1]) return false;
    }
    if (v == 0 || v > (UINT64_MAX >> shift)) return false;
    *out = v << shift;
    return true;
}

/* Join a relative host path onto the manifest's directory. */
static const char *host_path(struct parser *p, const char *path, char *buf, size_t len)
{
    if (path[0] == '/' || !p->base_dir || !p->base_dir[0] || strcmp(p->base_dir, ".") == 0) return path;
    if ((size_t)snprintf(buf, len, "%s/%s", p->base_dir, path) >= len) return path;
    return buf;
}

/* Expect exactly `min`..`max` tokens after the directive. */
static int want_args(struct parser *p, int min, int max)
{
    if (p->ntok - 1 < min) return perr(p, p->end_col, "%s: missing argument", p->tok[0].text);
    if (p->ntok - 1 > max) return perr(p, p->tok[max + 1].col, "%s: unexpected argument '%s'", p->tok[0].text, p->tok[max + 1].text);
    return 0;
}

/* Run a builder call; on failure put the position in front of its message. */
static int wrap(struct parser *p, int col, int rc)
{
    if (!rc) return 0;
    if (rc == -ENOMEM) return rc;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", p->err);
    perr(p, col, "%s", msg);
    return rc;
}

/* "mode OCTAL" at tok[i], i+1 (optional). */
static int optional_mode(struct parser *p, int i, uint32_t *mode)
{
    *mode = MANIFEST_MODE_FROM_HOST;
    if (p->ntok <= i) return 0;
    if (strcmp(p->tok[i].text, "mode") != 0)
        return perr(p, p->tok[i].col, "%s: unexpected argument '%s'", p->tok[0].text, p->tok[i].text);
    if (p->ntok == i + 1) return perr(p, p->end_col, "mode: missing argument");
    if (!parse_octal(p->tok[i + 1].text, mode)) return perr(p, p->tok[i + 1].col, "bad mode '%s' (want octal 0..7777)", p->tok[i + 1].text);
    return 0;
}

static int parse_directive(struct parser *p)
{
    struct manifest *m = p->m;
    const char *d = p->tok[0].text;
    struct token *a = &p->tok[1], *b = &p->tok[2];
    char buf[GUEST_PATH_MAX + 4096];
    int rc;
    uint32_t mode;
    if (strcmp(d, "program") == 0) {
        if ((rc = want_args(p, 1, 1))) return rc;
        return wrap(p, a->col, manifest_set_program(m, a->text, p->err, p->errlen));
    }
    if (strcmp(d, "arg") == 0) {
        if ((rc = want_args(p, 1, 1))) return rc;
        return wrap(p, a->col, manifest_add_arg(m, a->text, p->err, p->errlen));
    }
    if (strcmp(d, "env") == 0) {
        if ((rc = want_args(p, 1, 1))) return rc;
        return wrap(p, a->col, manifest_add_env(m, a->text, p->err, p->errlen));
    }
    if (strcmp(d, "file") == 0) {
        if ((rc = want_args(p, 2, 4)) || (rc = optional_mode(p, 3, &mode))) return rc;
        const char *h = host_path(p, b->text, buf, sizeof(buf));
        return wrap(p, a->col, add_entry(m, MANIFEST_FILE, a->text, h, mode, p->line, p->err, p->errlen));
    }
    if (strcmp(d, "mount") == 0) {
        if ((rc = want_args(p, 2, 2))) return rc;
        const char *h = host_path(p, b->text, buf, sizeof(buf));
        return wrap(p, a->col, manifest_add_mount(m, a->text, h, p->err, p->errlen));
    }
    if (strcmp(d, "tree") == 0) {
        if ((rc = want_args(p, 2, 2))) return rc;
        const char *h = host_path(p, b->text, buf, sizeof(buf));
        return wrap(p, a->col, add_entry(m, MANIFEST_TREE, a->text, h, MANIFEST_MODE_FROM_HOST, p->line, p->err, p->errlen));
    }
    if (strcmp(d, "dir") == 0) {
        if ((rc = want_args(p, 1, 3)) || (rc = optional_mode(p, 2, &mode))) return rc;
        return wrap(p, a->col, add_entry(m, MANIFEST_DIR, a->text, NULL, mode, p->line, p->err, p->errlen));
    }
    if (strcmp(d, "symlink") == 0) {
        if ((rc = want_args(p, 2, 2))) return rc;
        return wrap(p, a->col, add_entry(m, MANIFEST_SYMLINK, a->text, b->text, MANIFEST_MODE_FROM_HOST, p->line, p->err, p->errlen));
    }
    if (strcmp(d, "option") == 0) {
        if ((rc = want_args(p, 1, 1))) return rc;
        if (strcmp(a->text, "trace") == 0) {
            m->flags |= MANIFEST_FLAG_TRACE;
            return 0;
        }
        if (strcmp(a->text, "readonly") == 0) {
            m->flags |= MANIFEST_FLAG_READONLY;
            return 0;
        }
        if (hardening_option_flag(a->text)) {
            m->flags |= hardening_option_flag(a->text);
            return 0;
        }
        return perr(p, a->col, "unknown option '%s'", a->text);
    }
    if (strcmp(d, "core") == 0) {
        if ((rc = want_args(p, 1, 1))) return rc;
        return wrap(p, a->col, manifest_set_core(m, a->text, p->err, p->errlen));
    }
    if (strcmp(d, "net") == 0) {
        if ((rc = want_args(p, 1, 2))) return rc;
        if (p->nnet == MANIFEST_NET_LINES_MAX) return perr(p, p->tok[0].col, "net: at most %d lines", MANIFEST_NET_LINES_MAX);
        size_t al = strlen(a->text), bl = p->ntok > 2 ? strlen(b->text) : 0;
        if (al + 1 + bl >= sizeof(buf)) return perr(p, a->col, "net: line too long");
        memcpy(buf, a->text, al);
        buf[al] = ' ';
        memcpy(buf + al + 1, p->ntok > 2 ? b->text : "", bl + 1);
        if (!bl) buf[al] = 0;
        p->net_line[p->nnet++] = p->line;
        return wrap(p, a->col, manifest_add_net(m, buf, p->err, p->errlen));
    }
    if (strcmp(d, "size") == 0) {
        if ((rc = want_args(p, 1, 1))) return rc;
        if (!parse_size(a->text, &m->min_size)) return perr(p, a->col, "bad size '%s' (want N, NK, NM or NG)", a->text);
        return 0;
    }
    return perr(p, p->tok[0].col, "unknown directive '%s'", d);
}

int manifest_parse(struct heap *h, const char *text, size_t len, const char *filename, const char *base_dir,
                   struct manifest **out, char *err, size_t errlen)
{
    *out = NULL;
    struct manifest *m = manifest_new(h);
    if (!m) return oom(err, errlen);
    /* The token buffers are large; keep them off the stack. */
    struct parser *p = allocate_zero(h, sizeof(*p));
    if (!p) {
        manifest_free(m);
        return oom(err, errlen);
    }
    *p = (struct parser){ .m = m, .filename = filename, .base_dir = base_dir, .err = err, .errlen = errlen };
    int rc = 0;
    size_t i = 0;
    while (i < len && !rc) {
        size_t s = i;
        while (i < len && text[i] != '\n') i++;
        p->line++;
        rc = tokenize(p, text + s, i - s);
        if (!rc && p->ntok) rc = parse_directive(p);
        if (i < len) i++;   /* the newline */
    }
    int bad_net;
    if (!rc && m->net && (rc = manifest_check_net(m, &bad_net, err, errlen)) != 0) {
        char msg[400];
        snprintf(msg, sizeof(msg), "%s", err);
        p->line = bad_net >= 1 && bad_net <= p->nnet ? p->net_line[bad_net - 1] : p->line;
        perr(p, 1, "net: %s", msg);
    }
    deallocate(h, p, sizeof(*p));
    if (rc) {
        if (rc == -ENOMEM) oom(err, errlen);
        manifest_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int manifest_load_file(struct heap *h, const char *path, struct manifest **out, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        if (fd >= 0) close(fd);
        return -e;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_FILE_MAX) {
        snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "manifest too large" : "not a regular file");
        close(fd);
        return -EINVAL;
    }
    size_t size = (size_t)st.st_size;
    char *text = allocate(h, size + 1);
    if (!text) {
        close(fd);
        return oom(err, errlen);
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, text + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    if (done != size) {
        snprintf(err, errlen, "%s: short read", path);
        deallocate(h, text, size + 1);
        return -EIO;
    }
    char base[4096];
    snprintf(base, sizeof(base), "%s", path);
    char *slash = strrchr(base, '/');
    if (slash == base) base[1] = 0;
    else if (slash) *slash = 0;
    else strcpy(base, ".");
    int rc = manifest_parse(h, text, size, path, base, out, err, errlen);
    deallocate(h, text, size + 1);
    return rc;
}
