#include "escape.h"

#include <stdio.h>

void escape_controls(char *out, size_t cap, const char *in)
{
    size_t o = 0;
    for (; *in && o + 5 < cap; in++) {   /* room for the longest escape and the NUL */
        unsigned char c = (unsigned char)*in;
        if (c >= 0x20 && c != 0x7f) out[o++] = (char)c;
        else if (c == '\n') o += (size_t)snprintf(out + o, cap - o, "\\n");
        else if (c == '\t') o += (size_t)snprintf(out + o, cap - o, "\\t");
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o] = 0;
}
