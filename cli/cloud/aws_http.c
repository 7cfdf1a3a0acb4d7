/* Signed AWS requests through libcurl with retries (see aws_http.h). */
#include "aws_http.h"

#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../json.h"
#include "aws_sigv4.h"
#include "aws_xml.h"

#define MAX_DELAY_MS 10000u

bool aws_http_global_init(char *err, size_t errlen)
{
    /* CURLOPT_NOSIGNAL (needed with threads) leaves SIGPIPE to us: a peer closing a
     * connection mid-request is an error to retry, not the end of pith. */
    signal(SIGPIPE, SIG_IGN);
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "aws: libcurl: %s", curl_easy_strerror(rc));
        return false;
    }
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (v->version_num < 0x074b00) {   /* CURLOPT_AWS_SIGV4 arrived in 7.75.0 */
        snprintf(err, errlen, "aws: libcurl %s is too old (SigV4 signing needs 7.75 or later)", v->version);
        return false;
    }
    return true;
}

bool aws_http_open(struct aws_http *h, const struct aws_config *cfg, char *err, size_t errlen)
{
    h->cfg = cfg;
    h->retries_done = 0;
    h->curl = curl_easy_init();
    if (!h->curl) {
        snprintf(err, errlen, "aws: libcurl could not make a handle");
        return false;
    }
    return true;
}

