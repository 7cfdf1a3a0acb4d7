/* Credentials, region and endpoints, found the way the AWS CLI and SDKs find
 * them (docs/cloud.md):
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 *                else the profile (AWS_PROFILE, default "default") in
 *                AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then in
 *                AWS_CONFIG_FILE (~/.aws/config, section "[profile NAME]");
 *   region:      --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region;
 *   endpoints:   --endpoint-url, AWS_ENDPOINT_URL_EBS / _EC2, AWS_ENDPOINT_URL,
 *                else https://SERVICE.REGION.amazonaws.com. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct aws_config {
    char access_key[256];
    char secret_key[256];
    char session_token[4096];   /* empty without one */
    char region[64];
    char profile[128];
    char ebs_url[512];          /* no trailing slash */
    char ec2_url[512];
};

/* Fill cfg. region_opt and endpoint_opt (NULL when not given) are the
 * command line's. false with a one-line reason in err: no credentials, a
 * named profile that does not exist, no region, a malformed value. */
bool aws_config_load(struct aws_config *cfg, const char *region_opt, const char *endpoint_opt,
                     char *err, size_t errlen);
