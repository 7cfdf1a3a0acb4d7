/* The network settings parser (net/net_config.c), which the host tool and
 * the kernel share: the whole text, then each line on its own as the host
 * tool checks `--ip`-style options one at a time. */
#include "fuzz.h"

#include "../../net/net_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_ASSERT(text);
    memcpy(text, data, size);
    text[size] = 0;   /* the parser takes a C string: stop at the first NUL */
    char err[256] = "";
    struct net_config cfg;
    if (net_config_parse(text, &cfg, err, sizeof err) == 0) {
        FUZZ_ASSERT(cfg.ndns >= 0 && cfg.ndns <= NET_CONFIG_MAX_DNS);
        FUZZ_ASSERT(strlen(cfg.hostname) <= NET_CONFIG_HOSTNAME_MAX);
    } else {
        FUZZ_ASSERT(err[0]);
    }
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        (void)net_config_check_line(line, err, sizeof err);
    free(text);
    return 0;
}
