/* The ELF objects inside files and trees added to an image (-f/-d, a runtime
 * tree such as python's lib-dynload): each may need shared libraries that
 * cli/deps.c then collects. */
#pragma once
#include <stddef.h>
#include "deps.h"

struct object_list {
    struct deps_object *v;
    size_t n, cap;
};

/* Add host (guest path guest) to l if it is an ELF executable or shared
 * object, or every such object under it if it is a directory (symlinks are
 * not followed). 0, or -1 when out of memory. */
int elf_tree_collect(struct object_list *l, const char *host, const char *guest);
void object_list_free(struct object_list *l);
