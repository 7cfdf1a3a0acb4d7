/* `pith volume create PATH SIZE`: a new empty volume for `pith run --mount`. */
#include "cmd_volume.h"
#include <stdio.h>
#include <string.h>

#include "image_handle.h"
#include "volume.h"

static const char volume_help[] =
    "usage: pith volume create PATH SIZE   a new empty volume of SIZE bytes (K/M/G/T suffixes)\n"
    "\n"
    "Use it with 'pith run --mount PATH:/data PROG'; look into it with 'pith image ls PATH'.\n"
    "Bad input prints one 'pith: ...' line and exits 2.\n";

int volume_main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(volume_help, stdout);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "create") != 0) {
        fprintf(stderr, "pith: volume: usage: pith volume create PATH SIZE\n");
        return IMAGE_EXIT_BAD_INPUT;
    }
    uint64_t bytes;
    if (!image_parse_size(argv[3], &bytes)) {
        fprintf(stderr, "pith: %s: bad size (want N, NK, NM, NG or NT)\n", argv[3]);
        return IMAGE_EXIT_BAD_INPUT;
    }
    char err[512];
    if (volume_create(argv[2], bytes, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return IMAGE_EXIT_BAD_INPUT;
    }
    return 0;
}