void aws_http_close(struct aws_http *h)
{
    if (h->curl) curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

void aws_response_free(struct aws_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

struct collect {
    struct aws_response *resp;
    size_t cap;
    bool oom;
    long retry_after_s;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct collect *c = arg;
    size_t len = size * n;
    struct aws_response *r = c->resp;
    if (r->body_len + len + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < r->body_len + len + 1) cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b) { c->oom = true; return 0; }
        r->body = b;
        c->cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

/* Copy header NAME's value into out when line is that header. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') return;
    const char *v = line + n + 1;
    const char *end = line + len;
    while (v < end && isspace((unsigned char)*v)) v++;
    while (end > v && isspace((unsigned char)end[-1])) end--;
    size_t k = (size_t)(end - v);
    if (k >= cap) k = cap - 1;
    memcpy(out, v, k);
    out[k] = '\0';
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct collect *c = arg;
    size_t len = size * n;
    header_value(data, len, "x-amzn-ErrorType", c->resp->error_type, sizeof c->resp->error_type);
    header_value(data, len, "x-amz-Checksum", c->resp->checksum, sizeof c->resp->checksum);
    char retry[32] = "";
    header_value(data, len, "Retry-After", retry, sizeof retry);
    if (retry[0]) c->retry_after_s = strtol(retry, NULL, 10);
    return len;
}

/* Keep text for a one-line message: printable ASCII, at most cap-1 bytes. */
static void one_line(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = c >= 0x20 && c < 0x7F ? (char)c : ' ';
    }
    out[k] = '\0';
}

/* The service's error code and message from a failed reply: EC2's XML
 * (<Errors><Error><Code>/<Message>), EBS's JSON ({"message": ...} with the
 * code in x-amzn-ErrorType). Empty strings when the body holds neither. */
void aws_service_error(const struct aws_response *resp, char *code, size_t code_cap, char *msg, size_t msg_cap)
{
    code[0] = msg[0] = '\0';
    if (resp->error_type[0]) {
        size_t k = strcspn(resp->error_type, ":");
        one_line(code, code_cap, resp->error_type, k);
    }
    if (!resp->body || !resp->body_len) return;
    const char *b = resp->body;
    while (*b && isspace((unsigned char)*b)) b++;
    char err[128];
    if (*b == '<') {
        struct xml_node *root = xml_parse(resp->body, resp->body_len, err, sizeof err);
        if (!root) return;
        const struct xml_node *e = xml_path(root, "Errors/Error");
        if (!e) e = xml_child(root, "Error");
        if (!e && strcmp(root->name, "Error") == 0) e = root;
        if (e) {
            const char *c = xml_text(e, "Code"), *m = xml_text(e, "Message");
            if (*c) one_line(code, code_cap, c, strlen(c));
            one_line(msg, msg_cap, m, strlen(m));
        }
        xml_free(root);
    } else if (*b == '{') {
        struct json_value *v;
        if (json_parse(resp->body, resp->body_len, &v, err, sizeof err) != 0) return;
        if (v->type == JSON_OBJECT) {
            for (size_t i = 0; i < v->n; i++) {
                const struct json_value *it = &v->items[i];
                if (it->type != JSON_STRING) continue;
                if (!strcasecmp(v->keys[i], "message")) one_line(msg, msg_cap, it->text, strlen(it->text));
                else if (!code[0] && (!strcmp(v->keys[i], "__type") || !strcmp(v->keys[i], "Code"))) {
                    const char *t = strrchr(it->text, '#');
                    t = t ? t + 1 : it->text;
                    one_line(code, code_cap, t, strcspn(t, ":"));
                }
            }
        }
        json_free(v);
    }
}

static bool is_throttling(const char *code)
{
    static const char *const codes[] = {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
        "RequestThrottledException", "RequestThrottled", "TooManyRequestsException", "SlowDown",
        "RequestLimitExceededException", "ProvisionedThroughputExceededException",
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0) return true;
    return false;
}

static bool is_credential_error(const char *code)
{
    static const char *const codes[] = {
        "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
        "IncompleteSignature", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
        "MissingAuthenticationToken", "InvalidSignatureException", "RequestExpired",
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0) return true;
    return false;
}

static unsigned env_uint(const char *name, unsigned def)
{
    const char *v = getenv(name);
    if (!v || !*v) return def;
    char *e;
    unsigned long x = strtoul(v, &e, 10);
    return *e || x > 100000 ? def : (unsigned)x;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* A delay in [d/2, d]: threads throttled together do not retry together. */
static unsigned jitter(unsigned d)
{
    static __thread uint64_t seed;
    if (!seed) seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&seed ^ 0x9E3779B97F4A7C15ull;
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return d / 2 + (unsigned)(seed % (d / 2 + 1));
}

/* The Host header curl sends for url: host[:port], the port only when not the scheme's default. */
static bool host_of(const char *url, char *out, size_t cap)
{
    bool https = strncmp(url, "https://", 8) == 0;
    const char *h = strstr(url, "://");
    if (!h) return false;
    h += 3;
    size_t n = strcspn(h, "/?#");
    if (n == 0 || n >= cap || memchr(h, '@', n)) return false;
    memcpy(out, h, n);
    out[n] = '\0';
    const char *def = https ? ":443" : ":80";
    size_t dl = strlen(def);
    if (n > dl && strcmp(out + n - dl, def) == 0 && !strchr(out, ']')) out[n - dl] = '\0';
    return true;
}

/* One attempt. Returns the curl result; resp holds what came back. */
static CURLcode attempt(struct aws_http *h, const struct aws_request *req, struct aws_response *resp,
                        struct collect *c, char *errbuf)
{
    CURL *curl = h->curl;
    const struct aws_config *cfg = h->cfg;
    curl_easy_reset(curl);   /* options only: the connection stays open */
    char url[1536];
    snprintf(url, sizeof url, "%s%s", strcmp(req->service, "ebs") == 0 ? cfg->ebs_url : cfg->ec2_url, req->path);
    char sigv4[160];
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:%s", cfg->region, req->service);
    /* No "Expect:" line to turn off "100 Continue": curl would sign the header it then
     * leaves out, and AWS would refuse the signature. curl asks for 100 Continue only
     * above 1 MiB; our largest body is a 512 KiB block. */
    struct curl_slist *hdrs = NULL;
    char token[4200];
    if (cfg->session_token[0]) {
        snprintf(token, sizeof token, "X-Amz-Security-Token: %s", cfg->session_token);
        hdrs = curl_slist_append(hdrs, token);
    }
    for (const char *const *l = req->headers; l && *l; l++) hdrs = curl_slist_append(hdrs, *l);

    char host[512], amz_date[32], authorization[1024], date_line[64];
    struct aws_sigv4_request sr = {
        req->method, host, req->path, req->headers, req->body, req->body_len,
        cfg->access_key, cfg->secret_key, cfg->session_token, cfg->region, req->service, time(NULL),
    };
    if (aws_sigv4_curl_missigns(req->headers) && host_of(url, host, sizeof host) &&
        aws_sigv4_sign(&sr, amz_date, sizeof amz_date, authorization, sizeof authorization)) {
        /* This libcurl would sign these headers in the wrong order (aws_sigv4.h). */
        snprintf(date_line, sizeof date_line, "X-Amz-Date: %s", amz_date);
        hdrs = curl_slist_append(hdrs, date_line);
        hdrs = curl_slist_append(hdrs, authorization);
    } else {
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->access_key);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->secret_key);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, c);
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        /* POSTFIELDS: curl signs the body's SHA-256 into the request and sends it from our buffer. */
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (strcmp(req->method, "POST") != 0) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    }
    errbuf[0] = '\0';
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    return rc;
}

