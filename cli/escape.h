/* pith's errors are one line each (docs/cli.md), yet they quote what the
 * user wrote, which may hold a newline (a quoted manifest token, a JSON
 * string with \n). Messages that quote input pass through this. */
#pragma once
#include <stddef.h>

/* Copy the string in to out[cap] (cap > 0) with control characters
 * written as escapes (\n, \t, \xHH); truncated to fit, always terminated. */
void escape_controls(char *out, size_t cap, const char *in);
