/* Where pith keeps a user's things across runs, the XDG way:
 *   data     $XDG_DATA_HOME/pith, else ~/.local/share/pith (stored images, instances)
 *   runtime  $XDG_RUNTIME_DIR/pith, else /tmp/pith-UID (sockets of running instances)
 * Relative XDG values are ignored, as the XDG spec says. */
#pragma once
#include <stddef.h>

enum user_dir_kind { USER_DIR_DATA, USER_DIR_RUNTIME };

/* out = the directory for kind, then "/sub" when sub is non-NULL, created
 * (mode 0700, with its parents) when create is set. 0, or -1 with
 * "CULPRIT: reason" in err. */
int user_dir(enum user_dir_kind kind, const char *sub, int create, char *out, size_t outlen, char *err,
             size_t errlen);

/* Remove a directory pith made under one of these (an image or instance
 * being built or deleted) and the plain files in it; nothing deeper. */
void user_dir_remove(const char *dir);
