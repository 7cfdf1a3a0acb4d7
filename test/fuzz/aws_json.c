/* EBS direct's JSON replies (cli/json.c under cli/cloud/aws_ebs.c): the
 * StartSnapshot reader, and a failed reply's message and code as
 * aws_http.c reads them (aws_service_error, with an x-amzn-ErrorType). */
#include "fuzz.h"

#include "../../cli/cloud/aws_ebs.h"
#include "../../cli/cloud/aws_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);   /* replies are NUL-terminated (aws_http.h) */
    FUZZ_ASSERT(text);
    memcpy(text, data, size);
    text[size] = 0;
    char snap[64] = "", err[256] = "";
    if (ebs_read_start_reply(text, size, snap, sizeof snap, err, sizeof err))
        FUZZ_ASSERT(snap[0] && strlen(snap) < sizeof snap);
    else
        FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
    struct aws_response resp = { .status = 400, .body = text, .body_len = size };
    snprintf(resp.error_type, sizeof resp.error_type, "ValidationException:http://internal.amazon.com/");
    char code[128], msg[256];
    aws_service_error(&resp, code, sizeof code, msg, sizeof msg);
    FUZZ_ASSERT(!strchr(code, '\n') && !strchr(msg, '\n'));
    free(text);
    return 0;
}
