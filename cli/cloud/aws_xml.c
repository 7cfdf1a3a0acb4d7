/* A strict reader for the XML the EC2 query API returns (see aws_xml.h). */
#include "aws_xml.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_MAX_DEPTH 64

struct reader {
    const char *p, *end;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct reader *r, const char *msg)
{
    if (!r->failed) snprintf(r->err, r->errlen, "malformed XML: %s", msg);
    r->failed = true;
}

static bool starts(const struct reader *r, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* Skip past the next occurrence of s; false if there is none. */
static bool skip_past(struct reader *r, const char *s)
{
    size_t n = strlen(s);
    for (const char *q = r->p; q + n <= r->end; q++) {
        if (memcmp(q, s, n) == 0) {
            r->p = q + n;
            return true;
        }
    }
    return false;
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':';
}

/* Append text[0..n) to *buf (growing), decoding entities. */
static void append_text(struct reader *r, char **buf, size_t *len, const char *s, size_t n, bool raw)
{
    char *b = realloc(*buf, *len + n + 1);
    if (!b) { fail(r, "out of memory"); return; }
    *buf = b;
    for (size_t i = 0; i < n; i++) {
        if (raw || s[i] != '&') { b[(*len)++] = s[i]; continue; }
        const char *semi = memchr(s + i, ';', n - i);
        if (!semi) { fail(r, "'&' without ';'"); return; }
        size_t k = (size_t)(semi - (s + i));
        const char *ent = s + i + 1;
        unsigned long cp = 0;
        if (k == 3 && !memcmp(ent, "lt", 2)) cp = '<';
        else if (k == 3 && !memcmp(ent, "gt", 2)) cp = '>';
        else if (k == 4 && !memcmp(ent, "amp", 3)) cp = '&';
        else if (k == 5 && !memcmp(ent, "quot", 4)) cp = '"';
        else if (k == 5 && !memcmp(ent, "apos", 4)) cp = '\'';
        else if (k >= 3 && ent[0] == '#') {
            char num[16];
            if (k - 2 >= sizeof num) { fail(r, "character reference too long"); return; }
            memcpy(num, ent + 1, k - 2);
            num[k - 2] = '\0';
            char *e;
            cp = num[0] == 'x' ? strtoul(num + 1, &e, 16) : strtoul(num, &e, 10);
            if (*e || cp == 0 || cp > 0x10FFFF) { fail(r, "bad character reference"); return; }
        } else {
            fail(r, "unknown entity");
            return;
        }
        /* UTF-8 needs at most 4 bytes; an entity is at least 4 long ("&lt;"). */
        if (cp < 0x80) b[(*len)++] = (char)cp;
        else if (cp < 0x800) { b[(*len)++] = (char)(0xC0 | cp >> 6); b[(*len)++] = (char)(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            b[(*len)++] = (char)(0xE0 | cp >> 12); b[(*len)++] = (char)(0x80 | (cp >> 6 & 0x3F));
            b[(*len)++] = (char)(0x80 | (cp & 0x3F));
        } else {
            b[(*len)++] = (char)(0xF0 | cp >> 18); b[(*len)++] = (char)(0x80 | (cp >> 12 & 0x3F));
            b[(*len)++] = (char)(0x80 | (cp >> 6 & 0x3F)); b[(*len)++] = (char)(0x80 | (cp & 0x3F));
        }
        i += k;
    }
    b[*len] = '\0';
}

/* Skip the declaration, comments and processing instructions. */
static void skip_misc(struct reader *r)
{
    for (;;) {
        while (r->p < r->end && isspace((unsigned char)*r->p)) r->p++;
        if (starts(r, "<?")) {
            if (!skip_past(r, "?>")) { fail(r, "unterminated <?"); return; }
        } else if (starts(r, "<!--")) {
            if (!skip_past(r, "-->")) { fail(r, "unterminated comment"); return; }
        } else {
            return;
        }
    }
}

static char *read_name(struct reader *r)
{
    const char *s = r->p;
    while (r->p < r->end && is_name_char(*r->p)) r->p++;
    if (r->p == s) { fail(r, "expected a tag name"); return NULL; }
    const char *local = s;
    for (const char *q = s; q < r->p; q++)
        if (*q == ':') local = q + 1;
    return strndup(local, (size_t)(r->p - local));
}

static char *trim_owned(char *s)
{
    if (!s) return strdup("");
    size_t n = strlen(s), i = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    while (n > i && isspace((unsigned char)s[n - 1])) n--;
    memmove(s, s + i, n - i);
    s[n - i] = '\0';
    return s;
}

static struct xml_node *parse_element(struct reader *r, int depth)
{
    if (depth > XML_MAX_DEPTH) { fail(r, "nested too deeply"); return NULL; }
    if (!starts(r, "<")) { fail(r, "expected '<'"); return NULL; }
    r->p++;
    struct xml_node *n = calloc(1, sizeof *n);
    if (!n) { fail(r, "out of memory"); return NULL; }
    n->name = read_name(r);
    if (!n->name) { xml_free(n); return NULL; }
    /* Attributes: skipped, but their quotes are honoured so a '>' inside one is not the end. */
    bool empty = false;
    for (;;) {
        if (r->p >= r->end) { fail(r, "unterminated start tag"); xml_free(n); return NULL; }
        char c = *r->p;
        if (c == '"' || c == '\'') {
            const char *q = memchr(r->p + 1, c, (size_t)(r->end - r->p - 1));
            if (!q) { fail(r, "unterminated attribute value"); xml_free(n); return NULL; }
            r->p = q + 1;
        } else if (c == '/' && starts(r, "/>")) {
            r->p += 2;
            empty = true;
            break;
        } else if (c == '>') {
            r->p++;
            break;
        } else {
            r->p++;
        }
    }
    size_t text_len = 0;
    struct xml_node **tail = &n->child;
    while (!empty) {
        const char *lt = memchr(r->p, '<', (size_t)(r->end - r->p));
        if (!lt) { fail(r, "element left open"); xml_free(n); return NULL; }
        append_text(r, &n->text, &text_len, r->p, (size_t)(lt - r->p), false);
        r->p = lt;
        if (r->failed) { xml_free(n); return NULL; }
        if (starts(r, "</")) {
            r->p += 2;
            char *close = read_name(r);
            bool match = close && strcmp(close, n->name) == 0;
            free(close);
            while (r->p < r->end && isspace((unsigned char)*r->p)) r->p++;
            if (!match || r->p >= r->end || *r->p != '>') {
                fail(r, "mismatched closing tag");
                xml_free(n);
                return NULL;
            }
            r->p++;
            break;
        }
        if (starts(r, "<!--")) {
            if (!skip_past(r, "-->")) { fail(r, "unterminated comment"); xml_free(n); return NULL; }
            continue;
        }
        if (starts(r, "<![CDATA[")) {
            const char *s = r->p + 9;
            r->p = s;
            if (!skip_past(r, "]]>")) { fail(r, "unterminated CDATA"); xml_free(n); return NULL; }
            append_text(r, &n->text, &text_len, s, (size_t)(r->p - 3 - s), true);
            continue;
        }
        if (starts(r, "<?")) {
            if (!skip_past(r, "?>")) { fail(r, "unterminated <?"); xml_free(n); return NULL; }
            continue;
        }
        struct xml_node *c = parse_element(r, depth + 1);
        if (!c) { xml_free(n); return NULL; }
        *tail = c;
        tail = &c->next;
    }
    n->text = trim_owned(n->text);
    if (!n->text) { fail(r, "out of memory"); xml_free(n); return NULL; }
    return n;
}

struct xml_node *xml_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct reader r = { .p = text, .end = text + len, .err = err, .errlen = errlen };
    skip_misc(&r);
    if (r.failed) return NULL;
    if (r.p >= r.end) { fail(&r, "empty reply"); return NULL; }
    struct xml_node *root = parse_element(&r, 0);
    if (!root) return NULL;
    skip_misc(&r);
    if (!r.failed && r.p != r.end) fail(&r, "text after the root element");
    if (r.failed) { xml_free(root); return NULL; }
    return root;
}

void xml_free(struct xml_node *n)
{
    while (n) {
        struct xml_node *next = n->next;
        xml_free(n->child);
        free(n->name);
        free(n->text);
        free(n);
        n = next;
    }
}

struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
    if (!n) return NULL;
    for (struct xml_node *c = n->child; c; c = c->next)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

struct xml_node *xml_path(const struct xml_node *n, const char *path)
{
    char part[128];
    const struct xml_node *at = n;
    while (at && *path) {
        size_t k = strcspn(path, "/");
        if (k >= sizeof part) return NULL;
        memcpy(part, path, k);
        part[k] = '\0';
        at = xml_child(at, part);
        path += k + (path[k] == '/');
    }
    return (struct xml_node *)at;
}

const char *xml_text(const struct xml_node *n, const char *path)
{
    const struct xml_node *at = xml_path(n, path);
    return at && at->text ? at->text : "";
}