bool aws_http_send(struct aws_http *h, const struct aws_request *req, struct aws_response *resp,
                   char *err, size_t errlen)
{
    unsigned retries = env_uint("PITH_AWS_RETRIES", 6);
    unsigned delay = env_uint("PITH_AWS_BACKOFF_MS", 200);
    if (delay == 0) delay = 1;
    memset(resp, 0, sizeof *resp);
    for (unsigned tries = 0;; tries++) {
        aws_response_free(resp);
        memset(resp, 0, sizeof *resp);
        struct collect c = { .resp = resp, .retry_after_s = -1 };
        char errbuf[CURL_ERROR_SIZE];
        CURLcode rc = attempt(h, req, resp, &c, errbuf);
        char code[128] = "", msg[512] = "";
        bool retry;
        if (c.oom) {
            snprintf(err, errlen, "aws: out of memory reading %s's reply", req->service);
            return false;
        }
        if (rc != CURLE_OK) {
            /* A wrong host or port is final at once; a connection dropped midway may work again. */
            retry = rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST &&
                    rc != CURLE_UNSUPPORTED_PROTOCOL && rc != CURLE_URL_MALFORMAT &&
                    rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CONNECT_ERROR;
            snprintf(err, errlen, "aws: %s %s%s: %s", req->service,
                     strcmp(req->service, "ebs") == 0 ? h->cfg->ebs_url : h->cfg->ec2_url, req->path,
                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
            resp->status = 0;
        } else if (resp->status >= 200 && resp->status < 300) {
            return true;
        } else {
            aws_service_error(resp, code, sizeof code, msg, sizeof msg);
            retry = resp->status == 429 || resp->status >= 500 || is_throttling(code);
            if (is_credential_error(code) || (!code[0] && (resp->status == 401 || resp->status == 403)))
                snprintf(err, errlen, "aws: %s refused the credentials (%s%s%s): check AWS_ACCESS_KEY_ID, "
                         "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or profile '%s'",
                         req->service, code[0] ? code : "HTTP 403", msg[0] ? ": " : "", msg, h->cfg->profile);
            else if (code[0] || msg[0])
                snprintf(err, errlen, "aws: %s refused the request (HTTP %ld %s%s%s)", req->service,
                         resp->status, code, code[0] && msg[0] ? ": " : "", msg);
            else {
                char first[160];
                one_line(first, sizeof first, resp->body ? resp->body : "", resp->body ? strcspn(resp->body, "\n") : 0);
                snprintf(err, errlen, "aws: %s answered HTTP %ld%s%s", req->service, resp->status,
                         first[0] ? ": " : "", first);
            }
        }
        if (!retry || tries >= retries) {
            if (retry && tries > 0) {
                size_t n = strlen(err);
                snprintf(err + n, errlen - n, " (after %u retries)", tries);
            }
            return false;
        }
        unsigned wait = jitter(delay);
        if (c.retry_after_s >= 0 && (unsigned)c.retry_after_s * 1000u > wait)
            wait = c.retry_after_s * 1000u > MAX_DELAY_MS ? MAX_DELAY_MS : (unsigned)c.retry_after_s * 1000u;
        sleep_ms(wait);
        delay = delay * 2 > MAX_DELAY_MS ? MAX_DELAY_MS : delay * 2;
        h->retries_done++;
    }
}
