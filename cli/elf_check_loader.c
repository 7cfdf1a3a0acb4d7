/* The kernel loader's checks (loader/elf_parse.c), run on the host as the
 * last step of elf_check_bytes: a program the loader would refuse inside the
 * guest (overlapping segments, too many program headers, an absurd span...)
 * is refused before the image is built, with the loader's own reason. Kept
 * apart from elf_check.c because loader/elf.h and <elf.h> define the same
 * names. */
#include "elf_check.h"

#include "../loader/elf.h"

int elf_check_loader(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    struct elf_image img;
    size_t hlen = size < sizeof eh ? size : sizeof eh;
    if (elf_check_header(data, hlen, size, &eh, err, errlen) != 0)
        return -1;
    /* elf_check_header put the program headers inside the file. */
    size_t phlen = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
    if (elf_check_phdrs(&eh, data + eh.e_phoff, phlen, size, &img, err, errlen) != 0)
        return -1;
    return 0;
}
