/* Interned strings: one shared, never-freed copy per distinct string. Used
 * for names that many objects point at and few differ (mapped file paths). */
#pragma once
#include "types.h"
#include "heap.h"

#define INTERN_BUCKETS 64

struct interned;
struct intern_table {
    struct heap *heap;
    struct interned *buckets[INTERN_BUCKETS];
};

/* Returns the shared copy of s, or NULL when out of memory. Callers
 * serialize access to one table. */
const char *intern(struct intern_table *t, const char *s);
