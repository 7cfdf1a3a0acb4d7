#include "suggest.h"

#include <string.h>

size_t suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return (size_t)-1;
    /* Three rows of the dynamic-programming table are enough: a swap looks
     * back two rows. */
    size_t before[SUGGEST_MAX_LEN + 1], prev[SUGGEST_MAX_LEN + 1], cur[SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(before, prev, sizeof prev);
        memcpy(prev, cur, sizeof cur);
    }
    return prev[lb];
}

static const char *undashed(const char *s)
{
    while (*s == '-')
        s++;
    return s;
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
    const char *typed = undashed(word);
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const char *name = undashed(candidates[i]);
        size_t d = suggest_distance(typed, name);
        /* About one slip per three letters of the known name: "rnu" is run,
         * "tmieuot" is timeout, but "-x" is not "-m" and "bogus" not "boot". */
        if (d <= strlen(name) / 3 && d < best_distance) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}
