/* The kernel loader's ELF checks (loader/elf_parse.c), called the way
 * loader/load.c calls them: the header from the first bytes, then the
 * program headers read from e_phoff; what they accept must be safe to map. */
#include "fuzz.h"

#include "../../loader/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[128];
    Elf64_Ehdr eh;
    size_t hlen = size < sizeof(Elf64_Ehdr) ? size : sizeof(Elf64_Ehdr);
    if (elf_check_header(data, hlen, size, &eh, why, sizeof why) < 0)
        return 0;
    size_t phlen = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
    if (eh.e_phoff > size || phlen > size - eh.e_phoff)
        return 0;   /* load.c refuses a short read before asking the parser */
    static struct elf_image img;
    if (elf_check_phdrs(&eh, data + eh.e_phoff, phlen, size, &img, why, sizeof why) < 0)
        return 0;
    FUZZ_ASSERT(img.lowest_vaddr <= img.highest_vaddr);
    FUZZ_ASSERT(img.highest_vaddr - img.lowest_vaddr <= ELF_MAX_IMAGE_SPAN);
    FUZZ_ASSERT(img.interp_index < (int)eh.e_phnum && img.tls_index < (int)eh.e_phnum);
    return 0;
}
