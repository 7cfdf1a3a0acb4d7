/* Log lines straight to fd 1 with one write each: no stdio buffer to lose
 * when the run ends abruptly, and lines of different threads do not mix. */
#include "sysfuzz.h"
#include <stdarg.h>
#include <stdio.h>

void out(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    for (int off = 0; off < n;) {
        long w = sys6(1, 1, (uint64_t)(buf + off), (uint64_t)(n - off), 0, 0, 0);
        if (w == -4) continue;   /* EINTR */
        if (w <= 0) return;
        off += (int)w;
    }
}
