/* A small strict JSON (RFC 8259) reader for pith's config file. Strict on
 * purpose: a typo in a config should be an error with a position, never a
 * silently different meaning. No comments, no trailing commas, no duplicate
 * keys, nothing after the top-level value, nesting at most JSON_MAX_DEPTH. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
    enum json_type type;
    int line, col;              /* 1-based position of the value's first character */
    bool boolean;
    char *text;                 /* STRING: decoded UTF-8 (no NUL inside); NUMBER: as written */
    size_t n;                   /* ARRAY/OBJECT: number of items */
    struct json_value *items;   /* ARRAY/OBJECT items */
    char **keys;                /* OBJECT: keys[i] names items[i] */
};

/* Parse text[0..len). 0 on success (*out to be freed with json_free), or -1
 * with "LINE:COL: message" in err. */
int json_parse(const char *text, size_t len, struct json_value **out, char *err, size_t errlen);
void json_free(struct json_value *v);
