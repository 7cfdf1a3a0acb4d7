/* The command line wins over the config: scalar settings are taken only if
 * the command line did not set them, "args" only if no program arguments were
 * given, "env" only for keys no -e / --env-file set; files and dirs add up. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "settings.h"
#include "json.h"
#include "hardening_opts.h"

#define CONFIG_MAX_BYTES (1u << 20)

struct cfg {
    const char *path;
    char *dir;          /* the config's directory: base of relative host paths */
    struct pith_args *a;
    char *err;
    size_t errlen;
};

static int bad(struct cfg *c, const struct json_value *v, const char *fmt, const char *what)
{
    char msg[300], line[900];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(line, sizeof line, "%s:%d:%d: %s", c->path, v->line, v->col, msg);
    escape_controls(c->err, c->errlen, line);   /* a JSON string may hold a newline */
    return -1;
}

/* A setting's own message (from args_*) gets the value's position. */
static int relay(struct cfg *c, const struct json_value *v, const char *why)
{
    char line[900];
    snprintf(line, sizeof line, "%s:%d:%d: %s", c->path, v->line, v->col, why);
    escape_controls(c->err, c->errlen, line);
    return -1;
}

static int want(struct cfg *c, const struct json_value *v, enum json_type t, const char *key)
{
    static const char *const names[] = { "null", "true or false", "a number", "a string", "an array", "an object" };
    if (v->type == t)
        return 0;
    char fmt[64];
    snprintf(fmt, sizeof fmt, "\"%%s\" must be %s", names[t]);
    return bad(c, v, fmt, key);
}

static int string_list(struct cfg *c, const struct json_value *v, const char *key)
{
    if (want(c, v, JSON_ARRAY, key) != 0)
        return -1;
    for (size_t i = 0; i < v->n; i++)
        if (want(c, &v->items[i], JSON_STRING, key) != 0)
            return bad(c, &v->items[i], "\"%s\" must hold strings only", key);
    return 0;
}

/* Later entries win (image_build.c), so the config's go before the command line's. */
static int apply_env(struct cfg *c, const struct json_value *v)
{
    if (want(c, v, JSON_OBJECT, "env") != 0)
        return -1;
    int cmdline = c->a->envc;
    for (size_t i = 0; i < v->n; i++) {
        const struct json_value *val = &v->items[i];
        const char *key = v->keys[i];
        if (!key[0] || strchr(key, '='))
            return bad(c, val, "env key \"%s\" must be non-empty and without '='", key);
        if (want(c, val, JSON_STRING, key) != 0)
            return -1;
        char *kv = NULL, why[256];
        if (asprintf(&kv, "%s=%s", key, val->text) < 0)
            return bad(c, val, "%s", "out of memory");
        int rc = args_add_env(c->a, kv, why, sizeof why);
        free(kv);
        if (rc != 0)
            return relay(c, val, why);
    }
    int added = c->a->envc - cmdline;
    for (int k = 0; k < cmdline; k++) {   /* rotate: tiny lists, no extra memory */
        char *first = c->a->env[0];
        memmove(c->a->env, c->a->env + 1, (size_t)(cmdline + added - 1) * sizeof *c->a->env);
        c->a->env[cmdline + added - 1] = first;
    }
    return 0;
}

