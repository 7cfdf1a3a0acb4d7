/* `pith instance create|ls|logs|stop|rm ... --provider aws`: EC2 instances
 * from an uploaded AMI, named by their tag pith:instance (no local record:
 * any machine with the same credentials sees the same names). One
 * struct instance_provider (cli/instance.h), listed in
 * cli/instance_providers.c. */
#pragma once
#include "../instance.h"

extern const struct instance_provider instance_aws;
