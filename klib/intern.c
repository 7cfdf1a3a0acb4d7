#include "intern.h"
#include "string.h"

struct interned {
    struct interned *next;
    char s[];
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

const char *intern(struct intern_table *t, const char *s)
{
    struct interned **b = &t->buckets[hash(s) % INTERN_BUCKETS];
    for (struct interned *i = *b; i; i = i->next)
        if (strcmp(i->s, s) == 0) return i->s;
    size_t len = strlen(s) + 1;
    struct interned *n = allocate(t->heap, sizeof *n + len);
    if (!n) return NULL;
    memcpy(n->s, s, len);
    n->next = *b;
    *b = n;
    return n->s;
}
