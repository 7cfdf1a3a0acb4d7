/* SigV4 where libcurl's would be wrong (see aws_sigv4.h). The hashing and
 * HMAC are OpenSSL's; this file only lays out what they are applied to, as
 * AWS's "create a signed request" steps describe. */
#include "aws_sigv4.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 16

struct header {
    char name[64];
    char value[512];
};

static size_t name_len(const char *line)
{
    const char *colon = strchr(line, ':');
    return colon ? (size_t)(colon - line) : strlen(line);
}

bool aws_sigv4_curl_missigns(const char *const *headers)
{
    if (curl_version_info(CURLVERSION_NOW)->version_num >= 0x080a00) return false;
    for (const char *const *a = headers; a && *a; a++)
        for (const char *const *b = headers; b && *b; b++) {
            size_t la = name_len(*a), lb = name_len(*b);
            /* a's name a proper prefix of b's: curl 7.x sorts "b-suffix:..." before "a:...". */
            if (a != b && la < lb && strncasecmp(*a, *b, la) == 0) return true;
        }
    return false;
}

/* name lowercased, value trimmed with inner runs of blanks made one space. */
static bool add_header(struct header *h, size_t *n, const char *name, size_t nlen, const char *value)
{
    if (*n >= MAX_HEADERS || nlen == 0 || nlen >= sizeof h->name) return false;
    struct header *o = &h[(*n)++];
    for (size_t i = 0; i < nlen; i++) o->name[i] = (char)tolower((unsigned char)name[i]);
    o->name[nlen] = '\0';
    while (*value == ' ' || *value == '\t') value++;
    size_t k = 0;
    bool blank = false;
    for (; *value; value++) {
        if (*value == ' ' || *value == '\t') {
            blank = true;
            continue;
        }
        if (k + 2 >= sizeof o->value) return false;
        if (blank && k) o->value[k++] = ' ';
        blank = false;
        o->value[k++] = *value;
    }
    o->value[k] = '\0';
    return true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct header *)a)->name, ((const struct header *)b)->name);
}

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static bool sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(data, len, d, &dl, EVP_sha256(), NULL) || dl != 32) return false;
    hex(d, 32, out);
    return true;
}

static bool hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int ol = 0;
    return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &ol) && ol == 32;
}

bool aws_sigv4_sign(const struct aws_sigv4_request *r, char *amz_date, size_t date_cap,
                    char *authorization, size_t auth_cap)
{
    for (const char *p = r->path; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.~/", *p)) return false;
    struct tm tm;
    char date[9], stamp[17];
    gmtime_r(&r->now, &tm);
    strftime(date, sizeof date, "%Y%m%d", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);

    struct header h[MAX_HEADERS];
    size_t n = 0;
    bool ok = add_header(h, &n, "host", 4, r->host) && add_header(h, &n, "x-amz-date", 10, stamp);
    if (ok && r->session_token[0]) ok = add_header(h, &n, "x-amz-security-token", 20, r->session_token);
    for (const char *const *l = r->headers; ok && l && *l; l++) {
        size_t nl = name_len(*l);
        if (!(*l)[nl]) return false;
        ok = add_header(h, &n, *l, nl, *l + nl + 1);
    }
    if (!ok) return false;
    qsort(h, n, sizeof h[0], by_name);

    char payload[65];
    if (!sha256_hex(r->body ? r->body : "", r->body_len, payload)) return false;
    size_t cap = 2048 + strlen(r->path);
    for (size_t i = 0; i < n; i++) cap += strlen(h[i].name) * 2 + strlen(h[i].value) + 3;
    char *canon = malloc(cap), *signed_names = malloc(cap);
    if (!canon || !signed_names) {
        free(canon);
        free(signed_names);
        return false;
    }
    size_t c = (size_t)snprintf(canon, cap, "%s\n%s\n\n", r->method, r->path);
    size_t s = 0;
    signed_names[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        c += (size_t)snprintf(canon + c, cap - c, "%s:%s\n", h[i].name, h[i].value);
        s += (size_t)snprintf(signed_names + s, cap - s, "%s%s", i ? ";" : "", h[i].name);
    }
    snprintf(canon + c, cap - c, "\n%s\n%s", signed_names, payload);

    char canon_hash[65], scope[160], to_sign[512];
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, r->region, r->service);
    ok = sha256_hex(canon, strlen(canon), canon_hash);
    snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%s\n%s", stamp, scope, canon_hash);

    char secret[300];
    unsigned char k[32], sig[32];
    snprintf(secret, sizeof secret, "AWS4%s", r->secret_key);
    ok = ok && hmac((const unsigned char *)secret, strlen(secret), date, k) && hmac(k, 32, r->region, k) &&
         hmac(k, 32, r->service, k) && hmac(k, 32, "aws4_request", k) && hmac(k, 32, to_sign, sig);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(k, sizeof k);
    if (ok) {
        char sig_hex[65];
        hex(sig, 32, sig_hex);
        int w = snprintf(authorization, auth_cap,
                         "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                         r->access_key, scope, signed_names, sig_hex);
        ok = w > 0 && (size_t)w < auth_cap && strlen(stamp) < date_cap;
        if (ok) strcpy(amz_date, stamp);
    }
    free(canon);
    free(signed_names);
    return ok;
}
