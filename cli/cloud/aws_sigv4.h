/* SigV4 for the one case libcurl's own signing gets wrong.
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4, cli/cloud/aws_http.c).
 * Before curl 8.10 that code sorts the canonical headers as whole
 * "name:value" lines instead of by name, so when one header's name is a
 * prefix of another's ("x-amz-checksum" and "x-amz-checksum-algorithm",
 * both required by EBS PutSnapshotBlock) the signature is over the wrong
 * order and AWS answers SignatureDoesNotMatch (curl pull request 14370;
 * Debian 12 ships 7.88). For exactly those requests on such a libcurl, pith
 * builds the canonical request itself and signs it with OpenSSL's HMAC and
 * SHA-256; every other request keeps libcurl's signature. Both are checked
 * against botocore's signer by test/cloud (fault_proxy.py
 * --check-signatures) and test/unit/test_aws.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Whether the installed libcurl would mis-sign a request carrying these
 * "Name: value" header lines (NULL-terminated). */
bool aws_sigv4_curl_missigns(const char *const *headers);

struct aws_sigv4_request {
    const char *method, *host;  /* host as the Host header carries it (with a non-default port) */
    const char *path;           /* made of unreserved characters and '/' only; no query */
    const char *const *headers; /* "Name: value" lines to sign, NULL-terminated */
    const void *body;
    size_t body_len;
    const char *access_key, *secret_key, *session_token;   /* token may be "" */
    const char *region, *service;
    time_t now;
};

/* The X-Amz-Date value ("20261206T041513Z") and the Authorization header
 * line ("Authorization: AWS4-HMAC-SHA256 Credential=..."). false when the
 * request cannot be signed here (a path with other characters, too many
 * headers): the caller then leaves it to libcurl. */
bool aws_sigv4_sign(const struct aws_sigv4_request *r, char *amz_date, size_t date_cap,
                    char *authorization, size_t auth_cap);
