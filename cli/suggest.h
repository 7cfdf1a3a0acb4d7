/* "did you mean ...?" for a mistyped option or command: the known word
 * closest to what was typed, if it is close enough to be a typo of it. */
#pragma once
#include <stddef.h>

/* Edit distance where inserting, deleting or replacing one character, or
 * swapping two adjacent ones, each cost 1 (a swap is the commonest typo:
 * "tiemout", "rnu"). Words longer than SUGGEST_MAX_LEN compare as far apart. */
#define SUGGEST_MAX_LEN 64
size_t suggest_distance(const char *a, const char *b);

/* The candidate closest to word, or NULL when none is a plausible typo of
 * it. Leading dashes are ignored on both sides, so "-timeout" finds
 * "--timeout". The first of equally close candidates wins. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);
