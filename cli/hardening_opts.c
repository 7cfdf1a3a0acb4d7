/* hardening_opts.h: the mitigation names and their boot-config bits. */
#include "hardening_opts.h"

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>

#include "manifest.h"

static const struct {
    const char *name;
    uint32_t flag;
} options[] = {
    { "no-wx", MANIFEST_FLAG_NO_WX },
    { "readonly-program", MANIFEST_FLAG_READONLY_PROGRAM },
    { "exec-protection", MANIFEST_FLAG_EXEC_PROTECTION },
};

uint32_t hardening_option_flag(const char *name)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(name, options[i].name) == 0)
            return options[i].flag;
    return 0;
}

uint32_t hardening_marks_libraries(uint32_t flags)
{
    return flags & (MANIFEST_FLAG_READONLY_PROGRAM | MANIFEST_FLAG_EXEC_PROTECTION);
}

static int is_elf(const char *path)
{
    unsigned char magic[4] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

void hardening_mark_elf_files(struct manifest *m)
{
    for (size_t i = 0; i < m->nentries; i++) {
        struct manifest_entry *e = &m->entries[i];
        struct stat st;
        if (e->kind != MANIFEST_FILE || !e->source || stat(e->source, &st) != 0 || !is_elf(e->source))
            continue;
        e->mode = (e->has_mode ? e->mode : (uint32_t)st.st_mode & 07777) | 0555;
        e->has_mode = true;
    }
}
