/* cli/json.c: what strict JSON accepts, what it refuses, and where it says
 * the problem is. */
#include <stdio.h>
#include <string.h>

#include "cli/json.h"

#include "check.h"

static struct json_value *parse(const char *text, char *err)
{
    struct json_value *v = NULL;
    err[0] = '\0';
    if (json_parse(text, strlen(text), &v, err, 256) != 0)
        return NULL;
    return v;
}

/* The text must be refused with a message starting "LINE:COL:". */
static void refuse(const char *text, const char *where, const char *words, int line)
{
    char err[256];
    struct json_value *v = parse(text, err);
    if (v || strncmp(err, where, strlen(where)) != 0 || !strstr(err, words)) {
        printf("FAIL line %d: %s -> %s (wanted %s ... %s)\n", line, text, v ? "accepted" : err, where, words);
        failures++;
    }
    json_free(v);
}

int main(void)
{
    char err[256];
    struct json_value *v = parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\"],\n \"b\": {}} ", err);
    CHECK_THAT(v && v->type == JSON_OBJECT && v->n == 2);
    if (v && v->n == 2) {
        const struct json_value *a = &v->items[0];
        CHECK_THAT(strcmp(v->keys[0], "a") == 0 && a->type == JSON_ARRAY && a->n == 6);
        CHECK_THAT(a->items[0].type == JSON_NUMBER && strcmp(a->items[0].text, "1") == 0);
        CHECK_THAT(strcmp(a->items[1].text, "-2.5e3") == 0);
        CHECK_THAT(a->items[2].type == JSON_BOOL && a->items[2].boolean && !a->items[3].boolean);
        CHECK_THAT(a->items[4].type == JSON_NULL);
        CHECK_THAT(strcmp(a->items[5].text, "x\n\xc3\xa9\xf0\x9f\x98\x80") == 0);
        CHECK_THAT(v->items[1].type == JSON_OBJECT && v->items[1].n == 0 && v->items[1].line == 2 && v->items[1].col == 7);
    }
    json_free(v);

    refuse("", "1:1:", "end of file", __LINE__);
    refuse("{\"a\": 1,}", "1:9:", "trailing comma", __LINE__);
    refuse("[1, 2,]", "1:7:", "trailing comma", __LINE__);
    refuse("{\n  \"a\": 1\n  \"b\": 2}", "3:3:", "expected ','", __LINE__);
    refuse("{\"a\": 1, \"a\": 2}", "1:10:", "duplicate key", __LINE__);
    refuse("{a: 1}", "1:2:", "expected a key", __LINE__);
    refuse("[01]", "1:3:", "expected ',' or ']'", __LINE__);
    refuse("[1.]", "1:4:", "digit after '.'", __LINE__);
    refuse("\"abc", "1:5:", "unterminated", __LINE__);
    refuse("\"a\tb\"", "1:3:", "control character", __LINE__);
    refuse("\"\\x\"", "1:2:", "unknown escape", __LINE__);
    refuse("\"\\ud800\"", "1:2:", "surrogate", __LINE__);
    refuse("\"\\u0000\"", "1:2:", "not allowed", __LINE__);
    refuse("[tru]", "1:5:", "expected true", __LINE__);
    refuse("{} x", "1:4:", "after the end", __LINE__);
    refuse("// comment\n{}", "1:1:", "unexpected '/'", __LINE__);
    char deep[200];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    refuse(deep, "1:66:", "nested deeper", __LINE__);
    char with_nul[] = "[1,\0 2]";
    v = NULL;
    CHECK_THAT(json_parse(with_nul, sizeof with_nul - 1, &v, err, sizeof err) != 0 && strstr(err, "NUL"));
    return failures ? 1 : 0;
}
