/* The instance providers pith knows: one line each. */
#include "instance.h"

#include <stdio.h>
#include <string.h>

#include "image_store.h"
#include "instance_local.h"
#include "cloud/aws_instance.h"

static const struct instance_provider *const providers[] = {
    &instance_local,
    &instance_aws,
};

const struct instance_provider *instance_provider_find(const char *name)
{
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

void instance_provider_names(char *out, unsigned long outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof providers / sizeof providers[0] && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", providers[i]->name);
}

bool instance_name_ok(const char *name)
{
    return image_store_name_ok(name);
}
