#include "path.h"
#include "string.h"

const char *path_component(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == '/') s++;
    if (!*s) return NULL;
    const char *e = s;
    while (*e && *e != '/') e++;
    *len = (size_t)(e - s);
    *p = e;
    return s;
}

/* Append the components of p to out[0..*o), folding "." and "..". */
static int fold(const char *p, char *out, size_t *o, size_t outlen)
{
    const char *s;
    size_t n;
    while ((s = path_component(&p, &n))) {
        if (n == 1 && s[0] == '.') continue;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (*o > 0 && out[*o - 1] != '/') (*o)--;
            if (*o > 0) (*o)--;
            continue;
        }
        if (*o + 1 + n + 1 > outlen) return -1;
        out[(*o)++] = '/';
        memcpy(out + *o, s, n);
        *o += n;
    }
    return 0;
}

static int finish(char *out, size_t o, size_t outlen)
{
    if (o == 0) {
        if (outlen < 2) return -1;
        out[o++] = '/';
    }
    out[o] = 0;
    return 0;
}

int path_normalize(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    if (in[0] != '/' || outlen < 2 || fold(in, out, &o, outlen) < 0) return -1;
    return finish(out, o, outlen);
}

int path_join(const char *dir, const char *path, char *out, size_t outlen)
{
    if (path[0] == '/') return path_normalize(path, out, outlen);
    size_t o = 0;
    if (dir[0] != '/' || outlen < 2 || fold(dir, out, &o, outlen) < 0 || fold(path, out, &o, outlen) < 0) return -1;
    return finish(out, o, outlen);
}
