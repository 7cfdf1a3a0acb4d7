/* The network settings a manifest carries into the boot config. The text is
 * checked here with the kernel's own parser (net/net_config.c), so an image
 * never holds settings the kernel would refuse at boot. */
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net/net_config.h"

/* net_config_parse says "line N: reason": split it. */
static int split_line(const char *msg, char *err, size_t errlen)
{
    int line = 0, used = 0;
    if (sscanf(msg, "line %d: %n", &line, &used) >= 1 && used > 0) {
        char copy[400];
        snprintf(copy, sizeof copy, "%s", msg + used);
        snprintf(err, errlen, "%s", copy);
        return line;
    }
    return 0;
}

static int replace_text(struct manifest *m, const char *text, size_t len)
{
    char *c = allocate(m->heap, len + 1);
    if (!c) return -ENOMEM;
    memcpy(c, text, len);
    c[len] = 0;
    if (m->net) deallocate(m->heap, m->net, strlen(m->net) + 1);
    m->net = c;
    return 0;
}

int manifest_check_net(const struct manifest *m, int *bad_line, char *err, size_t errlen)
{
    struct net_config cfg;
    char why[400];
    *bad_line = 0;
    if (!m->net || net_config_parse(m->net, &cfg, why, sizeof why) == 0) return 0;
    *bad_line = split_line(why, err, errlen);
    if (!*bad_line) snprintf(err, errlen, "%s", why);
    return -EINVAL;
}

int manifest_set_net(struct manifest *m, const char *text, char *err, size_t errlen)
{
    struct net_config cfg;
    char why[400];
    if (strlen(text) > 4096 || net_config_parse(text, &cfg, why, sizeof why) != 0) {
        snprintf(err, errlen, "network settings: %s", strlen(text) > 4096 ? "longer than 4096 bytes" : why);
        return -EINVAL;
    }
    if (replace_text(m, text, strlen(text)) != 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int manifest_add_net(struct manifest *m, const char *line, char *err, size_t errlen)
{
    if (strchr(line, '\n') || strchr(line, '#')) {
        snprintf(err, errlen, "one setting per net line, no '#' or newline");
        return -EINVAL;
    }
    size_t old = m->net ? strlen(m->net) : 0, add = strlen(line);
    if (old + add + 1 > 4096) {
        snprintf(err, errlen, "network settings longer than 4096 bytes");
        return -EINVAL;
    }
    char *text = malloc(old + add + 2);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    memcpy(text, m->net ? m->net : "", old);
    memcpy(text + old, line, add);
    memcpy(text + old + add, "\n", 2);
    /* Only this line's own faults count now; rules between lines are
     * checked once every line is in (manifest_check_net). */
    char why[400];
    if (net_config_check_line(line, why, sizeof why) != 0) {
        if (!split_line(why, err, errlen)) snprintf(err, errlen, "%s", why);
        free(text);
        return -EINVAL;
    }
    int rc = replace_text(m, text, old + add + 1);
    free(text);
    if (rc) snprintf(err, errlen, "out of memory");
    return rc;
}
