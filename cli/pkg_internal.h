/* Shared between cli/pkg*.c: the cache's record of a tree and helpers. */
#pragma once
#include <stddef.h>

#define PKG_RECORD ".pith-pkg"
#define PKG_DEBS ".debs"
#define PKG_MAX 512   /* packages in one tree */

struct pkg_item {
    char name[128], version[128];
    char deb[256];    /* file name in CACHE/.debs */
};

/* 2: the tree has the base accounts and directories (pkg_get.c); a tree of
 * format 1 is rebuilt by the next `pith pkg get`. */
#define PKG_FORMAT 2

struct pkg_list {
    int format;   /* the record's, when read */
    int n;
    struct pkg_item v[PKG_MAX];
};

/* snprintf for paths and messages that may be cut: cut is acceptable
 * there (a message) or checked by the caller (the return value). */
int pkg_fmt(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int pkg_record_read(const char *tree, struct pkg_list *out);   /* 0, or -1 */
int pkg_record_write(const char *tree, const struct pkg_list *l);
int pkg_remove_tree(const char *path);   /* rm -rf; 0 if gone */
void pkg_sweep_stale(const char *cache);
void pkg_format_size(unsigned long long bytes, char *out, size_t len);

int pkg_get(int argc, char **argv);      /* cli/pkg_get.c */
int pkg_ls(void);
int pkg_rm(int argc, char **argv);
int pkg_clean(void);
