/* `pith image upload`: options, then the provider (see cmd_image_upload.h). */
#include "cmd_image_upload.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cloud/aws_upload.h"
#include "image_store.h"
#include "suggest.h"

static const char upload_help[] =
    "usage: pith image upload IMAGE --provider aws [options]\n"
    "\n"
    "Upload IMAGE (a stored image's name, or a raw Pith image file) as an AWS AMI: its\n"
    "data blocks go into a new EBS snapshot through the EBS direct APIs (all-zero blocks\n"
    "are skipped), then the snapshot is registered as an AMI, whose id is printed. An\n"
    "interrupted upload continues where it stopped when the same command runs again.\n"
    "\n"
    "  --provider aws     where to upload (only aws for now)\n"
    "  --region R         the region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)\n"
    "  --name AMI_NAME    the AMI's name (default: the stored image's name, or the file's\n"
    "                     name without .img/.raw)\n"
    "  --boot-mode legacy-bios|uefi   the AMI's boot mode (default legacy-bios)\n"
    "  --endpoint-url URL send EBS and EC2 requests to URL (default: AWS_ENDPOINT_URL, else AWS)\n"
    "  --jobs N           blocks in flight at once (default 16)\n"
    "  --json             print the result as one JSON object instead of the AMI id\n"
    "  --quiet            no progress on stderr\n"
    "\n"
    "Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], or AWS_PROFILE\n"
    "with ~/.aws/credentials and ~/.aws/config. Exit status: 0, 1 if the upload failed, 2 for\n"
    "bad input. See docs/cli.md and docs/cloud.md.\n";

static const char *const upload_opts[] = {
    "--provider", "--region", "--name", "--boot-mode", "--endpoint-url", "--jobs", "--json", "--quiet", "--help",
};

static int usage(const char *msg, const char *word)
{
    fprintf(stderr, "pith: image upload: %s%s%s%s (try 'pith image upload --help')\n", msg,
            word ? " '" : "", word ? word : "", word ? "'" : "");
    return 2;
}

/* NAME-or-path to a file (cli/image_store.h); a stored image also names the AMI by default. */
static bool resolve_image(struct upload_options *o, char *path, size_t cap)
{
    char err[PATH_MAX + 128];
    if (image_resolve(o->image, path, cap, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return false;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "pith: %s: %s\n", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        fprintf(stderr, "pith: %s: not a regular file (a raw image is)\n", path);
        return false;
    }
    o->image_path = path;
    if (strcmp(path, o->image) != 0) o->stored_name = o->image;
    return true;
}

int image_upload(int argc, char **argv)
{
    struct upload_options o = { .boot_mode = "legacy-bios", .jobs = 16 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(upload_help, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
            continue;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.quiet = true;
            continue;
        } else if (strcmp(a, "--provider") == 0) value = &o.provider;
        else if (strcmp(a, "--region") == 0) value = &o.region;
        else if (strcmp(a, "--name") == 0) value = &o.ami_name;
        else if (strcmp(a, "--boot-mode") == 0) value = &o.boot_mode;
        else if (strcmp(a, "--endpoint-url") == 0) value = &o.endpoint_url;
        else if (strcmp(a, "--jobs") == 0) {
            if (i + 1 >= argc) return usage("--jobs needs a number", NULL);
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end || n < 1 || n > 256) return usage("--jobs: expected 1 to 256, not", argv[i]);
            o.jobs = (unsigned)n;
            continue;
        } else if (a[0] == '-' && a[1]) {
            const char *close = suggest_closest(a, upload_opts, sizeof upload_opts / sizeof upload_opts[0]);
            if (close) {
                fprintf(stderr, "pith: image upload: unknown option '%s' (did you mean '%s'?)\n", a, close);
                return 2;
            }
            return usage("unknown option", a);
        } else {
            if (o.image) return usage("one image at a time; extra argument", a);
            o.image = a;
            continue;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) {
            fprintf(stderr, "pith: image upload: %s needs a value (try 'pith image upload --help')\n", a);
            return 2;
        }
        *value = argv[++i];
    }
    if (!o.image) return usage("which image? give its name or path", NULL);
    if (!o.provider) return usage("--provider is required (aws)", NULL);
    if (strcmp(o.provider, "aws") != 0) return usage("unknown provider (known: aws)", o.provider);
    if (strcmp(o.boot_mode, "legacy-bios") != 0 && strcmp(o.boot_mode, "uefi") != 0)
        return usage("--boot-mode: expected legacy-bios or uefi, not", o.boot_mode);
    char path[PATH_MAX];
    if (!resolve_image(&o, path, sizeof path)) return 2;
    return aws_upload_image(&o);
}
