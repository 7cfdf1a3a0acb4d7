/* The names of the program's exploit mitigations, one list for every place
 * a user chooses them: `option NAME` in a manifest, "NAME": true in
 * pith.json, `--NAME` on `pith run`/`pith build`. Each sets one boot-config
 * flag (fs/tfs.h TFS_CONFIG_NO_WX...), which the kernel reads at start
 * (kernel/hardening.h has the rules). */
#pragma once
#include <stdint.h>

#define HARDENING_OPTION_NAMES "no-wx, readonly-program, exec-protection"
#define HARDENING_CONFIG_KEYS "no-wx, readonly-program, exec-protection"

/* The MANIFEST_FLAG_* bit NAME sets, or 0 if NAME is not one of them. */
uint32_t hardening_option_flag(const char *name);
/* The flags that make the image mark the libraries it collects executable
 * (readonly-program protects, and exec-protection only runs, files with an
 * execute bit). */
uint32_t hardening_marks_libraries(uint32_t manifest_flags);
struct manifest;
/* Give every host file in m that is an ELF object (the program, its
 * interpreter and libraries, a runtime tree's extension modules) its
 * execute bits in the image. */
void hardening_mark_elf_files(struct manifest *m);
