/* The host's check of a program before it goes into an image
 * (cli/elf_check.c): every input is a whole file; accepted ones must have
 * what the result promises, and the kernel's loader (loader/elf_parse.c,
 * called as loader/load.c calls it) must accept them too: the host check
 * exists so a bad program is refused with one line before the guest boots,
 * not by the loader inside it. */
#include "fuzz.h"

#include "../../cli/elf_check.h"
#include "../../loader/elf.h"

static void loader_must_accept(const uint8_t *data, size_t size)
{
    char why[128] = "";
    Elf64_Ehdr eh;
    static struct elf_image img;
    size_t hlen = size < sizeof eh ? size : sizeof eh;
    int rc = elf_check_header(data, hlen, size, &eh, why, sizeof why);
    if (rc == 0) {
        size_t phlen = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
        FUZZ_ASSERT(eh.e_phoff <= size && phlen <= size - eh.e_phoff);
        rc = elf_check_phdrs(&eh, data + eh.e_phoff, phlen, size, &img, why, sizeof why);
    }
    if (rc != 0) fprintf(stderr, "fuzz: the host check passed what the loader refuses: %s\n", why);
    FUZZ_ASSERT(rc == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_check_result r;
    char err[256] = "";
    if (elf_check_bytes(data, size, &r, err, sizeof err) == 0) {
        FUZZ_ASSERT(memchr(r.interp, 0, sizeof r.interp));
        loader_must_accept(data, size);
    } else {
        FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
    }
    return 0;
}
