/* EC2 query API requests (see aws_ec2.h). */
#include "aws_ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct ec2_params *p, const char *s, size_t n)
{
    if (p->oom) return;
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 512;
        while (cap < p->len + n + 1) cap *= 2;
        char *t = realloc(p->text, cap);
        if (!t) { p->oom = true; return; }
        p->text = t;
        p->cap = cap;
    }
    memcpy(p->text + p->len, s, n);
    p->len += n;
    p->text[p->len] = '\0';
}

/* RFC 3986 unreserved characters stay, everything else is %XX (what SigV4's
 * canonical form expects, so curl's signature and the server agree). */
static void put_encoded(struct ec2_params *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            put(p, (const char *)&c, 1);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            put(p, e, 3);
        }
    }
}

void ec2_params_init(struct ec2_params *p, const char *action)
{
    memset(p, 0, sizeof *p);
    put(p, "Action=", 7);
    put_encoded(p, action);
    put(p, "&Version=2016-11-15", 19);
}

void ec2_param(struct ec2_params *p, const char *key, const char *value)
{
    put(p, "&", 1);
    put_encoded(p, key);
    put(p, "=", 1);
    put_encoded(p, value);
}

void ec2_paramf(struct ec2_params *p, const char *key_fmt, int n, const char *value)
{
    char key[256];
    snprintf(key, sizeof key, key_fmt, n);
    ec2_param(p, key, value);
}

void ec2_params_free(struct ec2_params *p)
{
    free(p->text);
    memset(p, 0, sizeof *p);
}

struct xml_node *ec2_call(struct aws_http *h, struct ec2_params *p, char *err, size_t errlen)
{
    if (p->oom) {
        snprintf(err, errlen, "aws: out of memory");
        return NULL;
    }
    const char *headers[] = { "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL };
    struct aws_request req = { "POST", "ec2", "/", p->text, p->len, headers };
    struct aws_response resp;
    if (!aws_http_send(h, &req, &resp, err, errlen)) {
        aws_response_free(&resp);
        return NULL;
    }
    char xerr[128];
    struct xml_node *root = xml_parse(resp.body ? resp.body : "", resp.body_len, xerr, sizeof xerr);
    if (!root) {
        const char *action = p->text + 7;
        snprintf(err, errlen, "aws: ec2 %.*s: unreadable reply (%s)", (int)strcspn(action, "&"), action, xerr);
    }
    aws_response_free(&resp);
    return root;
}
