/* Maps a program (and its interpreter, for dynamic programs) from TFS into
 * the process and builds the initial stack Linux's execve would build. */
#pragma once
#include "../klib/types.h"

struct process;

struct program_args {
    const char *path;
    int argc;
    const char *const *argv;
    int envc;
    const char *const *envp;
    uint64_t layout_seed;   /* 0: pick one at random (the normal case) */
};

struct loaded_program {
    uint64_t entry;         /* where the first instruction runs (interpreter's if any) */
    uint64_t stack_pointer;
    uint64_t load_base;     /* 0 for ET_EXEC */
    uint64_t interp_base;   /* 0 without an interpreter */
};

/* On failure returns a negative errno and a one-line reason in err. */
int program_load(struct process *p, const struct program_args *args, struct loaded_program *out,
                 char *err, size_t errlen);
