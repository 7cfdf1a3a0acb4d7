/* The EC2 query API: Action=...&Version=2016-11-15&... posted as a form,
 * XML back (docs/cloud.md). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "aws_http.h"
#include "aws_xml.h"

/* A form body being built: ec2_param appends "&KEY=VALUE" URL-encoded. */
struct ec2_params {
    char *text;
    size_t len, cap;
    bool oom;
};

void ec2_params_init(struct ec2_params *p, const char *action);
void ec2_param(struct ec2_params *p, const char *key, const char *value);
void ec2_paramf(struct ec2_params *p, const char *key_fmt, int n, const char *value);
void ec2_params_free(struct ec2_params *p);

/* Post the form. The reply's root element (free with xml_free), or NULL
 * with one line in err (the service's error, or "unreadable reply"). */
struct xml_node *ec2_call(struct aws_http *h, struct ec2_params *p, char *err, size_t errlen);
