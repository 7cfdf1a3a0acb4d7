/* The network settings parser (net/net_config.c), which the host tool and
 * the kernel share: the whole text, then each line on its own as the host
 * tool checks `--ip`-style options one at a time. Every dns address it
 * accepts must be one the host's inet_pton reads to the same bytes (its
 * address parsers are its own: the kernel has no libc). */
#include "fuzz.h"

#include <arpa/inet.h>

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
        /* Find the dns lines' words again and compare with inet_pton. */
        int k = 0;
        for (const char *l = text; *l && k < cfg.ndns; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
            char word[128];
            if (sscanf(l, " dns %127[^ \t\r\n#]", word) != 1) continue;
            uint8_t want[16];
            int fam = cfg.dns[k].family == 4 ? AF_INET : AF_INET6;
            FUZZ_ASSERT(inet_pton(fam, word, want) == 1);
            FUZZ_ASSERT(memcmp(want, cfg.dns[k].bytes, fam == AF_INET ? 4 : 16) == 0);
            k++;
        }
    } else {
        FUZZ_ASSERT(err[0]);
    }
    /* A line the whole text's parse accepted passes on its own too (the
     * host tool checks settings one at a time with net_config_check_line). */
    bool whole_ok = net_config_parse(text, &cfg, err, sizeof err) == 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int rc = net_config_check_line(line, err, sizeof err);
        if (whole_ok && rc != 0) fprintf(stderr, "fuzz: line refused alone: %s\n", err);
        FUZZ_ASSERT(!whole_ok || rc == 0);
    }
    free(text);
    return 0;
}
