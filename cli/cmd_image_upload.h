/* `pith image upload NAME --provider aws [options]`: the command line, then
 * the provider's upload (cli/cloud/aws_upload.c). docs/cli.md describes it. */
#pragma once
#include <stdbool.h>

struct upload_options {
    const char *image;          /* a stored image's NAME or a path to a raw image */
    const char *image_path;     /* the file it resolved to */
    const char *stored_name;    /* the store's name when IMAGE was one, else NULL */
    const char *provider;
    const char *region;         /* NULL: from the environment or profile */
    const char *endpoint_url;   /* NULL: from the environment, else the service's */
    const char *ami_name;       /* NULL: the image's name */
    const char *boot_mode;      /* "legacy-bios" (default) or "uefi" */
    unsigned jobs;              /* blocks in flight at once */
    bool json, quiet;
};

/* argv[0] is "upload". Returns the exit status: 0, 1 (the upload failed:
 * the service refused or could not be reached), 2 (bad input). */
int image_upload(int argc, char **argv);
