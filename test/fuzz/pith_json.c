/* pith.json (cli/config.c over cli/json.c): the config is a file, so each
 * input is written to one in a private directory and loaded as `pith run`
 * would load it; any failure is one "FILE:LINE:COL: message" line. */
#include "fuzz.h"

#include "../../cli/config.h"
#include "../../cli/settings.h"

static char path[256], dir[200];

/* Leave no file behind in TMPDIR (run-tests checks it stays empty). */
static void remove_config(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/fuzz_pith_json.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        FUZZ_ASSERT(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/pith.json", dir);
        atexit(remove_config);
    }
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
    struct pith_args a;
    memset(&a, 0, sizeof a);
    char err[600] = "";
    if (config_load(path, &a, err, sizeof err) != 0)
        FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
    args_free(&a);
    return 0;
}
