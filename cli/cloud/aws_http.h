/* One signed AWS request through libcurl, with retries.
 *
 * Signing is libcurl's own SigV4 (CURLOPT_AWS_SIGV4, "aws:amz:REGION:SERVICE");
 * pith computes no signature itself. A request is retried with exponential
 * backoff and jitter (honouring Retry-After) when the service throttles
 * (429, 503, or a throttling error code in the body), on any other 5xx,
 * and on transport errors (connection reset, timeout); anything else is
 * final. Each thread uses its own struct aws_http (a curl handle keeps its
 * connection alive between requests). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "aws_config.h"

struct aws_http {
    void *curl;                 /* CURL * */
    const struct aws_config *cfg;
    unsigned retries_done;      /* retries over this handle's life (for the summary) */
};

struct aws_response {
    long status;                /* HTTP status, 0 when no response came */
    char *body;                 /* NUL-terminated (the length is body_len) */
    size_t body_len;
    char error_type[128];       /* the x-amzn-ErrorType header, if any */
    char checksum[128];         /* the x-amz-Checksum header, if any */
};

struct aws_request {
    const char *method;         /* "GET", "POST", "PUT" */
    const char *service;        /* "ebs" or "ec2": the signing scope and the endpoint */
    const char *path;           /* appended to the service's endpoint URL ("/snapshots") */
    const void *body;
    size_t body_len;
    const char *const *headers; /* "Name: value" lines, NULL-terminated; may be NULL */
};

/* The whole-process libcurl setup; call once before any thread starts. */
bool aws_http_global_init(char *err, size_t errlen);

bool aws_http_open(struct aws_http *h, const struct aws_config *cfg, char *err, size_t errlen);
void aws_http_close(struct aws_http *h);

/* Send req, retrying as described above. true when a response arrived with
 * a 2xx status. Otherwise false with one line in err: the service's own
 * error code and message ("AuthFailure: AWS was not able to validate the
 * provided access credentials"), the transport's ("could not connect to
 * http://...: Connection refused"), with a hint for refused credentials.
 * resp is filled either way (free it with aws_response_free). */
bool aws_http_send(struct aws_http *h, const struct aws_request *req, struct aws_response *resp,
                   char *err, size_t errlen);
void aws_response_free(struct aws_response *resp);
/* The service's error code and message in a reply: EC2's XML
 * (<Errors><Error><Code>/<Message>) or EBS's JSON ({"message": ...}, the
 * code in x-amzn-ErrorType). Each one line; "" when the reply has none. */
void aws_service_error(const struct aws_response *resp, char *code, size_t code_cap, char *msg, size_t msg_cap);

/* Tuning for tests and the benchmark: PITH_AWS_RETRIES (attempts after the
 * first, default 6) and PITH_AWS_BACKOFF_MS (the first delay, default 200;
 * each retry doubles it, up to 10 s, with jitter). */
