/* EBS direct API calls (see aws_ebs.h): JSON in, JSON out. */
#include "aws_ebs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../json.h"

static bool id_chars(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-')) return false;
    return true;
}

bool ebs_read_start_reply(const char *body, size_t len, char *snap_id, size_t cap, char *err, size_t errlen)
{
    struct json_value *v = NULL;
    char jerr[128];
    bool ok = false;
    if (json_parse(body, len, &v, jerr, sizeof jerr) != 0) {
        snprintf(err, errlen, "aws: ebs StartSnapshot: unreadable reply (%s)", jerr);
        return false;
    }
    if (v->type != JSON_OBJECT) {
        snprintf(err, errlen, "aws: ebs StartSnapshot: the reply is not a JSON object");
        json_free(v);
        return false;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->keys[i], "SnapshotId") == 0 && v->items[i].type == JSON_STRING &&
            id_chars(v->items[i].text) && strlen(v->items[i].text) < cap) {
            strcpy(snap_id, v->items[i].text);
            ok = true;
        } else if (strcmp(v->keys[i], "BlockSize") == 0 && v->items[i].type == JSON_NUMBER &&
                   strcmp(v->items[i].text, "524288") != 0 && strcmp(v->items[i].text, "512") != 0) {
            /* AWS gives bytes; moto gives KiB. Anything else is a block size pith does not write. */
            snprintf(err, errlen, "aws: ebs StartSnapshot: block size %s, pith writes 524288", v->items[i].text);
            json_free(v);
            return false;
        }
    }
    if (!ok) snprintf(err, errlen, "aws: ebs StartSnapshot: no SnapshotId in the reply");
    json_free(v);
    return ok;
}

bool ebs_start_snapshot(struct aws_http *h, uint64_t size_gib, const char *description,
                        char *snap_id, size_t cap, char *err, size_t errlen)
{
    /* The description is ours (image name and size), so it needs no JSON escaping beyond
     * what we refuse here. */
    char body[512];
    for (const char *c = description; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) {
            snprintf(err, errlen, "aws: the snapshot description holds a character it cannot carry");
            return false;
        }
    snprintf(body, sizeof body, "{\"VolumeSize\": %" PRIu64 ", \"Description\": \"%s\", \"Timeout\": 4320}",
             size_gib, description);
    const char *headers[] = { "Content-Type: application/json", NULL };
    struct aws_request req = { "POST", "ebs", "/snapshots", body, strlen(body), headers };
    struct aws_response resp;
    if (!aws_http_send(h, &req, &resp, err, errlen)) {
        aws_response_free(&resp);
        return false;
    }
    bool ok = ebs_read_start_reply(resp.body ? resp.body : "", resp.body_len, snap_id, cap, err, errlen);
    aws_response_free(&resp);
    return ok;
}

bool ebs_put_block(struct aws_http *h, const char *snap_id, uint64_t index, const void *data,
                   const char *sha256_b64, char *err, size_t errlen)
{
    char path[256], checksum[128], length[64];
    snprintf(path, sizeof path, "/snapshots/%s/blocks/%" PRIu64, snap_id, index);
    snprintf(checksum, sizeof checksum, "x-amz-Checksum: %s", sha256_b64);
    snprintf(length, sizeof length, "x-amz-Data-Length: %u", EBS_BLOCK_SIZE);
    /* Without this content type the body is read as a form (moto then stores nothing). */
    const char *headers[] = { "Content-Type: application/octet-stream", checksum,
                              "x-amz-Checksum-Algorithm: SHA256", length, NULL };
    struct aws_request req = { "PUT", "ebs", path, data, EBS_BLOCK_SIZE, headers };
    struct aws_response resp;
    bool ok = aws_http_send(h, &req, &resp, err, errlen);
    if (ok && resp.checksum[0] && strcmp(resp.checksum, sha256_b64) != 0) {
        snprintf(err, errlen, "aws: ebs stored block %" PRIu64 " with checksum %s, sent %s",
                 index, resp.checksum, sha256_b64);
        ok = false;
    }
    aws_response_free(&resp);
    return ok;
}

bool ebs_complete_snapshot(struct aws_http *h, const char *snap_id, uint64_t changed,
                           char *err, size_t errlen)
{
    char path[256], count[64];
    snprintf(path, sizeof path, "/snapshots/completion/%s", snap_id);
    snprintf(count, sizeof count, "x-amz-ChangedBlocksCount: %" PRIu64, changed);
    const char *headers[] = { count, "Content-Type: application/json", NULL };
    struct aws_request req = { "POST", "ebs", path, "", 0, headers };
    struct aws_response resp;
    bool ok = aws_http_send(h, &req, &resp, err, errlen);
    if (ok) {
        struct json_value *v = NULL;
        char jerr[128];
        if (json_parse(resp.body ? resp.body : "", resp.body_len, &v, jerr, sizeof jerr) != 0) {
            snprintf(err, errlen, "aws: ebs CompleteSnapshot: unreadable reply (%s)", jerr);
            ok = false;
        } else {
            for (size_t i = 0; v->type == JSON_OBJECT && i < v->n; i++)
                if (strcmp(v->keys[i], "Status") == 0 && v->items[i].type == JSON_STRING &&
                    strcmp(v->items[i].text, "error") == 0) {
                    snprintf(err, errlen, "aws: ebs CompleteSnapshot: the snapshot's status is 'error'");
                    ok = false;
                }
            json_free(v);
        }
    }
    aws_response_free(&resp);
    return ok;
}
