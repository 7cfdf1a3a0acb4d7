/* The host's check of a program before it goes into an image
 * (cli/elf_check.c): every input is a whole file; accepted ones must have
 * what the result promises. */
#include "fuzz.h"

#include "../../cli/elf_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_check_result r;
    char err[256] = "";
    if (elf_check_bytes(data, size, &r, err, sizeof err) == 0)
        FUZZ_ASSERT(memchr(r.interp, 0, sizeof r.interp));
    else
        FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
    return 0;
}
