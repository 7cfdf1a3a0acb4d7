/* Recursive descent over the text, tracking line and column for messages. */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    const char *s;
    size_t len, pos;
    int line, col;
    char *err;
    size_t errlen;
};

static int fail_at(struct reader *r, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_at(struct reader *r, int line, int col, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%d:%d: %s", line, col, msg);
    return -1;
}

#define FAIL(r, ...) fail_at((r), (r)->line, (r)->col, __VA_ARGS__)

static int peek(const struct reader *r) { return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1; }

static void advance(struct reader *r)
{
    if (r->s[r->pos] == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    r->pos++;
}

static void skip_space(struct reader *r)
{
    int c;
    while ((c = peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        advance(r);
}

static const char *describe(int c)
{
    static char buf[16];
    if (c < 0) return "end of file";
    if (c >= 0x20 && c < 0x7f) snprintf(buf, sizeof buf, "'%c'", c);
    else snprintf(buf, sizeof buf, "byte 0x%02x", c);
    return buf;
}

static int expect_word(struct reader *r, const char *word)
{
    for (const char *w = word; *w; w++) {
        if (peek(r) != *w) return FAIL(r, "unexpected %s (expected %s)", describe(peek(r)), word);
        advance(r);
    }
    return 0;
}

static void put_utf8(char *out, size_t *o, uint32_t cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xc0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xe0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*o)++] = (char)(0xf0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static int hex4(struct reader *r, uint32_t *out)
{
    *out = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(r), v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else return FAIL(r, "bad \\u escape: expected a hex digit, got %s", describe(c));
        *out = *out << 4 | (uint32_t)v;
        advance(r);
    }
    return 0;
}

/* At the opening quote. The decoded string is never longer than the source. */
static int read_string(struct reader *r, char **out)
{
    advance(r);
    size_t start = r->pos, o = 0;
    char *buf = malloc(r->len - start + 1);
    if (!buf) return FAIL(r, "out of memory");
    for (;;) {
        int c = peek(r);
        if (c < 0) {
            free(buf);
            return FAIL(r, "unterminated string");
        }
        if (c == '"') {
            advance(r);
            break;
        }
        if (c < 0x20) {
            free(buf);
            return FAIL(r, "control character %s in a string (escape it)", describe(c));
        }
        if (c != '\\') {
            buf[o++] = (char)c;
            advance(r);
            continue;
        }
        int line = r->line, col = r->col;
        advance(r);
        c = peek(r);
        const char *simple = strchr("\"\\/bfnrt", c < 0 ? 'x' : c);
        if (c > 0 && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            buf[o++] = map[simple - "\"\\/bfnrt"];
            advance(r);
            continue;
        }
        if (c != 'u') {
            free(buf);
            return fail_at(r, line, col, "unknown escape \\%s", c < 0 ? "" : describe(c));
        }
        advance(r);
        uint32_t cp, lo;
        if (hex4(r, &cp) != 0) {
            free(buf);
            return -1;
        }
        if (cp >= 0xd800 && cp < 0xdc00) {
            if (peek(r) != '\\' || r->pos + 1 >= r->len || r->s[r->pos + 1] != 'u') {
                free(buf);
                return fail_at(r, line, col, "lone UTF-16 surrogate \\u%04X", cp);
            }
            advance(r);
            advance(r);
            if (hex4(r, &lo) != 0) {
                free(buf);
                return -1;
            }
            if (lo < 0xdc00 || lo > 0xdfff) {
                free(buf);
                return fail_at(r, line, col, "bad UTF-16 surrogate pair");
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            free(buf);
            return fail_at(r, line, col, "lone UTF-16 surrogate \\u%04X", cp);
        }
        if (cp == 0) {
            free(buf);
            return fail_at(r, line, col, "\\u0000 is not allowed (strings become C strings)");
        }
        put_utf8(buf, &o, cp);
    }
    buf[o] = 0;
    *out = buf;
    return 0;
}

static int read_number(struct reader *r, struct json_value *v)
{
    size_t start = r->pos;
    if (peek(r) == '-') advance(r);
    if (peek(r) == '0') {
        advance(r);
    } else if (peek(r) >= '1' && peek(r) <= '9') {
        while (peek(r) >= '0' && peek(r) <= '9') advance(r);
    } else {
        return FAIL(r, "bad number: expected a digit, got %s", describe(peek(r)));
    }
    if (peek(r) == '.') {
        advance(r);
        if (!(peek(r) >= '0' && peek(r) <= '9')) return FAIL(r, "bad number: expected a digit after '.'");
        while (peek(r) >= '0' && peek(r) <= '9') advance(r);
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        advance(r);
        if (peek(r) == '+' || peek(r) == '-') advance(r);
        if (!(peek(r) >= '0' && peek(r) <= '9')) return FAIL(r, "bad number: expected a digit in the exponent");
        while (peek(r) >= '0' && peek(r) <= '9') advance(r);
    }
    v->text = strndup(r->s + start, r->pos - start);
    return v->text ? 0 : FAIL(r, "out of memory");
}

static void free_value(struct json_value *v)
{
    free(v->text);
    for (size_t i = 0; i < v->n; i++) {
        free_value(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

static int read_value(struct reader *r, struct json_value *v, int depth);

/* Append one item (and key) to an array or object. */
static int grow(struct reader *r, struct json_value *v, size_t *cap)
{
    if (v->n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    struct json_value *items = realloc(v->items, ncap * sizeof *items);
    if (!items) return FAIL(r, "out of memory");
    v->items = items;
    if (v->type == JSON_OBJECT) {
        char **keys = realloc(v->keys, ncap * sizeof *keys);
        if (!keys) return FAIL(r, "out of memory");
        v->keys = keys;
    }
    *cap = ncap;
    return 0;
}

static int read_container(struct reader *r, struct json_value *v, int depth)
{
    bool object = v->type == JSON_OBJECT;
    char close = object ? '}' : ']';
    size_t cap = 0;
    advance(r);
    skip_space(r);
    if (peek(r) == close) {
        advance(r);
        return 0;
    }
    for (;;) {
        skip_space(r);
        if (grow(r, v, &cap) != 0) return -1;
        struct json_value *item = &v->items[v->n];
        memset(item, 0, sizeof *item);
        if (object) {
            if (peek(r) != '"') return FAIL(r, "expected a key string, got %s", describe(peek(r)));
            int line = r->line, col = r->col;
            char *key;
            if (read_string(r, &key) != 0) return -1;
            for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->keys[i], key) == 0) {
                    fail_at(r, line, col, "duplicate key \"%s\"", key);
                    free(key);
                    return -1;
                }
            v->keys[v->n] = key;
            skip_space(r);
            if (peek(r) != ':') {
                v->n++;
                return FAIL(r, "expected ':' after the key, got %s", describe(peek(r)));
            }
            advance(r);
            skip_space(r);
        }
        v->n++;
        if (read_value(r, item, depth + 1) != 0) return -1;
        skip_space(r);
        if (peek(r) == ',') {
            advance(r);
            skip_space(r);
            if (peek(r) == close) return FAIL(r, "trailing comma before '%c'", close);
            continue;
        }
        if (peek(r) == close) {
            advance(r);
            return 0;
        }
        return FAIL(r, "expected ',' or '%c', got %s", close, describe(peek(r)));
    }
}

static int read_value(struct reader *r, struct json_value *v, int depth)
{
    if (depth > JSON_MAX_DEPTH) return FAIL(r, "nested deeper than %d levels", JSON_MAX_DEPTH);
    skip_space(r);
    v->line = r->line;
    v->col = r->col;
    int c = peek(r);
    switch (c) {
    case '{': v->type = JSON_OBJECT; return read_container(r, v, depth);
    case '[': v->type = JSON_ARRAY; return read_container(r, v, depth);
    case '"': v->type = JSON_STRING; return read_string(r, &v->text);
    case 't': v->type = JSON_BOOL; v->boolean = true; return expect_word(r, "true");
    case 'f': v->type = JSON_BOOL; return expect_word(r, "false");
    case 'n': v->type = JSON_NULL; return expect_word(r, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            v->type = JSON_NUMBER;
            return read_number(r, v);
        }
        return FAIL(r, "unexpected %s (expected a value)", describe(c));
    }
}

int json_parse(const char *text, size_t len, struct json_value **out, char *err, size_t errlen)
{
    struct reader r = { text, len, 0, 1, 1, err, errlen };
    struct json_value *v = calloc(1, sizeof *v);
    *out = NULL;
    if (!v) {
        snprintf(err, errlen, "1:1: out of memory");
        return -1;
    }
    if (memchr(text, 0, len)) {
        size_t at = (size_t)((const char *)memchr(text, 0, len) - text);
        while (r.pos < at) advance(&r);
        fail_at(&r, r.line, r.col, "NUL byte in the file");
        free(v);
        return -1;
    }
    int rc = read_value(&r, v, 0);
    if (rc == 0) {
        skip_space(&r);
        if (r.pos < r.len) rc = FAIL(&r, "unexpected %s after the end of the value", describe(peek(&r)));
    }
    if (rc != 0) {
        json_free(v);
        return -1;
    }
    *out = v;
    return 0;
}

void json_free(struct json_value *v)
{
    if (!v) return;
    free_value(v);
    free(v);
}
