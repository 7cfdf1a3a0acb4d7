/* The manifest parser (cli/manifest.c, docs/manifest.md): any text either
 * parses into a manifest whose paths are normalised, or is refused with a
 * one-line "FILE:LINE:COL: message". */
#include "fuzz.h"

#include "../../cli/host_heap.h"
#include "../../cli/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    struct manifest *m = NULL;
    int rc = manifest_parse(host_heap(), (const char *)data, size, "fuzz.manifest", "/base", &m, err, sizeof err);
    if (rc != 0) {
        if (!err[0] || strchr(err, '\n')) fprintf(stderr, "fuzz: message not one line: [%s]\n", err);
        FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
        if (m) manifest_free(m);
        return 0;
    }
    FUZZ_ASSERT(m);
    for (size_t i = 0; i < m->nentries; i++) {
        const char *g = m->entries[i].guest;
        FUZZ_ASSERT(g[0] == '/' && !strstr(g, "//"));
    }
    int bad_line = 0;
    (void)manifest_check_net(m, &bad_line, err, sizeof err);
    manifest_free(m);
    return 0;
}
