/* The mount list format (fs/mounts_list.c): what `pith run --mount` writes is
 * exactly what the kernel reads back, and the kernel refuses what the host
 * would never write. The same object file is linked into the kernel. */
#include <string.h>

#include "check.h"
#include "fs/mounts_list.h"

static void fill(struct mounts_list *l, int n)
{
    memset(l, 0, sizeof *l);
    l->count = n;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 16; k++)
            l->entries[i].uuid[k] = (uint8_t)(i * 16 + k * 17);
        memset(l->entries[i].path, 'a' + i, MOUNTS_LIST_PATH_MAX - 1);
        l->entries[i].path[0] = '/';
        l->entries[i].path[MOUNTS_LIST_PATH_MAX - 1] = '\0';
        l->entries[i].len = MOUNTS_LIST_PATH_MAX - 1;
    }
}

static int parse(const char *text, struct mounts_list *l, char *err)
{
    return mounts_list_parse(text, strlen(text), l, err, 200);
}

int main(void)
{
    static struct mounts_list in, out;
    static char text[MOUNTS_LIST_TEXT_MAX + 1];
    char err[200];

    /* Round trip with every entry at its longest: the whole list fits. */
    fill(&in, MOUNTS_LIST_MAX);
    int len = mounts_list_format(&in, text, sizeof text, err, sizeof err);
    CHECK(len == MOUNTS_LIST_TEXT_MAX, "full list: %d bytes, %s", len, len < 0 ? err : "");
    CHECK(mounts_list_parse(text, (size_t)len, &out, err, sizeof err) == 0, "parse full: %s", err);
    CHECK_THAT(out.count == MOUNTS_LIST_MAX);
    for (int i = 0; i < out.count; i++) {
        CHECK(memcmp(out.entries[i].uuid, in.entries[i].uuid, 16) == 0, "uuid %d", i);
        CHECK(strcmp(out.entries[i].path, in.entries[i].path) == 0 && out.entries[i].len == in.entries[i].len,
              "path %d", i);
    }

    /* The text, byte for byte. */
    fill(&in, 1);
    strcpy(in.entries[0].path, "/data");
    len = mounts_list_format(&in, text, sizeof text, err, sizeof err);
    CHECK(len > 0 && strcmp(text, "00112233445566778899aabbccddeeff /data\n") == 0, "text: %s", text);
    CHECK(parse("00112233445566778899aabbccddeeff /data/", &out, err) == 0 && out.count == 1 &&
              strcmp(out.entries[0].path, "/data") == 0 && out.entries[0].len == 5 && out.entries[0].uuid[15] == 0xff,
          "no newline at the end, trailing '/' dropped: %s", err);
    CHECK(parse("", &out, err) == 0 && out.count == 0, "empty list");

    /* What the kernel refuses, with the culprit. */
    CHECK(parse("0011 /data\n", &out, err) < 0 && strstr(err, "bad line in the mount list"), "short: %s", err);
    CHECK(parse("00112233445566778899aabbccddeeZZ /data\n", &out, err) < 0, "bad hex");
    CHECK(parse("00112233445566778899AABBCCDDEEFF /data\n", &out, err) < 0, "upper case hex is not written");
    CHECK(parse("00112233445566778899aabbccddeeff data\n", &out, err) < 0, "relative");
    CHECK(parse("00112233445566778899aabbccddeeff //\n", &out, err) < 0 && strstr(err, "//: bad mount point"),
          "root: %s", err);
    CHECK(parse("00112233445566778899aabbccddeeff /a\n\n", &out, err) < 0, "empty line");
    char many[1024] = "";
    for (int i = 0; i <= MOUNTS_LIST_MAX; i++)
        strcat(many, "00112233445566778899aabbccddeeff /x\n");
    CHECK(parse(many, &out, err) < 0 && strstr(err, "too many volumes"), "nine: %s", err);
    CHECK(mounts_list_parse(text, MOUNTS_LIST_TEXT_MAX + 1, &out, err, sizeof err) < 0 && strstr(err, "too long"),
          "too long: %s", err);

    /* The writer refuses what the parser would. */
    fill(&in, 1);
    strcpy(in.entries[0].path, "/");
    CHECK(mounts_list_format(&in, text, sizeof text, err, sizeof err) < 0, "format /");
    strcpy(in.entries[0].path, "/a\nb");
    CHECK(mounts_list_format(&in, text, sizeof text, err, sizeof err) < 0, "format newline");
    strcpy(in.entries[0].path, "/data");
    CHECK(mounts_list_format(&in, text, 20, err, sizeof err) < 0, "format too small a buffer");
    return check_report("test_mounts_list");
}