static int apply_key(struct cfg *c, const char *key, const struct json_value *v)
{
    struct pith_args *a = c->a;
    char why[512];
    const struct json_value *at;
    int r;
    if (strcmp(key, "args") == 0) {
        if (string_list(c, v, key) != 0)
            return -1;
        if (a->args_set)
            return 0;
        char **args = calloc(v->n + 1, sizeof *args);
        if (!args || !args_keep(a, (char *)args))
            return bad(c, v, "%s", "out of memory");
        for (size_t i = 0; i < v->n; i++)
            if (!(args[i] = args_keep(a, strdup(v->items[i].text))))
                return bad(c, v, "%s", "out of memory");
        a->prog_args = args;
        a->prog_argc = (int)v->n;
    } else if (strcmp(key, "env") == 0) {
        return apply_env(c, v);
    } else if (strcmp(key, "files") == 0 || strcmp(key, "dirs") == 0) {
        if (string_list(c, v, key) != 0)
            return -1;
        for (size_t i = 0; i < v->n; i++)
            if (args_add_file(a, v->items[i].text, key[0] == 'd', c->dir, why, sizeof why) != 0)
                return relay(c, &v->items[i], why);
    } else if (strcmp(key, "memory") == 0) {
        if (want(c, v, JSON_STRING, key) != 0 || args_check_memory(v->text, why, sizeof why) != 0)
            return v->type == JSON_STRING ? relay(c, v, why) : -1;
        if (!a->memory_set && !(a->memory = args_keep(a, strdup(v->text))))
            return bad(c, v, "%s", "out of memory");
    } else if (strcmp(key, "trace") == 0) {
        if (want(c, v, JSON_BOOL, key) != 0)
            return -1;
        a->trace |= v->boolean;
    } else if (strcmp(key, "boot") == 0) {
        enum boot_mode b;
        if (want(c, v, JSON_STRING, key) != 0 || args_parse_boot(v->text, &b, why, sizeof why) != 0)
            return v->type == JSON_STRING ? relay(c, v, why) : -1;
        if (!a->boot_set)
            a->boot = b;
    } else if (strcmp(key, "machine") == 0) {
        enum machine_mode m;
        if (want(c, v, JSON_STRING, key) != 0 || args_parse_machine(v->text, &m, why, sizeof why) != 0)
            return v->type == JSON_STRING ? relay(c, v, why) : -1;
        if (!a->machine_set)
            a->machine = m;
    } else if (strcmp(key, "timeout") == 0) {
        uint64_t ms;
        if (want(c, v, JSON_STRING, key) != 0 || args_parse_duration(v->text, &ms, why, sizeof why) != 0)
            return v->type == JSON_STRING ? relay(c, v, why) : -1;
        if (!a->timeout_set)
            a->timeout_ms = ms;
    } else if (strcmp(key, "sysroot") == 0) {
        if (want(c, v, JSON_STRING, key) != 0)
            return -1;
        if (!a->sysroot_set) {
            char *s = NULL;
            if (v->text[0] == '/' ? !(s = strdup(v->text)) : asprintf(&s, "%s/%s", c->dir, v->text) < 0)
                return bad(c, v, "%s", "out of memory");
            a->sysroot = args_keep(a, s);
        }
    } else if (strcmp(key, "size") == 0) {
        uint64_t bytes;
        if (want(c, v, JSON_STRING, key) != 0 || args_parse_size(v->text, &bytes, why, sizeof why) != 0)
            return v->type == JSON_STRING ? relay(c, v, why) : -1;
        if (!a->size_set)
            a->min_size = bytes;
    } else if (strcmp(key, "core") == 0) {
        if (want(c, v, JSON_STRING, key) != 0)
            return -1;
        if (strcmp(v->text, "none") != 0 && strcmp(v->text, "off") != 0 && (v->text[0] != '/' || !v->text[1]))
            return bad(c, v, "core: want an absolute guest path or \"none\", not \"%s\"", v->text);
        if (!a->core && !(a->core = args_keep(a, strdup(v->text))))
            return bad(c, v, "%s", "out of memory");
    } else if (strcmp(key, "mounts") == 0) {
        if (string_list(c, v, key) != 0)
            return -1;
        for (size_t i = 0; i < v->n; i++)
            if (args_add_mount(a, v->items[i].text, c->dir, why, sizeof why) != 0)
                return relay(c, &v->items[i], why);
    } else if (hardening_option_flag(key)) {
        if (want(c, v, JSON_BOOL, key) != 0)
            return -1;
        if (v->boolean)
            a->hardening |= hardening_option_flag(key);
    } else if ((r = net_opts_config_key(&a->net, a->command == CMD_RUN, key, v, why, sizeof why, &at)) != 0) {
        if (r < 0)
            return relay(c, at, why);
    } else {
        return bad(c, v, "unknown key \"%s\" (known: args, env, files, dirs, memory, trace, boot, machine, timeout, sysroot, size, core, mounts, " HARDENING_CONFIG_KEYS ", " NET_OPTS_CONFIG_KEYS ")", key);
    }
    return 0;
}

static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "config larger than 1 MiB" : "not a regular file");
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "file shrank while read");
            free(buf);
            close(fd);
            return NULL;
        }
        got += (size_t)n;
    }
    close(fd);
    if (!buf)
        snprintf(err, errlen, "out of memory");
    *len = got;
    return buf;
}

int config_load(const char *path, struct pith_args *a, char *err, size_t errlen)
{
    size_t len;
    char *text = read_all(path, &len, err, errlen);
    if (!text)
        return -1;
    struct json_value *root;
    char why[400];
    if (json_parse(text, len, &root, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s:%s", path, why);
        free(text);
        return -1;
    }
    free(text);
    struct cfg c = { .path = path, .a = a, .err = err, .errlen = errlen };
    const char *slash = strrchr(path, '/');
    c.dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    int rc = 0;
    if (!c.dir) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else if (root->type != JSON_OBJECT) {
        rc = bad(&c, root, "%s", "the config must be a JSON object");
    }
    for (size_t i = 0; rc == 0 && i < root->n; i++)
        rc = apply_key(&c, root->keys[i], &root->items[i]);
    free(c.dir);
    json_free(root);
    return rc;
}
