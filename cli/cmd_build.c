/* `pith build -o IMAGE [options] PROG [ARGS...]`: the image, not booted. */
#include "cmd_build.h"

#include "image_build.h"
#include "pith_exit.h"
#include "workdir.h"

int build_command(const struct pith_args *a)
{
    struct workdir w;
    int rc = image_check_inputs(a);
    if (rc)
        return rc;
    if (workdir_create(&w) != 0)
        return PITH_EXIT_USAGE;
    rc = image_build(a, a->output, &w, 0);
    workdir_remove(&w);
    return rc;
}
