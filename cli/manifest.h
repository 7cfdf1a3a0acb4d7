/* A manifest says what goes into a Pith image: which host files land where in
 * the guest filesystem and what program runs with which argv/envp.
 * It is either parsed from text (grammar in docs/manifest.md) or built in
 * memory by the `pith` CLI with the manifest_add_* calls. The image writer
 * (cli/image.h) turns it into a disk image; host files are only opened then.
 *
 * Conventions: functions return 0 on success or a negative errno
 * (-EINVAL bad input, -ENOMEM, host errno for I/O) and write a one-line
 * message into err. Parse errors look like "FILE:LINE:COL: message";
 * errors from the programmatic calls have no position. All memory comes from
 * the struct heap given to manifest_new/manifest_parse; free with
 * manifest_free. Guest paths are stored normalised ("/a/b", no "//", no
 * trailing '/'); "." and ".." components and relative paths are rejected. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"

enum manifest_kind {
    MANIFEST_FILE,      /* host regular file -> guest file */
    MANIFEST_TREE,      /* host directory copied recursively */
    MANIFEST_DIR,       /* empty guest directory */
    MANIFEST_SYMLINK,   /* guest symlink */
};

struct manifest_entry {
    enum manifest_kind kind;
    char *guest;        /* normalised absolute guest path */
    char *source;       /* FILE/TREE: host path; SYMLINK: target; DIR: NULL */
    uint32_t mode;      /* permission bits (07777) when has_mode */
    bool has_mode;      /* false: host file's bits (FILE/TREE), 0755 (DIR) */
    int line;           /* manifest line, 0 when added programmatically */
};

#define MANIFEST_FLAG_TRACE (1u << 0)   /* same bit as TFS_CONFIG_TRACE */
#define MANIFEST_FLAG_READONLY (1u << 1) /* same bit as TFS_CONFIG_READONLY_ROOT */
#define MANIFEST_FLAG_CORE_PATH (1u << 2) /* same bit as TFS_CONFIG_CORE_PATH: set by the writer when core_path is */
#define MANIFEST_FLAG_NET (1u << 3)       /* same bit as TFS_CONFIG_NET: set by the writer when net is */
/* The program's mitigations (cli/hardening_opts.h), the bits of TFS_CONFIG_NO_WX... */
#define MANIFEST_FLAG_NO_WX (1u << 8)
#define MANIFEST_FLAG_READONLY_PROGRAM (1u << 9)
#define MANIFEST_FLAG_EXEC_PROTECTION (1u << 10)

/* Read-only for users; change it only through the functions below. */
struct manifest {
    struct heap *heap;
    char *program;              /* guest path of the program, NULL if not set */
    char **argv;                /* argv[0] included; empty means {program} */
    size_t argc, argv_cap;
    char **envp;                /* "KEY=VALUE" strings */
    size_t envc, envp_cap;
    uint32_t flags;             /* MANIFEST_FLAG_* */
    uint64_t min_size;          /* minimum filesystem bytes, 0 = just big enough */
    uint64_t layout_seed;       /* address-space layout seed for the kernel, 0 = random */
    char **mounts;              /* pairs: guest mount point, host volume path */
    size_t mountc, mounts_cap;  /* mountc counts strings (two per volume) */
    char *core_path;            /* where a core file goes: NULL = the default (/core), "" = none */
    char *net;                  /* network settings (net/net_config.h's text), NULL = none given */
    char *kernel_options;       /* words for the kernel (tests only: "selftest=NAME"), NULL = none */
    struct manifest_entry *entries;
    size_t nentries, entries_cap;
};

/* An empty manifest, or NULL if out of memory. */
struct manifest *manifest_new(struct heap *h);
void manifest_free(struct manifest *m);

/* Parse text[0..len). `filename` is used in messages only. Relative host
 * paths are taken relative to base_dir (NULL: leave them relative to the
 * current directory). */
int manifest_parse(struct heap *h, const char *text, size_t len, const char *filename, const char *base_dir,
                   struct manifest **out, char *err, size_t errlen);
/* Read and parse a manifest file; relative host paths are relative to the
 * directory that holds it. */
int manifest_load_file(struct heap *h, const char *path, struct manifest **out, char *err, size_t errlen);

/* Building a manifest in memory. Every string is copied. */
int manifest_set_program(struct manifest *m, const char *guest_path, char *err, size_t errlen);
int manifest_add_arg(struct manifest *m, const char *arg, char *err, size_t errlen);
/* A volume the image expects at guest_path (`pith run --image` attaches it). */
int manifest_add_mount(struct manifest *m, const char *guest_path, const char *host_volume, char *err, size_t errlen);
int manifest_add_env(struct manifest *m, const char *key_eq_value, char *err, size_t errlen);   /* needs '=' */
/* mode: permission bits, or MANIFEST_MODE_FROM_HOST to copy the host file's. */
#define MANIFEST_MODE_FROM_HOST 0xFFFFFFFFu
int manifest_add_file(struct manifest *m, const char *guest_path, const char *host_path, uint32_t mode,
                      char *err, size_t errlen);
int manifest_add_tree(struct manifest *m, const char *guest_path, const char *host_dir, char *err, size_t errlen);
int manifest_add_dir(struct manifest *m, const char *guest_path, uint32_t mode, char *err, size_t errlen);
int manifest_add_symlink(struct manifest *m, const char *guest_path, const char *target, char *err, size_t errlen);
void manifest_set_flags(struct manifest *m, uint32_t flags);
/* Where the kernel writes a core file (an absolute guest path), or "none"
 * (also "off") for no core files. */
int manifest_set_core(struct manifest *m, const char *path, char *err, size_t errlen);
/* The kernel options: key followed by value (hidden --selftest). 0 or -ENOMEM. */
int manifest_set_kernel_options(struct manifest *m, const char *key, const char *value);
void manifest_set_min_size(struct manifest *m, uint64_t bytes);
/* Network settings (cli/manifest_net.c), checked with the kernel's parser.
 * set: the whole text (replaces any); add: one more line, refused if that
 * line is bad (rules between lines, such as a gateway needing an ip, wait
 * for manifest_check_net). check: the whole text; on failure *bad_line is
 * the 1-based line of the text at fault and err has the reason without it. */
int manifest_set_net(struct manifest *m, const char *text, char *err, size_t errlen);
int manifest_add_net(struct manifest *m, const char *line, char *err, size_t errlen);
int manifest_check_net(const struct manifest *m, int *bad_line, char *err, size_t errlen);

/* Normalise an absolute guest path into out[outlen]; returns NULL on success
 * or a reason ("relative guest path", "'..' in guest path", ...). */
const char *manifest_normalize_path(const char *in, char *out, size_t outlen);
