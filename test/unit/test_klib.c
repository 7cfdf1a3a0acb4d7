/* Host unit tests for klib: formatting. */
#include "../../klib/format.h"
#include "../../klib/path.h"
#include <stdio.h>
#include <string.h>

static int failures, checks;

static void expect(const char *got, const char *want, int line)
{
    checks++;
    if (strcmp(got, want) != 0) {
        failures++;
        printf("FAIL: test_klib.c:%d: got \"%s\", want \"%s\"\n", line, got, want);
    }
}

#define CHECK(want, ...) do { char b[128]; format_sn(b, sizeof b, __VA_ARGS__); expect(b, want, __LINE__); } while (0)

int main(void)
{
    CHECK("hello", "hello");
    CHECK("42", "%d", 42);
    CHECK("-42", "%d", -42);
    CHECK("-9223372036854775808", "%ld", (long)(-9223372036854775807L - 1));
    CHECK("18446744073709551615", "%lu", 18446744073709551615UL);
    CHECK("ff", "%x", 255);
    CHECK("FF", "%X", 255);
    CHECK("00ff", "%04x", 255);
    CHECK("  7", "%3d", 7);
    CHECK("7  |", "%-3d|", 7);
    CHECK("-007", "%04d", -7);
    CHECK("0x1000", "%p", (void *)0x1000);
    CHECK("abc", "%s", "abc");
    CHECK("ab", "%.2s", "abc");
    CHECK("x%y", "x%%y");
    CHECK("c", "%c", 'c');
    CHECK("17", "%zu", (size_t)17);
    CHECK("0755", "0%lo", 0755ul);

    /* Lexical paths. */
    struct { const char *dir, *path, *want; } joins[] = {
        { "/", "a/b", "/a/b" }, { "/x/y", "../z", "/x/z" }, { "/x", "/abs/./p/", "/abs/p" },
        { "/", "../..", "/" }, { "/a//b", ".", "/a/b" }, { "/a", "b/../../c", "/c" },
    };
    for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++) {
        char out[64];
        int r = path_join(joins[i].dir, joins[i].path, out, sizeof out);
        expect(r == 0 ? out : "(error)", joins[i].want, __LINE__);
    }
    char tiny[4];
    checks++;
    if (path_join("/", "abcdef", tiny, sizeof tiny) != -1 || path_normalize("rel", tiny, sizeof tiny) != -1) {
        failures++;
        printf("FAIL: path overflow or relative path accepted\n");
    }

    /* Truncation still reports the full length and terminates. */
    char small[4];
    int n = format_sn(small, sizeof small, "%s", "abcdef");
    checks++;
    if (n != 6 || strcmp(small, "abc") != 0) {
        failures++;
        printf("FAIL: truncation: n=%d buf=\"%s\"\n", n, small);
    }
    if (failures) return 1;
    printf("test_klib: %d checks ok\n", checks);
    return 0;
}
